import { ADP_BALANCE_START, adpBalanceStep, type AdpBalanceCounters } from './adp-balance.js';
import { decodeStepShape } from '../perf/decode-shape.js';
import type { StepShape, StepTime } from '../perf/types.js';
import { EventQueue } from '../sim/event-queue.js';

/**
 * Replay of a closed-loop serving benchmark (docs/validation.md): `clients` concurrent clients, each sending its
 * next request as soon as the previous one has streamed its last token, against a colocated or a
 * prefill/decode-disaggregated deployment, for a fixed list of requests.
 *
 * It is a discrete-event simulation at engine-step granularity, like `sim/simulate.ts`, but built for the
 * validation sweep: a step costs O(ranks + sequences that start, finish or prefill in it), not O(batch), so a
 * benchmark of 10 × 16 384 requests of 8 192 output tokens replays in seconds. Decoding sequences of one
 * attention-DP rank advance together, so the rank keeps only their count, the sum of their context lengths and
 * a heap of the decode step at which each one finishes.
 *
 * Engine policies (per backend, docs/validation.md):
 * - `mixed` (vLLM V1, TensorRT-LLM in-flight batching): every running decode takes one token of the step's
 *   budget, then prefills in progress continue and waiting requests are admitted FCFS, chunked to the budget.
 * - `prefill-priority` (SGLang): while requests wait and fit, a step is a prefill batch alone and the decodes
 *   pause; otherwise a decode-only step.
 * - `prefill-only` (the prefill pool of a disaggregated deployment): batches of prompts, no decode.
 *
 * How a request reaches the scheduler and its first token the client (`EngineTiming`): overlap / async
 * scheduling prepares step n+1 while step n runs, so a request arriving during step n joins step n+2 at the
 * earliest; SGLang polls for new requests every `recvIntervalSteps` steps; a streaming interval can hold the
 * first token back for some decode steps.
 *
 * Admission reserves the whole sequence's KV (prompt + output), as TensorRT-LLM's GUARANTEED_NO_EVICT does, or the
 * prompt and a share of the output for engines that allocate as they generate (PoolSpec.kvReservedOutputFraction);
 * nothing is ever preempted. Pure: no clock, no I/O, no randomness (the request lengths come in).
 */

export type BatchPolicy = 'mixed' | 'prefill-priority' | 'prefill-only';

/** Engine-loop behaviour between a request's arrival and its first streamed token. */
export interface EngineTiming {
  /** Steps already prepared when a request arrives (1 with overlap / async scheduling, else 0). */
  readonly admitLagSteps: number;
  /** The scheduler takes new requests only on steps that are multiples of this (SGLang scheduler_recv_interval). */
  readonly recvIntervalSteps: number;
  /** Decode steps the first token waits before it is streamed (SGLang stream_interval − 1; 0 when sent at once). */
  readonly firstTokenHoldSteps: number;
  /**
   * Context batching (TensorRT-LLM batch_wait_timeout_iters / batch_wait_max_tokens_ratio): while decodes run,
   * new prompts wait until their tokens and the decodes' fill this fraction of the step budget or the oldest has
   * waited `batchWaitSteps` steps. 0 steps: admitted at once.
   */
  readonly batchWaitSteps: number;
  readonly batchWaitTokenRatio: number;
  /**
   * Attention-DP context balancing (TensorRT-LLM `attention_dp_config` with `enable_balance`; adp-balance.ts):
   * `timeout_iters`, the steps new prompts may be held until every rank has one. 0: balancing off.
   */
  readonly dpBalanceSteps: number;
  /** Its `batching_wait_iters`: steps prompts on every rank wait more while every rank decodes. */
  readonly dpBatchingWaitSteps: number;
}

export const IMMEDIATE_TIMING: EngineTiming = { admitLagSteps: 0, recvIntervalSteps: 1, firstTokenHoldSteps: 0, batchWaitSteps: 0, batchWaitTokenRatio: 0, dpBalanceSteps: 0, dpBatchingWaitSteps: 0 };

