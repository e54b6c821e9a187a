import { BYTES_PER_ELEMENT, type Dtype } from '../core/units.js';
import { gqaShape, layerPlan, slidingWindowTokens } from './layer-plan.js';
import type { LayerSpec, ModelArch } from './types.js';

/** KV bytes one token adds to one layer (before any window cap): GQA K+V, MLA latent + rope key, indexer key. */
export function layerKvBytesPerToken(arch: ModelArch, layer: LayerSpec, kvDtype: Dtype): number {
  if (layer.mixer !== 'full' && layer.mixer !== 'sliding') return 0;
  const b = BYTES_PER_ELEMENT[kvDtype];
  const a = arch.attention;
  let elems: number;
  if (a.kind === 'mla') {
    elems = a.kvLoraRank + a.qkRopeHeadDim;
  } else {
    const s = gqaShape(arch, layer);
    // K=V layers (Gemma 4) still cache K and V separately: V is normed differently and carries no RoPE.
    elems = s ? s.numKvHeads * (s.headDim + s.vHeadDim) : 0;
  }
  if (layer.sparse && !layer.sharedIndexer && a.indexer) elems += a.indexer.headDim;
  return elems * b;
}

/**
 * KV bytes per token of context in the layers whose cache grows without bound (full attention). Linear
 * layers hold none; sliding layers are capped — see `slidingKvBytesPerToken` and `kvBytesForContext`.
 */
export function kvBytesPerToken(arch: ModelArch, kvDtype: Dtype = arch.kvDtype): number {
  let n = 0;
  // A compressed layer (DeepSeek-V4) keeps one entry, indexer key included, per kvCompression tokens.
  for (const l of layerPlan(arch)) if (l.mixer === 'full') n += layerKvBytesPerToken(arch, l, kvDtype) / (l.kvCompression ?? 1);
  return n;
}

/**
 * KV bytes per token of the sliding-window layers, held for at most the window's last tokens; with them the
 * uncompressed window every compressed layer keeps beside its entries.
 */
export function slidingKvBytesPerToken(arch: ModelArch, kvDtype: Dtype = arch.kvDtype): number {
  let n = 0;
  for (const l of layerPlan(arch)) {
    if (l.mixer === 'sliding') n += layerKvBytesPerToken(arch, l, kvDtype);
    else if (l.mixer === 'full' && l.kvCompression !== undefined) n += layerKvBytesPerToken(arch, { ...l, sparse: false }, kvDtype);
  }
  return n;
}

/** KV bytes one sequence of `contextTokens` holds: full layers grow, sliding layers stop at their window. */
export function kvBytesForContext(arch: ModelArch, kvDtype: Dtype, contextTokens: number): number {
  const window = slidingWindowTokens(arch);
  return kvBytesPerToken(arch, kvDtype) * contextTokens + slidingKvBytesPerToken(arch, kvDtype) * Math.min(contextTokens, window);
}

/**
 * Fixed state of the linear-attention layers per sequence: recurrent state in fp32 (what Qwen3.5 and Nemotron
 * declare as their SSM dtype) plus the short-convolution tail in `convDtype`.
 */
export function linearStateBytesPerSequence(arch: ModelArch, convDtype: Dtype = arch.kvDtype): number {
  const l = arch.linearAttention;
  const n = arch.numLinearAttentionLayers;
  if (!l || n === 0) return 0;
  const fp32 = BYTES_PER_ELEMENT.fp32;
  const conv = BYTES_PER_ELEMENT[convDtype];
  let perLayer: number;
  switch (l.kind) {
    case 'gated-deltanet': {
      const convDim = 2 * l.numKeyHeads * l.keyHeadDim + l.numValueHeads * l.valueHeadDim;
      perLayer = l.numValueHeads * l.keyHeadDim * l.valueHeadDim * fp32 + (l.convKernel - 1) * convDim * conv;
      break;
    }
    case 'kda':
      perLayer = l.numHeads * l.headDim * l.headDim * fp32 + (l.convKernel - 1) * 3 * l.numHeads * l.headDim * conv;
      break;
    case 'mamba2': {
      const dInner = l.numHeads * l.headDim;
      perLayer = dInner * l.stateSize * fp32 + (l.convKernel - 1) * (dInner + 2 * l.numGroups * l.stateSize) * conv;
      break;
    }
    case 'lightning':
      perLayer = l.numHeads * l.headDim * l.headDim * fp32;
      break;
  }
  return n * perLayer;
}
