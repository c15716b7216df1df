import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { memoryWorkspace, ROOT } from '../helpers';
import { buildNamespace } from '../../server/src/model/symbols';
import { collectReferences } from '../../server/src/model/references';
import { buildModel, placement } from '../../server/src/model/semantic';
import { LineIndex } from '../../server/src/model/line-index';
import { Workspace } from '../../server/src/model/workspace';

function modelOf(files: Record<string, string>) {
  const ws = memoryWorkspace(files);
  const set = ws.fileSet(nodePath.resolve(ROOT, 'main.vmsec'))!;
  const ns = buildNamespace(set.files);
  return { set, ns, model: buildModel(set.files, ns), refs: collectReferences(set.root, ns) };
}

test('defaults of LANGUAGE.md §3 fill what is left out', () => {
  const { model } = modelOf({ 'main.vmsec': 'host h { } network n { hosts h } vm v on h { } fork f of v { }' });
  const h = model.hosts.get('h')!;
  assert.deepEqual([h.cpus, h.memory, h.tpm], [1, 64 * 1024 ** 3, undefined]);
  assert.deepEqual([model.links[0].bandwidth, model.links[0].latencyUs], [1e9, 100]);
  const v = model.vms.get('v')!;
  assert.deepEqual([v.vcpus, v.memory, v.disk, v.virtualization, v.vtpm, v.workingset, v.subnet], [1, 1024 ** 3, 0, 'full', false, 10, { ip: 0x0a000000, prefix: 24 }]);
  const f = model.forks.get('f')!;
  assert.deepEqual([f.children, f.memory, f.disk, f.multicast, f.attestHosts, f.integrity, f.encrypt], [1, 'lazy', 'lazy', false, undefined, { mode: 'none' }, false]);
  assert.deepEqual(f.on.map((x) => x.name), ['h'], 'without `on`, children stay on the parent host');
});

test('children are placed round-robin over the `on` hosts', () => {
  const { model } = modelOf({ 'main.vmsec': 'host a { } host b { } host c { } vm v on a { } fork f of v { children 5 on b, c }' });
  assert.deepEqual(placement(model.forks.get('f')!).map((h) => h.name), ['b', 'c', 'b', 'c', 'b']);
});

test('one namespace spans the file set; references resolve across files', () => {
  const { ns, refs } = modelOf({
    'main.vmsec': 'import "lib.vmsec"\nvm v on h { }',
    'lib.vmsec': 'import "boot.vmsec"\nhost h { boot b }',
    'boot.vmsec': 'boot b { }',
  });
  assert.equal(ns.get('b')?.kind, 'boot');
  assert.ok(ns.get('b')?.path.endsWith('boot.vmsec'));
  const r = refs.find((x) => x.ident.text === 'h')!;
  assert.equal(r.target?.kind, 'host');
  assert.ok(r.target?.path.endsWith('lib.vmsec'));
});

test('processes are local to their vm; fork children see the parent processes', () => {
  const { refs } = modelOf({
    'main.vmsec': 'host h { } vm v on h { process p { } } vm w on h { process q { } } fork f of v { } scenario "s" { at 0 ms syscall f[1] p open() at 1 ms syscall w p open() }',
  });
  const ps = refs.filter((r) => r.ident.text === 'p' && r.expected.includes('process'));
  assert.equal(ps.length, 2);
  assert.equal(ps[0].target?.parent?.name, 'v');
  assert.equal(ps[1].target, undefined, 'w has no process p');
});

test('restore … as NAME declares a vm for the rest of the scenario', () => {
  const { refs } = modelOf({ 'main.vmsec': 'host h { } vm v on h { } checkpoint c of v { } scenario "s" { at 0 ms restore c as v2 on h expect v2 is running }' });
  assert.equal(refs.find((r) => r.ident.text === 'v2')?.target?.kind, 'restored-vm');
});

test('the workspace re-parses a file only when its text changes', () => {
  let text = 'host a { }';
  const ws = new Workspace({ read: () => ({ ok: true, text }) });
  const first = ws.get('/x.vmsec');
  assert.equal(ws.get('/x.vmsec'), first);
  text = 'host b { }';
  assert.notEqual(ws.get('/x.vmsec'), first);
});

test('line index maps offsets and positions both ways, across \\n and \\r\\n', () => {
  const li = new LineIndex('ab\r\ncd\nef');
  assert.deepEqual(li.position(0), { line: 0, character: 0 });
  assert.deepEqual(li.position(4), { line: 1, character: 0 });
  assert.deepEqual(li.position(8), { line: 2, character: 1 });
  assert.equal(li.offset({ line: 2, character: 1 }), 8);
  assert.equal(li.lineCount, 3);
});
