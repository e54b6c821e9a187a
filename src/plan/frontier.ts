import { UsageError } from '../core/errors.js';
import type { Scenario } from '../scenario/schema.js';
import { canonicalJson, fnv1a64 } from './canonical.js';
import { paretoIndices } from './pareto.js';
import type { Evaluation, Shard } from './types.js';

/**
 * The throughput–interactivity frontier of a deployment: sweep the load (closed-loop clients, or an open-loop
 * rate), simulate each point, and keep the points no other beats on both tokens/s per user and tokens/s per
 * chip (or per $/hour, per MW).
 */
export type LoadKind = 'concurrency' | 'rate';
export type PerWhat = 'chip' | 'usd' | 'mw';
export const PER_WHAT: readonly PerWhat[] = ['chip', 'usd', 'mw'];

export interface FrontierOptions {
  readonly load: LoadKind;
  /** Loads to simulate; null = the default sweep for each scenario. */
  readonly points: readonly number[] | null;
  /** Closed loop: requests per point = max(minRequests, requestsPerClient × clients). Rate: the scenario's. */
  readonly minRequests: number;
  readonly requestsPerClient: number;
  readonly per: PerWhat;
  readonly shard: Shard | null;
}

export interface FrontierPoint {
  readonly index: number;
  readonly load: number;
  readonly tokensPerSPerUser: number | null;
  readonly tokensPerSPerChip: number;
  readonly tokensPerSPerUsdHour: number | null;
  readonly tokensPerSPerMW: number | null;
  readonly outputTokensPerS: number;
  readonly ttftP99Ms: number | null;
  readonly tpotP99Ms: number | null;
  readonly requests: number;
  readonly error: string | null;
  /** On the Pareto frontier (per `per`) among this scenario's points. */
  readonly pareto: boolean;
}

export interface Frontier {
  readonly source: string;
  readonly name: string;
  readonly chips: number | null;
  readonly usdPerHour: number | null;
  readonly loadKind: LoadKind;
  readonly points: readonly FrontierPoint[];
}

export interface FrontierResult {
  readonly kind: 'frontier';
  readonly requestKey: string;
  readonly shard: Shard | null;
  readonly per: PerWhat;
  readonly frontiers: readonly Frontier[];
}

export interface FrontierInput {
  readonly source: string;
  readonly scenario: Scenario;
}

export interface FrontierJob {
  readonly scenarioIndex: number;
  readonly pointIndex: number;
  readonly load: number;
  readonly scenario: Scenario;
}

const MAX_DEFAULT_POINTS = 12;

/** Clients the deployment can run at once (its decoding pool's seats), the top of the default sweep. */
export function seatsOf(s: Scenario): number {
  // The pool whose running batch the users share: it decodes.
  const t = s.topology as { kind: string } & Record<string, unknown>;
  const name = t.kind === 'colocated' ? 'pool' : t.kind === 'pd' ? 'decode' : 'attention';
  const pool = (t[name] ?? t['pool']) as { replicas: number; scheduler: { maxNumSeqs: number }; parallelism: { dp: number } } | undefined;
  return pool ? pool.replicas * pool.scheduler.maxNumSeqs * pool.parallelism.dp : 256;
}

/** Default loads: clients 1, 2, 4 … up to twice the seats; or 0.25× … 2× the scenario's own rate. */
export function defaultLoads(s: Scenario, kind: LoadKind): number[] {
  if (kind === 'concurrency') {
    const top = Math.min(4096, 2 * seatsOf(s));
    const out: number[] = [];
    for (let c = 1; c <= top; c *= 2) out.push(c);
    // Too many points: keep every other one, always ending at the top.
    while (out.length > MAX_DEFAULT_POINTS) {
      const kept = out.filter((_, i) => i % 2 === (out.length - 1) % 2);
      out.splice(0, out.length, ...kept);
    }
    return out;
  }
  const a = s.workload.arrival;
  const rate = a.kind === 'poisson' || a.kind === 'gamma' ? a.ratePerS : a.kind === 'trace' && a.ratePerS !== null ? a.ratePerS : null;
  if (rate === null) throw new UsageError('--load rate', a.kind, 'a scenario with a poisson, gamma or rescaled-trace arrival rate, or explicit --points');
  return [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2].map((f) => Number((rate * f).toPrecision(6)));
}

/** Every (scenario, load) simulation of the sweep, in a fixed order; a shard keeps every count-th from index. */
export function frontierJobs(inputs: readonly FrontierInput[], opts: FrontierOptions): FrontierJob[] {
  validate(opts);
  const jobs: FrontierJob[] = [];
  inputs.forEach((inp, scenarioIndex) => {
    const loads = opts.points ?? defaultLoads(inp.scenario, opts.load);
    loads.forEach((load, pointIndex) => jobs.push({ scenarioIndex, pointIndex, load, scenario: atLoad(inp.scenario, opts, load) }));
  });
  const sh = opts.shard;
  return sh ? jobs.filter((_, i) => i % sh.count === sh.index) : jobs;
}

