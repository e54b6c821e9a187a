/** Closest name by edit distance, for "did you mean" hints. */
export function closest(query: string, names: readonly string[]): { name: string; distance: number } {
  let best = { name: names[0] ?? '', distance: Number.POSITIVE_INFINITY };
  for (const name of names) {
    const distance = editDistance(query, name);
    if (distance < best.distance) best = { name, distance };
  }
  return best;
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
