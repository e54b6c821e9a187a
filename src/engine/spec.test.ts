import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../core/rng.js';
import { memorySource, openCheckpoint } from './checkpoint.js';
import { createLocalEngine, DEFAULT_SIZING } from './local.js';
import { ReferenceModel, referenceGreedy } from './reference.js';
import { distribution } from './sampler.js';
import { verifyDraft } from './spec.js';
import { syntheticCheckpointFiles } from './synthetic.js';
import { collect, TINY_SPEC } from './testing.js';

const target = openCheckpoint(memorySource('target', syntheticCheckpointFiles(TINY_SPEC, 11)));
// A smaller, different model with the same tokenizer: it agrees with the target only sometimes.
const draft = openCheckpoint(memorySource('draft', syntheticCheckpointFiles({ ...TINY_SPEC, numLayers: 1, intermediateSize: 32 }, 12)));
const ref = new ReferenceModel(target);
const prompts = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [40, 41, 42], [200, 7]];
const expected = prompts.map((p) => referenceGreedy(ref, p, 14).tokens);
const sizing = { ...DEFAULT_SIZING, numKvBlocks: 24, blockSizeTokens: 4, maxNumBatchedTokens: 16, maxNumSeqs: 3, numSpeculativeTokens: 3 };

describe('speculative decoding (draft model in its own runner)', () => {
  for (const [name, d] of [['a different draft model', draft], ['the target as its own draft', target]] as const) {
    it(`with ${name}: greedy output equals the target's reference forward pass token for token`, async () => {
      const engine = createLocalEngine(target, sizing, () => 0, undefined, d);
      const outs = await Promise.all(prompts.map((p) => collect(engine, { promptIds: p, maxTokens: 14 }).done));
      outs.forEach((o, i) => assert.deepEqual(o.tokens, expected[i], `prompt ${i} (${o.reason} ${o.detail ?? ''})`));
      const { numDrafted, numAccepted } = engine.specStats;
      assert.ok(numDrafted > 0);
      // The target drafting for itself is always right; a random smaller model is not.
      if (d === target) assert.equal(numAccepted, numDrafted);
      else assert.ok(numAccepted < numDrafted, `${numAccepted} of ${numDrafted} accepted`);
      await engine.close();
    });
  }

  it('rejection sampling leaves the output distribution equal to the target\'s (chi-square, 20k draws)', () => {
    // Vocabulary of 4; the target's distribution p and a quite different draft q at temperature 1.
    const pLogits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05), 0, 0, 0, 0]);
    const qLogits = Float32Array.from([Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4)]);
    const params = { temperature: 1, topP: 1, topK: 0 };
    const q = distribution(qLogits, 0, 4, params);
    const rng = new Rng(2024);
    const N = 20000;
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < N; n++) {
      let u = rng.next();
      let d = 0;
      while (d < 3 && u >= q[d]!) u -= q[d++]!;
      const v = verifyDraft(pLogits, 0, 4, [d], [q], params, rng);
      counts[v.tokens[0]!]!++;
    }
    const p = [0.5, 0.3, 0.15, 0.05];
    const chi2 = counts.reduce((a, c, i) => a + (c - N * p[i]!) ** 2 / (N * p[i]!), 0);
    // 3 degrees of freedom: P(χ² > 16.27) = 0.001. Sampling from q instead would give χ² in the thousands.
    assert.ok(chi2 < 16.27, `chi2 ${chi2.toFixed(2)}, counts ${counts}`);
  });
});
