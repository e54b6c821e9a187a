import { UsageError } from '../core/errors.js';
import { ConfigReader, isJsonObject, isNonNegInt, perLayerList } from './config-reader.js';
import {
  assemble,
  denseLayerCount,
  readHeadDim,
  readMaxContextTokens,
  readNumMtpLayers,
  readTieEmbeddings,
  slidingCount,
  type ParseContext,
} from './parse-common.js';
import { readMixers, readMoeLayers, readSlidingWindow, readSparseLayers } from './parse-layers.js';
import { parseNemotronH, parseNemotronNas } from './parse-nemotron.js';
import { torchDtype } from './quant.js';
import type {
  AttentionSpec,
  FfnKind,
  IndexerSpec,
  LayerSpec,
  LinearAttentionSpec,
  MixerKind,
  ModelArch,
  MoeSpec,
  QkNormKind,
  SlidingAttentionShape,
} from './types.js';

/**
 * Architecture of a model from its Hugging Face config.json (already parsed; see `parseConfigText` for the
 * text). Vision-language configs are read through their `text_config`; only the language model is described.
 * `hfQuantConfig` is the optional hf_quant_config.json of NVIDIA ModelOpt checkpoints, used when config.json
 * itself carries no quantization_config. Anything missing, mistyped or not modelled is a UsageError naming the
 * field; nothing else is thrown.
 */
export function parseHfConfig(json: unknown, id: string, hfQuantConfig?: unknown): ModelArch {
  if (!isJsonObject(json)) throw new UsageError(`${id} config.json`, json, 'a JSON object');
  const root = new ConfigReader(json, id);
  const text = root.child('text_config') ?? root.child('llm_config') ?? root;
  const modelType = text.optString('model_type') ?? root.optString('model_type') ?? 'unknown';
  const ctx: ParseContext = {
    id,
    root,
    text,
    modelType,
    architecture: architectureName(root, modelType),
    baseDtype:
      torchDtype(text, 'dtype') ?? torchDtype(text, 'torch_dtype') ?? torchDtype(root, 'dtype') ??
      torchDtype(root, 'torch_dtype') ?? 'bf16',
    hfQuantConfig,
  };
  rejectUnmodelled(ctx);
  if (modelType === 'nemotron_h') return parseNemotronH(ctx);
  if (text.has('block_configs')) return parseNemotronNas(ctx);
  return parseTransformer(ctx);
}

function architectureName(root: ConfigReader, modelType: string): string {
  const archs = root.optArray('architectures');
  const first = archs?.[0];
  return typeof first === 'string' ? first : modelType;
}

/** Structures phasewise does not model: better a clear refusal than wrong figures. */
function rejectUnmodelled(ctx: ParseContext): void {
  const t = ctx.text;
  const ple = t.optNonNegInt('hidden_size_per_layer_input');
  if (ple !== undefined && ple > 0) {
    t.fail('hidden_size_per_layer_input', ple, '0 (per-layer embeddings, Gemma E2B/E4B, are not modelled)');
  }
  const shared = t.optNonNegInt('num_kv_shared_layers');
  if (shared !== undefined && shared > 0) {
    t.fail('num_kv_shared_layers', shared, '0 (cross-layer KV sharing is not modelled)');
  }
}

