/**
 * The engine: the same vLLM-style Scheduler as the digital twin (src/sched, unchanged) decides every step; a
 * StageRunner executes it on real tensors (in this thread, or in worker threads); this class samples, detects
 * stops, streams tokens to each request's sink and reports what happened back to the scheduler.
 *
 * Topologies:
 * - colocated: one scheduler, one runner that holds the whole model.
 * - pd: a prefill pool and a decode pool, each with its own scheduler and runner (its own KV cache). A request
 *   is prefilled with maxOutputTokens 1; its first token is sampled there; its KV is exported with that step
 *   and the decode pool adds it with initialOutputTokens 1 and precomputedTokens = prompt, writing the
 *   transferred KV on the step the scheduler marks with numExternalTokens (as the simulator does).
 * - afd: one scheduler; the runner is an attention worker and an FFN worker (see afd.ts).
 *
 * Pure: the clock comes in as `now`, randomness from each request's seeded Rng.
 */
import { Rng } from '../core/rng.js';
import { Scheduler, type SchedulerConfig, type SchedulerStep } from '../sched/index.js';
import { sliceKvTokens } from './kv-slice.js';
import { distribution, drawFrom, argmaxF32, type SamplingParams } from './sampler.js';
import { verifyDraft } from './spec.js';
import { buildStepInput, type KvExportRequest, type KvImport, type PhaseTimes, type StepInput, type StepOutput, type StepSeq } from './step.js';

export type Topology = 'colocated' | 'pd' | 'afd';
export const TOPOLOGIES: readonly Topology[] = ['colocated', 'pd', 'afd'];

/** Executes steps: one in flight at a time per runner. */
export interface StageRunner {
  runStep(input: StepInput): Promise<StepOutput>;
  close(): Promise<void>;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'error';

export interface TokenSink {
  /** A new output token. Return true to stop the request after it (a stop sequence matched). */
  onToken(tokenId: number): boolean;
  onFinish(reason: FinishReason, detail?: string): void;
}

export interface SubmitRequest {
  readonly promptIds: readonly number[];
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  readonly seed: number;
  /** Sampling one of these ends the request (it is delivered, then finish reason 'stop'). */
  readonly stopTokenIds: readonly number[];
}

export type SubmitResult = { readonly ok: true; readonly id: number } | { readonly ok: false; readonly code: 'exceeds-kv-capacity' | 'exceeds-token-budget' | 'empty-prompt'; readonly reason: string };

/** What the engine tells its observer (metrics). Times in seconds of the injected clock. */
export interface EngineObserver {
  onStep?(pool: string, info: { numSeqs: number; numTokens: number; wallS: number; phaseTimesS: PhaseTimes; kvUsage: number; numWaiting: number; numRunning: number }): void;
  onRequestDone?(info: { ttftS: number | null; tpotS: number | null; e2eS: number; numPromptTokens: number; numOutputTokens: number; reason: FinishReason }): void;
}

export interface ModelDims {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
}

export interface PoolSpec {
  readonly name: string;
  readonly scheduler: SchedulerConfig;
  readonly runner: StageRunner;
}

interface Req {
  readonly id: number;
  readonly tokens: number[];
  readonly numPrompt: number;
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  readonly rng: Rng;
  readonly stopIds: ReadonlySet<number>;
  readonly sink: TokenSink;
  readonly blockHashes: readonly number[];
  readonly arrivalS: number;
  firstTokenS: number | null;
  lastTokenS: number;
  /** KV from the prefill pool, covering positions [0, numPrompt), until the decode pool imports it. */
  pendingKv: Float32Array | null;
  /** Positions whose draft-model KV is valid (speculative decoding). */
  draftComputed: number;
  done: boolean;
}

class Pool {
  readonly sched: Scheduler;
  running = false;
  constructor(readonly spec: PoolSpec) {
    this.sched = new Scheduler(spec.scheduler);
  }
}

export class Engine {
  private readonly reqs = new Map<number, Req>();
  private nextId = 1;
  private readonly pools: Pool[];
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param pools colocated/afd: one pool; pd: [prefill, decode].
   */
  constructor(
    readonly topology: Topology,
    private readonly dims: ModelDims,
    pools: readonly PoolSpec[],
    private readonly now: () => number,
    private readonly observer: EngineObserver = {},
    private readonly draft: StageRunner | null = null,
  ) {
    const want = topology === 'pd' ? 2 : 1;
    if (pools.length !== want) throw new Error(`${topology} needs ${want} pool(s), got ${pools.length}`);
    this.pools = pools.map((p) => new Pool(p));
    const specK = pools.map((p) => p.scheduler.numSpeculativeTokens ?? 0);
    if (specK.some((k) => k > 0) && (draft === null || specK[0] === 0 || specK.slice(1).some((k) => k > 0))) {
      throw new Error('speculative tokens need a draft runner and a single (colocated or afd) pool');
    }
  }