export interface PoolSpec {
  /** Engine instances behind the router. */
  readonly replicas: number;
  /** Attention data-parallel ranks per instance: each schedules its own requests; all step together. */
  readonly ranks: number;
  /** Running requests per rank (the engine's max batch size). */
  readonly maxSeqsPerRank: number;
  /** Tokens per step per rank (max_num_batched_tokens / max_num_tokens / chunked_prefill_size). */
  readonly tokenBudgetPerRank: number;
  /** KV-cache capacity per rank, tokens. */
  readonly kvTokensPerRank: number;
  /**
   * Share of a request's output the admission reserves KV for (default 1: the whole sequence, as TensorRT-LLM's
   * GUARANTEED_NO_EVICT). Engines that allocate KV blocks as tokens are generated (vLLM, SGLang) hold on average a
   * prompt and half its output per running request in a closed loop of staggered requests, so they reserve 0.5.
   */
  readonly kvReservedOutputFraction?: number;
  readonly policy: BatchPolicy;
  /**
   * False: a prompt is never split over steps; it is admitted only when it fits whole in what the step's budget
   * has left (TensorRT-LLM without `enable_chunked_prefill`). A prompt longer than the whole budget runs alone.
   * Default true.
   */
  readonly chunkedPrefill?: boolean;
  /**
   * False: running decodes do not debit the step's token budget, which then bounds the prefill tokens alone
   * (SGLang `--enable-mixed-chunk` with `--max-prefill-tokens`). Default true.
   */
  readonly decodesUseBudget?: boolean;
  readonly timing: EngineTiming;
  /**
   * Decode pool of a disaggregated deployment: the client's first token is streamed by the decode worker with the
   * output of the first decode step the request joins (Dynamo and the engines' disaggregated servers stream the
   * response from the decode side), not the moment its KV cache lands. Default false.
   */
  readonly firstTokenWithDecodeStep?: boolean;
  /**
   * Mean output tokens a decode step yields per sequence: 1 without speculative decoding; with MTP / EAGLE the mean
   * accepted length of a verification (the step cost must then be the verification's, see speculativeStepCost).
   */
  readonly tokensPerDecodeStep?: number;
  /** Draft tokens each decoding sequence carries into a verification step (speculative decoding). Default 0. */
  readonly draftTokensPerStep?: number;
  /** One step of one instance for the instance's whole batch (the perf model divides it over the ranks). */
  readonly stepCost: (s: StepShape) => StepTime;
}

export type BenchTopology =
  | { readonly kind: 'colocated'; readonly pool: PoolSpec }
  | {
      readonly kind: 'pd';
      readonly prefill: PoolSpec;
      readonly decode: PoolSpec;
      /** Seconds from the end of a prompt's prefill until its KV cache is usable on the decode worker. */
      readonly kvTransferS: (promptTokens: number) => number;
    };

export interface BenchWorkload {
  readonly clients: number;
  /** Prompt and output tokens of every request, in the order the clients send them. */
  readonly promptTokens: readonly number[];
  readonly outputTokens: readonly number[];
  /**
   * The HTTP frontend is one process that parses and tokenises requests one at a time: the seconds it spends on
   * each request, in send order. Requests sent together therefore reach the scheduler one after another.
   */
  readonly frontendServiceS: readonly number[];
  /**
   * Seconds every request spends between the frontend and the scheduler that overlap with other requests (an
   * asynchronous frontend's routing and hand-off, e.g. Dynamo's): a delay, not a queue. Default 0.
   */
  readonly frontendLatencyS?: number;
  /** Seconds from the engine producing a token to the client receiving it (detokenisation, streaming). */
  readonly frontendOutS: number;
  /**
   * Per request, in send order: seconds between the client being free (start, or its previous response done) and
   * the request leaving it — the client's and the network's jitter. Without it a closed loop of identical
   * requests locks into an artificial limit cycle (every client in step, or perfectly staggered). Default 0.
   */
  readonly clientDelayS?: readonly number[];
  /**
   * Open loop instead of closed: request i is sent at arrivalS[i] whatever the others do (MLPerf Server's Poisson
   * query stream). `clients` is then ignored.
   */
  readonly arrivalS?: readonly number[];
}

export interface BenchResult {
  /** Per request, in send order: client-side time to first token and time per output token after it (ms). */
  readonly ttftMs: Float64Array;
  /** NaN for requests with one output token. */
  readonly tpotMs: Float64Array;
  readonly finished: number;
  /** Requests that could never be admitted (longer than a rank's whole KV cache). */
  readonly rejected: number;
  readonly durationS: number;
  readonly steps: number;
}

