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