  /** Speculative decoding counters: drafts proposed and accepted. */
  readonly specStats = { numDrafted: 0, numAccepted: 0 };

  private get first(): Pool {
    return this.pools[0]!;
  }

  /** Scheduler of each pool (read-outs for metrics). */
  get schedulers(): readonly { name: string; scheduler: Scheduler }[] {
    return this.pools.map((p) => ({ name: p.spec.name, scheduler: p.sched }));
  }

  get numLive(): number {
    return this.reqs.size;
  }

  submit(r: SubmitRequest, sink: TokenSink): SubmitResult {
    if (this.closed) throw new Error('engine closed');
    if (r.promptIds.length === 0) return { ok: false, code: 'empty-prompt', reason: 'the prompt has no tokens' };
    const id = this.nextId++;
    const bs = this.first.spec.scheduler.blockSizeTokens;
    const hashes = this.first.spec.scheduler.enablePrefixCaching ? blockHashes(r.promptIds, bs) : [];
    const P = r.promptIds.length;
    if (this.topology === 'pd') {
      // Check the decode pool too, now: a request must not pass prefill and then be refused.
      const d = this.pools[1]!.spec.scheduler;
      const need = Math.ceil((P + r.maxTokens - 1) / d.blockSizeTokens);
      if (need > d.numKvBlocks) return { ok: false, code: 'exceeds-kv-capacity', reason: `prompt + max_tokens − 1 = ${P + r.maxTokens - 1} tokens need ${need} KV blocks; the decode pool has ${d.numKvBlocks}` };
    }
    const added = this.first.sched.add({ id, promptTokens: P, maxOutputTokens: this.topology === 'pd' ? 1 : r.maxTokens, blockHashes: hashes });
    if (!added.ok) return { ok: false, code: added.code, reason: added.reason };
    const t = this.now();
    this.reqs.set(id, {
      id,
      tokens: [...r.promptIds],
      numPrompt: P,
      maxTokens: r.maxTokens,
      sampling: r.sampling,
      rng: new Rng(r.seed),
      stopIds: new Set(r.stopTokenIds),
      sink,
      blockHashes: hashes,
      arrivalS: t,
      firstTokenS: null,
      lastTokenS: t,
      pendingKv: null,
      draftComputed: 0,
      done: false,
    });
    this.kick(this.first);
    return { ok: true, id };
  }

  /** Drops a request wherever it is (client went away); its sink gets onFinish('abort'). */
  abort(id: number): boolean {
    const r = this.reqs.get(id);
    if (!r) return false;
    for (const p of this.pools) p.sched.abort(id);
    this.finish(r, 'abort');
    return true;
  }

  /** Resolves when no request is live. */
  idle(): Promise<void> {
    if (this.reqs.size === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of [...this.reqs.values()]) this.abort(r.id);
    await Promise.all([...this.pools.map((p) => p.spec.runner.close()), this.draft?.close()]);
  }

  private kick(pool: Pool): void {
    if (pool.running || this.closed) return;
    pool.running = true;
    void this.loop(pool);
  }

