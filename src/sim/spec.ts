import { Rng } from '../core/rng.js';
import { UsageError } from '../core/errors.js';
import type { ModelArch } from '../models/types.js';
import type { LinkLike } from '../perf/collectives.js';
import { acceptanceAt, acceptedTokensPerStep } from '../perf/speculative.js';
import type { StepShape, StepTime } from '../perf/types.js';
import type { SchedulerStep } from '../sched/types.js';
import type { SpecConfig } from '../scenario/schema.js';
import type { PoolRuntime, PoolSpec, ReplicaRuntime } from './pool.js';
import { EMPTY_SHAPE, splitStep, type SplitStep } from './step-split.js';

/**
 * Speculative decoding on a decode pool (see docs/heterogeneous.md). Each step of a decoding sequence is a
 * round: the draft proposes k tokens (k draft steps on the draft pool, or MTP heads on the target, or n-gram
 * lookup for free), the draft ↔ target hop carries them, and the target verifies k + 1 tokens in one step.
 * Each draft token is accepted with probability α_i (constant or a per-position curve) until the first
 * rejection; the round yields the accepted drafts plus one sampled token, so on average
 *
 *   E[tokens per round] = 1 + Σ_{j=1..k} Π_{i≤j} α_i   = (1 − α^(k+1)) / (1 − α) for a constant α,
 *
 * and costs k·t_draft + 2 hops + t_verify(k + 1 tokens per sequence). The event loop samples the acceptances
 * (seeded), so the expectation above is something the simulator's output can be checked against.
 */

export { acceptanceAt };

/** Expected tokens per verification round with k drafts: 1 + Σ_{j=1..k} Π_{i≤j} α_i. */
export function expectedTokensPerRound(acceptance: number | readonly number[], k: number): number {
  return acceptedTokensPerStep(k, acceptance);
}

/** The closed form for a constant α: (1 − α^(k+1)) / (1 − α), k + 1 at α = 1. */
export function expectedTokensConstant(alpha: number, k: number): number {
  return acceptedTokensPerStep(k, alpha);
}

/** Accepted drafts of one sequence: each position accepted with its α until the first rejection. */
export function sampleAcceptedDrafts(rng: Rng, acceptance: number | readonly number[], k: number): number {
  let a = 0;
  while (a < k && rng.next() < acceptanceAt(acceptance, a + 1)) a++;
  return a;
}

/** How the drafts are produced, as a cost per round. */
export type DraftCost = (verifySeqs: number, contextTokens: number, k: number) => number;

export interface DraftSetup {
  readonly kind: SpecConfig['draft']['kind'];
  /** The draft pool (a model draft), built like any pool but never run by the event loop itself. */
  readonly pool: PoolRuntime | null;
  readonly link: LinkLike | null;
  /** Draft replicas per target replica (fractions share a draft replica between several targets). */
  readonly draftPerTarget: number;
}

/** Draft ids are 4-byte token ids; the hop is latency-bound. */
const TOKEN_ID_BYTES = 4;

export function makeDraftCost(setup: DraftSetup, mtpLayers: number, target: TargetCost, targetLayers: number): DraftCost {
  switch (setup.kind) {
    case 'ngram':
      return () => 0;
    case 'mtp':
      // Each draft token runs `layers` extra target layers over the batch: that share of a plain decode step.
      return (seqs, ctx, k) => {
        if (seqs <= 0 || k <= 0) return 0;
        const decode: StepShape = { ...EMPTY_SHAPE, numTokens: seqs, numSeqs: seqs, numDecodeSeqs: seqs, decodeKvTokens: ctx + seqs };
        const plain = target(splitOf(decode, 0, 0, 0), false).totalS;
        return (k * mtpLayers * plain) / Math.max(1, targetLayers);
      };
    case 'model': {
      const pool = setup.pool!;
      const link = setup.link!;
      const share = setup.draftPerTarget;
      return (seqs, ctx, k) => {
        if (seqs <= 0 || k <= 0) return 0;
        // k draft steps; step i attends to the context plus i drafted tokens (their mean: (k − 1)/2).
        const per = seqs / Math.max(1, share);
        const shape: StepShape = { ...EMPTY_SHAPE, numTokens: per, numSeqs: per, numDecodeSeqs: per, decodeKvTokens: (ctx / seqs + 1 + (k - 1) / 2) * per };
        const stepS = pool.stepCost(shape).totalS;
        const slowdown = share < 1 ? 1 / share : 1;
        const hopS = 2 * link.latencyS + (seqs * (k + 1) * TOKEN_ID_BYTES) / link.bandwidthBytesPerS;
        return k * stepS * slowdown + hopS;
      };
    }
  }
}

/**
 * The target's cost of a step (the pool's own model, or the AFD pipeline). `account` false: a what-if (the
 * adaptive k's candidates, the plain-decode comparison) that must not count as work done.
 */
export type TargetCost = (split: SplitStep, account?: boolean) => StepTime;

function splitOf(decode: StepShape, numVerifySeqs: number, maxDraftTokens: number, verifyKvTokens: number): SplitStep {
  return { prefill: EMPTY_SHAPE, decode, merged: decode, numVerifySeqs, maxDraftTokens, verifyKvTokens };
}

