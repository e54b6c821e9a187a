/**
 * The figures of a model architecture, in one import: parameters (params.ts), weight bytes (weights.ts), KV
 * cache (kv.ts), FLOPs (flops.ts), and the summary `phasewise show model` prints. Formulas: docs/models.md.
 */
import type { Dtype } from '../core/units.js';
import { attnCost, matmulFlopsPerToken } from './flops.js';
import { kvBytesForContext, kvBytesPerToken, linearStateBytesPerSequence, slidingKvBytesPerToken } from './kv.js';
import { layerPlan } from './layer-plan.js';
import { activeParamCount, paramBreakdown, paramCount, type ParamBreakdown } from './params.js';
import type { LayerSpec, ModelArch, WeightBytes } from './types.js';
import { activeWeightBytes, nativeWeightDtypes, resolveWeightDtypes, weightBytes, type WeightDtypes } from './weights.js';

export { flopsPerToken, prefillFlops, sumCappedContext, type FlopsBreakdown, type FlopsOptions } from './flops.js';
export {
  kvBytesForContext,
  kvBytesPerToken,
  layerKvBytesPerToken,
  linearStateBytesPerSequence,
  slidingKvBytesPerToken,
} from './kv.js';
export { layerPlan } from './layer-plan.js';
export { activeParamCount, embeddingParams, layerParams, paramBreakdown, paramCount, type LayerParams, type ParamBreakdown } from './params.js';
export {
  activeWeightBytes,
  bytesPerWeight,
  nativeWeightDtypes,
  NVFP4_SCALE_BYTES_PER_ELEMENT,
  resolveWeightDtypes,
  weightBytes,
  weightBytesPerLayer,
  type LayerWeightBytes,
  type WeightDtypes,
} from './weights.js';

export interface ModelSummary {
  readonly id: string;
  readonly architecture: string;
  readonly numLayers: number;
  readonly layers: {
    readonly fullAttention: number;
    readonly slidingWindow: number;
    readonly linearAttention: number;
    readonly noMixer: number;
    readonly denseFfn: number;
    readonly moe: number;
    readonly noFfn: number;
  };
  readonly params: number;
  readonly activeParams: number;
  readonly paramsByPart: ParamBreakdown;
  readonly weightDtype: Dtype;
  readonly attentionWeightDtype: Dtype;
  readonly expertWeightDtype: Dtype;
  readonly weightBytes: WeightBytes;
  /** Weight bytes one token reads (all non-expert weights + its top-k experts). */
  readonly activeWeightBytesPerToken: number;
  readonly kvDtype: Dtype;
  /** KV per token in full-attention layers. */
  readonly kvBytesPerToken: number;
  /** KV per token in sliding layers (held for at most slidingWindowTokens). */
  readonly slidingKvBytesPerToken: number;
  readonly slidingWindowTokens: number | null;
  /** KV of one sequence at the model's maximum context. */
  readonly kvBytesAtMaxContext: number;
  readonly linearStateBytesPerSequence: number;
  /** Matmul FLOPs per token (linear layers + LM head), context-independent. */
  readonly matmulFlopsPerToken: number;
  /** Attention FLOPs added per token of context (full layers, prefill form). */
  readonly attentionFlopsPerContextToken: number;
  readonly maxContextTokens: number;
}

/** The figures `phasewise show model ID` prints, at the given precisions (default: the checkpoint's own). */
export function modelSummary(arch: ModelArch, dtypes?: WeightDtypes & { readonly kv?: Dtype }): ModelSummary {
  const d = resolveWeightDtypes(arch, dtypes ?? nativeWeightDtypes(arch));
  const kv = dtypes?.kv ?? arch.kvDtype;
  const plan = layerPlan(arch);
  const countOf = (pred: (l: LayerSpec) => boolean): number => plan.filter(pred).length;
  const window = arch.attention.kind === 'gqa' ? arch.attention.slidingWindowTokens : null;
  let attentionPerContextToken = 0;
  for (const l of plan) if (l.mixer === 'full') attentionPerContextToken += attnCost(arch, l, {}).perContextToken;
  const mm = matmulFlopsPerToken(arch);
  return {
    id: arch.id,
    architecture: arch.architecture,
    numLayers: arch.numLayers,
    layers: {
      fullAttention: countOf((l) => l.mixer === 'full'),
      slidingWindow: countOf((l) => l.mixer === 'sliding'),
      linearAttention: countOf((l) => l.mixer === 'linear'),
      noMixer: countOf((l) => l.mixer === 'none'),
      denseFfn: countOf((l) => l.ffn === 'dense'),
      moe: countOf((l) => l.ffn === 'moe'),
      noFfn: countOf((l) => l.ffn === 'none'),
    },
    params: paramCount(arch),
    activeParams: activeParamCount(arch),
    paramsByPart: paramBreakdown(arch),
    weightDtype: d.weight,
    attentionWeightDtype: d.attention,
    expertWeightDtype: d.moe,
    weightBytes: weightBytes(arch, d),
    activeWeightBytesPerToken: activeWeightBytes(arch, d),
    kvDtype: kv,
    kvBytesPerToken: kvBytesPerToken(arch, kv),
    slidingKvBytesPerToken: slidingKvBytesPerToken(arch, kv),
    slidingWindowTokens: window,
    kvBytesAtMaxContext: kvBytesForContext(arch, kv, arch.maxContextTokens),
    linearStateBytesPerSequence: linearStateBytesPerSequence(arch, kv),
    matmulFlopsPerToken: mm.linear + mm.lmHead,
    attentionFlopsPerContextToken: attentionPerContextToken,
    maxContextTokens: arch.maxContextTokens,
  };
}
