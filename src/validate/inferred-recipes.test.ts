import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INFERENCEX_DISAGG_RECIPES } from './inferencex-disagg-recipes.js';
import { inferredRecipeOf, placeholderLayoutOf, recipeDeployment, servingImageOf } from './inferred-recipes.js';
import type { RoleConfig, ValidationRow } from './rows.js';

const role = (tp: number, ep: number): RoleConfig => ({ batch: null, workers: null, tp, pp: 1, dp: 1, moeTp: null, ep });
const inferredRow = (over: Partial<ValidationRow>): ValidationRow => ({
  id: 'x',
  line: 2,
  backend: 'trtllm',
  backendVersion: '0.8.1.post1',
  modelPath: 'deepseek-ai/DeepSeek-R1',
  system: 'b200_sxm',
  precision: 'fp4',
  mode: 'disagg',
  isl: 1024,
  osl: 1024,
  gemmQuantMode: 'nvfp4',
  moeQuantMode: 'nvfp4',
  concurrency: 10,
  source: 'source_file=2026-03-25.csv; model=DeepSeek-R1; image=nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post1',
  numGpus: null,
  agg: null,
  prefill: role(4, 4),
  decode: role(8, 4),
  measuredTtftMs: 1,
  measuredTpotMs: 1,
  ...over,
});

test('every entry has workers of at least one GPU and a concurrency list', () => {
  assert.ok(INFERENCEX_DISAGG_RECIPES.length > 300);
  for (const r of INFERENCEX_DISAGG_RECIPES) {
    assert.ok(r.prefill.workers >= 1 && r.prefill.gpus >= 1 && r.decode.workers >= 1 && r.decode.gpus >= 1, JSON.stringify(r));
    assert.ok(r.concurrencies.length > 0 && r.mtp >= 0, JSON.stringify(r));
  }
});

test('a listed concurrency picks the entry; with an MTP and a plain variant listing it, the plain one', () => {
  const r = inferredRecipeOf(inferredRow({ concurrency: 10 }))!;
  assert.equal(r.mtp, 0);
  assert.deepEqual([r.decode.workers, r.decode.gpus, r.decode.dpAttention, r.decodeBatch], [5, 8, false, 32]);
  // 875 clients: only the MTP entry with five DEP8 decode workers lists it.
  const m = inferredRecipeOf(inferredRow({ concurrency: 875 }))!;
  assert.deepEqual([m.mtp, m.decode.workers, m.decode.dpAttention], [3, 5, true]);
  const d = recipeDeployment(m);
  assert.deepEqual([d.mtpDraftTokens, d.decode.maxBatch, d.prefill.maxBatch], [3, 16, null]);
});

test('rows no entry lists keep the inference rule', () => {
  // 11 clients is within a factor 2 of the listed 10: that entry; 100,000 is far from every listed concurrency.
  assert.equal(inferredRecipeOf(inferredRow({ concurrency: 11 }))!.decode.workers, 5);
  assert.equal(inferredRecipeOf(inferredRow({ concurrency: 100000 })), null);
  assert.equal(inferredRecipeOf(inferredRow({ decode: role(16, 4) })), null);
  assert.equal(inferredRecipeOf(inferredRow({ system: 'h100_sxm' })), null);
  assert.equal(inferredRecipeOf(inferredRow({ modelPath: 'Qwen/Qwen3-32B' })), null);
  // Rows that give their worker counts are taken as written.
  assert.equal(inferredRecipeOf(inferredRow({ decode: { ...role(8, 4), workers: 5 } })), null);
});

test('the serving image, when candidates differ by it, chooses among them', () => {
  const base = { backend: 'sglang', backendVersion: '', precision: 'fp4', isl: 1024, osl: 1024, prefill: role(4, 4), decode: role(8, 4) };
  const listed = INFERENCEX_DISAGG_RECIPES.find((r) => r.system === 'b200' && r.backend === 'sglang' && r.precision === 'fp4' && r.isl === 1024);
  assert.ok(listed);
  const row = inferredRow({ ...base, concurrency: listed.concurrencies[0]!, source: `image=lmsysorg/${listed.image}`, prefill: role(listed.prefill.gpus, 4), decode: role(listed.decode.gpus, 4) });
  assert.equal(inferredRecipeOf(row)!.image, listed.image);
});

