import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMMEDIATE_TIMING } from './bench-engine.js';
import { sglangScriptRecipe, sglangRecipeTiming, trtllmRecipeTiming, type RecipeShape } from './recipes.js';

const base = { ...IMMEDIATE_TIMING, admitLagSteps: 1, batchWaitSteps: 20, batchWaitTokenRatio: 0.9 };
const shape = (over: Partial<RecipeShape>): RecipeShape => ({
  modelPath: 'meta-llama/Llama-3.1-70B',
  isl: 1024,
  osl: 1024,
  attentionTp: 4,
  system: 'b200_sxm',
  ...over,
});

test('Llama-3.1-70B recipes batch contexts only at 1k/1k below TP 8', () => {
  assert.equal(trtllmRecipeTiming(base, shape({})).batchWaitSteps, 20);
  assert.equal(trtllmRecipeTiming(base, shape({ attentionTp: 8 })).batchWaitSteps, 0);
  assert.equal(trtllmRecipeTiming(base, shape({ osl: 8192 })).batchWaitSteps, 0);
  assert.equal(trtllmRecipeTiming(base, shape({ osl: 8192 })).batchWaitTokenRatio, 0);
});

test('gpt-oss recipes never batch contexts; the B200 script alone balances attention DP, at TensorRT-LLM defaults', () => {
  const t = trtllmRecipeTiming(base, shape({ modelPath: 'openai/gpt-oss-120b' }));
  assert.equal(t.batchWaitSteps, 0);
  assert.equal(t.admitLagSteps, 1);
  assert.equal(t.dpBalanceSteps, 50);
  assert.equal(t.dpBatchingWaitSteps, 10);
  const h200 = trtllmRecipeTiming(base, shape({ modelPath: 'openai/gpt-oss-120b', system: 'h200_sxm' }));
  assert.equal(h200.dpBalanceSteps, 0);
  assert.equal(h200.dpBatchingWaitSteps, 0);
});

test('a model without a recipe keeps the default timing', () => {
  assert.deepEqual(trtllmRecipeTiming(base, shape({ modelPath: 'some/unknown-model' })), base);
});

test('DeepSeek recipes balance attention DP for up to 60 steps without a batching wait and keep the default context batching', () => {
  const t = trtllmRecipeTiming(base, shape({ modelPath: 'deepseek-ai/DeepSeek-R1' }));
  assert.deepEqual(t, { ...base, dpBalanceSteps: 60, dpBatchingWaitSteps: 0 });
});

test('SGLang recipes poll every 10 steps below 16 clients and every 30 from 16; a device polling every step keeps it', () => {
  const every30 = { ...IMMEDIATE_TIMING, admitLagSteps: 1, recvIntervalSteps: 30, firstTokenHoldSteps: 9 };
  assert.equal(sglangRecipeTiming(every30, 4).recvIntervalSteps, 10);
  assert.equal(sglangRecipeTiming(every30, 15).recvIntervalSteps, 10);
  assert.equal(sglangRecipeTiming(every30, 16).recvIntervalSteps, 30);
  assert.equal(sglangRecipeTiming(every30, 256).recvIntervalSteps, 30);
  assert.equal(sglangRecipeTiming(every30, 4).firstTokenHoldSteps, 9);
  const everyStep = { ...every30, recvIntervalSteps: 1 };
  assert.equal(sglangRecipeTiming(everyStep, 4).recvIntervalSteps, 1);
});

test('SGLang memory recipes: FP8 KV on Blackwell quantised checkpoints, not on DeepSeek H200 nor BF16', () => {
  const dsFp8 = sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'b200_sxm', 'fp8')!;
  assert.equal(dsFp8.kvFp8, true);
  assert.equal(dsFp8.memFractionStatic(8), 0.82);
  assert.equal(dsFp8.memFractionStatic(4), 0.95);
  assert.equal(sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'h200_sxm', 'fp8')!.kvFp8, false);
  assert.equal(sglangScriptRecipe('Qwen/Qwen3.5-397B-A17B', 'b200_sxm', 'bf16')!.kvFp8, false);
  assert.equal(sglangScriptRecipe('Qwen/Qwen3.5-397B-A17B', 'h200_sxm', 'fp8')!.kvFp8, true);
  assert.equal(sglangScriptRecipe('openai/gpt-oss-120b', 'b200_sxm', 'fp4'), null);
  assert.equal(sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'h100_sxm', 'fp8'), null);
  // Chunked prefill as the DeepSeek FP8 scripts set it: 32768 at TP 8 (8192 at TP 4 on B200), 32768 on H200.
  assert.equal(dsFp8.chunkedPrefillTokens?.(8, 1024, 1024, 64), 32768);
  assert.equal(dsFp8.chunkedPrefillTokens?.(4, 8192, 1024, 32), 8192);
  assert.equal(sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'h200_sxm', 'fp8')!.chunkedPrefillTokens?.(8, 8192, 1024, 4), 32768);
  assert.equal(dsFp8.maxRunningRequests, undefined);
  // glm5_fp8_b200.sh: FP8 KV at 0.85, at most 128 running requests; GLM-5.1 and other GPUs have no such script here.
  const glm = sglangScriptRecipe('zhipuai/GLM-5', 'b200_sxm', 'fp8')!;
  assert.deepEqual([glm.kvFp8, glm.memFractionStatic(8), glm.maxRunningRequests?.(8, 1024, 1024)], [true, 0.85, 128]);
  assert.equal(sglangScriptRecipe('zai-org/GLM-5-FP8', 'b200_sxm', 'fp8')?.maxRunningRequests?.(8, 8192, 1024), 128);
  assert.equal(sglangScriptRecipe('zai-org/GLM-5.1-FP8', 'b200_sxm', 'fp8'), null);
  assert.equal(sglangScriptRecipe('zhipuai/GLM-5', 'h200_sxm', 'fp8'), null);
  // MI355X scripts, found by the catalog id whatever the row calls the system: 0.8, 4 continuous decode steps for
  // DeepSeek, a 196608-token chunk but 32768 for 8k/1k above 32 clients on FP4; GLM-5 with neither.
  const amdFp4 = sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'mi355x_oam', 'fp4', 'mi355x')!;
  assert.deepEqual([amdFp4.kvFp8, amdFp4.memFractionStatic(8), amdFp4.continuousDecodeSteps], [true, 0.8, 4]);
  assert.equal(amdFp4.chunkedPrefillTokens?.(8, 8192, 1024, 64), 32768);
  assert.equal(amdFp4.chunkedPrefillTokens?.(8, 8192, 1024, 32), 196608);
  assert.equal(sglangScriptRecipe('deepseek-ai/DeepSeek-R1', 'mi355x', 'fp8')!.kvFp8, false);
  const amdGlm = sglangScriptRecipe('zhipuai/GLM-5', 'mi355x', 'fp8')!;
  assert.deepEqual([amdGlm.kvFp8, amdGlm.continuousDecodeSteps, amdGlm.chunkedPrefillTokens], [false, undefined, undefined]);
});
