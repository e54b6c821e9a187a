/** `phasewise serve`: the OpenAI-compatible server over the real engine. */
import { UsageError } from '../core/errors.js';
import { TOPOLOGIES, type Topology } from '../engine/engine.js';
import { DEFAULT_SIZING, type EngineSizing } from '../engine/local.js';
import { startServer } from '../server/host.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../server/limits.js';

export interface ServeFlags {
  model?: string;
  topology: string;
  draft?: string;
  port: string;
  host: string;
  kvBlocks: string;
  blockSize: string;
  maxBatchTokens: string;
  maxSeqs: string;
  quantize: string;
  tp: string;
  threads: boolean;
  prefixCaching: boolean;
  servedModelName?: string;
  numSpeculativeTokens: string;
  maxQueue: string;
  requestTimeout: string;
  maxBodyBytes: string;
  maxPromptTokens?: string;
  drainTimeout: string;
}

export function intFlag(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(name, v, `an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '∞' : max}`);
  return n;
}

/** Seconds: a finite number ≥ 0 (fractions allowed). */
export function secondsFlag(name: string, v: string, max = 86400): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new UsageError(name, v, `a number of seconds in 0..${max}`);
  return n;
}

export function limitsFromFlags(f: Pick<ServeFlags, 'maxQueue' | 'requestTimeout' | 'maxBodyBytes' | 'maxPromptTokens' | 'drainTimeout'>): ServerLimits {
  return {
    maxQueuedRequests: intFlag('--max-queue', f.maxQueue, 0, 1_000_000),
    requestTimeoutS: secondsFlag('--request-timeout', f.requestTimeout),
    maxBodyBytes: intFlag('--max-body-bytes', f.maxBodyBytes, 64, 1024 * 1024 * 1024),
    maxPromptTokens: f.maxPromptTokens === undefined ? null : intFlag('--max-prompt-tokens', f.maxPromptTokens, 1),
    drainTimeoutS: secondsFlag('--drain-timeout', f.drainTimeout, 3600),
  };
}

/** The limit flags as commander options take them (defaults shown in --help). */
export const LIMIT_DEFAULTS = {
  maxQueue: String(DEFAULT_LIMITS.maxQueuedRequests),
  requestTimeout: String(DEFAULT_LIMITS.requestTimeoutS),
  maxBodyBytes: String(DEFAULT_LIMITS.maxBodyBytes),
  drainTimeout: String(DEFAULT_LIMITS.drainTimeoutS),
};

export function sizingFromFlags(f: Pick<ServeFlags, 'topology' | 'kvBlocks' | 'blockSize' | 'maxBatchTokens' | 'maxSeqs' | 'quantize' | 'prefixCaching'> & { numSpeculativeTokens?: string }): EngineSizing {
  if (!(TOPOLOGIES as readonly string[]).includes(f.topology)) throw new UsageError('--topology', f.topology, TOPOLOGIES.join(', '));
  if (f.quantize !== 'none' && f.quantize !== 'int8') throw new UsageError('--quantize', f.quantize, 'none, int8');
  return {
    ...DEFAULT_SIZING,
    topology: f.topology as Topology,
    quant: f.quantize,
    numKvBlocks: intFlag('--kv-blocks', f.kvBlocks, 1),
    blockSizeTokens: intFlag('--block-size', f.blockSize, 1, 1024),
    maxNumBatchedTokens: intFlag('--max-batch-tokens', f.maxBatchTokens, 1),
    maxNumSeqs: intFlag('--max-seqs', f.maxSeqs, 1),
    enablePrefixCaching: f.prefixCaching,
    numSpeculativeTokens: f.numSpeculativeTokens === undefined ? 0 : intFlag('--num-speculative-tokens', f.numSpeculativeTokens, 1, 16),
  };
}

export function serveCommand(f: ServeFlags): Promise<void> {
  const sizing = { ...sizingFromFlags(f), numSpeculativeTokens: f.draft === undefined ? 0 : intFlag('--num-speculative-tokens', f.numSpeculativeTokens, 1, 16) };
  const port = intFlag('--port', f.port, 0, 65535);
  const tp = intFlag('--tp', f.tp, 1, 64);
  const limits = limitsFromFlags(f);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  return startServer({ ...(f.model !== undefined ? { modelDir: f.model } : {}), ...(f.draft !== undefined ? { draftDir: f.draft } : {}), ...(f.servedModelName !== undefined ? { modelId: f.servedModelName } : {}), sizing, tp, threads: f.threads, host: f.host, port, limits }, log).then((s) => {
    // First SIGTERM/SIGINT: drain (finish the streams in flight, then exit 0). A second one: stop at once.
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        log('second signal: stopping now');
        void s.close().then(() => process.exit(0));
        return;
      }
      stopping = true;
      s.shutdown().then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`phasewise: error while shutting down: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Runs an async command: a UsageError prints one paragraph and sets exit code 2, anything else is reported as
 * an internal error (exit 1), as main() does for synchronous commands.
 */
export function runAsyncCommand(p: () => Promise<void>): void {
  const onError = (e: unknown): void => {
    let code: number;
    if (e instanceof UsageError) {
      process.stderr.write(`phasewise: error: ${e.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`phasewise: internal error: ${e instanceof Error ? e.message : String(e)}\nThis is a bug in phasewise; please report it with the command you ran.\n`);
      code = 1;
    }
    // main() sets process.exitCode when the (synchronous) action returns; exit after it, with ours.
    // Exiting also ends any worker threads that would keep the process alive.
    setImmediate(() => process.exit(code));
  };
  try {
    p().catch(onError);
  } catch (e) {
    onError(e);
  }
}
