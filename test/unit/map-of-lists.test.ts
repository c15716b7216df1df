// The one "append to a Map of lists" helper, and the users whose output
// depends on its order: keys in order of first appearance, items in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendTo, groupBy } from '../../server/src/model/map-of-lists';
import { check } from '../helpers';

test('appendTo makes the list on first use and appends to it after', () => {
  const m = new Map<string, number[]>();
  appendTo(m, 'b', 1);
  appendTo(m, 'a', 2);
  appendTo(m, 'b', 3);
  assert.deepEqual([...m], [['b', [1, 3]], ['a', [2]]]);
  // An existing list is appended to in place, not replaced.
  const kept = m.get('a')!;
  appendTo(m, 'a', 4);
  assert.equal(m.get('a'), kept);
  assert.deepEqual(kept, [2, 4]);
});

test('appendTo keys by identity for object keys', () => {
  const x = { n: 1 };
  const y = { n: 1 };
  const m = new Map<object, string[]>();
  appendTo(m, x, 'first');
  appendTo(m, y, 'second');
  appendTo(m, x, 'third');
  assert.deepEqual(m.get(x), ['first', 'third']);
  assert.deepEqual(m.get(y), ['second']);
});

test('groupBy: groups in order of first appearance, items in order, nothing for no items', () => {
  const g = groupBy(['apple', 'bean', 'avocado', 'corn', 'beet'], (w) => w[0]);
  assert.deepEqual([...g], [['a', ['apple', 'avocado']], ['b', ['bean', 'beet']], ['c', ['corn']]]);
  assert.equal(groupBy([], (x: number) => x).size, 0);
});

test('VMS031 still gives one warning per excluded and kept pair, channels in order of first mention, each once', () => {
  const found = check(`host h { } vm v on h { process a { } process b { } process k { }
ipc k -> b socket ipc a -> k pipe ipc b -> a shm ipc k -> a pipe ipc a -> k shm }
checkpoint c of v { exclude a, b }`).filter((d) => d.code === 'VMS031');
  assert.deepEqual(found.map((d) => [d.text, d.message]), [
    ['a', "excluded process 'a' has pipe and shm IPC with kept process 'k', whose buffers may hold its data; add `ipc follow` (or exclude 'k')"],
    ['b', "excluded process 'b' has socket IPC with kept process 'k', whose buffers may hold its data; add `ipc follow` (or exclude 'k')"],
  ]);
});
