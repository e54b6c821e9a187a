import { ConfigReader, isJsonObject } from './config-reader.js';
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
import type { FfnKind, LayerSpec, MixerKind, ModelArch, MoeSpec } from './types.js';

/** Nemotron-H block letters (hybrid_override_pattern) and names (layers_block_type). */
const NEMOTRON_H_BLOCKS: Readonly<Record<string, LayerSpec>> = {
  M: { mixer: 'linear', ffn: 'none' },
  mamba: { mixer: 'linear', ffn: 'none' },
  '*': { mixer: 'full', ffn: 'none' },
  attention: { mixer: 'full', ffn: 'none' },
  '-': { mixer: 'none', ffn: 'dense' },
  mlp: { mixer: 'none', ffn: 'dense' },
  E: { mixer: 'none', ffn: 'moe' },
  moe: { mixer: 'none', ffn: 'moe' },
};

/**
 * Nemotron-H (Nemotron-H, Nemotron-3 Nano/Super/Ultra): a stack of single-purpose blocks — Mamba-2, attention,
 * MLP or MoE — each with one norm. A "layer" here is one block, so numLayers counts blocks (52 for Nano), not
 * attention+FFN pairs. MLPs and experts are 2-matrix relu² (not gated).
 */
export function parseNemotronH(ctx: ParseContext): ModelArch {
  const t = ctx.text;
  const layers = readBlocks(t);
  const numLayers = layers.length;
  const hiddenSize = t.posInt('hidden_size');
  const numHeads = t.posInt('num_attention_heads');
  const hasMoe = layers.some((l) => l.ffn === 'moe');
  const hasDense = layers.some((l) => l.ffn === 'dense');
  let moe: MoeSpec | null = null;
  if (hasMoe) {
    const sharedSize = t.optNonNegInt('moe_shared_expert_intermediate_size') ?? 0;
    const sharedCount = sharedSize > 0 ? t.optNonNegInt('n_shared_experts') ?? 1 : 0;
    const latentSize = t.optPosInt('moe_latent_size');
    moe = {
      numExperts: t.posInt('n_routed_experts'),
      topK: t.posInt('num_experts_per_tok'),
      expertIntermediateSize: t.posInt('moe_intermediate_size'),
      numSharedExperts: sharedCount,
      sharedIntermediateSize: sharedCount > 0 ? sharedSize : 0,
      numDenseLayers: denseLayerCount(layers.map((l) => l.ffn)),
      ...(latentSize !== undefined ? { latentSize } : {}),
    };
  }
  const numMtpLayers = readNumMtpLayers(ctx);
  return assemble(ctx, {
    numLayers,
    hiddenSize,
    intermediateSize: hasDense || !moe ? t.posInt('intermediate_size') : t.optPosInt('intermediate_size') ?? moe.expertIntermediateSize,
    vocabSize: t.posInt('vocab_size'),
    tieEmbeddings: readTieEmbeddings(ctx, false),
    attention: {
      kind: 'gqa',
      numHeads,
      numKvHeads: t.optPosInt('num_key_value_heads') ?? numHeads,
      headDim: readHeadDim(t, hiddenSize, numHeads),
      slidingWindowTokens: null,
      numSlidingLayers: 0,
    },
    moe,
    maxContextTokens: readMaxContextTokens(ctx),
    layers,
    linearAttention: {
      kind: 'mamba2',
      numHeads: t.posInt('mamba_num_heads'),
      headDim: t.posInt('mamba_head_dim'),
      stateSize: t.posInt('ssm_state_size'),
      numGroups: t.optPosInt('n_groups') ?? 1,
      convKernel: t.optPosInt('conv_kernel') ?? 4,
    },
    gatedFfn: false,
    ...(numMtpLayers !== undefined ? { numMtpLayers } : {}),
  });
}

function readBlocks(t: ConfigReader): LayerSpec[] {
  const accepted = 'M (Mamba-2), * (attention), - (MLP), E (MoE)';
  let blocks: LayerSpec[];
  const pattern = t.optString('hybrid_override_pattern');
  const list = t.optArray('layers_block_type');
  if (pattern !== undefined) {
    blocks = [...pattern].map((c, i) => NEMOTRON_H_BLOCKS[c] ?? t.fail(`hybrid_override_pattern[${i}]`, c, accepted));
  } else if (list !== undefined) {
    blocks = list.map((v, i) =>
      (typeof v === 'string' ? NEMOTRON_H_BLOCKS[v] : undefined) ??
      t.fail(`layers_block_type[${i}]`, v, '"mamba", "attention", "mlp" or "moe"'),
    );
  } else {
    return t.fail('hybrid_override_pattern', undefined, `a string of block letters: ${accepted}`);
  }
  const declared = t.has('num_hidden_layers') ? t.layerCount('num_hidden_layers') : undefined;
  if (declared !== undefined && declared !== blocks.length) {
    t.fail('num_hidden_layers', declared, `the number of blocks in the layer pattern (${blocks.length})`);
  }
  if (blocks.length === 0) t.fail('hybrid_override_pattern', pattern ?? list, 'at least one block');
  return blocks;
}

