import { UsageError } from '../core/errors.js';
import type { Device } from '../hardware/types.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { usageErrorFromZod } from '../scenario/zod-usage.js';
import { resolveScenario } from '../sim/run.js';
import { poolFacts, type PoolDesign, type PoolFacts } from './bounds.js';
import { EvalCache } from './cache.js';
import { canonicalJson, fnv1a64 } from './canonical.js';
import { GENERATORS } from './generators/index.js';
import { checkBounds, describeCheck, fmt } from './slo.js';
import type { GeneratorContext, InfeasibleShape, Shape } from './space.js';
import type {
  BoundCheck,
  Evaluation,
  PlanChoice,
  PlanDeps,
  PlanRequest,
  PlanResult,
  Role,
  ShapeOutcome,
  SkippedItem,
} from './types.js';
import { ROLES } from './types.js';
import { workloadStats } from './workload-stats.js';

/**
 * Find the cheapest deployments that meet the SLO (see docs/planner.md):
 *
 *  1. generators propose shapes (everything but replica counts); analytic floors (batch-1 decode step, prefill of
 *     the percentile prompt, memory) drop the shapes no replica count can save;
 *  2. each shape gets a conservative lower bound on its replicas, hence on its $/hour; shapes are searched
 *     cheapest bound first, in waves of fixed size, and a wave starts only with shapes whose bound is not above
 *     the current k-th best cost (branch and bound);
 *  3. within a shape, replicas grow from an estimate until a simulation meets the SLO, then each pool shrinks by
 *     bisection, never below its bound.
 *
 * The bound is the floor of the search, so pruning never drops a shape that could enter the best k: the answer is
 * the same whatever the wave size, the number of threads or the sharding.
 */
