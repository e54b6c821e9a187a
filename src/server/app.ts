/**
 * The OpenAI-compatible API as a function from a web Request to a Response (no socket needed in tests; http.ts
 * adapts it to node:http). Routes: POST /v1/completions, POST /v1/chat/completions (SSE streaming or not),
 * GET /v1/models, GET /health, GET /metrics. A client that goes away aborts its request in the scheduler.
 * Every error is an OpenAI-style body: { error: { message, type, param, code } }.
 *
 * Robustness (limits.ts): a bounded admission queue (429 + Retry-After), body and prompt limits (413/400),
 * a per-request timeout, and a drain mode for graceful shutdown. The engine never waits for a client: a
 * stream's events queue in its ReadableStream and the HTTP layer writes them as the socket accepts them.
 */
import type { Engine, FinishReason, SubmitRequest } from '../engine/engine.js';
import type { SamplingParams } from '../engine/sampler.js';
import { IncrementalDetokenizer, type ChatMessage, type TextCodec } from '../engine/tokenizer.js';
import { DEFAULT_LIMITS, RETRY_AFTER_S, type ServerLimits } from './limits.js';
import type { EngineMetrics } from './metrics.js';
import { ChatRequest, checkWellFormed, CompletionRequest, HttpError, parseBody } from './openai.js';
import { StopMatcher } from './stop.js';

export interface ServedModel {
  readonly id: string;
  /** Built-in random-weight demo model (said so in /v1/models). */
  readonly isDemo: boolean;
  readonly description: string;
  readonly engine: Engine;
  readonly codec: TextCodec;
  /** Prompt + max_tokens must fit in this. */
  readonly maxContextTokens: number;
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly createdUnixS: number;
}

