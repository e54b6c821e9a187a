/**
 * Exported KV is laid out [layers][K|V][tokens][kvDim] (ModelShard.exportKv). A decode worker may need only a
 * sub-range of the tokens (positions before it came from its own prefix cache), and tensor-parallel shards
 * hold a slice of the heads: these helpers cut such views out.
 */

/** Tokens [from, to) of an export covering tokens [0, n). */
export function sliceKvTokens(data: Float32Array, numLayers: number, n: number, kvDim: number, from: number, to: number): Float32Array {
  if (from === 0 && to === n) return data;
  const m = to - from;
  const out = new Float32Array(numLayers * 2 * m * kvDim);
  for (let lk = 0; lk < numLayers * 2; lk++) {
    out.set(data.subarray((lk * n + from) * kvDim, (lk * n + to) * kvDim), lk * m * kvDim);
  }
  return out;
}

/** Heads [h0, h1) of an export with `numKvHeads` heads of `headDim` per token. */
export function sliceKvHeads(data: Float32Array, numLayers: number, n: number, numKvHeads: number, headDim: number, h0: number, h1: number): Float32Array {
  if (h0 === 0 && h1 === numKvHeads) return data;
  const full = numKvHeads * headDim;
  const part = (h1 - h0) * headDim;
  const rows = numLayers * 2 * n;
  const out = new Float32Array(rows * part);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * full + h0 * headDim, r * full + h1 * headDim), r * part);
  return out;
}

/** Joins per-shard head slices (in rank order) back into full exports. */
export function joinKvHeads(parts: readonly Float32Array[], numLayers: number, n: number): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const rows = numLayers * 2 * n;
  const widths = parts.map((p) => (rows === 0 ? 0 : p.length / rows));
  const full = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * full);
  for (let r = 0; r < rows; r++) {
    let off = 0;
    parts.forEach((p, i) => {
      const w = widths[i]!;
      out.set(p.subarray(r * w, (r + 1) * w), r * full + off);
      off += w;
    });
  }
  return out;
}
