import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScenarioSchema } from '../scenario/schema.js';
import { normalQuantile, workloadStats } from './workload-stats.js';

test('normal quantile matches tabulated values (Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.99) = 2.326348)', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.99) - 2.326348) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232) < 1e-6);
});

test('workload stats read the trace rows the simulator replays, in order', () => {
  const s = ScenarioSchema.parse({
    model: 'm',
    topology: { kind: 'colocated', pool: { device: 'h100' } },
    workload: { trace: 't', input: { kind: 'trace' }, output: { kind: 'trace' }, arrival: { kind: 'poisson', ratePerS: 3 }, requests: 3 },
  });
  const trace = { name: 't', rows: [1, 2, 3, 1000].map((p) => ({ arrivalS: null, promptTokens: p * 10, outputTokens: p })) };
  const st = workloadStats(s, trace);
  // Only the first 3 rows are replayed: prompts 10, 20, 30; outputs 1, 2, 3.
  assert.equal(st.meanPromptTokens, 20);
  assert.equal(st.meanOutputTokens, 2);
  assert.equal(st.maxPromptTokens, 30);
  assert.equal(st.promptTokensAt(0.99), 30);
  assert.equal(st.ratePerS, 3);
});

test('log-normal prompt quantile: exp(μ + σ·z) with σ² = ln(1 + cv²), μ = ln(mean) − σ²/2', () => {
  const s = ScenarioSchema.parse({
    model: 'm',
    topology: { kind: 'colocated', pool: { device: 'h100' } },
    workload: { input: { kind: 'lognormal', mean: 1000, cv: 1, min: 1, max: 1e6 } },
  });
  const st = workloadStats(s, null);
  // σ² = ln 2 = 0.693147, μ = 6.907755 − 0.346574 = 6.561182; p99: exp(6.561182 + 0.832555 × 2.326348) = e^8.497993 = 4904.9
  assert.ok(Math.abs(st.promptTokensAt(0.99) - 4904.9) < 0.5);
});
