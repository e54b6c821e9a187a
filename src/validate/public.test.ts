import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import { h100, llama70b } from '../perf/fixtures-for-tests.js';
import type { ReplayDeps } from './deployment.js';
import { boundsExcess, deviceOfHardware, mlperfDeployment, modelOfName, predictPublic, summarisePublic, type MlperfTrial, type PublicPrediction, type PublicRecord } from './public.js';

test('published hardware names map to catalog devices; mixed systems do not', () => {
  assert.equal(deviceOfHardware('NVIDIA H100-SXM-80GB'), 'h100');
  assert.equal(deviceOfHardware('NVIDIA GB200 NVL72'), 'gb200');
  assert.equal(deviceOfHardware('NVIDIA B200-SXM-180GB'), 'b200');
  assert.equal(deviceOfHardware('AMD Instinct MI300X-NPS1-SPX-192GB-750W'), 'mi300x');
  assert.equal(deviceOfHardware('Cerebras CS-3 (WSE-3)'), 'wse3');
  // PCIe cards are not their SXM siblings (other links); GPUs from aiconfigurator's systems files by their names.
  assert.equal(deviceOfHardware('NVIDIA A100-PCIE-80GB'), 'a100-pcie');
  assert.equal(deviceOfHardware('NVIDIA A100-SXM4-80GB'), 'a100');
  assert.equal(deviceOfHardware('NVIDIA H100-PCIe-80GB'), 'h100-pcie');
  assert.equal(deviceOfHardware('NVIDIA H100 80GB HBM3'), 'h100');
  assert.equal(deviceOfHardware('NVIDIA L40S'), 'l40s');
  assert.equal(deviceOfHardware('NVIDIA RTX PRO 6000 Blackwell Server Edition'), 'rtx-pro-6000');
  assert.equal(deviceOfHardware('[MAXSUN] MS-Intel Arc Pro B60 Dual 48G Turbo'), 'arc-pro-b60');
  assert.equal(deviceOfHardware('NVIDIA H100 (x8) + Groq LPU (x64)'), null);
  assert.equal(deviceOfHardware('Abacus 9000'), null);
});

test('published model names map to shipped configs, with a note when one stands in for another', () => {
  const l2 = modelOfName('llama2-70b-99');
  assert.equal(l2?.id, 'meta-llama/Llama-3.1-70B');
  assert.match(l2!.note, /Llama-2-70B run as the Llama-3.1-70B architecture/);
  assert.deepEqual(modelOfName('DeepSeek-R1'), { id: 'deepseek-ai/DeepSeek-R1', note: '' });
  assert.equal(modelOfName('gpt-oss-120b')?.id, 'openai/gpt-oss-120b');
  assert.equal(modelOfName('some-unknown-model'), null);
});

const deps: ReplayDeps = {
  device: (id) => (id === 'h100' ? h100() : null),
  model: (id) => (id === 'meta-llama/Llama-3.1-70B' ? llama70b() : null),
  memoryPlan: (ctx, opts) => memoryPlan(ctx, opts),
  makeStepCost: (ctx) => makeStepCost(ctx),
};

const record = (r: Partial<PublicRecord>): PublicRecord => ({
  source: 'test',
  category: 'trtllm-perf-overview',
  model: 'Llama 3.1 70B',
  hardware: 'H100 SXM 80GB',
  chips: 4,
  engine: 'TensorRT-LLM',
  precision: 'FP8',
  input_len: 128,
  output_len: 128,
  concurrency_or_scenario: null,
  tokens_per_s_total: 5000,
  tokens_per_s_per_user: null,
  ttft_ms: null,
  tpot_ms: null,
  ...r,
});

test('a TensorRT-LLM table row is replayed as offline throughput of its TP group', () => {
  const [p] = predictPublic([record({})], deps);
  assert.equal(p!.kind, 'trtllm-table');
  assert.equal(p!.reason, '');
  assert.match(p!.deployment, /^tp 4 × pp 1 h100, trtllm, fp8, \d+ in flight$/);
  const tps = p!.predicted['tokensPerS']!;
  assert.ok(Number.isFinite(tps) && tps > 0, String(tps));
  // A group of 4 H100 cannot produce more than its HBM bandwidth allows per decode step over the whole batch:
  // far more than one user's speed, far less than 1 M tokens/s.
  assert.ok(tps > 100 && tps < 1e6, String(tps));
});

