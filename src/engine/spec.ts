/**
 * Speculative decoding's verification (Leviathan et al. 2023, Chen et al. 2023): the draft proposed tokens
 * d1..dm, sampled from its distributions q1..qm; the target scored them in one step, giving p1..p(m+1).
 * Draft i is accepted with probability min(1, p_i(d_i) / q_i(d_i)); at the first rejection a token is drawn
 * from norm(max(0, p_i − q_i)) and the round ends; if all are accepted a bonus token is drawn from p(m+1).
 * The accepted tokens are then distributed exactly as the target alone would sample them. At temperature 0
 * both distributions are one-hot, so this keeps drafts while they equal the target's argmax.
 */
import type { Rng } from '../core/rng.js';
import { argmaxF32, distribution, drawFrom, type SamplingParams } from './sampler.js';

export interface Verified {
  /** The tokens this round outputs: the accepted drafts, then one token from the target. */
  readonly tokens: number[];
  readonly numAccepted: number;
}

/**
 * @param target logits rows (m + 1) × V, from `offset`
 * @param drafts the m draft tokens
 * @param draftProbs q_i as the draft sampler drew from them (null at temperature 0)
 */
export function verifyDraft(target: Float32Array, offset: number, V: number, drafts: readonly number[], draftProbs: readonly (Float64Array | null)[], params: SamplingParams, rng: Rng): Verified {
  const tokens: number[] = [];
  const m = drafts.length;
  if (params.temperature <= 0) {
    for (let i = 0; i < m; i++) {
      const best = argmaxF32(target, offset + i * V, V);
      if (best !== drafts[i]) {
        tokens.push(best);
        return { tokens, numAccepted: i };
      }
      tokens.push(best);
    }
    tokens.push(argmaxF32(target, offset + m * V, V));
    return { tokens, numAccepted: m };
  }
  for (let i = 0; i < m; i++) {
    const p = distribution(target, offset + i * V, V, params);
    const q = draftProbs[i]!;
    const d = drafts[i]!;
    const ratio = q[d]! > 0 ? p[d]! / q[d]! : 0;
    if (rng.next() < Math.min(1, ratio)) {
      tokens.push(d);
      continue;
    }
    const resid = new Float64Array(V);
    let z = 0;
    for (let v = 0; v < V; v++) {
      const r = Math.max(0, p[v]! - q[v]!);
      resid[v] = r;
      z += r;
    }
    if (z > 0) for (let v = 0; v < V; v++) resid[v] = resid[v]! / z;
    tokens.push(drawFrom(z > 0 ? resid : p, rng));
    return { tokens, numAccepted: i };
  }
  tokens.push(drawFrom(distribution(target, offset + m * V, V, params), rng));
  return { tokens, numAccepted: m };
}
