/** Accuracy summaries: absolute percentage error (a fraction: 0.1 = 10%) of predictions against measurements. */
export interface ApeSummary {
  /** Rows in the group. */
  readonly rows: number;
  /** Rows with a prediction. */
  readonly predicted: number;
  readonly medianApe: number | null;
  readonly p90Ape: number | null;
}

export interface GroupSummary {
  readonly rows: number;
  readonly predicted: number;
  readonly ttft: ApeSummary;
  readonly tpot: ApeSummary;
}

export interface PredictionRecord {
  /** Null when the row has no measurement (it is predicted but has no error). */
  readonly measuredTtftMs: number | null;
  readonly measuredTpotMs: number | null;
  readonly predTtftMs: number | null;
  readonly predTpotMs: number | null;
}

export function ape(pred: number, measured: number): number {
  return Math.abs(pred - measured) / measured;
}

/** Quantile by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function apeSummary(rows: readonly PredictionRecord[], pick: (r: PredictionRecord) => [number | null, number | null]): ApeSummary {
  const apes: number[] = [];
  for (const r of rows) {
    const [p, m] = pick(r);
    if (p !== null && Number.isFinite(p) && m !== null && m > 0) apes.push(ape(p, m));
  }
  apes.sort((a, b) => a - b);
  return { rows: rows.length, predicted: apes.length, medianApe: quantile(apes, 0.5), p90Ape: quantile(apes, 0.9) };
}

export function summariseGroup(rows: readonly PredictionRecord[]): GroupSummary {
  const ttft = apeSummary(rows, (r) => [r.predTtftMs, r.measuredTtftMs]);
  const tpot = apeSummary(rows, (r) => [r.predTpotMs, r.measuredTpotMs]);
  const predicted = rows.filter((r) => r.predTtftMs !== null && r.predTpotMs !== null).length;
  return { rows: rows.length, predicted, ttft, tpot };
}

/** Items grouped by a key, groups in order of first appearance. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(x);
  }
  return groups;
}

/** Group rows by a key and summarise each group, keys sorted for stable output. */
export function summariseBy<R extends PredictionRecord>(rows: readonly R[], key: (r: R) => string): Record<string, GroupSummary> {
  const groups = groupBy(rows, key);
  const out: Record<string, GroupSummary> = {};
  for (const k of [...groups.keys()].sort()) out[k] = summariseGroup(groups.get(k)!);
  return out;
}
