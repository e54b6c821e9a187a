import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memorySource, openCheckpoint } from './checkpoint.js';
import { blockHashes, TOPOLOGIES } from './engine.js';
import { createLocalEngine, DEFAULT_SIZING } from './local.js';
import { ReferenceModel, referenceGreedy } from './reference.js';
import { syntheticCheckpointFiles } from './synthetic.js';
import { collect, TINY_SPEC } from './testing.js';

const ck = openCheckpoint(memorySource('tiny', syntheticCheckpointFiles({ ...TINY_SPEC, numShards: 3 }, 11)));
const ref = new ReferenceModel(ck);
const prompts = [
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21],
  [40, 41, 42],
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 99, 98],
  [200],
];
const expected = prompts.map((p) => referenceGreedy(ref, p, 12).tokens);
// A small cache and budget so that chunked prefill, prefix hits and preemption all happen.
const sizing = { ...DEFAULT_SIZING, numKvBlocks: 12, blockSizeTokens: 4, maxNumBatchedTokens: 16, maxNumSeqs: 3 };

for (const topology of TOPOLOGIES) {
  describe(`Engine (${topology}, in-thread) with greedy decoding`, () => {
    it('gives the reference forward pass token for token, for concurrent requests', async () => {
      const engine = createLocalEngine(ck, { ...sizing, topology }, () => 0);
      const runs = prompts.map((p) => collect(engine, { promptIds: p, maxTokens: 12 }));
      const outs = await Promise.all(runs.map((r) => r.done));
      outs.forEach((o, i) => {
        assert.equal(o.reason, 'length');
        assert.deepEqual(o.tokens, expected[i], `prompt ${i}`);
      });
      const s = engine.schedulers;
      assert.ok(s.every((x) => x.scheduler.numUsedBlocks === 0), 'every block is released');
      await engine.close();
    });

    it('stops at a stop token and finishes with reason stop', async () => {
      const engine = createLocalEngine(ck, { ...sizing, topology }, () => 0);
      const stopAt = expected[1]![3]!;
      const firstIdx = expected[1]!.indexOf(stopAt);
      const o = await collect(engine, { promptIds: prompts[1]!, maxTokens: 12, stopTokenIds: [stopAt] }).done;
      assert.equal(o.reason, 'stop');
      assert.deepEqual(o.tokens, expected[1]!.slice(0, firstIdx + 1));
      await engine.close();
    });

    it('an abort frees the request and the others go on', async () => {
      const engine = createLocalEngine(ck, { ...sizing, topology }, () => 0);
      const a = collect(engine, { promptIds: prompts[0]!, maxTokens: 12 });
      const b = collect(engine, { promptIds: prompts[1]!, maxTokens: 12 });
      assert.equal(engine.abort(a.id), true);
      const [oa, ob] = await Promise.all([a.done, b.done]);
      assert.equal(oa.reason, 'abort');
      assert.deepEqual(ob.tokens, expected[1]);
      await engine.close();
    });
  });
}

describe('blockHashes', () => {
  it('chains: equal prefixes give equal leading hashes, a change changes every later one', () => {
    const a = blockHashes([1, 2, 3, 4, 5, 6, 7, 8, 9], 4);
    const b = blockHashes([1, 2, 3, 4, 5, 6, 7, 9, 9], 4);
    assert.equal(a.length, 2);
    assert.equal(a[0], b[0]);
    assert.notEqual(a[1], b[1]);
    assert.ok(a.every((h) => Number.isSafeInteger(h) && h >= 0));
  });
});
