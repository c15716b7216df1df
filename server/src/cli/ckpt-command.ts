// `vmsec ckpt`: read and verify a checkpoint file, list what is in clear.
import { checkpointReport, formatCheckpoint } from './ckpt';
import { ParsedArgs, UsageError } from './args';
import { Command, formatOption, InputError, write } from './common';
import { maxCheckpointOption } from './checkpoint-size-option';

const SYNOPSIS = 'vmsec ckpt FILE [--format text|json] [--max-checkpoint-size SIZE]';

function runCkpt(p: ParsedArgs): number {
  const format = formatOption(p, 'ckpt', ['text', 'json']);
  const maxBytes = maxCheckpointOption(p);
  if (p.positional.length !== 1) throw new UsageError('ckpt needs exactly one file');
  const r = checkpointReport(p.positional[0], maxBytes);
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

  --format text|json          output format (default text)
  --max-checkpoint-size SIZE  largest file read, e.g. 500MB, 2GiB (default
                              1GiB, as run writes); a larger one is refused
                              before it is read
  --                          end of options
  -h, --help                  this help

exit 0 a whole checkpoint, 2 misuse or a missing, foreign, damaged or too
large file`,
  options: { format: true, 'max-checkpoint-size': true },
  run: runCkpt,
};
