import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from './scheduler.js';
import type { SchedulerConfig, SchedulerStep, StepOutcome } from './types.js';

const base: SchedulerConfig = {
  maxNumBatchedTokens: 512,
  maxNumSeqs: 8,
  blockSizeTokens: 16,
  numKvBlocks: 100,
  enableChunkedPrefill: true,
  enablePrefixCaching: false,
};

/** [id, numComputedTokens, numNewTokens, samples] per seq: the step as a hand calculation writes it. */
type Row = [number, number, number, boolean];
const rows = (step: SchedulerStep): Row[] => step.seqs.map((q) => [q.id, q.numComputedTokens, q.numNewTokens, q.samples]);

function step(s: Scheduler, stopped?: ReadonlySet<number>): { step: SchedulerStep; rows: Row[]; numBlocks: number[]; out: StepOutcome } {
  const st = s.schedule();
  const numBlocks = st.seqs.map((q) => q.blockIds.length); // read before complete(): the tables are live views
  return { step: st, rows: rows(st), numBlocks, out: s.complete(st, stopped) };
}

function mustAdd(s: Scheduler, req: Parameters<Scheduler['add']>[0]): void {
  const r = s.add(req);
  assert.deepEqual(r, { ok: true });
}

test('chunked prefill: prompt 1000 with budget 512 runs 512, 488, then one token per decode', () => {
  const s = new Scheduler(base);
  mustAdd(s, { id: 1, promptTokens: 1000, maxOutputTokens: 3 });
  let r = step(s);
  assert.deepEqual(r.rows, [[1, 0, 512, false]]);
  assert.deepEqual(r.step.admittedIds, [1]);
  assert.deepEqual(r.numBlocks, [32]); // 512 / 16
  assert.deepEqual(r.out, { sampledIds: [], finishedIds: [] });
  r = step(s);
  assert.deepEqual(r.rows, [[1, 512, 488, true]]); // 1000 − 512 = 488 completes the prompt → first token
  assert.deepEqual(r.numBlocks, [63]); // ceil(1000 / 16) = 63
  assert.deepEqual(r.out.sampledIds, [1]);
  r = step(s);
  assert.deepEqual(r.rows, [[1, 1000, 1, true]]);
  r = step(s);
  assert.deepEqual(r.rows, [[1, 1001, 1, true]]);
  assert.deepEqual(r.out, { sampledIds: [1], finishedIds: [1] }); // 3 outputs
  assert.equal(s.numUsedBlocks, 0);
  assert.equal(s.hasWork(), false);
});

test('without chunked prefill a prompt waits until it fits the budget whole; too long a prompt is rejected', () => {
  const s = new Scheduler({ ...base, enableChunkedPrefill: false });
  const rejected = s.add({ id: 9, promptTokens: 1000, maxOutputTokens: 3 });
  assert.equal(rejected.ok, false);
  assert.equal(!rejected.ok && rejected.code, 'exceeds-token-budget');
  assert.equal(s.numWaiting, 0);
  mustAdd(s, { id: 1, promptTokens: 300, maxOutputTokens: 2 });
  mustAdd(s, { id: 2, promptTokens: 300, maxOutputTokens: 2 });
  assert.deepEqual(step(s).rows, [[1, 0, 300, true]]); // 212 left < 300: request 2 waits
  const r = step(s);
  assert.deepEqual(r.rows, [[1, 300, 1, true], [2, 0, 300, true]]);
  assert.equal(r.step.numScheduledTokens, 301);
  assert.deepEqual(r.out.finishedIds, [1]);
  assert.deepEqual(step(s).rows, [[2, 300, 1, true]]);
  assert.equal(s.hasWork(), false);
});

test('with chunked prefill the second prompt takes the leftover budget', () => {
  const s = new Scheduler(base);
  mustAdd(s, { id: 1, promptTokens: 300, maxOutputTokens: 2 });
  mustAdd(s, { id: 2, promptTokens: 300, maxOutputTokens: 2 });
  assert.deepEqual(step(s).rows, [[1, 0, 300, true], [2, 0, 212, false]]); // 512 − 300 = 212
  assert.deepEqual(step(s).rows, [[1, 300, 1, true], [2, 212, 88, true]]);
});

