import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveCalibration } from './calibration.js';
import { b200, h100, untabledGpu } from './fixtures-for-tests.js';
import { expectedExpertsTouched, moeCostFn, type MoeRankShape } from './moe.js';

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
