/**
 * Property tests: random configurations and request streams (arrivals over time, shared prefixes, KV arriving
 * with the request, stops, aborts — some while a step is in flight) driven to completion by the same
 * schedule()/complete() loop the simulator and the engine run. A shadow model of each request checks every step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scheduler } from './scheduler.js';
import type { NewRequest, SchedulerConfig, SchedulerStep } from './types.js';

const NUM_RUNS = 300;

interface ReqSpec {
  readonly arriveAtStep: number;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  /** Prefix family and how many leading prompt blocks it shares with the family. */
  readonly family: number;
  readonly numSharedBlocks: number;
  readonly initialOutputTokens: number;
  /** precomputedTokens = floor(pct / 100 × (known − 1)). */
  readonly precomputedPct: number;
  /** Stop after this many outputs (the caller saw a stop token), if set. */
  readonly stopAfter: number | undefined;
  /** Abort at this step, before scheduling or while the step is in flight. */
  readonly abortAtStep: number | undefined;
  readonly abortInFlight: boolean;
}

interface Scenario {
  readonly cfg: SchedulerConfig;
  readonly reqs: readonly ReqSpec[];
}

const reqArb: fc.Arbitrary<ReqSpec> = fc.record({
  // Half arrive together (pressure, preemption), half trickle in (admission while others run).
  arriveAtStep: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  // Short prompts on half the requests, so small caches hold several requests and must preempt as they grow.
  promptTokens: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 120 })),
  // Long outputs on some: running requests outgrow the cache.
  maxOutputTokens: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 16, max: 64 })),
  family: fc.integer({ min: 0, max: 3 }),
  numSharedBlocks: fc.integer({ min: 0, max: 8 }),
  initialOutputTokens: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
  precomputedPct: fc.oneof(fc.constant(0), fc.constant(100), fc.integer({ min: 0, max: 100 })),
  stopAfter: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined, freq: 4 }),
  abortAtStep: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined, freq: 5 }),
  abortInFlight: fc.boolean(),
});

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  cfg: fc.record({
    maxNumBatchedTokens: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 32, max: 300 })),
    maxNumSeqs: fc.integer({ min: 1, max: 12 }),
    blockSizeTokens: fc.constantFrom(1, 2, 3, 4, 8, 16),
    // Small caches on half the runs: KV pressure, preemption and eviction.
    numKvBlocks: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 80 })),
    enableChunkedPrefill: fc.boolean(),
    enablePrefixCaching: fc.boolean(),
  }),
  reqs: fc.array(reqArb, { minLength: 1, maxLength: 24 }),
});

/** Chained-hash stand-in: a family's block i means "the family's first i + 1 blocks"; other blocks are unique. */
function blockHashesOf(id: number, r: ReqSpec, blockSizeTokens: number): number[] {
  const n = Math.floor(r.promptTokens / blockSizeTokens);
  const hashes: number[] = [];
  for (let i = 0; i < n; i++) hashes.push(i < r.numSharedBlocks ? r.family * 1000 + i : (id + 1) * 1_000_000 + i);
  return hashes;
}

/** `uniqueTail`: pass the request's own (never shared) blocks as numUniqueBlocks instead of as hashes. */
function newRequestOf(id: number, r: ReqSpec, cfg: SchedulerConfig, uniqueTail = false): NewRequest {
  const initialOutputTokens = Math.min(r.initialOutputTokens, r.maxOutputTokens - 1);
  const known = r.promptTokens + initialOutputTokens;
  const hashes = blockHashesOf(id, r, cfg.blockSizeTokens);
  const numShared = Math.min(hashes.length, r.numSharedBlocks);
  return {
    id,
    promptTokens: r.promptTokens,
    maxOutputTokens: r.maxOutputTokens,
    blockHashes: uniqueTail ? hashes.slice(0, numShared) : hashes,
    numUniqueBlocks: uniqueTail ? hashes.length - numShared : 0,
    initialOutputTokens,
    precomputedTokens: Math.floor((r.precomputedPct / 100) * (known - 1)),
  };
}