test('prefix hit of 2 blocks (block size 16) skips their compute and shares their blocks', () => {
  const s = new Scheduler({ ...base, enablePrefixCaching: true });
  const h = [101, 102]; // 40-token prompt: 2 full blocks
  mustAdd(s, { id: 1, promptTokens: 40, maxOutputTokens: 1, blockHashes: h });
  assert.deepEqual(step(s).out.finishedIds, [1]); // blocks 0, 1 cached, now evictable
  assert.equal(s.cachedPrefixBlocks(h), 2);
  mustAdd(s, { id: 2, promptTokens: 40, maxOutputTokens: 2, blockHashes: h });
  // A 32-token prompt whose 2 blocks are both cached still computes its last block: the hit is capped at
  // floor((32 − 1) / 16) = 1 block so a token is computed and sampled.
  mustAdd(s, { id: 3, promptTokens: 32, maxOutputTokens: 2, blockHashes: h });
  const st = s.schedule();
  assert.deepEqual(rows(st), [[2, 32, 8, true], [3, 16, 16, true]]);
  assert.deepEqual(st.seqs[0]!.blockIds.slice(0, 2), [0, 1]);
  assert.deepEqual(st.seqs[1]!.blockIds[0], 0);
  assert.equal(s.kvBlockManager.refCountOf(0), 2);
  assert.equal(s.numUsedBlocks, 4); // 0, 1, one new for request 2, one new for request 3
  s.complete(st);
  // 3 lookups: 40 + 40 + 32 tokens queried, 0 + 32 + 16 hit
  assert.deepEqual({ ...s.prefixCacheStats }, { numQueries: 3, numQueryTokens: 112, numHitTokens: 48 });
});

/**
 * 10 blocks of 16 tokens; two 64-token prompts with 20 outputs each. Step 1 prefills both (4 + 4 blocks). Step n ≥ 2
 * takes each from n + 62 to n + 63 tokens; at step 18 both need an 81st token, i.e. a 6th block: 6 + 6 > 10, so
 * request 1 preempts request 2 (the last). Request 2 then holds 81 known tokens (64 + 17 outputs) and needs 6
 * blocks while request 1 holds 6: it waits until request 1 finishes at step 20 (outputs 18, 19, 20 at steps
 * 18–20), is recomputed whole at step 21 (81 tokens, output 18) and finishes at step 23.
 */
function preemptionScenario(enablePrefixCaching: boolean): { log: ReturnType<typeof step>[]; s: Scheduler } {
  const s = new Scheduler({ ...base, numKvBlocks: 10, enablePrefixCaching });
  mustAdd(s, { id: 1, promptTokens: 64, maxOutputTokens: 20, blockHashes: [1, 2, 3, 4] });
  mustAdd(s, { id: 2, promptTokens: 64, maxOutputTokens: 20, blockHashes: [5, 6, 7, 8] });
  const log: ReturnType<typeof step>[] = [];
  while (s.hasWork() && log.length < 100) log.push(step(s));
  return { log, s };
}

test('preemption when 2 requests outgrow 10 blocks: the last one is recomputed after the first finishes', () => {
  const { log, s } = preemptionScenario(false);
  assert.equal(log.length, 23);
  assert.deepEqual(log[0]!.rows, [[1, 0, 64, true], [2, 0, 64, true]]);
  assert.deepEqual(log[16]!.rows, [[1, 79, 1, true], [2, 79, 1, true]]); // step 17
  const s18 = log[17]!;
  assert.deepEqual(s18.rows, [[1, 80, 1, true]]);
  assert.deepEqual(s18.step.preemptedIds, [2]);
  assert.deepEqual(s18.step.admittedIds, []);
  assert.deepEqual(log[18]!.rows, [[1, 81, 1, true]]); // request 2 needs 6 blocks, 4 free
  assert.deepEqual(log[19]!.out.finishedIds, [1]);
  assert.deepEqual(log[20]!.rows, [[2, 0, 81, true]]);
  assert.deepEqual(log[20]!.step.admittedIds, [2]);
  assert.deepEqual(log[22]!.rows, [[2, 82, 1, true]]);
  assert.deepEqual(log[22]!.out.finishedIds, [2]);
  assert.equal(s.numPreemptions, 1);
  assert.equal(s.numUsedBlocks, 0);
});