/** Attention-plus-FFN transformers: Llama, Qwen, Mixtral, gpt-oss, DeepSeek/Kimi/GLM (MLA), MiniMax, Gemma, MiMo, Step. */
function parseTransformer(ctx: ParseContext): ModelArch {
  const t = ctx.text;
  const numLayers = t.layerCount('num_hidden_layers');
  const hiddenSize = t.posInt('hidden_size');
  const vocabSize = t.posInt('vocab_size');
  const numHeads = t.posInt('num_attention_heads');
  const compression = readKvCompression(t, numLayers);
  const mixers = compression ? compression.map((r): MixerKind => (r === 0 ? 'sliding' : 'full')) : readMixers(t, ctx.modelType, numLayers);
  const sparse = compression ? { ...readSparse(t, numLayers), layers: compression.map((r) => r === V4_INDEXED_RATIO) } : readSparse(t, numLayers);
  const attention = compression ? readSharedLatentAttention(ctx, numHeads, sparse.indexer) : readAttention(ctx, hiddenSize, numHeads, mixers, sparse.indexer);
  const linearAttention = mixers.includes('linear') ? readLinearAttention(ctx, numHeads, attention) : undefined;
  const ffn = readFfn(ctx, numLayers);
  const layers: LayerSpec[] = mixers.map((mixer, i) => {
    const isSparse = sparse.indexer !== undefined && mixer !== 'linear' && (sparse.layers?.[i] ?? true);
    return {
      mixer,
      ffn: ffn.kinds[i] ?? 'dense',
      ...(isSparse ? { sparse: true } : {}),
      ...(isSparse && sparse.shared?.[i] ? { sharedIndexer: true } : {}),
      ...(compression && (compression[i] ?? 0) > 1 ? { kvCompression: compression[i] } : {}),
    };
  });
  const numMtpLayers = readNumMtpLayers(ctx);
  const hcMult = t.optPosInt('hc_mult');
  return assemble(ctx, {
    numLayers,
    hiddenSize,
    intermediateSize: ffn.denseIntermediateSize,
    vocabSize,
    tieEmbeddings: readTieEmbeddings(ctx, ctx.modelType.startsWith('gemma')),
    attention,
    moe: ffn.moe,
    maxContextTokens: readMaxContextTokens(ctx),
    layers,
    ...(linearAttention ? { linearAttention } : {}),
    ...(numMtpLayers !== undefined ? { numMtpLayers } : {}),
    ...(hcMult !== undefined && hcMult > 1 ? { residualStreams: hcMult } : {}),
  });
}

/**
 * DeepSeek-V4's per-layer KV compression (`compress_ratios`, one entry per layer and per MTP layer): 0 is a
 * window-only layer, 4 a compressed sparse one (CSA: the indexer picks the top-k compressed entries), 128 a heavily
 * compressed one (HCA: attends every compressed entry); every layer also attends its uncompressed window
 * (DeepSeek-V4 reference model code; NVIDIA Megatron-LM's DSv4 layer symbols W / C / H).
 */
function readKvCompression(t: ConfigReader, numLayers: number): number[] | undefined {
  return perLayerList(t, 'compress_ratios', numLayers, 'a compression ratio: 0 (window only) or an integer ≥ 2', (v): number | undefined =>
    isNonNegInt(v) && v !== 1 ? v : undefined,
  );
}

/** The compression ratio of DeepSeek-V4's indexed (CSA) layers; layers of other ratios attend all their entries. */
const V4_INDEXED_RATIO = 4;

/**
 * DeepSeek-V4 attention: low-rank q (`q_lora_rank`) and one `head_dim`-wide latent per token (its last
 * `qk_rope_head_dim` carry RoPE) that every head reads as key and value; the heads' outputs go through a grouped
 * low-rank projection (`o_groups` × `o_lora_rank`). Read as MLA whose latent is not up-projected.
 */
function readSharedLatentAttention(ctx: ParseContext, numHeads: number, indexer: IndexerSpec | undefined): AttentionSpec {
  const t = ctx.text;
  const headDim = t.posInt('head_dim');
  const rope = t.posInt('qk_rope_head_dim');
  if (rope >= headDim) t.fail('qk_rope_head_dim', rope, `less than head_dim (${headDim})`);
  const kvHeads = t.optPosInt('num_key_value_heads') ?? 1;
  if (kvHeads !== 1) t.fail('num_key_value_heads', kvHeads, '1 (one shared latent per token)');
  return {
    kind: 'mla',
    numHeads,
    qLoraRank: t.optPosInt('q_lora_rank') ?? null,
    kvLoraRank: headDim - rope,
    qkNopeHeadDim: headDim - rope,
    qkRopeHeadDim: rope,
    vHeadDim: headDim,
    sharedLatentKv: true,
    slidingWindowTokens: t.posInt('sliding_window'),
    ...(t.has('o_lora_rank') ? { oLora: { rank: t.posInt('o_lora_rank'), groups: t.optPosInt('o_groups') ?? 1 } } : {}),
    ...(indexer ? { indexer } : {}),
  };
}

