import type { FfnKind, LayerSpec, MixerKind, ModelArch, SlidingAttentionShape } from './types.js';

/**
 * The layers of a model, one entry each. Configs with a non-uniform stack carry `layers`; for the rest the
 * counts say everything the figures need, so the plan is rebuilt from them (dense layers first, as in
 * DeepSeek; within that, the order of full/sliding/linear layers is not known and does not change any total).
 */
export function layerPlan(arch: ModelArch): readonly LayerSpec[] {
  if (arch.layers && arch.layers.length === arch.numLayers) return arch.layers;
  const numSliding = arch.attention.kind === 'gqa' ? arch.attention.numSlidingLayers : 0;
  const numLinear = arch.numLinearAttentionLayers;
  const numDense = arch.moe ? arch.moe.numDenseLayers : arch.numLayers;
  const sparse = arch.attention.indexer !== undefined;
  return Array.from({ length: arch.numLayers }, (_, i): LayerSpec => {
    const mixer: MixerKind = i < numLinear ? 'linear' : i < numLinear + numSliding ? 'sliding' : 'full';
    const ffn: FfnKind = i < numDense ? 'dense' : 'moe';
    return sparse && mixer !== 'linear' ? { mixer, ffn, sparse } : { mixer, ffn };
  });
}

/** Head shape of one softmax-attention layer (GQA only), with the value size made explicit. */
export interface GqaLayerShape {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vHeadDim: number;
  /** The layer has no v_proj (Gemma 4 full layers). */
  readonly kEqualsV: boolean;
}

/** The GQA shape a full or sliding layer uses, or null for MLA models. */
export function gqaShape(arch: ModelArch, layer: LayerSpec): GqaLayerShape | null {
  const a = arch.attention;
  if (a.kind !== 'gqa') return null;
  if (layer.mixer === 'sliding' && a.sliding) return fromSliding(a.sliding, layer);
  return {
    numHeads: a.numHeads,
    numKvHeads: layer.numKvHeads ?? a.numKvHeads,
    headDim: a.headDim,
    vHeadDim: a.vHeadDim ?? a.headDim,
    kEqualsV: layer.mixer === 'full' && a.kEqualsV === true,
  };
}

function fromSliding(s: SlidingAttentionShape, layer: LayerSpec): GqaLayerShape {
  return {
    numHeads: s.numHeads,
    numKvHeads: layer.numKvHeads ?? s.numKvHeads,
    headDim: s.headDim,
    vHeadDim: s.vHeadDim ?? s.headDim,
    kEqualsV: false,
  };
}

/** Window of the sliding layers in tokens (Infinity when the model has none, so min(ctx, window) = ctx). */
export function slidingWindowTokens(arch: ModelArch): number {
  return arch.attention.slidingWindowTokens ?? Number.POSITIVE_INFINITY;
}
