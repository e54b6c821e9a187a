/**
 * Decode fast-forward against step-by-step simulation under the same cost model (docs/performance.md).
 *  - With decode step times linear in the context read (any dependence on batch and prefill), the run's linear
 *    step times are exact: the same requests finish in the same order with the same token counts at the same
 *    times (to float rounding), in colocated, prefix-aware, least-loaded and PD deployments.
 *  - With curved step times (√ and a jump), the fitted step times are off by at most LINEAR_FIT_TOLERANCE each:
 *    timestamps drift by about that share of a busy period, and an arrival that lands within the drift of a
 *    step boundary joins one step earlier or later; token counts stay the same and the latency statistics agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import type { PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { WorkloadSpec } from '../workload/types.js';
import { fixedKv, poolConfig, testDevice, testModel } from './fixtures-for-tests.js';
import { summarise } from './metrics.js';
import { buildPool, type PoolDeps } from './pool.js';
import { simulate, type Deployment } from './simulate.js';

/** Decode time linear in the context read for a given batch (slope and intercept depend on the batch). */
const linearInContext = (_ctx: PerfContext) =>
  (s: StepShape): StepTime => {
    const attentionS = (2e-9 + 1e-10 * Math.sqrt(s.numDecodeSeqs)) * s.decodeKvTokens + 1e-8 * s.prefillAttnPairs;
    const gemmS = 0.004 + 2e-6 * s.numTokens + 1e-4 * Math.log1p(s.numSeqs);
    const totalS = gemmS + attentionS;
    return { totalS, gemmS, attentionS, moeS: 0, commS: 0, overheadS: 0 };
  };

/** A step cost that is not linear in the context read (√ and a jump), so the run's linear fit is exercised. */
const curvedCost = (_ctx: PerfContext) =>
  (s: StepShape): StepTime => {
    const kvPerSeq = s.numDecodeSeqs > 0 ? s.decodeKvTokens / s.numDecodeSeqs : 0;
    const attentionS = 2e-6 * Math.sqrt(s.decodeKvTokens) * (kvPerSeq > 600 ? 1.5 : 1) + 1e-8 * s.prefillAttnPairs;
    const gemmS = 0.004 + 2e-6 * s.numTokens;
    const totalS = gemmS + attentionS;
    return { totalS, gemmS, attentionS, moeS: 0, commS: 0, overheadS: 0 };
  };

const deps = (kvTokens: number, makeStepCost = linearInContext): PoolDeps => ({
  device: testDevice(),
  model: testModel(),
  precision: { weights: 'bf16', moe: 'bf16', kv: 'bf16' },
  backend: 'generic',
  memoryPlan: fixedKv(kvTokens),
  makeStepCost,
});

const workload = (n: number, ratePerS: number, turns = 3): WorkloadSpec => ({
  arrival: { kind: 'poisson', ratePerS },
  input: { kind: 'uniform', min: 20, max: 900 },
  output: { kind: 'uniform', min: 1, max: 400 },
  numRequests: n,
  // Multi-turn sessions draw the next turn when one finishes: the draws follow the finish order.
  sessions: { turns, thinkTimeS: 0.5, systemPromptTokens: 64 },
  trace: null,
});

interface Finished {
  readonly id: number;
  readonly firstTokenS: number;
  readonly finishS: number;
  readonly numOutputs: number;
}

function runBoth(makeDep: () => Deployment, w: WorkloadSpec): { step: Finished[]; fast: Finished[]; stepSteps: number; fastSteps: number } {
  const one = (fastForward: boolean): { done: Finished[]; steps: number } => {
    const dep = makeDep();
    const done: Finished[] = [];
    simulate(dep, {
      workload: w,
      rng: new Rng(7),
      slo: { ttftS: null, tpotS: null },
      fastForward,
      onFinished: (id, firstTokenS, finishS, numOutputs) => done.push({ id, firstTokenS, finishS, numOutputs }),
    });
    const pools = dep.kind === 'colocated' ? [dep.pool] : [dep.prefill, dep.decode];
    return { done, steps: pools.reduce((a, p) => a + p.replicas.reduce((b, r) => b + r.numSteps, 0), 0) };
  };
  const a = one(false);
  const b = one(true);
  return { step: a.done, fast: b.done, stepSteps: a.steps, fastSteps: b.steps };
}

/** Same finish order, token counts and steps; every first-token and finish time within `relTol` of the clock. */
function assertSameRun(r: ReturnType<typeof runBoth>, relTol: number): void {
  assert.ok(r.step.length > 100);
  assert.deepEqual(r.fast.map((f) => f.id), r.step.map((f) => f.id), 'finish order');
  assert.deepEqual(r.fast.map((f) => f.numOutputs), r.step.map((f) => f.numOutputs), 'tokens per request');
  assert.equal(r.fastSteps, r.stepSteps, 'steps accounted');
  let worst = 0;
  for (let i = 0; i < r.step.length; i++) {
    const a = r.step[i]!;
    const b = r.fast[i]!;
    worst = Math.max(worst, Math.abs(a.finishS - b.finishS) / a.finishS, Math.abs(a.firstTokenS - b.firstTokenS) / a.firstTokenS);
  }
  assert.ok(worst <= relTol, `worst relative time difference ${worst}`);
}

