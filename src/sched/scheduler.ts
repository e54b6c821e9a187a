/**
 * One replica's scheduler, vLLM v1 style: a request only has known tokens (prompt + outputs so far) and computed
 * tokens; every step gives each request min(known − computed, budget left) new tokens. Prefill, chunked prefill,
 * decode, resumption after preemption and KV arriving from a prefill worker all fall out of that rule.
 *
 * The caller (simulator or engine) alternates `schedule()` → execute the step → `complete(step)`; one step is in
 * flight at a time. Pure: no clock, no I/O, no randomness, so the same calls give the same steps.
 */
import { RepeatFinder } from './block-hash-table.js';
import { KvBlockCounter } from './kv-block-counter.js';
import { KvBlockManager, type PrefixCacheStats, type PrefixHit } from './kv-block-manager.js';
import type { KvCache } from './kv-cache.js';
import { RequestQueue } from './request-queue.js';
import type {
  NewRequest,
  ReplicaLoad,
  ScheduledSeq,
  SchedulerConfig,
  SchedulerStep,
  StepOutcome,
} from './types.js';

/** Why `add` turned a request away; it was not queued. */
export type AddRejectCode = 'exceeds-kv-capacity' | 'exceeds-token-budget';

export type AddResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: AddRejectCode; readonly reason: string };

export type RequestStatus = 'waiting' | 'running' | 'finished';

/** What the scheduler knows of a live request (read-only view of its internal state). */
export interface RequestView {
  readonly id: number;
  readonly numPromptTokens: number;
  readonly maxOutputTokens: number;
  readonly numOutputTokens: number;
  readonly numComputedTokens: number;
  readonly numPreemptions: number;
  readonly status: RequestStatus;
}

interface RequestState {
  readonly id: number;
  readonly numPromptTokens: number;
  readonly maxOutputTokens: number;
  /** Empty when prefix caching is off or the caller gave none. */
  readonly blockHashes: readonly number[];
  /** Full prompt blocks after blockHashes cached as unique (see NewRequest.numUniqueBlocks); 0 with caching off. */
  readonly numUniqueBlocks: number;
  numOutputTokens: number;
  numComputedTokens: number;
  /** KV that arrives with the request, used at its first admission only (a recompute after preemption is local). */
  numPrecomputedTokens: number;
  numPreemptions: number;
  status: RequestStatus;
  /** Its block table (the block manager's live array), EMPTY_IDS while it holds none or ids are not kept. */
  blocks: readonly number[];
  /** Blocks it holds: spares a map lookup per step. */
  numBlocks: number;
}

const OK: AddResult = { ok: true };
const EMPTY_IDS: readonly number[] = [];
const EMPTY_OUTCOME: StepOutcome = { sampledIds: EMPTY_IDS, finishedIds: EMPTY_IDS };

export class Scheduler {
  readonly config: SchedulerConfig;
  private readonly kv: KvCache;
  private readonly requests = new Map<number, RequestState>();
  /** FCFS; preempted requests go back to the front. Aborted entries are skipped lazily (see peekWaiting). */
  private readonly waiting = new RequestQueue<RequestState>();
  private numWaitingReqs = 0;
  /** In admission order; preemption takes from the end. */
  private readonly running: RequestState[] = [];
  private inFlight: SchedulerStep | null = null;
  /** The requests of the step in flight, aligned with its seqs (complete() needs no id lookups). */
  private inFlightReqs: RequestState[] = [];
  private numPreemptionsTotal = 0;
  private readonly repeatFinder = new RepeatFinder();
  /** Bumped by every change of the running set or its blocks: invalidates runSlack. */
  private stateVersion = 0;
  /**
   * Free token slots in each running request's last block (blocks × blockSize − computed), for
   * decodeRunNewBlocks: routers ask it at every arrival while a replica is mid-run, when nothing here changes.
   */
  private runSlack = new Int32Array(64);
  private runSlackVersion = -1;

  /**
   * `opts.blockIds` false: count KV blocks without ids (KvBlockCounter) — the same steps, hits and preemptions,
   * but ScheduledSeq.blockIds is empty. For the simulator, which never reads an id.
   */
  constructor(cfg: SchedulerConfig, opts: { readonly blockIds?: boolean } = {}) {
    for (const key of ['maxNumBatchedTokens', 'maxNumSeqs', 'blockSizeTokens', 'numKvBlocks'] as const) {
      const v = cfg[key];
      if (!Number.isInteger(v) || v < 1) throw new Error(`SchedulerConfig.${key} is ${v}; accepted: an integer ≥ 1.`);
    }
    this.config = { ...cfg };
    this.kv = opts.blockIds === false ? new KvBlockCounter(cfg.numKvBlocks, cfg.blockSizeTokens) : new KvBlockManager(cfg.numKvBlocks, cfg.blockSizeTokens);
  }

