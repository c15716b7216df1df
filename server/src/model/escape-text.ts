// Text taken from a file (names in a checkpoint, scenario titles) is printed
// to a terminal: control characters in it could move the cursor, change
// colours or hide text, so they are shown as escapes instead (\x1b, \n, \u202e).
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * C0 and C1 controls, DEL, line/paragraph separators and bidirectional
 * overrides (which reorder what a reader sees) as visible escapes; every other
 * character is kept. Backslashes are kept as they are.
 */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
