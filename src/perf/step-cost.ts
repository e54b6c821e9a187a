import { StepShapeCache } from './step-shape-cache.js';
import { layerPlan, linearStateBytesPerSequence } from '../models/figures.js';
import { gqaShape, slidingWindowTokens } from '../models/layer-plan.js';
import type { LayerSpec, ModelArch } from '../models/types.js';
import {
  contextAttnCostFn,
  generationAttnCostFn,
  mlaBmmCostFn,
  mlaContextCostFn,
  mlaGenerationCostFn,
  type GqaRankShape,
} from './attention.js';
import type { CalibrationSet } from './calibration-types.js';
import { BUILTIN_CALIBRATION, resolveCalibration, type DeviceCalibration } from './calibration.js';
import { commTimeS } from './collectives.js';
import { transferTimeS } from './efficiency.js';
import { gemmCostFn } from './gemm.js';
import { memoryPlan } from './memory-plan.js';
import { moeCostFn } from './moe.js';
import { kvBytesPerElement } from './quant.js';
import { checkParallelism, replicaQuant } from './replica.js';
import { ACT_BYTES, type Peaks } from './roofline.js';
import type { PerfContext, StepShape, StepTime } from './types.js';

/**
 * One forward step of one replica, decomposed per layer into operators (see docs/perf.md):
 *
 *   step = Σ_layer kinds count × (mixer + FFN + TP/EP communication + elementwise)
 *        + LM head + pipeline sends + backend step overhead
 *
 * Each operator is its roofline at the device's peaks times a measured efficiency ratio from the calibration
 * tables (or the transfer curve on chips without tables). Attention-DP ranks each run 1/dp of the sequences;
 * the MoE layer sees the whole replica's tokens. Pipeline stages run one after another for a single
 * micro-batch, so the step is the sum of stages plus the sends between them.
 */

/** Per-step inputs of one rank, derived once per shape. */
interface RankShape {
  /** Tokens through each dense GEMM of one attention-DP rank. */
  readonly tokens: number;
  /** Tokens entering the MoE layer across the EP group. */
  readonly moeTokens: number;
  readonly prefillSeqs: number;
  readonly prefillTokens: number;
  readonly prefillPairs: number;
  readonly prefillKvTokens: number;
  readonly decodeSeqs: number;
  readonly decodeKvTokens: number;
  /** Sequences whose logits are computed this step. */
  readonly logitSeqs: number;
}

/** A cost component of one layer kind: seconds for the rank shape, split by category. */
interface Part {
  gemmS: number;
  attentionS: number;
  moeS: number;
  commS: number;
  overheadS: number;
}
type PartFn = (r: RankShape, out: Part) => void;

const ELEMENTWISE_BANDWIDTH_EFFICIENCY = 0.7;

/** Kernels hyper-connections add to a layer beyond the residual adds they replace (see `elementwise`). */
const HYPER_CONNECTION_KERNELS_PER_LAYER = 2;

/** Sliding-window attention: causal pairs and KV reads capped at the window. */
function capPairs(seqs: number, pairs: number, window: number): number {
  if (!Number.isFinite(window) || seqs <= 0) return pairs;
  const s = Math.sqrt((2 * pairs) / seqs);
  return s <= window ? pairs : seqs * (window * s - (window * window) / 2);
}

interface Builder {
  readonly dc: DeviceCalibration;
  readonly ctx: PerfContext;
  readonly weightPeaks: Peaks;
  readonly kvPeaks: Peaks;
}

function gqaMixer(b: Builder, layer: LayerSpec): PartFn {
  const { ctx, dc } = b;
  const arch = ctx.model;
  const s = gqaShape(arch, layer);
  if (!s) return () => {};
  const tp = ctx.par.tp;
  const q = replicaQuant(ctx);
  const heads = s.numHeads / tp;
  const kvHeads = Math.max(1, s.numKvHeads / tp);
  const a = arch.attention;
  const gate = a.kind === 'gqa' && a.outputGate ? 2 : 1;
  const qkvN = heads * s.headDim * gate + kvHeads * s.headDim + (s.kEqualsV ? 0 : kvHeads * s.vHeadDim);
  const qkv = gemmCostFn(dc, qkvN, arch.hiddenSize, q.attention, b.weightPeaks);
  const o = gemmCostFn(dc, arch.hiddenSize, heads * s.vHeadDim, q.attention, b.weightPeaks);
  const rank: GqaRankShape = { heads, kvHeads, headDim: s.headDim, kvBytes: kvBytesPerElement(ctx.kvDtype) };
  const ctxAttn = contextAttnCostFn(dc, rank, b.kvPeaks);
  const genAttn = generationAttnCostFn(dc, rank, b.kvPeaks);
  const window = layer.mixer === 'sliding' ? slidingWindowTokens(arch) : Number.POSITIVE_INFINITY;
  const sparse = layer.sparse === true && a.indexer !== undefined ? a.indexer : null;
  return (r, out) => {
    out.gemmS += qkv(r.tokens) + o(r.tokens);
    const pairs = capPairs(r.prefillSeqs, r.prefillPairs, window);
    let decodeKv = Number.isFinite(window) ? Math.min(r.decodeKvTokens, r.decodeSeqs * window) : r.decodeKvTokens;
    if (sparse) decodeKv = Math.min(decodeKv, r.decodeSeqs * sparse.topKTokens);
    out.attentionS += ctxAttn(r.prefillSeqs, pairs) + genAttn(r.decodeSeqs, decodeKv);
  };
}

