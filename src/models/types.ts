import type { Dtype } from '../core/units.js';

/** Attention of one model: grouped-query (MHA/MQA are special cases) or DeepSeek-style multi-head latent. */
export type AttentionSpec =
  | {
      readonly kind: 'gqa';
      readonly numHeads: number;
      readonly numKvHeads: number;
      readonly headDim: number;
      /** Sliding-window size for the layers that use one (gpt-oss, Gemma), else null. */
      readonly slidingWindowTokens: number | null;
      /** How many of the layers use the sliding window (0 when none). */
      readonly numSlidingLayers: number;
    }
  | {
      readonly kind: 'mla';
      readonly numHeads: number;
      /** null when q is projected directly (no low-rank q). */
      readonly qLoraRank: number | null;
      readonly kvLoraRank: number;
      readonly qkNopeHeadDim: number;
      readonly qkRopeHeadDim: number;
      readonly vHeadDim: number;
    };

export interface MoeSpec {
  readonly numExperts: number;
  /** Experts each token is routed to. */
  readonly topK: number;
  readonly expertIntermediateSize: number;
  readonly numSharedExperts: number;
  /** Intermediate size of each shared expert (0 when none). */
  readonly sharedIntermediateSize: number;
  /** Layers whose FFN is dense instead of MoE (DeepSeek's first_k_dense_replace). */
  readonly numDenseLayers: number;
}

/** The architecture facts phasewise needs, read from a Hugging Face config.json. */
export interface ModelArch {
  /** `org/name` or the path it was read from. */
  readonly id: string;
  /** `architectures[0]` or `model_type` from the config. */
  readonly architecture: string;
  readonly numLayers: number;
  readonly hiddenSize: number;
  /** Dense FFN intermediate size (used by dense layers). */
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly tieEmbeddings: boolean;
  readonly attention: AttentionSpec;
  /** Layers using linear/recurrent attention with a fixed-size state instead of a KV cache (Qwen3-Next/3.5 gated DeltaNet, MiniMax lightning), 0 when none. */
  readonly numLinearAttentionLayers: number;
  readonly moe: MoeSpec | null;
  readonly maxContextTokens: number;
  /** Precision of the published weights (from torch_dtype / quantization_config). */
  readonly weightDtype: Dtype;
  /** Default KV-cache precision (= activation dtype unless the config says otherwise). */
  readonly kvDtype: Dtype;
}

/** Weight bytes of a whole model, split the way placement and perf need them. */
export interface WeightBytes {
  readonly attention: number;
  /** Dense FFN layers. */
  readonly denseFfn: number;
  /** Routed experts (all of them). */
  readonly experts: number;
  readonly sharedExperts: number;
  /** Router/gate matrices. */
  readonly router: number;
  /** Input embedding + LM head (counted once if tied) + final norm. */
  readonly embeddings: number;
  readonly total: number;
}
