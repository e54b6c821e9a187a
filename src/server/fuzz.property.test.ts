/**
 * Property-based hardening of the HTTP handlers (issue 7): 10,000 random and mutated requests — bodies for
 * both completion routes (well-formed requests with odd values, then mutated as text; random JSON; random
 * bytes), and random methods, paths and headers — go through `answer` (the node:http adapter's socket-free
 * part) into the app, in-process. The app runs on a real Engine and Scheduler with the demo model's
 * tokenizer and chat template; only the forward pass is a stand-in (logits from a hash, an EOS now and then),
 * so thousands of accepted requests generate in seconds. Properties: no crash, no unhandled rejection, every
 * answer a 200 or a 4xx; every 4xx an OpenAI-style error body (a 429 with Retry-After); every 200 stream
 * well-formed and ending in [DONE]; afterwards no request is live and no KV block is in use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { openCheckpoint } from '../engine/checkpoint.js';
import { Engine, type StageRunner } from '../engine/engine.js';
import { DEFAULT_SIZING, schedulerConfig } from '../engine/local.js';
import type { StepInput, StepOutput } from '../engine/step.js';
import { demoSource } from '../engine/synthetic.js';
import { TextCodec } from '../engine/tokenizer.js';
import { createApp, type App } from './app.js';
import { answer } from './http.js';
import { DEFAULT_LIMITS } from './limits.js';
import { isOpenAiError } from './load-client.js';
import { EngineMetrics } from './metrics.js';

const MODEL = 'fuzz-model';
const ck = openCheckpoint(demoSource(1));
const codec = new TextCodec(ck.tokenizerJson, ck.tokenizerConfig, 'demo');
const V = ck.config.vocabSize;
const EOS = codec.eosTokenId ?? 0;

/** The forward pass stand-in: for each sampling row, one hot logit from a hash of the step and row. */
class HashRunner implements StageRunner {
  private step = 0;
  runStep(input: StepInput): Promise<StepOutput> {
    const rows = input.seqs.reduce((a, s) => a + (s.sample ? (s.logitRows ?? 1) : 0), 0);
    const logits = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const h = Math.imul(++this.step ^ (r * 0x9e3779b1), 0x85ebca6b) >>> 0;
      logits[r * V + (h % 8 === 0 ? EOS : h % V)] = 10;
    }
    return Promise.resolve({ logits, kvExports: [], phaseTimesS: { forward: 0 } });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const sizing = { ...DEFAULT_SIZING, numKvBlocks: 32, blockSizeTokens: 16, maxNumSeqs: 8, maxNumBatchedTokens: 256 };
let engine: Engine;
let app: App;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

before(() => {
  process.on('unhandledRejection', onUnhandled);
  engine = new Engine('colocated', { numLayers: 1, numKvHeads: 1, headDim: 1, vocabSize: V }, [{ name: 'colocated', scheduler: schedulerConfig(sizing), runner: new HashRunner() }], () => performance.now() / 1000);
  const metrics = new EngineMetrics(() => engine);
  app = createApp({
    model: { id: MODEL, isDemo: true, description: 'fuzz', engine, codec, maxContextTokens: sizing.numKvBlocks * sizing.blockSizeTokens, vocabSize: V, eosTokenIds: [EOS], createdUnixS: 0 },
    metrics,
    randomSeed: () => 1,
    unixTimeS: () => 0,
    limits: { ...DEFAULT_LIMITS, maxBodyBytes: 64 * 1024, maxQueuedRequests: 4 },
    numBatchSlots: sizing.maxNumSeqs,
  });
});
after(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** What the answers were, by status and error code (or content type), so the test can show it reached every path. */
const tally = new Map<string, number>();
const count = (k: string): void => void tally.set(k, (tally.get(k) ?? 0) + 1);

/** Reads the whole answer and checks it; returns a description of what is wrong, or null. */
async function problemWith(res: Response): Promise<string | null> {
  const text = await res.text();
  const s = res.status;
  let code = res.headers.get('content-type') ?? '';
  try {
    code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? code);
  } catch {
    // not JSON: keep the content type
  }
  count(`${s} ${code}`);
  if (s !== 200 && (s < 400 || s > 499)) return `status ${s}: ${text.slice(0, 300)}`;
  if (s !== 200) {
    if (!isOpenAiError(text)) return `status ${s} without an OpenAI-style error body: ${text.slice(0, 300)}`;
    if (s === 429 && res.headers.get('retry-after') === null) return '429 without Retry-After';
    return null;
  }
  if (res.headers.get('content-type') !== 'text/event-stream') return null; // JSON, model list, metrics: 200 is the claim
  const events = text.split('\n\n');
  if (events.pop() !== '') return `stream does not end with a blank line: ${JSON.stringify(text.slice(-80))}`;
  if (events.at(-1) !== 'data: [DONE]') return `stream does not end with [DONE]: ${JSON.stringify(text.slice(-120))}`;
  for (const ev of events.slice(0, -1)) {
    if (!ev.startsWith('data: ') || ev.includes('\n')) return `event not a single data line: ${JSON.stringify(ev.slice(0, 120))}`;
    try {
      JSON.parse(ev.slice(6));
    } catch {
      return `event not JSON: ${JSON.stringify(ev.slice(0, 120))}`;
    }
  }
  return null;
}

async function send(method: string, path: string, headers: Record<string, string>, body: Uint8Array | null): Promise<string | null> {
  const res = await answer(app, { method, url: path, headers, body, signal: new AbortController().signal }, '127.0.0.1');
  return problemWith(res);
}

// ---- arbitraries ------------------------------------------------------------------------------------------

const text = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) }, { weight: 2, arbitrary: fc.constantFrom('', ' ', '\u0000', '\ud800', '<|im_end|>', 'hello world') });
const odd = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5000 }), fc.double(), text, fc.array(fc.integer({ min: -2, max: 70000 }), { maxLength: 6 }), fc.constant({}), fc.constant([]));
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => fc.oneof({ weight: 15, arbitrary: a }, { weight: 1, arbitrary: odd });
const common = {
  model: fc.oneof({ weight: 5, arbitrary: fc.constant(MODEL) }, { weight: 1, arbitrary: text }),
  max_tokens: maybe(fc.integer({ min: 1, max: 64 })),
  temperature: maybe(fc.double({ min: 0, max: 2, noNaN: true })),
  top_p: maybe(fc.double({ min: 0.01, max: 1, noNaN: true })),
  top_k: maybe(fc.integer({ min: -1, max: 50 })),
  stop: maybe(fc.oneof(text, fc.array(text, { maxLength: 4 }))),
  seed: maybe(fc.integer()),
  stream: maybe(fc.boolean()),
  stream_options: maybe(fc.record({ include_usage: fc.boolean() })),
  n: maybe(fc.constant(1)),
  user: maybe(text),
  presence_penalty: maybe(fc.constant(0)),
  ignore_eos: maybe(fc.boolean()),
};
const extraKeys = fc.dictionary(fc.oneof(fc.constantFrom('frobnicate', 'logit_bias', 'tools', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), odd, { maxKeys: 2 });
/** Mostly with the required keys (so generation is reached), sometimes without any. */
const requiredMostly = (required: string[]): fc.Arbitrary<string[]> => fc.oneof({ weight: 6, arbitrary: fc.constant(required) }, { weight: 1, arbitrary: fc.constant([] as string[]) });
const completionBody = requiredMostly(['model', 'prompt']).chain((requiredKeys) => fc.tuple(
  fc.record({ ...common, prompt: maybe(fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 1 }), fc.array(fc.integer({ min: 0, max: V + 10 }), { minLength: 1, maxLength: 40 }))), echo: maybe(fc.constant(false)) }, { requiredKeys: requiredKeys as never }),
  fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraKeys }),
)).map(([b, x]) => ({ ...b, ...x }));
const message = fc.record({ role: fc.oneof({ weight: 15, arbitrary: fc.constantFrom('system', 'user', 'assistant', 'developer') }, { weight: 1, arbitrary: text }), content: fc.oneof({ weight: 8, arbitrary: text }, { weight: 3, arbitrary: fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 3 }) }, { weight: 1, arbitrary: odd }) }, { requiredKeys: ['role', 'content'] });
const chatBody = requiredMostly(['model', 'messages']).chain((requiredKeys) => fc.tuple(
  fc.record({ ...common, messages: maybe(fc.array(message, { minLength: 1, maxLength: 4 })), max_completion_tokens: maybe(fc.integer({ min: 1, max: 64 })) }, { requiredKeys: requiredKeys as never }),
  fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraKeys }),
)).map(([b, x]) => ({ ...b, ...x }));

