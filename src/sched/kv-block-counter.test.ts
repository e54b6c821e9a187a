/**
 * The counting KV cache against the id-keeping one: two schedulers, one on each, fed the same random streams
 * (shared prefixes, unique tails, KV arriving with requests, speculative verification, KV pressure with
 * preemption and eviction, stops, aborts, decode fast-forward)
 * must schedule the same steps, hit the same prefixes and hold the same counts at every step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvBlockCounter } from './kv-block-counter.js';
import { Scheduler } from './scheduler.js';
import type { NewRequest, SchedulerConfig, SchedulerStep } from './types.js';

interface Req {
  readonly arriveAt: number;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  readonly family: number;
  readonly numSharedBlocks: number;
  /** Pass the request's own blocks as unique (true) or as hashes. */
  readonly uniqueTail: boolean;
  readonly initialOutputTokens: number;
  readonly precomputedPct: number;
  readonly stopAfter: number | undefined;
  readonly abortAt: number | undefined;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  arriveAt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  promptTokens: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 120 })),
  maxOutputTokens: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 16, max: 64 })),
  // Two families with long shared prefixes: most streams hit.
  family: fc.integer({ min: 0, max: 1 }),
  numSharedBlocks: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 4, max: 40 })),
  uniqueTail: fc.boolean(),
  initialOutputTokens: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
  /** precomputedTokens = floor(pct / 100 × (known − 1)): KV arriving with the request. */
  precomputedPct: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
  stopAfter: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined, freq: 4 }),
  abortAt: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined, freq: 6 }),
});

const cfgArb: fc.Arbitrary<SchedulerConfig> = fc.record({
  maxNumBatchedTokens: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 32, max: 300 })),
  maxNumSeqs: fc.integer({ min: 1, max: 12 }),
  blockSizeTokens: fc.constantFrom(1, 2, 4, 16),
  numKvBlocks: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 80 })),
  enableChunkedPrefill: fc.boolean(),
  enablePrefixCaching: fc.constant(true),
  numSpeculativeTokens: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 })),
});

function newRequest(id: number, r: Req, bs: number): NewRequest {
  const n = Math.floor(r.promptTokens / bs);
  const numShared = Math.min(n, r.numSharedBlocks);
  const hashes: number[] = [];
  for (let i = 0; i < (r.uniqueTail ? numShared : n); i++) hashes.push(i < numShared ? r.family * 1000 + i : (id + 1) * 1_000_000 + i);
  const initialOutputTokens = Math.min(r.initialOutputTokens, r.maxOutputTokens - 1);
  const known = r.promptTokens + initialOutputTokens;
  return {
    id,
    promptTokens: r.promptTokens,
    maxOutputTokens: r.maxOutputTokens,
    blockHashes: hashes,
    numUniqueBlocks: r.uniqueTail ? n - numShared : 0,
    initialOutputTokens,
    precomputedTokens: Math.floor((r.precomputedPct / 100) * (known - 1)),
  };
}

const withoutIds = (step: SchedulerStep): unknown => ({ ...step, seqs: step.seqs.map(({ blockIds: _ids, ...rest }) => rest) });

function counts(s: Scheduler): number[] {
  const kv = s.kvCache;
  const st = kv.prefixCacheStats;
  return [kv.numFreeBlocks(), kv.numStrictlyFreeBlocks(), kv.numUsedBlocks(), kv.numEvictableBlocks(), st.numQueries, st.numQueryTokens, st.numHitTokens, s.numPreemptions];
}