interface SparseLayout {
  readonly indexer?: IndexerSpec;
  /** Which layers are sparse (all but linear ones when absent). */
  readonly layers?: boolean[];
  /** Which sparse layers reuse another layer's indexer. */
  readonly shared?: boolean[];
}

/** DSA indexer (DeepSeek-V3.2, GLM-5) or MiniMax-M3 block-sparse attention. */
function readSparse(t: ConfigReader, numLayers: number): SparseLayout {
  if (t.has('index_n_heads')) {
    const shared = perLayerList(t, 'indexer_types', numLayers, '"full" or "shared"', (v) =>
      v === 'full' ? false : v === 'shared' ? true : undefined,
    );
    return {
      indexer: { numHeads: t.posInt('index_n_heads'), headDim: t.posInt('index_head_dim'), topKTokens: t.posInt('index_topk') },
      ...(shared ? { shared } : {}),
    };
  }
  const cfg = t.child('sparse_attention_config');
  if (cfg && cfg.optBool('use_sparse_attention') === true) {
    return {
      indexer: {
        numHeads: cfg.posInt('sparse_num_index_heads'),
        headDim: cfg.posInt('sparse_index_dim'),
        topKTokens: cfg.posInt('sparse_topk_blocks') * cfg.posInt('sparse_block_size'),
      },
      layers: readSparseLayers(cfg, numLayers),
    };
  }
  return {};
}

/**
 * Families whose attention always normalises each head's queries and keys (the modelling code has `q_norm` /
 * `k_norm` over head_dim; the config carries no flag): Qwen3 dense, MoE and VL, Qwen3-Next and Qwen3.5, Gemma 3 and 4.
 */
const PER_HEAD_QK_NORM_TYPES: ReadonlySet<string> = new Set([
  'qwen3',
  'qwen3_moe',
  'qwen3_vl',
  'qwen3_vl_text',
  'qwen3_vl_moe',
  'qwen3_vl_moe_text',
  'qwen3_next',
  'qwen3_5',
  'qwen3_5_text',
  'qwen3_5_moe',
  'qwen3_5_moe_text',
  'gemma3',
  'gemma3_text',
  'gemma4',
  'gemma4_text',
]);

/** OLMo 2 normalises q and k over all heads of the layer (`q_norm` over hidden_size). */
const ACROSS_HEADS_QK_NORM_TYPES: ReadonlySet<string> = new Set(['olmo2', 'olmoe']);

/** The query/key norm: a config flag (`use_qk_norm`, `qk_norm_type` per_layer / per_head) or the family's fixed one. */
function readQkNorm(ctx: ParseContext): QkNormKind | undefined {
  const t = ctx.text;
  const flag = t.optBool('use_qk_norm');
  if (flag === false) return undefined;
  if (flag === true) return t.optString('qk_norm_type') === 'per_layer' ? 'across-heads' : 'per-head';
  if (PER_HEAD_QK_NORM_TYPES.has(ctx.modelType)) return 'per-head';
  if (ACROSS_HEADS_QK_NORM_TYPES.has(ctx.modelType)) return 'across-heads';
  return undefined;
}

