// `vmsec check`: validate files and everything they import, print the problems.
import { version } from '../../../package.json';
import { checkFiles } from './check';
import { formatJson, formatSarif, formatText, locate } from './format-check';
import type { ParsedArgs } from './args';
import { collect, Command, formatOption, InputError, rootOption, unreadable } from './common';
import { escapeControl } from '../model/escape-text';
import { writeStd } from './stdio';

/** What common.ts `write` sends to a terminal: control characters escaped, line by line. */
const terminalText = (text: string) => text.split('\n').map(escapeControl).join('\n') + '\n';

const SYNOPSIS = 'vmsec check PATH... [--format text|json|sarif] [--root DIR]';

function runCheck(p: ParsedArgs): number {
  const format = formatOption(p, 'check', ['text', 'json', 'sarif']);
  const root = rootOption(p);
  const { files: paths, folders } = collect(p.positional, 'check');
  // As `run` does: folders without one .vmsec file are a usage problem (exit 2), not a clean check.
  if (paths.length === 0) throw new InputError(`no .vmsec files in ${folders.join(', ')}`);
  const { files, diagnostics, unreadable: bad } = checkFiles(paths, root);
  const items = locate(files, diagnostics);
  const out = format === 'json' ? formatJson(items) : format === 'sarif' ? formatSarif(items, version) : formatText(items);
  // Straight to the descriptors (stdio.ts): the same bytes as write(process.stdout, …).
  if (out) writeStd('stdout', format === 'text' ? terminalText(out) : out + '\n');
  if (format === 'text') {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    writeStd('stderr', `${files.length} file${files.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  }
  // One unreadable file (a folder's 17 MiB file) does not hide the others' problems: those first, then exit 2.
  if (bad.length) unreadable(bad);
  return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

export const checkCommand: Command = {
  synopsis: SYNOPSIS,
  help: `usage: ${SYNOPSIS}

Parse and validate .vmsec files and every file they import (folders are
searched for .vmsec files).

  --format text|json|sarif  output format (default text)
  --root DIR                checkpoint paths must stay inside DIR (default:
                            the folder of each file)
  --                        end of options: every later argument is a path
  -h, --help                this help

exit 0 no errors (warnings allowed), 1 errors found, 2 misuse, unreadable
input or no .vmsec file in the folders named`,
  options: { format: true, root: true },
  run: runCheck,
};