function mlaMixer(b: Builder, layer: LayerSpec): PartFn {
  const { ctx, dc } = b;
  const arch = ctx.model;
  const a = arch.attention;
  if (a.kind !== 'mla' || (layer.mixer !== 'full' && layer.mixer !== 'sliding')) return () => {};
  const q = replicaQuant(ctx);
  const heads = a.numHeads / ctx.par.tp;
  const h = arch.hiddenSize;
  const qk = a.qkNopeHeadDim + a.qkRopeHeadDim;
  // Fused q_a + kv_a down-projection (replicated on every TP rank), then the per-rank up-projections.
  const down = gemmCostFn(dc, (a.qLoraRank ?? 0) + a.kvLoraRank + a.qkRopeHeadDim, h, q.attention, b.weightPeaks);
  const qUp = a.qLoraRank !== null ? gemmCostFn(dc, heads * qk, a.qLoraRank, q.attention, b.weightPeaks) : gemmCostFn(dc, heads * qk, h, q.attention, b.weightPeaks);
  const none = (): number => 0;
  // DeepSeek-V4 reads its latent as key and value: no up-projection and no absorption matmuls.
  const latentKv = a.sharedLatentKv === true;
  const kvUp = latentKv ? none : gemmCostFn(dc, heads * (a.qkNopeHeadDim + a.vHeadDim), a.kvLoraRank, q.attention, b.weightPeaks);
  const o = a.oLora ? groupedLowRankOutput(b, heads, a.vHeadDim, a.oLora) : gemmCostFn(dc, h, heads * a.vHeadDim, q.attention, b.weightPeaks);
  const bmmPre = latentKv ? none : mlaBmmCostFn(dc, heads, a.qkNopeHeadDim, a.kvLoraRank, 'pre', q.attention, b.weightPeaks);
  const bmmPost = latentKv ? none : mlaBmmCostFn(dc, heads, a.kvLoraRank, a.vHeadDim, 'post', q.attention, b.weightPeaks);
  // V4's compressor projects every token to a candidate entry and its gate (the indexer's keys likewise).
  const compressorN = layer.kvCompression === undefined ? 0 : 2 * (a.kvLoraRank + a.qkRopeHeadDim) + (layer.sparse && a.indexer ? 2 * a.indexer.headDim : 0);
  const compressor = compressorN > 0 ? gemmCostFn(dc, compressorN, h, q.attention, b.weightPeaks) : none;
  const shape = {
    heads,
    qkNopeHeadDim: a.qkNopeHeadDim,
    qkRopeHeadDim: a.qkRopeHeadDim,
    vHeadDim: a.vHeadDim,
    kvLoraRank: a.kvLoraRank,
    kvBytes: kvBytesPerElement(ctx.kvDtype),
  };
  const ctxAttn = mlaContextCostFn(dc, shape, b.kvPeaks);
  const genAttn = mlaGenerationCostFn(dc, shape, b.kvPeaks);
  const sparse = layer.sparse === true && a.indexer !== undefined ? a.indexer : null;
  const window = slidingWindowTokens(arch);
  const ratio = layer.kvCompression;
  return (r, out) => {
    // Prefill up-projects the latent of every cached and new token of the prefill sequences (k_nope and v);
    // decode absorbs the up-projections into the query (bmm pre) and the output (bmm post).
    out.gemmS += down(r.tokens) + qUp(r.tokens) + o(r.tokens) + kvUp(r.prefillKvTokens) + bmmPre(r.decodeSeqs) + bmmPost(r.decodeSeqs) + compressor(r.tokens);
    let pairs: number;
    let decodeKv: number;
    if (ratio === undefined) {
      pairs = capPairs(r.prefillSeqs, r.prefillPairs, window);
      decodeKv = Number.isFinite(window) ? Math.min(r.decodeKvTokens, r.decodeSeqs * window) : r.decodeKvTokens;
      if (sparse) decodeKv = Math.min(decodeKv, r.decodeSeqs * sparse.topKTokens);
    } else {
      // A compressed layer attends its uncompressed window and one entry per `ratio` tokens (the top-k of them
      // when sparse): Σ min(pos/ratio, k) = Σ min(pos, k·ratio) / ratio.
      const entryCap = sparse ? sparse.topKTokens : Number.POSITIVE_INFINITY;
      pairs = capPairs(r.prefillSeqs, r.prefillPairs, window) + capPairs(r.prefillSeqs, r.prefillPairs, entryCap * ratio) / ratio;
      decodeKv = Math.min(r.decodeKvTokens, r.decodeSeqs * window) + Math.min(r.decodeKvTokens / ratio, r.decodeSeqs * entryCap);
    }
    out.attentionS += ctxAttn(r.prefillSeqs, pairs) + genAttn(r.decodeSeqs, decodeKv);
  };
}

