/**
 * Typed arrays produced in parts (model outputs batch by batch, weight shards
 * file by file) joined into one new array, which owns its whole buffer.
 */
export function concatArrays<T extends Float32Array | Uint8Array>(parts: readonly ArrayLike<number>[], make: (length: number) => T): T {
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
