// Page integrity: per-page signatures and Merkle batches on real page bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Signer, Verifier, Space } from '../../server/src/sim/integrity';
import { keyFor } from '../../server/src/sim/keys';
import { PageSource, PAGE, MARKER_PREFIX } from '../../server/src/sim/pages';
import type { IntegrityMode } from '../../server/src/model/semantic';

const key = keyFor(3, 'parent-vtpm', 'ecdsa-p256');
const pages = new PageSource(3, 'web', 'mem', [{ name: 'secret', first: 4, count: 2, confidential: true }], 64);
const bytes = (i: number) => pages.page(i);

function pair(mode: IntegrityMode, round = 1) {
  return { signer: new Signer(key, 'burst', round, mode), verifier: new Verifier(key.publicKey, 'burst', 1, mode) };
}
const space: Space = 'mem';

test('page bytes are deterministic, 4 KiB, and confidential pages carry the marker', () => {
  assert.equal(bytes(0).length, PAGE);
  assert.deepEqual(new PageSource(3, 'web', 'mem', [], 64).page(9), new PageSource(3, 'web', 'mem', [], 64).page(9));
  assert.notDeepEqual(new PageSource(4, 'web', 'mem', [], 64).page(9), bytes(9));
  assert.equal(bytes(4).subarray(0, 30).toString('latin1'), `${MARKER_PREFIX}web:secret:`);
  assert.equal(bytes(3).includes(Buffer.from(MARKER_PREFIX)), false);
  assert.deepEqual(pages.span(3, 3).subarray(PAGE, 2 * PAGE), bytes(4));
});

for (const mode of [{ mode: 'per-page' }, { mode: 'batched', batch: 8 }] as IntegrityMode[]) {
  test(`${mode.mode}: genuine pages verify; other bytes, indexes and rounds do not`, () => {
    const { signer, verifier } = pair(mode);
    const p = signer.proof(space, 5, pages)!;
    assert.equal(verifier.check(space, 5, bytes(5), p).ok, true);
    const flipped = Buffer.from(bytes(5));
    flipped[100] ^= 0x20;
    assert.equal(verifier.check(space, 5, flipped, p).ok, false, 'tampered bytes');
    assert.equal(verifier.check(space, 6, bytes(5), p).ok, false, 'replayed as another index');
    const old = pair(mode, 2).signer.proof(space, 5, pages);
    assert.equal(verifier.check(space, 5, bytes(5), old).ok, false, 'a proof from another round');
  });
}

test('batches larger than one worker share hash every page from its real bytes', () => {
  const big = new PageSource(5, 'big', 'mem', [{ name: 's', first: 700, count: 2, confidential: true }], 4096);
  const signer = new Signer(key, 'f', 1, { mode: 'batched', batch: 1024 });
  const verifier = new Verifier(key.publicKey, 'f', 1, { mode: 'batched', batch: 1024 });
  assert.deepEqual(big.span(0, 1024).subarray(300 * PAGE, 301 * PAGE), big.page(300), 'a long span equals its pages');
  for (const i of [0, 255, 256, 700, 1023, 1500]) {
    const p = signer.proof(space, i, big);
    // No known hash: the receiver hashes the bytes it holds.
    assert.equal(verifier.check(space, i, big.page(i), p).ok, true, `page ${i}`);
  }
});

test('batched mode signs once per batch', () => {
  const { signer } = pair({ mode: 'batched', batch: 16 });
  for (let i = 0; i < 32; i++) signer.proof(space, i, pages);
  assert.equal(signer.signatures, 2);
  assert.equal(signer.hashes, 32);
});

test('property: with integrity on, no modified page is ever accepted', () => {
  for (const mode of [{ mode: 'per-page' }, { mode: 'batched', batch: 16 }] as IntegrityMode[]) {
    const { signer, verifier } = pair(mode);
    fc.assert(fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: PAGE - 1 }), fc.integer({ min: 1, max: 255 }), (index, at, xor) => {
      const p = signer.proof(space, index, pages);
      const b = Buffer.from(bytes(index));
      b[at] ^= xor;
      return verifier.check(space, index, b, p).ok === false;
    }), { numRuns: 200 });
  }
});
