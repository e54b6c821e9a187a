import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ctxOf, decodeShape, llama70b, par, prefillShape, sramChip } from './fixtures-for-tests.js';
import { makeSramStepCost, sramAutoParallelism, sramHopLink, sramLayout, sramMemoryPlan, sramStageModel } from './sram-pipeline.js';
import type { Device } from '../hardware/types.js';

// Llama-3.1-70B at fp8: 68.451e9 matrix weights × 1 B + bf16 embedding and LM head 2 × 1.0507e9 × 2 B + norms
// = 72.656e9 B (memory-plan.test.ts). KV at fp8: 80 layers × 2 × 8 KV heads × 128 × 1 B = 163,840 B per token.
const WEIGHTS = 72.656e9;
const KV_PER_TOKEN = 163_840;
const fp8 = { weightDtype: 'fp8', kvDtype: 'fp8' } as const;

test('an SRAM pipeline holds 1/(tp·pp) of every weight per chip, embedding and LM head included', () => {
  const l = sramLayout(ctxOf(sramChip(), llama70b(), par({ tp: 2, pp: 73 }), fp8));
  assert.equal(l.chips, 146);
  assert.ok(Math.abs(l.weightBytesTotal / WEIGHTS - 1) < 1e-4, `${l.weightBytesTotal}`);
  assert.ok(Math.abs(l.weightBytesPerChip - l.weightBytesTotal / 146) < 1);
  assert.ok(l.fits, l.reason);
  // What SRAM is left holds the KV: 146 × 500 MB − 72.656 GB = 344 MB ≈ 2,100 tokens (8 KV heads, tp 2: no copies).
  assert.ok(Math.abs(l.kvCapacityBytes - (146 * 500e6 - l.weightBytesTotal)) < 1e3);
  assert.ok(Math.abs(l.kvCapacityBytes / KV_PER_TOKEN - 2_100) < 20);
});

test('chips: auto is ⌈weights / SRAM per chip⌉ laid out as tp × pp ≤ layers (DESIGN: ~140 Groq 3 LPUs for 70B)', () => {
  const p = sramAutoParallelism(ctxOf(sramChip(), llama70b(), par(), fp8), 0, 0);
  assert.ok(p);
  // ⌈72.656e9 / 500e6⌉ = 146 = 2 × 73 exactly (tp 1 would need 146 > 80 stages).
  assert.equal(p.tp * p.pp, 146);
  assert.deepEqual([p.tp, p.pp], [2, 73]);
});

test('a long-context all-SRAM deployment needs a large multiple of the chips: its KV cache', () => {
  const chips = (kvTokens: number): number => {
    const p = sramAutoParallelism(ctxOf(sramChip(), llama70b(), par(), fp8), kvTokens, 0)!;
    return p.tp * p.pp;
  };
  // 64 sequences of 1k tokens: 10.7 GB of KV on top of 72.7 GB of weights; of 32k tokens: 343.6 GB.
  const short = chips(64 * 1024);
  const long = chips(64 * 32768);
  assert.ok(short >= Math.ceil((WEIGHTS + 64 * 1024 * KV_PER_TOKEN) / 500e6), `${short}`);
  assert.ok(long >= Math.ceil((WEIGHTS + 64 * 32768 * KV_PER_TOKEN) / 500e6), `${long}`);
  // (72.7 + 343.6) / 72.7 = 5.7× the chips the weights alone need.
  assert.ok(long / 146 > 5.5, `${long} chips vs 146`);
  assert.ok(long / short > 4.5, `${long} vs ${short}`);
});

test('a model that does not fit the SRAM as sized is refused, with the chips that would hold it', () => {
  const plan = sramMemoryPlan(ctxOf(sramChip(), llama70b(), par({ tp: 8, pp: 10 }), fp8));
  assert.equal(plan.fits, false);
  assert.equal(plan.minChips, 146);
  assert.match(plan.reason ?? '', /72\.7 GB of weights/);
  assert.match(plan.reason ?? '', /146 chips would hold them, e\.g\. parallelism \{tp: 2, pp: 73\}/);
});

