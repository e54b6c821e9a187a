import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateScenario } from '../cli/eval-worker.js';
import { ScenarioSchema } from '../scenario/schema.js';
import { defaultLoads, sweepFrontiers, type FrontierOptions } from './frontier.js';
import { mergeFrontiers } from './shard.js';

const scenario = ScenarioSchema.parse({
  name: 'llama8b-h100',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  topology: { kind: 'colocated', pool: { device: 'h100', scheduler: { maxNumSeqs: 16 } } },
  workload: { input: { kind: 'fixed', tokens: 256 }, output: { kind: 'fixed', tokens: 64 } },
});
const opts: FrontierOptions = { load: 'concurrency', points: null, minRequests: 40, requestsPerClient: 3, per: 'chip', shard: null };
const evaluate = async (s: typeof scenario) => evaluateScenario(s);

test('default sweep: clients 1, 2, 4 … up to twice the decode seats (16 seats → 32)', () => {
  assert.deepEqual(defaultLoads(scenario, 'concurrency'), [1, 2, 4, 8, 16, 32]);
});

test('frontier: more clients trade tokens/s per user for tokens/s per chip; Pareto points beat each other on one axis each', async () => {
  const r = await sweepFrontiers([{ source: 'x.yaml', scenario }], opts, evaluate);
  const pts = r.frontiers[0]!.points;
  assert.equal(pts.length, 6);
  assert.equal(r.frontiers[0]!.chips, 1);
  // One chip: tokens/s per chip is the output rate; per $/h divides by the H100's price.
  for (const p of pts) assert.equal(p.tokensPerSPerChip, p.outputTokensPerS);
  assert.ok(pts[pts.length - 1]!.tokensPerSPerChip > 4 * pts[0]!.tokensPerSPerChip);
  assert.ok(pts[pts.length - 1]!.tokensPerSPerUser! < pts[0]!.tokensPerSPerUser!);
  const front = pts.filter((p) => p.pareto);
  assert.ok(front.length >= 2);
  for (const a of front) {
    for (const b of pts) {
      const dominates = b.tokensPerSPerUser! > a.tokensPerSPerUser! && b.tokensPerSPerChip > a.tokensPerSPerChip;
      assert.ok(!dominates, `point at load ${b.load} dominates Pareto point at ${a.load}`);
    }
  }
  // Shards merged = the whole sweep.
  const shards = await Promise.all([0, 1].map((index) => sweepFrontiers([{ source: 'x.yaml', scenario }], { ...opts, shard: { index, count: 2 } }, evaluate)));
  assert.deepEqual(mergeFrontiers(shards).frontiers, r.frontiers);
});
