import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { planReplay } from '../validate/deployment.js';
import { parseValidationCsv } from '../validate/rows.js';
import { replayDeps } from './validate-worker.js';

const DEV = fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url));

test('DeepSeek-R1 FP8 on four B200s (SGLang, 8k/1k, 32 clients) holds its clients: FP8 KV at mem-fraction 0.95', () => {
  const row = parseValidationCsv(fs.readFileSync(DEV, 'utf8'), DEV)
    .flatMap((p) => (p.ok ? [p.row] : []))
    .find((r) => r.id.startsWith('2026_04_06_deepseek_r1_b200_sxm_sglang_fp8_agg_8192x1024_c32_tp4'));
  assert.ok(row);
  const plan = planReplay(row, replayDeps());
  assert.ok(plan.ok && plan.topology.kind === 'colocated');
  // 32 prompts of up to 8,192 tokens and their outputs: ≈ 300k tokens. At BF16 KV and a 0.9 cap it held ≈ 38k.
  assert.ok(plan.topology.pool.kvTokensPerRank > 32 * 9216, `${plan.topology.pool.kvTokensPerRank} KV tokens`);
});

test('GLM-5 FP8 on eight B200s (SGLang, InferenceX) runs its script: FP8 KV, 128 running requests, EAGLE drafts', () => {
  const ds = parseValidationCsv(fs.readFileSync(DEV, 'utf8'), DEV)
    .flatMap((p) => (p.ok ? [p.row] : []))
    .find((r) => r.id === 'dsr1_b200_sglang_fp8_agg_1024x1024_c64_cfg87');
  assert.ok(ds && ds.agg);
  // The same deployment with GLM-5 and 256 clients: one engine, of which 128 run and the rest wait (glm5_fp8_b200.sh).
  const glm = { ...ds, id: 'glm5', modelPath: 'zhipuai/GLM-5', concurrency: 256, agg: { ...ds.agg, batch: 256 } };
  const plan = planReplay(glm, replayDeps());
  assert.ok(plan.ok && plan.topology.kind === 'colocated', plan.ok ? '' : plan.reason);
  const pool = plan.topology.pool;
  assert.equal(pool.replicas, 1);
  assert.equal(pool.maxSeqsPerRank, 128);
  assert.equal(pool.draftTokensPerStep, 3);
  assert.match(plan.note, /MTP 3 draft token\(s\) \(recipe script\)/);
  // DeepSeek's own row keeps its batch: the cap is GLM-5's script's, not SGLang's.
  const own = planReplay({ ...ds, concurrency: 256, agg: { ...ds.agg, batch: 256 } }, replayDeps());
  assert.ok(own.ok && own.topology.kind === 'colocated');
  assert.equal(own.topology.pool.maxSeqsPerRank, 256);
});
