import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b200, deepseekV3, gptOssLike, h100, llama70b } from '../perf/fixtures-for-tests.js';
import {
  ENGINE_TIMING,
  engineSettings,
  exportedAggRole,
  GENERATED_TOKEN_HEADROOM,
  inferDisaggWorkers,
  inferredRole,
  INFERENCE_RULE,
  precisionOf,
  resolveRole,
  SGLANG_DEFAULT_RECV_DEVICES,
  SGLANG_SPEC_HOST_PER_SEQ_S,
  speculativeRecipe,
  specHostPerSeqS,
  TOKENIZE_S_PER_PROMPT_TOKEN,
  widerWorkers,
} from './deployment.js';
import { validationRow } from './fixtures-for-tests.js';
import type { RoleConfig, ValidationRow } from './rows.js';

const role = (r: Partial<RoleConfig>): RoleConfig => ({ batch: null, workers: null, tp: 1, pp: 1, dp: 1, moeTp: null, ep: 1, ...r });

test('inferred disagg: attention-TP decode comes as 4 workers, more past 64 clients each; prefill sized at full load', () => {
  assert.equal(INFERENCE_RULE.tpDecodeWorkers, 4);
  assert.equal(INFERENCE_RULE.maxBatchPerTpWorker, 64);
  assert.equal(INFERENCE_RULE.prefillTargetBusy, 1);
  // 100 clients on attention-TP workers: 4 workers of 25. They finish 100 / (1000 tokens × 20 ms) = 5 requests/s;
  // 5 × 0.5 s / 1.0 = 2.5 → 3 prefill workers.
  assert.deepEqual(inferDisaggWorkers(100, 1000, 1, () => 0.02, 0.5), { decodeWorkers: 4, prefillWorkers: 3 });
  // 1000 clients: ⌈1000 / 64⌉ = 16 workers.
  assert.equal(inferDisaggWorkers(1000, 1000, 1, () => 0.02, 0.05).decodeWorkers, 16);
  // Two clients: two workers, not four.
  assert.equal(inferDisaggWorkers(2, 1000, 1, () => 0.02, 0.05).decodeWorkers, 2);
});

test('inferred disagg: attention-DP decode takes the clients on as few workers as hold them (batch and KV cap)', () => {
  assert.equal(INFERENCE_RULE.maxBatchPerDpRank, 128);
  // 4096 clients on 32-rank workers: 4096 / (32 × 128) = 1 worker.
  assert.equal(inferDisaggWorkers(4096, 1000, 32, () => 0.02, 0.05).decodeWorkers, 1);
  // A KV cache holding only 40 full-length sequences per rank: ⌈4096 / (32 × 40)⌉ = 4 workers.
  assert.equal(inferDisaggWorkers(4096, 1000, 32, () => 0.02, 0.05, 40).decodeWorkers, 4);
});

test('inferred disagg: the decode step at the resulting batch sets the prefill demand', () => {
  const seen: number[] = [];
  const step = (perRank: number): number => {
    seen.push(perRank);
    return 0.01 + perRank * 1e-4;
  };
  const w = inferDisaggWorkers(100, 500, 1, step, 0.1);
  // 100 clients on 4 workers: 25 per worker.
  assert.deepEqual(seen, [25]);
  // 100 / (500 × 12.5 ms) = 16 requests/s × 0.1 s / 1.0 = 1.6 → 2.
  assert.equal(w.prefillWorkers, 2);
  assert.equal(w.decodeWorkers, 4);
});

test('inferred disagg: one client needs one worker of each', () => {
  assert.deepEqual(inferDisaggWorkers(1, 1000, 1, () => 0.01, 0.05), { decodeWorkers: 1, prefillWorkers: 1 });
});

