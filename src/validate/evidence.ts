import { parse } from 'csv-parse/sync';
import { UsageError } from '../core/errors.js';
import { ape, quantile } from './stats.js';

/**
 * Per-group evidence from a predictions CSV (`phasewise validate --out`): for the rows whose deployment is fully
 * given, grouped by system, backend, mode and concurrency band, the median predicted / measured ratio of TTFT and
 * TPOT and their median APE — which groups are over- or under-predicted, and by how much (docs/validation.md).
 */
export interface EvidenceRecord {
  readonly system: string;
  readonly backend: string;
  readonly mode: string;
  readonly concurrency: number;
  readonly configKnown: boolean;
  readonly predTtftMs: number | null;
  readonly predTpotMs: number | null;
  readonly measuredTtftMs: number | null;
  readonly measuredTpotMs: number | null;
}

export interface EvidenceRow {
  readonly system: string;
  readonly backend: string;
  readonly mode: string;
  /** '≤16', '≤64', '≤256' or '>256' clients. */
  readonly band: string;
  readonly rows: number;
  readonly ttftRatio: number | null;
  readonly tpotRatio: number | null;
  readonly ttftMedianApe: number | null;
  readonly tpotMedianApe: number | null;
}

export const CONCURRENCY_BANDS: readonly { readonly label: string; readonly max: number }[] = [
  { label: '≤16', max: 16 },
  { label: '≤64', max: 64 },
  { label: '≤256', max: 256 },
  { label: '>256', max: Number.POSITIVE_INFINITY },
];

export function bandOf(concurrency: number): string {
  return CONCURRENCY_BANDS.find((b) => concurrency <= b.max)!.label;
}

const median = (xs: number[]): number | null => quantile(xs.sort((a, b) => a - b), 0.5);

/** Evidence rows of the fully given, predicted records, sorted by system, backend, mode and band. */
export function groupEvidence(records: readonly EvidenceRecord[]): EvidenceRow[] {
  const groups = new Map<string, EvidenceRecord[]>();
  for (const r of records) {
    if (!r.configKnown || r.predTtftMs === null || r.predTpotMs === null) continue;
    const key = [r.system, r.backend, r.mode, bandOf(r.concurrency)].join('\u0000');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const bandRank = (b: string): number => CONCURRENCY_BANDS.findIndex((x) => x.label === b);
  const out: EvidenceRow[] = [];
  for (const [key, g] of groups) {
    const [system, backend, mode, band] = key.split('\u0000') as [string, string, string, string];
    const ratios = (pick: (r: EvidenceRecord) => [number | null, number | null]): { ratio: number | null; ape: number | null } => {
      const rs: number[] = [];
      const as: number[] = [];
      for (const r of g) {
        const [p, m] = pick(r);
        if (p === null || m === null || !(m > 0)) continue;
        rs.push(p / m);
        as.push(ape(p, m));
      }
      return { ratio: median(rs), ape: median(as) };
    };
    const ttft = ratios((r) => [r.predTtftMs, r.measuredTtftMs]);
    const tpot = ratios((r) => [r.predTpotMs, r.measuredTpotMs]);
    out.push({ system, backend, mode, band, rows: g.length, ttftRatio: ttft.ratio, tpotRatio: tpot.ratio, ttftMedianApe: ttft.ape, tpotMedianApe: tpot.ape });
  }
  return out.sort((a, b) => a.system.localeCompare(b.system) || a.backend.localeCompare(b.backend) || a.mode.localeCompare(b.mode) || bandRank(a.band) - bandRank(b.band));
}

const REQUIRED = ['pred_ttft_ms', 'pred_tpot_ms', 'silicon_ttft_ms', 'silicon_tpot_ms', 'system', 'backend', 'mode', 'concurrency', 'config_known'];

/** Parse a predictions CSV written by `validate --out`; a file without its columns is a UsageError. */
export function parsePredictionsCsv(text: string, where: string): EvidenceRecord[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<string, string>[];
  } catch (e) {
    throw new UsageError(where, 'not readable as CSV', `a predictions CSV written by \`phasewise validate --out\` (${(e as Error).message})`);
  }
  const first = records[0];
  const missing = first ? REQUIRED.filter((c) => !(c in first)) : REQUIRED;
  if (missing.length > 0) throw new UsageError(where, `missing columns ${missing.join(', ')}`, `a predictions CSV written by \`phasewise validate --out\` (columns ${REQUIRED.join(', ')})`);
  const num = (s: string | undefined): number | null => (s === undefined || s.trim() === '' || !Number.isFinite(Number(s)) ? null : Number(s));
  return records.map((r) => ({
    system: r['system'] ?? '',
    backend: r['backend'] ?? '',
    mode: r['mode'] ?? '',
    concurrency: num(r['concurrency']) ?? 0,
    configKnown: r['config_known'] === 'true',
    predTtftMs: num(r['pred_ttft_ms']),
    predTpotMs: num(r['pred_tpot_ms']),
    measuredTtftMs: num(r['silicon_ttft_ms']),
    measuredTpotMs: num(r['silicon_tpot_ms']),
  }));
}
