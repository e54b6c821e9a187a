/**
 * Tensor-parallel communication between worker threads over SharedArrayBuffers: a barrier (Atomics
 * wait/notify after a short spin) and two alternating partial-sum slots, so one barrier per all-reduce is
 * enough (a rank cannot overwrite a slot before every rank has passed the next barrier, i.e. finished reading
 * it). Every rank sums the partials in rank order, so the replicated residual streams stay bit-identical.
 */
import type { TpComm } from '../engine/shard.js';
import type { WasmArena } from '../engine/wasm.js';

export interface TpBuffers {
  readonly barrier: SharedArrayBuffer;
  /** 2 sets × tp slots × slotFloats. */
  readonly partials: SharedArrayBuffer;
  /** Gathered logits, maxRows × vocab. */
  readonly logits: SharedArrayBuffer;
  readonly slotFloats: number;
}

export function allocTpBuffers(tp: number, maxTokens: number, hidden: number, maxRows: number, vocab: number): TpBuffers {
  const slotFloats = maxTokens * hidden;
  return {
    barrier: new SharedArrayBuffer(16),
    partials: new SharedArrayBuffer(2 * tp * slotFloats * 4),
    logits: new SharedArrayBuffer(maxRows * vocab * 4),
    slotFloats,
  };
}

export class SharedTpComm implements TpComm {
  private readonly b: Int32Array;
  private readonly partials: Float32Array;
  private readonly logitsBuf: Float32Array;
  private set = 0;

  constructor(private readonly bufs: TpBuffers, private readonly rank: number, private readonly size: number) {
    this.b = new Int32Array(bufs.barrier);
    this.partials = new Float32Array(bufs.partials);
    this.logitsBuf = new Float32Array(bufs.logits);
  }

  private barrier(): void {
    const gen = Atomics.load(this.b, 1);
    if (Atomics.add(this.b, 0, 1) === this.size - 1) {
      Atomics.store(this.b, 0, 0);
      Atomics.add(this.b, 1, 1);
      Atomics.notify(this.b, 1);
      return;
    }
    for (let i = 0; i < 2000; i++) if (Atomics.load(this.b, 1) !== gen) return;
    while (Atomics.load(this.b, 1) === gen) Atomics.wait(this.b, 1, gen, 1000);
  }

  allReduceAdd(arena: WasmArena, xPtr: number, partialPtr: number, n: number): void {
    const base = this.set * this.size * this.bufs.slotFloats;
    this.set ^= 1;
    const f = arena.f32;
    this.partials.set(f.subarray(partialPtr >> 2, (partialPtr >> 2) + n), base + this.rank * this.bufs.slotFloats);
    this.barrier();
    for (let r = 0; r < this.size; r++) {
      const off = base + r * this.bufs.slotFloats;
      f.set(this.partials.subarray(off, off + n), partialPtr >> 2);
      arena.k.addInto(xPtr, partialPtr, n);
    }
  }

  gatherLogits(local: Float32Array, rows: number, vocabStart: number, vocabEnd: number, vocab: number): Float32Array {
    const w = vocabEnd - vocabStart;
    for (let r = 0; r < rows; r++) this.logitsBuf.set(local.subarray(r * w, (r + 1) * w), r * vocab + vocabStart);
    this.barrier();
    const out = this.rank === 0 ? this.logitsBuf.slice(0, rows * vocab) : new Float32Array(0);
    // Nobody may write the next step's logits before rank 0 has copied these.
    this.barrier();
    return out;
  }
}