test('inferred disagg layout: wide MoE decode workers and busy narrow ones run attention DP + wide EP', () => {
  const ds = deepseekV3();
  // 32 GPUs written as tp 32 / moe_tp 8 / ep 4: attention DP 32, EP 32.
  assert.deepEqual(inferredRole(role({ tp: 32, moeTp: 8, ep: 4 }), 'decode', ds, 64), role({ tp: 1, dp: 32, moeTp: 1, ep: 32 }));
  // 8 GPUs: TP at 100 clients (12.5 per GPU), DP at 256 (32 per GPU).
  assert.equal(inferredRole(role({ tp: 8, moeTp: 1, ep: 8 }), 'decode', ds, 100).tp, 8);
  assert.equal(inferredRole(role({ tp: 8, moeTp: 1, ep: 8 }), 'decode', ds, 256).dp, 8);
  // Prefill: EP over every GPU → attention DP; EP 1 stays attention TP.
  assert.equal(inferredRole(role({ tp: 4, moeTp: 1, ep: 4 }), 'prefill', ds, 10).dp, 4);
  assert.equal(inferredRole(role({ tp: 4, moeTp: 4, ep: 1 }), 'prefill', ds, 10).tp, 4);
  // Dense models are read as written.
  assert.equal(inferredRole(role({ tp: 32 }), 'decode', llama70b(), 4096).tp, 32);
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

const row = (r: Partial<ValidationRow>): ValidationRow => validationRow({ agg: role({}), ...r });

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

test('exported agg columns: tp_size = moe_tp × moe_ep beyond one node is TP moe_tp with EP moe_ep', () => {
  const ds = deepseekV3();
  // tp_size 16 written for a 4-GPU engine with 4-way EP (the row id says tp4_ep4).
  const a = exportedAggRole(role({ tp: 16, moeTp: 4, ep: 4 }), ds, 8);
  assert.deepEqual(a.role, role({ tp: 4, moeTp: 1, ep: 4 }));
  assert.match(a.note, /tp 4 with ep 4/);
  // Within one node the columns are taken as written.
  assert.equal(exportedAggRole(role({ tp: 8, moeTp: 1, ep: 8 }), ds, 8).note, '');
  // On an NVL72 rack the export convention is the same: still a 4-GPU engine, not attention TP 16 across the rack.
  assert.deepEqual(exportedAggRole(role({ tp: 16, moeTp: 4, ep: 4 }), ds, 72).role, role({ tp: 4, moeTp: 1, ep: 4 }));
  // Dense models are never reinterpreted.
  assert.equal(exportedAggRole(role({ tp: 16 }), llama70b(), 8).note, '');
});

test('exported agg columns: MoE tensor parallelism over more than 8 GPUs is a wide-EP engine', () => {
  const ds = deepseekV3();
  const a = exportedAggRole(role({ tp: 36, moeTp: 36, ep: 1, batch: 512 }), ds, 72);
  assert.deepEqual(a.role, role({ tp: 1, dp: 36, moeTp: 1, ep: 36 }));
  assert.equal(exportedAggRole(role({ tp: 8, moeTp: 8, ep: 1 }), ds, 72).note, '');
});

test('aiconfigurator rows: the generated config sizes the step to one prompt plus headroom', () => {
  const shape = { isl: 1024, maxBatchPerRank: 8, backendVersion: '0.5.6.post2' };
  const trt = engineSettings('trtllm', h100(), 'agg', 'aiconfigurator', {}, shape);
  // max_num_tokens = 8 + 1024 + 1500 = 2532, rounded up to a multiple of 32; no chunked prefill.
  assert.equal(GENERATED_TOKEN_HEADROOM, 1500);
  assert.equal(trt.tokenBudget, 2560);
  assert.equal(trt.chunkedPrefill, false);
  assert.equal(engineSettings('vllm', h100(), 'agg', 'aiconfigurator', {}, shape).tokenBudget, 2532);
  // InferenceX rows and disaggregated rows keep the engines' defaults.
  assert.equal(engineSettings('trtllm', h100(), 'agg', 'inferencex', {}, shape).tokenBudget, 8192);
  assert.equal(engineSettings('trtllm', h100(), 'disagg', 'aiconfigurator', {}, shape).tokenBudget, 8192);
  // SGLang: --enable-mixed-chunk (prefill steps carry the decodes) and --max-prefill-tokens 1024 + 1500, under the
  // default 16384-token chunk of a B200; 0.5.1.post1's template drops the flag, so those engines stay prefill-first.
  const sg = engineSettings('sglang', b200(), 'agg', 'aiconfigurator', {}, shape);
  assert.deepEqual([sg.policy, sg.tokenBudget, sg.decodesUseBudget], ['mixed', 2524, true]);
  const old = engineSettings('sglang', b200(), 'agg', 'aiconfigurator', {}, { ...shape, backendVersion: '0.5.1.post1' });
  assert.deepEqual([old.policy, old.tokenBudget], ['prefill-priority', 16384]);
  assert.equal(engineSettings('sglang', b200(), 'agg', 'inferencex', {}, shape).policy, 'prefill-priority');
});

test('SGLang: recipe polling interval per device, aiconfigurator frontend is a delay, not a queue', () => {
  // InferenceX's H200 SGLang scripts leave --scheduler-recv-interval at 1; the B200 ones set 10 / 30.
  const h200 = { ...h100(), id: SGLANG_DEFAULT_RECV_DEVICES[0]! };
  assert.equal(engineSettings('sglang', h200, 'agg', 'inferencex').timing.recvIntervalSteps, 1);
  assert.equal(engineSettings('sglang', h200, 'agg', 'inferencex').timing.firstTokenHoldSteps, ENGINE_TIMING.sglang.inferencex.firstTokenHoldSteps);
  assert.equal(engineSettings('sglang', b200(), 'agg', 'inferencex').timing.recvIntervalSteps, 30);
  // The AMD scripts set neither the polling nor the streaming interval: every step, first token at once.
  const mi355x = { ...b200(), id: 'mi355x', vendor: 'AMD' };
  const amd = engineSettings('sglang', mi355x, 'agg', 'inferencex').timing;
  assert.deepEqual([amd.recvIntervalSteps, amd.firstTokenHoldSteps], [1, 0]);
  assert.equal(engineSettings('sglang', mi355x, 'disagg', 'inferencex').timing, ENGINE_TIMING.sglang.inferencex);
  // A serial 30 ms per request would cap the engine at 33 requests/s; Dynamo's frontend only delays them.
  const fe = engineSettings('sglang', b200(), 'agg', 'aiconfigurator').frontend;
  assert.equal(fe.requestS, 0);
  assert.ok(fe.latencyS > 0);
});

test('inferred workers too small for the model are widened to 2, 4, then 8 GPUs', () => {
  const ds = deepseekV3();
  assert.deepEqual(
    widerWorkers(role({ tp: 1, ep: 1 }), ds).map((r) => [r.tp, r.dp, r.ep, r.moeTp]),
    [
      [1, 2, 2, 1],
      [1, 4, 4, 1],
      [1, 8, 8, 1],
    ],
  );
  // A dense model widens by TP; a worker of 4 GPUs only to 8.
  assert.deepEqual(widerWorkers(role({ tp: 4 }), llama70b()).map((r) => r.tp), [8]);
});

test('exported agg columns: an attention-DP degree multiplied by the EP degree is read back', () => {
  const ds = deepseekV3();
  // TensorRT-LLM recipe { tp: 8, ep: 8, dp-attn: true } exported as tp 1, dp 64, moe_tp 8, ep 8.
  const a = exportedAggRole(role({ tp: 1, dp: 64, moeTp: 8, ep: 8, batch: 2 }), ds, 8);
  assert.deepEqual(a.role, role({ tp: 1, dp: 8, moeTp: 1, ep: 8 }));
  assert.match(a.note, /attention DP 8 with ep 8/);
  // vLLM MiniMax tp 4, dp 4, ep 16: a 4-GPU worker, attention DP 4, EP 4.
  const v = exportedAggRole(role({ tp: 4, dp: 4, moeTp: 1, ep: 16, batch: 8 }), ds, 8);
  assert.deepEqual(v.role, role({ tp: 1, dp: 4, moeTp: 1, ep: 4 }));
  // Inside one 8-GPU node the columns are taken as written; on a 72-GPU rack dp 64 = 8 × 8 is the same convention.
  assert.equal(exportedAggRole(role({ tp: 1, dp: 8, moeTp: 1, ep: 8 }), ds, 8).note, '');
  assert.deepEqual(exportedAggRole(role({ tp: 1, dp: 64, moeTp: 8, ep: 8, batch: 2 }), ds, 72).role, a.role);
});

test('only the engines’ own Python servers (InferenceX single-node rows) tokenise prompts serially', () => {
  for (const backend of ['trtllm', 'vllm', 'sglang'] as const) {
    assert.equal(engineSettings(backend, h100(), 'agg', 'inferencex').frontend.perPromptTokenS, TOKENIZE_S_PER_PROMPT_TOKEN);
    assert.equal(engineSettings(backend, h100(), 'disagg', 'inferencex').frontend.perPromptTokenS, 0);
    assert.equal(engineSettings(backend, h100(), 'agg', 'aiconfigurator').frontend.perPromptTokenS, 0);
  }
  assert.ok(TOKENIZE_S_PER_PROMPT_TOKEN > 0);
});

test('MTP is read from the recipe image, compared whole: three drafts, one with attention DP', () => {
  const mtpRow = (source: string): ValidationRow =>
    ({ modelPath: 'deepseek-ai/DeepSeek-R1', source } as ValidationRow);
  const image = 'source_file=2026-03-25.csv; image=nvcr.io#nvidia/tensorrt-llm/release:1.2.0rc6.post3';
  assert.deepEqual(speculativeRecipe(mtpRow(image), 'trtllm', 1)?.draftTokens, 3);
  assert.deepEqual(speculativeRecipe(mtpRow(image), 'trtllm', 8)?.draftTokens, 1);
  assert.equal(speculativeRecipe(mtpRow(image.replace('post3', 'post2')), 'trtllm', 1), null);
  assert.equal(speculativeRecipe(mtpRow(`${image}-debug`), 'trtllm', 1), null);
  assert.equal(speculativeRecipe(mtpRow(image), 'sglang', 1), null);
});

test('TensorRT-LLM 1.1.0rc2.post2 DeepSeek runs are MTP only on the day of the MTP keys\' first sweep', () => {
  const ds = (measured: string): ValidationRow =>
    ({ modelPath: 'deepseek-ai/DeepSeek-R1', source: `source_file=2026-04-06.csv; model=DeepSeek-R1; measured=${measured}T00:00:00.000Z; image=nvcr.io#nvidia/tensorrt-llm/release:1.1.0rc2.post2` } as ValidationRow);
  assert.equal(speculativeRecipe(ds('2026-01-14'), 'trtllm', 1)?.draftTokens, 3);
  assert.equal(speculativeRecipe(ds('2026-01-14'), 'trtllm', 8)?.draftTokens, 1);
  assert.equal(speculativeRecipe(ds('2025-12-15'), 'trtllm', 1), null);
  assert.equal(speculativeRecipe({ modelPath: 'deepseek-ai/DeepSeek-R1', source: 'image=nvcr.io#nvidia/tensorrt-llm/release:1.1.0rc2.post2' } as ValidationRow, 'trtllm', 1), null);
});

test('GLM-5 on B200 SGLang drafts by its script, whatever the image, on InferenceX agg rows only', () => {
  const glm = (r: Partial<ValidationRow>): ValidationRow =>
    ({ modelPath: 'zhipuai/GLM-5', source: 'db-dump/2026-04-27; lmsysorg/sglang:nightly', mode: 'agg', system: 'b200_sxm', ...r } as ValidationRow);
  const spec = speculativeRecipe(glm({}), 'sglang', 1);
  assert.deepEqual([spec?.draftTokens, spec?.toldBy], [3, 'script']);
  assert.equal(speculativeRecipe(glm({ system: 'h200_sxm' }), 'sglang', 1), null);
  assert.equal(speculativeRecipe(glm({ mode: 'disagg' }), 'sglang', 1), null);
  assert.equal(speculativeRecipe(glm({ modelPath: 'zai-org/GLM-5.1' }), 'sglang', 1), null);
  assert.equal(speculativeRecipe(glm({ source: 'source_file=/x/aic-auto-gap-analysis/data/b200_sxm/sglang/0.5.6.post2/glm.csv' }), 'sglang', 1), null);
  assert.equal(speculativeRecipe(glm({}), 'vllm', 1), null);
});

test('Qwen3.5 on SGLang v0.5.9-cu130 is the EAGLE recipe (three drafts); its plain images are not', () => {
  const qwen = (source: string): ValidationRow => ({ modelPath: 'Qwen/Qwen3.5-397B-A17B', source } as ValidationRow);
  const mtp = 'source_file=2026-03-25.csv; image=lmsysorg/sglang:v0.5.9-cu130';
  assert.equal(speculativeRecipe(qwen(mtp), 'sglang', 1)?.draftTokens, 3);
  assert.equal(speculativeRecipe(qwen(`${mtp}-amd64`), 'sglang', 1), null);
  assert.equal(speculativeRecipe(qwen(mtp.replace('cu130', 'cu129-amd64')), 'sglang', 1), null);
  // DeepSeek ran both its recipes on that image: it tells nothing there.
  assert.equal(speculativeRecipe({ modelPath: 'deepseek-ai/DeepSeek-R1', source: mtp } as ValidationRow, 'sglang', 1), null);
  // SGLang's EAGLE worker of these images runs without the overlap scheduler: its host work per sequence shows.
  assert.equal(specHostPerSeqS('sglang'), SGLANG_SPEC_HOST_PER_SEQ_S);
  assert.equal(specHostPerSeqS('trtllm'), 0);
  // A copied result without provenance runs what its original ran (twins.ts).
  const copy = { modelPath: 'Qwen/Qwen3.5-397B-A17B', source: 'source_file=x.csv', twinImage: { image: 'sglang:v0.5.9-cu130', twinId: 'a' } } as ValidationRow;
  assert.equal(speculativeRecipe(copy, 'sglang', 1)?.draftTokens, 3);
});
