// The texts beside a line after a run (report/inline-text.ts), checked against
// what the run counted: a fork's "pages verified" is what `expect F pages
// verified` counts, with disk blocks named apart and the descriptor left to
// the hover; a syscall that set off an escalation says what the escalation did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../helpers';
import { forkDetail, forkText, syscallText } from '../../server/src/report/inline-text';

const FORK = (disk: string) => `boot good { pcr 0 "fw-1.0" }
host a { tpm ecdsa-p256 boot good } host b { tpm ecdsa-p256 boot good }
link a <-> b { bandwidth 10 Gbps }
vm app on a { memory 32 MiB ${disk} vtpm process web { memory 4 MiB } }
fork f of app { children 2 on b attest hosts against good integrity per-page }
attacker m { tamper a <-> b 5% }
scenario "s" {
  at 0 ms fork f
  expect f pages verified >= 0
  expect f pages rejected >= 0
}`;

const n = (s: string) => Number(s.replace(/,/g, ''));

test('a fork with a disk says pages and disk blocks apart, adding up to what `expect F pages verified` counts', () => {
  const [s] = run(FORK('disk 64 MiB'));
  const pages = s.transfers.reduce((x, t) => x + t.pages.verified, 0);
  const blocks = s.transfers.reduce((x, t) => x + t.blocks.verified, 0);
  const descriptor = s.transfers.reduce((x, t) => x + t.descriptor.verified, 0);
  assert.ok(pages > 0 && blocks > 0 && descriptor > 0, JSON.stringify(s.transfers.map((t) => [t.pages, t.blocks, t.descriptor])));
  const { text } = forkText(s.transfers);
  const m = /· ([\d,]+) pages \+ ([\d,]+) disk blocks verified · ([\d,]+) rejected ·/.exec(text);
  assert.ok(m, text);
  assert.deepEqual([n(m[1]), n(m[2])], [pages, blocks]);
  // The same numbers the expectations saw: verified and rejected as `expect f pages …` counts them.
  assert.equal(n(m[1]) + n(m[2]), Number(s.expectations[0].actual));
  assert.equal(n(m[3]), Number(s.expectations[1].actual));
  assert.ok(n(m[3]) > 0, `tampering rejected something: ${text}`);
  // The hover table says which is which, and names the descriptor on its own.
  const detail = forkDetail('f', s.transfers, s.attestations, []);
  assert.match(detail, /\| host \| children \| ready \| slowest ready \| pages verified \| disk blocks verified \| rejected \| bytes \|/);
  assert.ok(detail.includes(`| b | 2 | 2 | `) && detail.includes(` | ${pages.toLocaleString('en-US')} | ${blocks.toLocaleString('en-US')} | ${m[3]} | `), detail);
  assert.match(detail, new RegExp(`^- descriptor \\(page tables\\): ${descriptor.toLocaleString('en-US')} pages verified, [\\d,]+ rejected$`, 'm'));
});

test('a fork without a disk counts pages only, without the descriptor', () => {
  const [s] = run(FORK(''));
  const pages = s.transfers.reduce((x, t) => x + t.pages.verified, 0);
  assert.ok(s.transfers.every((t) => t.blocks.sent === 0 && t.descriptor.verified > 0));
  const { text } = forkText(s.transfers);
  assert.ok(text.includes(` · ${pages.toLocaleString('en-US')} pages verified · `), text);
  assert.ok(!text.includes('disk blocks'), text);
  assert.equal(pages, Number(s.expectations[0].actual));
});

test('a syscall that set off an escalation shows it: what fired, the action, what it did to the VM', () => {
  const [s] = run(`host a {} host b {} link a <-> b {}
vm v on a { memory 16 MiB process p { memory 1 MiB } }
monitor m for v { rule k on open then killProc escalate 1 violations within 1 s then migrate to b }
scenario "s" {
  at 0 ms syscall v p open("/x")
  expect v is migrated
}`);
  assert.deepEqual(s.monitor.map((m) => m.rule), ['k', 'escalate']);
  const t = syscallText(s.monitor);
  assert.equal(t.ok, true);
  // The run text's effect is long (`migration to b … started; v migrated …, ready at 62.3 ms: 5242880 bytes …`):
  // the line keeps where the VM ended up.
  assert.ok(s.monitor[1].effect!.length > 100, s.monitor[1].effect);
  assert.match(t.text, /^killProc by rule k after 50 µs · m escalated: 1 violation within 1000 ms → migrate to b: … v migrated from a to b over a<->b, ready at [\d.]+ ms$/);
  assert.ok(!t.text.includes('more'), t.text);
});

test('an escalation to pause reads whole; a refused one says so', () => {
  const [s] = run(`host h { } host z { } vm v on h { process p { } }
monitor m for v { rule a on open when fileEq(0, "/etc/shadow") then deny(13) escalate 2 violations within 1 s then pause }
monitor n for w { rule a on open then deny(1) escalate 1 violations within 1 s then migrate to z }
vm w on h { process q { } }
scenario "s" {
  at 1 ms syscall v p open("/etc/shadow")
  at 2 ms syscall v p open("/etc/shadow")
  at 3 ms syscall w q open("/x")
}`);
  const on = (i: number) => syscallText(s.monitor.filter((m) => m.line === s.steps[i].line)).text;
  assert.equal(on(0), 'deny(13) by rule a after 2 µs');
  assert.equal(on(1), 'deny(13) by rule a after 2 µs · m escalated: 2 violations within 1000 ms → pause: v paused');
  assert.match(on(2), /^deny\(1\) by rule a after 2 µs · n escalated: 1 violation within 1000 ms → migrate to z: refused: /);
});
