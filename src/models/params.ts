import { gqaShape, layerPlan } from './layer-plan.js';
import type { LayerSpec, LinearAttentionSpec, ModelArch } from './types.js';

/**
 * Parameters of one layer by part. Matrices and vectors are kept apart because quantized checkpoints quantize
 * only the matrices; vectors (norm weights, convolution taps, SSM decay) stay in the unquantized precision.
 * Biases, q/k-norm weights and attention sinks are not counted (each well under 0.1% of a layer).
 */
export interface LayerParams {
  /** Token-mixer matrices: q/k/v/o, MLA down/up projections, indexer, linear-attention projections. */
  readonly attentionMatrix: number;
  /** Token-mixer vectors: MLA/DeltaNet internal norms, conv taps, SSM A/D/dt. */
  readonly attentionVector: number;
  /** The layer's pre-mixer and pre-FFN RMSNorm weights. */
  readonly norms: number;
  readonly denseFfn: number;
  /** All routed experts of the layer. */
  readonly experts: number;
  /** The top-k experts one token runs through. */
  readonly activeExperts: number;
  /** Shared experts plus, for latent MoE, the hidden↔latent projections (every token runs both). */
  readonly sharedExperts: number;
  readonly router: number;
}

export interface ParamBreakdown {
  readonly attention: number;
  readonly denseFfn: number;
  readonly experts: number;
  readonly sharedExperts: number;
  readonly router: number;
  /** Input embedding + LM head (once if tied) + final norm. */
  readonly embeddings: number;
  readonly total: number;
}

/** Params of the token mixer of one layer, as [matrices, vectors]. */
function mixerParams(arch: ModelArch, layer: LayerSpec): [number, number] {
  const h = arch.hiddenSize;
  const a = arch.attention;
  if (layer.mixer === 'none') return [0, 0];
  if (layer.mixer === 'linear' && arch.linearAttention) return linearParams(h, arch.linearAttention);
  let mats = 0;
  let vecs = 0;
  if (a.kind === 'mla') {
    const qkHead = a.qkNopeHeadDim + a.qkRopeHeadDim;
    if (a.qLoraRank !== null) {
      mats += h * a.qLoraRank + a.qLoraRank * a.numHeads * qkHead;
      vecs += a.qLoraRank; // q_a_layernorm
    } else {
      mats += h * a.numHeads * qkHead;
    }
    mats += h * (a.kvLoraRank + a.qkRopeHeadDim); // kv_a_proj_with_mqa: latent + shared rope key
    vecs += a.kvLoraRank; // kv_a_layernorm
    // DeepSeek-V4 reads the latent as key and value: no kv_b_proj.
    if (!a.sharedLatentKv) mats += a.kvLoraRank * a.numHeads * (a.qkNopeHeadDim + a.vHeadDim); // kv_b_proj
    // o_proj, or V4's grouped low-rank one: each group of heads → o_lora_rank, then all groups → hidden.
    mats += a.oLora ? a.numHeads * a.vHeadDim * a.oLora.rank + a.oLora.groups * a.oLora.rank * h : a.numHeads * a.vHeadDim * h;
    // V4's compressor projects each token to a candidate entry and its gate (and the indexer's keys likewise).
    if (layer.kvCompression !== undefined) {
      mats += 2 * h * (a.kvLoraRank + a.qkRopeHeadDim);
      if (layer.sparse && a.indexer) mats += 2 * h * a.indexer.headDim;
    }
  } else {
    // A linear layer without a linearAttention spec is costed as softmax attention of the same heads.
    const s = gqaShape(arch, layer.mixer === 'linear' ? { ...layer, mixer: 'full' } : layer);
    if (s) {
      const gate = a.kind === 'gqa' && a.outputGate ? 2 : 1;
      mats += h * s.numHeads * s.headDim * gate; // q (and its output gate)
      mats += h * s.numKvHeads * s.headDim; // k
      mats += s.kEqualsV ? 0 : h * s.numKvHeads * s.vHeadDim; // v
      mats += s.numHeads * s.vHeadDim * h; // o
    }
  }
  if (layer.sparse && !layer.sharedIndexer && a.indexer) {
    const ix = a.indexer;
    const qIn = a.kind === 'mla' && a.qLoraRank !== null ? a.qLoraRank : h;
    mats += qIn * ix.numHeads * ix.headDim + h * ix.headDim + h * ix.numHeads; // wq, wk, head weights
    vecs += 2 * ix.headDim; // k LayerNorm weight and bias
  }
  return [mats, vecs];
}

