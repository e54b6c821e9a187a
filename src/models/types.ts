import type { Dtype } from '../core/units.js';

/** Head shape of the sliding-window layers when it differs from the full-attention layers (Gemma 4, MiMo-V2). */
export interface SlidingAttentionShape {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Value head size when it differs from headDim. */
  readonly vHeadDim?: number;
}

/**
 * DeepSeek-style sparse attention (DSA, V3.2 / GLM-5; MiniMax-M3 block-sparse): a small "lightning indexer"
 * scores every cached token and the main attention reads only the best `topKTokens`. The indexer caches one
 * key of `headDim` per token per indexed layer.
 */
export interface IndexerSpec {
  readonly numHeads: number;
  readonly headDim: number;
  /** Tokens the main attention reads per query once the context is longer. */
  readonly topKTokens: number;
}

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
      /** Value head size when it differs from headDim (MiMo-V2: 192 for q/k, 128 for v). */
      readonly vHeadDim?: number;
      /** Shape of the sliding-window layers when it differs from the one above (which is the full layers'). */
      readonly sliding?: SlidingAttentionShape;
      /** Full-attention layers reuse the K projection for V (Gemma 4 `attention_k_eq_v`): no v_proj weights. */
      readonly kEqualsV?: boolean;
      /** q_proj also emits a per-head output gate (Qwen3-Next/3.5 `attn_output_gate`): q weights double. */
      readonly outputGate?: boolean;
      /**
       * RMSNorm on the queries and keys before RoPE: over each head (Qwen3, Gemma 3/4) or over all heads of the
       * layer (MiniMax-M2 `qk_norm_type: per_layer`, OLMo 2), whose statistics span the tensor-parallel ranks.
       */
      readonly qkNorm?: QkNormKind;
      /** Sparse attention with an indexer on the layers marked `sparse` (all full layers when `layers` is absent). */
      readonly indexer?: IndexerSpec;
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
      /** DeepSeek-V3.2 / GLM-5 sparse attention (DSA). */
      readonly indexer?: IndexerSpec;
      /**
       * DeepSeek-V4: the cached latent (kvLoraRank + qkRopeHeadDim wide, one per token) is itself every head's key
       * and value — no kv_b up-projection and no absorbed BMMs — and each head returns a latent-wide output.
       */
      readonly sharedLatentKv?: boolean;
      /** DeepSeek-V4 grouped low-rank output: heads' outputs → `oGroups` × `oLoraRank` → hidden. */
      readonly oLora?: { readonly rank: number; readonly groups: number };
      /** DeepSeek-V4: every layer also attends its last `slidingWindowTokens` tokens uncompressed. */
      readonly slidingWindowTokens?: number;
    };

/**
 * The fixed-size-state token mixer of the linear-attention layers. Its state does not grow with context, so it
 * holds no KV cache; its weights and state size depend on the kind.
 */
export type LinearAttentionSpec =
  | {
      /** Gated DeltaNet (Qwen3-Next, Qwen3.5): q,k at key size, v and the output gate z at value size. */
      readonly kind: 'gated-deltanet';
      readonly numKeyHeads: number;
      readonly keyHeadDim: number;
      readonly numValueHeads: number;
      readonly valueHeadDim: number;
      readonly convKernel: number;
    }
  | {
      /** Kimi Delta Attention (Kimi-Linear, Kimi-K3): per-channel gated delta rule, q/k/v of numHeads·headDim. */
      readonly kind: 'kda';
      readonly numHeads: number;
      readonly headDim: number;
      readonly convKernel: number;
      /** The forget gate is a full hidden→heads·headDim matrix instead of a rank-headDim pair. */
      readonly fullRankGate: boolean;
    }
  | {
      /** Mamba-2 SSM block (Nemotron-H): d_inner = numHeads·headDim, B and C of numGroups·stateSize. */
      readonly kind: 'mamba2';
      readonly numHeads: number;
      readonly headDim: number;
      readonly stateSize: number;
      readonly numGroups: number;
      readonly convKernel: number;
    }
  | {
      /** Lightning attention (MiniMax-01): linear attention with q,k,v, an output gate and a headDim² state per head. */
      readonly kind: 'lightning';
      readonly numHeads: number;
      readonly headDim: number;
    };

