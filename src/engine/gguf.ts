/**
 * GGUF (v3) encoding of a Llama-family checkpoint, so llama.cpp runs the very same weights as the engine
 * (bench-engine --llama-cpp). Follows llama.cpp's convert_hf_to_gguf.py for the llama architecture: tensor
 * names, [in, out] dimension order, and the q/k row permutation from Hugging Face's rotate-half RoPE layout to
 * GGML's interleaved one. Byte-level BPE tokenizers become tokenizer.ggml.model = gpt2 (vocabulary padded to
 * the model's vocab_size with unused tokens). Pure: yields the file as chunks; the caller writes them.
 */
import { UsageError } from '../core/errors.js';
import { readTensorF32, type Checkpoint } from './checkpoint.js';

export type GgufType = 'f32' | 'q8_0';

const ALIGN = 32;
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 } as const;
const GGML_F32 = 0;
const GGML_Q8_0 = 8;

class Buf {
  private parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  /** One little-endian scalar of `bytes` bytes. */
  private scalar(bytes: number, set: (view: DataView) => void): void {
    const b = new Uint8Array(bytes);
    set(new DataView(b.buffer));
    this.push(b);
  }
  u32(v: number): void {
    this.scalar(4, (d) => d.setUint32(0, v, true));
  }
  i32(v: number): void {
    this.scalar(4, (d) => d.setInt32(0, v, true));
  }
  u64(v: number): void {
    this.scalar(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }
  f32(v: number): void {
    this.scalar(4, (d) => d.setFloat32(0, v, true));
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

type Meta = [string, 'u32' | 'f32' | 'str' | 'strs' | 'i32s', unknown];

function writeMeta(b: Buf, [key, kind, v]: Meta): void {
  b.str(key);
  switch (kind) {
    case 'u32':
      b.u32(T.UINT32);
      b.u32(v as number);
      break;
    case 'f32':
      b.u32(T.FLOAT32);
      b.f32(v as number);
      break;
    case 'str':
      b.u32(T.STRING);
      b.str(v as string);
      break;
    case 'strs':
      b.u32(T.ARRAY);
      b.u32(T.STRING);
      b.u64((v as string[]).length);
      for (const s of v as string[]) b.str(s);
      break;
    case 'i32s':
      b.u32(T.ARRAY);
      b.u32(T.INT32);
      b.u64((v as number[]).length);
      for (const x of v as number[]) b.i32(x);
      break;
  }
}

/** HF q/k rows (rotate-half pairs i, i + d/2 within each head) → GGML's interleaved pairs (2i, 2i + 1). */
export function permuteRows(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const out = new Float32Array(w.length);
  const hd = rows / heads;
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = h * hd + j * half + i;
        const dst = h * hd + 2 * i + j;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

function halfBits(f: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, f);
  const x = dv.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  const m = x & 0x7fffff;
  if (e <= 0) return sign;
  if (e >= 31) return sign | 0x7c00;
  return sign | (e << 10) | Math.round(m / 8192);
}

/** GGML Q8_0: blocks of 32 values as an f16 scale and 32 int8 (34 bytes). */
function quantQ8(w: Float32Array): Uint8Array {
  const nb = w.length / 32;
  const out = new Uint8Array(nb * 34);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(w[b * 32 + i]!));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    dv.setUint16(b * 34, halfBits(d), true);
    for (let i = 0; i < 32; i++) dv.setInt8(b * 34 + 2 + i, Math.round(w[b * 32 + i]! * id));
  }
  return out;
}

interface Plan {
  readonly name: string;
  readonly hf: string;
  readonly dims: number[];
  readonly type: number;
  readonly permuteHeads?: number;
  readonly bytes: number;
}

function plan(ck: Checkpoint, q8: boolean): Plan[] {
  const c = ck.config;
  const out: Plan[] = [];
  const add = (name: string, hf: string, permuteHeads?: number): void => {
    const shape = ck.tensors.get(hf)!.shape;
    const dims = [...shape].reverse();
    const n = shape.reduce((a, d) => a * d, 1);
    const quant = q8 && shape.length === 2 && shape[1]! % 32 === 0;
    out.push({ name, hf, dims, type: quant ? GGML_Q8_0 : GGML_F32, bytes: quant ? (n / 32) * 34 : n * 4, ...(permuteHeads ? { permuteHeads } : {}) });
  };
  add('token_embd.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    add(`blk.${l}.attn_norm.weight`, `${p}input_layernorm.weight`);
    add(`blk.${l}.attn_q.weight`, `${p}self_attn.q_proj.weight`, c.numHeads);
    add(`blk.${l}.attn_k.weight`, `${p}self_attn.k_proj.weight`, c.numKvHeads);
    add(`blk.${l}.attn_v.weight`, `${p}self_attn.v_proj.weight`);
    add(`blk.${l}.attn_output.weight`, `${p}self_attn.o_proj.weight`);
    add(`blk.${l}.ffn_norm.weight`, `${p}post_attention_layernorm.weight`);
    add(`blk.${l}.ffn_gate.weight`, `${p}mlp.gate_proj.weight`);
    add(`blk.${l}.ffn_up.weight`, `${p}mlp.up_proj.weight`);
    add(`blk.${l}.ffn_down.weight`, `${p}mlp.down_proj.weight`);
  }
  add('output_norm.weight', 'model.norm.weight');
  if (!c.tieWordEmbeddings) add('output.weight', 'lm_head.weight');
  return out;
}

/** The GGUF file of a checkpoint, chunk by chunk (one tensor at a time, so a 4 GB model is never whole in memory). */
export function* ggufChunks(ck: Checkpoint, type: GgufType): Generator<Uint8Array> {
  const c = ck.config;
  if (c.arch !== 'llama' || c.qkvBias || c.ropeScaling.kind !== 'none') {
    throw new UsageError('GGUF export', c.architecture, 'a plain Llama checkpoint (no q/k/v biases, no RoPE scaling)');
  }
  const tj = ck.tokenizerJson as { model?: { type?: string; vocab?: Record<string, number>; merges?: (string | string[])[] }; added_tokens?: { id: number; content: string; special?: boolean }[] };
  if (tj.model?.type !== 'BPE' || !tj.model.vocab) throw new UsageError('GGUF export: tokenizer.json model.type', tj.model?.type, 'BPE (byte-level)');
  const tokens = new Array<string>(c.vocabSize);
  const types = new Array<number>(c.vocabSize).fill(5); // 5 = unused
  for (const [t, id] of Object.entries(tj.model.vocab)) {
    if (id >= c.vocabSize) continue;
    tokens[id] = t;
    types[id] = 1; // normal
  }
  for (const a of tj.added_tokens ?? []) {
    if (a.id >= c.vocabSize) continue;
    tokens[a.id] = a.content;
    types[a.id] = a.special ? 3 : 4; // control : user-defined
  }
  for (let i = 0; i < tokens.length; i++) tokens[i] ??= `[PAD${i}]`;
  const merges = (tj.model.merges ?? []).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const q8 = type === 'q8_0';
  const meta: Meta[] = [
    ['general.architecture', 'str', 'llama'],
    ['general.name', 'str', 'phasewise-export'],
    ['general.alignment', 'u32', ALIGN],
    ['general.file_type', 'u32', q8 ? 7 : 0],
    ['llama.context_length', 'u32', c.maxPositions],
    ['llama.embedding_length', 'u32', c.hiddenSize],
    ['llama.block_count', 'u32', c.numLayers],
    ['llama.feed_forward_length', 'u32', c.intermediateSize],
    ['llama.rope.dimension_count', 'u32', c.headDim],
    ['llama.attention.head_count', 'u32', c.numHeads],
    ['llama.attention.head_count_kv', 'u32', c.numKvHeads],
    ['llama.attention.layer_norm_rms_epsilon', 'f32', c.rmsNormEps],
    ['llama.rope.freq_base', 'f32', c.ropeTheta],
    ['llama.vocab_size', 'u32', c.vocabSize],
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'strs', tokens],
    ['tokenizer.ggml.token_type', 'i32s', types],
    ['tokenizer.ggml.merges', 'strs', merges],
  ];
  if (c.bosTokenId !== null) meta.push(['tokenizer.ggml.bos_token_id', 'u32', c.bosTokenId]);
  if (c.eosTokenIds[0] !== undefined) meta.push(['tokenizer.ggml.eos_token_id', 'u32', c.eosTokenIds[0]]);
  const tensors = plan(ck, q8);
  const head = new Buf();
  head.push(new TextEncoder().encode('GGUF'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(meta.length);
  for (const m of meta) writeMeta(head, m);
  let offset = 0;
  for (const t of tensors) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset += Math.ceil(t.bytes / ALIGN) * ALIGN;
  }
  const hb = head.bytes();
  yield hb;
  yield new Uint8Array((ALIGN - (hb.length % ALIGN)) % ALIGN);
  for (const t of tensors) {
    let w = readTensorF32(ck, t.hf);
    if (t.permuteHeads) w = permuteRows(w, t.dims[1]!, t.dims[0]!, t.permuteHeads);
    const data = t.type === GGML_Q8_0 ? quantQ8(w) : new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    yield data;
    yield new Uint8Array((ALIGN - (data.length % ALIGN)) % ALIGN);
  }
}