export async function planDeployments(req: PlanRequest, deps: PlanDeps, cache: EvalCache = new EvalCache()): Promise<PlanResult> {
  validateRequest(req);
  const base = baseScenario(req);
  const stats = workloadStats(base, deps.trace);
  if (!(stats.ratePerS > 0)) {
    throw new UsageError('plan workload', base.workload.arrival, 'an open-loop arrival rate (--rate R, or a trace with arrival times)');
  }
  for (const [what, v] of [['mean prompt', stats.meanPromptTokens], ['mean output', stats.meanOutputTokens]] as const) {
    if (!(v > 0)) throw new UsageError('plan workload', base.workload, `lengths with a known ${what} length (a trace for trace lengths)`);
  }
  const resolved = resolveScenario(base, deps.model);
  const precision = { weights: resolved.precision.weights!, moe: resolved.precision.moe!, kv: resolved.precision.kv! };
  const backend = resolved.backend;

  const factsMemo = new Map<string, PoolFacts>();
  const facts = (d: PoolDesign): PoolFacts => {
    const key = `${d.device.id}|${d.par.tp}|${d.par.pp}|${d.par.ep}|${d.par.dp}|${d.maxNumSeqs}|${d.maxNumBatchedTokens}|${d.reserveFraction}`;
    let f = factsMemo.get(key);
    if (!f) {
      f = poolFacts(d, deps, precision, backend);
      factsMemo.set(key, f);
    }
    return f;
  };

  const skipped: SkippedItem[] = [];
  const devices = usableDevices(req, deps, facts, skipped);
  const ctx: GeneratorContext = { request: req, deps, stats, precision, backend, devices, facts };
  const kinds = req.topologies.length > 0 ? req.topologies : GENERATORS.map((g) => g.kind);
  const shapes: Shape[] = [];
  const infeasible: InfeasibleShape[] = [];
  for (const kind of kinds) {
    const g = GENERATORS.find((x) => x.kind === kind);
    if (!g) throw new UsageError('topologies', kind, `one of ${GENERATORS.map((x) => x.kind).join(', ')}`);
    const out = g.generate(ctx);
    shapes.push(...out.shapes);
    infeasible.push(...out.infeasible);
  }

  // Limits rule out shapes whose bound already exceeds them.
  const bounded: Array<{ shape: Shape; lbUsd: number }> = [];
  for (const shape of shapes) {
    const lbUsd = costOf(shape, shape.slots.map((s) => s.minUnits));
    const over = limitBreach(req, shape, shape.slots.map((s) => s.minUnits));
    if (over) infeasible.push({ key: shape.key, label: shape.label(shape.slots.map((s) => s.minUnits)), reason: `at its lower bound it already needs ${over}` });
    else bounded.push({ shape, lbUsd });
  }
  bounded.sort((a, b) => a.lbUsd - b.lbUsd || (a.shape.key < b.shape.key ? -1 : a.shape.key > b.shape.key ? 1 : 0));
  const mine = req.shard ? bounded.filter((_, i) => i % req.shard!.count === req.shard!.index) : bounded;

  const outcomes: ShapeOutcome[] = infeasible.map((s) => ({
    key: s.key,
    label: s.label,
    status: 'infeasible' as const,
    reason: s.reason,
    lowerBoundUsdPerHour: Number.NaN,
    simulations: 0,
  }));
  const found: PlanChoice[] = [];
  let simulations = 0;
  let shapesDone = 0;
  let pruned = 0;
  const progress = (): void => deps.onProgress?.({ shapesDone, shapesTotal: mine.length, simulations });
  const kthCost = (): number => (found.length >= req.top ? sortChoices(found)[req.top - 1]!.usdPerHour : Infinity);

  const env: SearchEnv = {
    req,
    base,
    evaluate: (s) =>
      cache.get(s, async () => {
        const r = await deps.evaluate(s);
        simulations++;
        progress();
        return r;
      }),
  };

  let next = 0;
  while (next < mine.length) {
    const bar = kthCost();
    const wave: Array<{ shape: Shape; lbUsd: number }> = [];
    while (next < mine.length && wave.length < req.waveSize) {
      const item = mine[next++]!;
      if (item.lbUsd > bar) {
        pruned++;
        shapesDone++;
        outcomes.push({ key: item.shape.key, label: item.shape.label(item.shape.slots.map((s) => s.minUnits)), status: 'pruned', reason: `bound $${fmt(item.lbUsd)}/h > ${req.top}-th best $${fmt(bar)}/h`, lowerBoundUsdPerHour: item.lbUsd, simulations: 0 });
        continue;
      }
      wave.push(item);
    }
    const runs = await Promise.all(wave.map((w) => searchShape(w.shape, env)));
    runs.forEach((run, i) => {
      const w = wave[i]!;
      shapesDone++;
      outcomes.push({ key: w.shape.key, label: run.label, status: run.status, reason: run.reason, lowerBoundUsdPerHour: w.lbUsd, simulations: run.simulations });
      if (run.choice) found.push(run.choice);
    });
    progress();
  }

  const best = sortChoices(found)
    .slice(0, req.top)
    .map((c, i) => ({ ...c, rank: i + 1 }));
  outcomes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    kind: 'plan',
    requestKey: requestKeyOf(req),
    shard: req.shard,
    top: req.top,
    best,
    skipped,
    shapes: outcomes,
    search: {
      shapes: shapes.length,
      shapesInShard: mine.length,
      prunedByBound: pruned,
      infeasibleByBound: infeasible.length,
      searched: mine.length - pruned,
      simulations,
      cacheHits: cache.hits,
      requestsPerSimulation: base.workload.requests,
    },
    message: best.length > 0 ? null : emptyMessage(req, outcomes, skipped),
  };
}

/** Cheapest first; ties by chips, then by the shape's key, so the order never depends on timing. */
export function sortChoices<T extends { usdPerHour: number; chips: number; key: string }>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => a.usdPerHour - b.usdPerHour || a.chips - b.chips || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The question without its shard and search knobs that cannot change the answer. */
export function requestKeyOf(req: PlanRequest): string {
  const { shard: _s, waveSize: _w, ...rest } = req;
  return fnv1a64(canonicalJson(rest));
}

interface SearchEnv {
  readonly req: PlanRequest;
  readonly base: Scenario;
  readonly evaluate: (s: Scenario) => Promise<Evaluation>;
}

interface Trial {
  readonly counts: readonly number[];
  readonly evaluation: Evaluation;
  readonly checks: readonly BoundCheck[];
  readonly ok: boolean;
}

interface ShapeRun {
  readonly status: ShapeOutcome['status'];
  readonly reason: string | null;
  readonly label: string;
  readonly simulations: number;
  readonly choice: PlanChoice | null;
}