function readAttention(
  ctx: ParseContext,
  hiddenSize: number,
  numHeads: number,
  mixers: readonly MixerKind[],
  indexer: IndexerSpec | undefined,
): AttentionSpec {
  const t = ctx.text;
  if (t.has('kv_lora_rank')) {
    if (mixers.includes('sliding')) t.fail('layer_types', 'sliding-window layers', 'full or linear layers only with MLA');
    return {
      kind: 'mla',
      numHeads,
      qLoraRank: t.optPosInt('q_lora_rank') ?? null,
      kvLoraRank: t.posInt('kv_lora_rank'),
      qkNopeHeadDim: t.posInt('qk_nope_head_dim'),
      qkRopeHeadDim: t.posInt('qk_rope_head_dim'),
      vHeadDim: t.posInt('v_head_dim'),
      ...(indexer ? { indexer } : {}),
    };
  }
  const kvHeads = t.optPosInt('num_key_value_heads') ?? numHeads;
  const headDim = readHeadDim(t, hiddenSize, numHeads);
  const vHeadDim = t.optPosInt('v_head_dim');
  const numSliding = slidingCount(mixers);
  const window = numSliding > 0 ? readSlidingWindow(t) : null;
  const outputGate = t.optBool('attn_output_gate') === true || t.optBool('attention_output_gate') === true;
  const qkNorm = readQkNorm(ctx);

  // Gemma 4: full layers have their own head size and KV heads, and may reuse K as V.
  const kEqualsV = t.optBool('attention_k_eq_v') === true;
  const globalHeadDim = t.optPosInt('global_head_dim');
  const globalKvHeads = kEqualsV ? t.optPosInt('num_global_key_value_heads') : undefined;
  let full = { numKvHeads: kvHeads, headDim, vHeadDim };
  let sliding: SlidingAttentionShape | undefined;
  if (globalHeadDim !== undefined || globalKvHeads !== undefined) {
    full = { numKvHeads: globalKvHeads ?? kvHeads, headDim: globalHeadDim ?? headDim, vHeadDim };
    sliding = { numHeads, numKvHeads: kvHeads, headDim, ...(vHeadDim !== undefined ? { vHeadDim } : {}) };
  }
  // MiMo-V2: sliding layers carry swa_* shapes.
  if (t.has('swa_num_key_value_heads') || t.has('swa_head_dim') || t.has('swa_num_attention_heads')) {
    const swaV = t.optPosInt('swa_v_head_dim') ?? vHeadDim;
    sliding = {
      numHeads: t.optPosInt('swa_num_attention_heads') ?? numHeads,
      numKvHeads: t.optPosInt('swa_num_key_value_heads') ?? kvHeads,
      headDim: t.optPosInt('swa_head_dim') ?? headDim,
      ...(swaV !== undefined ? { vHeadDim: swaV } : {}),
    };
  }
  const sameSliding =
    sliding !== undefined &&
    sliding.numHeads === numHeads &&
    sliding.numKvHeads === full.numKvHeads &&
    sliding.headDim === full.headDim &&
    (sliding.vHeadDim ?? sliding.headDim) === (full.vHeadDim ?? full.headDim);
  return {
    kind: 'gqa',
    numHeads,
    numKvHeads: full.numKvHeads,
    headDim: full.headDim,
    slidingWindowTokens: window,
    numSlidingLayers: numSliding,
    ...(full.vHeadDim !== undefined && full.vHeadDim !== full.headDim ? { vHeadDim: full.vHeadDim } : {}),
    ...(sliding && numSliding > 0 && !sameSliding ? { sliding } : {}),
    ...(kEqualsV ? { kEqualsV } : {}),
    ...(outputGate ? { outputGate } : {}),
    ...(qkNorm ? { qkNorm } : {}),
    ...(indexer ? { indexer } : {}),
  };
}

function readLinearAttention(ctx: ParseContext, numHeads: number, attention: AttentionSpec): LinearAttentionSpec {
  const t = ctx.text;
  const kimi = t.child('linear_attn_config');
  if (kimi) {
    return {
      kind: 'kda',
      numHeads: kimi.posInt('num_heads'),
      headDim: kimi.posInt('head_dim'),
      convKernel: kimi.optPosInt('short_conv_kernel_size') ?? 4,
      fullRankGate: kimi.optBool('use_full_rank_gate') ?? false,
    };
  }
  if (t.has('attn_type_list')) {
    // MiniMax lightning attention uses the softmax layers' head shape.
    const headDim = attention.kind === 'gqa' ? attention.headDim : t.posInt('head_dim');
    return { kind: 'lightning', numHeads, headDim };
  }
  return {
    kind: 'gated-deltanet',
    numKeyHeads: t.posInt('linear_num_key_heads'),
    keyHeadDim: t.posInt('linear_key_head_dim'),
    numValueHeads: t.posInt('linear_num_value_heads'),
    valueHeadDim: t.posInt('linear_value_head_dim'),
    convKernel: t.optPosInt('linear_conv_kernel_dim') ?? 4,
  };
}