test('weights beyond the SRAM spill to a DRAM tier and stream at the blended rate', () => {
  const spill: Device = {
    ...sramChip(),
    memory: {
      ...sramChip().memory,
      dram: { capacityBytes: { value: 64e9, source: 't' }, bandwidthBytesPerS: { value: 1e12, source: 't' } },
    },
  };
  // 40 chips: 1.816 GB per chip, 0.5 GB in SRAM, 1.316 GB in DRAM: read time 0.5/150e12 + 1.316/1e12 s.
  const l = sramLayout(ctxOf(spill, llama70b(), par({ tp: 4, pp: 10 }), fp8));
  assert.ok(l.fits, l.reason);
  const per = l.weightBytesTotal / 40;
  const readS = 500e6 / 150e12 + (per - 500e6) / 1e12;
  assert.ok(Math.abs(l.weightBandwidthBytesPerS - per / readS) / (per / readS) < 1e-9);
  assert.equal(l.kvTier, 'dram');
});

test('decode steady state: up to pp micro-batches in flight cost no more time per token than one', () => {
  const ctx = ctxOf(sramChip(), llama70b(), par({ tp: 2, pp: 73 }), fp8);
  const step = makeSramStepCost(ctx);
  const one = step(decodeShape(1, 1000)).totalS;
  // 73 sequences ride as 73 micro-batches of one: each stage stays busy, each sequence still advances one
  // token per pp stage-times (their KV reads are per micro-batch, the same as one sequence's).
  const full = step(decodeShape(73, 1000)).totalS;
  assert.ok(Math.abs(full / one - 1) < 1e-9, `${full} vs ${one}`);
  // Beyond pp the micro-batches grow, and so does the step.
  assert.ok(step(decodeShape(146, 1000)).totalS > one);
  // The step is one traversal: all layers on one stage's chips plus pp hops (the last returns the token).
  const stage = sramStageModel(ctx);
  const hop = sramHopLink(sramChip());
  assert.ok(Math.abs(one - (stage.allLayersS(decodeShape(1, 1000)).totalS + 73 * stage.hopS(1))) < 1e-12);
  assert.equal(hop.latencyS, 1e-6);
});

test('a prefill fills and drains the pipeline: (pp + m − 1) stage-times', () => {
  const ctx = ctxOf(sramChip(), llama70b(), par({ tp: 2, pp: 73 }), fp8);
  const step = makeSramStepCost(ctx);
  const stage = sramStageModel(ctx);
  const s = prefillShape(1, 730);
  // m = 73 chunks of 10 tokens: (73 + 72) stage-times of (all layers / 73 + one hop).
  const chunk = prefillShape(1, 730);
  const micro = stage.allLayersS({ ...chunk, numTokens: 10, numSeqs: 1 / 73, numPrefillSeqs: 1 / 73, prefillTokens: 10, prefillAttnPairs: chunk.prefillAttnPairs / 73, prefillKvTokens: chunk.prefillKvTokens / 73 });
  const expected = (145 / 73) * micro.totalS + 145 * stage.hopS(10);
  assert.ok(Math.abs(step(s).totalS - expected) / expected < 1e-9, `${step(s).totalS} vs ${expected}`);
});

test('compiled execution: no per-step host overhead on an SRAM pipeline', () => {
  const ctx = ctxOf(sramChip(), llama70b(), par({ tp: 2, pp: 73 }), { ...fp8, backend: 'vllm' });
  const t = sramStageModel(ctx).allLayersS(decodeShape(1, 100));
  // vLLM's 0.7 ms step overhead and 5 elementwise kernel floors per layer (docs/perf.md) are absent; what is
  // left in overheadS is the elementwise traffic itself, well under a microsecond per layer here.
  assert.ok(t.overheadS < 80 * 1e-6, `${t.overheadS}`);
});
