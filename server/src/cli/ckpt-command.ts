// `vmsec ckpt`: read and verify a checkpoint file, list what is in clear.
import { checkpointReport, formatCheckpoint } from './ckpt';
import { ParsedArgs, UsageError } from './args';
import { Command, formatOption, InputError, write } from './common';

const SYNOPSIS = 'vmsec ckpt FILE [--format text|json]';

function runCkpt(p: ParsedArgs): number {
  const format = formatOption(p, 'ckpt', ['text', 'json']);
  if (p.positional.length !== 1) throw new UsageError('ckpt needs exactly one file');
  const r = checkpointReport(p.positional[0]);
  if (!r.ok) throw new InputError(r.error);
  if (format === 'json') process.stdout.write(JSON.stringify(r.report, null, 2) + '\n');
  else write(process.stdout, formatCheckpoint(r.report));
  return 0;
}

export const ckptCommand: Command = {
  synopsis: SYNOPSIS,
  help: `usage: ${SYNOPSIS}

Read a checkpoint file, verify it (schema and digests), and list the
processes whose memory is in it in clear.

  --format text|json  output format (default text)
  --                  end of options
  -h, --help          this help

exit 0 a whole checkpoint, 2 misuse or a missing, foreign or damaged file`,
  options: { format: true },
  run: runCkpt,
};
