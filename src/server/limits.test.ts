/**
 * The server's limits over real sockets (in-process servers on the demo model, worker threads): the admission
 * queue's 429 + Retry-After, body and prompt limits, the per-request timeout, a slow reader that does not
 * stall other streams, and the HTTP writer's per-connection backpressure.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SIZING } from '../engine/local.js';
import { startServer, type RunningServer } from './host.js';
import { writeResponse } from './http.js';
import { DEFAULT_LIMITS } from './limits.js';
import { fetchMetrics, isOpenAiError, metricSum, openStream, streamOnce, waitKvZero } from './load-client.js';

const model = 'phasewise-demo-random';
const long = { model, prompt: 'tell me a long story', max_tokens: 3000, ignore_eos: true };

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function errorOf(text: string): { message: string; type: string; param: string | null; code: string | null } {
  assert.ok(isOpenAiError(text), text);
  return (JSON.parse(text) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;
}

describe('limits (2 batch slots + a queue of 1, 2 KiB bodies, 64-token prompts)', () => {
  let srv: RunningServer;
  let base: string;
  before(async () => {
    srv = await startServer({
      sizing: { ...DEFAULT_SIZING, numKvBlocks: 512, maxNumSeqs: 2 },
      tp: 1,
      threads: true,
      host: '127.0.0.1',
      port: 0,
      limits: { ...DEFAULT_LIMITS, maxQueuedRequests: 1, maxBodyBytes: 2048, maxPromptTokens: 64 },
    }, () => {});
    base = `http://127.0.0.1:${srv.port}`;
  });
  after(async () => srv.close());

  it('answers 429 with Retry-After once 2 running + 1 queued requests are in, and serves again when they end', async () => {
    const url = new URL(base);
    const streams = await Promise.all([0, 1].map(() => openStream(url, { kind: 'completion', model, prompt: 'go on and on', maxTokens: 3000 })));
    // The third is admitted (queued: both batch slots are taken); its headers come at once.
    const queued = await fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...long, stream: true }) });
    assert.equal(queued.status, 200);
    assert.equal(srv.model.engine.numLive, 3);
    const r = await post(base, '/v1/completions', long);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '1');
    const e = errorOf(r.text);
    assert.equal(e.code, 'queue_full');
    assert.match(e.message, /--max-queue 1/);
    const chat = await post(base, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(chat.status, 429);
    assert.equal(metricSum(await fetchMetrics(url), 'phasewise_requests_rejected_total{status="429",code="queue_full"}'), 2);
    for (const s of streams) s.drop();
    await queued.body?.cancel();
    assert.notEqual(await waitKvZero(url, 10), null);
    const again = await post(base, '/v1/completions', { model, prompt: 'hi', max_tokens: 2 });
    assert.equal(again.status, 200, again.text);
  });

  it('answers 413 for a body over the limit: declared in Content-Length, or streamed without one', async () => {
    const big = JSON.stringify({ model, prompt: 'x'.repeat(3000) });
    const r = await post(base, '/v1/completions', big);
    assert.equal(r.status, 413);
    assert.equal(errorOf(r.text).code, 'body_too_large');
    // Chunked, no Content-Length: the reader counts bytes and stops at the limit.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(new URL(base).port), '127.0.0.1');
      let got = '';
      sock.on('data', (b) => (got += b.toString('utf8')));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let i = 0; i < 6; i++) sock.write(`200\r\n${'y'.repeat(0x200)}\r\n`);
    });
    assert.match(raw, /^HTTP\/1\.1 413 /);
    assert.match(raw, /body_too_large/);
    assert.match(raw, /connection: close/i);
    const ok = await post(base, '/v1/completions', { model, prompt: 'x', user: 'x'.repeat(1900), max_tokens: 1 });
    assert.equal(ok.status, 200, ok.text);
  });

  it('answers 400 prompt_too_long beyond --max-prompt-tokens, for text, token ids and chat', async () => {
    const words = await post(base, '/v1/completions', { model, prompt: 'word '.repeat(100), max_tokens: 1 });
    assert.equal(words.status, 400);
    const e = errorOf(words.text);
    assert.equal(e.code, 'prompt_too_long');
    assert.equal(e.param, 'prompt');
    assert.match(e.message, /at most 64 \(--max-prompt-tokens\)/);
    const ids = await post(base, '/v1/completions', { model, prompt: Array.from({ length: 65 }, (_, i) => i + 10), max_tokens: 1 });
    assert.equal(errorOf(ids.text).code, 'prompt_too_long');
    const just = await post(base, '/v1/completions', { model, prompt: Array.from({ length: 64 }, (_, i) => i + 10), max_tokens: 1 });
    assert.equal(just.status, 200, just.text);
    const chat = await post(base, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'word '.repeat(100) }], max_tokens: 1 });
    assert.equal(errorOf(chat.text).param, 'messages');
  });

});

describe('--request-timeout 1', () => {
  let srv: RunningServer;
  let base: string;
  before(async () => {
    srv = await startServer({ sizing: DEFAULT_SIZING, tp: 1, threads: true, host: '127.0.0.1', port: 0, limits: { ...DEFAULT_LIMITS, requestTimeoutS: 1 } }, () => {});
    base = `http://127.0.0.1:${srv.port}`;
  });
  after(async () => srv.close());

  it('stops a request at the timeout: 408 when not streamed; an error event then [DONE] when streamed; KV freed', async () => {
    const r = await post(base, '/v1/completions', long);
    assert.equal(r.status, 408);
    assert.equal(errorOf(r.text).code, 'request_timeout');
    const s = await post(base, '/v1/completions', { ...long, stream: true });
    assert.equal(s.status, 200);
    const events = s.text.split('\n\n').filter((x) => x !== '');
    assert.equal(events.at(-1), 'data: [DONE]');
    assert.ok(events.length > 3, `${events.length} events`);
    assert.equal((JSON.parse(events.at(-2)!.slice(6)) as { error: { code: string } }).error.code, 'request_timeout');
    assert.notEqual(await waitKvZero(new URL(base), 10), null);
  });
});

describe('a slow reader', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer({ sizing: { ...DEFAULT_SIZING, numKvBlocks: 512, maxNumSeqs: 4 }, tp: 1, threads: true, host: '127.0.0.1', port: 0 }, () => {});
  });
  after(async () => srv.close());

  it('does not stall the other streams (its socket is never read while they complete)', async () => {
    const port = srv.port;
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', () => res()));
    const body = JSON.stringify({ ...long, stream: true });
    sock.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    sock.pause(); // never read: its data piles up in the socket buffers, then in its own stream's queue
    for (let i = 0; i < 100 && srv.model.engine.numLive === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(srv.model.engine.numLive, 1);
    const outcomes = await Promise.all([0, 1, 2].map((i) => streamOnce(new URL(`http://127.0.0.1:${port}`), { kind: i === 1 ? 'chat' : 'completion', model, prompt: `other ${i}`, maxTokens: 40 })));
    for (const o of outcomes) assert.equal(o.kind, 'ok', JSON.stringify(o));
    assert.equal(srv.model.engine.numLive, 1, 'the slow stream is still running');
    sock.destroy();
    assert.notEqual(await waitKvZero(new URL(`http://127.0.0.1:${port}`), 10), null);
    assert.equal(srv.model.engine.numLive, 0);
  });
});

describe('writeResponse', () => {
  it('reads the next chunk only after the socket drained (per-connection backpressure)', async () => {
    const written: string[] = [];
    let pulls = 0;
    const res = Object.assign(new EventEmitter(), {
      destroyed: false,
      writeHead: () => {},
      write: (b: Uint8Array): boolean => {
        written.push(new TextDecoder().decode(b));
        return false; // buffer full after every write
      },
      end: () => written.push('<end>'),
    });
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        if (pulls > 3) c.close();
        else c.enqueue(new TextEncoder().encode(`chunk${pulls}`));
      },
    }, { highWaterMark: 0 });
    const done = writeResponse(res as unknown as ServerResponse, new Response(body), false);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(written, ['chunk1']);
    res.emit('drain');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(written, ['chunk1', 'chunk2']);
    res.emit('drain');
    await new Promise((r) => setTimeout(r, 20));
    res.emit('drain');
    await done;
    assert.deepEqual(written, ['chunk1', 'chunk2', 'chunk3', '<end>']);
  });
});