interface Shadow {
  readonly req: NewRequest;
  readonly stopAfter: number | undefined;
  known: number;
  computed: number;
  outputs: number;
  /** KV still to arrive with the request: only until its first admission. */
  precomputed: number;
  status: 'waiting' | 'running' | 'finished' | 'aborted';
  stopped: boolean;
  preemptions: number;
}

interface RunResult {
  /** One line per step: a deterministic trace. */
  readonly trace: string[];
  readonly numPreemptions: number;
  readonly numHitTokens: number;
  readonly numAborts: number;
  readonly numRejected: number;
  readonly numExternalAdmissions: number;
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Drive a scenario to completion, checking every step against the shadow model; throws on any violation. */
function run(sc: Scenario, uniqueTail = false): RunResult {
  const { cfg } = sc;
  const bs = cfg.blockSizeTokens;
  const s = new Scheduler(cfg);
  const kv = s.kvBlockManager;
  const shadows = new Map<number, Shadow>();
  // The policy's queues, modelled: FCFS waiting with preempted requests at the front; running in admission order.
  let waitingOrder: number[] = [];
  let runningOrder: number[] = [];
  const trace: string[] = [];
  let numAborts = 0;
  let numRejected = 0;
  let numExternalAdmissions = 0;

  const arrivals = new Map<number, number[]>();
  const abortsAt = new Map<number, { id: number; inFlight: boolean }[]>();
  sc.reqs.forEach((r, id) => {
    arrivals.set(r.arriveAtStep, [...(arrivals.get(r.arriveAtStep) ?? []), id]);
    if (r.abortAtStep !== undefined)
      abortsAt.set(r.abortAtStep, [...(abortsAt.get(r.abortAtStep) ?? []), { id, inFlight: r.abortInFlight }]);
  });
  const lastArrival = Math.max(...sc.reqs.map((r) => r.arriveAtStep));
  // Liveness bound: the first running request always runs (it can preempt all others and fits alone), gaining
  // ≥ 1 token a step, and it is only replaced when it finishes; so each request is at the head for at most
  // prompt + maxOutput steps. Exceeding this is a livelock, reported as a failure, never a hang.
  const maxSteps = lastArrival + 2 + sc.reqs.reduce((a, r) => a + r.promptTokens + r.maxOutputTokens, 0);

  const live = (): Shadow[] => [...shadows.values()].filter((x) => x.status === 'waiting' || x.status === 'running');

  const checkBlocks = (where: string): void => {
    kv.assertInvariants();
    const union = new Set<number>();
    for (const sh of live()) {
      const table = kv.blockIds(sh.req.id);
      if (sh.status === 'waiting') assert.equal(table.length, 0, `${where}: waiting request ${sh.req.id} holds blocks`);
      const hashes = sh.req.blockHashes ?? [];
      table.forEach((b, i) => {
        union.add(b);
        // A cached block inside a table is always the table's own prompt block i: sharing is by hash only.
        const h = kv.blockHashOf(b);
        if (h !== undefined) assert.equal(hashes[i], h, `${where}: request ${sh.req.id} block ${i} (id ${b}) carries hash ${h}`);
        if (kv.refCountOf(b) > 1) assert.notEqual(h, undefined, `${where}: block ${b} shared but not cached`);
      });
    }
    assert.equal(s.numUsedBlocks, union.size, `${where}: used blocks ≠ blocks held by live requests`);
    assert.equal(s.numWaiting, waitingOrder.length, `${where}: numWaiting`);
    assert.equal(s.numRunning, runningOrder.length, `${where}: numRunning`);
    assert.ok(s.numRunning <= cfg.maxNumSeqs, `${where}: ${s.numRunning} running > maxNumSeqs`);
  };

  const doAbort = (id: number, where: string): void => {
    const sh = shadows.get(id);
    const isLive = sh !== undefined && (sh.status === 'waiting' || sh.status === 'running');
    const usedBefore = s.numUsedBlocks;
    assert.equal(s.abort(id), isLive, `${where}: abort(${id}) return value`);
    if (!isLive) return;
    numAborts++;
    sh.status = 'aborted';
    waitingOrder = waitingOrder.filter((x) => x !== id);
    runningOrder = runningOrder.filter((x) => x !== id);
    assert.equal(kv.blockIds(id).length, 0, `${where}: aborted request still holds blocks`);
    assert.ok(s.numUsedBlocks <= usedBefore);
    checkBlocks(`${where} after abort(${id})`);
  };

  let stepNo = 0;
  for (; stepNo <= lastArrival || s.hasWork(); stepNo++) {
    assert.ok(stepNo <= maxSteps, `livelock: more than ${maxSteps} steps`);
    const where = `step ${stepNo}`;
    for (const id of arrivals.get(stepNo) ?? []) {
      const req = newRequestOf(id, sc.reqs[id]!, cfg, uniqueTail);
      const res = s.add(req);
      const sh: Shadow = {
        req,
        stopAfter: sc.reqs[id]!.stopAfter,
        known: req.promptTokens + req.initialOutputTokens!,
        computed: 0,
        outputs: req.initialOutputTokens!,
        precomputed: req.precomputedTokens!,
        status: 'waiting',
        stopped: false,
        preemptions: 0,
      };
      // Rejected exactly when the request can never run here.
      const needBlocks = ceilDiv(req.promptTokens + req.maxOutputTokens - 1, bs);
      const firstPrefill = sh.known - sh.precomputed;
      const expectOk = needBlocks <= cfg.numKvBlocks && (cfg.enableChunkedPrefill || firstPrefill <= cfg.maxNumBatchedTokens);
      assert.equal(res.ok, expectOk, `${where}: add(${id}) → ${JSON.stringify(res)}`);
      if (!res.ok) {
        numRejected++;
        assert.equal(s.request(id), undefined);
        continue;
      }
      shadows.set(id, sh);
      waitingOrder.push(id);
    }
    const inFlightAborts: number[] = [];
    for (const a of abortsAt.get(stepNo) ?? []) {
      if (a.inFlight) inFlightAborts.push(a.id);
      else doAbort(a.id, where);
    }
    if (!s.hasWork()) continue;

    const step: SchedulerStep = s.schedule();
    const tokens = step.seqs.reduce((a, q) => a + q.numNewTokens, 0);
    assert.equal(step.numScheduledTokens, tokens);
    assert.ok(tokens <= cfg.maxNumBatchedTokens, `${where}: ${tokens} tokens > budget ${cfg.maxNumBatchedTokens}`);
    assert.ok(step.seqs.length <= cfg.maxNumSeqs, `${where}: ${step.seqs.length} seqs > maxNumSeqs`);
    assert.equal(new Set(step.seqs.map((q) => q.id)).size, step.seqs.length, `${where}: a request twice in a step`);
    assert.ok(step.preemptedIds.length === 0 || step.admittedIds.length === 0, `${where}: admitted in a step that preempted`);
    assert.ok(step.seqs.length > 0, `${where}: work but an empty step`);

    // Preemption takes running requests from the back, and puts them at the front of waiting (in order).
    for (const id of step.preemptedIds) {
      assert.equal(runningOrder.pop(), id, `${where}: preempted ${id} is not the last running`);
      const sh = shadows.get(id)!;
      sh.status = 'waiting';
      sh.computed = 0;
      sh.precomputed = 0;
      sh.preemptions++;
      waitingOrder.unshift(id);
      assert.equal(kv.blockIds(id).length, 0, `${where}: preempted ${id} keeps blocks`);
    }
    // Seqs: the running requests in order (a prefix: the budget may run out), then admissions FCFS.
    const admitted = new Set(step.admittedIds);
    const runningSeqs = step.seqs.filter((q) => !admitted.has(q.id)).map((q) => q.id);
    assert.deepEqual(runningSeqs, runningOrder.slice(0, runningSeqs.length), `${where}: running seqs out of order`);
    assert.deepEqual(step.seqs.slice(runningSeqs.length).map((q) => q.id), step.admittedIds, `${where}: admissions after running`);
    assert.deepEqual(step.admittedIds, waitingOrder.slice(0, step.admittedIds.length), `${where}: admission is not FCFS`);
    waitingOrder = waitingOrder.slice(step.admittedIds.length);
    runningOrder.push(...step.admittedIds);

    for (const q of step.seqs) {
      const sh = shadows.get(q.id)!;
      assert.ok(q.numNewTokens >= 1, `${where}: seq ${q.id} with ${q.numNewTokens} tokens`);
      if (admitted.has(q.id)) {
        // Start: after a prefix hit (whole cached blocks, never the whole sequence) or the transferred KV.
        const ext = q.numExternalTokens ?? 0;
        const hitTokens = q.numComputedTokens - ext;
        assert.ok(ext <= sh.precomputed, `${where}: ${q.id} external ${ext} > precomputed ${sh.precomputed}`);
        assert.ok(ext === 0 || q.numComputedTokens === sh.precomputed, `${where}: ${q.id} external part does not end at precomputed`);
        assert.equal(hitTokens % bs, 0);
        if (hitTokens > 0) assert.ok(cfg.enablePrefixCaching, `${where}: hit with prefix caching off`);
        for (let i = 0; i < hitTokens / bs; i++) assert.equal(kv.blockHashOf(q.blockIds[i]!), sh.req.blockHashes![i]);
        assert.ok(q.numComputedTokens < sh.known, `${where}: ${q.id} starts with every known token computed`);
        sh.computed = q.numComputedTokens;
        sh.precomputed = 0;
        sh.status = 'running';
        if (ext > 0) numExternalAdmissions++;
        const remaining = sh.known - sh.computed;
        if (!cfg.enableChunkedPrefill && q.numNewTokens < remaining)
          assert.ok(sh.preemptions > 0 && remaining > cfg.maxNumBatchedTokens, `${where}: ${q.id} chunked with chunked prefill off`);
      } else {
        assert.equal(q.numComputedTokens, sh.computed, `${where}: ${q.id} computed tokens`);
        assert.equal(q.numExternalTokens ?? 0, 0);
      }
      assert.ok(q.numComputedTokens + q.numNewTokens <= sh.known, `${where}: ${q.id} computes beyond its known tokens`);
      assert.equal(q.samples, q.numComputedTokens + q.numNewTokens === sh.known, `${where}: ${q.id} samples flag`);
      assert.equal(q.blockIds.length, ceilDiv(q.numComputedTokens + q.numNewTokens, bs), `${where}: ${q.id} block table size`);
    }
    checkBlocks(`${where} after schedule`);
    trace.push(
      JSON.stringify([
        step.seqs.map((q) => [q.id, q.numComputedTokens, q.numNewTokens, q.samples, q.numExternalTokens, [...q.blockIds]]),
        step.preemptedIds,
        step.admittedIds,
      ]),
    );

    for (const id of inFlightAborts) doAbort(id, `${where} (in flight)`);

    // The caller stops a request when its sampled token is a stop token.
    const stopped = new Set<number>();
    for (const q of step.seqs) {
      const sh = shadows.get(q.id)!;
      if (q.samples && sh.status === 'running' && sh.stopAfter !== undefined && sh.outputs + 1 >= sh.stopAfter) stopped.add(q.id);
    }
    const out = s.complete(step, stopped);
    const expectSampled: number[] = [];
    const expectFinished: number[] = [];
    for (const q of step.seqs) {
      const sh = shadows.get(q.id)!;
      if (sh.status !== 'running') continue; // aborted in flight
      sh.computed += q.numNewTokens;
      if (q.samples) {
        sh.outputs++;
        sh.known++;
        expectSampled.push(q.id);
      }
      if (sh.outputs >= sh.req.maxOutputTokens || stopped.has(q.id)) {
        sh.stopped = stopped.has(q.id) && sh.outputs < sh.req.maxOutputTokens;
        sh.status = 'finished';
        expectFinished.push(q.id);
        runningOrder = runningOrder.filter((x) => x !== q.id);
        assert.equal(kv.blockIds(q.id).length, 0, `${where}: finished ${q.id} keeps blocks`);
        assert.equal(s.request(q.id), undefined);
      }
    }
    assert.deepEqual(out.sampledIds, expectSampled, `${where}: sampledIds`);
    assert.deepEqual(out.finishedIds, expectFinished, `${where}: finishedIds`);
    for (const sh of live()) {
      const v = s.request(sh.req.id)!;
      assert.equal(v.numComputedTokens, sh.computed, `${where}: ${sh.req.id} computed after complete`);
      assert.equal(v.numOutputTokens, sh.outputs);
    }
    checkBlocks(`${where} after complete`);
    trace.push(JSON.stringify(out));
  }

  // Everything admitted ran to its end: max outputs, or the stop, or the abort; nothing leaked.
  for (const sh of shadows.values()) {
    assert.ok(sh.status === 'finished' || sh.status === 'aborted', `request ${sh.req.id} left ${sh.status}`);
    if (sh.status === 'finished') {
      const expected = sh.stopped ? sh.stopAfter! : sh.req.maxOutputTokens;
      assert.equal(sh.outputs, Math.max(expected, sh.req.initialOutputTokens! + 1), `request ${sh.req.id} outputs`);
    }
  }
  assert.equal(s.hasWork(), false);
  assert.equal(s.numUsedBlocks, 0);
  assert.equal(kv.usage(), 0);
  assert.equal(kv.numFreeBlocks(), cfg.numKvBlocks);
  kv.assertInvariants();
  return {
    trace,
    numPreemptions: s.numPreemptions,
    numHitTokens: s.prefixCacheStats.numHitTokens,
    numAborts,
    numRejected,
    numExternalAdmissions,
  };
}

test('random streams run to completion within budget, seq and block limits, with no leak', () => {
  const seen = { preemptions: 0, hitTokens: 0, aborts: 0, rejected: 0, external: 0, runs: 0 };
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const r = run(sc);
      seen.runs++;
      seen.preemptions += r.numPreemptions;
      seen.hitTokens += r.numHitTokens;
      seen.aborts += r.numAborts;
      seen.rejected += r.numRejected;
      seen.external += r.numExternalAdmissions;
    }),
    { numRuns: NUM_RUNS, seed: 20250117 },
  );
  // The generator must actually reach the interesting paths, or the property proves little.
  assert.ok(seen.preemptions > 50, `only ${seen.preemptions} preemptions over ${seen.runs} runs`);
  assert.ok(seen.hitTokens > 0 && seen.aborts > 0 && seen.rejected > 0 && seen.external > 0, JSON.stringify(seen));
});

