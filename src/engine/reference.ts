/**
 * The reference forward pass: one sequence, plain loops in double precision, a contiguous KV cache, no paging,
 * no batching, no threads, no WebAssembly. It follows transformers' LlamaForCausalLM / Qwen2 / Qwen3 line by
 * line and is what the tests hold every optimised path (batched WASM kernels, workers, transfers) against.
 * Slow on purpose: only for tiny models.
 */
import { readTensorF32, type Checkpoint } from './checkpoint.js';
import { ropeInvFreq, type EngineConfig } from './config.js';

interface RefLayer {
  inNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  bq?: Float32Array;
  bk?: Float32Array;
  bv?: Float32Array;
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  postNorm: Float32Array;
  wg: Float32Array;
  wu: Float32Array;
  wd: Float32Array;
}

export class ReferenceModel {
  readonly cfg: EngineConfig;
  private readonly embed: Float32Array;
  private readonly layers: RefLayer[] = [];
  private readonly norm: Float32Array;
  private readonly lmHead: Float32Array;
  private readonly invFreq: Float64Array;

  constructor(ck: Checkpoint) {
    const c = ck.config;
    this.cfg = c;
    const r = (n: string): Float32Array => readTensorF32(ck, n);
    this.embed = r('model.embed_tokens.weight');
    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`;
      const layer: RefLayer = {
        inNorm: r(`${p}input_layernorm.weight`),
        wq: r(`${p}self_attn.q_proj.weight`),
        wk: r(`${p}self_attn.k_proj.weight`),
        wv: r(`${p}self_attn.v_proj.weight`),
        wo: r(`${p}self_attn.o_proj.weight`),
        postNorm: r(`${p}post_attention_layernorm.weight`),
        wg: r(`${p}mlp.gate_proj.weight`),
        wu: r(`${p}mlp.up_proj.weight`),
        wd: r(`${p}mlp.down_proj.weight`),
      };
      if (c.qkvBias) {
        layer.bq = r(`${p}self_attn.q_proj.bias`);
        layer.bk = r(`${p}self_attn.k_proj.bias`);
        layer.bv = r(`${p}self_attn.v_proj.bias`);
      }
      if (c.qkNorm) {
        layer.qNorm = r(`${p}self_attn.q_norm.weight`);
        layer.kNorm = r(`${p}self_attn.k_norm.weight`);
      }
      this.layers.push(layer);
    }
    this.norm = r('model.norm.weight');
    this.lmHead = c.tieWordEmbeddings ? this.embed : r('lm_head.weight');
    this.invFreq = ropeInvFreq(c);
  }

  /** A fresh sequence state (its KV cache). */
  newSequence(): ReferenceSequence {
    return new ReferenceSequence(this);
  }

  /** @internal One token through the model at position `pos`, appending to the sequence's cache; returns logits. */
  step(seq: ReferenceSequence, token: number): Float64Array {
    const c = this.cfg;
    const H = c.hiddenSize;
    const hd = c.headDim;
    const pos = seq.keys[0]!.length;
    let x = Array.from(this.embed.subarray(token * H, (token + 1) * H));
    for (let l = 0; l < c.numLayers; l++) {
      const L = this.layers[l]!;
      const h = rmsnorm(x, L.inNorm, c.rmsNormEps);
      const q = linear(L.wq, h, L.bq);
      const k = linear(L.wk, h, L.bk);
      const v = linear(L.wv, h, L.bv);
      if (L.qNorm) for (let i = 0; i < c.numHeads; i++) normHead(q, i * hd, hd, L.qNorm, c.rmsNormEps);
      if (L.kNorm) for (let i = 0; i < c.numKvHeads; i++) normHead(k, i * hd, hd, L.kNorm, c.rmsNormEps);
      for (let i = 0; i < c.numHeads; i++) rotate(q, i * hd, hd, pos, this.invFreq);
      for (let i = 0; i < c.numKvHeads; i++) rotate(k, i * hd, hd, pos, this.invFreq);
      seq.keys[l]!.push(k);
      seq.values[l]!.push(v);
      const attn = new Array<number>(c.numHeads * hd).fill(0);
      const group = c.numHeads / c.numKvHeads;
      const scale = 1 / Math.sqrt(hd);
      for (let i = 0; i < c.numHeads; i++) {
        const kvh = Math.floor(i / group);
        const scores = seq.keys[l]!.map((kj) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i * hd + d]! * kj[kvh * hd + d]!;
          return s * scale;
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        seq.values[l]!.forEach((vj, j) => {
          for (let d = 0; d < hd; d++) attn[i * hd + d]! += (e[j]! / z) * vj[kvh * hd + d]!;
        });
      }
      const o = linear(L.wo, attn);
      x = x.map((xi, i) => xi + o[i]!);
      const h2 = rmsnorm(x, L.postNorm, c.rmsNormEps);
      const g = linear(L.wg, h2);
      const u = linear(L.wu, h2);
      const a = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]!);
      const d = linear(L.wd, a);
      x = x.map((xi, i) => xi + d[i]!);
    }
    const hf = rmsnorm(x, this.norm, c.rmsNormEps);
    return Float64Array.from(linear(this.lmHead, hf));
  }
}

export class ReferenceSequence {
  readonly keys: number[][][];
  readonly values: number[][][];
  constructor(private readonly model: ReferenceModel) {
    this.keys = Array.from({ length: model.cfg.numLayers }, () => []);
    this.values = Array.from({ length: model.cfg.numLayers }, () => []);
  }

  /** Feeds tokens one at a time; returns the logits after the last one. */
  feed(tokens: readonly number[]): Float64Array {
    let logits: Float64Array = new Float64Array(0);
    for (const t of tokens) logits = this.model.step(this, t);
    return logits;
  }
}

/** Greedy generation with the reference model: the expected output of every engine path at temperature 0. */
export function referenceGreedy(model: ReferenceModel, prompt: readonly number[], maxNewTokens: number, stopIds: readonly number[] = []): { tokens: number[]; logits: Float64Array[] } {
  const seq = model.newSequence();
  let logits = seq.feed(prompt);
  const tokens: number[] = [];
  const all: Float64Array[] = [];
  for (let i = 0; i < maxNewTokens; i++) {
    all.push(logits);
    const t = argmax(logits);
    tokens.push(t);
    if (stopIds.includes(t) || i === maxNewTokens - 1) break;
    logits = seq.feed([t]);
  }
  return { tokens, logits: all };
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function linear(w: Float32Array, x: readonly number[], b?: Float32Array): number[] {
  const K = x.length;
  const N = w.length / K;
  const y = new Array<number>(N);
  for (let n = 0; n < N; n++) {
    let s = b ? b[n]! : 0;
    for (let k = 0; k < K; k++) s += w[n * K + k]! * x[k]!;
    y[n] = s;
  }
  return y;
}

function rmsnorm(x: readonly number[], w: Float32Array, eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

function normHead(x: number[], off: number, hd: number, w: Float32Array, eps: number): void {
  let ms = 0;
  for (let d = 0; d < hd; d++) ms += x[off + d]! ** 2;
  const inv = 1 / Math.sqrt(ms / hd + eps);
  for (let d = 0; d < hd; d++) x[off + d] = x[off + d]! * inv * w[d]!;
}

/** rotate_half RoPE: (x1, x2) → (x1 cos − x2 sin, x2 cos + x1 sin) for pairs (i, i + hd/2). */
function rotate(x: number[], off: number, hd: number, pos: number, invFreq: Float64Array): void {
  const half = hd / 2;
  for (let i = 0; i < half; i++) {
    const ang = pos * invFreq[i]!;
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    const a = x[off + i]!;
    const b = x[off + i + half]!;
    x[off + i] = a * c - b * s;
    x[off + i + half] = b * c + a * s;
  }
}
