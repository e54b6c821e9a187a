/**
 * One model shard in one WebAssembly memory: the weights a worker holds (all of them, the attention half, or
 * the FFN half; a 1/tp slice of every matrix under tensor parallelism), its part of the paged KV cache, and the
 * scratch of one step. Its methods are the pieces every topology composes: embed, attention block, FFN block,
 * logits, KV export/import. The hot path allocates nothing: kernels write into preallocated scratch.
 *
 * Tensor parallelism (Megatron style): q/k/v and gate/up are split by output rows (whole heads, intermediate
 * slices), o_proj and down_proj by input columns, so each shard produces a partial [T, H] that the TpComm sums
 * into the residual stream, once after attention and once after the FFN. lm_head is split by vocabulary rows.
 */
import { UsageError } from '../core/errors.js';
import { readTensorF32, type Checkpoint } from './checkpoint.js';
import { ropeInvFreq, type EngineConfig } from './config.js';
import { WasmArena, WasmMemoryFull } from './wasm.js';

export type WeightQuant = 'none' | 'int8';

export interface ShardPlan {
  readonly tpRank: number;
  readonly tpSize: number;
  /** Embedding, attention layers, KV cache, final norm and lm_head. */
  readonly holdsAttention: boolean;
  /** FFN layers (post-attention norm, gate/up/down). */
  readonly holdsFfn: boolean;
  readonly quant: WeightQuant;
  /** Most tokens in one forward call (one step, or one micro-batch of it). */
  readonly maxBatchTokens: number;
  /** Most sequences sampled in one forward call. */
  readonly maxSampleRows: number;
  readonly numKvBlocks: number;
  readonly blockSizeTokens: number;
  /** Residual-stream buffers, one per micro-batch in flight. */
  readonly numMicroBatches: number;
}

/** Sums the partial outputs of the tensor-parallel shards into the residual stream. */
export interface TpComm {
  /** x[0..n) += Σ over shards of partial[0..n) (each shard passes its own partial). */
  allReduceAdd(arena: WasmArena, xPtr: number, partialPtr: number, n: number): void;
  /** Gathers each shard's vocabulary slice of `rows` logit rows into full rows (rank 0's result is used). */
  gatherLogits(local: Float32Array, rows: number, vocabStart: number, vocabEnd: number, vocab: number): Float32Array;
}

/** tp = 1: the sum is a plain add, the gather a copy. */
export const LOCAL_COMM: TpComm = {
  allReduceAdd: (arena, x, p, n) => arena.k.addInto(x, p, n),
  gatherLogits: (local) => local.slice(),
};

/** A linear layer's weights in the arena: f32 [N, K], or int8 [N, K] with f32 scales per 32 along K. */
type Linear = { readonly kind: 'f32'; readonly w: number; readonly N: number; readonly K: number } | { readonly kind: 'q8'; readonly w: number; readonly s: number; readonly N: number; readonly K: number };

interface AttnLayer {
  readonly inNorm: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly bq: number;
  readonly bk: number;
  readonly bv: number;
  readonly qNorm: number;
  readonly kNorm: number;
  /** KV cache of this layer: [numKvBlocks · blockSize, nKvLocal, hd]. */
  readonly kCache: number;
  readonly vCache: number;
}

interface FfnLayer {
  readonly postNorm: number;
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
}

/** One sequence's slice of a forward call. */
export interface SeqSlice {
  /** First row of this sequence's tokens in the call's [T, H] activations. */
  readonly row: number;
  readonly numTokens: number;
  /** Position of the first token (= tokens already in the cache). */
  readonly startPos: number;
  readonly blockIds: ArrayLike<number>;
}

export class ModelShard {
  readonly arena = new WasmArena();
  readonly cfg: EngineConfig;
  readonly plan: ShardPlan;
  readonly nHeadsLocal: number;
  readonly nKvLocal: number;
  readonly interLocal: number;
  readonly vocabStart: number;
  readonly vocabEnd: number;
  /** Weight bytes this shard holds in its arena. */
  readonly weightBytes: number;
  private readonly embed: Float32Array | null;
  private readonly attn: AttnLayer[] = [];
  private readonly ffn: FfnLayer[] = [];
  private readonly finalNorm: number;
  private readonly lmHead: Linear | null;
  private readonly maxPositions: number;
  private readonly cosT: number;
  private readonly sinT: number;
  // scratch
  private readonly xs: number[];
  private readonly h: number;
  private readonly q: number;
  private readonly kv: [number, number];
  private readonly att: number;
  private readonly part: number;
  private readonly g: number;
  private readonly u: number;
  private readonly xq: number;
  private readonly xqs: number;
  private readonly pos: number;
  private readonly table: number;
  private readonly scores: number;
  private readonly hf: number;
  private readonly logitBuf: number;