/**
 * DeepSeek-V4's grouped low-rank output projection on one TP rank: its heads' outputs in groups, each group → the
 * low rank (a block-diagonal matmul: one GEMM per group), then every local group's rank → hidden (summed over ranks
 * by the layer's all-reduce).
 */
function groupedLowRankOutput(b: Builder, heads: number, vHeadDim: number, oLora: { readonly rank: number; readonly groups: number }): (tokens: number) => number {
  const { ctx, dc } = b;
  const q = replicaQuant(ctx);
  const groups = Math.max(1, oLora.groups / ctx.par.tp);
  const perGroup = gemmCostFn(dc, oLora.rank, (heads * vHeadDim) / groups, q.attention, b.weightPeaks);
  const out = gemmCostFn(dc, ctx.model.hiddenSize, groups * oLora.rank, q.attention, b.weightPeaks);
  return (tokens) => groups * perGroup(tokens) + out(tokens);
}

/**
 * Linear-attention (recurrent) mixers: their projections as GEMMs over the layer's matrix parameters, and the
 * recurrent update as a memory-bound pass over the fixed state (decode) or chunked compute (prefill).
 */
function linearMixer(b: Builder, stateBytesPerSeq: number): PartFn {
  const { ctx, dc } = b;
  const arch = ctx.model;
  const l = arch.linearAttention;
  const tp = ctx.par.tp;
  const q = replicaQuant(ctx);
  const h = arch.hiddenSize;
  let inN = 0;
  let outK = 0;
  let stateFlopsPerToken = 0;
  // Small kernels of the mixer beyond its projections and recurrent update (short causal conv update, gate
  // computation, gated output norm, a separate small projection), each at least the backend's kernel floor.
  let extraKernels = 0;
  if (l) {
    switch (l.kind) {
      case 'gated-deltanet':
        inN = 2 * l.numKeyHeads * l.keyHeadDim + 2 * l.numValueHeads * l.valueHeadDim + 2 * l.numValueHeads;
        outK = l.numValueHeads * l.valueHeadDim;
        stateFlopsPerToken = 6 * l.numValueHeads * l.keyHeadDim * l.valueHeadDim;
        // conv1d update, beta/decay gating, gated RMSNorm, the separate b/a projection (in_proj_ba)
        extraKernels = 4;
        break;
      case 'kda':
      case 'lightning':
        inN = 4 * l.numHeads * l.headDim;
        outK = l.numHeads * l.headDim;
        stateFlopsPerToken = 6 * l.numHeads * l.headDim * l.headDim;
        // (kda: conv1d update) gating, output norm
        extraKernels = l.kind === 'kda' ? 3 : 2;
        break;
      case 'mamba2':
        inN = 2 * l.numHeads * l.headDim + 2 * l.numGroups * l.stateSize + l.numHeads;
        outK = l.numHeads * l.headDim;
        stateFlopsPerToken = 6 * l.numHeads * l.headDim * l.stateSize;
        // conv1d update, gated RMSNorm
        extraKernels = 2;
        break;
    }
  }
  const extraFloorS = extraKernels * dc.overhead.kernelFloorS;
  const inProj = gemmCostFn(dc, inN / tp, h, q.attention, b.weightPeaks);
  const outProj = gemmCostFn(dc, h, outK / tp, q.attention, b.weightPeaks);
  const stateRank = stateBytesPerSeq / tp;
  const curve = dc.generic.generationAttn;
  return (r, out) => {
    out.gemmS += inProj(r.tokens) + outProj(r.tokens);
    const seqs = r.prefillSeqs + r.decodeSeqs;
    if (seqs <= 0) return;
    // State read and written once per sequence per step; chunked prefill adds the per-token state math.
    const w = { flops: (stateFlopsPerToken / tp) * r.tokens, bytes: 2 * seqs * stateRank + r.tokens * (inN / tp) * ACT_BYTES, compute: 'bf16' as const };
    out.attentionS += transferTimeS(curve, w, b.kvPeaks);
    out.overheadS += extraFloorS;
  };
}