  private async loop(pool: Pool): Promise<void> {
    try {
      while (!this.closed && pool.sched.hasWork()) {
        const step = pool.sched.schedule();
        if (step.seqs.length === 0) break;
        try {
          await this.runOne(pool, step);
        } catch (e) {
          // A bug or a failing sink must not take the engine down: fail this step's requests, go on.
          this.failStep(pool, step, e);
        }
      }
    } finally {
      pool.running = false;
    }
    // Work may have arrived while the last step ran.
    if (!this.closed && pool.sched.hasWork()) this.kick(pool);
  }

  private async runOne(pool: Pool, step: SchedulerStep): Promise<void> {
    const isPrefillPool = this.topology === 'pd' && pool === this.pools[0];
    for (const id of step.preemptedIds) {
      const r = this.reqs.get(id);
      if (r) r.draftComputed = 0; // recomputed from scratch, draft included
    }
    // Speculative decoding: the draft worker proposes the tokens the scheduler left room for.
    const drafts = this.draft && pool === this.first ? await this.runDraft(step) : null;
    if (drafts === 'failed') return;
    const seqs: StepSeq[] = [];
    const ids: number[] = [];
    const tokens: number[] = [];
    const positions: number[] = [];
    const kvImports: KvImport[] = [];
    const kvExports: KvExportRequest[] = [];
    step.seqs.forEach((s, idx) => {
      const r = this.reqs.get(s.id)!;
      const row = tokens.length;
      const m = s.numSpeculativeTokens ?? 0;
      const real = s.numNewTokens - m;
      for (let i = 0; i < real; i++) tokens.push(r.tokens[s.numComputedTokens + i]!);
      const d = drafts?.get(s.id);
      for (let i = 0; i < m; i++) tokens.push(d!.tokens[i]!);
      for (let i = 0; i < s.numNewTokens; i++) positions.push(s.numComputedTokens + i);
      seqs.push({ row, numTokens: s.numNewTokens, startPos: s.numComputedTokens, blockIds: Int32Array.from(s.blockIds), sample: s.samples, ...(m > 0 ? { logitRows: m + 1 } : {}) });
      ids.push(s.id);
      const ext = s.numExternalTokens ?? 0;
      if (ext > 0) {
        if (!r.pendingKv) throw new Error(`request ${s.id}: the scheduler expects transferred KV but none arrived`);
        const kvDim = this.dims.numKvHeads * this.dims.headDim;
        const from = s.numComputedTokens - ext;
        kvImports.push({ seq: idx, from, to: s.numComputedTokens, data: sliceKvTokens(r.pendingKv, this.dims.numLayers, r.numPrompt, kvDim, from, s.numComputedTokens) });
        r.pendingKv = null;
      }
      if (isPrefillPool && s.samples) kvExports.push({ seq: idx, from: 0, to: s.numComputedTokens + s.numNewTokens });
    });
    const input: StepInput = { tokens: Int32Array.from(tokens), positions: Int32Array.from(positions), seqs, kvImports, kvExports };
    const t0 = this.now();
    let out: StepOutput;
    try {
      out = await pool.spec.runner.runStep(input);
    } catch (e) {
      // A worker failed: the step's requests cannot continue; the others (and later requests) can.
      this.failStep(pool, step, e);
      return;
    }
    const tDone = this.now();
    const V = this.dims.vocabSize;
    const stopped = new Set<number>();
    const accepted = new Map<number, number>();
    const sampled: { r: Req; tokens: number[] }[] = [];
    let li = 0;
    let ei = 0;
    step.seqs.forEach((s, i) => {
      const seq = seqs[i]!;
      const r0 = this.reqs.get(ids[i]!);
      const m = s.numSpeculativeTokens ?? 0;
      if (r0 && this.draft) {
        // Draft KV is valid up to what it fed (the last draft is never fed) and what the target keeps.
        r0.draftComputed = s.numComputedTokens + s.numNewTokens - (m > 0 ? 1 : 0);
      }
      if (!seq.sample) return;
      const row = li;
      li += seq.logitRows ?? 1;
      const r = r0;
      const exported = isPrefillPool ? out.kvExports[ei++] : undefined;
      if (!r || r.done) return; // aborted while the step ran
      if (m > 0) {
        const d = drafts!.get(s.id)!;
        const v = verifyDraft(out.logits, row * V, V, d.tokens.slice(0, m), d.probs, r.sampling, r.rng);
        accepted.set(r.id, v.numAccepted);
        r.draftComputed = Math.min(r.draftComputed, s.numComputedTokens + 1 + v.numAccepted);
        this.specStats.numDrafted += m;
        this.specStats.numAccepted += v.numAccepted;
        sampled.push({ r, tokens: v.tokens });
      } else {
        const token = r.sampling.temperature <= 0 ? argmaxF32(out.logits, row * V, V) : drawFrom(distribution(out.logits, row * V, V, r.sampling), r.rng);
        sampled.push({ r, tokens: [token] });
      }
      if (exported) r.pendingKv = exported;
    });
    for (const { r, tokens: toks } of sampled) {
      r.firstTokenS ??= tDone;
      r.lastTokenS = tDone;
      for (let j = 0; j < toks.length; j++) {
        const token = toks[j]!;
        r.tokens.push(token);
        let stopBySink: boolean;
        try {
          stopBySink = r.sink.onToken(token);
        } catch {
          stopBySink = true;
        }
        if (stopBySink || r.stopIds.has(token)) {
          stopped.add(r.id);
          // The scheduler counts `accepted` drafts plus one sampled token: end the round at this token.
          if (accepted.has(r.id)) accepted.set(r.id, j);
          break;
        }
      }
    }
    const outcome = pool.sched.complete(step, stopped, accepted);
    const load = pool.sched.load();
    this.observer.onStep?.(pool.spec.name, { numSeqs: seqs.length, numTokens: tokens.length, wallS: tDone - t0, phaseTimesS: out.phaseTimesS, kvUsage: load.kvUsage, numWaiting: load.numWaiting, numRunning: load.numRunning });
    for (const id of outcome.finishedIds) {
      const r = this.reqs.get(id);
      if (!r || r.done) continue;
      const numOut = r.tokens.length - r.numPrompt;
      if (stopped.has(id)) {
        this.finish(r, 'stop');
      } else if (isPrefillPool && numOut < r.maxTokens) {
        // Prefill done: hand over to the decode pool with the transferred KV.
        const decode = this.pools[1]!;
        const added = decode.sched.add({ id, promptTokens: r.numPrompt, maxOutputTokens: r.maxTokens, initialOutputTokens: 1, precomputedTokens: r.numPrompt, blockHashes: r.blockHashes });
        if (!added.ok) this.finish(r, 'error', added.reason);
        else this.kick(decode);
      } else {
        this.finish(r, 'length');
      }
    }
  }

