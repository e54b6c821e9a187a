import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { Catalog } from '../hardware/catalog.js';
import { layerPlan } from '../models/layer-plan.js';
import type { ModelArch } from '../models/types.js';
import { afdStepFormulaS } from '../perf/afd-timeline.js';
import type { PerfContext, StepShape, StepTime } from '../perf/types.js';
import { ScenarioSchema, type ScenarioInput } from '../scenario/schema.js';
import { fixedKv, testDevice, testModel } from './fixtures-for-tests.js';
import { runScenario, type RunDeps } from './run.js';
import { expectedTokensConstant, expectedTokensPerRound } from './spec.js';

/**
 * The AFD pipeline and speculative decoding in the event-driven simulator, on hand-made chips whose step costs
 * are linear per layer, so every expected number is a hand calculation.
 */

const US = 1e-6;
// Per layer: attention A0 + A1·tokens, FFN E0 + E1·tokens; per step: HEAD (embedding, LM head, overheads).
const A0 = 20 * US;
const A1 = 0.5 * US;
const E0 = 30 * US;
const E1 = 0.25 * US;
const HEAD = 100 * US;

function layerCounts(m: ModelArch): { attn: number; ffn: number } {
  const plan = layerPlan(m);
  return { attn: plan.filter((l) => l.mixer !== 'none').length, ffn: plan.filter((l) => l.ffn !== 'none').length };
}

/** A step model that charges every layer its attention and FFN parts: the AFD model's differencing sees them. */
const perLayerCost = (ctx: PerfContext) => {
  const { attn, ffn } = layerCounts(ctx.model);
  return (s: StepShape): StepTime => {
    const totalS = HEAD + attn * (A0 + A1 * s.numTokens) + ffn * (E0 + E1 * s.numTokens);
    return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
  };
};

const catalog = Catalog.of([testDevice('gpu'), testDevice('ffnchip'), testDevice('draftchip', 1, 500)], 'test');

function deps(model: ModelArch = testModel(), draftModel?: ModelArch): RunDeps {
  return { catalog, model, trace: null, memoryPlan: fixedKv(1_000_000), makeStepCost: perLayerCost, ...(draftModel ? { draftModel } : {}) };
}

function scenario(topology: ScenarioInput['topology'], concurrency: number, outputTokens: number, requests = concurrency): ReturnType<typeof ScenarioSchema.parse> {
  return ScenarioSchema.parse({
    model: 'test/llama-ish',
    backend: 'generic',
    topology,
    workload: {
      arrival: { kind: 'closed', concurrency },
      input: { kind: 'fixed', tokens: 100 },
      output: { kind: 'fixed', tokens: outputTokens },
      requests,
    },
  });
}

const HIDDEN = testModel().hiddenSize;
const L = testModel().numLayers;

const afd = (latencyS: number, microBatches: number | 'auto' = 1, attentionReplicas = 1) => ({
  kind: 'afd' as const,
  attention: { device: 'gpu', replicas: attentionReplicas },
  ffn: { device: 'ffnchip' },
  microBatches,
  link: { class: 'custom' as const, bandwidthBytesPerS: 1e12, latencyS },
});

test('AFD in the simulator: one user decodes at the pipeline formula L·(T_a + T_e + 2·T_c) + head', () => {
  const r = runScenario(scenario(afd(5 * US), 1, 20), deps());
  // One sequence, one micro-batch: T_a = 20.5 µs, T_e = 30.25 µs, T_c = 5 µs + 2,048 B / 1e12 B/s.
  const tc = 5 * US + (1 * HIDDEN * 2) / 1e12;
  const expected = afdStepFormulaS({ attentionS: A0 + A1, ffnS: E0 + E1, hopLatencyS: tc, hopTransferS: 0, microBatches: 1, layers: L }) + HEAD;
  assert.ok(Math.abs(expected - (8 * (20.5 + 30.25 + 10) * US + 2 * 8 * 2.048e-9 + HEAD)) < 1e-12, 'the formula is the hand sum');
  assert.ok(Math.abs(r.metrics.tpotMs!.mean / 1e3 - expected) < 1e-12, `TPOT ${r.metrics.tpotMs!.mean} ms vs ${expected * 1e3} ms`);
  assert.equal(r.afd?.hopsPerToken, 2 * L);
});