  /**
   * Queue a request. Throws on a caller bug (duplicate live id, malformed counts); returns `ok: false` without
   * queueing when the request can never run here: its longest sequence (prompt + max output − 1 tokens, the
   * last output is never fed back) needs more blocks than the whole cache — it would be preempted forever — or,
   * with chunked prefill off, its first prefill exceeds the step budget (vLLM then requires
   * max_num_batched_tokens ≥ max_model_len).
   */
  add(req: NewRequest): AddResult {
    const { id, promptTokens, maxOutputTokens } = req;
    const initialOutputTokens = req.initialOutputTokens ?? 0;
    const precomputedTokens = req.precomputedTokens ?? 0;
    if (this.requests.has(id)) throw new Error(`Scheduler.add: request id ${id} is already waiting or running.`);
    checkCount(id, 'promptTokens', promptTokens, 1);
    checkCount(id, 'maxOutputTokens', maxOutputTokens, 1);
    checkCount(id, 'initialOutputTokens', initialOutputTokens, 0);
    checkCount(id, 'precomputedTokens', precomputedTokens, 0);
    if (initialOutputTokens >= maxOutputTokens)
      throw new Error(`Scheduler.add: request ${id}: initialOutputTokens is ${initialOutputTokens}; accepted: fewer than maxOutputTokens (${maxOutputTokens}).`);
    const numKnownTokens = promptTokens + initialOutputTokens;
    if (precomputedTokens >= numKnownTokens)
      throw new Error(
        `Scheduler.add: request ${id}: precomputedTokens is ${precomputedTokens}; accepted: fewer than prompt + initial outputs (${numKnownTokens}), since the last known token must be computed to sample the next.`,
      );
    const { blockSizeTokens: bs, numKvBlocks, maxNumBatchedTokens } = this.config;
    const blockHashes = this.config.enablePrefixCaching ? (req.blockHashes ?? EMPTY_IDS) : EMPTY_IDS;
    const numUniqueBlocks = this.config.enablePrefixCaching ? (req.numUniqueBlocks ?? 0) : 0;
    checkCount(id, 'numUniqueBlocks', numUniqueBlocks, 0);
    if (blockHashes.length + numUniqueBlocks > Math.floor(promptTokens / bs))
      throw new Error(
        `Scheduler.add: request ${id}: ${blockHashes.length} block hashes + ${numUniqueBlocks} unique blocks; accepted: at most floor(${promptTokens} / ${bs}) = ${Math.floor(promptTokens / bs)}, one per full prompt block (same block size as the scheduler).`,
      );
    if (this.repeatFinder.hasRepeat(blockHashes))
      throw new Error(`Scheduler.add: request ${id}: block hashes repeat; accepted: chained hashes, distinct within a request.`);

    const maxSeqTokens = promptTokens + maxOutputTokens - 1;
    const numMaxBlocks = Math.ceil(maxSeqTokens / bs);
    if (numMaxBlocks > numKvBlocks)
      return {
        ok: false,
        code: 'exceeds-kv-capacity',
        reason: `request ${id}: prompt ${promptTokens} + max output ${maxOutputTokens} − 1 = ${maxSeqTokens} tokens need ${numMaxBlocks} KV blocks of ${bs} tokens; the replica has ${numKvBlocks} (${numKvBlocks * bs} tokens).`,
      };
    const numFirstPrefillTokens = numKnownTokens - precomputedTokens;
    if (!this.config.enableChunkedPrefill && numFirstPrefillTokens > maxNumBatchedTokens)
      return {
        ok: false,
        code: 'exceeds-token-budget',
        reason: `request ${id}: its prefill of ${numFirstPrefillTokens} tokens exceeds maxNumBatchedTokens ${maxNumBatchedTokens} and chunked prefill is off; enable chunked prefill or raise the budget.`,
      };

    const state: RequestState = {
      id,
      numPromptTokens: promptTokens,
      maxOutputTokens,
      blockHashes,
      numUniqueBlocks,
      numOutputTokens: initialOutputTokens,
      numComputedTokens: 0,
      numPrecomputedTokens: precomputedTokens,
      numPreemptions: 0,
      status: 'waiting',
      blocks: EMPTY_IDS,
      numBlocks: 0,
    };
    this.requests.set(id, state);
    this.waiting.pushBack(state);
    this.numWaitingReqs++;
    return OK;
  }

