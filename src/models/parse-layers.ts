import { isNonNegInt, perLayerList, type ConfigReader } from './config-reader.js';
import type { FfnKind, MixerKind } from './types.js';

/** `layer_types` values seen across Hugging Face configs, by what phasewise makes of them. */
const LAYER_TYPE_MIXER: Readonly<Record<string, MixerKind>> = {
  full_attention: 'full',
  attention: 'full',
  global: 'full',
  sliding_attention: 'sliding',
  sliding_window_attention: 'sliding',
  local: 'sliding',
  // Llama-4 chunked attention never looks further back than one chunk: for KV it is a window of chunk size.
  chunked_attention: 'sliding',
  linear_attention: 'linear',
  // GLM-5.2: sparse-ness comes from the indexer fields; the mixer is full attention.
  deepseek_sparse_attention: 'full',
};

/**
 * The token mixer of each layer, from whichever of the families' encodings the config uses. Linear layers are
 * the fixed-state ones (gated DeltaNet, KDA, lightning); their shapes are read elsewhere.
 */
export function readMixers(r: ConfigReader, modelType: string, numLayers: number): MixerKind[] {
  const kimiLinear = r.child('linear_attn_config');
  if (kimiLinear && (kimiLinear.has('kda_layers') || kimiLinear.has('full_attn_layers'))) {
    // Kimi-Linear lists 1-based layer numbers of the full (MLA) layers; the rest are KDA.
    const full = kimiLinear.optArray('full_attn_layers') ?? [];
    const mixers: MixerKind[] = Array.from({ length: numLayers }, () => 'linear');
    for (const [i, n] of full.entries()) {
      if (!isNonNegInt(n) || n < 1 || n > numLayers) {
        return kimiLinear.fail(`full_attn_layers[${i}]`, n, `a layer number from 1 to ${numLayers}`);
      }
      mixers[n - 1] = 'full';
    }
    return mixers;
  }
  const layerTypes = perLayerList(r, 'layer_types', numLayers, Object.keys(LAYER_TYPE_MIXER).join(', '), (v) =>
    typeof v === 'string' ? LAYER_TYPE_MIXER[v] : undefined,
  );
  if (layerTypes) return layerTypes;

  // MiMo-V2: 1 = sliding-window layer, 0 = full.
  const hybrid = perLayerList(r, 'hybrid_layer_pattern', numLayers, '0 (full) or 1 (sliding window)', (v) =>
    v === 0 ? 'full' : v === 1 ? 'sliding' : undefined,
  );
  if (hybrid) return hybrid as MixerKind[];

  // MiniMax-01/M2: 0 = lightning (linear) attention, 1 = softmax attention.
  const attnTypes = perLayerList(r, 'attn_type_list', numLayers, '0 (lightning) or 1 (softmax)', (v) =>
    v === 0 ? 'linear' : v === 1 ? 'full' : undefined,
  );
  if (attnTypes) return attnTypes as MixerKind[];

  // Qwen3-Next without layer_types: every k-th layer is full attention, the rest gated DeltaNet.
  const interval = r.optPosInt('full_attention_interval');
  if (interval !== undefined) {
    return Array.from({ length: numLayers }, (_, i): MixerKind => ((i + 1) % interval === 0 ? 'full' : 'linear'));
  }

  // Llama 4: layers with RoPE use chunked attention; every 4th (NoPE) layer is global.
  if (modelType.startsWith('llama4') && r.has('attention_chunk_size')) {
    const noRope = perLayerList(r, 'no_rope_layers', numLayers, '0 or 1', (v) => (v === 0 || v === 1 ? v : undefined));
    return Array.from({ length: numLayers }, (_, i): MixerKind => {
      const usesRope = noRope ? noRope[i] === 1 : (i + 1) % 4 !== 0;
      return usesRope ? 'sliding' : 'full';
    });
  }

  // Qwen2-style: use_sliding_window switches the window on for the layers from max_window_layers up.
  const useSliding = r.optBool('use_sliding_window');
  if (useSliding !== undefined) {
    if (!useSliding || !r.has('sliding_window')) return Array.from({ length: numLayers }, () => 'full');
    const from = r.optNonNegInt('max_window_layers') ?? 0;
    return Array.from({ length: numLayers }, (_, i): MixerKind => (i >= from ? 'sliding' : 'full'));
  }
  // Gemma 2/3 configs written before layer_types: every k-th layer is global (Gemma 2 alternates, k = 2).
  const pattern = r.optPosInt('sliding_window_pattern') ?? (modelType === 'gemma2' ? 2 : undefined);
  if (pattern !== undefined && r.has('sliding_window')) {
    return Array.from({ length: numLayers }, (_, i): MixerKind => ((i + 1) % pattern === 0 ? 'full' : 'sliding'));
  }
  // Mistral-style: a sliding_window with no per-layer pattern applies to every layer.
  if (r.has('sliding_window')) return Array.from({ length: numLayers }, () => 'sliding');
  return Array.from({ length: numLayers }, () => 'full');
}