export interface AppDeps {
  readonly model: ServedModel;
  readonly metrics: EngineMetrics;
  /** Seed for requests that give none. */
  readonly randomSeed: () => number;
  readonly unixTimeS: () => number;
  readonly limits?: ServerLimits;
  /** Requests the engine runs at once (its batch slots over all pools); the admission queue is on top. */
  readonly numBatchSlots?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function errorResponse(e: HttpError): Response {
  return json(e.status, e.body(), e.headers);
}

/** Why a request ended before the engine finished it. */
export type EndReason = 'client' | 'timeout' | 'shutdown';

export interface App {
  (req: Request): Promise<Response>;
  /** From now on new requests get 503 (graceful shutdown); requests in flight go on. */
  startDrain(): void;
  readonly draining: boolean;
  /** Ends every request in flight; streams end with an error event and [DONE]. */
  cancelAll(reason: Exclude<EndReason, 'client'>): void;
  /** Requests between submission and their last event. */
  readonly numActive: number;
}

export function createApp(deps: AppDeps): App {
  let seq = 0;
  const m = deps.model;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const maxBody = limits.maxBodyBytes;
  const maxLive = (deps.numBatchSlots ?? 0) + limits.maxQueuedRequests;
  const maxPrompt = limits.maxPromptTokens ?? m.maxContextTokens - 1;
  let draining = false;
  /** Ends a request early, by engine request id. */
  const active = new Map<number, (why: EndReason) => void>();

  /** Admission: cheap, so it runs before the body is read and again right before submission. */
  function admit(): void {
    if (draining) throw new HttpError(503, 'The server is shutting down and accepts no new requests.', null, 'server_shutting_down', 'server_error', { 'retry-after': String(RETRY_AFTER_S), connection: 'close' });
    const live = m.engine.numLive;
    if (live >= maxLive) {
      throw new HttpError(429, `The server is at capacity: ${live} requests are running or queued (at most ${maxLive}: ${deps.numBatchSlots ?? 0} batch slots + --max-queue ${limits.maxQueuedRequests}). Retry after ${RETRY_AFTER_S} s.`, null, 'queue_full', 'rate_limit_exceeded', { 'retry-after': String(RETRY_AFTER_S) });
    }
  }

  function checkPromptLength(numTokens: number, param: string): void {
    if (numTokens <= maxPrompt) return;
    if (limits.maxPromptTokens === null) {
      throw new HttpError(400, `This model's maximum context length is ${m.maxContextTokens} tokens; the prompt has ${numTokens}, leaving no room for output.`, param, 'context_length_exceeded');
    }
    throw new HttpError(400, `The prompt has ${numTokens} tokens; this server accepts at most ${maxPrompt} (--max-prompt-tokens).`, param, 'prompt_too_long');
  }

  async function readJson(req: Request): Promise<unknown> {
    const tooLarge = (n: number): HttpError => new HttpError(413, `The request body has ${n} bytes; at most ${maxBody} are accepted (--max-body-bytes).`, null, 'body_too_large', 'invalid_request_error', { connection: 'close' });
    const len = Number(req.headers.get('content-length') ?? '0');
    if (len > maxBody) throw tooLarge(len);
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.length > maxBody) throw tooLarge(bytes.length);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new HttpError(400, 'The request body is not valid UTF-8.', null, 'invalid_encoding');
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `The request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}.`, null, 'invalid_json');
    }
  }

  function checkModel(model: string): void {
    if (model !== m.id) throw new HttpError(404, `The model '${model}' does not exist; this server serves '${m.id}' (GET /v1/models).`, 'model', 'model_not_found', 'invalid_request_error');
  }

  function sampling(r: { temperature?: number | null; top_p?: number | null; top_k?: number | null }): SamplingParams {
    return { temperature: r.temperature ?? 1, topP: r.top_p ?? 1, topK: r.top_k === -1 || r.top_k == null ? 0 : r.top_k };
  }

  function stops(s: string | string[] | null | undefined): string[] {
    const list = s == null ? [] : typeof s === 'string' ? [s] : s;
    list.forEach((x, i) => checkWellFormed(x, `stop[${i}]`));
    return list.filter((x) => x.length > 0);
  }

  function budget(promptLen: number, maxTokens: number | null | undefined, fallback: number): number {
    const room = m.maxContextTokens - promptLen;
    if (room < 1) {
      throw new HttpError(400, `This model's maximum context length is ${m.maxContextTokens} tokens; the prompt has ${promptLen}, leaving no room for output.`, 'messages', 'context_length_exceeded');
    }
    const want = maxTokens ?? Math.min(fallback, room);
    if (promptLen + want > m.maxContextTokens) {
      throw new HttpError(400, `This model's maximum context length is ${m.maxContextTokens} tokens; the prompt has ${promptLen} and max_tokens asks for ${want} more.`, 'max_tokens', 'context_length_exceeded');
    }
    return want;
  }

  interface GenParams {
    readonly kind: 'chat' | 'completion';
    readonly promptIds: number[];
    readonly maxTokens: number;
    readonly sampling: SamplingParams;
    readonly seed: number;
    readonly stop: string[];
    readonly ignoreEos: boolean;
    readonly stream: boolean;
    readonly includeUsage: boolean;
  }

  function generate(p: GenParams, signal: AbortSignal): Response | Promise<Response> {
    admit();
    const id = `${p.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${++seq}`;
    const created = deps.unixTimeS();
    const detok = new IncrementalDetokenizer(m.codec);
    const matcher = new StopMatcher(p.stop);
    let text = '';
    let numOut = 0;
    let stoppedByString = false;
    type Ev = { delta: string } | { finish: FinishReason; detail?: string };
    let push: (e: Ev) => void = () => {};
    const pending: Ev[] = [];
    push = (e) => void pending.push(e);
    const req: SubmitRequest = {
      promptIds: p.promptIds,
      maxTokens: p.maxTokens,
      sampling: p.sampling,
      seed: p.seed,
      stopTokenIds: p.ignoreEos ? [] : m.eosTokenIds,
    };
    const submitted = m.engine.submit(req, {
      onToken: (tok) => {
        numOut++;
        if (!p.ignoreEos && m.eosTokenIds.includes(tok)) return true;
        const r = matcher.push(detok.push(tok));
        if (r.emit) push({ delta: r.emit });
        if (r.stopped) stoppedByString = true;
        return r.stopped;
      },
      onFinish: (reason, detail) => {
        if (reason === 'length' || (reason === 'stop' && !stoppedByString)) {
          const tail = matcher.push(detok.flush());
          const rest = tail.stopped ? tail.emit : tail.emit + matcher.flush();
          if (rest) push({ delta: rest });
          if (tail.stopped) reason = 'stop';
        }
        push(detail === undefined ? { finish: reason } : { finish: reason, detail });
      },
    });
    if (!submitted.ok) {
      throw new HttpError(400, `The request cannot be served: ${submitted.reason}.`, submitted.code === 'exceeds-kv-capacity' ? 'max_tokens' : 'prompt', submitted.code === 'empty-prompt' ? 'empty_prompt' : 'context_length_exceeded');
    }
    const reqId = submitted.id;
    // Whoever ends the request first says why; the engine frees its KV blocks at once (Scheduler.abort).
    let endReason: EndReason = 'client';
    const end = (why: EndReason): void => {
      endReason = why;
      m.engine.abort(reqId);
    };
    const onAbort = (): void => end('client');
    const timer = limits.requestTimeoutS > 0 ? setTimeout(() => end('timeout'), limits.requestTimeoutS * 1000) : null;
    timer?.unref();
    active.set(reqId, end);
    const settle = (): void => {
      if (timer) clearTimeout(timer);
      active.delete(reqId);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); // gone while the body was read
    const usage = (): { prompt_tokens: number; completion_tokens: number; total_tokens: number } => ({ prompt_tokens: p.promptIds.length, completion_tokens: numOut, total_tokens: p.promptIds.length + numOut });
    const finishName = (r: FinishReason): string => (r === 'length' ? 'length' : 'stop');
    /** The error a request ended early with; null when the client itself went away (nobody to tell). */
    const earlyEnd = (): HttpError | null =>
      endReason === 'timeout'
        ? new HttpError(408, `The request took longer than ${limits.requestTimeoutS} s (--request-timeout) and was stopped after ${numOut} tokens.`, null, 'request_timeout')
        : endReason === 'shutdown'
          ? new HttpError(503, `The server is shutting down; the request was stopped after ${numOut} tokens.`, null, 'server_shutting_down')
          : null;

    if (!p.stream) {
      return new Promise<Response>((resolve) => {
        push = (e) => {
          if ('delta' in e) {
            text += e.delta;
            return;
          }
          settle();
          if (e.finish === 'error' || e.finish === 'abort') {
            const early = e.finish === 'abort' ? earlyEnd() : null;
            resolve(errorResponse(early ?? new HttpError(e.finish === 'abort' ? 499 : 500, `Generation failed: ${e.detail ?? e.finish}.`, null, e.finish === 'abort' ? 'aborted' : 'engine_error')));
            return;
          }
          const choice = p.kind === 'chat'
            ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finishName(e.finish) }
            : { index: 0, text, logprobs: null, finish_reason: finishName(e.finish) };
          resolve(json(200, { id, object: p.kind === 'chat' ? 'chat.completion' : 'text_completion', created, model: m.id, choices: [choice], usage: usage() }));
        };
        for (const e of pending.splice(0)) push(e);
      });
    }

    const enc = new TextEncoder();
    const sse = (obj: unknown): Uint8Array => enc.encode(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta: string | null, finish: string | null, first = false): unknown =>
      p.kind === 'chat'
        ? { id, object: 'chat.completion.chunk', created, model: m.id, choices: [{ index: 0, delta: first ? { role: 'assistant', content: '' } : delta === null ? {} : { content: delta }, logprobs: null, finish_reason: finish }] }
        : { id, object: 'text_completion', created, model: m.id, choices: [{ index: 0, text: delta ?? '', logprobs: null, finish_reason: finish }] };
    // Closed once the reader cancelled (client gone) or the stream ended: later events are dropped.
    let closed = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const enqueue = (b: Uint8Array): void => {
          if (!closed) controller.enqueue(b);
        };
        const close = (): void => {
          if (closed) return;
          closed = true;
          controller.close();
        };
        if (p.kind === 'chat') enqueue(sse(chunk(null, null, true)));
        push = (e) => {
          if ('delta' in e) {
            enqueue(sse(chunk(e.delta, null)));
            return;
          }
          settle();
          if (e.finish === 'abort') {
            const early = earlyEnd();
            if (early) enqueue(sse(early.body()));
            else return close();
          } else if (e.finish === 'error') {
            enqueue(sse(new HttpError(500, `Generation failed: ${e.detail ?? 'engine error'}.`, null, 'engine_error').body()));
          } else {
            enqueue(sse(chunk(null, finishName(e.finish))));
            if (p.includeUsage) enqueue(sse({ id, object: p.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', created, model: m.id, choices: [], usage: usage() }));
          }
          enqueue(enc.encode('data: [DONE]\n\n'));
          close();
        };
        for (const e of pending.splice(0)) push(e);
      },
      cancel() {
        closed = true;
        onAbort();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' } });
  }

  function promptIdsOf(prompt: CompletionRequest['prompt']): number[] {
    if (typeof prompt === 'string' || typeof prompt[0] === 'string') {
      const s = typeof prompt === 'string' ? prompt : (prompt[0] as string);
      checkWellFormed(s, 'prompt');
      const ids = m.codec.encode(s);
      checkPromptLength(ids.length, 'prompt');
      return ids;
    }
    const ids = prompt as number[];
    checkPromptLength(ids.length, 'prompt');
    const bad = ids.findIndex((t) => t >= m.vocabSize);
    if (bad >= 0) throw new HttpError(400, `Invalid value for 'prompt[${bad}]': token id ${ids[bad]} is not below the vocabulary size ${m.vocabSize}.`, `prompt`, 'invalid_value');
    return ids;
  }

  async function completions(req: Request): Promise<Response> {
    const r = parseBody(CompletionRequest, await readJson(req));
    checkModel(r.model);
    const promptIds = promptIdsOf(r.prompt);
    if (promptIds.length === 0) throw new HttpError(400, "The 'prompt' encodes to no tokens.", 'prompt', 'empty_prompt');
    return generate({
      kind: 'completion',
      promptIds,
      maxTokens: budget(promptIds.length, r.max_tokens, 16),
      sampling: sampling(r),
      seed: r.seed ?? deps.randomSeed(),
      stop: stops(r.stop),
      ignoreEos: r.ignore_eos ?? false,
      stream: r.stream ?? false,
      includeUsage: r.stream_options?.include_usage ?? false,
    }, req.signal);
  }

  async function chat(req: Request): Promise<Response> {
    const r = parseBody(ChatRequest, await readJson(req));
    checkModel(r.model);
    if (!m.codec.hasChatTemplate) throw new HttpError(400, `The model '${m.id}' has no chat template (tokenizer_config.json chat_template); use /v1/completions.`, 'messages', 'no_chat_template');
    const messages: ChatMessage[] = r.messages.map((msg, i) => {
      const content = typeof msg.content === 'string' ? msg.content : msg.content.map((p) => p.text).join('');
      checkWellFormed(content, `messages[${i}].content`);
      return { role: msg.role, content };
    });
    const promptIds = m.codec.encodeChat(messages);
    checkPromptLength(promptIds.length, 'messages');
    return generate({
      kind: 'chat',
      promptIds,
      maxTokens: budget(promptIds.length, r.max_completion_tokens ?? r.max_tokens, 1024),
      sampling: sampling(r),
      seed: r.seed ?? deps.randomSeed(),
      stop: stops(r.stop),
      ignoreEos: r.ignore_eos ?? false,
      stream: r.stream ?? false,
      includeUsage: r.stream_options?.include_usage ?? false,
    }, req.signal);
  }

  function models(): Response {
    return json(200, {
      object: 'list',
      data: [{ id: m.id, object: 'model', created: m.createdUnixS, owned_by: m.isDemo ? 'phasewise (built-in demo, RANDOM weights)' : 'phasewise', max_model_len: m.maxContextTokens, description: m.description }],
    });
  }

  const handle = async (req: Request): Promise<Response> => {
    let path: string;
    try {
      path = routePath(req.url);
    } catch {
      return errorResponse(new HttpError(400, 'The request URL cannot be parsed.', null, 'invalid_url'));
    }
    try {
      const route = `${req.method} ${path}`;
      switch (route) {
        case 'POST /v1/completions':
          admit();
          return await completions(req);
        case 'POST /v1/chat/completions':
          admit();
          return await chat(req);
        case 'GET /v1/models':
          return models();
        case 'GET /health':
          return json(200, { status: 'ok', model: m.id, running: m.engine.numLive });
        case 'GET /metrics':
          return new Response(await deps.metrics.text(), { status: 200, headers: { 'content-type': deps.metrics.contentType } });
        default: {
          const known = ['/v1/completions', '/v1/chat/completions', '/v1/models', '/health', '/metrics'];
          if (known.includes(path)) throw new HttpError(405, `${req.method} is not allowed on ${path}.`, null, 'method_not_allowed');
          throw new HttpError(404, `No route ${req.method} ${path}. Routes: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics.`, null, 'not_found');
        }
      }
    } catch (e) {
      const err = e instanceof HttpError
        ? e
        : e instanceof Error && e.name === 'UsageError'
          ? new HttpError(400, e.message, null, 'invalid_value')
          : new HttpError(500, `Internal error: ${e instanceof Error ? e.message : String(e)}`, null, 'internal_error');
      deps.metrics.countRejected(err.status, err.code);
      return errorResponse(err);
    }
  };
  Object.defineProperties(handle, {
    startDrain: { value: (): void => void (draining = true) },
    draining: { get: () => draining },
    cancelAll: { value: (reason: Exclude<EndReason, 'client'>): void => [...active.values()].forEach((end) => end(reason)) },
    numActive: { get: () => active.size },
  });
  return handle as App;
}

/** The path without trailing slashes ('/' for the root); a loop, not a regex that backtracks on '////…x'. */
function routePath(url: string): string {
  const p = new URL(url).pathname;
  let end = p.length;
  while (end > 1 && p.charCodeAt(end - 1) === 0x2f) end--;
  return p.slice(0, end);
}
