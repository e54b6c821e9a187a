/**
 * Measures this machine as the engine sees it: read bandwidth (streaming a buffer far larger than the caches)
 * and matrix-multiply FLOP/s of the WASM kernels, on 1..n threads at once. Used by bench-engine (the
 * memory-bandwidth floor) and calibrate (a device entry for the twin).
 */
import { Worker } from 'node:worker_threads';
import { WasmArena } from '../engine/wasm.js';

export interface MachineProbe {
  readonly threads: number;
  /** Total over the threads. */
  readonly readBandwidthBytesPerS: number;
  /** Total over the threads, f32 matmul of a [64 × 1024] by [1024 × 1024]ᵀ (compute-bound shape). */
  readonly matmulFlopsPerS: number;
}

/** Runs in one thread: GB/s and FLOP/s of this thread alone. */
export function probeThisThread(bufferBytes: number, seconds: number): { readBytesPerS: number; flopsPerS: number } {
  const a = new WasmArena();
  const n = Math.floor(bufferBytes / 64) * 16;
  const p = a.allocF32(n);
  a.f32.fill(1, p >> 2, (p >> 2) + n);
  a.k.readSum(p, n); // warm
  let reps = 0;
  let t0 = performance.now();
  do {
    a.k.readSum(p, n);
    reps++;
  } while (performance.now() - t0 < seconds * 500);
  const readBytesPerS = (reps * n * 4) / ((performance.now() - t0) / 1000);
  const T = 64;
  const K = 1024;
  const N = 1024;
  const w = a.allocF32(N * K);
  const x = a.allocF32(T * K);
  const y = a.allocF32(T * N);
  a.f32.fill(0.5, w >> 2, (w >> 2) + N * K + T * K);
  a.k.matmul(w, x, y, T, N, K, N);
  reps = 0;
  t0 = performance.now();
  do {
    a.k.matmul(w, x, y, T, N, K, N);
    reps++;
  } while (performance.now() - t0 < seconds * 500);
  const flopsPerS = (reps * 2 * T * N * K) / ((performance.now() - t0) / 1000);
  return { readBytesPerS, flopsPerS };
}

const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then((m) => parentPort.postMessage(m.probeThisThread(workerData.bytes, workerData.seconds)));
`;

/** Probes `threads` threads running at the same time (so they share the memory bus as the engine's do). */
export async function probeMachine(threads: number, bufferBytes = 256 * 2 ** 20, seconds = 1): Promise<MachineProbe> {
  const url = new URL(import.meta.url).href;
  const results = await Promise.all(Array.from({ length: threads }, () => new Promise<{ readBytesPerS: number; flopsPerS: number }>((resolve, reject) => {
    const w = new Worker(PROBE_SOURCE, { eval: true, workerData: { url, bytes: bufferBytes, seconds } });
    w.once('message', (m) => {
      resolve(m as { readBytesPerS: number; flopsPerS: number });
      void w.terminate();
    });
    w.once('error', reject);
  })));
  return {
    threads,
    readBandwidthBytesPerS: results.reduce((a, r) => a + r.readBytesPerS, 0),
    matmulFlopsPerS: results.reduce((a, r) => a + r.flopsPerS, 0),
  };
}

const ECHO_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage(m, [m.buffer]));
`;

/**
 * One-way time of a message between two threads (postMessage, buffer transferred), as the engine's workers
 * exchange activations (AFD) and KV (pd): half the mean round trip of `bytes`-sized messages.
 */
export async function probeHop(bytes: number, rounds = 200): Promise<{ latencyS: number }> {
  const w = new Worker(ECHO_SOURCE, { eval: true });
  try {
    let buf: Float32Array = new Float32Array(Math.max(1, bytes >> 2));
    const once = (): Promise<Float32Array> => new Promise((resolve) => {
      w.once('message', (m: Float32Array) => resolve(m));
      w.postMessage(buf, [buf.buffer as ArrayBuffer]);
    });
    for (let i = 0; i < 20; i++) buf = await once();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) buf = await once();
    return { latencyS: (performance.now() - t0) / 1000 / rounds / 2 };
  } finally {
    await w.terminate();
  }
}
