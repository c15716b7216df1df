// Tampering with multi-page messages (the eager copy): only the pages whose
// bytes changed are tampered pages. Per-page integrity rejects each of them;
// the other pages of the same message are the pages themselves and are not
// counted as corrupted. Without integrity, each changed page is accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { run } from '../helpers';
import type { ScenarioResult } from '../../server/src/sim/results';

const fixture = readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'fork', 'eager-tamper.vmsec'), 'utf8');
const corrupted = (s: ScenarioResult) => s.transfers.reduce((n, t) => n + t.corrupted_accepted, 0);
const pages = (s: ScenarioResult) => s.transfers[0].pages;

test('memory eager, integrity per-page, no encrypt: every tampered page is rejected, none accepted', () => {
  const [s] = run(fixture);
  assert.ok(s.attacks.tampered > 0, 'the attacker tampered with messages');
  assert.equal(corrupted(s), 0);
  assert.equal(s.passed, true, JSON.stringify(s.expectations));
  assert.equal(s.expectations[1].actual, 'none accepted');
  // Each tampered message changed one page, which was rejected and sent again.
  assert.ok(pages(s).rejected > 0);
  assert.equal(pages(s).verified, 16 * 256, 'every page arrived once, verified');
  assert.equal(pages(s).sent, pages(s).verified + pages(s).rejected);
});

test('memory eager, integrity none: one corrupted page per tampered message, not the whole message', () => {
  const [s] = run(fixture.replace('integrity per-page', 'integrity none').replace('expect copy pages rejected > 0', ''));
  assert.equal(pages(s).rejected, 0);
  // One byte is flipped per tampered message, so exactly one page of it is not the page's own.
  assert.equal(corrupted(s), s.attacks.tampered);
  assert.equal(s.passed, false);
  assert.equal(s.expectations[0].actual, `${s.attacks.tampered} tampered pages accepted`);
});

test('memory eager and lazy agree: per-page integrity accepts no tampered page in either', () => {
  const [lazy] = run(fixture.replace('memory eager', 'memory lazy').replace('expect copy pages rejected > 0', ''));
  assert.equal(corrupted(lazy), 0);
  assert.equal(lazy.passed, true, JSON.stringify(lazy.expectations));
});
