// A per-seed cache for a process that runs many seeds: batch runs go through
// seeds in order, so keeping the last few is all the reuse there is, and
// keeping every seed's entry grows the process with the number of seeds.

/** The value for `key`, made with `make` if absent; the map keeps at most `keep` entries, dropping the oldest. */
export function recent<K, V>(map: Map<K, V>, key: K, keep: number, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    if (map.size >= keep) map.delete(map.keys().next().value as K);
    v = make();
    map.set(key, v);
  }
  return v;
}
