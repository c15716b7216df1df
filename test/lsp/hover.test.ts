// Hover over stdio: what a name is and its key facts, values left at their
// defaults marked as such, and `process(P)` in a monitor for several VMs
// shown for each of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hover } from 'vscode-languageserver-protocol';
import { tempDir } from '../tmp';
import { pos, TestClient } from './client';

const dir = tempDir('lsp-hover-');
let c: TestClient;

const TEXT = `host alpha { tpm ecdsa-p256 }
vm web on alpha { memory 2 GiB subnet 10.1.0.0/24 process api { memory 8 MiB confidential } }
vm db on alpha { process api { memory 16 MiB } }
vm cache on alpha { }
monitor guard for web, db, cache {
  mode serial
  rule r1 on open when process(api) then deny(13)
  rule r2 on connect then killProc
  escalate 3 violations within 1 s then pause
}
monitor quiet for db { }
authority ca { key rsa-2048 }
authority spare { key ecdsa-p256 }
certificate webcert for web by ca valid 10 s
certificate dbcert for db by ca valid 1 min
monitor ser for cache { mode serial buffer 16 drop }
monitor con for cache { buffer 16 }
monitor blk for cache { buffer 8 block }
`;

let uri = '';
/** The hover's markdown at `needle` (+ `delta` characters). */
async function hoverAt(needle: string, delta = 1): Promise<string> {
  const h = await c.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(TEXT, needle, delta) });
  return (h?.contents as { value: string } | undefined)?.value ?? 'no hover';
}

before(async () => {
  c = new TestClient();
  await c.initialize(dir);
  const path = join(dir, 'h.vmsec');
  writeFileSync(path, TEXT);
  uri = c.open(path, TEXT);
  await c.waitDiagnostics(uri, () => true);
});
after(async () => { await c.close(); });

test('process(P) in a monitor for several VMs shows P of each VM that has one, and which VMs have none', async () => {
  const v = await hoverAt('process(api', 9);
  assert.match(v, /\*\*process\*\* `api` of vm `web` — 8 MiB \(2,048 pages\), \*\*confidential\*\*/);
  assert.match(v, /\*\*process\*\* `api` of vm `db` — 16 MiB \(4,096 pages\)/);
  assert.match(v, /no process `api` in vm `cache`/);
});

test('a monitor shows its mode, VMs, rules, default and escalation; defaults are marked', async () => {
  const guard = await hoverAt('monitor guard', 9);
  assert.match(guard, /^\*\*monitor\*\* `guard` for `web`, `db`, `cache` — mode serial: each call waits for its verdict, none is dropped\n/);
  assert.match(guard, /2 rules \(r1, r2\); default allow \(default\)/);
  assert.match(guard, /escalates to pause after 3 violations within 1 s/);
  const quiet = await hoverAt('monitor quiet', 9);
  assert.match(quiet, /mode concurrent \(default\)/);
  assert.match(quiet, /0 rules; default allow \(default\)/);
});

test('a certificate shows its VM, authority and validity; an authority its key and certificates', async () => {
  assert.match(await hoverAt('certificate webcert', 13), /^\*\*certificate\*\* `webcert` for vm `web` by authority `ca` \(rsa-2048\) — valid 10 s/);
  const ca = await hoverAt('authority ca', 11);
  assert.match(ca, /^\*\*authority\*\* `ca` — key rsa-2048/);
  assert.match(ca, /certificates: webcert \(for web, valid 10 s\), dbcert \(for db, valid 1 min\)/);
  assert.match(await hoverAt('authority spare', 11), /issues no certificate/);
  // From a reference too.
  assert.match(await hoverAt('by ca', 4), /^\*\*authority\*\* `ca`/);
});

test('a VM marks the values it takes by default', async () => {
  const web = await hoverAt('vm web', 4);
  assert.match(web, /^\*\*vm\*\* `web` on host `alpha` — 1 vcpu \(default\), 2 GiB \(524,288 pages\), no disk \(default\), full \(default\)/);
  assert.match(web, /subnet 10\.1\.0\.0\/24, working set 10% \(default; 52,429 pages\)/);
  const cache = await hoverAt('vm cache', 4);
  assert.match(cache, /1 GiB \(default; 262,144 pages\)/);
  assert.match(cache, /subnet 10\.0\.0\.0\/24 \(default\)/);
});

test('a monitor marks an unwritten buffer policy as the default, and in serial mode says the buffer does nothing', async () => {
  // LANGUAGE.md §3 Monitors: serial mode never drops a call, whatever the buffer.
  const ser = await hoverAt('monitor ser', 9);
  assert.match(ser, /— mode serial: each call waits for its verdict, none is dropped \(`buffer 16 drop` has no effect\)\n/);
  assert.doesNotMatch(ser, /, buffer 16/);
  assert.match(await hoverAt('monitor con', 9), /— mode concurrent \(default\), buffer 16, drop \(default\) when full\n/);
  assert.match(await hoverAt('monitor blk', 9), /— mode concurrent \(default\), buffer 8, block when full\n/);
  assert.match(await hoverAt('monitor quiet', 9), /— mode concurrent \(default\), buffer 1024 \(default\), drop \(default\) when full\n/);
});

test('page counts read one way in every hover: defaults and pages in one parenthesis, thousands separated', async () => {
  const cache = await hoverAt('vm cache', 4);
  assert.match(cache, /, 1 GiB \(default; 262,144 pages\), /);
  assert.match(cache, /working set 10% \(default; 26,214 pages\)/);
  assert.doesNotMatch(cache, /\(default\) \(/);
  assert.match(await hoverAt('vm web', 4), /, 2 GiB \(524,288 pages\), /);
  assert.match(await hoverAt('process api { memory 16', 9), /— 16 MiB \(4,096 pages\)$/);
});
