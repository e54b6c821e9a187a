import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCalibration } from './calibration.js';
import { b200, h100, untabledGpu } from './fixtures-for-tests.js';
import { expectedExpertsTouched, moeCostFn, moeTimeS, type MoeRankShape } from './moe.js';

describe('expectedExpertsTouched: E·(1 − (1 − k/E)^T)', () => {
  it('matches hand values', () => {
    assert.equal(expectedExpertsTouched(0, 8, 256), 0);
    // one token touches exactly its k experts
    assert.ok(Math.abs(expectedExpertsTouched(1, 8, 256) - 8) < 1e-9);
    // T = 64, k = 8, E = 256: 256 × (1 − 0.96875^64) = 256 × (1 − 0.13108) = 222.44
    assert.ok(Math.abs(expectedExpertsTouched(64, 8, 256) - 222.44) < 0.01);
    // Mixtral (k = 2, E = 8), 4 tokens: 8 × (1 − 0.75^4) = 5.469
    assert.ok(Math.abs(expectedExpertsTouched(4, 2, 8) - 5.46875) < 1e-9);
    // saturates at E
    assert.ok(Math.abs(expectedExpertsTouched(100000, 8, 256) - 256) < 1e-9);
  });
});

describe('moeCostFn', () => {
  const deepseek: MoeRankShape = { hidden: 7168, inter: 2048, topK: 8, numExperts: 256, moeTp: 1, ep: 8, quant: 'fp8_block', matrices: 3 };
  for (const [name, d] of [
    ['h100', h100()],
    ['b200', b200()],
    ['untabled', untabledGpu()],
  ] as const) {
    it(`${name}: non-decreasing in tokens, and reading at least the touched experts' bytes`, () => {
      const dc = resolveCalibration(d, 'trtllm');
      const f = moeCostFn(dc, deepseek);
      let prev = 0;
      for (const t of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536]) {
        const s = f(t);
        assert.ok(s >= prev, `${t} tokens: ${s} < ${prev}`);
        prev = s;
      }
      // Decode of 1 token on one of 8 EP ranks: 8/8 = 1 expert expected, 44 MB at fp8; the kernel is at least a
      // few microseconds and, being mostly memory-bound, not faster than 44 MB at twice the HBM bandwidth.
      const bw = d.memory.hbm.bandwidthBytesPerS.value ?? 1;
      assert.ok(f(1) > (3 * 7168 * 2048) / (2 * bw));
    });
  }
});

describe('moeTimeS on a table that measured only expert-parallel splits', () => {
  // gpt-oss-120b's experts (hidden 2880, inter 2880, 128 experts, top 4) in MXFP4 on Hopper (W4A16)
  const gptOss = (moeTp: number, ep: number): MoeRankShape => ({ hidden: 2880, inter: 2880, topK: 4, numExperts: 128, moeTp, ep, quant: 'w4a16_mxfp4', matrices: 3 });

  it("the fit flags TensorRT-LLM's Hopper MXFP4 table (EP splits only) and not vLLM's (which measured TP splits)", () => {
    const trt = resolveCalibration(h100(), 'trtllm').backends[0]!;
    const vllm = resolveCalibration(h100(), 'vllm').backends[0]!;
    assert.deepEqual(trt.moeEpOnly, ['w4a16_mxfp4']);
    assert.equal(vllm.moeEpOnly?.includes('w4a16_mxfp4') ?? false, false);
  });

  it('costs a TP split over n GPUs as the EP split over n, not below the kernels\' fixed cost', () => {
    const dc = resolveCalibration(h100(), 'trtllm');
    for (const n of [2, 4, 8]) {
      for (const tokens of [1, 8, 64, 1024]) assert.equal(moeTimeS(dc, gptOss(n, 1), tokens), moeTimeS(dc, gptOss(1, n), tokens));
    }
    // one token: a few kernels whatever the split (≈ 74 µs measured at EP 2–16), so 4 and 8 GPUs take well over
    // half the time of 2
    for (const n of [4, 8]) assert.ok(moeTimeS(dc, gptOss(n, 1), 1) > 0.5 * moeTimeS(dc, gptOss(2, 1), 1));
  });

  it('without the flag, a TP split is read from the grid at its own expert width', () => {
    const dc = resolveCalibration(h100(), 'trtllm');
    const unflagged = { ...dc, backends: dc.backends.map((t) => ({ ...t, moeEpOnly: [] })) };
    assert.notEqual(moeTimeS(unflagged, gptOss(4, 1), 8), moeTimeS(unflagged, gptOss(1, 4), 8));
    assert.equal(moeTimeS(unflagged, gptOss(1, 4), 8), moeTimeS(dc, gptOss(1, 4), 8));
  });
});