function atLoad(s: Scenario, opts: FrontierOptions, load: number): Scenario {
  const w = s.workload;
  if (opts.load === 'concurrency') {
    const requests = Math.max(opts.minRequests, Math.round(opts.requestsPerClient * load));
    return { ...s, name: `${s.name} @ ${load} clients`, workload: { ...w, arrival: { kind: 'closed', concurrency: load, thinkTimeS: 0 }, requests } };
  }
  const arrival = w.arrival.kind === 'trace' ? { kind: 'trace' as const, ratePerS: load } : w.arrival.kind === 'gamma' ? { ...w.arrival, ratePerS: load } : { kind: 'poisson' as const, ratePerS: load };
  return { ...s, name: `${s.name} @ ${load} req/s`, workload: { ...w, arrival } };
}

function validate(opts: FrontierOptions): void {
  if (opts.points) {
    if (opts.points.length === 0) throw new UsageError('--points', '', 'a comma-separated list of loads');
    for (const p of opts.points) {
      const ok = opts.load === 'concurrency' ? Number.isInteger(p) && p >= 1 : Number.isFinite(p) && p > 0;
      if (!ok) throw new UsageError('--points', p, opts.load === 'concurrency' ? 'client counts: integers ≥ 1' : 'rates in requests/s: numbers > 0');
    }
  }
  if (!Number.isInteger(opts.minRequests) || opts.minRequests < 1) throw new UsageError('--requests', opts.minRequests, 'an integer ≥ 1');
  if (!PER_WHAT.includes(opts.per)) throw new UsageError('--per', opts.per, PER_WHAT.join(', '));
}

/** A simulated point in the frontier's terms. */
export function pointOf(job: FrontierJob, ev: Evaluation): FrontierPoint {
  if (!ev.ok) {
    return {
      index: job.pointIndex,
      load: job.load,
      tokensPerSPerUser: null,
      tokensPerSPerChip: 0,
      tokensPerSPerUsdHour: null,
      tokensPerSPerMW: null,
      outputTokensPerS: 0,
      ttftP99Ms: null,
      tpotP99Ms: null,
      requests: job.scenario.workload.requests,
      error: ev.error,
      pareto: false,
    };
  }
  const m = ev.metrics;
  return {
    index: job.pointIndex,
    load: job.load,
    tokensPerSPerUser: m.tokensPerSPerUser,
    tokensPerSPerChip: m.tokensPerSPerChip,
    tokensPerSPerUsdHour: m.usdPerHour !== null && m.usdPerHour > 0 ? m.outputTokensPerS / m.usdPerHour : null,
    tokensPerSPerMW: m.tokensPerSPerMW,
    outputTokensPerS: m.outputTokensPerS,
    ttftP99Ms: m.ttftMs?.p99 ?? null,
    tpotP99Ms: m.tpotMs?.p99 ?? null,
    requests: m.requests,
    error: null,
    pareto: false,
  };
}

export const yOf = (per: PerWhat) => (p: FrontierPoint): number | null =>
  p.error !== null ? null : per === 'chip' ? p.tokensPerSPerChip : per === 'usd' ? p.tokensPerSPerUsdHour : p.tokensPerSPerMW;

/** Group points by scenario, sort by load and mark the Pareto frontier. */
export function assembleFrontiers(
  inputs: ReadonlyArray<{ readonly source: string; readonly name: string }>,
  opts: Pick<FrontierOptions, 'load' | 'per' | 'shard'>,
  done: ReadonlyArray<{ job: Pick<FrontierJob, 'scenarioIndex'>; point: FrontierPoint; chips: number | null; usdPerHour: number | null }>,
  requestKey: string,
): FrontierResult {
  const frontiers: Frontier[] = inputs.map((inp, si) => {
    const mine = done.filter((d) => d.job.scenarioIndex === si);
    const points = mine.map((d) => d.point).sort((a, b) => a.index - b.index);
    const onFront = new Set(paretoIndices(points, (p) => (p.error !== null ? null : p.tokensPerSPerUser), yOf(opts.per)));
    const first = mine.find((d) => d.chips !== null);
    return {
      source: inp.source,
      name: inp.name,
      chips: first?.chips ?? null,
      usdPerHour: first?.usdPerHour ?? null,
      loadKind: opts.load,
      points: points.map((p, i) => ({ ...p, pareto: onFront.has(i) })),
    };
  });
  return { kind: 'frontier', requestKey, shard: opts.shard, per: opts.per, frontiers };
}

export function frontierRequestKey(inputs: readonly FrontierInput[], opts: FrontierOptions): string {
  const { shard: _s, ...rest } = opts;
  return fnv1a64(canonicalJson({ scenarios: inputs.map((i) => i.scenario), opts: rest }));
}

/** Run the sweep (or one shard of it) with the injected simulator. */
export async function sweepFrontiers(
  inputs: readonly FrontierInput[],
  opts: FrontierOptions,
  evaluate: (s: Scenario) => Promise<Evaluation>,
  onProgress?: (done: number, total: number) => void,
): Promise<FrontierResult> {
  const jobs = frontierJobs(inputs, opts);
  let n = 0;
  const done = await Promise.all(
    jobs.map(async (job) => {
      const ev = await evaluate(job.scenario);
      onProgress?.(++n, jobs.length);
      return { job, point: pointOf(job, ev), chips: ev.ok ? ev.chips : null, usdPerHour: ev.ok ? ev.metrics.usdPerHour : null };
    }),
  );
  const names = inputs.map((i) => ({ source: i.source, name: i.scenario.name }));
  return assembleFrontiers(names, opts, done, frontierRequestKey(inputs, opts));
}
