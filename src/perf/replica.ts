import {
  embeddingParams,
  layerKvBytesPerToken,
  layerParams,
  layerPlan,
  linearStateBytesPerSequence,
  slidingKvBytesPerToken,
} from '../models/figures.js';
import { slidingWindowTokens } from '../models/layer-plan.js';
import type { LayerSpec, ModelArch } from '../models/types.js';
import { QUANT_SPECS, quantOfDtype, type QuantMode } from './quant.js';
import type { Parallelism, PerfContext } from './types.js';

/**
 * How one replica is laid out: the kernel precision of each part, the weights each chip holds, and the KV
 * figures. Shared by the memory plan and the step model so they agree on what is streamed.
 */

export interface ReplicaQuant {
  /** Dense FFN, shared experts, latent projections. */
  readonly gemm: QuantMode;
  /** Attention / token-mixer projections. */
  readonly attention: QuantMode;
  /** Routed experts. */
  readonly moe: QuantMode;
}

export function replicaQuant(ctx: PerfContext): ReplicaQuant {
  const gemm = ctx.gemmQuant ?? quantOfDtype(ctx.weightDtype);
  return { gemm, attention: ctx.attentionQuant ?? gemm, moe: ctx.moeQuant ?? quantOfDtype(ctx.moeDtype) };
}

/** Embeddings, LM head, norms and routers stay in 16 bits in every quantized checkpoint. */
export const PLAIN_BYTES = 2;

export function chipsOf(par: Parallelism): number {
  return par.tp * par.pp * par.dp;
}

export function checkParallelism(par: Parallelism): void {
  for (const k of ['tp', 'pp', 'ep', 'moeTp', 'dp'] as const) {
    const v = par[k];
    if (!Number.isInteger(v) || v < 1) throw new Error(`parallelism ${k}: got ${String(v)}; accepted: an integer ≥ 1`);
  }
}

/**
 * Parameters of an MLA layer that every TP rank holds in full (the fused q_a / kv_a down-projections are
 * replicated in TensorRT-LLM, vLLM and SGLang: they are small and their outputs feed all heads).
 */
function replicatedMixerParams(arch: ModelArch, layer: LayerSpec): number {
  const a = arch.attention;
  if (a.kind !== 'mla' || (layer.mixer !== 'full' && layer.mixer !== 'sliding')) return 0;
  return arch.hiddenSize * ((a.qLoraRank ?? 0) + a.kvLoraRank + a.qkRopeHeadDim);
}

export interface ReplicaWeights {
  /** Bytes on the most loaded chip. */
  readonly perChipBytes: number;
  /** Bytes of all distinct weights of the model at these precisions. */
  readonly totalBytes: number;
}

/**
 * Weight bytes per chip: token-mixer and dense-FFN matrices split over tp, routed experts over ep × moeTp,
 * layers over pp (stages balanced by bytes); MLA down-projections, routers and norm vectors replicated; the
 * vocab-parallel embedding and LM head split over tp and held by the first and last pipeline stage.
 */
export function replicaWeights(ctx: PerfContext): ReplicaWeights {
  const { model: arch, par } = ctx;
  const q = replicaQuant(ctx);
  const attnB = QUANT_SPECS[q.attention].weightBytes;
  const ffnB = QUANT_SPECS[q.gemm].weightBytes;
  const expB = QUANT_SPECS[q.moe].weightBytes;
  let layersPerChip = 0;
  let layersTotal = 0;
  for (const layer of layerPlan(arch)) {
    const p = layerParams(arch, layer);
    const rep = replicatedMixerParams(arch, layer);
    const vectors = (p.attentionVector + p.norms) * PLAIN_BYTES;
    layersTotal += p.attentionMatrix * attnB + vectors + p.denseFfn * ffnB + p.experts * expB + p.sharedExperts * ffnB + p.router * PLAIN_BYTES;
    layersPerChip +=
      rep * attnB +
      ((p.attentionMatrix - rep) * attnB) / par.tp +
      vectors +
      (p.denseFfn * ffnB) / par.tp +
      (p.experts * expB) / (par.ep * par.moeTp) +
      (p.sharedExperts * ffnB) / par.tp +
      p.router * PLAIN_BYTES;
  }
  const embedTotal = embeddingParams(arch) * PLAIN_BYTES;
  const oneTable = arch.vocabSize * arch.hiddenSize * PLAIN_BYTES;
  // pp = 1: both vocab-split tables on every chip. pp > 1: stages are balanced by bytes (the first and last
  // stages, which hold the embedding and the LM head, get fewer layers), but one stage must hold a whole table.
  const perChipBytes = par.pp === 1 ? layersPerChip + embedTotal / par.tp : Math.max((layersPerChip + embedTotal / par.tp) / par.pp, oneTable / par.tp);
  return { perChipBytes, totalBytes: layersTotal + embedTotal };
}

export interface ReplicaKv {
  /** Logical KV bytes per token of context over all layers (full-attention layers; what a KV manager counts). */
  readonly bytesPerToken: number;
  /**
   * How many chips store each token's KV: a KV head (or MLA's shared latent) is copied on every TP rank that
   * needs it, so tp > numKvHeads (or any tp for MLA) stores a token more than once.
   */
  readonly replication: number;
  /** Window-capped sliding layers at full window plus linear-attention state, per sequence. */
  readonly bytesPerSeqFixed: number;
}

export function replicaKv(ctx: PerfContext): ReplicaKv {
  const { model: arch, par } = ctx;
  const plan = layerPlan(arch);
  let bytesPerToken = 0;
  for (const l of plan) if (l.mixer === 'full') bytesPerToken += layerKvBytesPerToken(arch, l, ctx.kvDtype);
  const a = arch.attention;
  const replication = a.kind === 'mla' ? par.tp : Math.max(1, par.tp / Math.max(1, a.numKvHeads));
  const window = slidingWindowTokens(arch);
  const sliding = Number.isFinite(window) ? slidingKvBytesPerToken(arch, ctx.kvDtype) * window : 0;
  return { bytesPerToken, replication, bytesPerSeqFixed: sliding + linearStateBytesPerSequence(arch, ctx.kvDtype) };
}