/** The window of the sliding layers (Llama 4: the attention chunk). */
export function readSlidingWindow(r: ConfigReader): number {
  const w = r.firstPosInt(['sliding_window', 'sliding_window_size', 'attention_chunk_size']);
  return w ?? r.posInt('sliding_window');
}

/**
 * Which layers have a MoE FFN, given that the model has experts. Families encode it as a per-layer list, an
 * interleave step, a dense prefix, or a list of dense-only layers.
 */
export function readMoeLayers(r: ConfigReader, modelType: string, numLayers: number): FfnKind[] {
  const mlpTypes = perLayerList(r, 'mlp_layer_types', numLayers, '"dense" or "sparse"', (v) =>
    v === 'dense' ? 'dense' : v === 'sparse' || v === 'moe' ? 'moe' : undefined,
  );
  if (mlpTypes) return mlpTypes as FfnKind[];

  if (Array.isArray(r.raw('moe_layer_freq'))) {
    const list = perLayerList(r, 'moe_layer_freq', numLayers, '0 (dense) or 1 (MoE)', (v) =>
      v === 0 || v === false ? 'dense' : v === 1 || v === true ? 'moe' : undefined,
    );
    if (list) return list as FfnKind[];
  }

  if (modelType.startsWith('llama4')) {
    const step = r.optPosInt('interleave_moe_layer_step') ?? 1;
    const explicit = r.optArray('moe_layers');
    const moeSet = new Set<number>(
      explicit
        ? explicit.filter(isNonNegInt)
        : Array.from({ length: Math.floor(numLayers / step) }, (_, k) => step - 1 + k * step),
    );
    return Array.from({ length: numLayers }, (_, i): FfnKind => (moeSet.has(i) ? 'moe' : 'dense'));
  }

  const mlpOnly = new Set<number>((r.optArray('mlp_only_layers') ?? []).filter(isNonNegInt));
  const sparseStep = r.optPosInt('decoder_sparse_step') ?? 1;
  const firstDense = r.optNonNegInt('first_k_dense_replace') ?? 0;
  const freq = r.optPosInt('moe_layer_freq') ?? 1;
  return Array.from({ length: numLayers }, (_, i): FfnKind => {
    if (mlpOnly.has(i) || i < firstDense) return 'dense';
    if ((i + 1) % sparseStep !== 0) return 'dense';
    return i % freq === 0 ? 'moe' : 'dense'; // DeepSeek: layer_idx % moe_layer_freq == 0
  });
}

/** MiniMax-M3 `sparse_attention_config`: which layers use the block-sparse indexer. */
export function readSparseLayers(cfg: ConfigReader, numLayers: number): boolean[] {
  const list = perLayerList(cfg, 'sparse_attention_freq', numLayers, '0 or 1', (v) =>
    v === 0 ? false : v === 1 ? true : undefined,
  );
  return list ?? Array.from({ length: numLayers }, () => true);
}

