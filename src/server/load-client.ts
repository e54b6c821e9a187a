/**
 * An own loopback load client for `phasewise serve` (node:http, one keep-alive socket per client): N clients
 * each send streaming completions and chat completions back to back for a fixed time, check every answer
 * strictly (sse-check.ts: a complete, well-formed stream ending in [DONE], or a 429 with Retry-After and an
 * OpenAI-style body), record the time to first token, watch /metrics during the run, and at the end wait
 * for the KV blocks in use to return to zero. Used by `npm run bench:load` and the load test.
 * Also: a stream that is dropped mid-way (the disconnect test) and a /metrics reader.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { Rng } from '../core/rng.js';
import { SseChecker, type StreamKind } from './sse-check.js';

export type Outcome =
  | { readonly kind: 'ok'; readonly ttftS: number | null; readonly numTokens: number }
  | { readonly kind: 'rejected'; readonly retryAfterS: number }
  | { readonly kind: 'malformed' | 'truncated' | 'lost'; readonly why: string };

export interface StreamSpec {
  readonly kind: StreamKind;
  readonly model: string;
  readonly prompt: string;
  readonly maxTokens: number;
}

const now = (): number => performance.now() / 1000;

function bodyOf(s: StreamSpec): string {
  const common = { model: s.model, max_tokens: s.maxTokens, stream: true, stream_options: { include_usage: true }, ignore_eos: true, temperature: 0.8, seed: 7 };
  return JSON.stringify(s.kind === 'chat' ? { ...common, messages: [{ role: 'user', content: s.prompt }] } : { ...common, prompt: s.prompt });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => parts.push(b));
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
  });
}

/** An OpenAI-style error body: { error: { message, type, param, code } }. */
export function isOpenAiError(text: string): boolean {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } }).error;
    return typeof e?.message === 'string' && e.message.length > 0 && typeof e.type === 'string' && (e.param === null || typeof e.param === 'string') && (e.code === null || typeof e.code === 'string');
  } catch {
    return false;
  }
}

/** One streaming request, checked. Never rejects. */
export function streamOnce(base: URL, spec: StreamSpec, agent?: Agent): Promise<Outcome> {
  const payload = bodyOf(spec);
  const path = spec.kind === 'chat' ? '/v1/chat/completions' : '/v1/completions';
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const t0 = now();
    const req = request({ host: base.hostname, port: base.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode === 429) {
        const retry = Number(res.headers['retry-after']);
        readAll(res).then(
          (text) => settle(Number.isFinite(retry) && retry >= 0 && isOpenAiError(text) ? { kind: 'rejected', retryAfterS: retry } : { kind: 'malformed', why: `429 without a Retry-After or an OpenAI-style body: ${text.slice(0, 200)}` }),
          (e: Error) => settle({ kind: 'truncated', why: `429 body: ${e.message}` }),
        );
        return;
      }
      if (res.statusCode !== 200) {
        readAll(res).then(
          (text) => settle({ kind: 'malformed', why: `status ${res.statusCode}: ${text.slice(0, 200)}` }),
          (e: Error) => settle({ kind: 'lost', why: `status ${res.statusCode}, then ${e.message}` }),
        );
        return;
      }
      if (!String(res.headers['content-type']).startsWith('text/event-stream')) {
        settle({ kind: 'malformed', why: `content-type ${res.headers['content-type']}` });
        res.resume();
        return;
      }
      const check = new SseChecker(spec.kind, spec.maxTokens, t0);
      res.on('data', (b: Buffer) => check.push(b, now()));
      res.on('end', () => settle(check.verdict()));
      res.on('error', (e) => settle({ kind: 'truncated', why: `the response broke off: ${e.message}` }));
      res.on('close', () => settle({ kind: 'truncated', why: 'the connection closed before the response ended' }));
    });
    req.on('error', (e) => settle({ kind: 'lost', why: `no response: ${e.message}` }));
    req.end(payload);
  });
}

/** Sum of a metric's samples over all its labels in Prometheus text; null if absent. */
export function metricSum(text: string, name: string): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const v = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