test('unique blocks: passing never-shared blocks as numUniqueBlocks gives the same steps, block ids and hits as hashing them', () => {
  let runsWithUnique = 0;
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const hashed = run(sc);
      const unique = run(sc, true);
      assert.deepEqual(unique.trace, hashed.trace);
      assert.equal(unique.numHitTokens, hashed.numHitTokens);
      if (sc.cfg.enablePrefixCaching && sc.reqs.some((r) => r.promptTokens >= (r.numSharedBlocks + 1) * sc.cfg.blockSizeTokens)) runsWithUnique++;
    }),
    { numRuns: NUM_RUNS, seed: 7 },
  );
  assert.ok(runsWithUnique > NUM_RUNS / 4, `only ${runsWithUnique} runs had unique blocks with prefix caching on`);
});

test('random streams also hold with fresh random seeds', () => {
  fc.assert(fc.property(scenarioArb, (sc) => void run(sc)), { numRuns: 200 });
});

test('memory-starved replicas preempt and still finish every request', () => {
  // Few blocks, many long-output requests: preemption on most runs.
  const starved = fc.record({
    cfg: fc.record({
      maxNumBatchedTokens: fc.integer({ min: 8, max: 256 }),
      maxNumSeqs: fc.integer({ min: 2, max: 8 }),
      blockSizeTokens: fc.constantFrom(1, 2, 4),
      numKvBlocks: fc.integer({ min: 12, max: 40 }),
      enableChunkedPrefill: fc.boolean(),
      enablePrefixCaching: fc.boolean(),
    }),
    reqs: fc.array(
      reqArb.map((r) => ({ ...r, promptTokens: 1 + (r.promptTokens % 8), maxOutputTokens: 4 + r.maxOutputTokens, stopAfter: undefined, abortAtStep: undefined })),
      { minLength: 2, maxLength: 12 },
    ),
  });
  let runsWithPreemption = 0;
  fc.assert(
    fc.property(starved, (sc) => {
      if (run(sc).numPreemptions > 0) runsWithPreemption++;
    }),
    { numRuns: 200, seed: 7 },
  );
  assert.ok(runsWithPreemption > 20, `only ${runsWithPreemption} of 200 runs preempted`);
});

