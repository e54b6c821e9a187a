/**
 * Random-weight checkpoints made on the fly: config.json, safetensors (one file or sharded with an index),
 * tokenizer.json (a byte-level BPE with a few merges) and tokenizer_config.json with a ChatML template. The
 * tests build tiny ones; `phasewise serve` without --model serves the built-in demo model made this way.
 * Deterministic in the seed.
 */
import { Rng } from '../core/rng.js';
import { memorySource, type CheckpointSource } from './checkpoint.js';
import { encodeSafetensors, type SafetensorsDtype } from './safetensors.js';

export interface SyntheticSpec {
  readonly arch: 'llama' | 'qwen2' | 'qwen3';
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim?: number;
  readonly tieWordEmbeddings: boolean;
  readonly dtype: SafetensorsDtype;
  /** Split the weights over this many safetensors files with an index (1: a single model.safetensors). */
  readonly numShards: number;
  readonly ropeScaling?: Record<string, unknown> | null;
  readonly maxPositions?: number;
  /** Scale of the random weights: larger spreads the logits, so greedy choices are far from ties. */
  readonly weightScale?: number;
  /** Vocabulary size of the model (≥ the tokenizer's; extra rows are never produced by the tokenizer). */
  readonly vocabSize?: number;
}

/** Llama-shaped benchmark models (random weights): the layer shapes of llama2.c's 110M and TinyLlama-1.1B. */
export const BENCH_SPECS: Readonly<Record<string, SyntheticSpec>> = {
  tiny: { arch: 'llama', hiddenSize: 256, intermediateSize: 688, numLayers: 4, numHeads: 8, numKvHeads: 4, tieWordEmbeddings: true, dtype: 'F32', numShards: 1, vocabSize: 32000 },
  '110m': { arch: 'llama', hiddenSize: 768, intermediateSize: 2048, numLayers: 12, numHeads: 12, numKvHeads: 12, tieWordEmbeddings: true, dtype: 'F32', numShards: 1, vocabSize: 32000 },
  '1b': { arch: 'llama', hiddenSize: 2048, intermediateSize: 5632, numLayers: 22, numHeads: 32, numKvHeads: 4, tieWordEmbeddings: false, dtype: 'F32', numShards: 4, vocabSize: 32000 },
};

/** The built-in demo model: Llama-shaped, random weights, byte-level tokenizer. */
export const DEMO_SPEC: SyntheticSpec = {
  arch: 'llama',
  hiddenSize: 256,
  intermediateSize: 688,
  numLayers: 4,
  numHeads: 8,
  numKvHeads: 4,
  tieWordEmbeddings: true,
  dtype: 'F32',
  numShards: 1,
  maxPositions: 4096,
  ropeScaling: null,
};
export const DEMO_MODEL_ID = 'phasewise-demo-random';

const SPECIALS = ['<|begin_of_text|>', '<|end_of_text|>', '<|im_start|>', '<|im_end|>'];
/** Merges of the demo tokenizer (byte-level symbols; Ġ is a space), so BPE merging is exercised. */
const MERGES: readonly (readonly [string, string])[] = [
  ['Ġ', 't'], ['h', 'e'], ['i', 'n'], ['e', 'r'], ['a', 'n'], ['o', 'n'], ['Ġt', 'he'], ['Ġ', 'a'], ['r', 'e'], ['e', 's'],
  ['Ġ', 's'], ['o', 'r'], ['Ġ', 'w'], ['e', 'n'], ['a', 't'], ['Ġ', 'o'], ['l', 'l'], ['Ġ', 'h'], ['e', 'd'], ['Ġ', 'c'],
];

