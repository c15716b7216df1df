// `vmsec ckpt` reads no file larger than the limit `run` writes checkpoints
// under (--max-checkpoint-size, default 1 GiB): a larger file is refused
// before it is read, with a message naming the flag that raises the limit.
// Large files here are sparse (truncate), so no real gigabytes are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');

/** Runs the bundled CLI; a hang shows as a failed assertion, not as a hung test run. */
function vmsec(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `vmsec ${args.join(' ')} did not finish (${r.signal})`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A sparse file of `bytes` that starts like a checkpoint. */
function sparse(dir: string, name: string, bytes: number): string {
  const file = join(dir, name);
  writeFileSync(file, 'VMSECCK2');
  truncateSync(file, bytes);
  return file;
}

const GiB = 1024 ** 3;

test('a checkpoint file over the default 1 GiB is refused up front, naming the flag', () => {
  const dir = tempDir('ckpt-limit-');
  sparse(dir, 'huge.ckpt', 4 * GiB);
  const r = vmsec(['ckpt', 'huge.ckpt'], dir);
  assert.equal(r.code, 2);
  assert.equal(r.err, 'vmsec: huge.ckpt is 4 GiB; the limit is 1 GiB (raise it with --max-checkpoint-size)\n');
  assert.equal(r.out, '');
  // The same refusal in JSON mode: nothing on stdout, exit 2.
  const j = vmsec(['ckpt', 'huge.ckpt', '--format', 'json'], dir);
  assert.equal(j.code, 2);
  assert.match(j.err, /limit is 1 GiB/);
  assert.equal(j.out, '');
});

test('exactly 1 GiB is within the default limit; one byte more is not', () => {
  const dir = tempDir('ckpt-limit-');
  sparse(dir, 'edge.ckpt', GiB);
  const atLimit = vmsec(['ckpt', 'edge.ckpt'], dir);
  assert.equal(atLimit.code, 2);
  // Read (and found damaged), not refused for its size.
  assert.doesNotMatch(atLimit.err, /the limit is/);
  assert.match(atLimit.err, /^vmsec: edge\.ckpt is damaged: /m);
  truncateSync(join(dir, 'edge.ckpt'), GiB + 1);
  const over = vmsec(['ckpt', 'edge.ckpt'], dir);
  assert.equal(over.code, 2);
  // Sizes that round alike are shown in bytes.
  assert.equal(over.err, `vmsec: edge.ckpt is ${GiB + 1} bytes; the limit is ${GiB} bytes (raise it with --max-checkpoint-size)\n`);
});

test('--max-checkpoint-size raises the limit (the file is then read) and takes run\'s sizes and messages', () => {
  const dir = tempDir('ckpt-limit-');
  sparse(dir, 'huge.ckpt', 4 * GiB);
  const raised = vmsec(['ckpt', 'huge.ckpt', '--max-checkpoint-size', '5GiB'], dir);
  assert.equal(raised.code, 2);
  assert.doesNotMatch(raised.err, /the limit is/);
  assert.match(raised.err, /^vmsec: huge\.ckpt is damaged: /m);
  assert.equal(vmsec(['ckpt', 'huge.ckpt', '--max-checkpoint-size=4GiB'], dir).err.includes('the limit is'), false);
  const lowered = vmsec(['ckpt', 'huge.ckpt', '--max-checkpoint-size', '500MB'], dir);
  assert.equal(lowered.err, 'vmsec: huge.ckpt is 4 GiB; the limit is 476.8 MiB (raise it with --max-checkpoint-size)\n');
  const notASize = vmsec(['ckpt', 'huge.ckpt', '--max-checkpoint-size', 'lots'], dir);
  assert.equal(notASize.code, 2);
  assert.match(notASize.err, /^vmsec: --max-checkpoint-size lots: not a size; write e\.g\. 500MB or 2GiB$/m);
  assert.match(notASize.err, /^usage: vmsec ckpt FILE \[--format text\|json\] \[--max-checkpoint-size SIZE\]$/m);
  const zero = vmsec(['ckpt', 'huge.ckpt', '--max-checkpoint-size', '0'], dir);
  assert.equal(zero.code, 2);
  assert.match(zero.err, /^vmsec: --max-checkpoint-size 0: must be at least 1 byte and at most 1 TiB$/m);
  assert.match(vmsec(['ckpt', '--help']).out, /--max-checkpoint-size SIZE/);
});

test('a checkpoint run wrote under a limit reads back under the same limit', () => {
  const dir = tempDir('ckpt-limit-');
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'c.vmsec'), 'host h { } vm v on h { memory 16 MiB process s { memory 4 MiB confidential } }\ncheckpoint snap of v { to "out/snap.ckpt" }\nscenario "x" { at 0 ms checkpoint snap }\n');
  const run = vmsec(['run', 'c.vmsec', '--max-checkpoint-size', '64MiB'], dir);
  assert.equal(run.code, 0, run.out + run.err);
  const size = statSync(join(dir, 'out', 'snap.ckpt')).size;
  const same = vmsec(['ckpt', 'out/snap.ckpt', '--max-checkpoint-size', String(size)], dir);
  assert.equal(same.code, 0, same.err);
  assert.match(same.out, /^vmsec-checkpoint\/2: checkpoint snap of vm v/);
  assert.match(same.out, /confidential data in clear: v\/s/);
  const smaller = vmsec(['ckpt', 'out/snap.ckpt', '--max-checkpoint-size', String(size - 1)], dir);
  assert.equal(smaller.code, 2);
  assert.equal(smaller.err, `vmsec: out/snap.ckpt is ${size} bytes; the limit is ${size - 1} bytes (raise it with --max-checkpoint-size)\n`);
});
