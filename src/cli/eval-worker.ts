import { isUsageError } from '../core/errors.js';
import { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { Evaluation } from '../plan/types.js';
import type { Scenario } from '../scenario/schema.js';
import { runScenario } from '../sim/run.js';
import type { Trace } from '../workload/types.js';
import { loadModel, loadStructuredFile, loadTrace } from './load.js';

/**
 * Simulate one scenario the way `phasewise simulate` does (same catalog, model and trace resolution as
 * runScenarioFromFiles), keeping parsed models, traces and catalogs for the next call: a planner worker runs
 * hundreds of scenarios on the same few inputs. Also the default export a worker thread runs.
 */
const models = new Map<string, ModelArch>();
const traces = new Map<string, Trace>();
const catalogs = new Map<string, Catalog>();

export function evaluateScenario(scenario: Scenario): Evaluation {
  try {
    const catalog = catalogFor(scenario);
    const modelOf = (id: string, where: string): ModelArch => {
      let m = models.get(id);
      if (!m) {
        m = loadModel(id, where);
        models.set(id, m);
      }
      return m;
    };
    const model = modelOf(scenario.model, 'model');
    const draft = scenario.topology.spec?.draft;
    const draftModel = draft?.kind === 'model' ? modelOf(draft.model, 'topology.spec.draft.model') : undefined;
    const name = scenario.workload.trace;
    let trace: Trace | null = null;
    if (name !== undefined) {
      trace = traces.get(name) ?? null;
      if (!trace) {
        trace = loadTrace(name);
        traces.set(name, trace);
      }
    }
    const r = runScenario(scenario, { catalog, model, trace, memoryPlan, makeStepCost, ...(draftModel ? { draftModel } : {}) });
    return { ok: true, chips: r.chips, metrics: r.metrics, scenario: r.scenario, warnings: r.warnings, ...(r.afd ? { afd: r.afd } : {}) };
  } catch (e) {
    if (isUsageError(e)) return { ok: false, error: e.message };
    throw e;
  }
}

function catalogFor(s: Scenario): Catalog {
  if (s.hardware === undefined) return Catalog.builtin();
  const key = JSON.stringify(s.hardware);
  let c = catalogs.get(key);
  if (!c) {
    const where = typeof s.hardware === 'string' ? s.hardware : 'scenario field hardware';
    const entries = typeof s.hardware === 'string' ? loadStructuredFile(s.hardware, 'hardware file') : s.hardware;
    c = Catalog.builtin().withOverrides(entries, where);
    catalogs.set(key, c);
  }
  return c;
}

export default function (task: { scenario: Scenario }): Evaluation {
  return evaluateScenario(task.scenario);
}
