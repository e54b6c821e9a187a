import type { StepShape, StepTime } from './types.js';

/**
 * Speculative decoding with draft heads inside the served model (DeepSeek MTP, EAGLE): each decode step drafts `k`
 * tokens per sequence with one extra decoder layer run k times, then verifies them with one forward pass of the
 * main model over k + 1 tokens per sequence (docs/perf.md, "Speculative decoding").
 */
export interface SpeculativeConfig {
  /** Draft tokens per sequence per step (TensorRT-LLM num_nextn_predict_layers, SGLang speculative-num-steps). */
  readonly draftTokens: number;
  /**
   * Probability that a draft token is accepted given the previous one was: one α for every position, or α per draft
   * position 1..n (the last value repeats) — a single draft head re-applied to its own output loses acceptance with
   * each further position.
   */
  readonly acceptance: number | readonly number[];
  /** Decoder layers of the main model (the draft head is one such layer, run once per draft token). */
  readonly mainLayers: number;
  /**
   * Host seconds per decoding sequence per verification that the engine does not overlap with the GPU (0 when its
   * scheduler overlaps speculative steps too).
   */
  readonly hostPerSeqS?: number;
}

/** α of draft position i (1-based): the curve's value there, its last value beyond its end. */
export function acceptanceAt(acceptance: number | readonly number[], i: number): number {
  if (typeof acceptance === 'number') return acceptance;
  return acceptance[Math.min(i, acceptance.length) - 1] ?? 0;
}

/**
 * Mean output tokens per verification: 1 + Σ_{j=1..k} Π_{i≤j} α_i (docs/DESIGN, "Speculative decoding"): the verified
 * token always counts, each draft counts if it and all drafts before it are accepted. For a constant α this is
 * (1 − α^(k+1)) / (1 − α).
 */
export function acceptedTokensPerStep(draftTokens: number, acceptance: number | readonly number[]): number {
  if (draftTokens <= 0) return 1;
  if (typeof acceptance === 'number') return acceptance >= 1 ? draftTokens + 1 : (1 - acceptance ** (draftTokens + 1)) / (1 - acceptance);
  let tokens = 1;
  let p = 1;
  for (let j = 1; j <= draftTokens; j++) {
    p *= acceptanceAt(acceptance, j);
    tokens += p;
  }
  return tokens;
}

/**
 * The step cost of an engine running speculative decoding, from the plain step cost: decode sequences feed k + 1
 * tokens through every GEMM, MoE layer and the LM head (their KV reads are shared by the k + 1 queries), and the
 * draft head costs k times one layer's share of the plain decode step; an engine that does not overlap its host work
 * with speculative steps adds that work per decoding sequence. Prefill tokens are unchanged.
 */
export function speculativeStepCost(cost: (s: StepShape) => StepTime, spec: SpeculativeConfig): (s: StepShape) => StepTime {
  const k = spec.draftTokens;
  if (k <= 0) return cost;
  const layerShare = 1 / Math.max(1, spec.mainLayers);
  return (s: StepShape): StepTime => {
    if (s.numDecodeSeqs <= 0) return cost(s);
    const extra = s.numDecodeSeqs * k;
    const verify = cost({ ...s, numTokens: s.numTokens + extra, numSeqs: s.numSeqs + extra });
    const plainDecode = cost({
      numTokens: s.numDecodeSeqs,
      numSeqs: s.numDecodeSeqs,
      numPrefillSeqs: 0,
      prefillTokens: 0,
      prefillAttnPairs: 0,
      prefillKvTokens: 0,
      numDecodeSeqs: s.numDecodeSeqs,
      decodeKvTokens: s.decodeKvTokens,
    });
    const draftS = k * layerShare * plainDecode.totalS;
    const exposedHostS = (spec.hostPerSeqS ?? 0) * s.numDecodeSeqs;
    return { ...verify, totalS: verify.totalS + draftS + exposedHostS, overheadS: verify.overheadS + draftS + exposedHostS };
  };
}
