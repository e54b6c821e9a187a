/**
 * Entry point of a stage worker thread. Roles: `full` (colocated, prefill or decode worker; one rank of it
 * under tensor parallelism), `attention` and `ffn` (the two halves of AFD, linked by their own MessagePort so
 * activations do not pass through the main thread). The worker loads its shard of the weights itself, then
 * answers step messages with logits, exported KV and per-phase times.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { isUsageError } from '../core/errors.js';
import { runAfdAttentionStep, serveFfn, type FfnLink, type FfnReply, type FfnRequest } from '../engine/afd.js';
import { openCheckpoint } from '../engine/checkpoint.js';
import type { EngineSizing } from '../engine/local.js';
import { shardPlan } from '../engine/local.js';
import { LOCAL_COMM, ModelShard } from '../engine/shard.js';
import { runFullStep, type StepInput, type StepOutput } from '../engine/step.js';
import { sourceOf, type ModelLocation } from './model-location.js';
import { SharedTpComm, type TpBuffers } from './tp-comm.js';

export interface WorkerInit {
  readonly role: 'full' | 'attention' | 'ffn' | 'draft';
  readonly loc: ModelLocation;
  readonly sizing: EngineSizing;
  readonly tpRank: number;
  readonly tpSize: number;
  readonly tpBuffers?: TpBuffers;
  /** AFD: the port to the other half. */
  readonly peer?: MessagePort;
}

export type ToWorker = { readonly kind: 'step'; readonly id: number; readonly input: StepInput } | { readonly kind: 'exit' };
export type FromWorker =
  | { readonly kind: 'ready'; readonly weightBytes: number; readonly maxContextTokens: number }
  | { readonly kind: 'result'; readonly id: number; readonly output: StepOutput }
  | { readonly kind: 'error'; readonly id: number | null; readonly message: string; readonly usage: boolean };

const now = (): number => performance.now() / 1000;

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('worker.ts must run in a worker thread');
  const init = workerData as WorkerInit;
  let shard: ModelShard;
  try {
    const ck = openCheckpoint(sourceOf(init.loc));
    const comm = init.tpSize > 1 && init.tpBuffers ? new SharedTpComm(init.tpBuffers, init.tpRank, init.tpSize) : LOCAL_COMM;
    shard = new ModelShard(ck, shardPlan(init.sizing, init.role, init.tpRank, init.tpSize), comm);
  } catch (e) {
    port.postMessage({ kind: 'error', id: null, message: e instanceof Error ? e.message : String(e), usage: isUsageError(e) } satisfies FromWorker);
    return;
  }

  if (init.role === 'ffn') {
    const peer = init.peer!;
    peer.on('message', (req: FfnRequest) => {
      const rep = serveFfn(shard, req, now);
      peer.postMessage(rep, [rep.x.buffer as ArrayBuffer]);
    });
  }

  let link: FfnLink | null = null;
  if (init.role === 'attention') {
    const peer = init.peer!;
    const replies: FfnReply[] = [];
    const waiters: ((r: FfnReply) => void)[] = [];
    peer.on('message', (rep: FfnReply) => {
      const w = waiters.shift();
      if (w) w(rep);
      else replies.push(rep);
    });
    link = {
      send: (req) => peer.postMessage(req, [req.x.buffer as ArrayBuffer]),
      next: () => {
        const r = replies.shift();
        return r ? Promise.resolve(r) : new Promise((res) => waiters.push(res));
      },
    };
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'exit') {
      port.close();
      init.peer?.close();
      return;
    }
    const reply = (output: StepOutput): void => {
      const transfer = [output.logits.buffer, ...output.kvExports.map((k) => k.buffer)].filter((b, i, a) => b.byteLength > 0 && a.indexOf(b) === i) as ArrayBuffer[];
      port.postMessage({ kind: 'result', id: msg.id, output } satisfies FromWorker, transfer);
    };
    const fail = (e: unknown): void => port.postMessage({ kind: 'error', id: msg.id, message: e instanceof Error ? e.message : String(e), usage: false } satisfies FromWorker);
    try {
      if (link) runAfdAttentionStep(shard, msg.input, link, now).then(reply, fail);
      else reply(runFullStep(shard, msg.input, now));
    } catch (e) {
      fail(e);
    }
  });
  port.postMessage({ kind: 'ready', weightBytes: shard.weightBytes, maxContextTokens: shard.maxContextTokens } satisfies FromWorker);
}

main();
