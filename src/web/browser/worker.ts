import { isUsageError } from '../../core/errors.js';
import { Catalog } from '../../hardware/catalog.js';
import type { ModelArch } from '../../models/types.js';
import { memoryPlan } from '../../perf/memory-plan.js';
import { makeStepCost } from '../../perf/step-cost.js';
import { defaultDraftModels } from '../../plan/drafts.js';
import { sweepFrontiers } from '../../plan/frontier.js';
import { planDeployments } from '../../plan/search.js';
import type { Evaluation, PlanRequest } from '../../plan/types.js';
import { ScenarioSchema, type Scenario } from '../../scenario/schema.js';
import { usageErrorFromZod } from '../../scenario/zod-usage.js';
import { runScenario } from '../../sim/run.js';
import { parseTraceCsv } from '../../workload/trace.js';
import type { Trace } from '../../workload/types.js';
import { bundledData } from './data.js';
import type { AfdTimeline, DeploymentDetail, DeviceInfo, FromWorker, ToWorker, UiPlanRequest, UiRunRequest, UiWorkload } from './protocol.js';

/**
 * The page's Web Worker: the unchanged core (perf, sched, sim, plan, catalogs) runs here, off the UI thread,
 * on data bundled into the page. Nothing here touches the DOM or the network.
 */
interface WorkerScope {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker): void => scope.postMessage(m);
const data = bundledData();
const catalog = Catalog.builtin();
const traces = new Map<string, Trace>();

function traceOf(name: string): Trace {
  let t = traces.get(name);
  if (!t) {
    const text = data.traces[name];
    if (text === undefined) throw new Error(`unknown trace ${name}; bundled: ${Object.keys(data.traces).join(', ')}`);
    t = parseTraceCsv(text, name);
    traces.set(name, t);
  }
  return t;
}

function modelOf(id: string): ModelArch {
  const m = data.models[id];
  if (!m) {
    const ids = Object.keys(data.models);
    const close = ids.filter((x) => x.toLowerCase().includes(id.toLowerCase().split('/').pop()!.slice(0, 6))).slice(0, 4);
    throw new UserError(`Unknown model "${id}". Pick one of the ${ids.length} built-in models${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}.`);
  }
  return m;
}

class UserError extends Error {}

function evaluate(s: Scenario): Evaluation {
  try {
    const draft = s.topology.spec?.draft;
    const draftModel = draft?.kind === 'model' ? modelOf(draft.model) : undefined;
    const r = runScenario(s, { catalog, model: modelOf(s.model), trace: s.workload.trace ? traceOf(s.workload.trace) : null, memoryPlan, makeStepCost, ...(draftModel ? { draftModel } : {}) });
    return { ok: true, chips: r.chips, metrics: r.metrics, scenario: r.scenario, warnings: r.warnings, ...(r.afd ? { afd: r.afd } : {}) };
  } catch (e) {
    if (isUsageError(e) || e instanceof UserError) return { ok: false, error: e.message };
    throw e;
  }
}

function workloadInput(w: UiWorkload, requests: number): Record<string, unknown> {
  return w.trace !== null
    ? { trace: w.trace, input: { kind: 'trace' }, output: { kind: 'trace' }, arrival: { kind: 'poisson', ratePerS: w.ratePerS }, requests }
    : { input: { kind: 'fixed', tokens: w.isl }, output: { kind: 'fixed', tokens: w.osl }, arrival: { kind: 'poisson', ratePerS: w.ratePerS }, requests };
}

function scenarioOf(label: string, model: string, topology: unknown, w: UiWorkload, slo: UiRunRequest['slo'], requests: number): Scenario {
  const input = { name: label, seed: 1, model, topology, workload: workloadInput(w, requests), slo };
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) throw usageErrorFromZod(parsed.error, input, label);
  return parsed.data;
}

function afdOf(label: string, ev: Evaluation): AfdTimeline | null {
  const afd = ev.ok ? ev.afd : undefined;
  if (!afd || afd.ops.length === 0) return null;
  return { label, microBatches: afd.microBatches, stepS: afd.stepS, perLayer: afd.perLayer, ops: afd.ops };
}

