// Did-you-mean: a swap of two neighbouring letters is one edit (optimal
// string alignment), thresholds and work stay bounded on hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance, MAX_COMPARED, MAX_WORD, suggestBudget } from '../../grammar/src/suggest';
import { check } from '../helpers';

test('an adjacent transposition counts as one edit', () => {
  assert.equal(editDistance('brust', 'burst'), 1);
  assert.equal(editDistance('opne', 'open'), 1);
  assert.equal(editDistance('ab', 'ba'), 1);
  // Optimal string alignment: a swapped pair is not edited again.
  assert.equal(editDistance('ca', 'abc'), 3);
  // Plain edits are as before.
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('conect', 'connect'), 1);
  assert.equal(editDistance('', 'abc'), 3);
});

test('the cut-off: past max the answer is max + 1, also when only a transposition would be cheaper', () => {
  assert.equal(editDistance('abcdef', 'badcfe', 2), 3);
  assert.equal(editDistance('abcdef', 'badcfe'), 3);
  assert.equal(editDistance('brust', 'burst', 0), 1);
  assert.equal(editDistance('abcdefgh', 'zzzzzzzz', 2), 3);
});

test('closest: swapped letters find their word; thresholds unchanged', () => {
  assert.equal(closest('brust', ['ready', 'burst', 'web']), 'burst');
  assert.equal(closest('opne', ['open', 'openat', 'read']), 'open');
  // A third of the word's length (at least one): two swaps in a 5-letter word is too far.
  assert.equal(closest('rbust', ['burst']), undefined);
  assert.equal(closest('x'.repeat(MAX_WORD + 1), ['x'.repeat(MAX_WORD + 1)]), undefined);
});

test('closest stays bounded: candidates compared per word and a shared budget', () => {
  const many = Array.from({ length: 50_000 }, (_, i) => `w${i.toString(36).padStart(4, 'a')}`);
  const budget = suggestBudget(100_000);
  closest('wqqqqq', many, budget);
  assert.ok(100_000 - budget.left <= MAX_COMPARED + 1, `compared ${100_000 - budget.left}`);
  const empty = suggestBudget(0);
  assert.equal(closest('brust', ['burst'], empty), undefined);
});

test('the validator suggests across a swap: a fork in an expectation, a system call in a rule', () => {
  const base = 'boot xs { pcr 0 "fw" }\nhost a { tpm ecdsa-p256 boot xs }\nhost b { tpm ecdsa-p256 boot xs }\nnetwork n { hosts a, b }\nvm web on a { process p { } }\n';
  const fork = check(`${base}fork burst of web { on b attest hosts against xs }\nscenario "s" { expect brust ready within 1 s }\n`).filter((d) => d.code === 'VMS001');
  assert.deepEqual(fork.map((d) => d.text), ['brust']);
  assert.match(fork[0].message, /did you mean 'burst'\?/);
  const call = check(`${base}monitor m for web { rule r on opne then deny(1) }\n`).filter((d) => d.code === 'VMS021');
  assert.deepEqual(call.map((d) => [d.text, d.message]), [['opne', "'opne' is not a Linux system call; did you mean 'open'? — no traced program makes it, and exported policies would hook nothing"]]);
});
