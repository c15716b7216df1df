// `vmsec run --shard i/n --out PART` on four processes, then `vmsec merge`:
// the merged result equals the unsharded run byte for byte, in every format;
// parts that do not belong together are refused with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'vmsec.js');
const SMALL = 'test/fixtures/batch/small-fork.vmsec';
const SEEDS = '1..14';

function vmsec(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the CLI as its own process without waiting (the shards run side by side, as on separate machines). */
function vmsecAsync(args: string[], cwd = ROOT): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd });
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
    assert.ok(readFileSync(parts[i], 'utf8').startsWith('vmsec-partial/2\n'));
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
  // A part in the earlier format is named as such, not called damaged.
  const old = join(dir, 'old');
  writeFileSync(old, 'vmsec-partial/1\n{"inputs":"x"}\n');
  refuse([a1, old], /old was written by an earlier vmsec \(format vmsec-partial\/1\); run its shard again/);
  // A damaged outcome line is named by its line.
  const damaged = join(dir, 'damaged');
  const lines = text.split('\n');
  lines[2] = lines[2].slice(0, -3);
  writeFileSync(damaged, lines.join('\n'));
  refuse([a1, damaged], /damaged line 3: not JSON \(the file is damaged\)/);
  refuse([a1, join(dir, 'missing')], /cannot read .*missing/);
  // Hand-edited parts: a table of the header that is not text, an outcome naming a point the header does not have.
  const edited = (name: string, edit: (lines: string[]) => void) => { const l = text.split('\n'); edit(l); writeFileSync(join(dir, name), l.join('\n')); return join(dir, name); };
  refuse([a1, edited('nullfile', (l) => { const h = JSON.parse(l[1]); h.files = [null]; l[1] = JSON.stringify(h); })], /nullfile line 2: the header lacks inputs, shard, items, files, seeds, variants or its tables/);
  refuse([a1, edited('farpoint', (l) => { const o = JSON.parse(l[2]); o[3] = 7; l[2] = JSON.stringify(o); })], /farpoint line 3: not an item outcome \(bad variant\)/);
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

/** Three shard processes of a sweep, from `cwd`, each with its own args; `codes`: their exit codes. */
async function sweepShards(dir: string, args: string[], cwds: string[] = [ROOT, ROOT, ROOT], files: string[] = [SMALL, SMALL, SMALL], codes: (number | null)[] = []): Promise<string[]> {
  const parts = [1, 2, 3].map((i) => join(dir, `sweep-${i}.part`));
  const runs = await Promise.all(parts.map((part, i) => vmsecAsync(['sweep', files[i], ...args, '--shard', `${i + 1}/3`, '--out', part], cwds[i])));
  for (const [i, r] of runs.entries()) {
    assert.ok(r.code === 0 || r.code === 1, r.err);
    // An ablation's shard also says how its runs of the files as written went (they decide its exit code).
    assert.match(r.out, new RegExp(`^vmsec: sweep shard ${i + 1}/3: \\d+ of \\d+ runs, \\d+ passed, \\d+ failed( \\(as written: (\\d+ of \\d+ passed|none in this shard)\\))?; partial result written to`));
    codes.push(r.code);
  }
  return parts;
}

test('three sweep shard processes merged print what the unsharded sweep prints, in text, json and html', async () => {
  const dir = tempDir('sweep-shards-');
  const args = ['--vary', 'f.children=1,2', '--metric', 'ready_ms', '--metric', 'pages_rejected', '--metric', 'pass_rate', '--seeds', '1..4'];
  const parts = await sweepShards(dir, args);
  for (const format of ['text', 'json', 'html']) {
    const whole = vmsec(['sweep', SMALL, ...args, '--format', format]);
    const merged = vmsec(['merge', parts[1], parts[2], parts[0], '--format', format]);
    assert.equal(merged.code, whole.code, merged.err);
    assert.equal(merged.out, whole.out, format);
  }
  assert.match(vmsec(['merge', ...parts]).out, /^vmsec sweep of test\/fixtures\/batch\/small-fork\.vmsec: f\.children \(2\), 2 points, seeds 1\.\.4, 8 runs\n/);
  // A sweep's parts have no JUnit or SARIF form.
  const junit = vmsec(['merge', ...parts, '--format', 'junit']);
  assert.equal(junit.code, 2);
  assert.match(junit.err, /the parts are of a sweep, which merges as text, json or html/);
  // Merged to a file, as the sweep writes it.
  const out = join(dir, 'merged.json');
  const w = vmsec(['merge', ...parts, '--format', 'json', '--out', out]);
  assert.ok(w.code === 0 || w.code === 1, w.err);
  assert.equal(readFileSync(out, 'utf8'), vmsec(['sweep', SMALL, ...args, '--format', 'json']).out);
});