/** [matrices, vectors] of one linear-attention mixer. */
function linearParams(h: number, l: LinearAttentionSpec): [number, number] {
  switch (l.kind) {
    case 'gated-deltanet': {
      const keyDim = l.numKeyHeads * l.keyHeadDim;
      const valueDim = l.numValueHeads * l.valueHeadDim;
      const convDim = 2 * keyDim + valueDim;
      // in_proj_qkvz + in_proj_ba + out_proj; conv taps, A_log, dt_bias, gated norm.
      const mats = h * (2 * keyDim + 2 * valueDim) + h * 2 * l.numValueHeads + valueDim * h;
      return [mats, convDim * l.convKernel + 2 * l.numValueHeads + l.valueHeadDim];
    }
    case 'kda': {
      const d = l.numHeads * l.headDim;
      const forgetGate = l.fullRankGate ? h * d : h * l.headDim + l.headDim * d;
      const outputGate = h * l.headDim + l.headDim * d;
      // q, k, v, forget gate, beta, output gate, o.
      const mats = 3 * h * d + forgetGate + h * l.numHeads + outputGate + d * h;
      return [mats, 3 * d * l.convKernel + l.numHeads + d + l.headDim];
    }
    case 'mamba2': {
      const dInner = l.numHeads * l.headDim;
      const convDim = dInner + 2 * l.numGroups * l.stateSize;
      // in_proj emits z, x, B, C and dt; out_proj; conv taps+bias, A_log, D, dt_bias, gated norm.
      const mats = h * (dInner + convDim + l.numHeads) + dInner * h;
      return [mats, convDim * (l.convKernel + 1) + 3 * l.numHeads + dInner];
    }
    case 'lightning': {
      const d = l.numHeads * l.headDim;
      // qkv, output gate, out_proj; norm.
      return [3 * h * d + h * d + d * h, d];
    }
  }
}

/** Params of one layer by part. */
export function layerParams(arch: ModelArch, layer: LayerSpec): LayerParams {
  const h = arch.hiddenSize;
  const [attentionMatrix, attentionVector] = mixerParams(arch, layer);
  const mats = arch.gatedFfn === false ? 2 : 3;
  const norms = (layer.mixer !== 'none' ? h : 0) + (layer.ffn !== 'none' ? h : 0);
  let denseFfn = 0;
  let experts = 0;
  let activeExperts = 0;
  let sharedExperts = 0;
  let router = 0;
  const moe = arch.moe;
  if (layer.ffn === 'dense') {
    denseFfn = mats * h * (layer.intermediateSize ?? arch.intermediateSize);
  } else if (layer.ffn === 'moe' && moe) {
    const width = moe.latentSize ?? h;
    const perExpert = mats * width * moe.expertIntermediateSize;
    experts = moe.numExperts * perExpert;
    activeExperts = moe.topK * perExpert;
    sharedExperts = moe.numSharedExperts * mats * h * moe.sharedIntermediateSize;
    if (moe.latentSize !== undefined) sharedExperts += 2 * h * moe.latentSize;
    router = h * moe.numExperts;
  }
  return { attentionMatrix, attentionVector, norms, denseFfn, experts, activeExperts, sharedExperts, router };
}

/** Input embedding + LM head (once when tied) + final norm. */
export function embeddingParams(arch: ModelArch): number {
  return arch.vocabSize * arch.hiddenSize * (arch.tieEmbeddings ? 1 : 2) + arch.hiddenSize;
}

/** Total params by part (MTP layers and vision towers excluded). */
export function paramBreakdown(arch: ModelArch): ParamBreakdown {
  let attention = 0;
  let denseFfn = 0;
  let experts = 0;
  let sharedExperts = 0;
  let router = 0;
  for (const layer of layerPlan(arch)) {
    const p = layerParams(arch, layer);
    attention += p.attentionMatrix + p.attentionVector + p.norms;
    denseFfn += p.denseFfn;
    experts += p.experts;
    sharedExperts += p.sharedExperts;
    router += p.router;
  }
  const embeddings = embeddingParams(arch);
  return { attention, denseFfn, experts, sharedExperts, router, embeddings, total: attention + denseFfn + experts + sharedExperts + router + embeddings };
}

/** Total parameters. */
export function paramCount(arch: ModelArch): number {
  return paramBreakdown(arch).total;
}

/**
 * Parameters one token touches: every non-expert weight plus its top-k routed experts, embeddings and LM head
 * included (the convention of published "active parameter" figures: Mixtral 12.9B, DeepSeek-V3 37B).
 */
export function activeParamCount(arch: ModelArch): number {
  let n = embeddingParams(arch);
  for (const layer of layerPlan(arch)) {
    const p = layerParams(arch, layer);
    n += p.attentionMatrix + p.attentionVector + p.norms + p.denseFfn + p.activeExperts + p.sharedExperts + p.router;
  }
  return n;
}
