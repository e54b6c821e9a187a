/**
 * Sampling from logits: temperature, top-k, top-p (nucleus), with the request's own seeded RNG. Temperature 0
 * is exact argmax (golden tests rely on it). `distribution` exposes the processed probabilities, which
 * speculative decoding needs for its rejection step.
 */
import type { Rng } from '../core/rng.js';

export interface SamplingParams {
  /** 0 = greedy. */
  readonly temperature: number;
  /** 1 = off. */
  readonly topP: number;
  /** 0 or ≥ vocab = off. */
  readonly topK: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topP: 1, topK: 0 };

export function argmaxF32(logits: ArrayLike<number>, offset = 0, n = logits.length - offset): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[offset + i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * The probabilities the sampler draws from (length n; zeros outside top-k / top-p). For temperature 0 a
 * one-hot at the argmax.
 */
export function distribution(logits: ArrayLike<number>, offset: number, n: number, p: SamplingParams): Float64Array {
  const out = new Float64Array(n);
  if (p.temperature <= 0) {
    out[argmaxF32(logits, offset, n)] = 1;
    return out;
  }
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, logits[offset + i]!);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[offset + i]! - m) / p.temperature);
    out[i] = e;
    z += e;
  }
  for (let i = 0; i < n; i++) out[i] = out[i]! / z;
  const useK = p.topK > 0 && p.topK < n;
  if (useK || p.topP < 1) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => out[b]! - out[a]! || a - b);
    let keep = useK ? p.topK : n;
    if (p.topP < 1) {
      // Smallest prefix whose mass reaches top_p (among the top-k), renormalised over the kept set.
      let mass = 0;
      let kTop = 0;
      for (let i = 0; i < keep; i++) mass += out[order[i]!]!;
      let acc = 0;
      for (; kTop < keep; kTop++) {
        acc += out[order[kTop]!]! / mass;
        if (acc >= p.topP) {
          kTop++;
          break;
        }
      }
      keep = Math.max(1, Math.min(keep, kTop));
    }
    let kept = 0;
    for (let i = 0; i < n; i++) if (i >= keep) out[order[i]!] = 0;
    for (let i = 0; i < keep; i++) kept += out[order[i]!]!;
    for (let i = 0; i < n; i++) out[i] = out[i]! / kept;
  }
  return out;
}

/** Draws an index from probabilities (sum 1). */
export function drawFrom(probs: Float64Array, rng: Rng): number {
  const u = rng.next();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const pi = probs[i]!;
    if (pi <= 0) continue;
    acc += pi;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/** Samples one token from logits[offset, offset+n). */
export function sampleToken(logits: ArrayLike<number>, offset: number, n: number, p: SamplingParams, rng: Rng): number {
  if (p.temperature <= 0) return argmaxF32(logits, offset, n);
  return drawFrom(distribution(logits, offset, n, p), rng);
}
