import type { ComputeDtype } from '../hardware/types.js';
import { QUANT_SPECS, type QuantMode } from './quant.js';

/**
 * What an operator must do: FLOPs at a tensor-core precision and bytes through memory. The calibration tables
 * store measured time / roofline time for these exact definitions, so the fit script and the runtime must
 * share them — change one and the tables must be regenerated.
 */
export interface Work {
  flops: number;
  bytes: number;
  compute: ComputeDtype;
}

/** Peak rates a roofline is taken against: a device's own figures or a calibrated system's reference ones. */
export interface Peaks {
  readonly flopsPerS: Readonly<Record<ComputeDtype, number>>;
  readonly memBytesPerS: number;
}

export function roofS(w: Work, peaks: Peaks): number {
  const c = w.flops / peaks.flopsPerS[w.compute];
  const m = w.bytes / peaks.memBytesPerS;
  return c > m ? c : m;
}

/** Activations between kernels are bf16. */
export const ACT_BYTES = 2;

/** Y[m,n] = X[m,k] · W[k,n]: weights once, activations in and out. */
export function gemmWork(m: number, n: number, k: number, quant: QuantMode): Work {
  const q = QUANT_SPECS[quant];
  return { flops: 2 * m * n * k, bytes: n * k * q.weightBytes + m * k * q.activationBytes + m * n * ACT_BYTES, compute: q.compute };
}

/**
 * Causal attention over `pairs` query–key pairs (Σ q·(c + (q+1)/2)): QKᵀ and PV each 2·headDim FLOPs per pair
 * per head; reads q and writes the output for `tokens` new tokens and reads K and V for `kvTokens`.
 */
export function contextAttnWork(
  pairs: number,
  tokens: number,
  kvTokens: number,
  heads: number,
  kvHeads: number,
  headDim: number,
  kvBytes: number,
): Work {
  return {
    flops: 4 * heads * headDim * pairs,
    bytes: tokens * heads * headDim * 2 * ACT_BYTES + kvTokens * 2 * kvHeads * headDim * kvBytes,
    compute: 'bf16',
  };
}

/** Decode attention: each of `seqs` queries reads its whole cache; Σ cache lengths = kvTokens. */
export function generationAttnWork(seqs: number, kvTokens: number, heads: number, kvHeads: number, headDim: number, kvBytes: number): Work {
  return {
    flops: 4 * heads * headDim * kvTokens,
    bytes: kvTokens * 2 * kvHeads * headDim * kvBytes + seqs * heads * headDim * 2 * ACT_BYTES,
    compute: 'bf16',
  };
}

/**
 * MLA prefill runs as ordinary multi-head attention after up-projecting the latent: q·k over qk head dim
 * (nope + rope), p·v over v head dim.
 */
export function mlaContextWork(pairs: number, tokens: number, heads: number, qkHeadDim: number, vHeadDim: number): Work {
  return {
    flops: 2 * heads * (qkHeadDim + vHeadDim) * pairs,
    bytes: tokens * heads * (2 * qkHeadDim + 2 * vHeadDim) * ACT_BYTES,
    compute: 'bf16',
  };
}

/**
 * MLA decode with absorbed weights: every head attends over the shared latent cache of (kvLoraRank + rope)
 * per token — one read of the latent serves all local heads, so it is compute-heavy at many heads.
 */
export function mlaGenerationWork(seqs: number, kvTokens: number, heads: number, kvLoraRank: number, ropeDim: number, kvBytes: number): Work {
  return {
    flops: 2 * heads * kvTokens * (2 * kvLoraRank + ropeDim),
    bytes: kvTokens * (kvLoraRank + ropeDim) * kvBytes + seqs * heads * (2 * kvLoraRank + ropeDim) * ACT_BYTES,
    compute: 'bf16',
  };
}

/** Per-head batched matmul of MLA's weight absorption (q_nope → latent before, latent → v after attention). */
export function mlaBmmWork(tokens: number, heads: number, dIn: number, dOut: number, quant: QuantMode): Work {
  const q = QUANT_SPECS[quant];
  return {
    flops: 2 * tokens * heads * dIn * dOut,
    bytes: heads * dIn * dOut * q.weightBytes + tokens * heads * (dIn * q.activationBytes + dOut * ACT_BYTES),
    compute: q.compute,
  };
}

/**
 * Expected number of distinct experts a batch of `tokens` touches when each picks `topK` of `numExperts`
 * uniformly: E·(1 − (1 − k/E)^T).
 */
export function expectedExpertsTouched(tokens: number, topK: number, numExperts: number): number {
  if (tokens <= 0) return 0;
  return numExperts * (1 - Math.pow(1 - topK / numExperts, tokens));
}

/**
 * Routed experts on one GPU of an EP×TP group for `tokens` tokens entering the MoE layer (the whole EP group's
 * batch): local experts E/ep, each split `moeTp` ways; each touched expert's weights read once; compute ∝ T·k.
 */
export function moeWork(
  tokens: number,
  hidden: number,
  inter: number,
  topK: number,
  numExperts: number,
  moeTp: number,
  ep: number,
  quant: QuantMode,
  matrices = 3,
): Work {
  const q = QUANT_SPECS[quant];
  const interLocal = inter / moeTp;
  const touchedLocal = expectedExpertsTouched(tokens, topK, numExperts) / ep;
  const rowsLocal = (tokens * topK) / ep;
  const expertElems = matrices * hidden * interLocal;
  return {
    flops: 2 * expertElems * rowsLocal,
    bytes: touchedLocal * expertElems * q.weightBytes + rowsLocal * hidden * (q.activationBytes + ACT_BYTES),
    compute: q.compute,
  };
}

/** Bytes each GPU moves per byte of message in the bandwidth-optimal (ring) collective algorithms. */
export function algBytesFactor(kind: 'allreduce' | 'allgather' | 'alltoall' | 'reducescatter' | 'send', chips: number): number {
  switch (kind) {
    case 'allreduce':
      return (2 * (chips - 1)) / chips;
    case 'allgather':
    case 'reducescatter':
    case 'alltoall':
      return (chips - 1) / chips;
    case 'send':
      return 1;
  }
}
