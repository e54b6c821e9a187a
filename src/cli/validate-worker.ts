import { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import { BUILTIN_CALIBRATION } from '../perf/calibration.js';
import type { CalibrationSet } from '../perf/calibration-types.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { ReplayDeps, ReplayOverrides } from '../validate/deployment.js';
import { predictPublic, type PublicPrediction, type PublicRecord } from '../validate/public.js';
import type { ValidationRow } from '../validate/rows.js';
import { predictRow, type RowPrediction } from '../validate/run-rows.js';
import { builtinModelIds, loadModel } from './load.js';

/**
 * Replays validation rows with the shipped catalog and model configs, caching parsed models per thread. The
 * default export is what a `validate` worker thread runs; the main thread calls `predictRows` directly.
 */
let deps: ReplayDeps | null = null;
let shipped: { readonly catalog: Catalog; readonly ids: ReadonlyMap<string, string> } | null = null;
const models = new Map<string, ModelArch | null>();

/** Replay dependencies over the shipped catalog and model configs, with step costs from `calib`. */
export function replayDepsWith(calib: CalibrationSet): ReplayDeps {
  shipped ??= { catalog: Catalog.builtin(), ids: new Map(builtinModelIds().map((m) => [m.toLowerCase(), m])) };
  const { catalog, ids } = shipped;
  return {
    device: (system) => (catalog.has(system) ? catalog.get(system) : null),
    model: (id) => {
      const key = id.toLowerCase();
      if (!models.has(key)) models.set(key, ids.has(key) ? loadModel(ids.get(key)!) : null);
      return models.get(key)!;
    },
    memoryPlan: (ctx, opts) => memoryPlan(ctx, opts),
    makeStepCost: (ctx) => makeStepCost(ctx, calib),
  };
}

export function replayDeps(): ReplayDeps {
  deps ??= replayDepsWith(BUILTIN_CALIBRATION);
  return deps;
}

export function predictRows(rows: readonly ValidationRow[], overrides: ReplayOverrides = {}): RowPrediction[] {
  const d = replayDeps();
  return rows.map((r) => predictRow(r, d, overrides));
}

export default function (task: { rows: ValidationRow[]; overrides?: ReplayOverrides }): RowPrediction[] {
  return predictRows(task.rows, task.overrides);
}

/** `validate --public`: predict published results (piscina calls this export by name). */
export function publicTask(task: { records: PublicRecord[] }): PublicPrediction[] {
  return predictPublic(task.records, replayDeps());
}
