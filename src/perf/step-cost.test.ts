import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ctxOf, decodeShape, deepseekV3, gptOssLike, h100, b200, llama70b, par, prefillShape, sramChip, untabledGpu } from './fixtures-for-tests.js';
import { commTimeS } from './collectives.js';
import { resolveCalibration } from './calibration.js';
import { makeStepCost } from './step-cost.js';
import type { ModelArch } from '../models/types.js';
import { loadModel } from '../cli/load.js';
import type { PerfContext, StepShape } from './types.js';

const near = (actual: number, expected: number, rel: number, what: string): void => {
  assert.ok(Math.abs(actual / expected - 1) <= rel, `${what}: ${actual} vs ${expected} (±${100 * rel}%)`);
};

/**
 * Llama-3.1-70B streams, per decode step, every layer's matrices once plus the LM head (the embedding table is
 * only gathered): per layer q 8192² + k, v 8192·1024 each + o 8192² + gate/up 2·8192·28672 + down 28672·8192
 * = 855,638,016 params; × 80 = 68.451e9; LM head 128256·8192 = 1.0507e9; in all 69.502e9 params = 139.0 GB
 * at bf16.
 */
const LLAMA70B_STREAMED_BYTES = 139.0e9;
const LLAMA70B_LAYER_PARAMS = 68.451e9;

describe('makeStepCost: Llama-3.1-70B on H100 (hand checks)', () => {
  const cost = makeStepCost(ctxOf(h100(), llama70b()));

  it('decode, batch 1, 1024 tokens of context, tp=1: weight bytes / (HBM bandwidth × eff_m) + overheads', () => {
    // eff_m: the measured H100 bf16 GEMMs at m = 1 for these shapes reach 0.81 (8192×8192), 0.81 (qkv),
    // 0.85 (gate/up), 0.87 (down), 0.85 (LM head) of 3.35 TB/s: 0.85 byte-weighted.
    // 139.0e9 B / (3.35e12 B/s × 0.85) = 48.8 ms of GEMMs
    // + decode attention 80 × ~14 µs = 1.1 ms (measured ~13 µs kernel floor at 1k context)
    // + overheads: TensorRT-LLM step 0.3 ms + 80 layers × 4 elementwise kernels × 2 µs = 0.94 ms
    // ≈ 50.9 ms.
    const t = cost(decodeShape(1, 1024));
    const gemmS = LLAMA70B_STREAMED_BYTES / (3.35e12 * 0.85);
    near(t.gemmS, gemmS, 0.03, 'GEMM time');
    near(t.totalS, gemmS + 80 * 14e-6 + 0.3e-3 + 80 * 4 * 2e-6, 0.03, 'step time');
    assert.equal(t.moeS, 0);
    assert.equal(t.commS, 0);
  });

  it('prefill of 4096 tokens is compute-bound: time ≈ FLOPs / (peak × eff_c)', () => {
    // FLOPs of the matrices: 2 × 68.451e9 × 4096 = 5.608e17 (+ one LM-head row, negligible).
    // eff_c: measured H100 bf16 GEMMs at m = 4096 reach 0.75–0.83 of 989.4 TFLOP/s → 0.79.
    // 5.608e17 / (989.4e12 × 0.79) = 717 ms; streaming the weights alone would take 139.0e9 / 3.35e12 = 41 ms.
    const t = cost(prefillShape(1, 4096));
    const flops = 2 * LLAMA70B_LAYER_PARAMS * 4096;
    near(t.gemmS, flops / (989.4e12 * 0.79), 0.05, 'prefill GEMM time');
    assert.ok(t.gemmS > 10 * (LLAMA70B_STREAMED_BYTES / 3.35e12), 'compute-bound: ≫ weight-streaming time');
    // Twice the tokens: GEMM time doubles (±10%), attention grows faster (quadratic pairs).
    const t2 = cost(prefillShape(1, 8192));
    near(t2.gemmS / t.gemmS, 2, 0.1, 'GEMM time ratio 8192/4096 tokens');
    assert.ok(t2.attentionS / t.attentionS > 2.5, 'attention grows super-linearly with prompt length');
  });

  it('tp=2 is faster than tp=1 at decode, and pays two all-reduces per layer', () => {
    const tp2 = makeStepCost(ctxOf(h100(), llama70b(), par({ tp: 2 })));
    for (const b of [1, 8, 64, 256]) {
      const one = cost(decodeShape(b, 2048));
      const two = tp2(decodeShape(b, 2048));
      assert.ok(two.totalS < one.totalS, `batch ${b}: tp2 ${two.totalS} < tp1 ${one.totalS}`);
      assert.ok(two.commS > 0);
    }
    // 160 all-reduces of 1 × 8192 × 2 B = 16 KiB (custom all-reduce, 2 GPUs: ~3 µs each) + logits gather.
    const dc = resolveCalibration(h100(), 'trtllm');
    const ar = commTimeS(dc, 'allreduce', 8192 * 2, 2);
    near(tp2(decodeShape(1, 2048)).commS, 160 * ar + commTimeS(dc, 'allgather', 128256 * 4, 2), 0.01, 'tp2 communication');
  });

  it('memoises by shape', () => {
    const s = decodeShape(3, 777);
    assert.equal(cost(s), cost({ ...s }));
  });
});

