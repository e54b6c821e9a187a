import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateScenario } from '../cli/eval-worker.js';
import { builtinModelIds, loadModel } from '../cli/load.js';
import { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import { expectedTokensConstant } from '../sim/spec.js';
import { poolFacts } from './bounds.js';
import { defaultDraftModels } from './drafts.js';
import { smallPlanRequest } from './fixtures-for-tests.js';
import { planDeployments } from './search.js';
import { parallelismOptions } from './space.js';
import type { PlanDeps, PlanRequest } from './types.js';

/**
 * The `afd` and `spec` generators against the real simulator, on a small problem (Llama-3.1-8B, fixed 512/128-token
 * requests at 20 req/s, 300 requests per simulation): what they print is a complete scenario that re-simulates to
 * the same figures, and what they chose analytically (ratio, m, k) is in it and explained.
 */
const catalog = Catalog.builtin();
const model = loadModel('meta-llama/Llama-3.1-8B-Instruct');
const draft = loadModel('meta-llama/Llama-3.2-1B-Instruct');
const deps: PlanDeps = { catalog, model, trace: null, memoryPlan, makeStepCost, draftModels: [draft], evaluate: async (s) => evaluateScenario(s) };

const request = (over: Partial<PlanRequest>): PlanRequest =>
  smallPlanRequest(model.id, { top: 2, spec: { acceptance: 0.9, maxK: 8, draftModels: [draft.id] }, ...over });

test('default draft rule: the smallest shipped model of the same family, at most 1/8 of the target', () => {
  const shipped: ModelArch[] = [];
  for (const id of builtinModelIds()) {
    try {
      shipped.push(loadModel(id));
    } catch {
      // configs the parser does not support are no drafts either
    }
  }
  const big = loadModel('meta-llama/Llama-3.3-70B-Instruct');
  // Llama-3.2-1B (1.24 B parameters) is the smallest LlamaForCausalLM with Llama 3's 128,256-token vocabulary.
  assert.deepEqual(defaultDraftModels(big, shipped).map((m) => m.id), ['meta-llama/Llama-3.2-1B-Instruct']);
  // For an 8B target, 1.24 B is 15 % of its size: more than 1/8, so the rule finds none (name one with --draft-models).
  assert.deepEqual(defaultDraftModels(model, shipped), []);
});

test('plan afd: an AFD winner is a complete scenario (ratio and m in it) that re-simulates to the same figures', async () => {
  const r = await planDeployments(request({ topologies: ['afd'] }), deps);
  assert.ok(r.best.length > 0, r.message ?? '');
  const b = r.best[0]!;
  assert.equal(b.kind, 'afd');
  const topo = b.scenario.topology;
  assert.equal(topo.kind, 'afd');
  if (topo.kind !== 'afd') return;
  assert.equal(typeof topo.microBatches, 'number');
  const ratio = topo.attention.replicas / topo.ffn.replicas;
  assert.ok(Number.isInteger(ratio) && ratio >= 1);
  assert.match(b.label, new RegExp(`\\[${ratio} × .* attention .* FFN\\], m ${topo.microBatches}$`));
  assert.match(b.notes.join(' '), new RegExp(`${ratio} attention replica\\(s\\) per FFN replica and m = ${topo.microBatches}`));
  assert.match(b.whyNotSmaller.join('\n'), /AFD units/);
  for (const c of b.bounds) assert.ok(c.ok, `${c.name} ${c.value} vs ${c.limit}`);
  const again = evaluateScenario(b.scenario);
  assert.ok(again.ok);
  assert.deepEqual(again.metrics, b.metrics);
  assert.ok(again.afd, 'the simulator reports the AFD pipeline');
});

test('plan spec: below the plain batch-1 floor only speculative decoding meets the TPOT, and its winner re-simulates', async () => {
  // Llama-3.3-70B at 2 req/s, drafted by Llama-3.2-1B (the default rule's draft for it). The fastest plain decode
  // step any allowed device takes at batch 1 on at most 2 chips per replica: within 3 chips no plain deployment's
  // TPOT beats it, while a 1-chip prefill, a 1-chip target and its 1-chip draft still fit.
  const big = loadModel('meta-llama/Llama-3.3-70B-Instruct');
  const bigDeps: PlanDeps = { ...deps, model: big };
  const precision = { weights: big.weightDtype, moe: big.weightDtype, kv: big.kvDtype };
  const caps = { maxNumSeqs: 256, maxNumBatchedTokens: 8192, reserveFraction: 0.1 };
  let floorS = Infinity;
  for (const id of ['h100', 'b200']) {
    const device = catalog.get(id);
    const facts = (par: Parameters<typeof poolFacts>[0]['par']) => poolFacts({ device, par, ...caps }, bigDeps, precision, 'vllm');
    for (const par of parallelismOptions(device, big, (p) => facts(p).fits)) {
      if (par.tp * par.pp <= 2) floorS = Math.min(floorS, facts(par).decodeStepS(1, 1));
    }
  }
  const tpotMs = 0.85 * floorS * 1e3;
  const over: Partial<PlanRequest> = {
    base: {
      seed: 3,
      model: big.id,
      workload: { arrival: { kind: 'poisson', ratePerS: 2 }, input: { kind: 'fixed', tokens: 512 }, output: { kind: 'fixed', tokens: 128 }, requests: 200 },
    },
    slo: { ttft: { percentile: 'p99', ms: 1000 }, tpot: { percentile: 'p99', ms: tpotMs }, minTokensPerSPerUser: null },
    limits: { maxChips: 3, maxUsdPerHour: null, maxMW: null },
  };
  const plain = await planDeployments(request({ ...over, topologies: ['colocated', 'pd'] }), bigDeps);
  assert.deepEqual(plain.best, []);

  const r = await planDeployments(request({ ...over, topologies: ['colocated', 'pd', 'spec'] }), bigDeps);
  assert.ok(r.best.length > 0, r.message ?? '');
  for (const b of r.best) {
    assert.equal(b.kind, 'spec');
    const spec = b.scenario.topology.spec;
    assert.ok(spec && spec.draft.kind === 'model' && spec.draft.model === draft.id);
    assert.equal(spec.acceptance, 0.9);
    assert.equal(typeof spec.k, 'number');
    const k = spec.k as number;
    // The note states the expectation the simulator's acceptance sampling converges to.
    assert.match(b.notes.join(' '), new RegExp(`k = ${k} .*= ${expectedTokensConstant(0.9, k).toFixed(2)} at α 0.9`));
    assert.ok(b.metrics.tpotMs!.p99 <= tpotMs);
    const again = evaluateScenario(b.scenario);
    assert.ok(again.ok);
    assert.deepEqual(again.metrics, b.metrics);
  }
});
