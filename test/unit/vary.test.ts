// `--vary` paths: what each names in the files (exact spans or an insertion
// point), wrong paths as located errors with a suggestion, values checked
// with the language's own messages, and the grid and its seeded samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Workspace, type FileSet } from '../../server/src/model/workspace';
import { validateFiles } from '../../server/src/validation/validate-files';
import { Grid, parseVaryArg, resolveAxes, resolvePath, VaryUsageError } from '../../server/src/batch/vary';
import { applyEdits } from '../../server/src/batch/sweep-edits';

const MAIN = `import "infra.vmsec"
vm web on h1 {
  memory 64 MiB
  vtpm
  process app { memory 8 MiB }
}
fork f of web {
  children 2
  on h2
  integrity batched 64
}
monitor guard for web { rule r on open then deny(13) }
attacker eve { tamper h1 <-> h2 5% }
scenario "s" { at 0 ms fork f expect f ready within 10 s }
`;
const INFRA = `host h1 { memory 16 GiB tpm ecdsa-p256 }
host h2 { memory 16 GiB tpm ecdsa-p256 }
link h1 <-> h2 { bandwidth 1 Gbps }
`;

function fileSet(files: Record<string, string> = { '/w/main.vmsec': MAIN, '/w/infra.vmsec': INFRA }): FileSet {
  const ws = new Workspace({ read: (p) => (p in files ? { ok: true, text: files[p] } : { ok: false, error: 'does not exist' }) });
  return ws.fileSet('/w/main.vmsec')!;
}
const set = fileSet();
const textOf = (path: string) => set.files.find((f) => f.path === path)!.text;

function valueText(path: string): { file: string; text: string | undefined } {
  const r = resolvePath(set, path);
  assert.ok(r.ok, r.ok ? '' : r.problem.message);
  const t = r.target;
  return { file: t.file.path, text: t.valueSpan ? t.file.text.slice(t.valueSpan.start, t.valueSpan.end) : undefined };
}

test('paths name the exact value in the file that declares it', () => {
  assert.deepEqual(valueText('f.children'), { file: '/w/main.vmsec', text: '2' });
  assert.deepEqual(valueText('f.integrity'), { file: '/w/main.vmsec', text: 'batched 64' });
  assert.deepEqual(valueText('f.on'), { file: '/w/main.vmsec', text: 'h2' });
  assert.deepEqual(valueText('web.memory'), { file: '/w/main.vmsec', text: '64 MiB' });
  assert.deepEqual(valueText('web.app.memory'), { file: '/w/main.vmsec', text: '8 MiB' });
  assert.deepEqual(valueText('eve.tamper'), { file: '/w/main.vmsec', text: '5%' });
  assert.deepEqual(valueText('eve.tamper.h2-h1'), { file: '/w/main.vmsec', text: '5%' });
  // Declared in the imported file: the edit goes there.
  assert.deepEqual(valueText('h1.memory'), { file: '/w/infra.vmsec', text: '16 GiB' });
  assert.deepEqual(valueText('link.h1-h2.bandwidth'), { file: '/w/infra.vmsec', text: '1 Gbps' });
  assert.deepEqual(valueText('link.h2-h1.bandwidth'), { file: '/w/infra.vmsec', text: '1 Gbps' });
  // Absent, with a default: no value span, added on its own line's end when varied.
  assert.deepEqual(valueText('link.h1-h2.latency'), { file: '/w/infra.vmsec', text: undefined });
});

test('each value becomes an edit that validates, keeps every line where it was, and reads back as that value', () => {
  const args = ['f.children=1,4', 'link.h1-h2.latency=1ms,5ms', 'f.encrypt=on,off', 'web.vtpm=on', 'f.on=h2,h1+h2'].map(parseVaryArg);
  const { axes, problems } = resolveAxes(set, args);
  assert.deepEqual(problems.map((p) => p.message), []);
  const grid = new Grid(axes);
  assert.equal(grid.size, 16);
  const p = grid.point(grid.size - 1);
  assert.deepEqual(p.values, { 'f.children': '4', 'link.h1-h2.latency': '5ms', 'f.encrypt': 'off', 'web.vtpm': 'on', 'f.on': 'h1+h2' });
  const byPath = new Map<string, string>();
  for (const f of set.files) byPath.set(f.path, applyEdits(f.text, p.edits.filter((e) => e.path === f.path)));
  const main = byPath.get('/w/main.vmsec')!;
  const infra = byPath.get('/w/infra.vmsec')!;
  assert.match(main, /children 4\n/);
  assert.match(main, /on h1, h2\n/);
  assert.match(infra, /link h1 <-> h2 \{ bandwidth 1 Gbps  latency 5ms \}\n/);
  assert.equal(main.split('\n').length, MAIN.split('\n').length);
  assert.equal(infra.split('\n').length, INFRA.split('\n').length);
  // f.encrypt=on at the first point adds the flag; web.vtpm=on is already there: no edit.
  const first = grid.point(0);
  const firstMain = applyEdits(MAIN, first.edits.filter((e) => e.path === '/w/main.vmsec'));
  assert.match(firstMain, /integrity batched 64\n encrypt }/);
  assert.equal((firstMain.match(/vtpm/g) ?? []).length, 1);
  const edited = fileSet({ '/w/main.vmsec': main, '/w/infra.vmsec': infra });
  const v = validateFiles(new Workspace({ read: (path) => ({ ok: true, text: path === '/w/main.vmsec' ? main : infra }) }), [edited.root.path]);
  assert.deepEqual(v.diagnostics.filter((d) => d.severity === 'error'), []);
});