interface FfnLayout {
  readonly kinds: FfnKind[];
  readonly moe: MoeSpec | null;
  readonly denseIntermediateSize: number;
}

const EXPERT_COUNT_FIELDS = ['n_routed_experts', 'num_local_experts', 'num_experts', 'moe_num_experts'];
const TOP_K_FIELDS = ['num_experts_per_tok', 'num_experts_per_token', 'experts_per_token', 'top_k_experts', 'moe_top_k'];
const SHARED_COUNT_FIELDS = ['n_shared_experts', 'num_shared_experts'];
const SHARED_SIZE_FIELDS = [
  'shared_expert_intermediate_size',
  'moe_shared_expert_intermediate_size',
  'shared_intermediate_size',
  'share_expert_dim',
];

function readFfn(ctx: ParseContext, numLayers: number): FfnLayout {
  const t = ctx.text;
  const isLlama4 = ctx.modelType.startsWith('llama4');
  const isGemma = ctx.modelType.startsWith('gemma');
  const numExperts = t.firstNonNegInt(EXPERT_COUNT_FIELDS) ?? 0;
  const moeEnabled = numExperts > 0 && t.optBool('enable_moe_block') !== false;
  // Llama 4's dense layers use intermediate_size_mlp (its intermediate_size is the experts'); MiniMax-M3 names
  // its dense size dense_intermediate_size.
  const denseField = isLlama4 ? 'intermediate_size_mlp' : t.has('dense_intermediate_size') ? 'dense_intermediate_size' : 'intermediate_size';
  if (!moeEnabled) {
    const size = t.posInt(denseField);
    return { kinds: Array.from({ length: numLayers }, () => 'dense'), moe: null, denseIntermediateSize: size };
  }

  const topK = t.firstPosInt(TOP_K_FIELDS) ?? t.posInt('num_experts_per_tok');
  if (topK > numExperts) t.fail('num_experts_per_tok', topK, `at most the number of experts (${numExperts})`);
  const expertSize = t.firstPosInt(['moe_intermediate_size', 'expert_intermediate_size']) ?? t.posInt('intermediate_size');

  let sharedCount = t.firstNonNegInt(SHARED_COUNT_FIELDS);
  let sharedSize = t.firstNonNegInt(SHARED_SIZE_FIELDS);
  if (isLlama4) {
    // Every Llama-4 MoE layer also runs one shared expert of the experts' size.
    sharedCount = 1;
    sharedSize = expertSize;
  } else if (isGemma) {
    // Gemma 4 MoE layers run their dense MLP beside the routed experts: a shared expert in all but name.
    sharedCount = 1;
    sharedSize = t.posInt('intermediate_size');
  }
  if (sharedCount === undefined) sharedCount = sharedSize !== undefined && sharedSize > 0 ? 1 : 0;
  if (sharedSize === undefined) sharedSize = sharedCount > 0 ? expertSize : 0;
  if (sharedCount === 0 || sharedSize === 0) {
    sharedCount = 0;
    sharedSize = 0;
  }

  const kinds = readMoeLayers(t, ctx.modelType, numLayers);
  const numDense = denseLayerCount(kinds);
  const denseSize = numDense > 0 ? t.posInt(denseField) : t.optPosInt(denseField) ?? expertSize;
  const latentSize = t.firstPosInt(['moe_latent_size', 'routed_expert_hidden_size']);
  return {
    kinds,
    denseIntermediateSize: denseSize,
    moe: {
      numExperts,
      topK,
      expertIntermediateSize: expertSize,
      numSharedExperts: sharedCount,
      sharedIntermediateSize: sharedSize,
      numDenseLayers: numDense,
      ...(latentSize !== undefined ? { latentSize } : {}),
    },
  };
}