const INF = Number.POSITIVE_INFINITY;

/** Min-heap of request ids keyed by a per-request number (the decode tick at which they finish). */
class IdHeap {
  private ids: number[] = [];
  constructor(private readonly key: Float64Array) {}
  get size(): number {
    return this.ids.length;
  }
  peekKey(): number {
    return this.ids.length > 0 ? this.key[this.ids[0]!]! : INF;
  }
  push(id: number): void {
    const h = this.ids;
    const k = this.key[id]!;
    let i = h.length;
    h.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.key[h[p]!]! <= k) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = id;
  }
  pop(): number {
    const h = this.ids;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    const k = this.key[last]!;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.key[h[r]!]! < this.key[h[l]!]! ? r : l;
      if (this.key[h[c]!]! >= k) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

/** FIFO of request ids without per-pop allocation. */
class IdQueue {
  private items_: number[] = [];
  private head = 0;
  get size(): number {
    return this.items_.length - this.head;
  }
  push(id: number): void {
    this.items_.push(id);
  }
  peek(): number {
    return this.items_[this.head]!;
  }
  /** The queued ids, oldest first (no copy beyond the view). */
  *items(): IterableIterator<number> {
    for (let i = this.head; i < this.items_.length; i++) yield this.items_[i]!;
  }
  shift(): number {
    const v = this.items_[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items_.length) {
      this.items_ = this.items_.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

/** One attention-DP rank of an engine instance. */
class Rank {
  readonly waiting = new IdQueue();
  /** Requests admitted whose prompt is not fully computed, in admission order. */
  readonly prefilling: number[] = [];
  /** Requests whose KV arrived from a prefill worker, to join the decode batch at the next step. */
  readonly incoming = new IdQueue();
  /** Requests whose first token is produced but held back by the streaming interval, in release order. */
  readonly held = new IdQueue();
  numDecoding = 0;
  /** Σ over decoding sequences of (tokens in cache + 1): the KV tokens one decode step reads. */
  decodeKvTokens = 0;
  /** Decode steps this rank has run. */
  tick = 0;
  reservedKvTokens = 0;
  readonly finishing: IdHeap;
  // The batch of the step in flight.
  stepDecodes = 0;
  readonly stepChunkIds: number[] = [];
  readonly stepChunkTokens: number[] = [];
  numTokens = 0;
  numPrefillSeqs = 0;
  prefillTokens = 0;
  prefillPairs = 0;
  prefillKvTokens = 0;

  /** Output tokens per decode step per sequence (speculative decoding's mean accepted length, else 1). */
  readonly tokensPerStep: number;

  constructor(finishTick: Float64Array, tokensPerStep = 1) {
    this.finishing = new IdHeap(finishTick);
    this.tokensPerStep = tokensPerStep;
  }

  get running(): number {
    return this.numDecoding + this.prefilling.length;
  }
  /** Requests on this rank in any state (router load). */
  get load(): number {
    return this.numDecoding + this.prefilling.length + this.waiting.size + this.incoming.size;
  }
  /** KV tokens the decodes of the step in flight read. */
  stepDecodeKv(): number {
    return this.stepDecodes > 0 ? this.decodeKvTokens : 0;
  }
}

class Instance {
  busy = false;
  /** A kick is due once every event of the current instant is handled. */
  kickDue = false;
  /** Index of the next step to run (the step in flight when busy is index − 1). */
  stepIndex = 0;
  /** Attention-DP balancing's counters as of the last step composed. */
  adpBalance: AdpBalanceCounters = ADP_BALANCE_START;
  readonly ranks: Rank[];
  constructor(numRanks: number, finishTick: Float64Array, tokensPerStep = 1) {
    this.ranks = [];
    for (let i = 0; i < numRanks; i++) this.ranks.push(new Rank(finishTick, tokensPerStep));
  }
  get load(): number {
    let s = 0;
    for (const r of this.ranks) s += r.load;
    return s;
  }
}

type Ev = 'step-done' | 'kv-arrived' | 'arrival';
const RANK_OF: Record<Ev, number> = { 'step-done': 0, 'kv-arrived': 1, arrival: 2 };

/** Decode-only steps are costed on a grid of KV lengths (1/64 octave) and interpolated: near-linear there. */
const KV_GRID_PER_OCTAVE = 64;

interface PoolRuntime {
  readonly spec: PoolSpec;
  readonly instances: Instance[];
  readonly role: 'colocated' | 'prefill' | 'decode';
}

/** A step's batch summed over ranks, reused between steps. */
class ShapeAcc implements StepShape {
  numTokens = 0;
  numSeqs = 0;
  numPrefillSeqs = 0;
  prefillTokens = 0;
  prefillAttnPairs = 0;
  prefillKvTokens = 0;
  numDecodeSeqs = 0;
  decodeKvTokens = 0;
  reset(): void {
    this.numTokens = this.numSeqs = this.numPrefillSeqs = this.prefillTokens = this.prefillAttnPairs = this.prefillKvTokens = 0;
    this.numDecodeSeqs = this.decodeKvTokens = 0;
  }
  add(r: Rank, k = 1): void {
    this.numTokens += k * r.numTokens;
    this.numSeqs += k * (r.stepDecodes + r.numPrefillSeqs);
    this.numPrefillSeqs += k * r.numPrefillSeqs;
    this.prefillTokens += k * r.prefillTokens;
    this.prefillAttnPairs += k * r.prefillPairs;
    this.prefillKvTokens += k * r.prefillKvTokens;
    this.numDecodeSeqs += k * r.stepDecodes;
    this.decodeKvTokens += k * r.stepDecodeKv();
  }
  /** A plain copy: cost functions may memoise the object they are given. */
  snapshot(): StepShape {
    return { ...this };
  }
}

export function runBenchmark(topology: BenchTopology, workload: BenchWorkload): BenchResult {
  const n = workload.promptTokens.length;
  if (workload.outputTokens.length !== n) throw new Error('runBenchmark: promptTokens and outputTokens differ in length');
  const isl = workload.promptTokens;
  const osl = workload.outputTokens;
  const frontServiceS = workload.frontendServiceS;
  const frontOutS = workload.frontendOutS;
  const frontLatencyS = workload.frontendLatencyS ?? 0;
  if (frontServiceS.length !== n) throw new Error('runBenchmark: frontendServiceS must be given per request');
  /** When the frontend finishes the request it is working on. */
  let frontendFreeS = 0;
  const sentS = new Float64Array(n).fill(Number.NaN);
  const firstS = new Float64Array(n).fill(Number.NaN);
  const promptLeft = new Float64Array(n);
  const promptDone = new Float64Array(n);
  const joinTick = new Float64Array(n);
  const finishTick = new Float64Array(n);
  const releaseTick = new Float64Array(n);
  /** First step index at which a waiting request may be scheduled. */
  const eligibleStep = new Float64Array(n);

  const pools: PoolRuntime[] =
    topology.kind === 'colocated'
      ? [makePool(topology.pool, 'colocated')]
      : [makePool(topology.prefill, 'prefill'), makePool(topology.decode, 'decode')];
  function makePool(spec: PoolSpec, role: PoolRuntime['role']): PoolRuntime {
    const instances: Instance[] = [];
    const tps = spec.tokensPerDecodeStep ?? 1;
    if (!(tps >= 1)) throw new Error('runBenchmark: tokensPerDecodeStep must be at least 1');
    for (let i = 0; i < spec.replicas; i++) instances.push(new Instance(spec.ranks, finishTick, tps));
    return { spec, instances, role };
  }
  const entry = pools[0]!;
  const decodePool = pools[pools.length - 1]!;

  const events = new EventQueue<Ev>();
  let nowS = 0;
  let nextToSend = 0;
  let finished = 0;
  let rejected = 0;
  let steps = 0;
  const ttftMs = new Float64Array(n).fill(Number.NaN);
  const tpotMs = new Float64Array(n).fill(Number.NaN);

  const clientDelayS = workload.clientDelayS;
  if (clientDelayS !== undefined && clientDelayS.length !== n) throw new Error('runBenchmark: clientDelayS must be given per request');
  const send = (freeS: number): void => {
    if (nextToSend >= n) return;
    const id = nextToSend++;
    const atS = freeS + (clientDelayS?.[id] ?? 0);
    sentS[id] = atS;
    frontendFreeS = Math.max(atS, frontendFreeS) + frontServiceS[id]!;
    events.push(frontendFreeS + frontLatencyS, RANK_OF.arrival, 'arrival', id);
  };
  const openLoop = workload.arrivalS !== undefined;
  if (openLoop) {
    if (workload.arrivalS!.length !== n) throw new Error('runBenchmark: arrivalS must be given per request');
    for (let i = 0; i < n; i++) send(workload.arrivalS![i]!);
  } else for (let c = 0; c < workload.clients; c++) send(0);

  const leastLoaded = <T extends { load: number }>(xs: readonly T[]): number => {
    let best = 0;
    let bestLoad = INF;
    for (let i = 0; i < xs.length; i++) {
      const l = xs[i]!.load;
      if (l < bestLoad) {
        best = i;
        bestLoad = l;
      }
    }
    return best;
  };

  const complete = (id: number, atS: number): void => {
    finished++;
    // A first token still held by the streaming interval goes out with the last chunk.
    if (!(firstS[id]! <= atS)) firstS[id] = atS;
    const first = firstS[id]!;
    ttftMs[id] = (first + frontOutS - sentS[id]!) * 1e3;
    if (osl[id]! > 1) tpotMs[id] = ((atS - first) / (osl[id]! - 1)) * 1e3;
    // The client sees the last token a frontend delay later and sends its next request then.
    if (!openLoop) send(atS + frontOutS);
  };

  const reject = (): void => {
    rejected++;
    if (!openLoop) send(nowS);
  };

  const kvNeed = (id: number, spec: PoolSpec): number => isl[id]! + Math.ceil(osl[id]! * (spec.kvReservedOutputFraction ?? 1));

  /** Start a decode for `id` on `rank`: it has its first token and the prompt's KV. */
  const joinDecode = (rank: Rank, id: number): void => {
    joinTick[id] = rank.tick;
    finishTick[id] = rank.tick + Math.ceil((osl[id]! - 1) / rank.tokensPerStep);
    rank.numDecoding++;
    rank.decodeKvTokens += isl[id]! + 1;
    rank.finishing.push(id);
  };

  const decodeCostCache = new Map<string, number>();
  const tot = new ShapeAcc();
  const busy = new ShapeAcc();

  /** Seconds of one instance step from the per-rank batches already composed. */
  const stepSeconds = (spec: PoolSpec, inst: Instance): number => {
    const R = inst.ranks.length;
    tot.reset();
    let busiest: Rank | null = null;
    let busiestKey = -1;
    let anyPrefill = false;
    for (const r of inst.ranks) {
      tot.add(r);
      if (r.numPrefillSeqs > 0) anyPrefill = true;
      const key = r.numTokens * 1e9 + r.stepDecodeKv();
      if (key > busiestKey) {
        busiestKey = key;
        busiest = r;
      }
    }
    if (tot.numTokens === 0) return 0;
    if (!anyPrefill) return decodeOnlySeconds(spec, R, busiest!);
    const total = spec.stepCost(tot.snapshot());
    if (R === 1) return total.totalS;
    // Ranks meet at every MoE layer: the step takes the busiest rank's attention and dense work, and the MoE
    // layer of the whole batch.
    busy.reset();
    busy.add(busiest!, R);
    const b = spec.stepCost(busy.snapshot());
    return b.totalS - b.moeS + total.moeS;
  };

  const decodeOnlySeconds = (spec: PoolSpec, R: number, busiest: Rank): number => {
    const kvTot = tot.decodeKvTokens;
    const seqs = tot.numDecodeSeqs;
    const bs = busiest.stepDecodes;
    const bShare = busiest.stepDecodeKv() / kvTot;
    const at = (kv: number): number => {
      const key = R > 1 ? `${seqs},${kv},${bs},${Math.round(bShare * 4096)}` : `${seqs},${kv}`;
      let t = decodeCostCache.get(key);
      if (t !== undefined) return t;
      const total = spec.stepCost(decodeStepShape(seqs, kv));
      if (R === 1) t = total.totalS;
      else {
        const bkv = Math.max(bs, Math.round(kv * bShare));
        const b = spec.stepCost(decodeStepShape(bs * R, bkv * R));
        t = b.totalS - b.moeS + total.moeS;
      }
      if (decodeCostCache.size > 500_000) decodeCostCache.clear();
      decodeCostCache.set(key, t);
      return t;
    };
    // Interpolate between grid points of the total KV (mean context changes slowly from step to step).
    const x = Math.log2(Math.max(1, kvTot)) * KV_GRID_PER_OCTAVE;
    const lo = Math.floor(x);
    const kvLo = Math.max(seqs, Math.round(2 ** (lo / KV_GRID_PER_OCTAVE)));
    const kvHi = Math.max(kvLo + 1, Math.round(2 ** ((lo + 1) / KV_GRID_PER_OCTAVE)));
    const f = Math.min(1, Math.max(0, (kvTot - kvLo) / (kvHi - kvLo)));
    const tLo = at(kvLo);
    return tLo + (at(kvHi) - tLo) * f;
  };

  /** Compose the next step of an idle instance; returns false when it has nothing to do. */
  const compose = (pool: PoolRuntime, inst: Instance, anyEligible: boolean): boolean => {
    const spec = pool.spec;
    const step = inst.stepIndex;
    let any = false;
    const chunked = spec.chunkedPrefill !== false;
    const decodesUseBudget = spec.decodesUseBudget !== false;
    const balance = !anyEligible && inst.ranks.length > 1 && spec.timing.dpBalanceSteps > 0 ? dpBalance(inst, spec, step) : null;
    const balanceHold = balance?.hold === true;
    for (const r of inst.ranks) {
      r.stepDecodes = 0;
      r.stepChunkIds.length = 0;
      r.stepChunkTokens.length = 0;
      r.numTokens = r.numPrefillSeqs = r.prefillTokens = r.prefillPairs = r.prefillKvTokens = 0;
      // KV that arrived from prefill workers joins the batch at a step boundary.
      // An engine with overlap scheduling has its next step prepared: KV that lands meanwhile joins one later.
      const incomingHold = spec.firstTokenWithDecodeStep === true ? Math.max(1, spec.timing.firstTokenHoldSteps) : spec.timing.firstTokenHoldSteps;
      while (
        r.incoming.size > 0 &&
        (anyEligible || eligibleStep[r.incoming.peek()]! <= step) &&
        r.running < spec.maxSeqsPerRank &&
        r.reservedKvTokens + kvNeed(r.incoming.peek(), spec) <= spec.kvTokensPerRank
      ) {
        const id = r.incoming.shift();
        r.reservedKvTokens += kvNeed(id, spec);
        joinDecode(r, id);
        // The first token leaves with the first decode step's output, or a later chunk under a streaming interval.
        if (incomingHold > 0) {
          firstS[id] = Number.NaN;
          releaseTick[id] = r.tick + incomingHold;
          r.held.push(id);
        }
      }
      let budget = spec.tokenBudgetPerRank;
      const held = balanceHold || (!anyEligible && r.numDecoding > 0 && batchWaitHolds(r, spec, step));
      const canAdmit = (): boolean =>
        !held &&
        r.waiting.size > 0 &&
        (anyEligible || eligibleStep[r.waiting.peek()]! <= step) &&
        r.running < spec.maxSeqsPerRank &&
        r.reservedKvTokens + kvNeed(r.waiting.peek(), spec) <= spec.kvTokensPerRank;
      const prefillWork = r.prefilling.length > 0 || canAdmit();
      const decodesRun = r.numDecoding > 0 && !(spec.policy === 'prefill-priority' && prefillWork);
      if (decodesRun) {
        r.stepDecodes = r.numDecoding;
        r.numTokens += r.numDecoding;
        if (decodesUseBudget) budget -= r.numDecoding;
      }
      if (spec.policy !== 'prefill-priority' || !decodesRun) {
        // Prefills in progress continue, then waiting requests are admitted, FCFS.
        for (let i = 0; i < r.prefilling.length && budget > 0; i++) {
          const id = r.prefilling[i]!;
          const q = Math.min(promptLeft[id]!, budget);
          addChunk(r, id, q);
          budget -= q;
        }
        while (budget > 0 && canAdmit()) {
          // Without chunking a prompt waits for a step with room for all of it (alone if it exceeds any budget).
          if (!chunked && promptLeft[r.waiting.peek()]! > budget && (r.numPrefillSeqs > 0 || budget < spec.tokenBudgetPerRank)) break;
          const id = r.waiting.shift();
          r.reservedKvTokens += kvNeed(id, spec);
          r.prefilling.push(id);
          const q = Math.min(promptLeft[id]!, budget);
          addChunk(r, id, q);
          budget -= q;
        }
      }
      if (r.numTokens > 0) any = true;
    }
    if (any && balance) inst.adpBalance = balance.next;
    return any;
  };

  /** This step's attention-DP balancing (adp-balance.ts), from the ranks' prompts, decodes and free slots. */
  const dpBalance = (inst: Instance, spec: PoolSpec, step: number): ReturnType<typeof adpBalanceStep> => {
    let allHavePrompts = true;
    let allDecoding = true;
    let allHaveSlots = true;
    for (const r of inst.ranks) {
      if (r.prefilling.length === 0 && !(r.waiting.size > 0 && eligibleStep[r.waiting.peek()]! <= step)) allHavePrompts = false;
      if (r.numDecoding === 0) allDecoding = false;
      if (r.running >= spec.maxSeqsPerRank) allHaveSlots = false;
    }
    return adpBalanceStep(
      inst.adpBalance,
      { allHavePrompts, allDecoding, allHaveSlots },
      { timeoutIters: spec.timing.dpBalanceSteps, batchingWaitIters: spec.timing.dpBatchingWaitSteps },
    );
  };

  /** True while context batching keeps this rank's eligible waiting prompts back (see EngineTiming.batchWait*). */
  const batchWaitHolds = (r: Rank, spec: PoolSpec, step: number): boolean => {
    const t = spec.timing;
    if (t.batchWaitSteps <= 0 || r.waiting.size === 0) return false;
    const oldest = eligibleStep[r.waiting.peek()]!;
    if (oldest > step || step - oldest >= t.batchWaitSteps) return false;
    // TensorRT-LLM counts the step's generation tokens too, each decoding sequence 1 + its draft tokens
    // (`PyExecutor._waiting_requests`).
    let tokens = r.numDecoding * (1 + (spec.draftTokensPerStep ?? 0));
    const limit = t.batchWaitTokenRatio * spec.tokenBudgetPerRank;
    for (const id of r.waiting.items()) {
      if (eligibleStep[id]! > step) break;
      tokens += promptLeft[id]!;
      if (tokens >= limit) return false;
    }
    return true;
  };

  const addChunk = (r: Rank, id: number, q: number): void => {
    const c = promptDone[id]!;
    r.stepChunkIds.push(id);
    r.stepChunkTokens.push(q);
    r.numTokens += q;
    r.numPrefillSeqs++;
    r.prefillTokens += q;
    r.prefillPairs += q * (c + (q + 1) / 2);
    r.prefillKvTokens += c + q;
  };

  // An idle engine composes its next step once everything that happens at this instant has reached it: clients
  // that send together are batched together.
  const dueKicks: [number, number][] = [];
  const kick = (poolIndex: number, instIndex: number): void => {
    const inst = pools[poolIndex]!.instances[instIndex]!;
    if (inst.busy || inst.kickDue) return;
    inst.kickDue = true;
    dueKicks.push([poolIndex, instIndex]);
  };
  const flushKicks = (): void => {
    for (let i = 0; i < dueKicks.length; i++) {
      const [p, k] = dueKicks[i]!;
      pools[p]!.instances[k]!.kickDue = false;
      startStep(p, k);
    }
    dueKicks.length = 0;
  };
  const startStep = (poolIndex: number, instIndex: number): void => {
    const pool = pools[poolIndex]!;
    const inst = pool.instances[instIndex]!;
    if (inst.busy) return;
    // An engine with nothing running picks up whatever has arrived, whatever its polling interval.
    if (!compose(pool, inst, false) && !compose(pool, inst, true)) return;
    const dt = stepSeconds(pool.spec, inst);
    inst.busy = true;
    inst.stepIndex++;
    steps++;
    events.push(nowS + dt, RANK_OF['step-done'], 'step-done', instIndex, poolIndex);
  };

  const onStepDone = (poolIndex: number, instIndex: number): void => {
    const pool = pools[poolIndex]!;
    const inst = pool.instances[instIndex]!;
    const hold = pool.spec.timing.firstTokenHoldSteps;
    inst.busy = false;
    for (const r of inst.ranks) {
      // Decodes advance one token (the mean accepted length under speculative decoding).
      if (r.stepDecodes > 0) {
        r.tick++;
        r.decodeKvTokens += r.stepDecodes * r.tokensPerStep;
        while (r.held.size > 0 && releaseTick[r.held.peek()]! <= r.tick) {
          const id = r.held.shift();
          if (Number.isNaN(firstS[id]!)) firstS[id] = nowS;
        }
        while (r.finishing.size > 0 && r.finishing.peekKey() <= r.tick) {
          const id = r.finishing.pop();
          r.numDecoding--;
          r.decodeKvTokens -= isl[id]! + 1 + (r.tick - joinTick[id]!) * r.tokensPerStep;
          r.reservedKvTokens -= kvNeed(id, pool.spec);
          complete(id, nowS);
        }
      }
      // Prefill chunks land; a completed prompt yields the first token.
      for (let i = 0; i < r.stepChunkIds.length; i++) {
        const id = r.stepChunkIds[i]!;
        const q = r.stepChunkTokens[i]!;
        promptLeft[id] = promptLeft[id]! - q;
        promptDone[id] = promptDone[id]! + q;
        if (promptLeft[id]! > 0) continue;
        const k = r.prefilling.indexOf(id);
        r.prefilling.splice(k, 1);
        if (pool.role === 'prefill') {
          r.reservedKvTokens -= kvNeed(id, pool.spec);
          startTransfer(id);
          continue;
        }
        if (osl[id]! <= 1) {
          r.reservedKvTokens -= kvNeed(id, pool.spec);
          firstS[id] = nowS;
          complete(id, nowS);
          continue;
        }
        joinDecode(r, id);
        if (hold <= 0) firstS[id] = nowS;
        else {
          releaseTick[id] = r.tick + hold;
          r.held.push(id);
        }
      }
    }
    kick(poolIndex, instIndex);
  };

  const startTransfer = (id: number): void => {
    if (topology.kind !== 'pd') return;
    const arriveS = nowS + topology.kvTransferS(isl[id]!);
    // The client's first token: produced by the prefill worker, delivered once the decode worker holds the KV
    // (later when the decode worker streams in intervals; see compose).
    firstS[id] = arriveS;
    events.push(arriveS, RANK_OF['kv-arrived'], 'kv-arrived', id, 1);
  };

  const admitTo = (pool: PoolRuntime, poolIndex: number, id: number, queue: 'waiting' | 'incoming'): void => {
    const ii = leastLoaded(pool.instances);
    const inst = pool.instances[ii]!;
    const rank = inst.ranks[leastLoaded(inst.ranks)]!;
    if (isl[id]! + osl[id]! > pool.spec.kvTokensPerRank) {
      reject();
      return;
    }
    // A busy engine has its next `admitLagSteps` steps prepared; new requests then wait for its polling interval.
    const t = pool.spec.timing;
    let first = inst.stepIndex + (inst.busy ? t.admitLagSteps : 0);
    if (queue === 'waiting' && t.recvIntervalSteps > 1) first = Math.ceil(first / t.recvIntervalSteps) * t.recvIntervalSteps;
    eligibleStep[id] = first;
    rank[queue].push(id);
    kick(poolIndex, ii);
  };

  for (;;) {
    const ev = events.pop();
    if (!ev) break;
    nowS = ev.timeS;
    switch (ev.kind) {
      case 'arrival': {
        const id = ev.target;
        promptLeft[id] = isl[id]!;
        promptDone[id] = 0;
        admitTo(entry, 0, id, 'waiting');
        break;
      }
      case 'step-done':
        onStepDone(ev.pool, ev.target);
        break;
      case 'kv-arrived': {
        const id = ev.target;
        if (osl[id]! <= 1) {
          complete(id, nowS);
          break;
        }
        admitTo(decodePool, 1, id, 'incoming');
        break;
      }
    }
    const next = events.peek();
    if (next === undefined || next.timeS > nowS) flushKicks();
  }
  return { ttftMs, tpotMs, finished, rejected, durationS: nowS, steps };
}
