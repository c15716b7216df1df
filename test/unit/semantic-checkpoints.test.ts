// Checkpoints in the semantic model (model/semantic-checkpoints.ts): the VM
// resolved, exclusions after `ipc follow`, the disk choice and the output
// file resolved against the declaring file's folder; the simulator writes
// exactly that file and leaves out exactly those processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Workspace } from '../../server/src/model/workspace';
import { readSourceFile } from '../../server/src/model/source-reader';
import { resolveFileSet } from '../../server/src/model/resolve';
import { runFileSet } from '../../server/src/sim/run';
import { check } from '../helpers';
import { tempDir } from '../tmp';

const VM = `host h { }
vm v on h { memory 16 MiB disk 1 MiB
  process a { memory 1 MiB confidential } process b { memory 1 MiB } process c { memory 1 MiB } process d { memory 1 MiB }
  ipc a -> b pipe ipc c -> b socket }`;

function workspace(files: Record<string, string>): { dir: string; ws: Workspace } {
  const dir = tempDir('semck-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(nodePath.dirname(nodePath.join(dir, name)), { recursive: true });
    writeFileSync(nodePath.join(dir, name), text);
  }
  return { dir, ws: new Workspace({ read: readSourceFile }) };
}

test('the model resolves a checkpoint declared in an imported file against that file\'s folder', () => {
  const { dir, ws } = workspace({
    'main.vmsec': `import "plans/ck.vmsec"\nscenario "s" { at 1 ms checkpoint follow expect follow excludes a, b, c }`,
    'vm.vmsec': VM,
    'plans/ck.vmsec': `import "../vm.vmsec"\ncheckpoint follow of v { exclude a ipc follow disk exclude to "out/f.ckpt" }
checkpoint plain of v { exclude a }`,
  });
  const set = ws.fileSet(nodePath.join(dir, 'main.vmsec'))!;
  const { model } = resolveFileSet(set);
  const f = model.checkpoints.get('follow')!;
  assert.deepEqual([f.vm.name, [...f.excluded], f.ipc, f.disk, f.to, f.file],
    ['v', ['a', 'b', 'c'], 'follow', false, 'out/f.ckpt', nodePath.join(dir, 'plans', 'out', 'f.ckpt')]);
  const p = model.checkpoints.get('plain')!;
  assert.deepEqual([[...p.excluded], p.ipc, p.disk, p.to, p.file], [['a'], 'warn', true, 'plain.ckpt', nodePath.join(dir, 'plans', 'plain.ckpt')]);

  // The simulator writes the model's file and leaves out the model's processes.
  const out = runFileSet(set, { workspaceRoot: dir });
  assert.equal(out.kind, 'ran', JSON.stringify(out));
  if (out.kind !== 'ran') return;
  const [s] = out.result.scenarios;
  assert.deepEqual(s.checkpoints.map((c) => [c.file, c.excluded]), [[f.file, ['a', 'b', 'c']]]);
  assert.ok(existsSync(f.file));
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
});

test('a checkpoint of a VM that is not declared is left out of the model; the validator reports the name', () => {
  const { dir, ws } = workspace({ 'main.vmsec': `${VM}\ncheckpoint lost of nowhere { }` });
  const { model } = resolveFileSet(ws.fileSet(nodePath.join(dir, 'main.vmsec'))!);
  assert.equal(model.checkpoints.has('lost'), false);
  assert.deepEqual(check(`${VM}\ncheckpoint lost of nowhere { }`).map((d) => d.code), ['VMS001']);
});

test('the validator judges the model\'s exclusions: VMS030 and VMS031 follow `ipc`', () => {
  const warn = check(`${VM}\ncheckpoint k of v { exclude a }`).filter((d) => d.code.startsWith('VMS03'));
  assert.deepEqual(warn.map((d) => [d.code, d.text]), [['VMS031', 'a']]);
  assert.match(warn[0].message, /^excluded process 'a' has pipe IPC with kept process 'b'/);
  // With `ipc follow` the model already spreads the exclusion: no warning.
  assert.deepEqual(check(`${VM}\ncheckpoint k of v { exclude a ipc follow }`).filter((d) => d.code.startsWith('VMS03')), []);
  // Keeping the confidential process: VMS030 on the checkpoint's name.
  assert.deepEqual(check(`${VM}\ncheckpoint k of v { exclude d }`).filter((d) => d.code === 'VMS030').map((d) => d.text), ['k']);
});
