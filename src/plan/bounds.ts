import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import { uniformDecodeShape } from '../perf/decode-shape.js';
import type { Backend, Parallelism, PerfContext, StepShape } from '../perf/types.js';
import type { PlanDeps } from './types.js';

/** A pool design without its replica count: what a generator proposes and the bounds are computed for. */
export interface PoolDesign {
  readonly device: Device;
  readonly par: Parallelism;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly reserveFraction: number;
}

/** Analytic facts of one replica of a pool design, from the same memory plan and step cost the simulator uses. */
export interface PoolFacts {
  readonly fits: boolean;
  readonly reason: string | null;
  readonly chipsPerReplica: number;
  readonly kvTokens: number;
  readonly kvBytesPerToken: number;
  /** Running sequences a replica holds at most (scheduler cap). */
  readonly maxSeqs: number;
  /** One decode step of `batch` sequences, each with `contextTokens` of KV. */
  readonly decodeStepS: (batch: number, contextTokens: number) => number;
  /** Prefill of one prompt alone, in chunks of maxNumBatchedTokens. */
  readonly prefillS: (promptTokens: number) => number;
  /** Prompt tokens/s one replica prefills at most (full token-budget steps). */
  readonly prefillTokensPerS: number;
}

export interface Precision {
  readonly weights: Dtype;
  readonly moe: Dtype;
  readonly kv: Dtype;
}

/**
 * Facts of a pool design, or an error message when the performance model cannot cost the device (a chip with
 * no FLOP figure, say). Costs are memoised per call: the bounds ask for a few dozen shapes per design.
 */
export function poolFacts(
  design: PoolDesign,
  deps: Pick<PlanDeps, 'model' | 'memoryPlan' | 'makeStepCost'>,
  precision: Precision,
  backend: Backend,
): PoolFacts {
  const ctx: PerfContext = {
    device: design.device,
    model: deps.model,
    par: design.par,
    weightDtype: precision.weights,
    moeDtype: precision.moe,
    kvDtype: precision.kv,
    backend,
  };
  const plan = deps.memoryPlan(ctx, { reserveFraction: design.reserveFraction });
  const chips = design.par.tp * design.par.pp * design.par.dp;
  const kvTokens = plan.fits ? Math.floor(plan.kvCapacityBytes / plan.kvBytesPerToken) : 0;
  const cost = deps.makeStepCost(ctx);
  const decodeStepS = (batch: number, contextTokens: number): number =>
    cost(uniformDecodeShape(Math.max(1, Math.round(batch)), Math.max(1, Math.round(contextTokens)))).totalS;
  const budget = design.maxNumBatchedTokens;
  const prefillS = (promptTokens: number): number => {
    let total = 0;
    for (let done = 0; done < promptTokens; done += budget) {
      total += cost(prefillShape(Math.min(budget, promptTokens - done), done)).totalS;
    }
    return total;
  };
  // Probe once so a device the perf model cannot cost fails here, with its own message, not mid-search.
  const probe = decodeStepS(1, 1);
  if (!Number.isFinite(probe) || probe <= 0) throw new Error(`the performance model gives a step time of ${probe} s on ${design.device.id}`);
  return {
    fits: plan.fits,
    reason: plan.fits ? null : (plan.reason ?? 'does not fit'),
    chipsPerReplica: chips,
    kvTokens,
    kvBytesPerToken: plan.kvBytesPerToken,
    maxSeqs: design.maxNumSeqs * design.par.dp,
    decodeStepS,
    prefillS,
    prefillTokensPerS: budget / cost(prefillShape(budget, 0)).totalS,
  };
}

function prefillShape(tokens: number, cachedTokens: number): StepShape {
  return {
    numTokens: tokens,
    numSeqs: 1,
    numPrefillSeqs: 1,
    prefillTokens: tokens,
    prefillAttnPairs: tokens * (cachedTokens + (tokens + 1) / 2),
    prefillKvTokens: cachedTokens + tokens,
    numDecodeSeqs: 0,
    decodeKvTokens: 0,
  };
}

/**
 * Sequences a replica can decode at once: its scheduler cap, and the KV cache at the mean context a running
 * request holds (prompt plus half its output, on average over its life).
 */
export function decodeSeats(f: PoolFacts, meanContextTokens: number): number {
  return Math.max(1, Math.min(f.maxSeqs, Math.floor(f.kvTokens / Math.max(1, meanContextTokens))));
}

/** The largest batch ≤ seats whose decode step stays within `stepS` (0 when even batch 1 does not). */
export function largestBatchWithin(f: PoolFacts, seats: number, contextTokens: number, stepS: number): number {
  if (f.decodeStepS(1, contextTokens) > stepS) return 0;
  let lo = 1;
  let hi = seats;
  if (f.decodeStepS(hi, contextTokens) <= stepS) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (f.decodeStepS(mid, contextTokens) <= stepS) lo = mid;
    else hi = mid;
  }
  return lo;
}