test('a preempted request hits its own cached prompt blocks when it resumes', () => {
  const { log, s } = preemptionScenario(true);
  // Request 2's 4 prompt blocks stayed cached (evictable) while it waited: step 21 recomputes only 81 − 64 = 17.
  assert.equal(log.length, 23);
  assert.deepEqual(log[20]!.rows, [[2, 64, 17, true]]);
  assert.equal(s.prefixCacheStats.numHitTokens, 64);
});

test('KV transferred from a prefill worker: computed at admission, decode starts at once', () => {
  const s = new Scheduler({ ...base, enableChunkedPrefill: false });
  // Decode pool: the prefill worker computed the 1000-token prompt and sampled output 1.
  mustAdd(s, { id: 1, promptTokens: 1000, maxOutputTokens: 4, initialOutputTokens: 1, precomputedTokens: 1000 });
  const st = s.schedule();
  assert.deepEqual(rows(st), [[1, 1000, 1, true]]);
  assert.equal(st.seqs[0]!.numExternalTokens, 1000);
  assert.equal(st.seqs[0]!.blockIds.length, 63); // ceil(1001 / 16)
  assert.equal(st.numScheduledTokens, 1);
  s.complete(st);
  const r2 = step(s);
  assert.deepEqual(r2.rows, [[1, 1001, 1, true]]);
  assert.equal(r2.step.seqs[0]!.numExternalTokens, 0);
  assert.deepEqual(step(s).out.finishedIds, [1]); // outputs 1 (given) + 3 = 4
});

test('transferred KV beyond a prefix hit is the external part', () => {
  const s = new Scheduler({ ...base, enablePrefixCaching: true });
  mustAdd(s, { id: 1, promptTokens: 40, maxOutputTokens: 1, blockHashes: [7, 8] });
  step(s);
  mustAdd(s, { id: 2, promptTokens: 40, maxOutputTokens: 2, initialOutputTokens: 1, precomputedTokens: 40, blockHashes: [7, 8] });
  const st = s.schedule();
  assert.deepEqual(rows(st), [[2, 40, 1, true]]);
  assert.equal(st.seqs[0]!.numExternalTokens, 8); // 40 transferred − 32 already cached
});

test('maxNumSeqs bounds the running set', () => {
  const s = new Scheduler({ ...base, maxNumSeqs: 2 });
  for (const id of [1, 2, 3]) mustAdd(s, { id, promptTokens: 10, maxOutputTokens: 2 });
  assert.deepEqual(step(s).rows, [[1, 0, 10, true], [2, 0, 10, true]]);
  assert.equal(s.numWaiting, 1);
  const r = step(s);
  assert.deepEqual(r.out.finishedIds, [1, 2]);
  assert.deepEqual(step(s).rows, [[3, 0, 10, true]]);
});

test('FCFS: a waiting request that does not fit blocks the smaller ones behind it', () => {
  const s = new Scheduler({ ...base, numKvBlocks: 10 });
  mustAdd(s, { id: 1, promptTokens: 100, maxOutputTokens: 5 }); // 7 blocks
  step(s);
  mustAdd(s, { id: 2, promptTokens: 64, maxOutputTokens: 2 }); // 4 blocks, 3 free
  mustAdd(s, { id: 3, promptTokens: 16, maxOutputTokens: 2 }); // 1 block, would fit
  const r = step(s);
  assert.deepEqual(r.rows, [[1, 100, 1, true]]);
  assert.deepEqual(r.step.admittedIds, []);
  assert.equal(s.numWaiting, 2);
});