  /**
   * The draft worker's part of a step: it first computes every token the target computes this step (so its
   * KV, kept under the same block ids, stays in step with the target's), then proposes the drafts of each
   * verifying sequence one token at a time, each sampled with the request's parameters.
   */
  private async runDraft(step: SchedulerStep): Promise<Map<number, { tokens: number[]; probs: (Float64Array | null)[] }> | 'failed'> {
    const draft = this.draft!;
    const out = new Map<number, { tokens: number[]; probs: (Float64Array | null)[] }>();
    const V = this.dims.vocabSize;
    const t0 = this.now();
    // Round 0: catch up to the last known token; later rounds: feed the previous draft.
    let active = step.seqs.filter((s) => this.reqs.has(s.id));
    for (let round = 0; active.length > 0; round++) {
      const parts = active.map((s) => {
        const r = this.reqs.get(s.id)!;
        const m = s.numSpeculativeTokens ?? 0;
        const realEnd = s.numComputedTokens + s.numNewTokens - m;
        const d = out.get(s.id);
        const from = round === 0 ? Math.min(r.draftComputed, s.numComputedTokens) : realEnd + round - 1;
        const toks = round === 0 ? r.tokens.slice(from, realEnd) : [d!.tokens[round - 1]!];
        return { tokens: toks, startPos: from, blockIds: s.blockIds, sample: m > round };
      });
      let res: StepOutput;
      try {
        res = await draft.runStep(buildStepInput(parts));
      } catch (e) {
        for (const s of step.seqs) {
          const r = this.reqs.get(s.id);
          if (r) this.finish(r, 'error', `draft worker: ${e instanceof Error ? e.message : String(e)}`);
          for (const p of this.pools) p.sched.abort(s.id);
        }
        this.first.sched.complete(step);
        return 'failed';
      }
      let row = 0;
      const next: typeof active = [];
      active.forEach((s, i) => {
        if (!parts[i]!.sample) return;
        const r = this.reqs.get(s.id)!;
        const probs = r.sampling.temperature <= 0 ? null : distribution(res.logits, row * V, V, r.sampling);
        const tok = probs === null ? argmaxF32(res.logits, row * V, V) : drawFrom(probs, r.rng);
        row++;
        const d = out.get(s.id) ?? { tokens: [], probs: [] };
        d.tokens.push(tok);
        d.probs.push(probs);
        out.set(s.id, d);
        if ((s.numSpeculativeTokens ?? 0) > round + 1) next.push(s);
      });
      active = next;
    }
    this.observer.onStep?.('draft', { numSeqs: step.seqs.length, numTokens: 0, wallS: this.now() - t0, phaseTimesS: { draft: this.now() - t0 }, kvUsage: 0, numWaiting: 0, numRunning: 0 });
    return out;
  }