  /**
   * Build the next step: running requests first, in order, preempting from the back when blocks run out; then,
   * if nothing was preempted, waiting requests FCFS while budget, maxNumSeqs and blocks allow.
   */
  schedule(numSpeculativeTokens: number = this.config.numSpeculativeTokens ?? 0): SchedulerStep {
    if (this.inFlight !== null) throw new Error('Scheduler.schedule: the previous step is still in flight; call complete(step) first.');
    this.stateVersion++;
    const { maxNumBatchedTokens, maxNumSeqs, blockSizeTokens: bs } = this.config;
    const specK = Math.max(0, Math.floor(numSpeculativeTokens));
    const seqs: ScheduledSeq[] = [];
    const seqReqs: RequestState[] = [];
    const preemptedIds: number[] = [];
    const admittedIds: number[] = [];
    let budget = maxNumBatchedTokens;

    // Running requests: a decode takes 1 token, a partly prefilled request continues its prefill.
    let i = 0;
    while (i < this.running.length && budget > 0) {
      const req = this.running[i]!;
      const numKnownLeft = req.numPromptTokens + req.numOutputTokens - req.numComputedTokens;
      // Speculative decoding: a decode also verifies up to k drafted tokens, never more than the outputs left.
      const numDraft = specK > 0 && numKnownLeft === 1 ? Math.min(specK, req.maxOutputTokens - req.numOutputTokens - 1, budget - 1) : 0;
      const numNew = Math.min(numKnownLeft + Math.max(0, numDraft), budget);
      let fits = this.allocate(req, req.numComputedTokens + numNew);
      while (!fits) {
        // Recompute preemption of the last running request; it is never one already scheduled in this step,
        // since those sit before index i.
        const victim = this.running.pop()!;
        this.preempt(victim);
        preemptedIds.push(victim.id);
        if (victim === req) break;
        fits = this.allocate(req, req.numComputedTokens + numNew);
      }
      if (!fits) break;
      seqs.push(numDraft > 0 ? { ...this.scheduledSeq(req, numNew, 0), samples: true, numSpeculativeTokens: numDraft } : this.scheduledSeq(req, numNew, 0));
      seqReqs.push(req);
      budget -= numNew;
      i++;
    }

    // Waiting requests, only when memory is not under pressure (vLLM: no admission in a step that preempted).
    if (preemptedIds.length === 0) {
      while (budget > 0 && this.running.length < maxNumSeqs) {
        const req = this.peekWaiting();
        if (req === undefined) break;
        const numKnown = req.numPromptTokens + req.numOutputTokens;
        // Never hit the whole sequence: the last known token must be computed to sample the next one.
        const numHitBlocks =
          req.blockHashes.length + req.numUniqueBlocks > 0 ? this.kv.cachedPrefixBlocksOf(req.id, req.blockHashes, Math.floor((numKnown - 1) / bs)) : 0;
        const numHitTokens = numHitBlocks * bs;
        const numComputed = Math.max(numHitTokens, req.numPrecomputedTokens);
        const numRemaining = numKnown - numComputed;
        // Without chunked prefill the whole remaining prefill must fit, else stop (FCFS: nobody overtakes). A
        // resumed request longer than the whole budget could never fit; it alone is prefilled in chunks.
        if (!this.config.enableChunkedPrefill && numRemaining > budget && numRemaining <= maxNumBatchedTokens) break;
        const numNew = Math.min(numRemaining, budget);
        const hit: PrefixHit | undefined = this.config.enablePrefixCaching
          ? { blockHashes: req.blockHashes, numBlocks: numHitBlocks, numQueryTokens: numKnown }
          : undefined;
        // No preemption on behalf of a waiting request; the first that does not fit stops admission (FCFS).
        if (!this.allocate(req, numComputed + numNew, hit)) break;
        this.waiting.popFront();
        this.numWaitingReqs--;
        req.status = 'running';
        req.numComputedTokens = numComputed;
        req.numPrecomputedTokens = 0;
        this.running.push(req);
        admittedIds.push(req.id);
        seqs.push(this.scheduledSeq(req, numNew, numComputed - numHitTokens));
        seqReqs.push(req);
        budget -= numNew;
      }
    }

    const numScheduledTokens = maxNumBatchedTokens - budget;
    if (budget < 0 || seqs.length > maxNumSeqs || this.running.length > maxNumSeqs)
      throw new Error(`Scheduler.schedule: invariant broken (${numScheduledTokens} tokens, ${seqs.length} seqs, ${this.running.length} running).`);
    const step: SchedulerStep = { seqs, numScheduledTokens, preemptedIds, admittedIds };
    // An empty step computes nothing; the caller need not complete it.
    this.inFlight = seqs.length > 0 ? step : null;
    this.inFlightReqs = seqReqs;
    return step;
  }