/** Shapes in increasing order of work that must never get faster. */
function assertNonDecreasing(cost: (s: StepShape) => { totalS: number }, shapes: StepShape[], what: string): void {
  let prev = 0;
  for (const s of shapes) {
    const t = cost(s).totalS;
    assert.ok(t >= prev * (1 - 1e-12), `${what}: ${t} after ${prev} at ${JSON.stringify(s)}`);
    prev = t;
  }
}

const CASES: [string, PerfContext][] = [
  ['Llama-70B on 2×H100 (tables)', ctxOf(h100(), llama70b(), par({ tp: 2 }))],
  ['Llama-70B fp8 on B200 vllm (tables)', ctxOf(b200(), llama70b(), par(), { weightDtype: 'fp8', backend: 'vllm' })],
  ['DeepSeek-V3 fp8 on 8×B200 attention-DP + EP', ctxOf(b200(), deepseekV3(), par({ tp: 1, dp: 8, ep: 8 }), { weightDtype: 'fp8', moeDtype: 'fp8', gemmQuant: 'fp8_block', moeQuant: 'fp8_block', backend: 'sglang' })],
  ['DeepSeek-V3 fp8 on 8×H100 TP', ctxOf(h100(), deepseekV3(), par({ tp: 8, ep: 8 }), { weightDtype: 'fp8', moeDtype: 'fp8', gemmQuant: 'fp8_block', moeQuant: 'fp8_block' })],
  ['DeepSeek-V4-Flash fp8 on 8×B200 (compressed attention)', ctxOf(b200(), loadModel('deepseek-ai/DeepSeek-V4-Flash'), par({ tp: 8, ep: 8 }), { weightDtype: 'fp8', moeDtype: 'fp4', gemmQuant: 'fp8_block', moeQuant: 'w4a8_mxfp4' })],
  ['gpt-oss-like on 2×H100 (sliding window, MoE)', ctxOf(h100(), gptOssLike(), par({ tp: 2 }), { moeDtype: 'fp4', moeQuant: 'w4a16_mxfp4', backend: 'vllm' })],
  ['Llama-70B on an untabled GPU (transfer curves)', ctxOf(untabledGpu(), llama70b(), par({ tp: 2 }), { backend: 'generic' })],
  ['Llama-70B fp8 on 152 SRAM chips (tp 8 × pp 19)', ctxOf(sramChip(), llama70b(), par({ tp: 8, pp: 19 }), { weightDtype: 'fp8' })],
];

describe('makeStepCost: monotonicity', () => {
  for (const [name, ctx] of CASES) {
    const cost = makeStepCost(ctx);
    it(`${name}: more decode sequences are never faster`, () => {
      assertNonDecreasing(cost, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024].map((b) => decodeShape(b, 3000)), 'batch');
    });
    it(`${name}: more context is never faster`, () => {
      for (const b of [1, 16, 256]) {
        assertNonDecreasing(cost, [1, 10, 100, 128, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000].map((c) => decodeShape(b, c)), `context at batch ${b}`);
      }
    });
    it(`${name}: longer prompts and more prefill tokens are never faster`, () => {
      assertNonDecreasing(cost, [2, 16, 100, 512, 1000, 2048, 4096, 8192, 16384, 32768].map((l) => prefillShape(1, l)), 'prompt length');
      assertNonDecreasing(cost, [1, 2, 4, 8, 16].map((n) => prefillShape(n, 1024)), 'prompts per step');
      assertNonDecreasing(cost, [0, 1, 8, 64, 256].map((d) => prefillShape(1, 2048, d, 2000)), 'decodes added to a prefill step');
    });
  }
});