  private failStep(pool: Pool, step: SchedulerStep, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    for (const s of step.seqs) {
      const r = this.reqs.get(s.id);
      if (r) {
        for (const p of this.pools) p.sched.abort(s.id);
        this.finish(r, 'error', msg);
      }
    }
    // Every seq is aborted, so completing the step (if it is still in flight) changes nothing but the flag.
    try {
      pool.sched.complete(step);
    } catch {
      // already completed
    }
  }

  private finish(r: Req, reason: FinishReason, detail?: string): void {
    if (r.done) return;
    r.done = true;
    this.reqs.delete(r.id);
    const numOut = r.tokens.length - r.numPrompt;
    const end = this.now();
    this.observer.onRequestDone?.({
      ttftS: r.firstTokenS === null ? null : r.firstTokenS - r.arrivalS,
      tpotS: r.firstTokenS !== null && numOut > 1 ? (r.lastTokenS - r.firstTokenS) / (numOut - 1) : null,
      e2eS: end - r.arrivalS,
      numPromptTokens: r.numPrompt,
      numOutputTokens: numOut,
      reason,
    });
    try {
      r.sink.onFinish(reason, detail);
    } catch {
      // the sink's failure is its own; the engine goes on
    }
    if (this.reqs.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}

/**
 * Chained hashes of the full prompt blocks (block i covers tokens 0..(i+1)·bs), 53-bit integers from two
 * independent 32-bit FNV-1a lanes, so a hit means the whole prefix matches with overwhelming probability.
 */
export function blockHashes(tokens: readonly number[], bs: number): number[] {
  const out: number[] = [];
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const seen = new Set<number>();
  for (let blk = 0; (blk + 1) * bs <= tokens.length; blk++) {
    for (let i = blk * bs; i < (blk + 1) * bs; i++) {
      const t = tokens[i]! >>> 0;
      for (let sh = 0; sh < 32; sh += 8) {
        const byte = (t >>> sh) & 0xff;
        a = Math.imul(a ^ byte, 0x01000193) >>> 0;
        b = Math.imul(b ^ byte, 0x5bd1e995) >>> 0;
        b ^= b >>> 15;
      }
    }
    const h = (b & 0x1fffff) * 0x100000000 + a;
    if (seen.has(h)) break; // the scheduler requires distinct hashes; stop caching at a (vanishingly rare) collision
    seen.add(h);
    out.push(h);
  }
  return out;
}
