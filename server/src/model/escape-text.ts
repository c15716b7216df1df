// Text taken from a file (names in a checkpoint, scenario titles) is printed
// to a terminal: control characters in it could move the cursor, change
// colours or hide text, so they are shown as escapes instead (\x1b, \n, \u202e).
// A newline matters most: kept, it would start a line of the attacker's
// choosing (a forged diagnostic or PASS line that CI and reviewers trust).
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * C0 and C1 controls (newline and carriage return included), DEL,
 * line/paragraph separators and bidirectional overrides (which reorder what a
 * reader sees) as visible escapes; every other character is kept. Backslashes
 * are kept as they are. The result is one line, and escaping it again changes
 * nothing.
 */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const ONE_CONTROL = new RegExp(CONTROL.source);

/** Whether `s` holds a character escapeControl would escape. */
export function hasControl(s: string): boolean {
  return ONE_CONTROL.test(s);
}

/**
 * Text output made of records (a diagnostic, a step, a table row), one line
 * each: every record is escaped whole, so a newline inside a value shows as
 * `\n` instead of starting a line that looks like another record.
 */
export function recordLines(records: readonly string[]): string {
  return records.map(escapeControl).join('\n');
}