async function searchShape(shape: Shape, env: SearchEnv): Promise<ShapeRun> {
  const { req } = env;
  const trials: Trial[] = [];
  let sims = 0;
  const at = async (counts: readonly number[]): Promise<Trial> => {
    const known = trials.find((t) => sameCounts(t.counts, counts));
    if (known) return known;
    sims++;
    const scenario = scenarioFor(env.base, shape, counts);
    const evaluation = await env.evaluate(scenario);
    const usd = costOf(shape, counts);
    const checks = evaluation.ok ? checkBounds(evaluation.metrics, { chips: chipsOf(shape, counts), usdPerHour: usd, powerW: wattsOf(shape, counts) }, req.slo, req.limits) : [];
    const t: Trial = { counts, evaluation, checks, ok: evaluation.ok && checks.every((c) => c.ok) };
    trials.push(t);
    return t;
  };
  const result = (status: ShapeRun['status'], reason: string, counts: readonly number[]): ShapeRun => ({
    status,
    reason,
    label: shape.label(counts),
    simulations: sims,
    choice: null,
  });

  // Phase 1: grow the pools the failures point at until the SLO is met.
  let counts = shape.slots.map((s) => s.startUnits);
  let pass: Trial | null = null;
  for (;;) {
    const over = limitBreach(req, shape, counts);
    if (over) {
      const last = trials[trials.length - 1];
      return result('infeasible', `meeting the SLO needs more than the limit (${over})${last ? `; at ${shape.label(last.counts)}: ${failuresOf(last)}` : ''}`, counts);
    }
    if (sims >= req.maxSimulationsPerShape) {
      const last = trials[trials.length - 1]!;
      return result('gave-up', `no pass in ${sims} simulations; last: ${failuresOf(last)}`, last.counts);
    }
    const t = await at(counts);
    if (!t.evaluation.ok) return result('infeasible', t.evaluation.error, counts);
    if (t.ok) {
      pass = t;
      break;
    }
    const failed = t.checks.filter((c) => !c.ok).map((c) => c.kind);
    const grow = shape.blame(failed);
    if (grow.length === 0) return result('infeasible', `${failuresOf(t)}; more replicas do not help`, counts);
    counts = counts.map((c, i) => (grow.includes(i) ? Math.max(c + 1, Math.ceil(c * 1.5)) : c));
  }

  // Phase 2: shrink each pool by bisection, the dearest replicas first, never below the bound.
  const order = shape.slots.map((_, i) => i).sort((a, b) => shape.slots[b]!.usdPerHourPerUnit - shape.slots[a]!.usdPerHourPerUnit || a - b);
  for (const s of order) {
    let hi = pass.counts[s]!;
    let lo = shape.slots[s]!.minUnits - 1;
    for (const t of trials) {
      if (!t.ok && othersEqual(t.counts, pass.counts, s) && t.counts[s]! < hi) lo = Math.max(lo, t.counts[s]!);
    }
    while (hi - lo > 1 && sims < req.maxSimulationsPerShape) {
      const mid = (lo + hi) >> 1;
      const t = await at(pass.counts.map((c, i) => (i === s ? mid : c)));
      if (t.ok) {
        hi = mid;
        pass = t;
      } else lo = mid;
    }
  }

  const ev = pass.evaluation as Extract<Evaluation, { ok: true }>;
  const usdPerHour = costOf(shape, pass.counts);
  return {
    status: 'found',
    reason: null,
    label: shape.label(pass.counts),
    simulations: sims,
    choice: {
      rank: 0,
      key: shape.key,
      label: shape.label(pass.counts),
      kind: shape.kind,
      usdPerHour,
      chips: chipsOf(shape, pass.counts),
      counts: pass.counts,
      scenario: ev.scenario,
      metrics: ev.metrics,
      warnings: ev.warnings,
      bounds: pass.checks,
      whyNotSmaller: whyNotSmaller(shape, pass, trials),
      notes: shape.notes ?? [],
    },
  };
}

function whyNotSmaller(shape: Shape, pass: Trial, trials: readonly Trial[]): string[] {
  return shape.slots.map((slot, s) => {
    const fewer = pass.counts[s]! - 1;
    const role = slot.displayName ?? `${slot.role} pool`;
    if (fewer < slot.minUnits) {
      return fewer < 1 ? `${role}: already at 1 replica` : `${role}: ${fewer} replica(s) ruled out by the bound — ${slot.minUnitsReason}`;
    }
    // A failing trial with fewer in this pool and at least as many elsewhere: fewer here fails with what we chose too.
    const witness = trials.find((t) => !t.ok && t.counts[s]! === fewer && t.counts.every((c, i) => i === s || c >= pass.counts[i]!));
    if (witness) return `${role}: with ${shape.label(witness.counts)}: ${failuresOf(witness)}`;
    return `${role}: ${fewer} replica(s) not simulated (the search stopped at its simulation budget)`;
  });
}

