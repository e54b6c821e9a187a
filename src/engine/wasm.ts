/**
 * One instance of the WebAssembly kernels with its own linear memory (≤ 4 GiB: wasm32), and a bump allocator
 * over it. Each model shard (one per worker thread) owns one, so weights, KV cache and scratch of a shard sit
 * in one address space the kernels can reach.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

export interface KernelExports {
  matmul(w: number, x: number, y: number, T: number, N: number, K: number, ldy: number): void;
  matmulQ8(w: number, ws: number, xq: number, xs: number, y: number, T: number, N: number, K: number, ldy: number): void;
  quantizeRows(x: number, q: number, s: number, T: number, K: number): void;
  rmsnorm(x: number, w: number, y: number, T: number, H: number, eps: number): void;
  rope(x: number, pos: number, cosT: number, sinT: number, T: number, nHeads: number, hd: number, ld: number): void;
  attention(
    q: number, ldq: number, kc: number, vc: number, table: number, bs: number, nKv: number,
    out: number, ldo: number, n: number, start: number, nHeads: number, hd: number, scale: number, scores: number,
  ): void;
  siluMul(g: number, u: number, n: number): void;
  addInto(y: number, x: number, n: number): void;
  addBias(y: number, b: number, T: number, N: number, ld: number): void;
  heapBase(): number;
  readSum(p: number, n: number): number;
}

/** The few WebAssembly JS-API members used here (Node has them; @types/node does not declare them). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const PAGE_BYTES = 65536;
const MAX_PAGES = 65536;

let compiled: object | undefined;

function kernelModule(): object {
  if (!compiled) {
    const bin = atob(KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WA.Module(bytes);
  }
  return compiled;
}

/** Thrown when a shard outgrows the 4 GiB of a wasm32 memory. */
export class WasmMemoryFull extends Error {
  constructor(readonly requestedBytes: number) {
    super(`a model shard needs more than the 4 GiB a WebAssembly memory can hold (asked for ${requestedBytes} more bytes)`);
  }
}

export class WasmArena {
  readonly k: KernelExports;
  readonly memory: WasmMemory;
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  constructor() {
    this.memory = new WA.Memory({ initial: 1, maximum: MAX_PAGES });
    const inst = new WA.Instance(kernelModule(), { env: { memory: this.memory, abort: () => { throw new Error('wasm abort'); } } });
    this.k = inst.exports as unknown as KernelExports;
    // Static data (the math tables of exp, …) sits below the heap base; allocations start above it.
    this.top = Math.max(1024, this.k.heapBase());
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
    this.u8View = new Uint8Array(this.memory.buffer);
  }

  /** Bytes allocated so far. */
  get usedBytes(): number {
    return this.top;
  }

  /** Allocates `bytes` (16-byte aligned) and returns the byte offset. Grows the memory as needed. */
  alloc(bytes: number): number {
    const p = (this.top + 15) & ~15;
    const end = p + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      if (have / PAGE_BYTES + pages > MAX_PAGES) throw new WasmMemoryFull(end - have);
      this.memory.grow(pages);
    }
    this.top = end;
    return p;
  }

  allocF32(n: number): number {
    return this.alloc(n * 4);
  }

  /** A Float32Array over the whole memory (re-created after a grow). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer) this.refresh();
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer) this.refresh();
    return this.i32View;
  }

  get u8(): Uint8Array {
    if (this.u8View.buffer !== this.memory.buffer) this.refresh();
    return this.u8View;
  }

  /** A view of n floats at byte offset p (valid until the next alloc). */
  f32At(p: number, n: number): Float32Array {
    return this.f32.subarray(p >> 2, (p >> 2) + n);
  }

  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
    this.u8View = new Uint8Array(this.memory.buffer);
  }
}