  /**
   * Take the executed step back: advance computed tokens, count one output for each seq that sampled, finish
   * those that reached maxOutputTokens or are in `stoppedIds` (normally: their sampled token was a stop token;
   * any seq of the step listed there is finished), and free the finished requests' blocks. Seqs of requests
   * aborted while the step was in flight are ignored. A speculative verification (`numSpeculativeTokens` > 0)
   * keeps `acceptedTokens.get(id)` of its drafts (default 0) and gains that many outputs plus the sampled one.
   */
  complete(step: SchedulerStep, stoppedIds?: ReadonlySet<number>, acceptedTokens?: ReadonlyMap<number, number>): StepOutcome {
    if (step.seqs.length === 0) return EMPTY_OUTCOME;
    if (step !== this.inFlight) throw new Error('Scheduler.complete: this step is not the one in flight (each step is completed once, in order).');
    this.stateVersion++;
    this.inFlight = null;
    const sampledIds: number[] = [];
    const finishedIds: number[] = [];
    const cachePrefixes = this.config.enablePrefixCaching;
    const reqs = this.inFlightReqs;
    for (let s = 0; s < step.seqs.length; s++) {
      const seq = step.seqs[s]!;
      // Aborted while in flight: its state says finished (or, re-added under the same id, it is another object).
      const req = reqs[s]!;
      if (req.status !== 'running') continue;
      // Only steps that still compute prompt blocks can register new cached blocks: decode steps skip the call.
      const hashedTokens = (req.blockHashes.length + req.numUniqueBlocks) * this.config.blockSizeTokens;
      const hadAllHashedBlocks = req.numComputedTokens >= hashedTokens;
      // A verification keeps the accepted drafts (their KV is valid) and rolls the rejected ones back; the
      // blocks allocated for them stay with the request until it finishes.
      const numDraft = seq.numSpeculativeTokens ?? 0;
      const numAccepted = numDraft > 0 ? Math.max(0, Math.min(numDraft, Math.floor(acceptedTokens?.get(req.id) ?? 0))) : 0;
      req.numComputedTokens += numDraft > 0 ? 1 + numAccepted : seq.numNewTokens;
      if (cachePrefixes && !hadAllHashedBlocks) this.kv.cacheFullBlocks(req.id, req.blockHashes, req.numComputedTokens, req.numUniqueBlocks);
      let done = false;
      if (seq.samples) {
        req.numOutputTokens += 1 + numAccepted;
        sampledIds.push(req.id);
        done = req.numOutputTokens >= req.maxOutputTokens;
      }
      if (!done && stoppedIds !== undefined && stoppedIds.has(req.id)) done = true;
      if (done) {
        this.release(req);
        finishedIds.push(req.id);
      }
    }
    if (finishedIds.length > 0) this.dropFinishedFromRunning();
    return { sampledIds, finishedIds };
  }

  /**
   * Decode fast-forward, step 1 of 2: how many of the next steps are certain to be the same pure-decode batch
   * if nothing is added or aborted meanwhile — at most `maxSteps`, 0 when the replica is not in such a state.
   * The state: no step in flight, nothing waiting, every running request has all but its last known token
   * computed and at least one output (so no prefill, no prefix-cache registration), the batch fits the token
   * budget, no speculative decoding. The bound stops at the step where the first request reaches its max
   * output (that step is included: it finishes there) and at the last step whose new KV blocks can all be had
   * without a preemption. With `evictCached` false they must come from the free list: the run evicts no cached
   * block, so prefix-cache lookups give the same answer all through it (what a prefix-aware router needs when it
   * asks mid-run); with it true they may also evict cached blocks, as step-by-step allocation would (the same
   * blocks: nothing is freed during a run, so the LRU order is fixed). See docs/performance.md.
   */
  decodeRunSteps(maxSteps: number, evictCached = false): number {
    return this.numWaitingReqs > 0 ? 0 : this.decodeRunBound(maxSteps, evictCached);
  }