test('a wrong path is a located error with a did-you-mean', () => {
  const cases: [string, string, string | undefined][] = [
    ['f.childs=8', "--vary f.childs=8: no property 'childs' on fork f (did you mean children?)", 'main.vmsec:7:6'],
    ['g.children=8', "--vary g.children=8: no declaration named 'g' (did you mean f?)", undefined],
    ['web.ap.memory=1MiB', "--vary web.ap.memory=1MiB: no process 'ap' in vm web (did you mean app?)", 'main.vmsec:2:4'],
    ['link.h1-h3.bandwidth=1Gbps', '--vary link.h1-h3.bandwidth=1Gbps: no link h1-h3 (did you mean h1-h2?)', undefined],
    ['eve.drop=1%', '--vary eve.drop=1%: attacker eve has no drop action; name its target to add one, e.g. eve.drop.NETWORK', 'main.vmsec:13:10'],
    ['f=1', "--vary f=1: 'f' has 1 parts; a fork path is f.PROPERTY", 'main.vmsec:7:6'],
  ];
  for (const [arg, message, where] of cases) {
    const { problems } = resolveAxes(set, [parseVaryArg(arg)]);
    assert.equal(problems.length, 1, arg);
    assert.equal(problems[0].message, message);
    const at = problems[0].at;
    const got = at ? `${at.file.path.slice(3)}:${at.file.lines.position(at.span.start).line + 1}:${at.file.lines.position(at.span.start).character + 1}` : undefined;
    assert.equal(got, where, arg);
  }
});

test('an out-of-range value gets the language\'s VMS003 message at the value', () => {
  const { problems, axes } = resolveAxes(set, [parseVaryArg('f.children=2,0'), parseVaryArg('web.memory=1001 KiB')]);
  assert.deepEqual(axes, []);
  // The same message `vmsec check` gives for the file written that way.
  const written = MAIN.replace('children 2', 'children 0');
  const ws = new Workspace({ read: (p) => ({ ok: true, text: p === '/w/main.vmsec' ? written : INFRA }) });
  const direct = validateFiles(ws, ['/w/main.vmsec']).diagnostics.find((d) => d.code === 'VMS003')!;
  assert.equal(problems[0].message, `--vary f.children=0: VMS003 ${direct.message}`);
  const pos = problems[0].at!.file.lines.position(problems[0].at!.span.start);
  assert.deepEqual([pos.line + 1, pos.character + 1], [8, 12]);
  assert.match(problems[1].message, /^--vary web.memory=1001 KiB: VMS003 .*multiple of 4 KiB/);
});

test('a value that is more than one value, a flag value and misused flags are refused', () => {
  const { problems } = resolveAxes(set, [parseVaryArg('f.children=2 encrypt'), parseVaryArg('f.encrypt=yes'), parseVaryArg('f.disk=lazy } host x {')]);
  assert.deepEqual(problems.map((p) => p.message), [
    "--vary f.children=2 encrypt: '2 encrypt' is not a single value of children",
    "--vary f.encrypt=yes: encrypt is a flag: its values are on and off; found 'yes'",
    "--vary f.disk=lazy } host x {: 'lazy } host x {' is not a single value",
  ]);
  assert.throws(() => parseVaryArg('f.children'), VaryUsageError);
  assert.throws(() => parseVaryArg('f.children=1,,2'), VaryUsageError);
  assert.throws(() => parseVaryArg('f.children=1,1'), /given twice/);
  assert.match(resolveAxes(set, [parseVaryArg('f.children=1'), parseVaryArg('f.children=2')]).problems[0].message, /varied twice/);
});

