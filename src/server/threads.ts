/**
 * Stage workers in worker threads. Each StageRunner owns its threads: one per tensor-parallel rank of a
 * whole-model worker (colocated, prefill, decode), or the attention + FFN pair of AFD joined by a
 * MessageChannel. Steps go to every rank; rank 0 answers with logits and exported KV. A worker that dies fails
 * the steps in flight (their requests end with an error) and every later step of that runner.
 */
import { Worker } from 'node:worker_threads';
import { UsageError } from '../core/errors.js';
import type { Checkpoint } from '../engine/checkpoint.js';
import { Engine, type EngineObserver, type PoolSpec, type StageRunner } from '../engine/engine.js';
import { checkDraft, schedulerConfig, type EngineSizing } from '../engine/local.js';
import type { StepInput, StepOutput } from '../engine/step.js';
import type { ModelLocation } from './model-location.js';
import { allocTpBuffers } from './tp-comm.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export type { ModelLocation } from './model-location.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

interface Pending {
  readonly id: number;
  remaining: number;
  output: StepOutput | null;
  resolve: (o: StepOutput) => void;
  reject: (e: Error) => void;
}

export class ThreadRunner implements StageRunner {
  private readonly workers: Worker[];
  /** Threads whose lifetime this runner owns but that take no step messages (the AFD FFN worker). */
  private readonly helpers: Worker[];
  private nextId = 1;
  private pending: Pending | null = null;
  private dead: Error | null = null;
  readonly ready: Promise<{ weightBytes: number; maxContextTokens: number }>;

  constructor(ranks: readonly WorkerInit[], helpers: readonly WorkerInit[] = [], readonly name = 'worker') {
    const spawn = (init: WorkerInit): Worker => new Worker(WORKER_URL, { workerData: init, transferList: init.peer ? [init.peer] : [] });
    this.workers = ranks.map(spawn);
    this.helpers = helpers.map(spawn);
    const all = [...this.workers, ...this.helpers];
    this.ready = Promise.all(all.map((w) => new Promise<{ weightBytes: number; maxContextTokens: number }>((resolve, reject) => {
      const onMsg = (m: FromWorker): void => {
        if (m.kind === 'ready') {
          w.off('message', onMsg);
          resolve({ weightBytes: m.weightBytes, maxContextTokens: m.maxContextTokens });
        } else if (m.kind === 'error' && m.id === null) {
          w.off('message', onMsg);
          reject(m.usage ? new UsageError(`${this.name} worker`, m.message, 'a model the worker can load') : new Error(m.message));
        }
      };
      w.on('message', onMsg);
      w.once('error', reject);
    }))).then((rs) => ({ weightBytes: rs.reduce((a, r) => a + r.weightBytes, 0), maxContextTokens: Math.min(...rs.map((r) => r.maxContextTokens)) }));
    this.ready.catch(() => {});
    this.workers.forEach((w, rank) => {
      w.on('message', (m: FromWorker) => this.onMessage(m, rank));
    });
    for (const w of all) {
      w.on('error', (e) => this.die(new Error(`${this.name} worker failed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closing) this.die(new Error(`${this.name} worker exited (code ${code})`));
      });
    }
  }

  private closing = false;

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }

  private onMessage(m: FromWorker, rank: number): void {
    const p = this.pending;
    if (!p || m.kind === 'ready' || m.id !== p.id) return;
    if (m.kind === 'error') {
      this.pending = null;
      p.reject(new Error(m.message));
      return;
    }
    // Rank 0 carries the logits and KV; the other ranks answer with empty ones.
    if (rank === 0) p.output = m.output;
    if (--p.remaining === 0) {
      this.pending = null;
      p.resolve(p.output!);
    }
  }

  runStep(input: StepInput): Promise<StepOutput> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new Error('one step at a time'));
    const id = this.nextId++;
    return new Promise<StepOutput>((resolve, reject) => {
      this.pending = { id, remaining: this.workers.length, output: null, resolve, reject };
      const msg: ToWorker = { kind: 'step', id, input };
      this.workers.forEach((w, i) => {
        // The transferred KV goes to one rank only; others get a copy (tp > 1 is for colocated, which imports none).
        const transfer = i === 0 && this.workers.length === 1 ? (input.kvImports ?? []).map((k) => k.data.buffer as ArrayBuffer) : [];
        w.postMessage(msg, transfer);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.workers, ...this.helpers].map((w) => w.terminate()));
  }
}

/** Builds the threaded engine for a topology; resolves once every worker has loaded its weights. */
export async function createThreadedEngine(loc: ModelLocation, ck: Checkpoint, sizing: EngineSizing, tp: number, observer?: EngineObserver, draft?: { loc: ModelLocation; ck: Checkpoint }): Promise<Engine> {
  const c = ck.config;
  if (draft) checkDraft(ck, draft.ck, sizing);
  if (tp > 1 && sizing.topology !== 'colocated') throw new UsageError('--tp', tp, '1 for the pd and afd topologies (tensor parallelism is for colocated)', 'pd and afd already use one thread per worker.');
  const base = { loc, sizing };
  const runners: ThreadRunner[] = [];
  const sched = schedulerConfig(sizing);
  const fullRanks = (name: string): ThreadRunner => {
    const bufs = tp > 1 ? allocTpBuffers(tp, sizing.maxNumBatchedTokens, c.hiddenSize, sizing.maxNumSeqs, c.vocabSize) : undefined;
    const ranks: WorkerInit[] = Array.from({ length: tp }, (_, r) => ({ ...base, role: 'full' as const, tpRank: r, tpSize: tp, ...(bufs ? { tpBuffers: bufs } : {}) }));
    return new ThreadRunner(ranks, [], name);
  };
  let pools: PoolSpec[];
  switch (sizing.topology) {
    case 'colocated': {
      const r = fullRanks('colocated');
      runners.push(r);
      pools = [{ name: 'colocated', scheduler: sched, runner: r }];
      break;
    }
    case 'pd': {
      const p = fullRanks('prefill');
      const d = fullRanks('decode');
      runners.push(p, d);
      pools = [{ name: 'prefill', scheduler: sched, runner: p }, { name: 'decode', scheduler: sched, runner: d }];
      break;
    }
    case 'afd': {
      const { MessageChannel } = await import('node:worker_threads');
      const ch = new MessageChannel();
      const r = new ThreadRunner([{ ...base, role: 'attention', tpRank: 0, tpSize: 1, peer: ch.port1 }], [{ ...base, role: 'ffn', tpRank: 0, tpSize: 1, peer: ch.port2 }], 'afd');
      runners.push(r);
      pools = [{ name: 'afd', scheduler: sched, runner: r }];
      break;
    }
  }
  const draftRunner = draft ? new ThreadRunner([{ loc: draft.loc, sizing, role: 'draft', tpRank: 0, tpSize: 1 }], [], 'draft') : null;
  if (draftRunner) runners.push(draftRunner);
  try {
    await Promise.all(runners.map((r) => r.ready));
  } catch (e) {
    await Promise.all(runners.map((r) => r.close()));
    throw e;
  }
  const dims = { numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, vocabSize: c.vocabSize };
  return new Engine(sizing.topology, dims, pools, () => performance.now() / 1000, observer, draftRunner);
}
