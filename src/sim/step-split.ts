import type { StepShape } from '../perf/types.js';
import type { SchedulerStep } from '../sched/types.js';

/**
 * A scheduled step split by phase. Prefill (and prefill chunks) as the performance model sees them; decode
 * sequences including speculative verifications, which compute 1 + k tokens against their cache but run as a
 * decode step (graph-captured, no prefill surcharge): their tokens count in every GEMM, their KV reads in the
 * decode attention.
 */
export interface SplitStep {
  readonly prefill: StepShape;
  readonly decode: StepShape;
  /** Both, as one step of the model (decode verifications counted as decode sequences of 1 + k tokens). */
  readonly merged: StepShape;
  /** Sequences verifying drafted tokens, and the largest draft length among them. */
  readonly numVerifySeqs: number;
  readonly maxDraftTokens: number;
  /** Σ context of the verifying sequences before the step (what the draft model attends to). */
  readonly verifyKvTokens: number;
}

export const EMPTY_SHAPE: StepShape = {
  numTokens: 0,
  numSeqs: 0,
  numPrefillSeqs: 0,
  prefillTokens: 0,
  prefillAttnPairs: 0,
  prefillKvTokens: 0,
  numDecodeSeqs: 0,
  decodeKvTokens: 0,
};

export function splitStep(step: SchedulerStep): SplitStep {
  let pTokens = 0;
  let pSeqs = 0;
  let pPairs = 0;
  let pKv = 0;
  let dTokens = 0;
  let dSeqs = 0;
  let dKv = 0;
  let numVerifySeqs = 0;
  let maxDraftTokens = 0;
  let verifyKvTokens = 0;
  for (const s of step.seqs) {
    const q = s.numNewTokens;
    const c = s.numComputedTokens;
    const k = s.numSpeculativeTokens ?? 0;
    if (q > 1 && k === 0) {
      pSeqs++;
      pTokens += q;
      pPairs += q * (c + (q + 1) / 2);
      pKv += c + q;
    } else {
      dSeqs++;
      dTokens += q;
      dKv += c + q;
      if (k > 0) {
        numVerifySeqs++;
        verifyKvTokens += c;
        if (k > maxDraftTokens) maxDraftTokens = k;
      }
    }
  }
  const prefill: StepShape = { ...EMPTY_SHAPE, numTokens: pTokens, numSeqs: pSeqs, numPrefillSeqs: pSeqs, prefillTokens: pTokens, prefillAttnPairs: pPairs, prefillKvTokens: pKv };
  const decode: StepShape = { ...EMPTY_SHAPE, numTokens: dTokens, numSeqs: dSeqs, numDecodeSeqs: dSeqs, decodeKvTokens: dKv };
  const merged: StepShape = {
    numTokens: pTokens + dTokens,
    numSeqs: pSeqs + dSeqs,
    numPrefillSeqs: pSeqs,
    prefillTokens: pTokens,
    prefillAttnPairs: pPairs,
    prefillKvTokens: pKv,
    numDecodeSeqs: dSeqs,
    decodeKvTokens: dKv,
  };
  return { prefill, decode, merged, numVerifySeqs, maxDraftTokens, verifyKvTokens };
}
