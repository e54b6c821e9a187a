import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCheckpoint } from '../engine/checkpoint.js';
import { TOPOLOGIES } from '../engine/engine.js';
import { DEFAULT_SIZING } from '../engine/local.js';
import { ReferenceModel, referenceGreedy } from '../engine/reference.js';
import { syntheticCheckpointFiles } from '../engine/synthetic.js';
import { collect, TINY_SPEC } from '../engine/testing.js';
import { dirSource } from './fs-source.js';
import { createThreadedEngine } from './threads.js';

// A checkpoint on disk, sharded over 2 files with an index, bf16 weights: the threads load it themselves.
const dir = mkdtempSync(join(tmpdir(), 'phasewise-ck-'));
for (const [name, data] of syntheticCheckpointFiles({ ...TINY_SPEC, arch: 'qwen2', numKvHeads: 2, dtype: 'BF16', numShards: 2 }, 5)) writeFileSync(join(dir, name), data);
const draftDir = mkdtempSync(join(tmpdir(), 'phasewise-draft-'));
for (const [name, data] of syntheticCheckpointFiles({ ...TINY_SPEC, arch: 'llama', numLayers: 1, dtype: 'F32', numShards: 1 }, 6)) writeFileSync(join(draftDir, name), data);
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(draftDir, { recursive: true, force: true });
});

const ck = openCheckpoint(dirSource(dir));
const ref = new ReferenceModel(ck);
const prompts = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8], [27, 18, 28], [100, 101, 102, 103, 104, 105]];
const expected = prompts.map((p) => referenceGreedy(ref, p, 10).tokens);
const sizing = { ...DEFAULT_SIZING, numKvBlocks: 16, blockSizeTokens: 4, maxNumBatchedTokens: 16, maxNumSeqs: 4 };

const cases = [...TOPOLOGIES.map((t) => ({ topology: t, tp: 1 })), { topology: 'colocated' as const, tp: 2 }];
for (const { topology, tp } of cases) {
  describe(`threaded engine: ${topology}, tp ${tp}`, () => {
    it('matches the reference forward pass token for token (greedy, concurrent requests)', async () => {
      const engine = await createThreadedEngine({ kind: 'dir', path: dir }, ck, { ...sizing, topology }, tp);
      try {
        const outs = await Promise.all(prompts.map((p) => collect(engine, { promptIds: p, maxTokens: 10 }).done));
        outs.forEach((o, i) => assert.deepEqual(o.tokens, expected[i], `prompt ${i}: ${o.reason} ${o.detail ?? ''}`));
      } finally {
        await engine.close();
      }
    });
  });
}

describe('threaded engine: colocated with a draft model in its own worker (speculative decoding)', () => {
  it('matches the reference forward pass token for token (greedy)', async () => {
    const draft = { loc: { kind: 'dir' as const, path: draftDir }, ck: openCheckpoint(dirSource(draftDir)) };
    const engine = await createThreadedEngine({ kind: 'dir', path: dir }, ck, { ...sizing, numSpeculativeTokens: 3 }, 1, undefined, draft);
    try {
      const outs = await Promise.all(prompts.map((p) => collect(engine, { promptIds: p, maxTokens: 10 }).done));
      outs.forEach((o, i) => assert.deepEqual(o.tokens, expected[i], `prompt ${i}: ${o.reason} ${o.detail ?? ''}`));
      assert.ok(engine.specStats.numDrafted > 0);
    } finally {
      await engine.close();
    }
  });
});
