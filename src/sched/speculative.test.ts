import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from './scheduler.js';

const cfg = { maxNumBatchedTokens: 64, maxNumSeqs: 4, blockSizeTokens: 4, numKvBlocks: 64, enableChunkedPrefill: true, enablePrefixCaching: false };

test('speculative decoding: a decode schedules 1 + k tokens and keeps the accepted prefix', () => {
  const s = new Scheduler({ ...cfg, numSpeculativeTokens: 3 });
  assert.ok(s.add({ id: 1, promptTokens: 10, maxOutputTokens: 20 }).ok);
  // Prefill: 10 tokens, not speculative; samples the first output.
  const p = s.schedule();
  assert.deepEqual([p.seqs[0]!.numNewTokens, p.seqs[0]!.numSpeculativeTokens ?? 0], [10, 0]);
  s.complete(p);
  // Decode: the last token + 3 drafts; blocks for 10 + 4 = 14 tokens.
  const d = s.schedule();
  const seq = d.seqs[0]!;
  assert.deepEqual([seq.numNewTokens, seq.numSpeculativeTokens, seq.numComputedTokens, seq.samples], [4, 3, 10, true]);
  assert.equal(seq.blockIds.length, Math.ceil(14 / 4));
  // 2 of 3 drafts accepted: 3 more outputs (2 drafts + the token sampled after them), KV of 10 + 1 + 2 tokens.
  const out = s.complete(d, undefined, new Map([[1, 2]]));
  assert.deepEqual(out.sampledIds, [1]);
  assert.equal(s.request(1)!.numOutputTokens, 4);
  assert.equal(s.request(1)!.numComputedTokens, 13);
  // Nothing accepted (the default): one output, the rejected drafts rolled back.
  const d2 = s.schedule();
  assert.equal(d2.seqs[0]!.numComputedTokens, 13);
  s.complete(d2);
  assert.equal(s.request(1)!.numOutputTokens, 5);
  assert.equal(s.request(1)!.numComputedTokens, 14);
});

test('speculative decoding never drafts past the last output, and finishes at exactly maxOutputTokens', () => {
  const s = new Scheduler(cfg);
  assert.ok(s.add({ id: 7, promptTokens: 5, maxOutputTokens: 4 }).ok);
  s.complete(s.schedule());
  // 3 outputs left: at most 2 drafts (the round's own sampled token is the third), whatever k asks.
  const d = s.schedule(8);
  assert.equal(d.seqs[0]!.numSpeculativeTokens, 2);
  const out = s.complete(d, undefined, new Map([[7, 99]]));
  assert.deepEqual(out.finishedIds, [7]);
  assert.equal(s.numUsedBlocks, 0);
});

test('k = 0 (the default) leaves every step as before', () => {
  const s = new Scheduler(cfg);
  assert.ok(s.add({ id: 1, promptTokens: 10, maxOutputTokens: 5 }).ok);
  s.complete(s.schedule());
  const d = s.schedule();
  assert.equal(d.seqs[0]!.numNewTokens, 1);
  assert.equal(d.seqs[0]!.numSpeculativeTokens, undefined);
  s.complete(d, undefined, new Map([[1, 3]]));
  assert.equal(s.request(1)!.numOutputTokens, 2, 'acceptances are ignored for a step that drafted nothing');
});
