// `--max-checkpoint-size SIZE`: the largest checkpoint `run` writes and `ckpt` reads (default 1 GiB).
import { ParsedArgs, UsageError } from './args';
import { MAX_CHECKPOINT_LIMIT, parseSize } from '../model/size-text';
import { formatSize } from '../model/units';
import { DEFAULT_MAX_CHECKPOINT_BYTES } from '../sim/checkpoint';

export function maxCheckpointOption(p: ParsedArgs): number {
  const raw = p.values.get('max-checkpoint-size');
  if (raw === undefined) return DEFAULT_MAX_CHECKPOINT_BYTES;
  const n = parseSize(raw);
  if (n === undefined) throw new UsageError(`--max-checkpoint-size ${raw}: not a size; write e.g. 500MB or 2GiB`);
  if (n < 1 || n > MAX_CHECKPOINT_LIMIT) throw new UsageError(`--max-checkpoint-size ${raw}: must be at least 1 byte and at most ${formatSize(MAX_CHECKPOINT_LIMIT)}`);
  return n;
}
