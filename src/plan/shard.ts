import { UsageError } from '../core/errors.js';
import { assembleFrontiers, type FrontierResult } from './frontier.js';
import { sortChoices } from './search.js';
import type { PlanResult, Shard, ShapeOutcome, SkippedItem } from './types.js';

/**
 * Sharding for batch systems (a Kubernetes Indexed Job, an array job): shard I of N runs every N-th item of the
 * sorted work list from I; `merge` checks that the shards answer the same question and that none is missing,
 * then combines them into what one unsharded run prints.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 0 && index < count)) {
    throw new UsageError('--shard', text, 'I/N with 0 ≤ I < N, e.g. 0/4 (Kubernetes: $(JOB_COMPLETION_INDEX)/N)');
  }
  return { index, count };
}

type Sharded = { readonly kind: string; readonly requestKey: string; readonly shard: Shard | null };

/** Every shard of one request, each exactly once. */
export function checkShardSet(parts: readonly Sharded[], where: readonly string[]): void {
  if (parts.length === 0) throw new UsageError('merge', [], 'one or more shard files written by plan or frontier with --shard');
  const first = parts[0]!;
  const count = first.shard?.count ?? 1;
  const seen = new Map<number, string>();
  parts.forEach((p, i) => {
    const at = where[i] ?? `input ${i + 1}`;
    if (p.kind !== first.kind) throw new UsageError(at, p.kind, `the same kind as ${where[0]} (${first.kind})`);
    if (p.requestKey !== first.requestKey) {
      throw new UsageError(at, p.requestKey, `a shard of the same run as ${where[0]} (request ${first.requestKey}): same flags, same inputs`);
    }
    const c = p.shard?.count ?? 1;
    if (c !== count) throw new UsageError(at, `${p.shard?.index ?? 0}/${c}`, `a shard of ${count}, like ${where[0]}`);
    const idx = p.shard?.index ?? 0;
    if (seen.has(idx)) throw new UsageError(at, `${idx}/${count}`, `each shard once (${seen.get(idx)} is shard ${idx} too)`);
    seen.set(idx, at);
  });
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0) throw new UsageError('merge', `${seen.size} of ${count} shards`, `all ${count} shards`, `Missing: ${missing.map((i) => `${i}/${count}`).join(', ')}.`);
}

export function mergePlans(parts: readonly PlanResult[]): PlanResult {
  const first = parts[0]!;
  const top = first.top;
  const best = sortChoices(parts.flatMap((p) => p.best))
    .slice(0, top)
    .map((c, i) => ({ ...c, rank: i + 1 }));
  const skipped = new Map<string, SkippedItem>();
  for (const p of parts) for (const s of p.skipped) if (!skipped.has(s.what)) skipped.set(s.what, s);
  // Shapes ruled out before sharding appear in every shard: keep one of each, the most informative.
  const rank: Record<ShapeOutcome['status'], number> = { found: 0, 'gave-up': 1, infeasible: 2, pruned: 3 };
  const shapes = new Map<string, ShapeOutcome>();
  for (const p of parts) {
    for (const s of p.shapes) {
      const have = shapes.get(s.key);
      if (!have || rank[s.status] < rank[have.status]) shapes.set(s.key, s);
    }
  }
  const sum = (f: (p: PlanResult) => number): number => parts.reduce((a, p) => a + f(p), 0);
  return {
    kind: 'plan',
    requestKey: first.requestKey,
    shard: null,
    top,
    best,
    skipped: [...skipped.values()],
    shapes: [...shapes.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    search: {
      shapes: first.search.shapes,
      shapesInShard: sum((p) => p.search.shapesInShard),
      prunedByBound: sum((p) => p.search.prunedByBound),
      infeasibleByBound: first.search.infeasibleByBound,
      searched: sum((p) => p.search.searched),
      simulations: sum((p) => p.search.simulations),
      cacheHits: sum((p) => p.search.cacheHits),
      requestsPerSimulation: first.search.requestsPerSimulation,
    },
    message: best.length > 0 ? null : (parts.find((p) => p.message)?.message ?? 'No deployment meets the SLO.'),
  };
}

export function mergeFrontiers(parts: readonly FrontierResult[]): FrontierResult {
  const first = parts[0]!;
  const inputs = first.frontiers.map((f) => ({ source: f.source, name: f.name }));
  const done = parts.flatMap((p) =>
    p.frontiers.flatMap((f, scenarioIndex) => f.points.map((point) => ({ job: { scenarioIndex }, point, chips: f.chips, usdPerHour: f.usdPerHour }))),
  );
  const merged = assembleFrontiers(inputs, { load: first.frontiers[0]?.loadKind ?? 'concurrency', per: first.per, shard: null }, done, first.requestKey);
  return merged;
}