test('three ablation shard processes merged print what the unsharded ablation prints; each shard exits as the ablation does', async () => {
  const dir = tempDir('ablate-shards-');
  const args = ['--ablate', '--seeds', '1..3'];
  const codes: (number | null)[] = [];
  const parts = await sweepShards(dir, args, undefined, undefined, codes);
  for (const format of ['text', 'json']) {
    const whole = vmsec(['sweep', SMALL, ...args, '--format', format]);
    const merged = vmsec(['merge', ...parts, '--format', format]);
    assert.equal(merged.code, whole.code, merged.err);
    assert.equal(merged.out, whole.out, format);
  }
  // As written every seed passes (exit 0), though runs without integrity fail in every shard: those do not fail a shard either.
  assert.equal(vmsec(['sweep', SMALL, ...args]).code, 0);
  assert.deepEqual(codes, [0, 0, 0]);
  for (const part of parts) assert.match(readFileSync(part, 'utf8'), /\n\[\d+,0,0,2,\d,0,/);
  assert.match(vmsec(['merge', ...parts]).out, /^vmsec sweep --ablate of test\/fixtures\/batch\/small-fork\.vmsec: \d+ defences?, seeds 1\.\.3\n/);
});

test('a sweep shard made from another folder with a relative path merges with shards made from the repository root', async () => {
  const dir = tempDir('sweep-cwd-');
  const args = ['--vary', 'f.children=1,2', '--metric', 'ready_ms', '--seeds', '1..3'];
  // Shard 2 runs in test/fixtures (as a CI machine that checked out elsewhere and changed folder would).
  const fixtures = join(ROOT, 'test', 'fixtures');
  const parts = await sweepShards(dir, args, [ROOT, fixtures, ROOT], [SMALL, 'batch/small-fork.vmsec', SMALL]);
  const merged = vmsec(['merge', ...parts, '--format', 'json']);
  const whole = vmsec(['sweep', SMALL, ...args, '--format', 'json']);
  assert.equal(merged.code, whole.code, merged.err);
  assert.equal(merged.out, whole.out);
  // The same for vmsec run: a part from the other folder joins the others under the first part's file name.
  const runParts = [1, 2].map((i) => join(dir, `run-${i}.part`));
  assert.ok([0, 1].includes(vmsec(['run', SMALL, '--seeds', '1..4', '--shard', '1/2', '--out', runParts[0]]).code!));
  assert.ok([0, 1].includes(vmsec(['run', 'batch/small-fork.vmsec', '--seeds', '1..4', '--shard', '2/2', '--out', runParts[1]], fixtures).code!));
  const runMerged = vmsec(['merge', ...runParts, '--format', 'json']);
  assert.equal(runMerged.out, vmsec(['run', SMALL, '--seeds', '1..4', '--format', 'json']).out, runMerged.err);
});

test('merge refuses run and sweep parts together, parts of different sweeps, and missing or repeated sweep shards', async () => {
  const dir = tempDir('sweep-bad-');
  const parts = await sweepShards(dir, ['--vary', 'f.children=1,2', '--seeds', '1..2']);
  const other = join(dir, 'other.part');
  assert.ok([0, 1].includes(vmsec(['sweep', SMALL, '--vary', 'f.children=1,3', '--seeds', '1..2', '--shard', '3/3', '--out', other]).code!));
  const otherMetric = join(dir, 'metric.part');
  assert.ok([0, 1].includes(vmsec(['sweep', SMALL, '--vary', 'f.children=1,2', '--seeds', '1..2', '--metric', 'ready_ms', '--shard', '3/3', '--out', otherMetric]).code!));
  const run = join(dir, 'run.part');
  assert.ok([0, 1].includes(vmsec(['run', SMALL, '--seeds', '1..3', '--shard', '3/3', '--out', run]).code!));
  const refuse = (list: string[], message: RegExp) => {
    const r = vmsec(['merge', ...list]);
    assert.equal(r.code, 2, `${list.join(' ')}: ${r.out}`);
    assert.match(r.err, message);
    assert.equal(r.out, '');
  };
  refuse([parts[0], parts[1], run], /run\.part is a part of vmsec run --shard and .*sweep-1\.part is a part of vmsec sweep --shard: merge the parts of one run or one sweep/);
  refuse([parts[0], parts[1], other], /other\.part is a part of a different sweep than .*sweep-1\.part/);
  refuse([parts[0], parts[1], otherMetric], /metric\.part is a part of a different sweep/);
  refuse([parts[0], parts[2]], /cannot merge: shard 2 of 3 is missing/);
  refuse([parts[0], parts[1], parts[2], parts[1]], /shard 2\/3 is given twice/);
  // Usage: --shard needs --out; a shard has no --format.
  const noOut = vmsec(['sweep', SMALL, '--vary', 'f.children=1,2', '--shard', '1/2']);
  assert.equal(noOut.code, 2);
  assert.match(noOut.err, /--shard needs --out PART/);
  const bad = vmsec(['sweep', SMALL, '--vary', 'f.children=1,2', '--shard', '0/2', '--out', join(dir, 'x')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--shard 0\/2: shards are numbered 1 to 2/);
});

test('shards replaying a trace log merge when given the same log by another path, and are refused with another log', () => {
  const dir = tempDir('trace-shards-');
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  writeFileSync(join(dir, 't.vmsec'), `host h { }
vm v on h { process nginx { } }
monitor m for v { rule etc on open, openat when filePrefix(0, "/etc/") then deny(13) }
scenario "traced" { expect m denies > 0 }
`);
  const log = readFileSync(join(ROOT, 'test', 'fixtures', 'strace', 'hand.log'), 'utf8');
  writeFileSync(join(dir, 'web.log'), log);
  // The same bytes under another name in another folder.
  writeFileSync(join(sub, 'copy.log'), log);
  // Another log: one call fewer.
  writeFileSync(join(sub, 'other.log'), log.split('\n').filter((l) => !l.includes('/etc/shadow')).join('\n'));
  const part = (name: string, shard: string, trace: string, cwd: string, file: string) => {
    const out = join(dir, name);
    const r = vmsec(['run', file, '--seeds', '1..4', '--shard', shard, '--trace', trace, '--out', out], cwd);
    assert.equal(r.code, 0, r.err);
    return out;
  };
  const p1 = part('p1', '1/2', 'v=web.log', dir, 't.vmsec');
  const p2 = part('p2', '2/2', 'v=copy.log', sub, '../t.vmsec');
  // Merged where the file is, as the unsharded run (merge names files from where it runs).
  const merged = vmsec(['merge', p1, p2, '--format', 'json'], dir);
  assert.equal(merged.code, 0, merged.err);
  assert.equal(merged.out, vmsec(['run', 't.vmsec', '--seeds', '1..4', '--trace', 'v=web.log', '--format', 'json'], dir).out);
  const q2 = part('q2', '2/2', 'v=other.log', sub, '../t.vmsec');
  const refused = vmsec(['merge', p1, q2]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /q2 is a result of different inputs than .*p1/);
});

test('merged in another folder than the shards ran in, the files and reproduce commands are named from there', () => {
  const dir = tempDir('merge-elsewhere-');
  const parts = ['1/2', '2/2'].map((sh, i) => {
    const part = join(dir, `p${i + 1}`);
    const r = vmsec(['run', SMALL, '--seeds', SEEDS, '--shard', sh, '--out', part]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    return part;
  });
  // From the parts' folder, the file is outside the working folder: named by its absolute path, which works from here.
  const abs = join(ROOT, SMALL);
  const merged = vmsec(['merge', 'p1', 'p2', '--format', 'json'], dir);
  assert.equal(merged.code, 1, merged.err);
  assert.equal(merged.err, '');
  const j = JSON.parse(merged.out);
  assert.deepEqual(j.files, [abs]);
  assert.equal(j.scenarios[0].reproduce, `vmsec run ${abs} --scenario 'fork under tampering' --seed 11`);
  // ... and equals the unsharded run made from the same folder.
  assert.equal(merged.out, vmsec(['run', abs, '--seeds', SEEDS, '--format', 'json'], dir).out);
  // From a subfolder of the repository, relative to it.
  const sub = join(ROOT, 'test', 'fixtures');
  const text = vmsec(['merge', ...parts], sub);
  assert.match(text.out, /^batch\/small-fork\.vmsec\n/);
  assert.match(text.out, /\n {6}reproduce: vmsec run batch\/small-fork\.vmsec --scenario 'fork under tampering' --seed 11\n/);
  assert.equal(text.out, vmsec(['run', 'batch/small-fork.vmsec', '--seeds', SEEDS], sub).out);
  // A part made on another machine (its folder is not here): names kept, and stderr says from which folder they are.
  const moved = join(dir, 'moved');
  writeFileSync(moved, readFileSync(parts[0], 'utf8').replace('"cwd":"', '"cwd":"/nonexistent'));
  const far = vmsec(['merge', moved, parts[1], '--format', 'json'], dir);
  assert.equal(far.code, 1, far.err);
  assert.deepEqual(JSON.parse(far.out).files, [SMALL]);
  assert.equal(far.err, `vmsec: ${SMALL} is not in /nonexistent${ROOT}, where moved was made; the reproduce commands name it from that folder\n`);
});

test('merge refuses a part whose outcome is not the run of its item (hand-edited seed, point or scenario), naming part, line and item', () => {
  const dir = tempDir('merge-items-');
  const TWO = `${readFileSync(join(ROOT, SMALL), 'utf8')}\nscenario "second" {\n  at 0 ms fork f\n  expect f ready within 1 s\n}\n`;
  writeFileSync(join(dir, 'two.vmsec'), TWO);
  const part = (name: string, args: string[]) => {
    const file = join(dir, name);
    const r = vmsec(['run', 'two.vmsec', ...args, '--out', file], dir);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    return file;
  };
  const a1 = part('a1', ['--seeds', '1..4', '--shard', '1/2']);
  const a2 = part('a2', ['--seeds', '1..4', '--shard', '2/2']);
  const edit = (from: string, name: string, change: (o: unknown[]) => void) => {
    const l = readFileSync(from, 'utf8').split('\n');
    const o = JSON.parse(l[3]);
    change(o);
    l[3] = JSON.stringify(o);
    writeFileSync(join(dir, name), l.join('\n'));
    return join(dir, name);
  };
  const refuse = (parts: string[], message: string) => {
    const r = vmsec(['merge', ...parts], dir);
    assert.equal(r.code, 2, r.out);
    assert.equal(r.err, `vmsec: cannot merge: ${message}\n`);
    assert.equal(r.out, '');
  };
  // Line 4 of a2 is item 3: seed 4 of "fork under tampering".
  refuse([a1, edit(a2, 'seed', (o) => { o[4] = 9; })], 'seed line 4: item 3 has seed 9, but item 3 of seeds 1..4 runs with seed 4');
  // Item 3 said to be of the other scenario, which a1's items put at number 2.
  refuse([a1, edit(a2, 'scenario', (o) => { o[2] = 1; })], 'scenario line 4: item 3 is scenario "second" of two.vmsec, but other items of its number are scenario "fork under tampering"');
  // Unedited, the parts merge.
  assert.equal(vmsec(['merge', a1, a2], dir).code, 0);
  // With seeds as declared, every item of a scenario has its one seed.
  const d1 = part('d1', ['--jobs', '1', '--shard', '1/1']);
  const l = readFileSync(d1, 'utf8').split('\n');
  assert.equal(l.length, 6);
  refuse([edit(d1, 'declared', (o) => { o[2] = 0; o[4] = 5; })], 'declared line 4: item 1 is scenario "fork under tampering" of two.vmsec, which other items put elsewhere in the order (item 1 is of scenario number 2, they of number 1)');
});

test('--seeds JSON gives what a check saw as run does: a count is a number, in the merge too', () => {
  const whole = vmsec(['run', SMALL, '--seeds', SEEDS, '--format', 'json']);
  const failing = JSON.parse(whole.out).scenarios[0].expectations.find((e: { line: number }) => e.line === 33).failing;
  assert.ok(failing.length > 0);
  const one = JSON.parse(vmsec(['run', SMALL, '--seed', String(failing[0].seed), '--format', 'json']).out);
  const seen = one.scenarios[0].expectations.find((e: { line: number }) => e.line === 33).actual;
  assert.equal(typeof seen, 'number');
  assert.deepEqual(failing[0], { seed: failing[0].seed, actual: seen });
  // The partials carry it as a number: merged shards still equal the whole run byte for byte.
  const dir = tempDir('actual-');
  const parts = ['1/2', '2/2'].map((sh, i) => { const p = join(dir, `p${i}`); vmsec(['run', SMALL, '--seeds', SEEDS, '--shard', sh, '--out', p]); return p; });
  assert.equal(vmsec(['merge', ...parts, '--format', 'json']).out, whole.out);
});