function failuresOf(t: Trial): string {
  if (!t.evaluation.ok) return t.evaluation.error;
  return t.checks
    .filter((c) => !c.ok)
    .map(describeCheck)
    .join('; ');
}

const sameCounts = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const othersEqual = (a: readonly number[], b: readonly number[], skip: number): boolean => a.every((x, i) => i === skip || x === b[i]);

function costOf(shape: Shape, counts: readonly number[]): number {
  return shape.slots.reduce((acc, s, i) => acc + s.usdPerHourPerUnit * counts[i]!, 0);
}
function chipsOf(shape: Shape, counts: readonly number[]): number {
  return shape.slots.reduce((acc, s, i) => acc + s.chipsPerUnit * counts[i]!, 0);
}
function wattsOf(shape: Shape, counts: readonly number[]): number | null {
  let w = 0;
  for (let i = 0; i < shape.slots.length; i++) {
    const per = shape.slots[i]!.wattsPerUnit;
    if (per === null) return null;
    w += per * counts[i]!;
  }
  return w;
}

/** The first limit these counts exceed, described, or null. */
function limitBreach(req: PlanRequest, shape: Shape, counts: readonly number[]): string | null {
  const l = req.limits;
  const chips = chipsOf(shape, counts);
  if (l.maxChips !== null && chips > l.maxChips) return `${chips} chips > --max-chips ${l.maxChips}`;
  const usd = costOf(shape, counts);
  if (l.maxUsdPerHour !== null && usd > l.maxUsdPerHour) return `$${fmt(usd)}/h > --max-usd-per-hour ${l.maxUsdPerHour}`;
  const w = wattsOf(shape, counts);
  if (l.maxMW !== null && w !== null && w / 1e6 > l.maxMW) return `${fmt(w / 1e6)} MW > --max-mw ${l.maxMW}`;
  return null;
}

function scenarioFor(base: Scenario, shape: Shape, counts: readonly number[]): Scenario {
  const input = { ...base, name: `plan: ${shape.label(counts)}`, topology: shape.topology(counts) };
  const parsed = ScenarioSchema.safeParse(input);
  // The generators build valid topologies; a failure here is a bug, not the user's input.
  if (!parsed.success) throw new Error(`planner built an invalid scenario: ${parsed.error.message}`);
  return parsed.data;
}

/** The request's scenario with a placeholder deployment: what the workload, SLO and precision resolve to. */
function baseScenario(req: PlanRequest): Scenario {
  const slo: Record<string, number> = {};
  if (req.slo.ttft) slo.ttftMs = req.slo.ttft.ms;
  if (req.slo.tpot) slo.tpotMs = req.slo.tpot.ms;
  const input = { ...req.base, slo, topology: { kind: 'colocated', pool: { device: 'placeholder' } } };
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) throw usageErrorFromZod(parsed.error, input, 'plan');
  const { topology: _t, ...rest } = parsed.data;
  return rest as Scenario;
}

