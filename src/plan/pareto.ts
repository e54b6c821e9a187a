/**
 * Indices of the points no other point beats on both axes (both maximised): the Pareto frontier. A point with a
 * null coordinate is never on it. Returned in increasing x.
 */
export function paretoIndices<T>(points: readonly T[], x: (p: T) => number | null, y: (p: T) => number | null): number[] {
  const idx = points
    .map((p, i) => ({ i, x: x(p), y: y(p) }))
    .filter((p): p is { i: number; x: number; y: number } => p.x !== null && p.y !== null && Number.isFinite(p.x) && Number.isFinite(p.y));
  // Sweep from the largest x down, keeping points whose y beats every point to their right.
  idx.sort((a, b) => b.x - a.x || b.y - a.y || a.i - b.i);
  const out: number[] = [];
  let bestY = -Infinity;
  for (const p of idx) {
    if (p.y > bestY) {
      out.push(p.i);
      bestY = p.y;
    }
  }
  return out.reverse();
}
