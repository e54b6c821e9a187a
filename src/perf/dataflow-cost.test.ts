import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../hardware/catalog.js';
import type { Device } from '../hardware/types.js';
import { BUILTIN_CALIBRATION, resolveCalibration } from './calibration.js';
import { collectiveTimeS, commTimeS, linkOf } from './collectives.js';
import { dataflowTiming, DEFAULT_DATAFLOW_OP_LATENCY_S } from './dataflow-cost.js';
import { ctxOf, decodeShape, h100, llama70b, par, sramChip, untabledGpu } from './fixtures-for-tests.js';
import { gemmWork, generationAttnWork } from './roofline.js';
import { makeSramStepCost, sramStageModel } from './sram-pipeline.js';
import { makeStepCost } from './step-cost.js';

// The fixture LPU-like chip (1.2 PF fp8/bf16, 500 MB SRAM at 150 TB/s, 100 GB/s and 1 µs chip-to-chip) with a
// fill latency of 0.5 µs per dependent operator.
const FILL_S = 0.5e-6;
const chip = (fillS = FILL_S): Device => ({ ...sramChip(), dataflowOpLatencyS: { value: fillS, source: 'test' } });
const fp8 = { weightDtype: 'fp8', kvDtype: 'fp8' } as const;
const TP = 2;
const PP = 73;
const CTX = 1023; // 1,024 KV tokens: on the attention surface's grid, so the cost is the formula's exactly
const g = BUILTIN_CALIBRATION.generic;

/** max(compute, memory) of one operator: P = 1.2e15, SRAM 150 TB/s at full rate, the class's measured compute fraction. */
const bound = (w: { flops: number; bytes: number }, effCompute: number): number => {
  const c = w.flops / (1.2e15 * effCompute);
  const m = w.bytes / 150e12;
  const hi = Math.max(c, m);
  const lo = Math.min(c, m);
  return hi * Math.pow(1 + Math.pow(lo / hi, 64), 1 / 64);
};

test('batch-1 token latency of an SRAM pipeline = Σ per-operator (fills + bounds) + TP exchanges + pp hops, by hand', () => {
  // Llama-3.1-70B at fp8 on 2 × 73 chips; one decode token over 1,024 cached tokens. Per layer and chip (tp 2):
  // 32 heads and 4 KV heads of 128, FFN 28,672 / 2.
  const fc = g.gemm.fp8.effCompute;
  const layer =
    FILL_S + bound(gemmWork(1, 32 * 128 + 2 * 4 * 128, 8192, 'fp8'), fc) + // QKV
    FILL_S + bound(gemmWork(1, 8192, 32 * 128, 'fp8'), fc) + // O
    FILL_S + bound(gemmWork(1, 2 * 14336, 8192, 'fp8'), fc) + // gate + up
    FILL_S + bound(gemmWork(1, 8192, 14336, 'fp8'), fc) + // down
    2 * FILL_S + bound(generationAttnWork(1, CTX + 1, 32, 4, 128, 1), g.generationAttn.effCompute) + // QKᵀ, PV
    2 * (1e-6 + (8192 * 2) / 100e9) + // two all-reduces: one exchange, 2(n−1)/n = 1 of 16 KB at 100 GB/s
    (2 * (2 * 2 * 8192 + 2 * 3 * 8192 + 2 * 8192) + 2 * 3 * 14336) / (150e12 * 0.7); // norms, adds, RoPE, act
  const lmHead = FILL_S + bound(gemmWork(1, 128256 / 2, 8192, 'bf16'), g.gemm.bf16.effCompute) + 1e-6 + (0.5 * 128256 * 4) / 100e9;
  const hop = 1e-6 + (8192 * 2) / (100e9 * TP);
  const expected = 80 * layer + lmHead + PP * hop;
  const got = makeSramStepCost(ctxOf(chip(), llama70b(), par({ tp: TP, pp: PP }), fp8))(decodeShape(1, CTX)).totalS;
  assert.ok(Math.abs(got / expected - 1) < 1e-6, `${got} vs ${expected}`);
  // 0.75 ms (≈ 1,340 tokens/s per user): 241 µs of fills, 186 µs of TP exchanges, 76 µs of hops, the rest streaming.
});

test('no launch overhead on a dataflow chip: the only fixed latency is the fills, (6·L + 1) of them per token', () => {
  const step = (fillS: number): number => sramStageModel(ctxOf(chip(fillS), llama70b(), par({ tp: TP, pp: PP }), { ...fp8, backend: 'vllm' })).allLayersS(decodeShape(1, CTX)).totalS;
  // 4 GEMMs + 2 attention matmuls per layer and the LM head; no host step, no elementwise floors (even on vllm).
  assert.ok(Math.abs(step(FILL_S) - step(0) - (6 * 80 + 1) * FILL_S) < 1e-12, `${step(FILL_S) - step(0)}`);
});

test('a dataflow chip without a fill-latency figure uses the documented default (LPU v1: 320 cycles at 900 MHz)', () => {
  assert.deepEqual(dataflowTiming(sramChip()), { opLatencyS: DEFAULT_DATAFLOW_OP_LATENCY_S, assumed: true });
  assert.deepEqual(dataflowTiming(chip()), { opLatencyS: FILL_S, assumed: false });
  const groq = Catalog.builtin().get('groq');
  assert.ok(Math.abs(groq.dataflowOpLatencyS!.value! - 320 / 900e6) < 1e-15);
  assert.match(groq.dataflowOpLatencyS!.source, /techpowerup/);
  // Chip-to-chip: 16 links × 4 lanes × 30 Gb/s = 240 GB/s per direction; latency ≤ 3 µs (ISCA 2022).
  assert.equal(groq.scaleUp.bandwidthBytesPerS.value, 240e9);
  assert.equal(groq.scaleUp.latencyS.value, 3e-6);
});

test('GPU step costs do not change: the dataflow figure is ignored off the SRAM path, collectives keep the NCCL fit', () => {
  const ctx = ctxOf(h100(), llama70b(), par({ tp: 8 }), fp8);
  const withField = ctxOf({ ...h100(), dataflowOpLatencyS: { value: 1e-3, source: 'test' } }, llama70b(), par({ tp: 8 }), fp8);
  const shape = decodeShape(16, CTX);
  assert.equal(makeStepCost(withField)(shape).totalS, makeStepCost(ctx)(shape).totalS);
  // A GPU without tables: the all-reduce is the alpha–beta model with the fitted NCCL constants, as before.
  const gpu = untabledGpu();
  const dc = resolveCalibration(gpu, 'generic');
  for (const n of [2, 8, 16]) assert.equal(commTimeS(dc, 'allreduce', 1e6, n), collectiveTimeS('allreduce', 1e6, n, linkOf(gpu, n)));
});
