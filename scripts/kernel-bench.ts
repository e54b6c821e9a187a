/**
 * Why the kernels are WebAssembly: one f32 matrix × vector (5632 × 2048, 46 MB, beyond every cache) in a plain
 * TypeScript loop and in the engine's WASM SIMD kernel, single thread; then the read bandwidth and matmul
 * FLOP/s probes of bench-engine / calibrate on 1 and 2 threads.
 *   npx tsc -p . && node dist/scripts/kernel-bench.js
 */
import { probeMachine } from '../src/server/measure.js';
import { WasmArena } from '../src/engine/wasm.js';

const N = 5632;
const K = 2048;

function plainMatvec(w: Float32Array, x: Float32Array, y: Float32Array): void {
  for (let n = 0; n < N; n++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const o = n * K;
    for (let k = 0; k < K; k += 4) {
      a0 += w[o + k]! * x[k]!;
      a1 += w[o + k + 1]! * x[k + 1]!;
      a2 += w[o + k + 2]! * x[k + 2]!;
      a3 += w[o + k + 3]! * x[k + 3]!;
    }
    y[n] = a0 + a1 + a2 + a3;
  }
}

function time(f: () => void, minS = 1): number {
  f();
  let reps = 0;
  const t0 = performance.now();
  do {
    f();
    reps++;
  } while (performance.now() - t0 < minS * 1000);
  return (performance.now() - t0) / 1000 / reps;
}

async function main(): Promise<void> {
  const a = new WasmArena();
  const w = a.allocF32(N * K);
  const x = a.allocF32(K);
  const y = a.allocF32(N);
  const f = a.f32;
  for (let i = 0; i < N * K; i++) f[(w >> 2) + i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  for (let i = 0; i < K; i++) f[(x >> 2) + i] = i / K;
  const W = a.f32.subarray(w >> 2, (w >> 2) + N * K);
  const X = a.f32.subarray(x >> 2, (x >> 2) + K);
  const Y = new Float32Array(N);
  const bytes = N * K * 4;
  const flops = 2 * N * K;
  const rows: [string, number][] = [
    ['plain TypeScript loop', time(() => plainMatvec(W, X, Y))],
    ['WebAssembly SIMD kernel (matmul, 1 token)', time(() => a.k.matmul(w, x, y, 1, N, K, N))],
  ];
  console.log(`f32 matrix × vector, ${N} × ${K}, one thread`);
  for (const [name, s] of rows) console.log(`  ${name.padEnd(42)} ${(bytes / s / 1e9).toFixed(2)} GB/s of weights  ${(flops / s / 1e9).toFixed(2)} GFLOP/s`);
  for (const threads of [1, 2]) {
    const p = await probeMachine(threads);
    console.log(`probe, ${threads} thread(s): read ${(p.readBandwidthBytesPerS / 1e9).toFixed(1)} GB/s, matmul (64 tokens) ${(p.matmulFlopsPerS / 1e9).toFixed(1)} GFLOP/s`);
  }
}

void main();