/** Token mixer of one layer: softmax attention over all tokens, over a sliding window, a linear/recurrent mixer, or none. */
export type MixerKind = 'full' | 'sliding' | 'linear' | 'none';
/** Where a query/key RMSNorm takes its statistics: one head, or every head of the layer. */
export type QkNormKind = 'per-head' | 'across-heads';
/** Feed-forward of one layer. */
export type FfnKind = 'dense' | 'moe' | 'none';

/** One layer (block) of a non-uniform stack. */
export interface LayerSpec {
  readonly mixer: MixerKind;
  readonly ffn: FfnKind;
  /** Dense FFN intermediate size of this layer when it differs from `intermediateSize` (Nemotron-NAS). */
  readonly intermediateSize?: number;
  /** KV heads of this layer when they differ from the attention spec's (Nemotron-NAS). */
  readonly numKvHeads?: number;
  /** The layer's attention reads only the indexer's top-k tokens (sparse attention). */
  readonly sparse?: boolean;
  /** The layer reuses an earlier layer's top-k selection (GLM-5.2 `indexer_types: "shared"`): no indexer of its own. */
  readonly sharedIndexer?: boolean;
  /**
   * DeepSeek-V4 compressed attention (`compress_ratios`): a full layer caches one KV entry per `kvCompression`
   * tokens (its compressor merges them) besides the uncompressed window; sparse ones select the indexer's top-k
   * of those entries, the others attend all of them.
   */
  readonly kvCompression?: number;
}

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
  /**
   * Latent MoE (Nemotron-3 Super/Ultra `moe_latent_size`, Kimi-K3 `routed_expert_hidden_size`): routed experts
   * work in this smaller width, behind a hidden→latent and a latent→hidden projection shared by all experts.
   */
  readonly latentSize?: number;
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
  /** Precision of the routed experts when it differs from `weightDtype` (gpt-oss: mxfp4 experts; NVFP4 MoE checkpoints). */
  readonly expertWeightDtype?: Dtype;
  /** Default KV-cache precision (= activation dtype unless the config says otherwise). */
  readonly kvDtype: Dtype;

  // Optional refinements. Code that ignores them still gets a sound (coarser) model; `figures.ts` uses them all.

  /** `model_type` of the (text) config. */
  readonly modelType?: string;
  /** Per-layer mixer and FFN when the stack is not uniform (hybrids, interleaved MoE, NAS); length numLayers. */
  readonly layers?: readonly LayerSpec[];
  /** Shape of the linear-attention layers (required to count their weights exactly). */
  readonly linearAttention?: LinearAttentionSpec;
  /** FFN has gate, up and down matrices (SwiGLU/GeGLU); false for 2-matrix MLPs (Nemotron-H relu²). Default true. */
  readonly gatedFfn?: boolean;
  /** Residual streams of hyper-connections (DeepSeek-V4 `hc_mult`); 1 (absent) for a plain residual. */
  readonly residualStreams?: number;
  /** Attention (mixer) weight precision when it differs from weightDtype (NVFP4 checkpoints keep attention in bf16/fp8). */
  readonly attentionWeightDtype?: Dtype;
  /** Block-scale bytes per element of the 4-bit weights of this checkpoint: NVFP4 1/16, MXFP4 1/32, int4 g32/bf16 1/16. */
  readonly quantScaleBytesPerElement?: number;
  /** Multi-token-prediction layers shipped with the checkpoint; not part of the figures (used only for speculation). */
  readonly numMtpLayers?: number;
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
