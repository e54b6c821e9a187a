/**
 * Builds what `phasewise serve` serves: opens the checkpoint (a directory, or the built-in demo), builds the
 * engine for the topology (worker threads, or all in this thread), the metrics and the app, and listens.
 * `shutdown` is the graceful stop (SIGTERM): refuse new requests, let the streams in flight finish, exit.
 */
import type { Server } from 'node:http';
import { openCheckpoint } from '../engine/checkpoint.js';
import type { Engine } from '../engine/engine.js';
import { createLocalEngine, poolNames, type EngineSizing } from '../engine/local.js';
import { DEMO_MODEL_ID, DEMO_SPEC } from '../engine/synthetic.js';
import { TextCodec } from '../engine/tokenizer.js';
import { createApp, type ServedModel } from './app.js';
import { createHttpServer, InFlight, listen } from './http.js';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js';
import { EngineMetrics } from './metrics.js';
import { modelLocation, sourceOf } from './model-location.js';
import { createThreadedEngine } from './threads.js';

export interface ServeOptions {
  /** Checkpoint directory; undefined = the built-in demo model. */
  readonly modelDir?: string;
  readonly sizing: EngineSizing;
  /** Tensor-parallel threads per worker (colocated topology). */
  readonly tp: number;
  /** Run workers in worker threads (default) or all in the main thread. */
  readonly threads: boolean;
  readonly host: string;
  readonly port: number;
  /** Draft model directory for speculative decoding (colocated). */
  readonly draftDir?: string;
  /** Served model id (default: the directory name, or the demo id). */
  readonly modelId?: string;
  readonly limits?: ServerLimits;
}

export interface RunningServer {
  readonly port: number;
  readonly model: ServedModel;
  readonly server: Server;
  /** Stops at once: open streams are cut. */
  close(): Promise<void>;
  /**
   * Graceful stop: new connections and requests are refused (503), requests in flight run to their end;
   * after drainTimeoutS (default: the limits') the rest are stopped (their streams end with an error event
   * and [DONE]); then the connections and the engine close. Resolves with the number of requests that had to
   * be stopped.
   */
  shutdown(drainTimeoutS?: number): Promise<number>;
}

/** Loads the model and engine (throws UsageError for a bad checkpoint), then listens. */
export async function startServer(opts: ServeOptions, log: (line: string) => void): Promise<RunningServer> {
  const loc = modelLocation(opts.modelDir);
  const ck = openCheckpoint(sourceOf(loc));
  const codec = new TextCodec(ck.tokenizerJson, ck.tokenizerConfig, ck.source.name);
  const isDemo = loc.kind === 'demo';
  const id = opts.modelId ?? (isDemo ? DEMO_MODEL_ID : (opts.modelDir ?? '').replace(/\/+$/, '').split('/').pop() ?? 'model');
  let engineRef: Engine | null = null;
  const metrics = new EngineMetrics(() => engineRef);
  const now = (): number => performance.now() / 1000;
  const draftLoc = opts.draftDir === undefined ? undefined : modelLocation(opts.draftDir);
  const draft = draftLoc ? { loc: draftLoc, ck: openCheckpoint(sourceOf(draftLoc)) } : undefined;
  const engine = opts.threads
    ? await createThreadedEngine(loc, ck, opts.sizing, opts.tp, metrics.observer, draft)
    : createLocalEngine(ck, opts.sizing, now, metrics.observer, draft?.ck);
  engineRef = engine;
  const c = ck.config;
  const maxContextTokens = Math.min(c.maxPositions, opts.sizing.numKvBlocks * opts.sizing.blockSizeTokens);
  const model: ServedModel = {
    id,
    isDemo,
    description: isDemo
      ? `built-in demo model with RANDOM weights (${DEMO_SPEC.numLayers} layers, hidden ${DEMO_SPEC.hiddenSize}): its output is gibberish; pass --model DIR for a real checkpoint`
      : `${c.architecture} from ${ck.source.name}, ${c.numLayers} layers, hidden ${c.hiddenSize}, ${opts.sizing.quant === 'int8' ? 'int8' : 'fp32'} weights on CPU, topology ${opts.sizing.topology}${draft ? `, speculative decoding with ${draft.ck.source.name} (k = ${opts.sizing.numSpeculativeTokens})` : ''}`,
    engine,
    codec,
    maxContextTokens,
    vocabSize: c.vocabSize,
    eosTokenIds: c.eosTokenIds.length > 0 ? c.eosTokenIds : codec.eosTokenId !== undefined ? [codec.eosTokenId] : [],
    createdUnixS: Math.floor(Date.now() / 1000),
  };
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const app = createApp({
    model,
    metrics,
    randomSeed: () => Math.floor(Math.random() * 2 ** 31),
    unixTimeS: () => Math.floor(Date.now() / 1000),
    limits,
    numBatchSlots: opts.sizing.maxNumSeqs * poolNames(opts.sizing.topology).length,
  });
  const inFlight = new InFlight();
  const server = createHttpServer(app, { hostForUrls: opts.host, maxBodyBytes: limits.maxBodyBytes, inFlight });
  let port: number;
  try {
    port = await listen(server, opts.host, opts.port);
  } catch (e) {
    await engine.close();
    throw e;
  }
  if (isDemo) log(`model: ${id} — ${model.description}`);
  else log(`model: ${id} — ${model.description}`);
  log(`listening on http://${opts.host}:${port}`);
  const closed = new Promise<void>((res) => server.once('close', () => res()));
  const close = async (): Promise<void> => {
    if (server.listening) server.close();
    server.closeAllConnections();
    await closed;
    await engine.close();
  };
  return {
    port,
    model,
    server,
    close,
    shutdown: async (drainTimeoutS = limits.drainTimeoutS) => {
      app.startDrain();
      if (server.listening) server.close(); // stop accepting; idle keep-alive connections close now
      log(`shutting down: waiting for ${inFlight.count} request(s) in flight (at most ${drainTimeoutS} s)`);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        inFlight.idle().then(() => false),
        new Promise<boolean>((res) => (timer = setTimeout(() => res(true), drainTimeoutS * 1000))),
      ]);
      clearTimeout(timer);
      const numStopped = timedOut ? app.numActive : 0;
      if (timedOut) {
        log(`shutting down: stopping ${numStopped} request(s) still running after ${drainTimeoutS} s`);
        app.cancelAll('shutdown');
        // Their streams end with an error event and [DONE]; give the sockets a moment to take them.
        await Promise.race([inFlight.idle(), new Promise((res) => setTimeout(res, 2000).unref())]);
      }
      await close();
      log('stopped');
      return numStopped;
    },
  };
}