test('AFD in the simulator: m micro-batches of a bigger batch follow R + T_f·(m·L − 1) when the hops are hidden', () => {
  // 4 users, 4 micro-batches of one sequence each: T_f = T_e = 30.25 µs, R = 60.75 + 2·T_c; m·T_f = 121 µs ≥ R.
  // The first user's prefill runs alone (the others arrive while it runs), so its first decode step is mixed;
  // over 2,000 tokens that one step moves the mean TPOT by < 0.05 %.
  const r = runScenario(scenario(afd(5 * US, 4), 4, 2000), deps());
  const tc = 5 * US + (HIDDEN * 2) / 1e12;
  const s = { attentionS: A0 + A1, ffnS: E0 + E1, hopLatencyS: tc, hopTransferS: 0, microBatches: 4, layers: L };
  const r1 = s.attentionS + s.ffnS + 2 * tc;
  assert.ok(4 * s.ffnS >= r1, 'this case hides the hops');
  const expected = r1 + s.ffnS * (4 * L - 1) + HEAD;
  assert.ok(Math.abs(r.metrics.tpotMs!.mean / 1e3 / expected - 1) < 1e-3, `TPOT ${r.metrics.tpotMs!.mean} ms vs ${expected * 1e3} ms`);
  assert.equal(r.afd?.hopsHidden, true);
  // Two attention replicas per FFN: each holds half the sequences (T_a of half the tokens) and the chips add up.
  const two = runScenario(scenario(afd(5 * US, 4, 2), 8, 20), deps());
  assert.equal(two.afd?.attentionReplicasPerUnit, 2);
  assert.equal(two.chips, 3);
});

test('AFD: tokens/s per user falls with the per-hop latency, by 2 hops per layer per token', () => {
  const speed = (lat: number): number => runScenario(scenario(afd(lat), 1, 20), deps()).metrics.tokensPerSPerUser!;
  const tpot = (lat: number): number => runScenario(scenario(afd(lat), 1, 20), deps()).metrics.tpotMs!.mean / 1e3;
  const speeds = [0, 2, 5, 10, 20].map((us) => speed(us * US));
  for (let i = 1; i < speeds.length; i++) assert.ok(speeds[i]! < speeds[i - 1]!, `speeds ${speeds.join(', ')}`);
  // Each µs of hop latency costs 2·L µs per token: 16 µs for this 8-layer model.
  assert.ok(Math.abs(tpot(10 * US) - tpot(0) - 2 * L * 10 * US) < 1e-12);
});

const spec = (acceptance: number | number[], k: number | 'adaptive', draft: Record<string, unknown> = { kind: 'ngram' }): ScenarioInput['topology'] =>
  ({
    kind: 'colocated',
    pool: { device: 'gpu', scheduler: { maxNumSeqs: 64 } },
    spec: { draft, acceptance, k },
  }) as ScenarioInput['topology'];

test('speculative decoding: tokens per round in the simulator match (1 − α^(k+1))/(1 − α)', () => {
  // α = 0.6, k = 3: (1 − 0.6⁴)/0.4 = 2.176 tokens per round. 8 users × 1,500 tokens ≈ 5,500 sampled rounds.
  const r = runScenario(scenario(spec(0.6, 3), 8, 1500, 8), deps());
  const expected = expectedTokensConstant(0.6, 3);
  assert.ok(Math.abs(expected - 2.176) < 1e-12);
  assert.equal(r.spec?.expectedTokensPerRound, expected);
  assert.ok(r.spec!.rounds > 5000, `${r.spec!.rounds} rounds`);
  assert.ok(Math.abs(r.spec!.meanTokensPerRound / expected - 1) < 0.03, `measured ${r.spec!.meanTokensPerRound} vs ${expected}`);
  assert.equal(r.metrics.finished, 8);
  assert.ok(Math.abs(r.metrics.outputTokensPerS * r.metrics.durationS - 8 * 1500) < 1e-6, 'every request still gets exactly its output tokens');
});

