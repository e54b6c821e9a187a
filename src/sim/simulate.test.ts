import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import type { WorkloadSpec } from '../workload/types.js';
import { fixedKv, linearCost, poolConfig, testDevice, testModel } from './fixtures-for-tests.js';
import { summarise } from './metrics.js';
import { buildPool, type PoolDeps } from './pool.js';
import { simulate, type Deployment } from './simulate.js';

const deps = (fixedS: number, perTokenS: number, kvTokens = 1_000_000): PoolDeps => ({
  device: testDevice(),
  model: testModel(),
  precision: { weights: 'bf16', moe: 'bf16', kv: 'bf16' },
  backend: 'generic',
  memoryPlan: fixedKv(kvTokens),
  makeStepCost: linearCost(fixedS, perTokenS),
});

const oneRequest = (prompt: number, output: number): WorkloadSpec => ({
  arrival: { kind: 'closed', concurrency: 1, thinkTimeS: 0 },
  input: { kind: 'fixed', tokens: prompt },
  output: { kind: 'fixed', tokens: output },
  numRequests: 1,
  sessions: { turns: 1, thinkTimeS: 0, systemPromptTokens: 0 },
  trace: null,
});

const noSlo = { ttftS: null, tpotS: null };
const econ = { chips: 1, usdPerHour: 2, powerW: 1000, missing: [] };