function denseFfn(b: Builder, inter: number): PartFn {
  const { ctx, dc } = b;
  const q = replicaQuant(ctx);
  const mats = ctx.model.gatedFfn === false ? 1 : 2;
  const iRank = inter / ctx.par.tp;
  const up = gemmCostFn(dc, mats * iRank, ctx.model.hiddenSize, q.gemm, b.weightPeaks);
  const down = gemmCostFn(dc, ctx.model.hiddenSize, iRank, q.gemm, b.weightPeaks);
  return (r, out) => {
    out.gemmS += up(r.tokens) + down(r.tokens);
  };
}

function moeFfn(b: Builder): PartFn {
  const { ctx, dc } = b;
  const arch = ctx.model;
  const moe = arch.moe;
  if (!moe) return () => {};
  const q = replicaQuant(ctx);
  const h = arch.hiddenSize;
  const width = moe.latentSize ?? h;
  const router = gemmCostFn(dc, moe.numExperts, h, 'bf16', b.weightPeaks);
  const experts = moeCostFn(
    dc,
    {
      hidden: width,
      inter: moe.expertIntermediateSize,
      topK: moe.topK,
      numExperts: moe.numExperts,
      moeTp: ctx.par.moeTp,
      ep: ctx.par.ep,
      quant: q.moe,
      matrices: arch.gatedFfn === false ? 2 : 3,
    },
    b.weightPeaks,
  );
  const sharedI = (moe.numSharedExperts * moe.sharedIntermediateSize) / ctx.par.tp;
  const sharedUp = gemmCostFn(dc, 2 * sharedI, h, q.gemm, b.weightPeaks);
  const sharedDown = gemmCostFn(dc, h, sharedI, q.gemm, b.weightPeaks);
  const latentIn = moe.latentSize !== undefined ? gemmCostFn(dc, moe.latentSize / ctx.par.tp, h, q.gemm, b.weightPeaks) : () => 0;
  const latentOut = moe.latentSize !== undefined ? gemmCostFn(dc, h, moe.latentSize / ctx.par.tp, q.gemm, b.weightPeaks) : () => 0;
  return (r, out) => {
    out.moeS += router(r.tokens) + experts(r.moeTokens);
    out.gemmS += sharedUp(r.tokens) + sharedDown(r.tokens) + latentIn(r.tokens) + latentOut(r.tokens);
  };
}

/** Communication of one layer: TP all-reduces after the mixer and the FFN, or EP dispatch/combine with attention-DP. */
function layerComm(b: Builder, layer: LayerSpec): PartFn {
  const { ctx, dc } = b;
  const { tp, dp } = ctx.par;
  const h = ctx.model.hiddenSize;
  const moe = ctx.model.moe;
  const hasMixer = layer.mixer !== 'none';
  const epGroup = tp * dp;
  return (r, out) => {
    const bytes = r.tokens * h * ACT_BYTES;
    if (hasMixer && tp > 1) out.commS += commTimeS(dc, 'allreduce', bytes, tp);
    if (layer.ffn === 'dense' && tp > 1) out.commS += commTimeS(dc, 'allreduce', bytes, tp);
    if (layer.ffn === 'moe' && moe) {
      if (dp > 1) {
        // Each rank sends its tokens' hidden states to the experts' ranks and gets the weighted outputs back.
        const routed = bytes * Math.min(moe.topK, epGroup);
        out.commS += 2 * commTimeS(dc, 'alltoall', routed, epGroup);
      } else if (tp > 1) {
        out.commS += commTimeS(dc, 'allreduce', bytes, tp);
      }
    }
  };
}

