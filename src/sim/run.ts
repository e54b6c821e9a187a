import { UsageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Dtype } from '../core/units.js';
import type { Catalog } from '../hardware/catalog.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { MemoryPlan, PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { LinkConfig, Scenario } from '../scenario/schema.js';
import type { Trace, WorkloadSpec } from '../workload/types.js';
import { summarise, type Economics, type Metrics } from './metrics.js';
import { buildPool, type PoolDeps, type PoolRuntime } from './pool.js';
import { simulate, type Deployment, type KvLink } from './simulate.js';

/** What a run needs that the scenario only names: resolved by the CLI (files) or the browser (bundled data). */
export interface RunDeps {
  readonly catalog: Catalog;
  readonly model: ModelArch;
  readonly trace: Trace | null;
  readonly memoryPlan: (ctx: PerfContext, opts: { reserveFraction: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (shape: StepShape) => StepTime;
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly chips: number;
  readonly metrics: Metrics;
  readonly warnings: readonly string[];
}

/** Build the deployment a scenario describes and simulate its workload. */
export function runScenario(scenario: Scenario, deps: RunDeps): RunResult {
  const resolved = resolveScenario(scenario, deps.model);
  const precision = {
    weights: resolved.precision.weights!,
    moe: resolved.precision.moe!,
    kv: resolved.precision.kv!,
  };
  const poolDeps = (device: Device): PoolDeps => ({
    device,
    model: deps.model,
    precision,
    backend: resolved.backend,
    memoryPlan: deps.memoryPlan,
    makeStepCost: deps.makeStepCost,
  });
  const topo = resolved.topology;
  let dep: Deployment;
  if (topo.kind === 'colocated') {
    const device = deviceAt(deps.catalog, topo.pool.device, 'topology.pool.device');
    dep = { kind: 'colocated', pool: buildPool('colocated', 'topology.pool', topo.pool, poolDeps(device)) };
  } else {
    const pDevice = deviceAt(deps.catalog, topo.prefill.device, 'topology.prefill.device');
    const dDevice = deviceAt(deps.catalog, topo.decode.device, 'topology.decode.device');
    const prefill = buildPool('prefill', 'topology.prefill', topo.prefill, poolDeps(pDevice));
    const decode = buildPool('decode', 'topology.decode', topo.decode, poolDeps(dDevice));
    dep = {
      kind: 'pd',
      prefill,
      decode,
      link: kvLink(topo.link, pDevice, dDevice, topo.kvTransfer === 'layerwise', prefill.plan.kvBytesPerToken, deps.model.numLayers),
    };
  }
  const pools: PoolRuntime[] = dep.kind === 'colocated' ? [dep.pool] : [dep.prefill, dep.decode];
  const workload = workloadSpec(resolved, deps.trace);
  const outcome = simulate(dep, {
    workload,
    rng: new Rng(resolved.seed),
    slo: {
      ttftS: resolved.slo.ttftMs !== undefined ? resolved.slo.ttftMs / 1e3 : null,
      tpotS: resolved.slo.tpotMs !== undefined ? resolved.slo.tpotMs / 1e3 : null,
    },
  });
  const economics = economicsOf(pools);
  const warnings: string[] = [];
  for (const m of economics.missing) warnings.push(m);
  for (const [reason, n] of outcome.metrics.rejectReasons) warnings.push(`${n} request(s) rejected: ${reason}`);
  return {
    scenario: resolved,
    chips: economics.chips,
    metrics: summarise(outcome.metrics, economics, outcome.numIssued),
    warnings,
  };
}

/** Fill in what the scenario left to the model (precisions) so the printed scenario is complete. */
export function resolveScenario(s: Scenario, model: ModelArch): Scenario {
  const weights: Dtype = s.precision.weights ?? model.weightDtype;
  const moe: Dtype = s.precision.moe ?? model.expertWeightDtype ?? weights;
  const kv: Dtype = s.precision.kv ?? model.kvDtype;
  return { ...s, precision: { weights, moe, kv } };
}

function deviceAt(catalog: Catalog, id: string, where: string): Device {
  try {
    return catalog.get(id);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(where, id, e.accepted, e.hint);
    throw e;
  }
}

function kvLink(cfg: LinkConfig, a: Device, b: Device, layerwise: boolean, kvBytesPerToken: number, numLayers: number): KvLink {
  let bandwidth = cfg.bandwidthBytesPerS;
  let latency = cfg.latencyS;
  if (cfg.class !== 'custom') {
    const spec = (d: Device) => (cfg.class === 'scale-up' ? d.scaleUp : d.scaleOut);
    const bwA = spec(a).bandwidthBytesPerS.value;
    const bwB = spec(b).bandwidthBytesPerS.value;
    bandwidth ??= bwA !== null && bwB !== null ? Math.min(bwA, bwB) : undefined;
    const latA = spec(a).latencyS.value;
    const latB = spec(b).latencyS.value;
    latency ??= latA !== null && latB !== null ? Math.max(latA, latB) : undefined;
  }
  if (bandwidth === undefined) {
    throw new UsageError(
      'topology.link.bandwidthBytesPerS',
      undefined,
      'a number of bytes/s per chip',
      `The catalog has no ${cfg.class} bandwidth for ${a.id} or ${b.id}; give topology.link.bandwidthBytesPerS.`,
    );
  }
  return { bandwidthBytesPerS: bandwidth, latencyS: latency ?? 0, layerwise, kvBytesPerToken, numLayers };
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
  for (const p of pools) {
    const n = p.replicas.length * p.chipsPerReplica;
    chips += n;
    const price = p.device.priceUsdPerHour.value;
    const power = p.device.powerW.value;
    if (price === null) {
      usd = null;
      missing.push(`no rental price for ${p.device.id} in the catalog: $ figures are omitted (add priceUsdPerHour in a hardware override)`);
    } else if (usd !== null) usd += n * price;
    if (power === null) {
      watts = null;
      missing.push(`no power figure for ${p.device.id} in the catalog: energy figures are omitted (add powerW in a hardware override)`);
    } else if (watts !== null) watts += n * power;
  }
  return { chips, usdPerHour: usd, powerW: watts, missing };
}
