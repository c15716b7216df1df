// Per-seed caches stay bounded in a process that runs many seeds, and what
// they drop is made again the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recent } from '../../server/src/sim/recent';
import { keyFor } from '../../server/src/sim/keys';

test('recent keeps at most its bound, drops the oldest, and makes a dropped entry again', () => {
  const m = new Map<number, string>();
  let made = 0;
  const get = (k: number) => recent(m, k, 3, () => { made++; return `v${k}`; });
  for (let k = 1; k <= 10; k++) get(k);
  assert.deepEqual([...m.keys()], [8, 9, 10]);
  assert.equal(get(9), 'v9');
  assert.equal(made, 10, 'an entry still kept is not made again');
  assert.equal(get(1), 'v1');
  assert.equal(made, 11);
  assert.deepEqual([...m.keys()], [9, 10, 1]);
});

test('an attestation key of a seed dropped from the cache is derived again to the same key', () => {
  const first = keyFor(1, 'host a', 'ecdsa-p256').publicDer;
  for (let seed = 2; seed < 50; seed++) keyFor(seed, 'host a', 'ecdsa-p256');
  assert.deepEqual(keyFor(1, 'host a', 'ecdsa-p256').publicDer, first);
  assert.notDeepEqual(keyFor(2, 'host a', 'ecdsa-p256').publicDer, first);
});