/** Norms, RoPE, activation, residual adds, KV-cache writes: memory-bound passes plus the backend's launch floors. */
function elementwise(b: Builder, layer: LayerSpec): PartFn {
  const { ctx, dc } = b;
  const h = ctx.model.hiddenSize;
  const moe = ctx.model.moe;
  // The routed experts' activation is inside the measured MoE kernel; dense and shared FFNs run their own.
  const inter =
    layer.ffn === 'dense'
      ? (layer.intermediateSize ?? ctx.model.intermediateSize) / ctx.par.tp
      : layer.ffn === 'moe' && moe
        ? (moe.numSharedExperts * moe.sharedIntermediateSize) / ctx.par.tp
        : 0;
  // 2 norms (read + write), 2 residual adds (2 reads + 1 write), RoPE on q and k, activation (2 reads + 1 write).
  const qk = qkNormCost(b, layer);
  // Hyper-connections (DeepSeek-V4 hc_mult = n): each sublayer reads its input as a mix of n residual streams and
  // writes its output back into all n — n·h read and written twice per layer instead of the one stream, in a
  // mixing kernel of their own before and after each sublayer (net of the residual adds they replace, two).
  const streams = ctx.model.residualStreams ?? 1;
  const hcBytes = streams > 1 ? ACT_BYTES * 2 * 2 * (streams - 1) * h : 0;
  const hcKernels = streams > 1 ? HYPER_CONNECTION_KERNELS_PER_LAYER : 0;
  const bytesPerToken = ACT_BYTES * (2 * 2 * h + 2 * 3 * h + 2 * h) + ACT_BYTES * 3 * inter + qk.bytesPerToken + hcBytes;
  const floorS = (dc.overhead.elementwiseKernelsPerLayer + qk.kernels + hcKernels) * dc.overhead.kernelFloorS;
  const bw = b.weightPeaks.memBytesPerS * ELEMENTWISE_BANDWIDTH_EFFICIENCY;
  const tp = ctx.par.tp;
  return (r, out) => {
    if (r.tokens <= 0) return;
    out.overheadS += floorS + (r.tokens * bytesPerToken) / bw;
    // A norm over all heads needs the sum of squares from every TP rank: one fp32 all-reduce each for q and k.
    if (qk.acrossRanks && tp > 1) out.commS += 2 * commTimeS(dc, 'allreduce', r.tokens * 4, tp);
  };
}

/**
 * The query/key RMSNorm of an attention layer (AttentionSpec.qkNorm): the backend's kernels for it
 * (BackendOverhead.qkNormKernels), q and k of this rank read and written once, and whether the statistics span
 * the tensor-parallel ranks (a norm over all heads whose heads are split).
 */
function qkNormCost(b: Builder, layer: LayerSpec): { kernels: number; bytesPerToken: number; acrossRanks: boolean } {
  const a = b.ctx.model.attention;
  const s = gqaShape(b.ctx.model, layer);
  const none = { kernels: 0, bytesPerToken: 0, acrossRanks: false };
  if (a.kind !== 'gqa' || a.qkNorm === undefined || !s || (layer.mixer !== 'full' && layer.mixer !== 'sliding')) return none;
  // This layer's q and k heads on one rank, as gqaMixer splits them (KV heads replicate below one per rank).
  const tp = b.ctx.par.tp;
  const heads = s.numHeads / tp + Math.max(1, s.numKvHeads / tp);
  return {
    kernels: b.dc.overhead.qkNormKernels,
    bytesPerToken: 2 * ACT_BYTES * heads * s.headDim,
    acrossRanks: a.qkNorm === 'across-heads',
  };
}