/** Drive both schedulers in lock step; throws at the first difference. Returns hits and preemptions seen. */
function runBoth(cfg: SchedulerConfig, reqs: readonly Req[], picks: readonly number[]): { hitTokens: number; preemptions: number; fastForwards: number } {
  const ids = new Scheduler(cfg);
  const cnt = new Scheduler(cfg, { blockIds: false });
  let fastForwards = 0;
  const live = new Map<number, { outputs: number; stopAfter: number | undefined }>();
  for (let step = 0, k = 0; step < 2000; step++) {
    for (let id = 0; id < reqs.length; id++) {
      const r = reqs[id]!;
      if (r.arriveAt === step) {
        const a = ids.add(newRequest(id, r, cfg.blockSizeTokens));
        const b = cnt.add(newRequest(id, r, cfg.blockSizeTokens));
        assert.deepEqual(b, a, `step ${step}: add ${id}`);
        if (a.ok) live.set(id, { outputs: 0, stopAfter: r.stopAfter });
      }
      if (r.abortAt === step && live.has(id)) {
        assert.equal(cnt.abort(id), ids.abort(id));
        live.delete(id);
      }
    }
    // Sometimes fast-forward a pure-decode run instead of one step.
    const pick = picks[k++ % picks.length]!;
    const evict = pick % 2 === 0;
    const m = ids.decodeRunSteps(1 + (pick % 7), evict);
    assert.equal(cnt.decodeRunSteps(1 + (pick % 7), evict), m, `step ${step}: decodeRunSteps`);
    if (m > 0) {
      fastForwards++;
      const fa = ids.advanceDecode(m);
      assert.deepEqual(cnt.advanceDecode(m), fa, `step ${step}: advanceDecode`);
      for (const id of fa) live.delete(id);
    } else {
      const sa = ids.schedule();
      const sb = cnt.schedule();
      assert.deepEqual(withoutIds(sb), withoutIds(sa), `step ${step}: schedule`);
      const stopped = new Set<number>();
      for (const q of sa.seqs) {
        const l = live.get(q.id);
        if (q.samples && l && l.stopAfter !== undefined && l.outputs + 1 >= l.stopAfter) stopped.add(q.id);
      }
      // Speculative verifications keep a pseudo-random number of their drafts.
      const accepted = new Map<number, number>();
      for (const q of sa.seqs) if ((q.numSpeculativeTokens ?? 0) > 0) accepted.set(q.id, (q.id + step + pick) % (q.numSpeculativeTokens! + 1));
      const oa = ids.complete(sa, stopped, accepted);
      assert.deepEqual(cnt.complete(sb, stopped, accepted), oa, `step ${step}: complete`);
      for (const id of oa.sampledIds) live.get(id)!.outputs++;
      for (const id of oa.finishedIds) live.delete(id);
    }
    assert.deepEqual(counts(cnt), counts(ids), `step ${step}: counts`);
    for (const id of live.keys()) assert.equal(cnt.kvCache.numBlocksOf(id), ids.kvCache.numBlocksOf(id), `step ${step}: blocks of ${id}`);
    ids.kvCache.assertInvariants();
    cnt.kvCache.assertInvariants();
    if (!ids.hasWork() && reqs.every((r) => r.arriveAt <= step)) break;
  }
  assert.equal(cnt.hasWork(), false, 'both drain');
  return { hitTokens: ids.prefixCacheStats.numHitTokens, preemptions: ids.numPreemptions, fastForwards };
}

test('counting KV cache = id-keeping KV cache: same steps, hits, preemptions and counts over random streams', () => {
  let withHits = 0;
  let withPreemption = 0;
  let withRuns = 0;
  const numRuns = 300;
  fc.assert(
    fc.property(cfgArb, fc.array(reqArb, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(20), { minLength: 1, maxLength: 16 }), (cfg, reqs, picks) => {
      const r = runBoth(cfg, reqs, picks);
      if (r.hitTokens > 0) withHits++;
      if (r.preemptions > 0) withPreemption++;
      if (r.fastForwards > 0) withRuns++;
    }),
    { numRuns, seed: 23, includeErrorInReport: true },
  );
  // The streams must exercise what the equivalence is about.
  assert.ok(withHits > numRuns / 4, `only ${withHits} runs hit the prefix cache`);
  assert.ok(withPreemption > numRuns / 20, `only ${withPreemption} runs preempted`);
  assert.ok(withRuns > numRuns / 4, `only ${withRuns} runs fast-forwarded`);
});

test('counting KV cache: a preempted owner takes back what is left of its unique run, others cannot', () => {
  const kv = new KvBlockCounter(4, 2);
  assert.ok(kv.allocateSlots(1, 6, { blockHashes: [77], numBlocks: 0, numQueryTokens: 6 }));
  kv.cacheFullBlocks(1, [77], 6, 2);
  kv.free(1, true);
  kv.assertInvariants();
  assert.equal(kv.numEvictableBlocks(), 3);
  assert.equal(kv.cachedPrefixBlocksOf(2, [77], 3), 1);
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 3), 3);
  // Two blocks for another request: one free, then the run's last position is evicted.
  assert.ok(kv.allocateSlots(3, 4));
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 3), 2);
  kv.free(3);
  assert.ok(kv.allocateSlots(1, 6, { blockHashes: [77], numBlocks: 2, numQueryTokens: 6 }));
  assert.equal(kv.numBlocksOf(1), 3);
  kv.assertInvariants();
  assert.throws(() => new KvBlockCounter(0, 2), /numKvBlocks/);
});
