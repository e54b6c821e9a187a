import type { KvKey } from './calibration-types.js';
import { findTable, type DeviceCalibration } from './calibration.js';
import { transferTimeS } from './efficiency.js';
import { lookup, monotoneAt, monotoneCurve, monotoneSurface, pow2Axis, surfaceAt, type Grid } from './interp.js';
import type { QuantMode } from './quant.js';
import {
  contextAttnWork,
  generationAttnWork,
  mlaBmmWork,
  mlaContextWork,
  mlaGenerationWork,
  roofS,
  type Peaks,
} from './roofline.js';

/** Attention of one rank: its share of the heads. */
export interface GqaRankShape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly kvBytes: number;
}

export interface MlaRankShape {
  readonly heads: number;
  readonly qkNopeHeadDim: number;
  readonly qkRopeHeadDim: number;
  readonly vHeadDim: number;
  readonly kvLoraRank: number;
  readonly kvBytes: number;
}

/** Head dims with tables; another head dim uses the nearest in log scale, then the rest. */
const TABLE_HEAD_DIMS = [128, 64, 256];
const kvKeyOf = (kvBytes: number): KvKey => (kvBytes <= 1.01 ? 'fp8' : 'bf16');

function headDimOrder(d: number): number[] {
  return TABLE_HEAD_DIMS.slice().sort((a, b) => Math.abs(Math.log2(a / d)) - Math.abs(Math.log2(b / d)) || a - b);
}

function attnGrid(dc: DeviceCalibration, which: 'contextAttn' | 'generationAttn', headDim: number, kvs: readonly KvKey[]): Grid | null {
  for (const d of headDimOrder(headDim)) {
    for (const kv of kvs) {
      const g = findTable(dc, (t) => t[which]?.[`${d}/${kv}`]);
      if (g) return g;
    }
  }
  return null;
}

/**
 * Axes the attention costs are tabulated on (per rank): sequences, and tokens per sequence (the equivalent
 * full-prefill length for prefill, the mean cached context for decode). Non-decreasing along both: more
 * sequences of the same length, or longer sequences, are never faster.
 */
const SEQ_AXIS = pow2Axis(1, 2 ** 16);
const LEN_AXIS = pow2Axis(1, 2 ** 21);

const equivalentLength = (seqs: number, pairs: number): number => Math.max(1, Math.sqrt((2 * pairs) / seqs));

/**
 * Prefill (or prefill-chunk) attention of one rank for `seqs` sequences and `pairs` causal query–key pairs:
 * the measured ratio indexed by the equivalent full-prefill length √(2·pairs/seqs), times the roofline of that
 * prefill. Tabulated over (seqs, pairs) and made non-decreasing in both.
 */
export function contextAttnTimeS(dc: DeviceCalibration, s: GqaRankShape, seqs: number, pairs: number, peaks: Peaks = dc.peaks): number {
  if (seqs <= 0 || pairs <= 0) return 0;
  const sEq = equivalentLength(seqs, pairs);
  const tokens = seqs * sEq;
  const w = contextAttnWork(Math.max(pairs, seqs), tokens, tokens, s.heads, s.kvHeads, s.headDim, s.kvBytes);
  const g = attnGrid(dc, 'contextAttn', s.headDim, ['bf16']);
  if (!g) return transferTimeS(dc.generic.contextAttn, w, peaks);
  return Math.exp(lookup(g, [seqs * s.heads, sEq, s.heads / s.kvHeads])) * roofS(w, peaks);
}

export function contextAttnCostFn(dc: DeviceCalibration, s: GqaRankShape, peaks: Peaks = dc.peaks): (seqs: number, pairs: number) => number {
  const surf = monotoneSurface(SEQ_AXIS, LEN_AXIS, (b, len) => contextAttnTimeS(dc, s, b, (b * len * (len + 1)) / 2, peaks));
  return (seqs, pairs) => (seqs > 0 && pairs > 0 ? surfaceAt(surf, seqs, equivalentLength(seqs, pairs)) : 0);
}

/** Decode attention of one rank: `seqs` single-token queries over `kvTokens` cached tokens in all. */
export function generationAttnTimeS(dc: DeviceCalibration, s: GqaRankShape, seqs: number, kvTokens: number, peaks: Peaks = dc.peaks): number {
  if (seqs <= 0 || kvTokens <= 0) return 0;
  const kv = kvKeyOf(s.kvBytes);
  const w = generationAttnWork(seqs, kvTokens, s.heads, s.kvHeads, s.headDim, s.kvBytes);
  const g = attnGrid(dc, 'generationAttn', s.headDim, kv === 'fp8' ? ['fp8', 'bf16'] : ['bf16', 'fp8']);
  if (!g) return transferTimeS(dc.generic.generationAttn, w, peaks);
  return Math.exp(lookup(g, [seqs * s.kvHeads, Math.max(1, kvTokens / seqs), s.heads / s.kvHeads])) * roofS(w, peaks);
}

