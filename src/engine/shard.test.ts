import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memorySource, openCheckpoint } from './checkpoint.js';
import { argmax, ReferenceModel } from './reference.js';
import { ModelShard, type ShardPlan } from './shard.js';
import { buildStepInput, runFullStep } from './step.js';
import { syntheticCheckpointFiles, type SyntheticSpec } from './synthetic.js';

const TINY: SyntheticSpec = { arch: 'llama', hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, tieWordEmbeddings: false, dtype: 'F32', numShards: 1 };

/** max |a − b| / max |b|: the relative error of a logit row. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

const plan = (over: Partial<ShardPlan> = {}): ShardPlan => ({ tpRank: 0, tpSize: 1, holdsAttention: true, holdsFfn: true, quant: 'none', maxBatchTokens: 64, maxSampleRows: 8, numKvBlocks: 16, blockSizeTokens: 4, numMicroBatches: 1, ...over });

for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
  describe(`ModelShard (${arch}) against the reference forward`, () => {
    const ck = openCheckpoint(memorySource('tiny', syntheticCheckpointFiles({ ...TINY, arch, tieWordEmbeddings: arch === 'qwen3' }, 7)));
    const ref = new ReferenceModel(ck);
    it('chunked prefill then decode over scattered blocks gives the reference logits within 1e-4', () => {
      const shard = new ModelShard(ck, plan());
      const prompt = [5, 17, 42, 99, 3, 250, 8, 61, 77, 2, 13];
      const blocks = [9, 2, 14, 0, 5];
      const seq = ref.newSequence();
      // chunk 1: 6 tokens, no sample; chunk 2: 5 tokens, sample.
      runFullStep(shard, buildStepInput([{ tokens: prompt.slice(0, 6), startPos: 0, blockIds: blocks, sample: false }]));
      let out = runFullStep(shard, buildStepInput([{ tokens: prompt.slice(6), startPos: 6, blockIds: blocks, sample: true }]));
      let want = seq.feed(prompt);
      assert.ok(relErr(out.logits, want) < 1e-4, `prefill rel err ${relErr(out.logits, want)}`);
      let pos = prompt.length;
      for (let i = 0; i < 6; i++) {
        const t = argmax(want);
        out = runFullStep(shard, buildStepInput([{ tokens: [t], startPos: pos, blockIds: blocks, sample: true }]));
        want = seq.feed([t]);
        pos++;
        assert.ok(relErr(out.logits, want) < 1e-4, `decode ${i} rel err ${relErr(out.logits, want)}`);
        assert.equal(argmax(out.logits), argmax(want));
      }
    });
  });
}