/** What the run reports about speculative decoding. */
export interface SpecStats {
  rounds: number;
  acceptedDrafts: number;
  draftedTokens: number;
  /** Σ over rounds of tokens produced (accepted + 1). */
  tokens: number;
  /** Σ over verifying sequences of their step's time, and of the same step as a plain decode (for the speed-up). */
  roundS: number;
  plainS: number;
  draftS: number;
  /** Σ k over rounds (the mean draft length, adaptive k included). */
  sumK: number;
}

export interface SpecRuntime {
  readonly stepCostOf: (step: SchedulerStep) => StepTime;
  readonly spec: PoolSpec;
  readonly stats: SpecStats;
}

/**
 * Wrap a target's step cost with speculative decoding. `onCost` is told each step's target and draft seconds
 * (for the busy time of the pool's parts).
 */
export function makeSpecRuntime(
  cfg: SpecConfig,
  target: TargetCost,
  draftCost: DraftCost,
  seed: number,
  onCost: (targetS: number, draftS: number) => void = () => {},
): SpecRuntime {
  const rng = new Rng((seed ^ 0x5eed5eed) >>> 0);
  const stats: SpecStats = { rounds: 0, acceptedDrafts: 0, draftedTokens: 0, tokens: 0, roundS: 0, plainS: 0, draftS: 0, sumK: 0 };
  // The adaptive k needs the typical context of a verifying sequence: that of the last verification.
  let lastMeanContext = 1024;

  const roundCost = (seqs: number, ctx: number, k: number): number => {
    const decode: StepShape = { ...EMPTY_SHAPE, numTokens: seqs * (1 + k), numSeqs: seqs, numDecodeSeqs: seqs, decodeKvTokens: ctx + seqs * (1 + k) };
    return target(splitOf(decode, seqs, k, ctx), false).totalS + draftCost(seqs, ctx, k);
  };

  const draftTokens = (replica: ReplicaRuntime): number => {
    if (cfg.k !== 'adaptive') return cfg.k;
    const seqs = Math.max(1, replica.sched.numRunning);
    const ctx = lastMeanContext * seqs;
    let best = 1;
    let bestRate = 0;
    for (let k = 1; k <= cfg.maxK; k++) {
      const rate = expectedTokensPerRound(cfg.acceptance, k) / roundCost(seqs, ctx, k);
      if (rate > bestRate) {
        bestRate = rate;
        best = k;
      }
    }
    return best;
  };

  const stepCostOf = (step: SchedulerStep): StepTime => {
    const split = splitStep(step);
    const t = target(split);
    if (split.numVerifySeqs === 0) {
      onCost(t.totalS, 0);
      return t;
    }
    const draftS = draftCost(split.numVerifySeqs, split.verifyKvTokens, split.maxDraftTokens);
    onCost(t.totalS, draftS);
    // The same step with one token per decoding sequence: what it would have cost without speculation.
    const decode = oneTokenEach(split.decode);
    const merged: StepShape = { ...split.merged, numTokens: split.prefill.numTokens + decode.numTokens, decodeKvTokens: decode.decodeKvTokens };
    const plain = target({ ...split, decode, merged, numVerifySeqs: 0, maxDraftTokens: 0 }, false).totalS;
    const totalS = t.totalS + draftS;
    // Weighted by the sequences that verified, so the ratio is per sequence.
    stats.roundS += totalS * split.numVerifySeqs;
    stats.plainS += plain * split.numVerifySeqs;
    stats.draftS += draftS * split.numVerifySeqs;
    return { ...t, totalS, commS: t.commS + draftS };
  };

  const sampleAccepted = (step: SchedulerStep): ReadonlyMap<number, number> => {
    const out = new Map<number, number>();
    let ctx = 0;
    let n = 0;
    for (const s of step.seqs) {
      const k = s.numSpeculativeTokens ?? 0;
      if (k <= 0) continue;
      ctx += s.numComputedTokens;
      n++;
      const a = sampleAcceptedDrafts(rng, cfg.acceptance, k);
      out.set(s.id, a);
      stats.rounds++;
      stats.acceptedDrafts += a;
      stats.draftedTokens += k;
      stats.tokens += a + 1;
      stats.sumK += k;
    }
    if (n > 0) lastMeanContext = ctx / n;
    return out;
  };

  return { stepCostOf, spec: { draftTokens, sampleAccepted }, stats };
}

function oneTokenEach(decode: StepShape): StepShape {
  const seqs = decode.numSeqs;
  return { ...decode, numTokens: seqs, decodeKvTokens: decode.decodeKvTokens - (decode.numTokens - seqs) };
}

/** A draft model must speak the target's vocabulary: its proposals are token ids the target verifies. */
export function checkDraftModel(draft: ModelArch, target: ModelArch, where: string): void {
  if (draft.vocabSize !== target.vocabSize) {
    throw new UsageError(
      where,
      draft.id,
      `a draft model with the target's vocabulary (${target.id}: ${target.vocabSize} tokens)`,
      `${draft.id} has ${draft.vocabSize} tokens, so its drafts are not token ids ${target.id} can verify. Use a model of the same family (e.g. meta-llama/Llama-3.2-1B-Instruct for Llama 3.x), or draft: {kind: ngram} / {kind: mtp}.`,
    );
  }
}