describe('makeStepCost: DeepSeek-V4 compressed attention', () => {
  it('decode attention grows with the context by its compressed entries only', () => {
    const opts = { weightDtype: 'fp8', moeDtype: 'fp8', gemmQuant: 'fp8_block', moeQuant: 'fp8_block' } as const;
    const v4 = makeStepCost(ctxOf(b200(), loadModel('deepseek-ai/DeepSeek-V4-Flash'), par({ tp: 8, ep: 8 }), opts));
    const v3 = makeStepCost(ctxOf(b200(), deepseekV3(), par({ tp: 8, ep: 8 }), opts));
    const growth = (cost: (s: StepShape) => { attentionS: number }): number => cost(decodeShape(64, 65536)).attentionS / cost(decodeShape(64, 4096)).attentionS;
    // 16× the context: DeepSeek-V3 reads 16× the latent; V4's CSA layers stay at their top-512 entries (reached at
    // 2,048 tokens), its window at 128 tokens, and only the HCA layers' 1/128 entries grow (32 → 512 per sequence).
    assert.ok(growth(v3) > 8, `V3: ${growth(v3)}`);
    assert.ok(growth(v4) < 2, `V4: ${growth(v4)}`);
  });
});

describe('makeStepCost: parallelism', () => {
  it('pipeline: a single micro-batch costs the sum of the stages plus the sends', () => {
    const pp1 = makeStepCost(ctxOf(h100(), llama70b(), par({ tp: 2 })));
    const pp2 = makeStepCost(ctxOf(h100(), llama70b(), par({ tp: 2, pp: 2 })));
    const s = decodeShape(16, 2000);
    const dc = resolveCalibration(h100(), 'trtllm');
    // The same layers run on either side of one hop; the hop sends 16 tokens × 8192 × 2 B.
    near(pp2(s).totalS, pp1(s).totalS + commTimeS(dc, 'send', 16 * 8192 * 2, 2), 1e-9, 'pp=2 step');
  });

  it('attention-DP: each rank runs 1/dp of the sequences', () => {
    const ctx = (dp: number): PerfContext =>
      ctxOf(b200(), deepseekV3(), par({ tp: 1, dp, ep: dp }), { weightDtype: 'fp8', moeDtype: 'fp8', gemmQuant: 'fp8_block', moeQuant: 'fp8_block' });
    const dp1 = makeStepCost(ctx(1))(decodeShape(64, 4000));
    const dp8 = makeStepCost(ctx(8))(decodeShape(64, 4000));
    // 8 sequences per rank instead of 64: less than half the time (kernel floors keep it above 1/8).
    assert.ok(dp8.attentionS < dp1.attentionS / 2, `attention per rank shrinks: ${dp8.attentionS} vs ${dp1.attentionS}`);
    assert.ok(dp8.moeS < dp1.moeS, 'experts spread over 8 GPUs');
    assert.ok(dp8.commS > 0, 'dispatch and combine all-to-all');
  });

  it('query/key norm: the backend\'s extra kernels per attention layer, and an all-reduce of statistics when over all heads', () => {
    const withNorm = (qkNorm: 'per-head' | 'across-heads' | undefined): ModelArch => {
      const m = llama70b();
      if (m.attention.kind !== 'gqa') throw new Error('fixture is GQA');
      return { ...m, attention: { ...m.attention, ...(qkNorm ? { qkNorm } : {}) } };
    };
    const s = decodeShape(8, 1024);
    for (const backend of ['trtllm', 'vllm'] as const) {
      const cost = (m: ModelArch, tp: number) => makeStepCost(ctxOf(h100(), m, par({ tp }), { backend }))(s);
      const kernels = resolveCalibration(h100(), backend).overhead.qkNormKernels;
      assert.equal(kernels, backend === 'trtllm' ? 1 : 2, 'TensorRT-LLM fuses q and k norms with RoPE');
      const plain = cost(withNorm(undefined), 2);
      const perHead = cost(withNorm('per-head'), 2);
      // 80 layers × kernels × 2 µs floor, plus q and k (32 + 4 heads × 128 per rank) read and written per token.
      const bytes = 80 * 8 * 2 * 2 * (32 + 4) * 128;
      near(perHead.overheadS - plain.overheadS, 80 * kernels * 2e-6 + bytes / 3.35e12 / 0.7, 0.02, `${backend} qk-norm overhead`);
      assert.equal(perHead.commS, plain.commS, 'a per-head norm needs no communication');
      const across = cost(withNorm('across-heads'), 2);
      const dc = resolveCalibration(h100(), backend);
      near(across.commS - plain.commS, 80 * 2 * commTimeS(dc, 'allreduce', 8 * 4, 2), 1e-9, `${backend} statistics all-reduce`);
      assert.equal(cost(withNorm('across-heads'), 1).commS, 0, 'one rank holds every head');
    }
  });

  it('rejects a parallelism that is not positive integers, saying what is accepted', () => {
    assert.throws(() => makeStepCost(ctxOf(h100(), llama70b(), { tp: 0, pp: 1, ep: 1, moeTp: 1, dp: 1 })), /tp: got 0; accepted: an integer ≥ 1/);
  });
});