  /** decodeRunSteps without the nothing-waiting condition. */
  private decodeRunBound(maxSteps: number, evictCached: boolean): number {
    if (this.inFlight !== null || this.running.length === 0) return 0;
    if ((this.config.numSpeculativeTokens ?? 0) > 0 || this.running.length > this.config.maxNumBatchedTokens) return 0;
    let bound = Math.floor(maxSteps);
    for (const req of this.running) {
      if (req.numOutputTokens < 1 || req.numPromptTokens + req.numOutputTokens - req.numComputedTokens !== 1) return 0;
      const left = req.maxOutputTokens - req.numOutputTokens;
      if (left < bound) bound = left;
    }
    if (bound <= 0) return 0;
    const free = evictCached ? this.kv.numFreeBlocks() : this.kv.numStrictlyFreeBlocks();
    if (this.decodeRunNewBlocks(bound) <= free) return bound;
    // Largest m with newBlocks(m) ≤ free: newBlocks is non-decreasing in m and newBlocks(0) = 0.
    let lo = 0;
    let hi = bound;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.decodeRunNewBlocks(mid) <= free) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** KV blocks the running requests add over `numSteps` decode steps of a run (see decodeRunSteps). */
  decodeRunNewBlocks(numSteps: number): number {
    const bs = this.config.blockSizeTokens;
    const len = this.running.length;
    if (this.runSlackVersion !== this.stateVersion) {
      if (this.runSlack.length < len) this.runSlack = new Int32Array(2 * len);
      for (let i = 0; i < len; i++) {
        const req = this.running[i]!;
        this.runSlack[i] = req.numBlocks * bs - req.numComputedTokens;
      }
      this.runSlackVersion = this.stateVersion;
    }
    // ceil((computed + k) / bs) − blocks = ceil((k − slack) / bs), as blocks × bs is an integer.
    const slack = this.runSlack;
    let n = 0;
    for (let i = 0; i < len; i++) {
      const need = Math.ceil((numSteps - slack[i]!) / bs);
      if (need > 0) n += need;
    }
    return n;
  }

  /** Σ over running requests of their attention context in the run's first step (computed + 1). */
  decodeRunKvTokens(): number {
    let n = 0;
    for (const req of this.running) n += req.numComputedTokens + 1;
    return n;
  }

  /** Ids of the running requests in scheduling order, written into `out` (reused, no allocation); returns the count. */
  runningIdsInto(out: number[]): number {
    const n = this.running.length;
    for (let i = 0; i < n; i++) out[i] = this.running[i]!.id;
    return n;
  }

  /**
   * Decode fast-forward, step 2 of 2: apply `numSteps` (1 ≤ numSteps ≤ decodeRunSteps(…, true)) decode steps at once —
   * the same block allocations, computed tokens and outputs as that many schedule()/complete() rounds, and the
   * same requests finish (at the last step only, in running order). Returns the finished ids. With requests
   * waiting, one step only: the step that was in flight when they arrived, scheduled before they existed (a
   * run cut by an arrival ends with it).
   */
  advanceDecode(numSteps: number, finishedOut: number[] = []): number[] {
    const bound = numSteps === 1 ? this.decodeRunBound(1, true) : this.decodeRunSteps(numSteps, true);
    if (!Number.isInteger(numSteps) || numSteps < 1 || bound < numSteps)
      throw new Error(`Scheduler.advanceDecode: ${numSteps} steps; accepted: an integer in 1..decodeRunSteps() (${bound} now), or 1 with requests waiting.`);
    finishedOut.length = 0;
    this.stateVersion++;
    // Every allocation before any release, as in a step: the last step allocates for all, then completes.
    for (const req of this.running) {
      // Cannot fail: decodeRunSteps checked the free and evictable blocks cover every new block.
      if (!this.allocate(req, req.numComputedTokens + numSteps)) throw new Error('Scheduler.advanceDecode: allocation failed (bug)');
      req.numComputedTokens += numSteps;
      req.numOutputTokens += numSteps;
    }
    for (const req of this.running) {
      if (req.numOutputTokens >= req.maxOutputTokens) {
        this.release(req);
        finishedOut.push(req.id);
      }
    }
    if (finishedOut.length > 0) this.dropFinishedFromRunning();
    return finishedOut;
  }

