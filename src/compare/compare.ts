import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunResult } from '../sim/run.js';
import { phaseBounds, type PhaseBound } from './bounds.js';

/**
 * `phasewise compare`: every scenario on the same workload (a closed loop of c clients with fixed prompt and
 * output lengths, c swept 1, 2, 4, …), read at the operating points the field argues about — one user (batch
 * 1) and the busiest point that still gives each user 100, 400 or 1,000 tokens/s — and checked against the
 * public claims it corresponds to (compared, never fitted). Pure: the caller runs the simulations.
 */

/** A public figure a scenario corresponds to (data/claims/public-claims.json). */
export interface Claim {
  readonly scenario: string;
  readonly claim: string;
  /** What is compared; only the one-user speed so far. */
  readonly metric: 'tokensPerSPerUserBatch1';
  readonly claimed: number;
  readonly source: string;
}

export interface ClaimCheck {
  readonly claim: string;
  readonly source: string;
  readonly claimed: number;
  readonly predicted: number | null;
  /** predicted / claimed. */
  readonly ratio: number | null;
  readonly withinFactor1_5: boolean;
}

export interface CompareOptions {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Tokens/s per user the table reads the best throughput at. */
  readonly thresholds: readonly number[];
  /** Closed-loop client counts swept (capped by the deployment's decode slots). */
  readonly concurrencies: readonly number[];
  /** Requests per client of each point (the first ones warm the system up). */
  readonly requestsPerClient: number;
  readonly seed: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  inputTokens: 1024,
  outputTokens: 256,
  thresholds: [100, 400, 1000],
  concurrencies: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  requestsPerClient: 3,
  seed: 1,
};

export interface OperatingPoint {
  readonly concurrency: number;
  readonly tokensPerSPerUser: number | null;
  readonly outputTokensPerS: number;
  readonly tokensPerSPerChip: number;
  readonly usdPerHour: number | null;
  readonly usdPerMTok: number | null;
  readonly tokensPerSPerMW: number | null;
  readonly ttftMs: number | null;
  readonly tpotMs: number | null;
  readonly rejected: number;
}

export interface InteractivityPoint {
  /** The per-user speed asked for. */
  readonly tokensPerSPerUser: number;
  readonly reachable: boolean;
  /** The busiest swept point giving every user at least that speed. */
  readonly concurrency: number | null;
  readonly tokensPerSPerChip: number | null;
  readonly tokensPerSPerUsdHour: number | null;
  readonly tokensPerSPerMW: number | null;
  readonly usdPerMTok: number | null;
}

export interface ScenarioComparison {
  readonly scenario: string;
  readonly model: string;
  readonly chips: number;
  readonly chipsByDevice: readonly { readonly device: string; readonly role: string; readonly chips: number }[];
  readonly tokensPerSPerUserBatch1: number | null;
  /** At the busiest point giving ≥ the lowest threshold per user (else at batch 1). */
  readonly usdPerMTok: number | null;
  readonly tokensPerSPerMW: number | null;
  readonly usdPerHour: number | null;
  readonly atInteractivity: readonly InteractivityPoint[];
  readonly bounds: readonly PhaseBound[];
  readonly points: readonly OperatingPoint[];
  readonly claims: readonly ClaimCheck[];
  readonly warnings: readonly string[];
}

export interface CompareContext {
  readonly model: ModelArch;
  readonly deviceOf: (id: string) => Device;
  readonly claims: readonly Claim[];
  /** Simulate one scenario (the CLI resolves its files). */
  readonly run: (s: Scenario) => RunResult;
}

/** The scenario with the comparison's workload: c closed-loop clients, fixed lengths, nothing else. */
export function withWorkload(s: Scenario, c: number, inputTokens: number, outputTokens: number, requests: number, seed: number): Scenario {
  const { trace: _trace, ...rest } = s.workload;
  return {
    ...s,
    seed,
    workload: {
      ...rest,
      arrival: { kind: 'closed', concurrency: c, thinkTimeS: 0 },
      input: { kind: 'fixed', tokens: inputTokens },
      output: { kind: 'fixed', tokens: outputTokens },
      requests,
      sessions: { turns: 1, thinkTimeS: 0, systemPromptTokens: 0 },
    },
    slo: {},
  };
}

/** Sequences the deployment can decode at once: its decode slots (beyond them, clients only queue). */
export function decodeSlots(s: Scenario): number {
  const t = s.topology;
  const slots = (p: { replicas: number; scheduler: { maxNumSeqs: number }; parallelism: { dp: number } }): number => p.replicas * p.scheduler.maxNumSeqs * p.parallelism.dp;
  switch (t.kind) {
    case 'colocated':
      return slots(t.pool);
    case 'pd':
      return slots(t.decode);
    case 'afd':
      return slots(t.attention);
  }
}

