import { UsageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Dtype } from '../core/units.js';
import type { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import type { MemoryPlan, PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { Trace, WorkloadSpec } from '../workload/types.js';
import { summarise, type Economics, type Metrics } from './metrics.js';
import type { AfdReport } from './afd.js';
import { buildDeployment, specReportOf, type SpecReport } from './build-deployment.js';
import type { PoolRuntime } from './pool.js';
import { simulate } from './simulate.js';

/** What a run needs that the scenario only names: resolved by the CLI (files) or the browser (bundled data). */
export interface RunDeps {
  readonly catalog: Catalog;
  readonly model: ModelArch;
  readonly trace: Trace | null;
  readonly memoryPlan: (ctx: PerfContext, opts: { reserveFraction: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (shape: StepShape) => StepTime;
  /** The draft model named by `topology.spec.draft.model` (speculative decoding with a draft model). */
  readonly draftModel?: ModelArch;
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly chips: number;
  readonly metrics: Metrics;
  readonly warnings: readonly string[];
  /** AFD topology: the per-layer pipeline at the run's mean decode batch. */
  readonly afd?: AfdReport;
  /** Speculative decoding: measured acceptance, the formula's expectation, the speed-up. */
  readonly spec?: SpecReport;
}

/** How to simulate, not what: results agree either way within docs/performance.md's tolerance. */
export interface RunOptions {
  /** Decode fast-forward (default true); false steps every decode (the reference, e.g. `npm run bench -- --no-fast-forward`). */
  readonly fastForward?: boolean;
}

/** Build the deployment a scenario describes and simulate its workload. */
export function runScenario(scenario: Scenario, deps: RunDeps, runOpts: RunOptions = {}): RunResult {
  // Topologies (colocated, pd, afd; speculative decoding; SRAM-pipelined pools) are built in build-deployment.ts.
  const built = buildDeployment(resolveScenario(scenario, deps.model), deps);
  const resolved = built.scenario;
  const { dep, pools } = built;
  const workload = workloadSpec(resolved, deps.trace);
  const outcome = simulate(dep, {
    workload,
    rng: new Rng(resolved.seed),
    slo: {
      ttftS: resolved.slo.ttftMs !== undefined ? resolved.slo.ttftMs / 1e3 : null,
      tpotS: resolved.slo.tpotMs !== undefined ? resolved.slo.tpotMs / 1e3 : null,
    },
    ...(runOpts.fastForward !== undefined ? { fastForward: runOpts.fastForward } : {}),
  });
  const economics = economicsOf(pools);
  const warnings: string[] = [...built.warnings];
  for (const m of economics.missing) warnings.push(m);
  for (const [reason, n] of outcome.metrics.rejectReasons) warnings.push(`${n} request(s) rejected: ${reason}`);
  return {
    scenario: resolved,
    chips: economics.chips,
    metrics: summarise(outcome.metrics, economics, outcome.numIssued),
    warnings,
    ...(built.afd ? { afd: built.afd.report() } : {}),
    ...(built.spec ? { spec: specReportOf(built.spec) } : {}),
  };
}

/** Fill in what the scenario left to the model (precisions) so the printed scenario is complete. */
export function resolveScenario(s: Scenario, model: ModelArch): Scenario {
  const weights: Dtype = s.precision.weights ?? model.weightDtype;
  const moe: Dtype = s.precision.moe ?? model.expertWeightDtype ?? weights;
  const kv: Dtype = s.precision.kv ?? model.kvDtype;
  return { ...s, precision: { weights, moe, kv } };
}

function workloadSpec(s: Scenario, trace: Trace | null): WorkloadSpec {
  const w = s.workload;
  const needsTrace = w.arrival.kind === 'trace' || w.input.kind === 'trace' || w.output.kind === 'trace';
  if (needsTrace && trace === null) {
    throw new UsageError('workload.trace', undefined, 'a trace name or CSV path when arrival, input or output is of kind "trace"');
  }
  if (w.input.kind === 'uniform' && w.input.min > w.input.max) {
    throw new UsageError('workload.input', w.input, 'min ≤ max');
  }
  if (w.output.kind === 'uniform' && w.output.min > w.output.max) {
    throw new UsageError('workload.output', w.output, 'min ≤ max');
  }
  if (w.arrival.kind === 'trace' && trace !== null && trace.rows.some((r) => r.arrivalS === null)) {
    throw new UsageError('workload.arrival.kind', 'trace', `a trace with arrival times; ${trace.name} has none (use poisson or closed arrivals with it)`);
  }
  return {
    arrival: w.arrival,
    input: w.input,
    output: w.output,
    numRequests: w.requests,
    sessions: w.sessions,
    trace,
  };
}

function economicsOf(pools: readonly PoolRuntime[]): Economics {
  let chips = 0;
  let usd: number | null = 0;
  let watts: number | null = 0;
  const missing: string[] = [];
  const seen = new Set<string>();
  // A composite pool (AFD, speculative decoding) pays for each of its chip groups.
  const groups = pools.flatMap((p) => (p.parts ? p.parts.map((q) => ({ device: q.device, n: q.replicas * q.chipsPerReplica })) : [{ device: p.device, n: p.replicas.length * p.chipsPerReplica }]));
  for (const { device, n } of groups) {
    chips += n;
    const price = device.priceUsdPerHour.value;
    const power = device.powerW.value;
    if (price === null) {
      usd = null;
      if (!seen.has(`$${device.id}`)) missing.push(`no rental price for ${device.id} in the catalog: $ figures are omitted (add priceUsdPerHour in a hardware override)`);
      seen.add(`$${device.id}`);
    } else if (usd !== null) usd += n * price;
    if (power === null) {
      watts = null;
      if (!seen.has(`W${device.id}`)) missing.push(`no power figure for ${device.id} in the catalog: energy figures are omitted (add powerW in a hardware override)`);
      seen.add(`W${device.id}`);
    } else if (watts !== null) watts += n * power;
  }
  return { chips, usdPerHour: usd, powerW: watts, missing };
}