test('the serving image is compared whole: SGLang FP4 on B200 ran MTP on `…-cu130` and plain on `…-cu130-runtime`', () => {
  assert.equal(servingImageOf('source_file=x.csv; image=lmsysorg/sglang:v0.5.8.post1-cu130-runtime'), 'sglang:v0.5.8.post1-cu130-runtime');
  assert.equal(servingImageOf('source_file=x.csv; model=DeepSeek-R1'), null);
  const sglangRow = (image: string): ValidationRow =>
    inferredRow({ backend: 'sglang', concurrency: 16, source: `source_file=2026-03-25.csv; image=lmsysorg/sglang:${image}` });
  // 16 clients on DEP4 prefill / TEP8 decode: listed by the MTP entry and the plain one alike; the image decides.
  const mtp = inferredRecipeOf(sglangRow('v0.5.8.post1-cu130'))!;
  assert.deepEqual([mtp.mtp, mtp.decode.workers, mtp.image], [2, 5, 'sglang:v0.5.8.post1-cu130']);
  const plain = inferredRecipeOf(sglangRow('v0.5.8.post1-cu130-runtime'))!;
  assert.deepEqual([plain.mtp, plain.decode.workers, plain.image], [0, 5, 'sglang:v0.5.8.post1-cu130-runtime']);
});

test('GB200 SGLang rows of December 2025 carry placeholder columns: the image and concurrency find the entry', () => {
  const placeholder = (isl: number, concurrency: number, image: string): ValidationRow =>
    inferredRow({
      backend: 'sglang',
      system: 'gb200',
      precision: 'fp8',
      isl,
      concurrency,
      prefill: role(1, 1),
      decode: role(1, 1),
      source: `source_file=2026-03-25.csv; image=lmsysorg/sglang:${image}`,
    });
  const low = inferredRecipeOf(placeholder(1024, 8, 'v0.5.5.post2'))!;
  assert.deepEqual([low.prefill.gpus, low.decode.workers, low.decode.gpus, low.decode.dpAttention], [4, 4, 4, false]);
  const high = inferredRecipeOf(placeholder(8192, 2048, 'v0.5.5.post2'))!;
  assert.deepEqual([high.prefill.workers, high.prefill.gpus, high.decode.gpus, high.decode.dpAttention], [5, 8, 32, true]);
  // Another image's rows are matched by their GPUs as usual: one-GPU roles fit no entry.
  assert.equal(inferredRecipeOf(placeholder(1024, 8, 'v0.5.8.post1-cu130')), null);
});

test('a fully given row on the GB200 SGLang December image keeps its worker counts but takes the launch scripts\' layout', () => {
  const row = inferredRow({
    backend: 'sglang',
    system: 'gb200',
    modelPath: 'deepseek-ai/DeepSeek-V3',
    precision: 'fp8',
    concurrency: 64,
    source: 'db-dump/2026-04-27; config_id=227; workflow_run_id=227; lmsysorg/sglang:v0.5.5.post2',
    // As the dump writes it: attention DP 4 on one-GPU-TP roles; the low-latency script runs TP4 without DP.
    prefill: { batch: 1, workers: 1, tp: 1, pp: 1, dp: 4, moeTp: 1, ep: 1 },
    decode: { batch: 4, workers: 4, tp: 1, pp: 1, dp: 4, moeTp: 1, ep: 1 },
  });
  const read = placeholderLayoutOf(row, 256)!;
  assert.deepEqual([read.row.decode!.workers, read.row.decode!.tp, read.row.decode!.dp, read.row.decode!.batch], [4, 4, 1, null]);
  assert.deepEqual([read.row.prefill!.workers, read.row.prefill!.tp, read.row.prefill!.dp], [1, 4, 1]);
  assert.equal(servingImageOf(row.source), 'sglang:v0.5.5.post2');
  // Another image, or worker counts no entry has, keep the columns as written.
  assert.equal(placeholderLayoutOf({ ...row, source: 'db-dump/x; lmsysorg/sglang:v0.5.8.post1-cu130' }, 256), null);
  assert.equal(placeholderLayoutOf({ ...row, decode: { ...row.decode!, workers: 3 } }, 256), null);
});
