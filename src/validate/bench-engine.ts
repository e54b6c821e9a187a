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
 * Admission reserves the whole sequence's KV (prompt + output), as TensorRT-LLM's GUARANTEED_NO_EVICT does;
 * nothing is ever preempted. Pure: no clock, no I/O, no randomness (the request lengths come in).
 */

export type BatchPolicy = 'mixed' | 'prefill-priority' | 'prefill-only';

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
  readonly policy: BatchPolicy;
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
   * Seconds between a client sending a request and the engine seeing it, and again between the engine producing
   * a token and the client receiving it (HTTP, tokenisation, detokenisation, streaming).
   */
  readonly frontendS: number;
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
  private items: number[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(id: number): void {
    this.items.push(id);
  }
  peek(): number {
    return this.items[this.head]!;
  }
  shift(): number {
    const v = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
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
  // Shape of the step in flight.
  numTokens = 0;
  numPrefillSeqs = 0;
  prefillTokens = 0;
  prefillPairs = 0;
  prefillKvTokens = 0;

  constructor(finishTick: Float64Array) {
    this.finishing = new IdHeap(finishTick);
  }

  get running(): number {
    return this.numDecoding + this.prefilling.length;
  }
  /** KV tokens the decodes of the step in flight read. */
  stepDecodeKv(): number {
    return this.stepDecodes > 0 ? this.decodeKvTokens : 0;
  }
  /** Requests on this rank in any state (router load). */
  get load(): number {
    return this.numDecoding + this.prefilling.length + this.waiting.size + this.incoming.size;
  }
}

class Instance {
  busy = false;
  readonly ranks: Rank[];
  constructor(numRanks: number, finishTick: Float64Array) {
    this.ranks = [];
    for (let i = 0; i < numRanks; i++) this.ranks.push(new Rank(finishTick));
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

export function runBenchmark(topology: BenchTopology, workload: BenchWorkload): BenchResult {
  const n = workload.promptTokens.length;
  if (workload.outputTokens.length !== n) throw new Error('runBenchmark: promptTokens and outputTokens differ in length');
  const isl = workload.promptTokens;
  const osl = workload.outputTokens;
  const frontendS = workload.frontendS;
  const sentS = new Float64Array(n).fill(Number.NaN);
  const firstS = new Float64Array(n).fill(Number.NaN);
  const doneS = new Float64Array(n).fill(Number.NaN);
  const promptLeft = new Float64Array(n);
  const promptDone = new Float64Array(n);
  const joinTick = new Float64Array(n);
  const finishTick = new Float64Array(n);

  const pools: PoolRuntime[] =
    topology.kind === 'colocated'
      ? [makePool(topology.pool, 'colocated')]
      : [makePool(topology.prefill, 'prefill'), makePool(topology.decode, 'decode')];
  function makePool(spec: PoolSpec, role: PoolRuntime['role']): PoolRuntime {
    const instances: Instance[] = [];
    for (let i = 0; i < spec.replicas; i++) instances.push(new Instance(spec.ranks, finishTick));
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

  const send = (atS: number): void => {
    if (nextToSend >= n) return;
    const id = nextToSend++;
    sentS[id] = atS;
    events.push(atS + frontendS, RANK_OF.arrival, 'arrival', id);
  };
  for (let c = 0; c < workload.clients; c++) send(0);

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
    doneS[id] = atS;
    finished++;
    const first = firstS[id]!;
    ttftMs[id] = (first + frontendS - sentS[id]!) * 1e3;
    if (osl[id]! > 1) tpotMs[id] = ((atS - first) / (osl[id]! - 1)) * 1e3;
    // The client sees the last token `frontendS` later and sends its next request then.
    send(atS + frontendS);
  };

  const reject = (id: number): void => {
    rejected++;
    send(nowS);
  };

  const kvNeed = (id: number): number => isl[id]! + osl[id]!;

  /** Start a decode for `id` on `rank`: it has its first token and the prompt's KV. */
  const joinDecode = (rank: Rank, id: number): void => {
    joinTick[id] = rank.tick;
    finishTick[id] = rank.tick + osl[id]! - 1;
    rank.numDecoding++;
    rank.decodeKvTokens += isl[id]! + 1;
    rank.finishing.push(id);
  };

  const decodeCostCache = new Map<string, number>();

  /** Seconds of one instance step from the per-rank batches already composed. */
  const stepSeconds = (pool: PoolRuntime, inst: Instance): number => {
    const spec = pool.spec;
    const R = inst.ranks.length;
    let tot = emptyShape();
    let busiest: Rank | null = null;
    let busiestKey = -1;
    let anyPrefill = false;
    for (const r of inst.ranks) {
      tot = addRank(tot, r);
      if (r.numPrefillSeqs > 0) anyPrefill = true;
      const key = r.numTokens * 1e9 + r.stepDecodeKv();
      if (key > busiestKey) {
        busiestKey = key;
        busiest = r;
      }
    }
    if (tot.numTokens === 0) return 0;
    if (!anyPrefill) return decodeOnlySeconds(spec, R, tot, busiest!);
    const total = spec.stepCost(tot);
    if (R === 1) return total.totalS;
    // Ranks meet at every MoE layer: the step takes the busiest rank's attention and dense work, and the MoE
    // layer of the whole batch.
    const b = spec.stepCost(scaleShape(rankShape(busiest!), R));
    return b.totalS - b.moeS + total.moeS;
  };

  const decodeOnlySeconds = (spec: PoolSpec, R: number, tot: StepShape, busiest: Rank): number => {
    const kvTot = tot.decodeKvTokens;
    const seqs = tot.numDecodeSeqs;
    const at = (kv: number): number => {
      const key = `${seqs},${kv}${R > 1 ? `,${busiest.stepDecodes},${Math.round(busiest.stepDecodeKv() * (kv / kvTot))}` : ''}`;
      let t = decodeCostCache.get(key);
      if (t !== undefined) return t;
      const shape = decodeShape(seqs, kv);
      const total = spec.stepCost(shape);
      if (R === 1) t = total.totalS;
      else {
        const bs = busiest.stepDecodes;
        const bkv = Math.max(bs, Math.round(busiest.stepDecodeKv() * (kv / kvTot)));
        const b = spec.stepCost(decodeShape(bs * R, bkv * R));
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
    return at(kvLo) + (at(kvHi) - at(kvLo)) * f;
  };

  /** Compose the next step of an idle instance; returns false when it has nothing to do. */
  const compose = (pool: PoolRuntime, inst: Instance): boolean => {
    const spec = pool.spec;
    let any = false;
    for (const r of inst.ranks) {
      r.stepDecodes = 0;
      r.stepChunkIds.length = 0;
      r.stepChunkTokens.length = 0;
      r.numTokens = r.numPrefillSeqs = r.prefillTokens = r.prefillPairs = r.prefillKvTokens = 0;
      // KV that arrived from prefill workers joins the batch at a step boundary.
      while (r.incoming.size > 0 && r.running < spec.maxSeqsPerRank && r.reservedKvTokens + kvNeed(r.incoming.peek()) <= spec.kvTokensPerRank) {
        const id = r.incoming.shift();
        r.reservedKvTokens += kvNeed(id);
        joinDecode(r, id);
      }
      let budget = spec.tokenBudgetPerRank;
      const canAdmit = (): boolean =>
        r.waiting.size > 0 && r.running < spec.maxSeqsPerRank && r.reservedKvTokens + kvNeed(r.waiting.peek()) <= spec.kvTokensPerRank;
      const prefillWork = r.prefilling.length > 0 || canAdmit();
      const decodesRun = r.numDecoding > 0 && !(spec.policy === 'prefill-priority' && prefillWork);
      if (decodesRun) {
        r.stepDecodes = r.numDecoding;
        r.numTokens += r.numDecoding;
        budget -= r.numDecoding;
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
          const id = r.waiting.shift();
          r.reservedKvTokens += kvNeed(id);
          r.prefilling.push(id);
          const q = Math.min(promptLeft[id]!, budget);
          addChunk(r, id, q);
          budget -= q;
        }
      }
      if (r.numTokens > 0) any = true;
    }
    return any;
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

  const kick = (poolIndex: number, instIndex: number): void => {
    const pool = pools[poolIndex]!;
    const inst = pool.instances[instIndex]!;
    if (inst.busy) return;
    if (!compose(pool, inst)) return;
    const dt = stepSeconds(pool, inst);
    inst.busy = true;
    steps++;
    events.push(nowS + dt, RANK_OF['step-done'], 'step-done', instIndex, poolIndex);
  };

  const onStepDone = (poolIndex: number, instIndex: number): void => {
    const pool = pools[poolIndex]!;
    const inst = pool.instances[instIndex]!;
    inst.busy = false;
    for (const r of inst.ranks) {
      // Decodes advance one token.
      if (r.stepDecodes > 0) {
        r.tick++;
        r.decodeKvTokens += r.numDecoding;
        while (r.finishing.size > 0 && r.finishing.peekKey() <= r.tick) {
          const id = r.finishing.pop();
          r.numDecoding--;
          r.decodeKvTokens -= isl[id]! + 1 + (r.tick - joinTick[id]!);
          r.reservedKvTokens -= kvNeed(id);
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
          r.reservedKvTokens -= kvNeed(id);
          startTransfer(id);
          continue;
        }
        firstS[id] = nowS;
        if (osl[id]! <= 1) {
          r.reservedKvTokens -= kvNeed(id);
          complete(id, nowS);
        } else joinDecode(r, id);
      }
    }
    kick(poolIndex, instIndex);
  };

  const startTransfer = (id: number): void => {
    if (topology.kind !== 'pd') return;
    const arriveS = nowS + topology.kvTransferS(isl[id]!);
    // The client's first token: produced by the prefill worker, delivered once the decode worker holds the KV.
    firstS[id] = arriveS;
    events.push(arriveS, RANK_OF['kv-arrived'], 'kv-arrived', id, 1);
  };

  const admitTo = (pool: PoolRuntime, poolIndex: number, id: number, queue: 'waiting' | 'incoming'): void => {
    const ii = leastLoaded(pool.instances);
    const inst = pool.instances[ii]!;
    const ri = leastLoaded(inst.ranks);
    const rank = inst.ranks[ri]!;
    if (kvNeed(id) > pool.spec.kvTokensPerRank) {
      reject(id);
      return;
    }
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
  }
  return { ttftMs, tpotMs, finished, rejected, durationS: nowS, steps };

  function rankShape(r: Rank): StepShape {
    return {
      numTokens: r.numTokens,
      numSeqs: r.stepDecodes + r.numPrefillSeqs,
      numPrefillSeqs: r.numPrefillSeqs,
      prefillTokens: r.prefillTokens,
      prefillAttnPairs: r.prefillPairs,
      prefillKvTokens: r.prefillKvTokens,
      numDecodeSeqs: r.stepDecodes,
      decodeKvTokens: r.stepDecodeKv(),
    };
  }
  function addRank(s: StepShape, r: Rank): StepShape {
    return {
      numTokens: s.numTokens + r.numTokens,
      numSeqs: s.numSeqs + r.stepDecodes + r.numPrefillSeqs,
      numPrefillSeqs: s.numPrefillSeqs + r.numPrefillSeqs,
      prefillTokens: s.prefillTokens + r.prefillTokens,
      prefillAttnPairs: s.prefillAttnPairs + r.prefillPairs,
      prefillKvTokens: s.prefillKvTokens + r.prefillKvTokens,
      numDecodeSeqs: s.numDecodeSeqs + r.stepDecodes,
      decodeKvTokens: s.decodeKvTokens + r.stepDecodeKv(),
    };
  }
}

function emptyShape(): StepShape {
  return { numTokens: 0, numSeqs: 0, numPrefillSeqs: 0, prefillTokens: 0, prefillAttnPairs: 0, prefillKvTokens: 0, numDecodeSeqs: 0, decodeKvTokens: 0 };
}

function decodeShape(seqs: number, kv: number): StepShape {
  return { numTokens: seqs, numSeqs: seqs, numPrefillSeqs: 0, prefillTokens: 0, prefillAttnPairs: 0, prefillKvTokens: 0, numDecodeSeqs: seqs, decodeKvTokens: kv };
}

function scaleShape(s: StepShape, k: number): StepShape {
  return {
    numTokens: s.numTokens * k,
    numSeqs: s.numSeqs * k,
    numPrefillSeqs: s.numPrefillSeqs * k,
    prefillTokens: s.prefillTokens * k,
    prefillAttnPairs: s.prefillAttnPairs * k,
    prefillKvTokens: s.prefillKvTokens * k,
    numDecodeSeqs: s.numDecodeSeqs * k,
    decodeKvTokens: s.decodeKvTokens * k,
  };
}