async function run(id: number, r: UiRunRequest): Promise<void> {
  modelOf(r.model);
  const errors: string[] = [];
  const inputs: Array<{ source: string; scenario: Scenario }> = [];
  const details: DeploymentDetail[] = [];
  let afd: AfdTimeline | null = null;
  for (const d of r.deployments) {
    let scenario: Scenario;
    try {
      scenario = scenarioOf(d.label, r.model, d.topology, r.workload, r.slo, r.detailRequests);
    } catch (e) {
      details.push({ label: d.label, error: (e as Error).message, metrics: null, chips: null });
      continue;
    }
    const ev = evaluate(scenario);
    if (!ev.ok) {
      details.push({ label: d.label, error: ev.error, metrics: null, chips: null });
      continue;
    }
    details.push({ label: d.label, error: null, metrics: ev.metrics, chips: ev.chips });
    afd ??= afdOf(d.label, ev);
    inputs.push({ source: d.label, scenario });
  }
  for (const d of details) if (d.error) errors.push(`${d.label}: ${d.error}`);
  const total = inputs.length * r.points.length;
  let done = 0;
  const frontiers =
    inputs.length === 0
      ? null
      : await sweepFrontiers(
          inputs,
          { load: 'concurrency', points: r.points, minRequests: r.minRequests, requestsPerClient: r.requestsPerClient, per: r.per, shard: null },
          async (s) => {
            const ev = evaluate(s);
            post({ type: 'progress', id, done: ++done, total });
            return ev;
          },
        );
  post({ type: 'run-result', id, frontiers, details, afd, errors });
}

async function plan(id: number, r: UiPlanRequest): Promise<void> {
  const model = modelOf(r.model);
  const req: PlanRequest = {
    base: { seed: 1, model: r.model, workload: workloadInput(r.workload, r.requests) as never },
    slo: { ttft: { percentile: 'p99', ms: r.slo.ttftMs }, tpot: { percentile: 'p99', ms: r.slo.tpotMs }, minTokensPerSPerUser: null },
    hardware: { colocated: r.hardware, prefill: r.hardware, decode: r.hardware },
    limits: { maxChips: null, maxUsdPerHour: r.maxUsdPerHour, maxMW: null },
    topologies: [],
    top: 3,
    waveSize: 6,
    maxSimulationsPerShape: 8,
    shard: null,
  };
  const result = await planDeployments(req, {
    catalog,
    model,
    trace: r.workload.trace ? traceOf(r.workload.trace) : null,
    memoryPlan,
    makeStepCost,
    // The same default draft rule as the CLI, over the bundled models.
    draftModels: defaultDraftModels(model, Object.values(data.models)),
    evaluate: async (s) => evaluate(s),
    onProgress: (p) => post({ type: 'progress', id, done: p.shapesDone, total: p.shapesTotal }),
  });
  post({ type: 'plan-result', id, plan: result });
}

function catalogInfo(): FromWorker {
  const devices: DeviceInfo[] = catalog.list().map((d) => ({
    id: d.id,
    name: d.name,
    kind: d.kind,
    figures: {
      'BF16 FLOP/s': d.flopsPerS.bf16,
      'FP8 FLOP/s': d.flopsPerS.fp8,
      'HBM bytes': d.memory.hbm.capacityBytes,
      'HBM bytes/s': d.memory.hbm.bandwidthBytesPerS,
      'SRAM bytes': d.memory.sram.capacityBytes,
      'SRAM bytes/s': d.memory.sram.bandwidthBytesPerS,
      'scale-up bytes/s': d.scaleUp.bandwidthBytesPerS,
      'power W': d.powerW,
      '$ per hour': d.priceUsdPerHour,
    },
  }));
  return { type: 'catalog', models: Object.keys(data.models).sort(), devices, traces: Object.keys(data.traces) };
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  const fail = (id: number, err: unknown): void => post({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  try {
    if (m.type === 'init') post(catalogInfo());
    else if (m.type === 'run') run(m.id, m.request).catch((err) => fail(m.id, err));
    else if (m.type === 'plan') plan(m.id, m.request).catch((err) => fail(m.id, err));
  } catch (err) {
    fail('id' in m ? m.id : -1, err);
  }
};
