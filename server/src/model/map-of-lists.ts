// A Map whose values are lists, grown one item at a time: the indexes of the
// semantic model, the validator's lookups and the CLI's groupings all build
// one, so the get-or-create-then-push lives here once.

/** Appends `value` to the list at `key`, making the list on first use (lists keep insertion order). */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value); else map.set(key, [value]);
}

/** `items` grouped by `key`: keys in order of first appearance, each group in the items' order. */
export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of items) appendTo(out, key(x), x);
  return out;
}
