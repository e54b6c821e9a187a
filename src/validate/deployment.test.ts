import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b200, deepseekV3, gptOssLike, h100, llama70b } from '../perf/fixtures-for-tests.js';
import {
  inferDisaggWorkers,
  MAX_DECODE_BATCH_PER_DP_RANK,
  MAX_DECODE_BATCH_PER_TP_WORKER,
  PREFILL_TARGET_BUSY,
  precisionOf,
  resolveRole,
} from './deployment.js';
import type { RoleConfig, ValidationRow } from './rows.js';

const role = (r: Partial<RoleConfig>): RoleConfig => ({ batch: null, workers: null, tp: 1, pp: 1, dp: 1, moeTp: null, ep: 1, ...r });

test('inferred disagg: decode workers hold the clients at B_max per rank, prefill keeps up at 70 % busy', () => {
  // 1000 clients on attention-TP decode workers: ⌈1000 / 64⌉ = 16 workers.
  // They finish 1000 / (1000 tokens × 20 ms) = 50 requests/s; 50 × 50 ms / 0.7 = 3.6 → 4 prefill workers.
  const w = inferDisaggWorkers(1000, 1000, 1, () => 0.02, 0.05);
  assert.equal(MAX_DECODE_BATCH_PER_TP_WORKER, 64);
  assert.equal(PREFILL_TARGET_BUSY, 0.7);
  assert.deepEqual(w, { decodeWorkers: 16, prefillWorkers: 4 });
  // Attention-DP decode workers of 8 ranks take 256 per rank: 4096 clients → 2 workers.
  assert.equal(MAX_DECODE_BATCH_PER_DP_RANK, 256);
  assert.equal(inferDisaggWorkers(4096, 1000, 8, () => 0.02, 0.05).decodeWorkers, 2);
});

test('inferred disagg: the decode step at the resulting batch sets the prefill demand', () => {
  const seen: number[] = [];
  const step = (perRank: number): number => {
    seen.push(perRank);
    return 0.01 + perRank * 1e-4;
  };
  const w = inferDisaggWorkers(100, 500, 1, step, 0.1);
  // 100 clients on 2 workers: 50 per worker.
  assert.deepEqual(seen, [50]);
  // 100 / (500 × 15 ms) = 13.3 requests/s × 0.1 s / 0.7 = 1.9 → 2.
  assert.equal(w.prefillWorkers, 2);
  assert.equal(w.decodeWorkers, 2);
});

test('inferred disagg: one client needs one worker of each', () => {
  assert.deepEqual(inferDisaggWorkers(1, 1000, 1, () => 0.01, 0.05), { decodeWorkers: 1, prefillWorkers: 1 });
});

test('a tp_size that does not divide the heads is read as attention data parallelism', () => {
  const r = resolveRole(role({ tp: 36, moeTp: 1, ep: 36 }), deepseekV3(), 'decode');
  assert.ok(typeof r !== 'string', String(r));
  assert.deepEqual(r.par, { tp: 1, pp: 1, dp: 36, ep: 36, moeTp: 1 });
  assert.match(r.note, /tp_size 36 read as attention tp 1 × dp 36/);
});

test('an empty attention_dp_size with a wider MoE group is read as attention DP', () => {
  const r = resolveRole(role({ tp: 1, moeTp: 1, ep: 8 }), deepseekV3(), 'agg');
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.par.dp, 8);
  assert.match(r.note, /attention_dp_size read as 8/);
});

test('inconsistent parallelism is an error with its reason', () => {
  const bad = resolveRole(role({ tp: 8, dp: 2, moeTp: 1, ep: 4 }), deepseekV3(), 'agg');
  assert.equal(typeof bad, 'string');
  assert.match(bad as string, /moe_tp_size 1 × moe_ep_size 4 ≠ tp_size 8 × attention_dp_size 2/);
  const tooWide = resolveRole(role({ tp: 1, dp: 512, moeTp: 1, ep: 512 }), deepseekV3(), 'agg');
  assert.match(tooWide as string, /exceeds the model's 256 experts/);
  const pp = resolveRole(role({ tp: 8, pp: 200 }), llama70b(), 'agg');
  assert.match(pp as string, /pp_size 200 exceeds/);
});

const row = (r: Partial<ValidationRow>): ValidationRow => ({
  id: 'x',
  line: 2,
  backend: 'trtllm',
  backendVersion: '',
  modelPath: '',
  system: 'b200_sxm',
  precision: 'fp8',
  mode: 'agg',
  isl: 1024,
  osl: 1024,
  gemmQuantMode: 'fp8',
  moeQuantMode: 'fp8',
  concurrency: 1,
  source: '',
  numGpus: null,
  agg: role({}),
  prefill: null,
  decode: null,
  measuredTtftMs: 1,
  measuredTpotMs: 1,
  ...r,
});

test('precision: block-scaled fp8 checkpoints run fp8_block kernels; TensorRT-LLM quantised keeps an fp8 KV cache', () => {
  const p = precisionOf(row({}), deepseekV3(), b200(), true);
  assert.ok(typeof p !== 'string');
  assert.equal(p.gemmQuant, 'fp8_block');
  assert.equal(p.kv, 'fp8');
  const v = precisionOf(row({ backend: 'vllm' }), deepseekV3(), b200(), true);
  assert.ok(typeof v !== 'string');
  assert.equal(v.kv, 'bf16');
});

test('precision: gpt-oss experts are MXFP4, W4A16 on Hopper and W4A8 on Blackwell', () => {
  const r = row({ precision: 'fp4', gemmQuantMode: 'bf16', moeQuantMode: 'nvfp4' });
  const model = { ...gptOssLike(), expertWeightDtype: 'fp4' as const, quantScaleBytesPerElement: 1 / 32 };
  const hopper = precisionOf(r, model, h100(), false);
  const blackwell = precisionOf(r, model, b200(), false);
  assert.ok(typeof hopper !== 'string' && typeof blackwell !== 'string');
  assert.equal(hopper.moeQuant, 'w4a16_mxfp4');
  assert.equal(blackwell.moeQuant, 'w4a8_mxfp4');
});

test('precision: an unknown quantisation mode is refused with the accepted ones', () => {
  const p = precisionOf(row({ gemmQuantMode: 'int3' }), llama70b(), b200(), false);
  assert.equal(typeof p, 'string');
  assert.match(p as string, /unsupported gemm_quant_mode "int3" \(accepted: /);
});
