// The fuzz oracle's errno rule (test/fuzz/harness.ts): a raw errno name
// leaked from node (`ENOENT: no such file…`) is noted, but vmsec's own
// messages that write an errno as `13 (EACCES)` — the example of `deny(N)`'s
// VMS003 — are not, or every mutated `deny(13)` would be reported as a leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputProblems, type Exec } from '../fuzz/harness';
import { check } from '../helpers';

const exec = (e: Partial<Exec>): Exec => ({ code: 0, signal: null, timedOut: false, flooded: false, out: '', err: '', ms: 1, ...e });
const classes = (out: string) => outputProblems(exec({ code: 1, out }), 'text').map((p) => p.cls);

test('an errno written as the gloss of its number (`13 (EACCES)`) in a vmsec message is no raw errno', () => {
  // The message vmsec really prints for `deny(1 s)`, as a fuzz mutation ("units swapped") makes it.
  const [d] = check('host a { }\nvm v on a { }\nmonitor m for v { rule r on open then deny(1 s) }\n');
  assert.equal(d?.code, 'VMS003');
  assert.match(d.message, /such as 13 \(EACCES\)/);
  assert.deepEqual(classes(`main.vmsec:3:44: error VMS003 ${d.message}\n`), []);
  assert.deepEqual(classes('rule r denies with 1 (EPERM) and 2 (ENOENT)\n'), []);
});

test('a raw errno name leaked from node is still noted, also next to a gloss', () => {
  assert.deepEqual(classes("vmsec: ENOENT: no such file or directory, open 'x.ckpt'\n"), ['raw-errno:ENOENT']);
  assert.deepEqual(classes('cannot write out/a.ckpt: Error: EACCES: permission denied\n'), ['raw-errno:EACCES']);
  assert.deepEqual(classes("code: 'EROFS'\n"), ['raw-errno:EROFS']);
  assert.deepEqual(classes('deny needs a number such as 13 (EACCES)\nvmsec: EACCES: permission denied\n'), ['raw-errno:EACCES']);
  // A name in parentheses that glosses no number is raw.
  assert.deepEqual(classes('cannot read x (EISDIR)\n'), ['raw-errno:EISDIR']);
});