/** Layers grouped by what they cost: identical layers are costed once and multiplied. */
function layerGroups(arch: ModelArch): { layer: LayerSpec; count: number }[] {
  const groups = new Map<string, { layer: LayerSpec; count: number }>();
  for (const l of layerPlan(arch)) {
    const key = `${l.mixer}|${l.ffn}|${l.intermediateSize ?? ''}|${l.numKvHeads ?? ''}|${l.sparse ? 1 : 0}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { layer: l, count: 1 });
  }
  return [...groups.values()];
}

/** Step shapes remembered per cost function (a direct-mapped cache: see StepShapeCache). */
export const STEP_MEMO_SLOTS = 16_384;

/**
 * The time of one forward step of one replica for a batch summarised by its StepShape. The returned function
 * memoises by shape (bounded) and is pure: it may be called millions of times by the simulator.
 */
export function makeStepCost(ctx: PerfContext, calib: CalibrationSet = BUILTIN_CALIBRATION): (shape: StepShape) => StepTime {
  checkParallelism(ctx.par);
  const dc = resolveCalibration(ctx.device, ctx.backend, calib);
  const plan = memoryPlan(ctx);
  const tierBw = (tier: 'sram' | 'hbm' | 'dram'): number => ctx.device.memory[tier].bandwidthBytesPerS.value ?? dc.peaks.memBytesPerS;
  // Table-backed GPUs stream from HBM at the calibrated peaks; other chips from the tier the plan chose.
  const weightPeaks: Peaks = dc.system ? dc.peaks : { flopsPerS: dc.peaks.flopsPerS, memBytesPerS: tierBw(plan.weightTier) };
  const kvPeaks: Peaks = dc.system ? dc.peaks : { flopsPerS: dc.peaks.flopsPerS, memBytesPerS: tierBw(plan.kvTier ?? plan.weightTier) };
  const b: Builder = { dc, ctx, weightPeaks, kvPeaks };
  const arch = ctx.model;
  const linearStatePerSeq = arch.numLinearAttentionLayers > 0 ? linearStateBytesPerSequence(arch, ctx.kvDtype) / arch.numLinearAttentionLayers : 0;

  const parts: { fn: PartFn; count: number }[] = [];
  for (const { layer, count } of layerGroups(arch)) {
    const fns: PartFn[] = [];
    if (layer.mixer === 'linear') fns.push(linearMixer(b, linearStatePerSeq));
    else if (layer.mixer !== 'none') fns.push(arch.attention.kind === 'mla' ? mlaMixer(b, layer) : gqaMixer(b, layer));
    if (layer.ffn === 'dense') fns.push(denseFfn(b, layer.intermediateSize ?? arch.intermediateSize));
    else if (layer.ffn === 'moe') fns.push(moeFfn(b));
    fns.push(layerComm(b, layer), elementwise(b, layer));
    for (const fn of fns) parts.push({ fn, count });
  }
  const lmHead = gemmCostFn(dc, arch.vocabSize / ctx.par.tp, arch.hiddenSize, 'bf16', weightPeaks);
  const { tp, pp, dp } = ctx.par;
  const ov = dc.overhead;

  const compute = (s: StepShape): StepTime => {
    const r: RankShape = {
      tokens: s.numTokens / dp,
      moeTokens: s.numTokens,
      prefillSeqs: s.numPrefillSeqs / dp,
      prefillTokens: s.prefillTokens / dp,
      prefillPairs: s.prefillAttnPairs / dp,
      prefillKvTokens: s.prefillKvTokens / dp,
      decodeSeqs: s.numDecodeSeqs / dp,
      decodeKvTokens: s.decodeKvTokens / dp,
      logitSeqs: s.numSeqs / dp,
    };
    const acc: Part = { gemmS: 0, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
    const one: Part = { gemmS: 0, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
    for (const p of parts) {
      one.gemmS = one.attentionS = one.moeS = one.commS = one.overheadS = 0;
      p.fn(r, one);
      acc.gemmS += p.count * one.gemmS;
      acc.attentionS += p.count * one.attentionS;
      acc.moeS += p.count * one.moeS;
      acc.commS += p.count * one.commS;
      acc.overheadS += p.count * one.overheadS;
    }
    acc.gemmS += lmHead(r.logitSeqs);
    // Vocab-parallel logits are gathered across TP ranks; pipeline stages hand activations on.
    if (tp > 1) acc.commS += commTimeS(dc, 'allgather', r.logitSeqs * arch.vocabSize * 4, tp);
    if (pp > 1) acc.commS += (pp - 1) * commTimeS(dc, 'send', r.tokens * arch.hiddenSize * ACT_BYTES, 2);
    acc.overheadS += ov.stepS + (s.numPrefillSeqs > 0 ? ov.prefillStepS : 0);
    const totalS = acc.gemmS + acc.attentionS + acc.moeS + acc.commS + acc.overheadS;
    return { totalS, gemmS: acc.gemmS, attentionS: acc.attentionS, moeS: acc.moeS, commS: acc.commS, overheadS: acc.overheadS };
  };

  const memo = new StepShapeCache<StepTime>(STEP_MEMO_SLOTS);
  const empty: StepTime = { totalS: 0, gemmS: 0, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
  return (s: StepShape): StepTime => {
    if (s.numTokens <= 0) return empty;
    const hit = memo.get(s);
    if (hit) return hit;
    const t = compute(s);
    memo.set(s, t);
    return t;
  };
}