function pointOf(c: number, r: RunResult): OperatingPoint {
  const m = r.metrics;
  return {
    concurrency: c,
    tokensPerSPerUser: m.tokensPerSPerUser,
    outputTokensPerS: m.outputTokensPerS,
    tokensPerSPerChip: m.tokensPerSPerChip,
    usdPerHour: m.usdPerHour,
    usdPerMTok: m.usdPerMTok,
    tokensPerSPerMW: m.tokensPerSPerMW,
    ttftMs: m.ttftMs?.mean ?? null,
    tpotMs: m.tpotMs?.mean ?? null,
    rejected: m.rejected,
  };
}

export function checkClaim(claim: Claim, predicted: number | null): ClaimCheck {
  const ratio = predicted !== null && claim.claimed > 0 ? predicted / claim.claimed : null;
  return {
    claim: claim.claim,
    source: claim.source,
    claimed: claim.claimed,
    predicted,
    ratio,
    withinFactor1_5: ratio !== null && ratio >= 1 / 1.5 && ratio <= 1.5,
  };
}

export function compareScenario(scenario: Scenario, ctx: CompareContext, opts: CompareOptions = DEFAULT_COMPARE_OPTIONS): ScenarioComparison {
  const { inputTokens: isl, outputTokens: osl } = opts;
  const minThreshold = Math.min(...opts.thresholds);
  const cap = decodeSlots(scenario);
  const points: OperatingPoint[] = [];
  const runs = new Map<number, RunResult>();
  for (const c of opts.concurrencies) {
    if (c > cap && points.length > 0) break;
    const requests = Math.max(4, c * opts.requestsPerClient);
    const r = ctx.run(withWorkload(scenario, c, isl, osl, requests, opts.seed));
    runs.set(c, r);
    const p = pointOf(c, r);
    points.push(p);
    // Past the lowest threshold every further point is slower per user: nothing the table reads.
    if (p.tokensPerSPerUser === null || p.tokensPerSPerUser < minThreshold) break;
  }
  const first = runs.get(points[0]!.concurrency)!;
  const batch1 = points[0]!.concurrency === 1 ? points[0]!.tokensPerSPerUser : null;
  const best = (speed: number): OperatingPoint | null => {
    let b: OperatingPoint | null = null;
    for (const p of points) if (p.tokensPerSPerUser !== null && p.tokensPerSPerUser >= speed && (!b || p.outputTokensPerS > b.outputTokensPerS)) b = p;
    return b;
  };
  const atInteractivity: InteractivityPoint[] = opts.thresholds.map((t) => {
    const p = best(t);
    return {
      tokensPerSPerUser: t,
      reachable: p !== null,
      concurrency: p?.concurrency ?? null,
      tokensPerSPerChip: p?.tokensPerSPerChip ?? null,
      tokensPerSPerUsdHour: p && p.usdPerHour !== null && p.usdPerHour > 0 ? p.outputTokensPerS / p.usdPerHour : null,
      tokensPerSPerMW: p?.tokensPerSPerMW ?? null,
      usdPerMTok: p?.usdPerMTok ?? null,
    };
  });
  const economic = best(minThreshold) ?? points[0]!;
  const econRun = runs.get(economic.concurrency)!;
  const afdUnits = econRun.afd?.units ?? null;
  const decodeReplicas =
    afdUnits ?? econRun.metrics.pools.filter((p) => p.role !== 'prefill' && p.role !== 'draft' && p.role !== 'ffn').reduce((a, p) => a + p.replicas, 0);
  const kvFull = econRun.metrics.rejected > 0 || econRun.metrics.pools.some((p) => p.kvOccupancyMax >= 0.95);
  const bounds = phaseBounds(econRun.metrics.pools, {
    model: ctx.model,
    weightDtype: econRun.scenario.precision.weights!,
    kvDtype: econRun.scenario.precision.kv!,
    deviceOf: ctx.deviceOf,
    decodeBatch: economic.concurrency / Math.max(1, decodeReplicas),
    contextTokens: isl + osl / 2,
    promptTokens: isl,
    tpotS: economic.tpotMs !== null ? economic.tpotMs / 1e3 : null,
    prefillS: points[0]!.ttftMs !== null && points[0]!.concurrency === 1 ? points[0]!.ttftMs / 1e3 : null,
    afd: econRun.afd ?? null,
    kvFull,
  });
  const claims = ctx.claims.filter((c) => c.scenario === scenario.name).map((c) => checkClaim(c, batch1));
  return {
    scenario: scenario.name,
    model: scenario.model,
    chips: first.chips,
    chipsByDevice: first.metrics.pools.map((p) => ({ device: p.device, role: p.role, chips: p.replicas * p.chipsPerReplica })),
    tokensPerSPerUserBatch1: batch1,
    usdPerMTok: economic.usdPerMTok,
    tokensPerSPerMW: economic.tokensPerSPerMW,
    usdPerHour: economic.usdPerHour,
    atInteractivity,
    bounds,
    points,
    claims,
    warnings: [...new Set(first.warnings)],
  };
}

