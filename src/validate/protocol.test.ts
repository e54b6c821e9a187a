import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AICONFIGURATOR_PROTOCOL, drawRequests, INFERENCEX_PROTOCOL, protocolOf } from './protocol.js';
import { validationRow } from './fixtures-for-tests.js';
import { parseValidationCsv, type ValidationRow } from './rows.js';
import { repeatsMeasurement } from './twins.js';

const rowFrom = (source: string): ValidationRow =>
  validationRow({
    backend: 'sglang',
    backendVersion: '0.5.9',
    modelPath: 'Qwen/Qwen3.5-397B-A17B',
    gemmQuantMode: '',
    moeQuantMode: '',
    concurrency: 8,
    source,
    agg: { batch: 8, workers: null, tp: 8, pp: 1, dp: 1, moeTp: 8, ep: 1 },
  });

test("the aiconfigurator harness is told by its gap-analysis tree, not by a file's name", () => {
  const aic = 'source_file=/Users/x/projects/aic-auto-gap-analysis/data/h100_sxm/trtllm/1.0.0rc3/Qwen_Qwen3-32B.csv';
  assert.equal(protocolOf(rowFrom(aic)), AICONFIGURATOR_PROTOCOL);
  // A compilation of InferenceX results named after a gap analysis is still InferenceX.
  assert.equal(protocolOf(rowFrom('source_file=qwen3.5-397b-gap-analysis.csv; silicon_concurrency=8')), INFERENCEX_PROTOCOL);
  assert.equal(protocolOf(rowFrom('source_file=2026-04-06.csv; model=Qwen3.5; silicon_concurrency=8')), INFERENCEX_PROTOCOL);
});

test('InferenceX draws lengths from [0.8·L, L]; aiconfigurator sends exactly L', () => {
  const frontend = { requestS: 0, perPromptTokenS: 0 };
  const ix = drawRequests(INFERENCEX_PROTOCOL, 1000, 500, 16, frontend);
  assert.equal(ix.promptTokens.length, 160);
  assert.ok(ix.promptTokens.every((t) => t >= 800 && t <= 1000));
  assert.ok(ix.outputTokens.every((t) => t >= 400 && t <= 500));
  assert.ok(new Set(ix.promptTokens).size > 10, 'lengths vary');
  const aic = drawRequests(AICONFIGURATOR_PROTOCOL, 1000, 500, 16, frontend);
  assert.ok(aic.promptTokens.every((t) => t === 1000));
  assert.ok(aic.outputTokens.every((t) => t === 500));
});

test('the qwen3.5 gap-analysis compilation repeats InferenceX measurements (the evidence for reading it as InferenceX)', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url)), 'utf8');
  const rows = parseValidationCsv(text, 'silicon_dev.csv').flatMap((p) => (p.ok ? [p.row] : []));
  const compiled = rows.filter((r) => r.source.startsWith('source_file=qwen3.5-397b-gap-analysis.csv'));
  const others = rows.filter((r) => !/gap-analysis/.test(r.source));
  const twins = compiled.filter((g) => others.some((o) => repeatsMeasurement(o, g)));
  assert.equal(compiled.length, 59);
  assert.equal(twins.length, 58);
});
