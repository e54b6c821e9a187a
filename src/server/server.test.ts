import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { DEFAULT_SIZING } from '../engine/local.js';
import { startServer, type RunningServer } from './host.js';
import { StopMatcher } from './stop.js';

let srv: RunningServer;
let base: string;
let client: OpenAI;
const model = 'phasewise-demo-random';

before(async () => {
  srv = await startServer({ sizing: { ...DEFAULT_SIZING, numKvBlocks: 64 }, tp: 1, threads: true, host: '127.0.0.1', port: 0 }, () => {});
  base = `http://127.0.0.1:${srv.port}`;
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => srv.close());

async function post(path: string, body: unknown | Uint8Array): Promise<{ status: number; json: { error?: { message: string; type: string; param: string | null; code: string | null } } }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body instanceof Uint8Array ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

describe('phasewise serve, through the official openai client', () => {
  it('streams a chat completion whose text equals the non-streamed one (temperature 0)', async () => {
    const messages = [{ role: 'user' as const, content: 'Say something about the weather.' }];
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let chunks = 0;
    let usage: { completion_tokens: number } | undefined;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    assert.ok(chunks >= 3, `${chunks} chunks`);
    assert.ok(finish === 'length' || finish === 'stop');
    const whole = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
    assert.equal(text, whole.choices[0]!.message.content);
    assert.equal(usage?.completion_tokens, whole.usage?.completion_tokens);
  });

  it('streams a completion, and a seed makes sampling repeatable', async () => {
    const run = async (): Promise<string> => {
      let t = '';
      const s = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 10, temperature: 0.9, top_p: 0.95, seed: 42, stream: true });
      for await (const c of s) t += c.choices[0]?.text ?? '';
      return t;
    };
    const a = await run();
    assert.ok(a.length > 0);
    assert.equal(await run(), a);
  });

  it('cuts the text before a stop sequence and reports finish_reason stop', async () => {
    const full = (await client.completions.create({ model, prompt: 'abc', max_tokens: 16, temperature: 0 })).choices[0]!;
    assert.ok(full.text.length >= 3, JSON.stringify(full.text));
    const stop = full.text.slice(2, 3);
    const cut = (await client.completions.create({ model, prompt: 'abc', max_tokens: 16, temperature: 0, stop: [stop] })).choices[0]!;
    assert.equal(cut.text, full.text.slice(0, full.text.indexOf(stop)));
    assert.equal(cut.finish_reason, 'stop');
  });

  it('lists the model as the random-weight demo, answers /health and /metrics', async () => {
    const models = await client.models.list();
    assert.equal(models.data[0]?.id, model);
    assert.match(JSON.stringify(models.data[0]), /RANDOM weights/);
    assert.equal((await fetch(`${base}/health`)).status, 200);
    const m = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['phasewise_time_to_first_token_seconds_count', 'phasewise_time_per_output_token_seconds_count', 'phasewise_num_requests_waiting{pool="colocated"}', 'phasewise_kv_cache_usage_ratio{pool="colocated"}', 'phasewise_stage_seconds_total{pool="colocated",phase="forward"}']) {
      assert.ok(m.includes(name), `metrics lack ${name}`);
    }
  });
});

describe('bad requests get HTTP 400 with an OpenAI-style error body, and the server goes on', () => {
  const ok = { model, prompt: 'hi', max_tokens: 2 };
  const cases: [string, unknown | Uint8Array, string][] = [
    ['an unknown parameter', { ...ok, frobnicate: true }, 'unknown_parameter'],
    ['a wrong type', { ...ok, max_tokens: 'ten' }, 'invalid_value'],
    ['temperature out of range', { ...ok, temperature: 7 }, 'invalid_value'],
    ['n > 1', { ...ok, n: 2 }, 'invalid_value'],
    ['a body that is not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_encoding'],
    ['a prompt with a lone surrogate', new TextEncoder().encode('{"model":"phasewise-demo-random","prompt":"a\\ud800b"}'), 'invalid_encoding'],
    ['invalid JSON', new TextEncoder().encode('{"model":'), 'invalid_json'],
    ['a prompt longer than the context', { ...ok, prompt: 'word '.repeat(3000) }, 'context_length_exceeded'],
    ['max_tokens beyond the context', { ...ok, max_tokens: 100000 }, 'context_length_exceeded'],
    ['a token id beyond the vocabulary', { ...ok, prompt: [1, 2, 999999] }, 'invalid_value'],
  ];
  for (const [what, body, code] of cases) {
    it(what, async () => {
      const r = await post('/v1/completions', body);
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error?.type, 'invalid_request_error');
      assert.equal(r.json.error?.code, code);
      assert.ok((r.json.error?.message.length ?? 0) > 10);
    });
  }
  it('an unknown chat message field, and an unknown model (404)', async () => {
    const r = await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'x', mood: 'happy' }] });
    assert.equal(r.status, 400);
    assert.equal(r.json.error?.param, 'mood');
    const m = await post('/v1/chat/completions', { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(m.status, 404);
    assert.equal(m.json.error?.code, 'model_not_found');
  });
  it('still serves after all that', async () => {
    const r = await post('/v1/completions', ok);
    assert.equal(r.status, 200);
  });
});

describe('a client that disconnects', () => {
  it('has its request aborted in the scheduler (KV freed, nothing left running)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'go on', max_tokens: 1000, stream: true, ignore_eos: true }), signal: ac.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(srv.model.engine.numLive, 1);
    ac.abort();
    for (let i = 0; i < 200 && srv.model.engine.numLive > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(srv.model.engine.numLive, 0);
    assert.equal(srv.model.engine.schedulers[0]!.scheduler.numUsedBlocks, 0);
  });
});

describe('StopMatcher', () => {
  it('holds back a possible stop prefix across deltas and cuts at the earliest stop', () => {
    const m = new StopMatcher(['END', 'xy']);
    assert.deepEqual(m.push('abcE'), { emit: 'ab', stopped: false });
    assert.deepEqual(m.push('N'), { emit: 'c', stopped: false });
    assert.deepEqual(m.push('Dzz'), { emit: '', stopped: true });
    const n = new StopMatcher(['END']);
    assert.deepEqual(n.push('hello E'), { emit: 'hello', stopped: false });
    assert.equal(n.flush(), ' E');
  });
});