test('speculative decoding: a per-position acceptance curve gives 1 + Σ_j Π_{i≤j} α_i', () => {
  // α = [0.9, 0.5, 0.2]: 1 + 0.9 + 0.45 + 0.09 = 2.44.
  const expected = expectedTokensPerRound([0.9, 0.5, 0.2], 3);
  assert.ok(Math.abs(expected - 2.44) < 1e-12);
  const r = runScenario(scenario(spec([0.9, 0.5, 0.2], 3), 8, 1500, 8), deps());
  assert.ok(Math.abs(r.spec!.meanTokensPerRound / expected - 1) < 0.03, `measured ${r.spec!.meanTokensPerRound} vs ${expected}`);
});

test('speculative decoding: α = 0 keeps one token per round, α = 1 all k + 1; one user speeds up by tokens per round', () => {
  const none = runScenario(scenario(spec(0, 3), 1, 200), deps());
  assert.equal(none.spec!.meanTokensPerRound, 1);
  const all = runScenario(scenario(spec(1, 3), 1, 201), deps());
  // 200 outputs after the first token: 50 rounds of 4.
  assert.equal(all.spec!.meanTokensPerRound, 4);
  // One user, n-gram drafts (free): a round is one step of 4 tokens, 1 ms + 4 × … on this chip → TPOT = step / 4.
  const step = HEAD + L * (A0 + A1 * 4) + L * (E0 + E1 * 4);
  assert.ok(Math.abs(all.metrics.tpotMs!.mean / 1e3 - step / 4) < 1e-12, `${all.metrics.tpotMs!.mean} ms vs ${(step / 4) * 1e3}`);
});

test('speculative decoding with a draft model: a round costs k draft steps, two hops and one verification', () => {
  const draftModel: ModelArch = { ...testModel(), id: 'test/draft', numLayers: 2 };
  const link = { class: 'custom', bandwidthBytesPerS: 1e9, latencyS: 7 * US };
  const r = runScenario(scenario(spec(1, 2, { kind: 'model', model: 'test/draft', pool: { device: 'draftchip' }, link }), 1, 301), deps(testModel(), draftModel));
  // α = 1, k = 2: 3 tokens per round. Draft step on the 2-layer model, 1 token: HEAD + 2·(A0 + A1 + E0 + E1).
  const draftStep = HEAD + 2 * (A0 + A1 + E0 + E1);
  const hops = 2 * 7 * US + (1 * 3 * 4) / 1e9;
  const verify = HEAD + L * (A0 + A1 * 3 + E0 + E1 * 3);
  const round = verify + 2 * draftStep + hops;
  assert.ok(Math.abs(r.metrics.tpotMs!.mean / 1e3 - round / 3) < 1e-12, `${r.metrics.tpotMs!.mean} ms vs ${(round / 3) * 1e3}`);
  assert.deepEqual(r.metrics.pools.map((p) => p.role), ['target', 'draft']);
  assert.equal(r.chips, 2);
});

test('bad input: a draft model with another vocabulary says which draft to use instead', () => {
  const draftModel: ModelArch = { ...testModel(), id: 'test/other-vocab', vocabSize: 151_936 };
  assert.throws(
    () => runScenario(scenario(spec(0.7, 3, { kind: 'model', model: 'test/other-vocab', pool: { device: 'draftchip' } }), 1, 10), deps(testModel(), draftModel)),
    (e: unknown) => e instanceof UsageError && /vocabulary/.test(e.message) && /151936 tokens/.test(e.message) && /same family/.test(e.message),
  );
});

test('bad input: AFD attention replicas must be a multiple of the FFN replicas', () => {
  const topo = { ...afd(1 * US), attention: { device: 'gpu', replicas: 3 }, ffn: { device: 'ffnchip', replicas: 2 } };
  assert.throws(() => runScenario(scenario(topo, 1, 10), deps()), (e: unknown) => e instanceof UsageError && /multiple of topology\.ffn\.replicas/.test(e.message));
});

test('bad input: an AFD topology missing its FFN pool is named', () => {
  const r = ScenarioSchema.safeParse({ model: 'm', topology: { kind: 'afd', attention: { device: 'gpu' } } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues[0]!.path, ['topology', 'ffn']);
});