/** Text mutations of a serialized body: flip, insert, delete, duplicate, truncate. */
const mutation = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('flip', 'insert', 'delete', 'duplicate', 'truncate'), fc.constantFrom('"', '{', '}', ',', ':', '[', ']', '\\', '0', '-', 'e', ' ', '\u00ff', '\ud83d'));
function mutate(s: string, ms: readonly [number, number, string, string][]): string {
  for (const [a, b, kind, ch] of ms) {
    if (s.length === 0) break;
    const i = a % s.length;
    const j = Math.min(s.length, i + 1 + (b % 12));
    if (kind === 'flip') s = s.slice(0, i) + ch + s.slice(i + 1);
    else if (kind === 'insert') s = s.slice(0, i) + ch + s.slice(i);
    else if (kind === 'delete') s = s.slice(0, i) + s.slice(j);
    else if (kind === 'duplicate') s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
    else s = s.slice(0, i);
  }
  return s;
}
const enc = new TextEncoder();
const bodyBytes = (obj: fc.Arbitrary<unknown>): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: obj.map((o) => enc.encode(JSON.stringify(o))) },
    { weight: 4, arbitrary: fc.tuple(obj, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([o, ms]) => enc.encode(mutate(JSON.stringify(o), ms))) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => enc.encode(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  );

const tokenChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~'.split(''));
const headerName = fc.oneof(fc.constantFrom('content-type', 'content-length', 'accept', 'connection', 'transfer-encoding', 'authorization', 'x-request-id', 'expect', 'host'), fc.string({ unit: tokenChars, minLength: 1, maxLength: 20 }).map((s) => s.toLowerCase()));
const headerValue = fc.oneof(fc.constantFrom('application/json', 'text/plain', 'close', '0', '-1', '99999999999', 'chunked', '100-continue', ''), fc.nat().map(String), fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }).map((s) => s.trim()));
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 });
const ROUTES = ['/v1/completions', '/v1/chat/completions', '/v1/models', '/health', '/metrics'];
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), fc.constantFrom('/', '//', '?', '?a=1&b', '#x', '/..', '%2F', '%00', '/%zz', '\u00e9', ';x')).map(([r, s]) => r + s) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('*', '', 'http://elsewhere/v1/models', '//x/y', '/'.repeat(5000) + 'x', 'https://[::1]:99999/') },
);
const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'get', 'PRI', 'M-SEARCH') });

