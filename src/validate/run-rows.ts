import { UsageError } from '../core/errors.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { ScenarioSchema } from '../scenario/schema.js';
import type { RunResult } from '../sim/run.js';
import type { ParsedRow, ValidationRow } from './rows.js';
import { summariseBy, summariseGroup, type GroupSummary, type PredictionRecord } from './stats.js';
import { planRow, type RowEnv } from './to-scenario.js';

export interface RowPrediction extends PredictionRecord {
  readonly id: string;
  readonly system: string;
  readonly model: string;
  readonly backend: string;
  readonly mode: string;
  readonly configKnown: boolean;
  readonly reason: string;
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

/** Predict one row; never throws: a row that cannot be simulated gets empty predictions and a reason. */
export function predictRow(row: ValidationRow, env: RowEnv, run: (s: ScenarioInput) => RunResult): RowPrediction {
  const base = {
    id: row.id,
    system: row.system,
    model: row.modelPath,
    backend: row.backend,
    mode: row.mode,
    measuredTtftMs: row.measuredTtftMs,
    measuredTpotMs: row.measuredTpotMs,
  };
  const plan = planRow(row, env);
  if (!plan.ok) return { ...base, configKnown: row.mode === 'agg', predTtftMs: null, predTpotMs: null, reason: plan.reason };
  try {
    const r = run(plan.scenario);
    const ttft = r.metrics.ttftMs?.mean ?? null;
    const tpot = r.metrics.tpotMs?.mean ?? null;
    const reason = r.metrics.rejected > 0 ? `${r.metrics.rejected} requests rejected: ${r.warnings.find((w) => w.includes('rejected')) ?? ''}` : '';
    return { ...base, configKnown: plan.configKnown, predTtftMs: reason ? null : ttft, predTpotMs: reason ? null : tpot, reason };
  } catch (e) {
    const reason = e instanceof UsageError ? e.message : `internal error: ${(e as Error).message}`;
    return { ...base, configKnown: plan.configKnown, predTtftMs: null, predTpotMs: null, reason };
  }
}

export function unparsedPrediction(p: Extract<ParsedRow, { ok: false }>): RowPrediction {
  return {
    id: p.id,
    system: '',
    model: '',
    backend: '',
    mode: '',
    configKnown: false,
    measuredTtftMs: Number.NaN,
    measuredTpotMs: Number.NaN,
    predTtftMs: null,
    predTpotMs: null,
    reason: `line ${p.line}: ${p.reason}`,
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

export function parseScenario(input: ScenarioInput) {
  return ScenarioSchema.parse(input);
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function predictionsCsv(preds: readonly RowPrediction[]): string {
  const lines = ['id,pred_ttft_ms,pred_tpot_ms,silicon_ttft_ms,silicon_tpot_ms,system,model_path,backend,mode,config_known,reason'];
  for (const p of preds) {
    lines.push(
      [p.id, round(p.predTtftMs), round(p.predTpotMs), round(p.measuredTtftMs), round(p.measuredTpotMs), p.system, p.model, p.backend, p.mode, String(p.configKnown), p.reason]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function round(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
}