test('stoppedIds finish a request before maxOutputTokens', () => {
  const s = new Scheduler(base);
  mustAdd(s, { id: 1, promptTokens: 10, maxOutputTokens: 100 });
  mustAdd(s, { id: 2, promptTokens: 10, maxOutputTokens: 100 });
  const r = step(s, new Set([1]));
  assert.deepEqual(r.out, { sampledIds: [1, 2], finishedIds: [1] });
  assert.equal(s.numRunning, 1);
  assert.equal(s.request(1), undefined);
  assert.equal(s.request(2)?.numOutputTokens, 1);
});

test('abort frees blocks at once, waiting or running, even with the step in flight', () => {
  const s = new Scheduler({ ...base, maxNumSeqs: 1 });
  mustAdd(s, { id: 1, promptTokens: 40, maxOutputTokens: 10 });
  mustAdd(s, { id: 2, promptTokens: 40, maxOutputTokens: 10 });
  step(s);
  assert.equal(s.numUsedBlocks, 3);
  assert.equal(s.abort(2), true); // waiting
  assert.equal(s.numWaiting, 0);
  assert.equal(s.abort(2), false);
  const st = s.schedule();
  assert.equal(s.abort(1), true); // running, its step in flight
  assert.equal(s.numUsedBlocks, 0);
  assert.equal(s.numRunning, 0);
  assert.deepEqual(s.complete(st), { sampledIds: [], finishedIds: [] }); // the aborted seq is ignored
  assert.equal(s.hasWork(), false);
  assert.equal(s.abort(42), false);
});

test('add validates requests', () => {
  const s = new Scheduler({ ...base, numKvBlocks: 10 }); // 160 tokens of KV
  mustAdd(s, { id: 1, promptTokens: 150, maxOutputTokens: 11 }); // 150 + 11 − 1 = 160 tokens: fits exactly
  assert.throws(() => s.add({ id: 1, promptTokens: 10, maxOutputTokens: 1 }), /already waiting or running/);
  const r = s.add({ id: 2, promptTokens: 150, maxOutputTokens: 12 }); // 161 tokens → 11 blocks
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'exceeds-kv-capacity');
  assert.match(!r.ok ? r.reason : '', /161 tokens need 11 KV blocks/);
  assert.throws(() => s.add({ id: 3, promptTokens: 0, maxOutputTokens: 1 }), /promptTokens is 0/);
  assert.throws(() => s.add({ id: 3, promptTokens: 10, maxOutputTokens: 2, initialOutputTokens: 2 }), /initialOutputTokens/);
  assert.throws(() => s.add({ id: 3, promptTokens: 10, maxOutputTokens: 2, precomputedTokens: 10 }), /precomputedTokens/);
  const sp = new Scheduler({ ...base, enablePrefixCaching: true });
  assert.throws(() => sp.add({ id: 3, promptTokens: 31, maxOutputTokens: 2, blockHashes: [1, 2] }), /at most floor\(31 \/ 16\) = 1/);
  assert.throws(() => new Scheduler({ ...base, maxNumSeqs: 0 }), /maxNumSeqs is 0/);
});

test('one step in flight at a time; an empty step needs no completion', () => {
  const s = new Scheduler(base);
  const empty = s.schedule();
  assert.deepEqual(empty.seqs, []);
  mustAdd(s, { id: 1, promptTokens: 10, maxOutputTokens: 3 });
  const st = s.schedule();
  assert.throws(() => s.schedule(), /still in flight/);
  assert.throws(() => s.complete({ ...st }), /not the one in flight/);
  s.complete(st);
  assert.throws(() => s.complete(st), /not the one in flight/);
  assert.deepEqual(s.complete(empty), { sampledIds: [], finishedIds: [] });
});

test('load() reports queue lengths and KV usage', () => {
  const s = new Scheduler({ ...base, numKvBlocks: 10, maxNumSeqs: 1 });
  mustAdd(s, { id: 1, promptTokens: 40, maxOutputTokens: 5 });
  mustAdd(s, { id: 2, promptTokens: 40, maxOutputTokens: 5 });
  step(s);
  assert.deepEqual(s.load(), { numWaiting: 1, numRunning: 1, kvUsage: 0.3 }); // 3 of 10 blocks
});