/** `generationAttnTimeS` tabulated over (seqs, kvTokens), non-decreasing in both. */
export function generationAttnCostFn(dc: DeviceCalibration, s: GqaRankShape, peaks: Peaks = dc.peaks): (seqs: number, kvTokens: number) => number {
  const surf = monotoneSurface(SEQ_AXIS, LEN_AXIS, (b, ctx) => generationAttnTimeS(dc, s, b, b * ctx, peaks));
  return (seqs, kvTokens) => (seqs > 0 && kvTokens > 0 ? surfaceAt(surf, seqs, kvTokens / seqs) : 0);
}

function mlaGrid(dc: DeviceCalibration, which: 'mlaContext' | 'mlaGeneration', kvBytes: number): Grid | null {
  const kv = kvKeyOf(kvBytes);
  for (const k of kv === 'fp8' ? (['fp8', 'bf16'] as const) : (['bf16', 'fp8'] as const)) {
    const g = findTable(dc, (t) => t[which]?.[k]);
    if (g) return g;
  }
  return null;
}

/** MLA prefill: multi-head attention after up-projecting the latent (qk = nope + rope, v). */
export function mlaContextTimeS(dc: DeviceCalibration, s: MlaRankShape, seqs: number, pairs: number, peaks: Peaks = dc.peaks): number {
  if (seqs <= 0 || pairs <= 0) return 0;
  const sEq = equivalentLength(seqs, pairs);
  const w = mlaContextWork(Math.max(pairs, seqs), seqs * sEq, s.heads, s.qkNopeHeadDim + s.qkRopeHeadDim, s.vHeadDim);
  const g = mlaGrid(dc, 'mlaContext', s.kvBytes);
  if (!g) return transferTimeS(dc.generic.mlaContext, w, peaks);
  return Math.exp(lookup(g, [s.heads, seqs, sEq])) * roofS(w, peaks);
}

export function mlaContextCostFn(dc: DeviceCalibration, s: MlaRankShape, peaks: Peaks = dc.peaks): (seqs: number, pairs: number) => number {
  const surf = monotoneSurface(SEQ_AXIS, LEN_AXIS, (b, len) => mlaContextTimeS(dc, s, b, (b * len * (len + 1)) / 2, peaks));
  return (seqs, pairs) => (seqs > 0 && pairs > 0 ? surfaceAt(surf, seqs, equivalentLength(seqs, pairs)) : 0);
}

/** MLA decode with absorbed weights over the latent cache. */
export function mlaGenerationTimeS(dc: DeviceCalibration, s: MlaRankShape, seqs: number, kvTokens: number, peaks: Peaks = dc.peaks): number {
  if (seqs <= 0 || kvTokens <= 0) return 0;
  const w = mlaGenerationWork(seqs, kvTokens, s.heads, s.kvLoraRank, s.qkRopeHeadDim, s.kvBytes);
  const g = mlaGrid(dc, 'mlaGeneration', s.kvBytes);
  if (!g) return transferTimeS(dc.generic.mlaGeneration, w, peaks);
  return Math.exp(lookup(g, [s.heads, seqs, Math.max(1, kvTokens / seqs)])) * roofS(w, peaks);
}

export function mlaGenerationCostFn(dc: DeviceCalibration, s: MlaRankShape, peaks: Peaks = dc.peaks): (seqs: number, kvTokens: number) => number {
  const surf = monotoneSurface(SEQ_AXIS, LEN_AXIS, (b, ctx) => mlaGenerationTimeS(dc, s, b, b * ctx, peaks));
  return (seqs, kvTokens) => (seqs > 0 && kvTokens > 0 ? surfaceAt(surf, seqs, kvTokens / seqs) : 0);
}

/**
 * MLA's per-head absorption matmuls in decode: `pre` maps q_nope into the latent (nope → kvLoraRank), `post`
 * maps the attention output back (kvLoraRank → v head dim).
 */
export function mlaBmmCostFn(
  dc: DeviceCalibration,
  heads: number,
  dIn: number,
  dOut: number,
  op: 'pre' | 'post',
  quant: QuantMode,
  peaks: Peaks = dc.peaks,
): (tokens: number) => number {
  const q = quant === 'bf16' ? 'bf16' : 'fp8';
  const g = findTable(dc, (t) => t.mlaBmm?.[`${op}/${q}`]) ?? findTable(dc, (t) => t.mlaBmm?.[`${op}/bf16`]);
  const at = (tokens: number): number => {
    const w = mlaBmmWork(tokens, heads, dIn, dOut, q);
    if (!g) return transferTimeS(dc.generic.gemm[q], w, peaks);
    return Math.exp(lookup(g, [heads, tokens])) * roofS(w, peaks);
  };
  const curve = monotoneCurve(SEQ_AXIS, at);
  const tail = (tokens: number): number => roofS(mlaBmmWork(tokens, heads, dIn, dOut, q), peaks);
  return (tokens) => (tokens > 0 ? monotoneAt(curve, tokens, tail) : 0);
}
