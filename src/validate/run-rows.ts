import { isUsageError } from '../core/errors.js';
import { runBenchmark } from './bench-engine.js';
import { planReplay, type ReplayDeps, type ReplayOverrides } from './deployment.js';
import type { ParsedRow, ValidationRow } from './rows.js';
import { summariseBy, summariseGroup, type GroupSummary, type PredictionRecord } from './stats.js';

export interface RowPrediction extends PredictionRecord {
  readonly id: string;
  readonly system: string;
  readonly model: string;
  readonly backend: string;
  readonly mode: string;
  readonly isl: number | null;
  readonly osl: number | null;
  readonly concurrency: number | null;
  readonly configKnown: boolean;
  /** Inferred (or given) worker counts of a disaggregated row. */
  readonly prefillWorkers: number | null;
  readonly decodeWorkers: number | null;
  /** Why there is no prediction; empty when there is one. */
  readonly reason: string;
  /** How inconsistent columns of the row were read (empty when taken as written). */
  readonly note: string;
}

export interface ValidationSummary extends GroupSummary {
  readonly by: {
    readonly system: Record<string, GroupSummary>;
    readonly model: Record<string, GroupSummary>;
    readonly backend: Record<string, GroupSummary>;
    readonly mode: Record<string, GroupSummary>;
    readonly configKnown: Record<string, GroupSummary>;
  };
}

/** Predict one row; never throws: a row that cannot be replayed gets empty predictions and a reason. */
export function predictRow(row: ValidationRow, deps: ReplayDeps, overrides: ReplayOverrides = {}): RowPrediction {
  const base = {
    id: row.id,
    system: row.system,
    model: row.modelPath,
    backend: row.backend,
    mode: row.mode,
    isl: row.isl,
    osl: row.osl,
    concurrency: row.concurrency,
    measuredTtftMs: row.measuredTtftMs,
    measuredTpotMs: row.measuredTpotMs,
  };
  type Workers = Pick<RowPrediction, 'prefillWorkers' | 'decodeWorkers' | 'note'>;
  const failed = (configKnown: boolean, reason: string, workers: Workers = NO_WORKERS): RowPrediction => ({
    ...base,
    configKnown,
    ...workers,
    predTtftMs: null,
    predTpotMs: null,
    reason,
  });
  let plan;
  try {
    plan = planReplay(row, deps, overrides);
  } catch (e) {
    return failed(row.mode === 'agg', failureReason(e));
  }
  if (!plan.ok) return failed(plan.configKnown, plan.reason);
  const workers = { prefillWorkers: plan.workers?.prefillWorkers ?? null, decodeWorkers: plan.workers?.decodeWorkers ?? null, note: plan.note };
  try {
    const r = runBenchmark(plan.topology, plan.workload);
    if (r.rejected > 0) return failed(plan.configKnown, `${r.rejected} requests longer than a rank's KV cache`, workers);
    const stat = overrides.statistic === 'median' ? medianOf : meanOf;
    return { ...base, configKnown: plan.configKnown, ...workers, predTtftMs: stat(r.ttftMs), predTpotMs: stat(r.tpotMs), reason: '' };
  } catch (e) {
    return failed(plan.configKnown, failureReason(e), workers);
  }
}

const NO_WORKERS = { prefillWorkers: null, decodeWorkers: null, note: '' } as const;

/** Why a row could not be replayed: what the input asked for that phasewise refuses (a UsageError), or a bug. */
function failureReason(e: unknown): string {
  return isUsageError(e) ? `unsupported: ${e.message}` : `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

function medianOf(xs: Float64Array): number | null {
  const v = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length === 0 ? null : v.length % 2 === 1 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
}

/** Mean over the finite values (requests with one output token have no TPOT). */
function meanOf(xs: Float64Array): number | null {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n > 0 ? s / n : null;
}

export function unparsedPrediction(p: Extract<ParsedRow, { ok: false }>): RowPrediction {
  return {
    id: p.id,
    system: p.fields['system'] ?? '',
    model: p.fields['model_path'] ?? '',
    backend: p.fields['backend'] ?? '',
    mode: p.fields['mode'] ?? '',
    isl: null,
    osl: null,
    concurrency: null,
    configKnown: p.fields['mode'] !== 'disagg',
    prefillWorkers: null,
    decodeWorkers: null,
    measuredTtftMs: null,
    measuredTpotMs: null,
    predTtftMs: null,
    predTpotMs: null,
    reason: `line ${p.line}: ${p.reason}`,
    note: '',
  };
}

export function summariseValidation(preds: readonly RowPrediction[]): ValidationSummary {
  return {
    ...summariseGroup(preds),
    by: {
      system: summariseBy(preds, (p) => p.system),
      model: summariseBy(preds, (p) => p.model),
      backend: summariseBy(preds, (p) => p.backend),
      mode: summariseBy(preds, (p) => p.mode),
      configKnown: summariseBy(preds, (p) => String(p.configKnown)),
    },
  };
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const PREDICTION_COLUMNS = [
  'id',
  'pred_ttft_ms',
  'pred_tpot_ms',
  'silicon_ttft_ms',
  'silicon_tpot_ms',
  'ttft_ape',
  'tpot_ape',
  'system',
  'model_path',
  'backend',
  'mode',
  'isl',
  'osl',
  'concurrency',
  'config_known',
  'prefill_workers',
  'decode_workers',
  'reason',
  'note',
] as const;

/** One line per input row, in input order: `id,pred_ttft_ms,pred_tpot_ms,…,reason`. */
export function predictionsCsv(preds: readonly RowPrediction[]): string {
  const lines = [PREDICTION_COLUMNS.join(',')];
  for (const p of preds) {
    const ape = (pred: number | null, m: number | null): number | null => (pred !== null && m !== null && m > 0 ? Math.abs(pred - m) / m : null);
    lines.push(
      [
        p.id,
        round(p.predTtftMs),
        round(p.predTpotMs),
        round(p.measuredTtftMs),
        round(p.measuredTpotMs),
        round(ape(p.predTtftMs, p.measuredTtftMs)),
        round(ape(p.predTpotMs, p.measuredTpotMs)),
        p.system,
        p.model,
        p.backend,
        p.mode,
        p.isl,
        p.osl,
        p.concurrency,
        String(p.configKnown),
        p.prefillWorkers,
        p.decodeWorkers,
        p.reason,
        p.note,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function round(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
}