/** DeciLM's intermediate size from ffn_mult: 2/3 · mult · hidden, rounded up to a multiple of 256. */
export function nasIntermediateSize(ffnMult: number, hiddenSize: number): number {
  const raw = Math.trunc((2 * ffnMult * hiddenSize) / 3);
  return Math.ceil(raw / 256) * 256;
}

/**
 * Nemotron-NAS (DeciLM: Llama-3.1/3.3-Nemotron Super/Ultra): a Llama whose layers were pruned one by one —
 * each block's attention may be absent or have its own KV-head count, each FFN its own width.
 */
export function parseNemotronNas(ctx: ParseContext): ModelArch {
  const t = ctx.text;
  const list = t.optArray('block_configs') ?? [];
  const numLayers = t.has('num_hidden_layers') ? t.layerCount('num_hidden_layers') : list.length;
  if (list.length !== numLayers) t.fail('block_configs', `a list of ${list.length} blocks`, `one block per layer (${numLayers})`);
  const hiddenSize = t.posInt('hidden_size');
  const numHeads = t.posInt('num_attention_heads');
  const headDim = readHeadDim(t, hiddenSize, numHeads);

  const raw: { mixer: MixerKind; kv?: number; window?: number; ffn: FfnKind; inter?: number }[] = list.map((b, i) => {
    const where = `block_configs[${i}]`;
    if (!isJsonObject(b)) return t.fail(where, b, 'a JSON object');
    const block = new ConfigReader(b, ctx.id, `${t.prefix}${where}.`);
    const attn = block.child('attention') ?? block.fail('attention', undefined, 'a JSON object');
    const ffn = block.child('ffn') ?? block.fail('ffn', undefined, 'a JSON object');
    for (const [r, name] of [[attn, 'attention'], [ffn, 'FFN']] as const) {
      if (r.optBool('replace_with_linear') === true) r.fail('replace_with_linear', true, `false (a ${name} replaced by one linear layer is not modelled)`);
      if (r.has('sparsify')) r.fail('sparsify', r.raw('sparsify'), 'null (sparsified blocks are not modelled)');
    }
    let mixer: MixerKind = 'none';
    let kv: number | undefined;
    let window: number | undefined;
    if (attn.optBool('no_op') !== true) {
      const group = attn.posInt('n_heads_in_group');
      if (numHeads % group !== 0) attn.fail('n_heads_in_group', group, `a divisor of num_attention_heads (${numHeads})`);
      kv = numHeads / group;
      window = attn.optPosInt('window_length');
      mixer = window !== undefined ? 'sliding' : 'full';
    }
    if (ffn.optBool('no_op') === true) return { mixer, ffn: 'none', ...(kv ? { kv } : {}), ...(window ? { window } : {}) };
    const mult = ffn.optNumber('ffn_mult') ?? ffn.fail('ffn_mult', undefined, 'a positive number');
    if (!(mult > 0 && mult <= 1000)) ffn.fail('ffn_mult', mult, 'a positive number up to 1000');
    return { mixer, ffn: 'dense', inter: nasIntermediateSize(mult, hiddenSize), ...(kv ? { kv } : {}), ...(window ? { window } : {}) };
  });

  const windows = [...new Set(raw.flatMap((l) => (l.window !== undefined ? [l.window] : [])))];
  if (windows.length > 1) t.fail('block_configs', `window_length values ${windows.join(', ')}`, 'one window length for all sliding layers');
  const numKvHeads = mostCommon(raw.flatMap((l) => (l.kv !== undefined ? [l.kv] : []))) ?? numHeads;
  const intermediateSize = mostCommon(raw.flatMap((l) => (l.inter !== undefined ? [l.inter] : []))) ?? 0;
  const layers: LayerSpec[] = raw.map((l) => ({
    mixer: l.mixer,
    ffn: l.ffn,
    ...(l.inter !== undefined && l.inter !== intermediateSize ? { intermediateSize: l.inter } : {}),
    ...(l.kv !== undefined && l.kv !== numKvHeads ? { numKvHeads: l.kv } : {}),
  }));
  return assemble(ctx, {
    numLayers,
    hiddenSize,
    intermediateSize,
    vocabSize: t.posInt('vocab_size'),
    tieEmbeddings: readTieEmbeddings(ctx, false),
    attention: {
      kind: 'gqa',
      numHeads,
      numKvHeads,
      headDim,
      slidingWindowTokens: windows[0] ?? null,
      numSlidingLayers: slidingCount(layers.map((l) => l.mixer)),
    },
    moe: null,
    maxContextTokens: readMaxContextTokens(ctx),
    layers,
  });
}

function mostCommon(xs: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best: number | undefined;
  let bestN = 0;
  for (const [x, n] of counts) if (n > bestN) [best, bestN] = [x, n];
  return best;
}