/** The errors `vmsec check` reports for the files at a grid point. */
function pointErrors(of: FileSet, grid: Grid, index: number): string[] {
  const p = grid.point(index);
  const texts = new Map(of.files.map((f) => [f.path, applyEdits(f.text, p.edits.filter((e) => e.path === f.path))]));
  const ws = new Workspace({ read: (path) => (texts.has(path) ? { ok: true, text: texts.get(path)! } : { ok: false, error: 'does not exist' }) });
  return validateFiles(ws, ['/w/main.vmsec']).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

test('a value that fits only with another axis\'s value is not refused: the grid point that does not fit fails on its own', () => {
  // 64 children of a 1-vcpu vm need 64 cpus on h2: VMS014 with h2's 8, fine with h2.cpus=64.
  const tight = fileSet({ '/w/main.vmsec': MAIN, '/w/infra.vmsec': INFRA.replace('host h2 {', 'host h2 { cpus 8') });
  const alone = resolveAxes(tight, [parseVaryArg('f.children=2,64')]);
  assert.deepEqual(alone.problems, []);
  assert.deepEqual(alone.axes.map((a) => a.values), [['2', '64']]);
  const { axes, problems } = resolveAxes(tight, [parseVaryArg('f.children=2,64'), parseVaryArg('h2.cpus=8,64')]);
  assert.deepEqual(problems, []);
  const grid = new Grid(axes);
  assert.deepEqual([0, 1, 2, 3].map((i) => grid.point(i).id), ['f.children=2,h2.cpus=8', 'f.children=2,h2.cpus=64', 'f.children=64,h2.cpus=8', 'f.children=64,h2.cpus=64']);
  // Only 64 × 8 does not validate, and for the combination's reason.
  assert.deepEqual([0, 1, 2, 3].map((i) => pointErrors(tight, grid, i)), [[], [], ['VMS014'], []]);
});

test('children that fit only a larger subnet, varied with the subnet: the /24 point fails on its own', () => {
  const roomy = fileSet({ '/w/main.vmsec': MAIN, '/w/infra.vmsec': INFRA.replace('host h2 { memory 16 GiB', 'host h2 { memory 64 GiB') });
  const { axes, problems } = resolveAxes(roomy, [parseVaryArg('f.children=2,300'), parseVaryArg('web.subnet=10.0.0.0/24,10.0.0.0/16')]);
  assert.deepEqual(problems, []);
  const grid = new Grid(axes);
  assert.deepEqual([0, 1, 2, 3].map((i) => pointErrors(roomy, grid, i)), [[], [], ['VMS003'], []]);
});

test('what is wrong with the value itself is reported before what the combination would say', () => {
  // Each of these would also overfill h2 (VMS014); the value's own problem is the one reported.
  const tight = fileSet({ '/w/main.vmsec': MAIN, '/w/infra.vmsec': INFRA.replace('host h2 {', 'host h2 { cpus 8') });
  const { problems } = resolveAxes(tight, [parseVaryArg('f.children=64 encrypt'), parseVaryArg('f.on=h2+h9'), parseVaryArg('h2.cpus=1,8 GiB')]);
  assert.equal(problems.length, 3);
  assert.equal(problems[0].message, "--vary f.children=64 encrypt: '64 encrypt' is not a single value of children");
  assert.match(problems[1].message, /^--vary f\.on=h2\+h9: VMS001 host 'h9' is not declared/);
  const at = problems[1].at!;
  assert.equal(at.file.text.slice(at.span.start, at.span.end), 'h9');
  // cpus 1 leaves two children without room (VMS014): that is a point's failure, not a problem; `8 GiB` is never cpus.
  assert.match(problems[2].message, /^--vary h2\.cpus=8 GiB: VMS003 .*whole number/);
});

test('a wrong attacker property lists every property a sweep can vary on it, its actions included', () => {
  const { problems } = resolveAxes(set, [parseVaryArg('eve.flood=5%')]);
  assert.deepEqual(problems.map((p) => p.message), ["--vary eve.flood=5%: no property 'flood' on attacker eve; it has tenant, tamper, drop, replay"]);
  assert.match(resolveAxes(set, [parseVaryArg('eve.tampr=5%')]).problems[0].message, /\(did you mean tamper\?\)$/);
});

test('the grid is the product in argument order; samples are seeded, distinct and in grid order', () => {
  const { axes } = resolveAxes(set, [parseVaryArg('f.children=1,2,3'), parseVaryArg('link.h1-h2.bandwidth=1Gbps,10Gbps')]);
  const grid = new Grid(axes);
  assert.deepEqual(grid.indices().map((i) => grid.point(i).id), [
    'f.children=1,link.h1-h2.bandwidth=1Gbps', 'f.children=1,link.h1-h2.bandwidth=10Gbps',
    'f.children=2,link.h1-h2.bandwidth=1Gbps', 'f.children=2,link.h1-h2.bandwidth=10Gbps',
    'f.children=3,link.h1-h2.bandwidth=1Gbps', 'f.children=3,link.h1-h2.bandwidth=10Gbps',
  ]);
  const a = grid.indices(4, 1);
  assert.deepEqual(a, grid.indices(4, 1));
  assert.equal(new Set(a).size, 4);
  assert.deepEqual(a, [...a].sort((x, y) => x - y));
  assert.ok(a.every((i) => i >= 0 && i < 6));
  assert.equal(grid.indices(10).length, 6);
  // A large grid is sampled without listing it.
  const big = new Grid([{ ...axes[0], values: Array.from({ length: 1000 }, (_, i) => String(i + 1)), edits: [] }, { ...axes[1], values: Array.from({ length: 1000 }, (_, i) => `${i + 1}Mbps`), edits: [] }]);
  const s = big.indices(5, 3);
  assert.equal(s.length, 5);
  assert.deepEqual(s, big.indices(5, 3));
  assert.notDeepEqual(s, big.indices(5, 4));
  assert.deepEqual(big.coordinates(999_999), [999, 999]);
});

test('textOf is unchanged: resolving never edits the files', () => {
  assert.equal(textOf('/w/main.vmsec'), MAIN);
});
