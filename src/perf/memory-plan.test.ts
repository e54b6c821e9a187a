import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ctxOf, deepseekV3, h100, llama70b, par, sramChip } from './fixtures-for-tests.js';
import { DEFAULT_ACTIVATION_RESERVE_BYTES, memoryPlan } from './memory-plan.js';

const GiB = 1024 ** 3;
/** Llama-3.1-70B: 70.554e9 params (layers 68.451e9 + embedding and LM head 2 × 1.0507e9 + norms) = 141.1 GB at bf16. */
const LLAMA70B_BF16_BYTES = 141.107e9;

describe('memoryPlan', () => {
  it('Llama-3.1-70B at bf16 does not fit one H100: 141 GB of weights, at least 2 chips', () => {
    const p = memoryPlan(ctxOf(h100(), llama70b()));
    assert.equal(p.fits, false);
    assert.equal(p.minChips, 2);
    assert.ok(Math.abs(p.weightBytesPerChip / LLAMA70B_BF16_BYTES - 1) < 1e-3);
    assert.match(p.reason ?? '', /Llama-3.1-70B at bf16 needs 141 GB of weights/);
    assert.match(p.reason ?? '', /at least 2 chips/);
  });

  it('fits 2 × H100 at tp=2 with KV = 2 × 80 GiB × 0.9 − 141.1 GB − 2 × 2 GiB activations', () => {
    const p = memoryPlan(ctxOf(h100(), llama70b(), par({ tp: 2 })));
    // 2 × 85.899e9 × 0.9 = 154.62e9; − 141.107e9 weights − 4.295e9 activations = 9.213e9 B.
    const expected = 2 * 80 * GiB * 0.9 - LLAMA70B_BF16_BYTES - 2 * DEFAULT_ACTIVATION_RESERVE_BYTES;
    assert.equal(p.fits, true);
    assert.equal(p.weightTier, 'hbm');
    assert.ok(Math.abs(p.kvCapacityBytes - expected) < 0.01e9, `${p.kvCapacityBytes} vs ${expected}`);
    // KV per token: 80 layers × 2 × 8 KV heads × 128 × 2 B = 327,680 B → ≈ 28k tokens fit.
    assert.equal(p.kvBytesPerToken, 327680);
    assert.ok(Math.abs(p.kvCapacityBytes / p.kvBytesPerToken - 28_120) < 30, 'about 28,120 tokens of KV');
  });

  it('honours the runtime reserve and activation options', () => {
    const p = memoryPlan(ctxOf(h100(), llama70b(), par({ tp: 2 })), { reserveFraction: 0.05, activationReserveBytes: 0 });
    assert.ok(Math.abs(p.kvCapacityBytes - (2 * 80 * GiB * 0.95 - LLAMA70B_BF16_BYTES)) < 0.01e9);
  });

  it('an SRAM-only chip needs ceil(weights / 500 MB) chips', () => {
    // fp8 matrices 68.451e9 × 1 B + bf16 embedding and LM head 2 × 1.0507e9 × 2 B + norms = 72.656e9 B
    // → ⌈72.656e9 / 500e6⌉ = 146 chips (DESIGN: "~140 Groq 3 LPUs" for 70B at 8 bits).
    const one = memoryPlan(ctxOf(sramChip(), llama70b(), par(), { weightDtype: 'fp8' }));
    assert.equal(one.fits, false);
    assert.equal(one.minChips, Math.ceil(72.656e9 / 500e6));
    assert.equal(one.minChips, 146);
    // A pipeline of 146 single-chip stages cannot work: one stage must hold the whole 2.1 GB LM head.
    const pp146 = memoryPlan(ctxOf(sramChip(), llama70b(), par({ pp: 146 }), { weightDtype: 'fp8' }));
    assert.equal(pp146.fits, false);
    // 8-way tensor parallel × 19 stages = 152 chips: 72.656e9 / 152 = 0.478 GB per chip, head 2.1 GB / 8 = 0.26 GB.
    const pipelined = memoryPlan(ctxOf(sramChip(), llama70b(), par({ tp: 8, pp: 19 }), { weightDtype: 'fp8' }));
    assert.equal(pipelined.weightTier, 'sram');
    assert.equal(pipelined.fits, true, pipelined.reason);
    assert.ok(Math.abs(pipelined.weightBytesPerChip / (72.656e9 / 152) - 1) < 0.01);
    // what SRAM is left after weights holds the KV cache (KV heads are 8, tp is 8: no copies)
    assert.ok(Math.abs(pipelined.kvCapacityBytes - (152 * 500e6 - 72.656e9)) < 0.05e9);
  });

  it('MLA latents are copied on every TP rank, so KV capacity counts each token once', () => {
    const ctx = ctxOf(h100(), deepseekV3(), par({ tp: 8, ep: 8 }), { weightDtype: 'fp8', moeDtype: 'fp8' });
    const p = memoryPlan(ctx);
    // 61 layers × (512 + 64) × 2 B = 70,272 B per token
    assert.equal(p.kvBytesPerToken, 61 * 576 * 2);
    // DeepSeek-V3 ≈ 671e9 params at fp8 over 8 chips ≈ 84 GB per chip > 75 GB usable: does not fit 8 × H100
    assert.equal(p.fits, false);
    assert.ok((p.minChips ?? 0) >= 9);
  });
});