test('one request on one replica: TTFT is one prefill step, TPOT one decode step (hand-checked)', () => {
  const pool = buildPool('colocated', 'pool', poolConfig(), deps(0.001, 1e-5));
  const out = simulate({ kind: 'colocated', pool }, { workload: oneRequest(100, 10), rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  // Prefill step: 1 ms + 100 tokens × 10 µs = 2 ms. Each decode step: 1 ms + 10 µs = 1.01 ms.
  assert.ok(Math.abs(m.ttftMs!.mean - 2) < 1e-9, `ttft ${m.ttftMs!.mean}`);
  assert.ok(Math.abs(m.tpotMs!.mean - 1.01) < 1e-9, `tpot ${m.tpotMs!.mean}`);
  // E2E = 2 + 9 × 1.01 ms.
  assert.ok(Math.abs(m.e2eMs!.mean - 11.09) < 1e-9);
  assert.equal(m.finished, 1);
});

test('chunked prefill splits a long prompt over steps of the token budget', () => {
  const pool = buildPool('colocated', 'pool', poolConfig({ scheduler: { maxNumBatchedTokens: 512 } }), deps(0.001, 1e-5));
  const out = simulate({ kind: 'colocated', pool }, { workload: oneRequest(1000, 2), rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  // Steps of 512 then 488 tokens: (1 + 5.12) + (1 + 4.88) = 12 ms to the first token.
  assert.ok(Math.abs(m.ttftMs!.mean - 12) < 1e-9, `ttft ${m.ttftMs!.mean}`);
});

test('closed loop obeys Little\'s law: throughput = concurrency / mean latency', () => {
  const pool = buildPool('colocated', 'pool', poolConfig(), deps(0.002, 2e-5));
  const workload: WorkloadSpec = { ...oneRequest(200, 50), arrival: { kind: 'closed', concurrency: 8, thinkTimeS: 0 }, numRequests: 800 };
  const out = simulate({ kind: 'colocated', pool }, { workload, rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  const littles = 8 / (m.e2eMs!.mean / 1e3);
  assert.ok(Math.abs(m.requestsPerS - littles) / littles < 0.02, `${m.requestsPerS} vs ${littles}`);
});

test('prefill/decode disaggregation adds the KV transfer to TTFT', () => {
  const d = deps(0.001, 1e-5);
  const prefill = buildPool('prefill', 'prefill', poolConfig(), d);
  const decode = buildPool('decode', 'decode', poolConfig(), d);
  // 1,000 bytes/token × 1,000 tokens = 1 MB over 1 GB/s = 1 ms, sent whole after the prefill, + 0.5 ms latency.
  const dep: Deployment = {
    kind: 'pd',
    prefill,
    decode,
    link: { bandwidthBytesPerS: 1e9, latencyS: 0.0005, layerwise: false, kvBytesPerToken: 1000, numLayers: 8 },
  };
  const out = simulate(dep, { workload: oneRequest(1000, 5), rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  // Prefill step 1 + 10 ms = 11 ms; + 1.5 ms transfer = 12.5 ms. Decode steps 1.01 ms each.
  assert.ok(Math.abs(m.ttftMs!.mean - 12.5) < 1e-9, `ttft ${m.ttftMs!.mean}`);
  assert.ok(Math.abs(m.tpotMs!.mean - 1.01) < 1e-9, `tpot ${m.tpotMs!.mean}`);
});

test('layer-wise KV transfer hides the part that overlaps the prefill', () => {
  const d = deps(0.001, 1e-5);
  const dep: Deployment = {
    kind: 'pd',
    prefill: buildPool('prefill', 'prefill', poolConfig(), d),
    decode: buildPool('decode', 'decode', poolConfig(), d),
    link: { bandwidthBytesPerS: 1e9, latencyS: 0, layerwise: true, kvBytesPerToken: 1000, numLayers: 8 },
  };
  const out = simulate(dep, { workload: oneRequest(1000, 5), rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  // Transfer 1 ms < prefill 11 ms: only the last layer's eighth (0.125 ms) is exposed.
  assert.ok(Math.abs(m.ttftMs!.mean - 11.125) < 1e-9, `ttft ${m.ttftMs!.mean}`);
});

test('a KV cache too small for the batch preempts and still finishes every request', () => {
  const pool = buildPool('colocated', 'pool', poolConfig({ scheduler: { blockSizeTokens: 16 } }), deps(0.001, 1e-5, 16 * 40));
  const workload: WorkloadSpec = { ...oneRequest(100, 200), arrival: { kind: 'closed', concurrency: 4, thinkTimeS: 0 }, numRequests: 12 };
  const out = simulate({ kind: 'colocated', pool }, { workload, rng: new Rng(1), slo: noSlo });
  assert.equal(out.metrics.numFinished, 12);
  assert.equal(out.metrics.outputTokens, 12 * 200);
  assert.equal(pool.replicas[0]!.sched.numUsedBlocks, 0);
});

test('economics follow DESIGN.md: $/Mtok = $/h / (tok/s × 3600) × 1e6', () => {
  const pool = buildPool('colocated', 'pool', poolConfig(), deps(0.001, 1e-5));
  const out = simulate({ kind: 'colocated', pool }, { workload: { ...oneRequest(100, 100), numRequests: 5 }, rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, { chips: 4, usdPerHour: 8, powerW: 4000, missing: [] }, out.numIssued);
  assert.ok(Math.abs(m.usdPerMTok! - (8 / (m.outputTokensPerS * 3600)) * 1e6) < 1e-9);
  assert.ok(Math.abs(m.joulesPerToken! - 4000 / m.outputTokensPerS) < 1e-9);
  assert.ok(Math.abs(m.tokensPerSPerMW! - m.outputTokensPerS / 0.004) < 1e-6);
  assert.ok(Math.abs(m.tokensPerSPerChip - m.outputTokensPerS / 4) < 1e-9);
});

test('metrics.cdf: ttft/tpot/itl/e2e CDFs in seconds that agree with the ms summaries', () => {
  const pool = buildPool('colocated', 'pool', poolConfig(), deps(0.002, 2e-5));
  const workload: WorkloadSpec = { ...oneRequest(200, 50), arrival: { kind: 'closed', concurrency: 8, thinkTimeS: 0 }, numRequests: 200 };
  const out = simulate({ kind: 'colocated', pool }, { workload, rng: new Rng(1), slo: noSlo });
  const m = summarise(out.metrics, econ, out.numIssued);
  for (const [key, summary] of [['ttftS', m.ttftMs], ['tpotS', m.tpotMs], ['itlS', m.itlMs], ['e2eS', m.e2eMs]] as const) {
    const cdf = m.cdf[key];
    assert.ok(cdf.length > 0, key);
    const at = (q: number): number => cdf.find(([p]) => p === q)![1];
    assert.ok(Math.abs(at(0.5) - summary!.p50 / 1e3) < 1e-12, `${key} p50`);
    assert.ok(Math.abs(at(0.99) - summary!.p99 / 1e3) < 1e-12, `${key} p99`);
    for (let i = 1; i < cdf.length; i++) assert.ok(cdf[i]![1] >= cdf[i - 1]![1], `${key} ascending`);
  }
});