  constructor(ck: Checkpoint, plan: ShardPlan, private readonly comm: TpComm = LOCAL_COMM) {
    const c = ck.config;
    this.cfg = c;
    this.plan = plan;
    const tp = plan.tpSize;
    const r = plan.tpRank;
    if (c.numKvHeads % tp !== 0 || c.intermediateSize % tp !== 0) {
      throw new UsageError('tensor-parallel threads', tp, `a divisor of num_key_value_heads (${c.numKvHeads}) and intermediate_size (${c.intermediateSize})`);
    }
    const hd = c.headDim;
    const H = c.hiddenSize;
    this.nHeadsLocal = c.numHeads / tp;
    this.nKvLocal = c.numKvHeads / tp;
    this.interLocal = c.intermediateSize / tp;
    const vs = Math.ceil(c.vocabSize / tp);
    this.vocabStart = Math.min(c.vocabSize, r * vs);
    this.vocabEnd = Math.min(c.vocabSize, (r + 1) * vs);
    this.maxPositions = Math.min(c.maxPositions, plan.numKvBlocks * plan.blockSizeTokens);
    const a = this.arena;
    const T = plan.maxBatchTokens;
    try {
      const vec = (name: string): number => this.put(readTensorF32(ck, name));
      const lin = (name: string, rows?: [number, number], cols?: [number, number]): Linear => this.putLinear(readTensorF32(ck, name, rows, cols), rows ? rows[1] - rows[0] : ck.tensors.get(name)!.shape[0]!, cols ? cols[1] - cols[0] : ck.tensors.get(name)!.shape[1]!);
      const qRows: [number, number] = [r * this.nHeadsLocal * hd, (r + 1) * this.nHeadsLocal * hd];
      const kvRows: [number, number] = [r * this.nKvLocal * hd, (r + 1) * this.nKvLocal * hd];
      const fRows: [number, number] = [r * this.interLocal, (r + 1) * this.interLocal];
      const slots = plan.numKvBlocks * plan.blockSizeTokens;
      for (let l = 0; l < c.numLayers; l++) {
        const p = `model.layers.${l}.`;
        if (plan.holdsAttention) {
          this.attn.push({
            inNorm: vec(`${p}input_layernorm.weight`),
            q: lin(`${p}self_attn.q_proj.weight`, qRows),
            k: lin(`${p}self_attn.k_proj.weight`, kvRows),
            v: lin(`${p}self_attn.v_proj.weight`, kvRows),
            o: lin(`${p}self_attn.o_proj.weight`, undefined, qRows),
            bq: c.qkvBias ? this.put(readTensorF32(ck, `${p}self_attn.q_proj.bias`, qRows)) : 0,
            bk: c.qkvBias ? this.put(readTensorF32(ck, `${p}self_attn.k_proj.bias`, kvRows)) : 0,
            bv: c.qkvBias ? this.put(readTensorF32(ck, `${p}self_attn.v_proj.bias`, kvRows)) : 0,
            qNorm: c.qkNorm ? vec(`${p}self_attn.q_norm.weight`) : 0,
            kNorm: c.qkNorm ? vec(`${p}self_attn.k_norm.weight`) : 0,
            kCache: a.allocF32(slots * this.nKvLocal * hd),
            vCache: a.allocF32(slots * this.nKvLocal * hd),
          });
        }
        if (plan.holdsFfn) {
          this.ffn.push({
            postNorm: vec(`${p}post_attention_layernorm.weight`),
            gate: lin(`${p}mlp.gate_proj.weight`, fRows),
            up: lin(`${p}mlp.up_proj.weight`, fRows),
            down: lin(`${p}mlp.down_proj.weight`, undefined, fRows),
          });
        }
      }
      if (plan.holdsAttention) {
        this.embed = readTensorF32(ck, 'model.embed_tokens.weight');
        this.finalNorm = vec('model.norm.weight');
        const headName = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
        const rows: [number, number] = [this.vocabStart, this.vocabEnd];
        this.lmHead = this.putLinear(c.tieWordEmbeddings ? this.embed.slice(rows[0] * H, rows[1] * H) : readTensorF32(ck, headName, rows), rows[1] - rows[0], H);
        const inv = ropeInvFreq(c);
        const half = hd / 2;
        this.cosT = a.allocF32(this.maxPositions * half);
        this.sinT = a.allocF32(this.maxPositions * half);
        const f = a.f32;
        for (let pIdx = 0; pIdx < this.maxPositions; pIdx++) {
          for (let i = 0; i < half; i++) {
            f[(this.cosT >> 2) + pIdx * half + i] = Math.cos(pIdx * inv[i]!);
            f[(this.sinT >> 2) + pIdx * half + i] = Math.sin(pIdx * inv[i]!);
          }
        }
      } else {
        this.embed = null;
        this.finalNorm = 0;
        this.lmHead = null;
        this.cosT = 0;
        this.sinT = 0;
      }
      this.weightBytes = a.usedBytes;
      const qDim = this.nHeadsLocal * hd;
      const kvDim = this.nKvLocal * hd;
      const maxK = Math.max(H, qDim, this.interLocal);
      this.xs = Array.from({ length: plan.numMicroBatches }, () => a.allocF32(T * H));
      this.h = a.allocF32(T * H);
      this.q = a.allocF32(T * qDim);
      this.kv = [a.allocF32(T * kvDim), a.allocF32(T * kvDim)];
      this.att = a.allocF32(T * qDim);
      this.part = a.allocF32(T * H);
      this.g = a.allocF32(T * this.interLocal);
      this.u = a.allocF32(T * this.interLocal);
      this.xq = plan.quant === 'int8' ? a.alloc(T * maxK) : 0;
      this.xqs = plan.quant === 'int8' ? a.allocF32(T * Math.ceil(maxK / 32)) : 0;
      this.pos = a.alloc(T * 4);
      this.table = a.alloc(Math.ceil(this.maxPositions / plan.blockSizeTokens + 1) * 4);
      this.scores = a.allocF32(this.maxPositions + 16);
      this.hf = a.allocF32(plan.maxSampleRows * H);
      this.logitBuf = a.allocF32(plan.maxSampleRows * Math.max(1, this.vocabEnd - this.vocabStart));
    } catch (e) {
      if (e instanceof WasmMemoryFull) {
        throw new UsageError('model shard size', `${(a.usedBytes / 2 ** 30).toFixed(2)} GiB and more`, 'at most 4 GiB per worker thread (a WebAssembly memory)', 'Use more tensor-parallel threads, --quantize int8, or fewer KV blocks.');
      }
      throw e;
    }
  }

