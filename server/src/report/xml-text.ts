// Text inside XML (JUnit for one run and for many runs): one escaping for both.

// XML 1.0 allows tab, LF, CR and U+0020 up: other control characters, lone
// surrogates and U+FFFE/U+FFFF make a document ill-formed, whatever the
// escaping. They are shown as visible escapes (\x1b), like on the terminal.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text safe in an XML attribute value or element content. */
export function xmlText(s: string): string {
  return s
    .replace(NOT_XML, (c) => { const n = c.charCodeAt(0); return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`; })
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
    // Attribute values would have their line breaks and tabs normalised to spaces.
    .replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
