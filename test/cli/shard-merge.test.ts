// `vmsec run --shard i/n --out PART` on four processes, then `vmsec merge`:
// the merged result equals the unsharded run byte for byte, in every format;
// parts that do not belong together are refused with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'vmsec.js');
const SMALL = 'test/fixtures/batch/small-fork.vmsec';
const SEEDS = '1..14';

function vmsec(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the CLI as its own process without waiting (the shards run side by side, as on separate machines). */
function vmsecAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let out = ''; let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

test('four shard processes merged equal the unsharded run byte for byte, in every format', async () => {
  const dir = tempDir('shards-');
  const parts = [1, 2, 3, 4].map((i) => join(dir, `part-${i}.jsonl`));
  const shards = await Promise.all(parts.map((part, i) => vmsecAsync(['run', SMALL, '--seeds', SEEDS, '--shard', `${i + 1}/4`, '--out', part])));
  for (const [i, s] of shards.entries()) {
    assert.ok(s.code === 0 || s.code === 1, s.err);
    assert.match(s.out, new RegExp(`shard ${i + 1}/4: ${i < 2 ? 4 : 3} of 14 runs`));
    assert.ok(readFileSync(parts[i], 'utf8').startsWith('vmsec-partial/1\n'));
  }
  for (const format of ['json', 'junit', 'text']) {
    const whole = vmsec(['run', SMALL, '--seeds', SEEDS, '--format', format]);
    // Parts in any order.
    const merged = vmsec(['merge', parts[2], parts[0], parts[3], parts[1], '--format', format]);
    assert.equal(merged.code, whole.code, merged.err);
    assert.equal(merged.out, whole.out, format);
  }
  // SARIF and HTML from the merge, also to a file.
  const sarif = vmsec(['merge', ...parts, '--format', 'sarif']);
  const results = JSON.parse(sarif.out).runs[0].results;
  assert.ok(results.length >= 1);
  assert.deepEqual(results[0].locations[0].physicalLocation, { artifactLocation: { uri: 'test/fixtures/batch/small-fork.vmsec', uriBaseId: '%SRCROOT%' }, region: { startLine: 33 } });
  assert.match(results[0].message.text, /expect f pages rejected > 0 failed in \d+ of 14 runs .*seeds 11, 14.*reproduce with vmsec run/);
  const html = join(dir, 'merged.html');
  const h = vmsec(['merge', ...parts, '--format', 'html', '--out', html]);
  assert.equal(h.code, 1, h.err);
  assert.match(h.err, /14 runs, \d+ passed, \d+ failed; written to/);
  assert.match(readFileSync(html, 'utf8'), /aria-label="histogram of bytes_sent"/);
});

test('merge refuses missing, duplicate, foreign, cut-short and mismatched parts', () => {
  const dir = tempDir('merge-bad-');
  const part = (name: string, args: string[]) => {
    const file = join(dir, name);
    const r = vmsec(['run', SMALL, ...args, '--out', file]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    return file;
  };
  const a1 = part('a1', ['--seeds', '1..3', '--shard', '1/2']);
  const a2 = part('a2', ['--seeds', '1..3', '--shard', '2/2']);
  const b2 = part('b2', ['--seeds', '1..4', '--shard', '2/2']);
  const c1 = part('c1', ['--seeds', '1..3', '--shard', '1/3']);
  const refuse = (parts: string[], message: RegExp) => {
    const r = vmsec(['merge', ...parts]);
    assert.equal(r.code, 2, `${parts.join(' ')}: ${r.out}`);
    assert.match(r.err, message);
    assert.equal(r.out, '');
  };
  refuse([a1], /cannot merge: shard 2 of 2 is missing/);
  refuse([a1, a1, a2], /shard 1\/2 is given twice/);
  refuse([a1, b2], /b2 is a result of different inputs than .*a1/);
  refuse([a1, c1], /c1 is shard 1\/3, .*a1 is 1\/2: the shard counts differ/);
  const cut = join(dir, 'cut');
  const text = readFileSync(a2, 'utf8');
  writeFileSync(cut, text.slice(0, text.indexOf('{"end"')));
  refuse([a1, cut], /cut has no end line: it is incomplete/);
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'hello\n');
  refuse([a1, notes], /notes\.txt is not a vmsec partial result/);
  refuse([a1, join(dir, 'missing')], /cannot read .*missing/);
  const usage = vmsec(['merge']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /merge needs the partial results/);
  // The partial of a shard never replaces a file vmsec did not write.
  const r = vmsec(['run', SMALL, '--seeds', '1..3', '--shard', '1/2', '--out', notes]);
  assert.equal(r.code, 2);
  assert.match(r.err, /notes\.txt already exists and was not written by vmsec/);
  assert.equal(readFileSync(notes, 'utf8'), 'hello\n');
  // merge --out replaces its own JSON, not a foreign file.
  const out = join(dir, 'merged.json');
  assert.equal(vmsec(['merge', a1, a2, '--format', 'json', '--out', out]).code, 0);
  assert.equal(vmsec(['merge', a1, a2, '--format', 'json', '--out', out]).code, 0);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).runs, 3);
  assert.equal(vmsec(['merge', a1, a2, '--format', 'json', '--out', notes]).code, 2);
});