/** GPT-2's byte → printable-character map used by byte-level BPE. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCharCode(cs[i]!)));
  return out;
}

const CHATML_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** tokenizer.json and tokenizer_config.json of the synthetic byte-level BPE; returns the vocabulary size. */
export function syntheticTokenizer(): { tokenizerJson: unknown; tokenizerConfig: unknown; vocabSize: number; bosId: number; eosIds: number[] } {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, i) => (vocab[ch] = i));
  let next = 256;
  for (const [a, b] of MERGES) vocab[a + b] = next++;
  const added = SPECIALS.map((content) => ({ id: next++, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`) },
  };
  const tokenizerConfig = {
    bos_token: SPECIALS[0],
    eos_token: SPECIALS[3],
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    model_max_length: 4096,
  };
  const bosId = added[0]!.id;
  return { tokenizerJson, tokenizerConfig, vocabSize: next, bosId, eosIds: [added[1]!.id, added[3]!.id] };
}

const ARCH_NAMES = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' } as const;

/** Every file of a synthetic checkpoint, by name. */
export function syntheticCheckpointFiles(spec: SyntheticSpec, seed: number): Map<string, Uint8Array | string> {
  const tok = syntheticTokenizer();
  const V = Math.max(tok.vocabSize, spec.vocabSize ?? 0);
  const H = spec.hiddenSize;
  const hd = spec.headDim ?? H / spec.numHeads;
  const qDim = spec.numHeads * hd;
  const kvDim = spec.numKvHeads * hd;
  const I = spec.intermediateSize;
  const rng = new Rng(seed);
  const scale = spec.weightScale ?? 1;
  const mat = (rows: number, cols: number, std: number): Float32Array => {
    const d = new Float32Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std * scale;
    return d;
  };
  const norm = (n: number): Float32Array => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = 1 + 0.1 * rng.normal();
    return d;
  };
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, shape: number[], data: Float32Array): void => void tensors.set(name, { shape, data });
  put('model.embed_tokens.weight', [V, H], mat(V, H, 1));
  for (let l = 0; l < spec.numLayers; l++) {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, [H], norm(H));
    put(`${p}self_attn.q_proj.weight`, [qDim, H], mat(qDim, H, 1 / Math.sqrt(H)));
    put(`${p}self_attn.k_proj.weight`, [kvDim, H], mat(kvDim, H, 1 / Math.sqrt(H)));
    put(`${p}self_attn.v_proj.weight`, [kvDim, H], mat(kvDim, H, 1 / Math.sqrt(H)));
    put(`${p}self_attn.o_proj.weight`, [H, qDim], mat(H, qDim, 1 / Math.sqrt(qDim)));
    if (spec.arch === 'qwen2') {
      put(`${p}self_attn.q_proj.bias`, [qDim], mat(1, qDim, 0.1));
      put(`${p}self_attn.k_proj.bias`, [kvDim], mat(1, kvDim, 0.1));
      put(`${p}self_attn.v_proj.bias`, [kvDim], mat(1, kvDim, 0.1));
    }
    if (spec.arch === 'qwen3') {
      put(`${p}self_attn.q_norm.weight`, [hd], norm(hd));
      put(`${p}self_attn.k_norm.weight`, [hd], norm(hd));
    }
    put(`${p}post_attention_layernorm.weight`, [H], norm(H));
    put(`${p}mlp.gate_proj.weight`, [I, H], mat(I, H, 1 / Math.sqrt(H)));
    put(`${p}mlp.up_proj.weight`, [I, H], mat(I, H, 1 / Math.sqrt(H)));
    put(`${p}mlp.down_proj.weight`, [H, I], mat(H, I, 1 / Math.sqrt(I)));
  }
  put('model.norm.weight', [H], norm(H));
  if (!spec.tieWordEmbeddings) put('lm_head.weight', [V, H], mat(V, H, 1 / Math.sqrt(H)));

  const files = new Map<string, Uint8Array | string>();
  const config: Record<string, unknown> = {
    architectures: [ARCH_NAMES[spec.arch]],
    model_type: spec.arch,
    hidden_size: H,
    intermediate_size: I,
    num_hidden_layers: spec.numLayers,
    num_attention_heads: spec.numHeads,
    num_key_value_heads: spec.numKvHeads,
    head_dim: hd,
    vocab_size: V,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: spec.ropeScaling ?? null,
    max_position_embeddings: spec.maxPositions ?? 2048,
    tie_word_embeddings: spec.tieWordEmbeddings,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosIds,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[spec.dtype],
  };
  files.set('config.json', JSON.stringify(config, null, 2));
  files.set('tokenizer.json', JSON.stringify(tok.tokenizerJson));
  files.set('tokenizer_config.json', JSON.stringify(tok.tokenizerConfig));
  if (spec.numShards <= 1) {
    files.set('model.safetensors', encodeSafetensors(tensors, spec.dtype));
  } else {
    const names = [...tensors.keys()];
    const per = Math.ceil(names.length / spec.numShards);
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < spec.numShards; s++) {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(spec.numShards).padStart(5, '0')}.safetensors`;
      const part = new Map(names.slice(s * per, (s + 1) * per).map((n) => [n, tensors.get(n)!] as const));
      for (const n of part.keys()) weightMap[n] = file;
      files.set(file, encodeSafetensors(part, spec.dtype));
    }
    files.set('model.safetensors.index.json', JSON.stringify({ metadata: {}, weight_map: weightMap }));
  }
  return files;
}

/** The demo model as a checkpoint source. */
export function demoSource(seed = 1): CheckpointSource {
  return memorySource(`<built-in ${DEMO_MODEL_ID}>`, syntheticCheckpointFiles(DEMO_SPEC, seed));
}