  /** The client went away: drop the request wherever it is and free its blocks now. False if unknown. */
  abort(id: number): boolean {
    const req = this.requests.get(id);
    if (req === undefined) return false;
    this.stateVersion++;
    if (req.status === 'waiting') {
      this.numWaitingReqs--; // its queue entry is skipped when it reaches the front
    } else if (req.status === 'running') {
      const idx = this.running.indexOf(req);
      if (idx >= 0) this.running.splice(idx, 1);
    }
    this.release(req);
    return true;
  }

  load(): ReplicaLoad {
    return { numWaiting: this.numWaitingReqs, numRunning: this.running.length, kvUsage: this.kv.usage() };
  }

  /** Leading blocks of `blockHashes` cached here (0 with prefix caching off). Pure; for prefix-aware routing. */
  cachedPrefixBlocks(blockHashes: readonly number[]): number {
    return this.config.enablePrefixCaching ? this.kv.cachedPrefixBlocks(blockHashes) : 0;
  }

  get numWaiting(): number {
    return this.numWaitingReqs;
  }

  get numRunning(): number {
    return this.running.length;
  }

  get numUsedBlocks(): number {
    return this.kv.numUsedBlocks();
  }

  get numKvBlocks(): number {
    return this.kv.numKvBlocks;
  }

  /** Preemptions since construction (each one is a recompute of prompt + outputs so far). */
  get numPreemptions(): number {
    return this.numPreemptionsTotal;
  }

  get prefixCacheStats(): Readonly<PrefixCacheStats> {
    return this.kv.prefixCacheStats;
  }

  /** The block manager, read-mostly: for metrics and tests. Mutating it behind the scheduler breaks it. */
  get kvBlockManager(): KvBlockManager {
    if (!(this.kv instanceof KvBlockManager)) throw new Error('Scheduler.kvBlockManager: this scheduler counts blocks without ids; use kvCache.');
    return this.kv;
  }

  /** The KV cache, whichever kind, read-mostly (see kvBlockManager). */
  get kvCache(): KvCache {
    return this.kv;
  }

  hasWork(): boolean {
    return this.numWaitingReqs + this.running.length > 0;
  }

  /** A live request's state, or undefined once finished or aborted. */
  request(id: number): RequestView | undefined {
    return this.requests.get(id);
  }

  private scheduledSeq(req: RequestState, numNewTokens: number, numExternalTokens: number): ScheduledSeq {
    const numComputedTokens = req.numComputedTokens;
    return {
      id: req.id,
      numNewTokens,
      numComputedTokens,
      // Live view of the block table: valid until the next schedule(); copy it to keep it.
      blockIds: req.blocks,
      samples: numComputedTokens + numNewTokens === req.numPromptTokens + req.numOutputTokens,
      numExternalTokens,
    };
  }

  /** kv.allocateSlots for a request's table, skipping the call when its blocks already cover `numTokensTotal`. */
  private allocate(req: RequestState, numTokensTotal: number, hit?: PrefixHit): boolean {
    if (hit === undefined && req.numBlocks * this.config.blockSizeTokens >= numTokensTotal) return true;
    if (!this.kv.allocateSlots(req.id, numTokensTotal, hit)) return false;
    if (req.blocks.length === 0) req.blocks = this.kv.blockIds(req.id);
    req.numBlocks = this.kv.numBlocksOf(req.id);
    return true;
  }

  /** Recompute preemption: drop the KV, keep the outputs as known tokens, requeue at the front. */
  private preempt(req: RequestState): void {
    this.kv.free(req.id, true);
    req.blocks = EMPTY_IDS;
    req.numBlocks = 0;
    req.numComputedTokens = 0;
    req.numPrecomputedTokens = 0;
    req.numPreemptions++;
    req.status = 'waiting';
    this.numPreemptionsTotal++;
    this.waiting.pushFront(req);
    this.numWaitingReqs++;
  }

  private release(req: RequestState): void {
    this.kv.free(req.id);
    req.blocks = EMPTY_IDS;
    req.numBlocks = 0;
    req.status = 'finished';
    this.requests.delete(req.id);
  }

  /** The front waiting request, discarding entries of requests aborted while waiting. */
  private peekWaiting(): RequestState | undefined {
    for (;;) {
      const req = this.waiting.peek();
      if (req === undefined || req.status === 'waiting') return req;
      this.waiting.popFront();
    }
  }

  private dropFinishedFromRunning(): void {
    let j = 0;
    for (const req of this.running) if (req.status === 'running') this.running[j++] = req;
    this.running.length = j;
  }
}

function checkCount(id: number, field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`Scheduler.add: request ${id}: ${field} is ${value}; accepted: an integer ≥ ${min}.`);
}