test('fast-forward = step by step, colocated, round-robin, prefix caching and a KV cache that preempts', () => {
  const make = (): Deployment => ({
    kind: 'colocated',
    pool: buildPool('colocated', 'pool', poolConfig({ replicas: 2, router: 'round-robin', scheduler: { blockSizeTokens: 16, maxNumBatchedTokens: 512 } }), deps(16 * 300)),
  });
  const r = runBoth(make, workload(600, 6));
  assertSameRun(r, 1e-12);
});

test('fast-forward = step by step, prefix-aware routing (runs never evict) and least-loaded routing', () => {
  for (const router of ['prefix-aware', 'least-loaded'] as const) {
    const make = (): Deployment => ({
      kind: 'colocated',
      pool: buildPool('colocated', 'pool', poolConfig({ replicas: 3, router, scheduler: { blockSizeTokens: 16 } }), deps(16 * 2000)),
    });
    assertSameRun(runBoth(make, workload(600, 8)), 1e-12);
  }
});

test('fast-forward = step by step, prefill/decode disaggregation', () => {
  const d = deps(16 * 4000);
  const make = (): Deployment => ({
    kind: 'pd',
    prefill: buildPool('prefill', 'prefill', poolConfig({ replicas: 1 }), d),
    decode: buildPool('decode', 'decode', poolConfig({ replicas: 2, router: 'round-robin' }), d),
    link: { bandwidthBytesPerS: 1e9, latencyS: 0.0005, layerwise: true, kvBytesPerToken: 1000, numLayers: 8 },
  });
  assertSameRun(runBoth(make, workload(500, 5)), 1e-12);
});

test('curved step times: the fit drifts timestamps by ~1e-5 of the clock, token counts and statistics agree', (t) => {
  const make = (): Deployment => ({
    kind: 'colocated',
    pool: buildPool('colocated', 'pool', poolConfig({ replicas: 2, router: 'round-robin' }), deps(1_000_000, curvedCost)),
  });
  // Single-turn requests: what each request is does not depend on when others finish.
  const r = runBoth(make, workload(800, 10, 1));
  const byId = new Map(r.step.map((f) => [f.id, f]));
  assert.equal(r.fast.length, r.step.length);
  const drift: number[] = [];
  for (const b of r.fast) {
    const a = byId.get(b.id)!;
    assert.equal(b.numOutputs, a.numOutputs, `request ${b.id} tokens`);
    drift.push(Math.abs(a.finishS - b.finishS) / a.finishS);
  }
  drift.sort((x, y) => x - y);
  const at = (q: number): number => drift[Math.floor(q * (drift.length - 1))]!;
  t.diagnostic(`finish-time drift / clock: p50 ${at(0.5).toExponential(1)}, p95 ${at(0.95).toExponential(1)}, max ${at(1).toExponential(1)}`);
  assert.ok(at(0.5) <= 1e-5 && at(0.95) <= 1e-4, `finish-time drift p50 ${at(0.5)}, p95 ${at(0.95)}`);

  const econ = { chips: 2, usdPerHour: 4, powerW: 2000, missing: [] };
  const ms = [false, true].map((fastForward) => {
    const out = simulate(make(), { workload: workload(800, 10, 1), rng: new Rng(7), slo: { ttftS: null, tpotS: null }, fastForward });
    return summarise(out.metrics, econ, out.numIssued);
  });
  const [a, b] = ms as [ReturnType<typeof summarise>, ReturnType<typeof summarise>];
  assert.equal(b.finished, a.finished);
  assert.equal(b.pools[0]!.steps, a.pools[0]!.steps);
  // TPOT, ITL and E2E move with the drift; TTFT (a few steps) also with the odd arrival that switched step.
  for (const [k, tol] of [['tpotMs', 1e-4], ['itlMs', 1e-4], ['e2eMs', 1e-4], ['ttftMs', 0.01]] as const) {
    const x = a[k]!;
    const y = b[k]!;
    t.diagnostic(`${k} mean: step by step ${x.mean.toFixed(4)}, fast-forward ${y.mean.toFixed(4)} (relative ${(Math.abs(x.mean - y.mean) / x.mean).toExponential(1)})`);
    assert.ok(Math.abs(x.mean - y.mean) / x.mean < tol, `${k} mean ${x.mean} vs ${y.mean}`);
  }
  // Weighted ITL samples sit within 0.1% of the exact gaps: at most a sketch bucket (1%) apart.
  for (const q of ['p50', 'p90', 'p99'] as const) assert.ok(Math.abs(a.itlMs![q] - b.itlMs![q]) / a.itlMs![q] <= 0.0101, `itl ${q}`);
  assert.ok(Math.abs(a.pools[0]!.utilisation - b.pools[0]!.utilisation) / a.pools[0]!.utilisation < 1e-4);
  assert.ok(Math.abs(a.pools[0]!.kvOccupancyMean - b.pools[0]!.kvOccupancyMean) / a.pools[0]!.kvOccupancyMean < 0.01);
});
