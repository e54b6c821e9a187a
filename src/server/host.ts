/**
 * Builds what `phasewise serve` serves: opens the checkpoint (a directory, or the built-in demo), builds the
 * engine for the topology (worker threads, or all in this thread), the metrics and the app, and listens.
 */
import type { Server } from 'node:http';
import { openCheckpoint } from '../engine/checkpoint.js';
import type { Engine } from '../engine/engine.js';
import { createLocalEngine, DEFAULT_SIZING, type EngineSizing } from '../engine/local.js';
import { DEMO_MODEL_ID, DEMO_SPEC } from '../engine/synthetic.js';
import { TextCodec } from '../engine/tokenizer.js';
import { createApp, type ServedModel } from './app.js';
import { createHttpServer, listen } from './http.js';
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
}

export interface RunningServer {
  readonly port: number;
  readonly model: ServedModel;
  readonly server: Server;
  close(): Promise<void>;
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
  const app = createApp({ model, metrics, randomSeed: () => Math.floor(Math.random() * 2 ** 31), unixTimeS: () => Math.floor(Date.now() / 1000) });
  const server = createHttpServer(app, `${opts.host}`);
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
  return {
    port,
    model,
    server,
    close: async () => {
      await new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections?.();
      await engine.close();
    },
  };
}
