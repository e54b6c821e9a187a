import { BYTES_PER_ELEMENT, type Dtype } from '../core/units.js';
import { layerPlan } from './layer-plan.js';
import { embeddingParams, layerParams } from './params.js';
import type { FfnKind, LayerSpec, MixerKind, ModelArch, WeightBytes } from './types.js';

/**
 * Precision of each part of the weights. A part left out follows `weight` — except when `weight` is the
 * checkpoint's own weightDtype: then it keeps the checkpoint's own precision for that part (so
 * `{ weight: arch.weightDtype }` means "as shipped", mxfp4 gpt-oss experts and bf16 NVFP4 attention included).
 */
export interface WeightDtypes {
  /** Dense FFN and shared experts; also the default of the others. */
  readonly weight: Dtype;
  /** Routed experts. */
  readonly moe?: Dtype;
  /** Attention / token-mixer matrices. */
  readonly attention?: Dtype;
  /** Embeddings, LM head, norms and routers (default: weight when it is 16/32-bit, else bf16 — quantized
   * checkpoints keep these unquantized). */
  readonly embedding?: Dtype;
}

/** NVFP4: one fp8 (E4M3) block scale per 16 fp4 elements = 1/16 byte per element on top of the 0.5. */
export const NVFP4_SCALE_BYTES_PER_ELEMENT = 1 / 16;

/** The precisions the checkpoint itself ships (what `phasewise show model` reports by default). */
export function nativeWeightDtypes(arch: ModelArch): WeightDtypes {
  return {
    weight: arch.weightDtype,
    moe: arch.expertWeightDtype ?? arch.weightDtype,
    attention: arch.attentionWeightDtype ?? arch.weightDtype,
  };
}

/**
 * Bytes per stored element, block scales included for 4-bit formats: the checkpoint's own scheme when it has
 * one (MXFP4 1/32), else NVFP4's 1/16. fp8 block scales (one fp32 per 128×128) add 0.02% and are ignored.
 */
export function bytesPerWeight(arch: ModelArch, dtype: Dtype): number {
  const base = BYTES_PER_ELEMENT[dtype];
  if (dtype !== 'fp4' && dtype !== 'int4') return base;
  return base + (arch.quantScaleBytesPerElement ?? NVFP4_SCALE_BYTES_PER_ELEMENT);
}

interface ResolvedDtypes {
  readonly ffn: number;
  readonly experts: number;
  readonly attention: number;
  readonly plain: number;
}

/** The dtype of each part, defaults applied (see WeightDtypes). */
export function resolveWeightDtypes(arch: ModelArch, d: WeightDtypes): Required<WeightDtypes> {
  const native = d.weight === arch.weightDtype;
  return {
    weight: d.weight,
    moe: d.moe ?? (native ? arch.expertWeightDtype : undefined) ?? d.weight,
    attention: d.attention ?? (native ? arch.attentionWeightDtype : undefined) ?? d.weight,
    embedding: d.embedding ?? (BYTES_PER_ELEMENT[d.weight] >= 2 ? d.weight : 'bf16'),
  };
}

function resolve(arch: ModelArch, dtypes: WeightDtypes): ResolvedDtypes {
  const d = resolveWeightDtypes(arch, dtypes);
  return {
    ffn: bytesPerWeight(arch, d.weight),
    experts: bytesPerWeight(arch, d.moe),
    attention: bytesPerWeight(arch, d.attention),
    plain: BYTES_PER_ELEMENT[d.embedding],
  };
}

/** Weight bytes of one layer, split like WeightBytes (embeddings are not in any layer). */
export interface LayerWeightBytes {
  readonly mixer: MixerKind;
  readonly ffn: FfnKind;
  /** Mixer matrices and vectors plus the layer's norms. */
  readonly attention: number;
  readonly denseFfn: number;
  readonly experts: number;
  readonly sharedExperts: number;
  readonly router: number;
  readonly total: number;
}

function layerBytes(arch: ModelArch, layer: LayerSpec, r: ResolvedDtypes): LayerWeightBytes {
  const p = layerParams(arch, layer);
  const attention = p.attentionMatrix * r.attention + (p.attentionVector + p.norms) * r.plain;
  const denseFfn = p.denseFfn * r.ffn;
  const experts = p.experts * r.experts;
  const sharedExperts = p.sharedExperts * r.ffn;
  const router = p.router * r.plain;
  return {
    mixer: layer.mixer,
    ffn: layer.ffn,
    attention,
    denseFfn,
    experts,
    sharedExperts,
    router,
    total: attention + denseFfn + experts + sharedExperts + router,
  };
}

/** Weight bytes of each layer, in order (for pipeline splits and attention/FFN disaggregation). */
export function weightBytesPerLayer(arch: ModelArch, dtypes: WeightDtypes = nativeWeightDtypes(arch)): LayerWeightBytes[] {
  const r = resolve(arch, dtypes);
  return layerPlan(arch).map((l) => layerBytes(arch, l, r));
}

/** Weight bytes of the whole model by part. */
export function weightBytes(arch: ModelArch, dtypes: WeightDtypes = nativeWeightDtypes(arch)): WeightBytes {
  const r = resolve(arch, dtypes);
  let attention = 0;
  let denseFfn = 0;
  let experts = 0;
  let sharedExperts = 0;
  let router = 0;
  for (const layer of layerPlan(arch)) {
    const b = layerBytes(arch, layer, r);
    attention += b.attention;
    denseFfn += b.denseFfn;
    experts += b.experts;
    sharedExperts += b.sharedExperts;
    router += b.router;
  }
  const embeddings = embeddingParams(arch) * r.plain;
  return { attention, denseFfn, experts, sharedExperts, router, embeddings, total: attention + denseFfn + experts + sharedExperts + router + embeddings };
}

/** Weight bytes one token reads: all non-expert weights and its top-k experts; the embedding table is counted whole, though a token reads one row of it. */
export function activeWeightBytes(arch: ModelArch, dtypes: WeightDtypes = nativeWeightDtypes(arch)): number {
  const r = resolve(arch, dtypes);
  let n = embeddingParams(arch) * r.plain;
  for (const layer of layerPlan(arch)) {
    const p = layerParams(arch, layer);
    n += p.attentionMatrix * r.attention + (p.attentionVector + p.norms + p.router) * r.plain;
    n += p.denseFfn * r.ffn + p.sharedExperts * r.ffn + p.activeExperts * r.experts;
  }
  return n;
}