// ---- properties -------------------------------------------------------------------------------------------

/** 3,500 + 3,500 + 3,000 = 10,000 inputs; seeds fixed so a failure is reproducible. */
describe('HTTP handlers under 10,000 random and mutated inputs (fast-check)', () => {
  it('POST /v1/completions: 3,500 bodies', async () => {
    await fc.assert(fc.asyncProperty(bodyBytes(completionBody), headers, async (body, h) => {
      const p = await send('POST', '/v1/completions', { ...h, 'content-type': 'application/json' }, body);
      assert.equal(p, null);
    }), { numRuns: 3500, seed: 7001 });
  });

  it('POST /v1/chat/completions: 3,500 bodies', async () => {
    await fc.assert(fc.asyncProperty(bodyBytes(chatBody), headers, async (body, h) => {
      const p = await send('POST', '/v1/chat/completions', h, body);
      assert.equal(p, null);
    }), { numRuns: 3500, seed: 7002 });
  });

  it('random methods, paths and headers: 3,000 requests', async () => {
    await fc.assert(fc.asyncProperty(method, path, headers, fc.oneof(bodyBytes(completionBody), bodyBytes(chatBody), fc.constant(null)), async (m, p, h, body) => {
      const problem = await send(m, p, h, body);
      assert.equal(problem, null);
    }), { numRuns: 3000, seed: 7003 });
  });

  it('reached generation and the error paths (not a vacuous pass)', (t) => {
    t.diagnostic(JSON.stringify(Object.fromEntries([...tally].sort((a, b) => b[1] - a[1]))));
    const n = (k: string): number => tally.get(k) ?? 0;
    assert.equal([...tally.values()].reduce((a, b) => a + b, 0), 10_000);
    assert.ok(n('200 text/event-stream') >= 200, `${n('200 text/event-stream')} streams`);
    assert.ok(n('200 application/json') >= 200, `${n('200 application/json')} JSON answers`);
    for (const code of ['400 invalid_json', '400 invalid_value', '400 unknown_parameter', '404 model_not_found', '404 not_found', '405 method_not_allowed', '400 invalid_encoding']) assert.ok(n(code) > 0, `no ${code}`);
  });

  it('leaves nothing behind: no live request, no KV block in use, no unhandled rejection', async () => {
    await engine.idle();
    assert.equal(engine.numLive, 0);
    assert.equal(engine.schedulers[0]!.scheduler.numUsedBlocks, 0);
    assert.deepEqual(unhandled, []);
  });
});