  /** Most positions a sequence can reach on this shard (RoPE table and KV capacity). */
  get maxContextTokens(): number {
    return this.maxPositions;
  }

  /** Byte offset of micro-batch mb's residual stream [maxBatchTokens, H]. */
  x(mb: number): number {
    return this.xs[mb]!;
  }

  private put(data: Float32Array): number {
    const p = this.arena.allocF32(data.length);
    this.arena.f32.set(data, p >> 2);
    return p;
  }

  private putLinear(data: Float32Array, N: number, K: number): Linear {
    if (this.plan.quant === 'none' || K % 32 !== 0) return { kind: 'f32', w: this.put(data), N, K };
    const G = K / 32;
    const w = this.arena.alloc(N * K);
    const s = this.arena.allocF32(N * G);
    const i8 = new Int8Array(this.arena.memory.buffer, w, N * K);
    const f = this.arena.f32;
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        let m = 0;
        for (let k = 0; k < 32; k++) m = Math.max(m, Math.abs(data[n * K + gi * 32 + k]!));
        const sc = m / 127;
        f[(s >> 2) + n * G + gi] = sc;
        const inv = sc > 0 ? 1 / sc : 0;
        for (let k = 0; k < 32; k++) i8[n * K + gi * 32 + k] = Math.round(data[n * K + gi * 32 + k]! * inv);
      }
    }
    return { kind: 'q8', w, s, N, K };
  }

  /** y[T, ldy] = x[T, K] · Wᵀ. */
  private linear(L: Linear, x: number, y: number, T: number, ldy: number): void {
    const k = this.arena.k;
    if (L.kind === 'f32') {
      k.matmul(L.w, x, y, T, L.N, L.K, ldy);
    } else {
      k.quantizeRows(x, this.xq, this.xqs, T, L.K);
      k.matmulQ8(L.w, L.s, this.xq, this.xqs, y, T, L.N, L.K, ldy);
    }
  }

  /** Writes the embeddings of `tokens` into micro-batch mb's residual stream. */
  embedTokens(tokens: ArrayLike<number>, mb: number): void {
    const H = this.cfg.hiddenSize;
    const f = this.arena.f32;
    const base = this.xs[mb]! >> 2;
    for (let t = 0; t < tokens.length; t++) {
      const id = tokens[t]!;
      f.set(this.embed!.subarray(id * H, (id + 1) * H), base + t * H);
    }
  }

  /**
   * Attention block of layer l over micro-batch mb: x += o_proj(attention(rope(qkv(norm(x))))), writing the new
   * tokens' K/V into the cache slots of their positions. `positions` lists the position of each of the T rows.
   */
  attentionBlock(l: number, mb: number, T: number, positions: ArrayLike<number>, seqs: readonly SeqSlice[]): void {
    const c = this.cfg;
    const L = this.attn[l]!;
    const a = this.arena;
    const k = a.k;
    const H = c.hiddenSize;
    const hd = c.headDim;
    const qDim = this.nHeadsLocal * hd;
    const kvDim = this.nKvLocal * hd;
    const x = this.xs[mb]!;
    k.rmsnorm(x, L.inNorm, this.h, T, H, c.rmsNormEps);
    this.linear(L.q, this.h, this.q, T, qDim);
    this.linear(L.k, this.h, this.kv[0], T, kvDim);
    this.linear(L.v, this.h, this.kv[1], T, kvDim);
    if (c.qkvBias) {
      k.addBias(this.q, L.bq, T, qDim, qDim);
      k.addBias(this.kv[0], L.bk, T, kvDim, kvDim);
      k.addBias(this.kv[1], L.bv, T, kvDim, kvDim);
    }
    if (c.qkNorm) {
      k.rmsnorm(this.q, L.qNorm, this.q, T * this.nHeadsLocal, hd, c.rmsNormEps);
      k.rmsnorm(this.kv[0], L.kNorm, this.kv[0], T * this.nKvLocal, hd, c.rmsNormEps);
    }
    const i32 = a.i32;
    for (let t = 0; t < T; t++) i32[(this.pos >> 2) + t] = positions[t]!;
    k.rope(this.q, this.pos, this.cosT, this.sinT, T, this.nHeadsLocal, hd, qDim);
    k.rope(this.kv[0], this.pos, this.cosT, this.sinT, T, this.nKvLocal, hd, kvDim);
    const bs = this.plan.blockSizeTokens;
    const f = a.f32;
    const scale = 1 / Math.sqrt(hd);
    for (const s of seqs) {
      // K/V of the new tokens into their slots, then attend over everything up to each token.
      for (let i = 0; i < s.numTokens; i++) {
        const p = s.startPos + i;
        const slot = s.blockIds[Math.floor(p / bs)]! * bs + (p % bs);
        const src = (s.row + i) * kvDim;
        f.copyWithin((L.kCache >> 2) + slot * kvDim, (this.kv[0] >> 2) + src, (this.kv[0] >> 2) + src + kvDim);
        f.copyWithin((L.vCache >> 2) + slot * kvDim, (this.kv[1] >> 2) + src, (this.kv[1] >> 2) + src + kvDim);
      }
      const nBlocks = Math.ceil((s.startPos + s.numTokens) / bs);
      for (let b = 0; b < nBlocks; b++) i32[(this.table >> 2) + b] = s.blockIds[b]!;
      k.attention(this.q + s.row * qDim * 4, qDim, L.kCache, L.vCache, this.table, bs, this.nKvLocal,
        this.att + s.row * qDim * 4, qDim, s.numTokens, s.startPos, this.nHeadsLocal, hd, scale, this.scores);
    }
    this.linear(L.o, this.att, this.part, T, H);
    this.comm.allReduceAdd(a, x, this.part, T * H);
  }

  /** FFN block of layer l over micro-batch mb: x += down(silu(gate(norm(x))) · up(norm(x))). */
  ffnBlock(l: number, mb: number, T: number): void {
    const c = this.cfg;
    const L = this.ffn[l]!;
    const k = this.arena.k;
    const H = c.hiddenSize;
    const I = this.interLocal;
    const x = this.xs[mb]!;
    k.rmsnorm(x, L.postNorm, this.h, T, H, c.rmsNormEps);
    this.linear(L.gate, this.h, this.g, T, I);
    this.linear(L.up, this.h, this.u, T, I);
    k.siluMul(this.g, this.u, T * I);
    this.linear(L.down, this.g, this.part, T, H);
    this.comm.allReduceAdd(this.arena, x, this.part, T * H);
  }

  /** Logits [rows.length, vocab] of the given rows of micro-batch mb (final norm, lm_head; gathered across tp). */
  logits(mb: number, rows: readonly number[]): Float32Array {
    const c = this.cfg;
    const H = c.hiddenSize;
    const f = this.arena.f32;
    const x = this.xs[mb]! >> 2;
    rows.forEach((row, i) => f.copyWithin((this.hf >> 2) + i * H, x + row * H, x + (row + 1) * H));
    this.arena.k.rmsnorm(this.hf, this.finalNorm, this.hf, rows.length, H, c.rmsNormEps);
    const V = this.vocabEnd - this.vocabStart;
    this.linear(this.lmHead!, this.hf, this.logitBuf, rows.length, V);
    return this.comm.gatherLogits(this.arena.f32At(this.logitBuf, rows.length * V), rows.length, this.vocabStart, this.vocabEnd, c.vocabSize);
  }

  /** Copies rows [0, T) of micro-batch mb's residual stream out (AFD: to the FFN worker). */
  readX(mb: number, T: number): Float32Array {
    return this.arena.f32At(this.xs[mb]!, T * this.cfg.hiddenSize).slice();
  }

  /** Overwrites rows [0, T) of micro-batch mb's residual stream. */
  writeX(mb: number, data: Float32Array): void {
    this.arena.f32.set(data, this.xs[mb]! >> 2);
  }

  /**
   * The KV of positions [from, to) of a sequence, as [layers][K|V][to − from][nKvLocal · hd] floats: what a
   * prefill worker hands to a decode worker.
   */
  exportKv(blockIds: ArrayLike<number>, from: number, to: number): Float32Array {
    const kvDim = this.nKvLocal * this.cfg.headDim;
    const n = to - from;
    const out = new Float32Array(this.attn.length * 2 * n * kvDim);
    const f = this.arena.f32;
    const bs = this.plan.blockSizeTokens;
    this.attn.forEach((L, l) => {
      for (let i = 0; i < n; i++) {
        const p = from + i;
        const slot = blockIds[Math.floor(p / bs)]! * bs + (p % bs);
        out.set(f.subarray((L.kCache >> 2) + slot * kvDim, (L.kCache >> 2) + (slot + 1) * kvDim), ((l * 2) * n + i) * kvDim);
        out.set(f.subarray((L.vCache >> 2) + slot * kvDim, (L.vCache >> 2) + (slot + 1) * kvDim), ((l * 2 + 1) * n + i) * kvDim);
      }
    });
    return out;
  }

  /** Writes KV exported by exportKv into positions [from, to) of this shard's cache. */
  importKv(blockIds: ArrayLike<number>, from: number, to: number, data: Float32Array): void {
    const kvDim = this.nKvLocal * this.cfg.headDim;
    const n = to - from;
    if (data.length !== this.attn.length * 2 * n * kvDim) throw new Error(`KV import of ${data.length} floats for ${n} tokens does not match this shard`);
    const f = this.arena.f32;
    const bs = this.plan.blockSizeTokens;
    this.attn.forEach((L, l) => {
      for (let i = 0; i < n; i++) {
        const p = from + i;
        const slot = blockIds[Math.floor(p / bs)]! * bs + (p % bs);
        f.set(data.subarray(((l * 2) * n + i) * kvDim, ((l * 2) * n + i + 1) * kvDim), (L.kCache >> 2) + slot * kvDim);
        f.set(data.subarray(((l * 2 + 1) * n + i) * kvDim, ((l * 2 + 1) * n + i + 1) * kvDim), (L.vCache >> 2) + slot * kvDim);
      }
    });
  }
}
