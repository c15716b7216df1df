// Where each diagnostic code is explained: shared by the CLI's SARIF output and
// the server's diagnostics (codeDescription), so it lives below both.
export const DOCS_URL = 'https://github.com/vmsec/vmsec/blob/main/docs/language.md';

export function codeHelpUri(code: string): string { return `${DOCS_URL}#${code.toLowerCase()}`; }