function validateRequest(req: PlanRequest): void {
  const positive = (where: string, v: number | null | undefined): void => {
    if (v !== null && v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UsageError(where, v, 'a positive number');
  };
  positive('SLO TTFT (ms)', req.slo.ttft?.ms);
  positive('SLO TPOT (ms)', req.slo.tpot?.ms);
  positive('SLO tokens/s per user', req.slo.minTokensPerSPerUser);
  if (!req.slo.ttft && !req.slo.tpot && req.slo.minTokensPerSPerUser === null) {
    throw new UsageError('SLO', 'none', 'at least one target: TTFT, TPOT (at p50, p90 or p99) or tokens/s per user');
  }
  positive('--max-chips', req.limits.maxChips);
  positive('--max-usd-per-hour', req.limits.maxUsdPerHour);
  positive('--max-mw', req.limits.maxMW);
  if (!Number.isInteger(req.top) || req.top < 1) throw new UsageError('--top', req.top, 'an integer ≥ 1');
  if (!Number.isInteger(req.waveSize) || req.waveSize < 1) throw new UsageError('wave size', req.waveSize, 'an integer ≥ 1');
  if (!Number.isInteger(req.maxSimulationsPerShape) || req.maxSimulationsPerShape < 1) {
    throw new UsageError('--max-sims-per-shape', req.maxSimulationsPerShape, 'an integer ≥ 1');
  }
  if (ROLES.every((r) => req.hardware[r].length === 0)) throw new UsageError('hardware', [], 'at least one device id (phasewise list hardware)');
  const s = req.shard;
  if (s && !(Number.isInteger(s.index) && Number.isInteger(s.count) && s.count >= 1 && s.index >= 0 && s.index < s.count)) {
    throw new UsageError('--shard', `${s.index}/${s.count}`, 'I/N with 0 ≤ I < N');
  }
}

/**
 * The allowed devices, each looked up (an unknown id is the user's error) and checked once: a device with no price
 * cannot be ranked by cost, one the performance model cannot cost cannot be simulated. Those are reported, not fatal.
 */
function usableDevices(
  req: PlanRequest,
  deps: PlanDeps,
  facts: (d: PoolDesign) => PoolFacts,
  skipped: SkippedItem[],
): Record<Role, Device[]> {
  const reasons = new Map<string, string | null>();
  const check = (d: Device): string | null => {
    if (reasons.has(d.id)) return reasons.get(d.id)!;
    const why: string[] = [];
    try {
      facts({ device: d, par: { tp: 1, pp: 1, ep: 1, moeTp: 1, dp: 1 }, maxNumSeqs: 1, maxNumBatchedTokens: 1024, reserveFraction: 0.1 });
    } catch (e) {
      why.push(`the performance model cannot cost it: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (d.priceUsdPerHour.value === null) why.push('no rental price in the catalog, so it cannot be ranked by cost (give priceUsdPerHour in a --hardware-file)');
    if (req.limits.maxMW !== null && d.powerW.value === null) why.push('no power figure in the catalog, so --max-mw cannot be checked (give powerW in a --hardware-file)');
    const reason = why.length > 0 ? why.join('; ') : null;
    reasons.set(d.id, reason);
    return reason;
  };
  const out = { colocated: [], prefill: [], decode: [] } as Record<Role, Device[]>;
  const skippedRoles = new Map<string, { roles: Role[]; reason: string }>();
  for (const role of ROLES) {
    for (const id of req.hardware[role]) {
      const d = deps.catalog.get(id);
      const reason = check(d);
      if (reason === null) {
        if (!out[role].some((x) => x.id === d.id)) out[role].push(d);
      } else {
        const e = skippedRoles.get(d.id) ?? { roles: [], reason };
        if (!e.roles.includes(role)) e.roles.push(role);
        skippedRoles.set(d.id, e);
      }
    }
  }
  for (const [id, e] of skippedRoles) skipped.push({ what: id, role: e.roles.join(', '), reason: e.reason });
  return out;
}

function emptyMessage(req: PlanRequest, outcomes: readonly ShapeOutcome[], skipped: readonly SkippedItem[]): string {
  const parts: string[] = ['No deployment meets the SLO'];
  const lim = req.limits;
  if (lim.maxChips !== null || lim.maxUsdPerHour !== null || lim.maxMW !== null) parts[0] += ' within the limits';
  parts[0] += '.';
  const byStatus = (s: ShapeOutcome['status']) => outcomes.filter((o) => o.status === s);
  const infeasible = byStatus('infeasible');
  const gaveUp = byStatus('gave-up');
  if (infeasible.length > 0) parts.push(`${infeasible.length} shape(s) infeasible, e.g. ${infeasible[0]!.label}: ${infeasible[0]!.reason}.`);
  if (gaveUp.length > 0) parts.push(`${gaveUp.length} shape(s) failed every simulation, e.g. ${gaveUp[0]!.label}: ${gaveUp[0]!.reason}.`);
  if (skipped.length > 0) parts.push(`Skipped devices: ${skipped.map((s) => `${s.what} (${s.reason})`).join('; ')}.`);
  if (outcomes.length === 0 && skipped.length === 0) parts.push('No shape was generated: allow more devices or topologies.');
  return parts.join(' ');
}