test('rows that cannot be simulated say why and are not predicted', () => {
  const preds = predictPublic(
    [
      record({ hardware: 'Abacus 9000' }),
      record({ model: 'some-unknown-model' }),
      record({ category: 'mlperf', concurrency_or_scenario: 'Offline' }),
    ],
    deps,
  );
  // Offline MLPerf rows are not compared (no latency); the other two carry their reason.
  assert.equal(preds.length, 2);
  assert.match(preds[0]!.reason, /hardware "Abacus 9000" not in the catalog/);
  assert.match(preds[1]!.reason, /no config for some-unknown-model/);
  assert.equal(preds[0]!.predicted['tokensPerS'], null);
});

test('the public summary: APE per kind, claims listed and never scored', () => {
  const p = (kind: PublicPrediction['kind'], measured: number, predicted: number | null): PublicPrediction => ({
    kind,
    model: 'm',
    hardware: 'H100',
    chips: 1,
    scenario: '',
    measured: kind === 'mlperf' ? { ttftP99: measured, tpotP99: measured } : { tokensPerS: measured },
    predicted: kind === 'mlperf' ? { ttftP99: predicted, tpotP99: predicted } : { tokensPerS: predicted },
    deployment: '',
    reason: '',
    note: '',
  });
  const s = summarisePublic([p('trtllm-table', 100, 110), p('trtllm-table', 100, 70), p('trtllm-table', 100, null), p('mlperf', 50, 100), p('claim', 10, 12)]);
  assert.equal(s.trtllm.rows, 3);
  assert.equal(s.trtllm.predicted, 2);
  assert.ok(Math.abs(s.trtllm.throughput.medianApe! - 0.2) < 1e-12);
  assert.equal(s.mlperf.ttftP99.medianApe, 1);
  assert.equal(s.claims.length, 1);
});

test('an MLPerf row is read as the smallest replayed deployment that meets its p99 bounds, else the closest', () => {
  const bounds = { ttft_limit_ms: 2000, tpot_limit_ms: 200 };
  const trial = (deployment: string, ttftP99: number | null, tpotP99: number | null, reason = ''): MlperfTrial =>
    ({ deployment, reason, ttftP99, tpotP99, ttftP50: null, tpotP50: null, rejected: 0 });
  // The larger of the two ratios to the bounds; no bound is nothing to meet.
  assert.equal(boundsExcess(trial('a', 3000, 100), bounds), 1.5);
  assert.equal(boundsExcess(trial('a', 1000, 300), bounds), 1.5);
  assert.equal(boundsExcess(trial('a', 5000, 300), {}), 1);
  assert.equal(boundsExcess(trial('a', null, 100), bounds), Number.POSITIVE_INFINITY);
  const small = trial('tp 1', 90000, 150);
  const mid = trial('tp 2', 1800, 190);
  const big = trial('tp 4', 900, 120);
  // Tried smallest first: the first within the bounds wins even when a larger one is faster.
  assert.equal(mlperfDeployment([small, mid, big], bounds)?.deployment, 'tp 2');
  // None within: the closest (3 000 / 2 000 = 1.5 beats 90 000 / 2 000 = 45).
  assert.equal(mlperfDeployment([small, trial('tp 2', 3000, 150)], bounds)?.deployment, 'tp 2');
  // Replayed trials beat ones that could not be replayed; with none replayed, the first keeps its reason.
  assert.equal(mlperfDeployment([trial('tp 1 bf16', null, null, 'no room for the KV cache'), small], bounds), small);
  assert.equal(mlperfDeployment([trial('tp 1', null, null, 'no room for the KV cache')], bounds)?.reason, 'no room for the KV cache');
  assert.equal(mlperfDeployment([], bounds), null);
});
