// Errors in imported files that are not open: `vmsec check` prints them and
// `vmsec run` refuses the file set, so the editor must not look clean. The
// import line that leads to them carries the first one, linked to its place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../tmp';
import { TestClient } from './client';

const dir = tempDir('lsp-imported-');
let c: TestClient;
before(async () => { c = new TestClient(); await c.initialize(dir); });
after(async () => { await c.close(); });

test('an error in a closed imported file (also two imports deep) shows on the import line, linked to where it is', async () => {
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'deep.vmsec'), 'host h2 { cpus 0 }\nhost h3 { memory 5 s }\n');
  writeFileSync(join(dir, 'lib', 'hosts.vmsec'), 'import "deep.vmsec"\nhost h1 { }\n');
  writeFileSync(join(dir, 'clean.vmsec'), 'host ok { }\n');
  const text = 'import "clean.vmsec"\nimport "lib/hosts.vmsec"\nvm v on h1 { }\n';
  const main = join(dir, 'main.vmsec');
  writeFileSync(main, text);
  const uri = c.open(main, text);
  const ds = await c.waitDiagnostics(uri, (d) => d.length > 0);
  assert.deepEqual(ds.map((d) => [d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.code, d.message]), [
    [1, 7, 24, 1, 'VMS003', "lib/deep.vmsec:1:16: cpus must be between 1 and 4096; found '0' (and 1 more error in imported files)"],
  ]);
  assert.equal(ds[0].relatedInformation?.[0].location.uri, pathToFileURL(join(dir, 'lib', 'deep.vmsec')).toString());
  assert.deepEqual(ds[0].relatedInformation?.[0].location.range.start, { line: 0, character: 15 });
  // Fixed on disk, the marker goes.
  writeFileSync(join(dir, 'lib', 'deep.vmsec'), 'host h2 { cpus 1 }\n');
  void c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(dir, 'lib', 'deep.vmsec')).toString(), type: 2 }] });
  await c.waitDiagnostics(uri, (d) => d.length === 0);
});