export async function fetchMetrics(base: URL): Promise<string> {
  const res = await fetch(new URL('/metrics', base));
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** KV blocks held by live requests over all pools, from /metrics. */
export async function kvBlocksInUse(base: URL): Promise<number> {
  const v = metricSum(await fetchMetrics(base), 'phasewise_kv_blocks_in_use');
  if (v === null) throw new Error('/metrics has no phasewise_kv_blocks_in_use');
  return v;
}

/** Polls until the KV blocks in use are 0; the seconds it took, or null if not within capS. */
export async function waitKvZero(base: URL, capS: number, pollS = 0.01): Promise<number | null> {
  const t0 = now();
  for (;;) {
    if ((await kvBlocksInUse(base)) === 0) return now() - t0;
    if (now() - t0 > capS) return null;
    await new Promise((r) => setTimeout(r, pollS * 1000));
  }
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly numClients: number;
  readonly durationS: number;
  readonly seed: number;
  /** Output tokens per request, drawn uniformly from [min, max]. */
  readonly maxTokens: readonly [number, number];
  /** Prompt words per request, drawn uniformly from [min, max]. */
  readonly promptWords: readonly [number, number];
  /** Longest wait after a 429 (the server's Retry-After is honoured up to this). */
  readonly maxBackoffS: number;
}

export const DEFAULT_LOAD: Omit<LoadOptions, 'baseUrl'> = {
  model: 'phasewise-demo-random',
  numClients: 64,
  durationS: 60,
  seed: 1,
  maxTokens: [16, 96],
  promptWords: [4, 64],
  maxBackoffS: 1,
};

export interface LoadReport {
  readonly numClients: number;
  readonly durationS: number;
  readonly wallS: number;
  readonly numRequests: number;
  readonly numCompleted: number;
  readonly numRejected429: number;
  readonly numMalformed: number;
  readonly numTruncated: number;
  readonly numLost: number;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly outputTokens: number;
  readonly outputTokensPerS: number;
  readonly peakKvBlocksInUse: number;
  /** After every client finished: blocks in use (0 expected) and how long they took to get there. */
  readonly kvBlocksInUseAfter: number;
  readonly kvZeroAfterS: number | null;
  /** The first few problems, for a reader (empty when all went well). */
  readonly problems: readonly string[];
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const WORDS = ['the', 'weather', 'is', 'fine', 'today', 'and', 'a', 'cat', 'sat', 'on', 'mat', 'über', 'naïve', '日本', 'über', 'x'];

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const base = new URL(o.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: o.numClients });
  const rng = new Rng(o.seed);
  const between = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
  const ttfts: number[] = [];
  const problems: string[] = [];
  let numRequests = 0;
  let numCompleted = 0;
  let num429 = 0;
  let numMalformed = 0;
  let numTruncated = 0;
  let numLost = 0;
  let outputTokens = 0;
  let peakKv = 0;
  const t0 = now();
  const deadline = t0 + o.durationS;
  let running = true;
  const watcher = (async () => {
    while (running) {
      try {
        peakKv = Math.max(peakKv, await kvBlocksInUse(base));
      } catch (e) {
        problems.push(`/metrics: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const client = async (): Promise<void> => {
    while (now() < deadline) {
      const n = between(o.promptWords[0], o.promptWords[1]);
      const prompt = Array.from({ length: n }, () => WORDS[between(0, WORDS.length - 1)]!).join(' ');
      const spec: StreamSpec = { kind: rng.next() < 0.5 ? 'chat' : 'completion', model: o.model, prompt, maxTokens: between(o.maxTokens[0], o.maxTokens[1]) };
      numRequests++;
      const r = await streamOnce(base, spec, agent);
      switch (r.kind) {
        case 'ok':
          numCompleted++;
          outputTokens += r.numTokens;
          if (r.ttftS !== null) ttfts.push(r.ttftS);
          break;
        case 'rejected':
          num429++;
          await new Promise((res) => setTimeout(res, Math.min(o.maxBackoffS, r.retryAfterS) * 1000));
          break;
        default:
          if (r.kind === 'malformed') numMalformed++;
          else if (r.kind === 'truncated') numTruncated++;
          else numLost++;
          if (problems.length < 10) problems.push(`${r.kind}: ${r.why}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.numClients }, client));
  const wallS = now() - t0;
  running = false;
  await watcher;
  agent.destroy();
  const kvZeroAfterS = await waitKvZero(base, 30);
  const kvAfter = await kvBlocksInUse(base);
  ttfts.sort((a, b) => a - b);
  const ms = (s: number | null): number | null => (s === null ? null : Math.round(s * 1e4) / 10);
  return {
    numClients: o.numClients,
    durationS: o.durationS,
    wallS,
    numRequests,
    numCompleted,
    numRejected429: num429,
    numMalformed,
    numTruncated,
    numLost,
    ttftP50Ms: ms(percentile(ttfts, 50)),
    ttftP99Ms: ms(percentile(ttfts, 99)),
    outputTokens,
    outputTokensPerS: outputTokens / wallS,
    peakKvBlocksInUse: peakKv,
    kvBlocksInUseAfter: kvAfter,
    kvZeroAfterS,
    problems,
  };
}

/**
 * Opens a stream and resolves once its first event has arrived (mid-stream); `drop()` then destroys the
 * socket without reading further, as a client that goes away does.
 */
export function openStream(base: URL, spec: StreamSpec): Promise<{ drop(): void }> {
  const payload = bodyOf(spec);
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path: spec.kind === 'chat' ? '/v1/chat/completions' : '/v1/completions', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode !== 200) {
        readAll(res).then((t) => reject(new Error(`status ${res.statusCode}: ${t.slice(0, 200)}`)), reject);
        return;
      }
      res.once('data', () => {
        res.pause();
        resolve({ drop: () => req.destroy() });
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => reject(e));
    req.end(payload);
  });
}