test('deterministic: the same inputs give the same step sequence', () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      assert.deepEqual(run(sc).trace, run(sc).trace);
    }),
    { numRuns: 200, seed: 42 },
  );
});

// ---- Decode fast-forward (decodeRunSteps / advanceDecode): the bulk path must be the same run, in fewer calls.

interface BulkLog {
  /** [step at which it finished, id, outputs] in finish order. */
  readonly finishes: [number, number, number][];
  /** At the start of each step the driver visits: used blocks, running, waiting, preemptions, hit tokens. */
  readonly states: Map<number, string>;
  readonly numBulkSteps: number;
}

/**
 * Drive arrivals (no stops or aborts: a fast-forwarding caller only uses the bulk path when no stop token can
 * come) either step by step, or with `advanceDecode(k)` wherever `decodeRunSteps` allows, k picked from `picks`
 * (the fraction picks[i]/1000 of the bound, at least 1), never across an arrival.
 */
function driveBulk(sc: Scenario, picks: readonly number[] | null, evictCached = false): BulkLog {
  const s = new Scheduler(sc.cfg);
  const arrivals = new Map<number, number[]>();
  sc.reqs.forEach((r, id) => arrivals.set(r.arriveAtStep, [...(arrivals.get(r.arriveAtStep) ?? []), id]));
  const arrivalSteps = [...arrivals.keys()].sort((a, b) => a - b);
  const lastArrival = arrivalSteps[arrivalSteps.length - 1]!;
  const finishes: [number, number, number][] = [];
  const states = new Map<number, string>();
  const outputs = new Map<number, number>();
  let numBulkSteps = 0;
  let pick = 0;
  const finishedIds: number[] = [];
  for (let stepNo = 0; stepNo <= lastArrival || s.hasWork(); ) {
    assert.ok(stepNo < 100_000, 'livelock');
    for (const id of arrivals.get(stepNo) ?? []) {
      const req = newRequestOf(id, sc.reqs[id]!, sc.cfg);
      if (s.add(req).ok) outputs.set(id, req.initialOutputTokens!);
    }
    states.set(stepNo, JSON.stringify([s.numUsedBlocks, s.numRunning, s.numWaiting, s.numPreemptions, s.prefixCacheStats.numHitTokens]));
    if (!s.hasWork()) {
      stepNo++;
      continue;
    }
    const nextArrival = arrivalSteps.find((a) => a > stepNo) ?? Infinity;
    const bound = picks === null ? 0 : s.decodeRunSteps(nextArrival - stepNo, evictCached);
    if (bound >= 1) {
      const k = Math.max(1, Math.floor((bound * picks![pick++ % picks!.length]!) / 1000));
      const running: number[] = [];
      running.length = s.runningIdsInto(running);
      // decodeRunNewBlocks (cached per scheduler state) against its definition, before and after a change.
      const newBlocksByDefinition = (j: number): number =>
        running.reduce((n, id) => {
          const r = s.request(id);
          return r === undefined ? n : n + Math.max(0, ceilDiv(r.numComputedTokens + j, sc.cfg.blockSizeTokens) - s.kvBlockManager.numBlocksOf(id));
        }, 0);
      for (const j of [1, k, bound]) assert.equal(s.decodeRunNewBlocks(j), newBlocksByDefinition(j));
      s.advanceDecode(k, finishedIds);
      if (s.decodeRunSteps(1, true) > 0) for (const j of [1, 2, 17]) assert.equal(s.decodeRunNewBlocks(j), newBlocksByDefinition(j));
      for (const id of running) outputs.set(id, outputs.get(id)! + k);
      for (const id of finishedIds) finishes.push([stepNo + k - 1, id, outputs.get(id)!]);
      s.kvBlockManager.assertInvariants();
      numBulkSteps += k;
      stepNo += k;
      continue;
    }
    const step = s.schedule();
    const out = s.complete(step);
    for (const id of out.sampledIds) outputs.set(id, outputs.get(id)! + 1);
    for (const id of out.finishedIds) finishes.push([stepNo, id, outputs.get(id)!]);
    stepNo++;
  }
  assert.equal(s.numUsedBlocks, 0);
  s.kvBlockManager.assertInvariants();
  return { finishes, states, numBulkSteps };
}

