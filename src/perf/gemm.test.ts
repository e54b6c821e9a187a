import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCalibration } from './calibration.js';
import { h100, untabledGpu } from './fixtures-for-tests.js';
import { gemmCostFn, gemmTimeS } from './gemm.js';

/**
 * Measured GEMM rows of aiconfigurator's h100_sxm tables (latency in µs), the fastest of the three backends'
 * measurements of that shape — which is what phasewise's GEMM grid holds (docs/perf.md): gemm/trtllm/1.3.0rc20,
 * gemm/vllm/0.24.0, gemm/sglang/0.5.14.
 */
const MEASURED_H100: [string, number, number, number, 'bf16' | 'fp8', number][] = [
  ['decode 8192×8192, sglang', 1, 8192, 8192, 'bf16', 47.87],
  ['qkv 10240×8192, sglang', 8, 10240, 8192, 'bf16', 64.87],
  ['prefill 4096 tokens, trtllm', 4096, 8192, 8192, 'bf16', 672.77],
  ['prefill 8192 tokens, trtllm', 8192, 8192, 8192, 'bf16', 1404.78],
  ['16k tokens 4096×4096, trtllm', 16384, 4096, 4096, 'bf16', 697.52],
  ['fp8 prefill 4096 tokens, trtllm', 4096, 8192, 8192, 'fp8', 446.6],
  ['fp8 prefill 8192 tokens, vllm', 8192, 8192, 8192, 'fp8', 836.15],
];

describe('gemmTimeS against measured H100 rows', () => {
  const dc = resolveCalibration(h100(), 'trtllm');
  for (const [what, m, n, k, q, us] of MEASURED_H100) {
    it(`${what}: m=${m} n=${n} k=${k} ${q} within 5% of ${us} µs`, () => {
      const t = gemmTimeS(dc, m, n, k, q) * 1e6;
      assert.ok(Math.abs(t / us - 1) <= 0.05, `${t.toFixed(2)} µs vs ${us} µs`);
    });
  }

  it('the per-matrix cost curve agrees with the direct lookup on grid points and never decreases in m', () => {
    const f = gemmCostFn(dc, 57344, 8192, 'bf16');
    let prev = 0;
    for (const m of [0.5, 1, 2, 3, 5, 8, 13, 64, 100, 1000, 4096, 10000, 32768, 100000]) {
      const t = f(m);
      assert.ok(t >= prev, `m=${m}`);
      prev = t;
    }
    assert.ok(Math.abs(f(4096) / gemmTimeS(dc, 4096, 57344, 8192, 'bf16') - 1) < 0.02);
    // past the table (m > 2^20) time grows like the roofline: linear in m when compute-bound
    assert.ok(Math.abs(f(2 ** 22) / f(2 ** 21) - 2) < 0.01);
  });
});

describe('gemmTimeS on a chip without tables (transfer curve)', () => {
  const g = untabledGpu();
  const dc = resolveCalibration(g, 'generic');
  it('is memory-bound at m = 1 and compute-bound at m = 8192, at the chip’s own peaks', () => {
    const weightBytes = 8192 * 8192 * 2;
    const small = gemmTimeS(dc, 1, 8192, 8192, 'bf16');
    const memS = weightBytes / 5.3e12;
    // fitted shape: t0 ≈ 3 µs + bytes / (BW × ≈0.78)
    assert.ok(small > memS && small < memS / 0.6 + 6e-6, `${small} vs ${memS}`);
    const big = gemmTimeS(dc, 8192, 8192, 8192, 'bf16');
    const flopS = (2 * 8192 ** 3) / 1307e12;
    assert.ok(big > flopS && big < flopS / 0.6, `${big} vs ${flopS}`);
  });
});
