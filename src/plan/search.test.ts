import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateScenario } from '../cli/eval-worker.js';
import { loadModel } from '../cli/load.js';
import { UsageError } from '../core/errors.js';
import { Catalog } from '../hardware/catalog.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import { smallPlanRequest } from './fixtures-for-tests.js';
import { planDeployments } from './search.js';
import { mergePlans } from './shard.js';
import type { PlanDeps, PlanRequest } from './types.js';

/**
 * The planner against the real simulator, on a small problem: Llama-3.1-8B, fixed 512/128-token requests at
 * 20 req/s, 300 requests per simulation. Small enough to run the search several times.
 */
const model = loadModel('meta-llama/Llama-3.1-8B-Instruct');
let simulations = 0;
const deps: PlanDeps = {
  catalog: Catalog.builtin(),
  model,
  trace: null,
  memoryPlan,
  makeStepCost,
  evaluate: async (s) => {
    simulations++;
    return evaluateScenario(s);
  },
};

const request = (over: Partial<PlanRequest> = {}): PlanRequest => smallPlanRequest(model.id, over);

const baseline = planDeployments(request(), deps);

test('plan: the best deployments meet every bound, cheapest first, and re-simulate to the same figures', async () => {
  const r = await baseline;
  assert.ok(r.best.length > 0, r.message ?? '');
  assert.ok(r.best.length <= 3);
  for (let i = 1; i < r.best.length; i++) assert.ok(r.best[i - 1]!.usdPerHour <= r.best[i]!.usdPerHour);
  for (const b of r.best) {
    for (const c of b.bounds) assert.ok(c.ok, `${b.label}: ${c.name} ${c.value} vs ${c.limit}`);
    assert.ok(b.metrics.ttftMs!.p99 <= 300 && b.metrics.tpotMs!.p99 <= 15);
    // The printed scenario is complete: simulating it again gives the printed metrics, bit for bit.
    const again = evaluateScenario(b.scenario);
    assert.ok(again.ok);
    assert.deepEqual(again.metrics, b.metrics);
    assert.equal(b.usdPerHour, b.metrics.usdPerHour);
    assert.equal(b.whyNotSmaller.length, b.counts.length);
  }
  // The bounds did work: some shapes never needed a simulation.
  assert.ok(r.search.infeasibleByBound + r.search.prunedByBound > 0);
  assert.ok(r.search.simulations < r.search.searched * 8 + 1);
});

test('plan: the answer does not depend on the wave size or on sharding', async () => {
  const r = await baseline;
  const oneAtATime = await planDeployments(request({ waveSize: 1 }), deps);
  assert.deepEqual(oneAtATime.best, r.best);
  const shards = await Promise.all([0, 1, 2].map((index) => planDeployments(request({ shard: { index, count: 3 } }), deps)));
  assert.deepEqual(mergePlans(shards).best, r.best);
});

test('plan: one replica fewer in a pool fails, or is below the analytic bound', async () => {
  const r = await baseline;
  for (const b of r.best) {
    for (const why of b.whyNotSmaller) assert.match(why, /ruled out by the bound|>|already at 1 replica|rejected/, why);
  }
});

test('plan: devices the catalog cannot price or the perf model cannot cost are skipped with the reason', async () => {
  const r = await planDeployments(request({ hardware: { colocated: ['h100', 'wse3', 'groq3-lpu'], prefill: [], decode: [] }, top: 1 }), deps);
  const wse3 = r.skipped.find((s) => s.what === 'wse3');
  const groq = r.skipped.find((s) => s.what === 'groq3-lpu');
  assert.match(wse3?.reason ?? '', /FLOP/);
  assert.match(groq?.reason ?? '', /no rental price/);
  assert.ok(r.best.length === 1 && r.best[0]!.scenario.topology.kind === 'colocated');
});

test('plan: an impossible budget gives an empty answer with the reason, not an error', async () => {
  const before = simulations;
  const r = await planDeployments(request({ limits: { maxChips: null, maxUsdPerHour: 0.5, maxMW: null } }), deps);
  assert.deepEqual(r.best, []);
  assert.match(r.message ?? '', /within the limits/);
  assert.match(r.message ?? '', /--max-usd-per-hour 0.5/);
  // A chip costs more than $0.5/h: the bounds alone decide it.
  assert.equal(simulations, before);
});

test('plan: bad input is a UsageError naming the field', async () => {
  await assert.rejects(planDeployments(request({ slo: { ttft: { percentile: 'p99', ms: 0 }, tpot: null, minTokensPerSPerUser: null } }), deps), (e: unknown) => e instanceof UsageError && /TTFT/.test(e.message));
  await assert.rejects(planDeployments(request({ hardware: { colocated: ['h1000'], prefill: [], decode: [] } }), deps), UsageError);
  await assert.rejects(planDeployments(request({ slo: { ttft: null, tpot: null, minTokensPerSPerUser: null } }), deps), /at least one target/);
  await assert.rejects(planDeployments(request({ topologies: ['mesh'] }), deps), /colocated, pd/);
});

test('plan: a warm cache answers the same question without simulating', async () => {
  const { EvalCache } = await import('./cache.js');
  const cache = new EvalCache();
  const cold = await planDeployments(request({ top: 1 }), deps, cache);
  const saved = EvalCache.from(await cache.entries());
  const warm = await planDeployments(request({ top: 1 }), deps, saved);
  assert.equal(warm.search.simulations, 0);
  assert.equal(warm.search.cacheHits, cold.search.simulations);
  assert.deepEqual(warm.best, cold.best);
});