test('fast-forward: bulk decode runs give the same finish order, steps, token counts and KV state as step by step', () => {
  const noStops = scenarioArb.map((sc) => ({ ...sc, reqs: sc.reqs.map((r) => ({ ...r, stopAfter: undefined, abortAtStep: undefined })) }));
  let bulkSteps = 0;
  fc.assert(
    fc.property(noStops, fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (sc, picks, evict) => {
      const plain = driveBulk(sc, null);
      const bulk = driveBulk(sc, picks, evict);
      assert.deepEqual(bulk.finishes, plain.finishes);
      // Every step the bulk driver stopped at looks the same as in the step-by-step run.
      for (const [stepNo, state] of bulk.states) assert.equal(state, plain.states.get(stepNo), `step ${stepNo}`);
      bulkSteps += bulk.numBulkSteps;
    }),
    { numRuns: NUM_RUNS, seed: 777 },
  );
  assert.ok(bulkSteps > 1000, `the bulk path ran only ${bulkSteps} steps`);
});

test('fast-forward: decodeRunSteps is 0 with a step in flight or work waiting, and advanceDecode refuses more', () => {
  const s = new Scheduler({ maxNumBatchedTokens: 64, maxNumSeqs: 4, blockSizeTokens: 4, numKvBlocks: 8, enableChunkedPrefill: true, enablePrefixCaching: false });
  s.add({ id: 1, promptTokens: 5, maxOutputTokens: 10 });
  assert.equal(s.decodeRunSteps(100), 0); // waiting
  const step = s.schedule();
  assert.equal(s.decodeRunSteps(100), 0); // in flight
  s.complete(step);
  // 9 outputs left, but 8 blocks × 4 = 32 tokens: bound by the finish (9 steps).
  assert.equal(s.decodeRunSteps(100), 9);
  assert.equal(s.decodeRunSteps(3), 3);
  assert.throws(() => s.advanceDecode(10), /decodeRunSteps/);
  assert.deepEqual(s.advanceDecode(9), [1]);
  assert.equal(s.numUsedBlocks, 0);
  // A block bound: two 4-token prompts hold a block each; 3 free blocks cover one more block each up to
  // 8 tokens (4 steps), the fifth step would need 4 blocks — before either request's 8 outputs left run out.
  const t = new Scheduler({ maxNumBatchedTokens: 64, maxNumSeqs: 4, blockSizeTokens: 4, numKvBlocks: 5, enableChunkedPrefill: true, enablePrefixCaching: false });
  t.add({ id: 1, promptTokens: 4, maxOutputTokens: 9 });
  t.add({ id: 2, promptTokens: 4, maxOutputTokens: 9 });
  t.complete(t.schedule());
  assert.equal(t.decodeRunSteps(100), 4);
  assert.deepEqual(t.advanceDecode(4), []);
  assert.equal(t.numUsedBlocks, 4);
  assert.equal(t.decodeRunSteps(100), 0); // the next step needs 2 blocks, 1 is free: a preemption, not a run
});
