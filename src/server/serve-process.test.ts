/**
 * `phasewise serve` as a separate process, driven over loopback as users drive it: the load test's harness
 * for a few seconds (every answer a complete stream or a 429, KV blocks back to zero), 100 clients that drop
 * mid-stream (their KV blocks freed, the server still serving), SIGTERM draining a stream in flight (exit 0),
 * the drain timeout stopping a stream that would not end in time, and bad limit flags (exit 2).
 * No wall-time assertions: times are measured and reported as diagnostics; polls have generous caps.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { DEFAULT_LOAD, fetchMetrics, kvBlocksInUse, metricSum, openStream, runLoad, streamOnce, waitKvZero } from './load-client.js';
import { spawnServe, type SpawnedServer } from './spawn-serve.js';

const model = 'phasewise-demo-random';
const started: SpawnedServer[] = [];
after(async () => {
  for (const s of started) await s.stop('SIGKILL', 5);
});
async function serve(args: string[]): Promise<SpawnedServer> {
  const s = await spawnServe(args);
  started.push(s);
  return s;
}

describe('phasewise serve under load (the bench:load harness, 64 clients for 4 s)', () => {
  it('answers every request with a complete stream or a 429, and the KV blocks return to zero', async (t) => {
    // Few batch slots and a short queue, so the run sees both outcomes.
    const srv = await serve(['--max-seqs', '8', '--max-queue', '8']);
    const r = await runLoad({ ...DEFAULT_LOAD, baseUrl: srv.baseUrl, numClients: 64, durationS: 4 });
    t.diagnostic(`requests ${r.numRequests}: completed ${r.numCompleted}, 429 ${r.numRejected429}; TTFT p50 ${r.ttftP50Ms} ms, p99 ${r.ttftP99Ms} ms; peak KV blocks ${r.peakKvBlocksInUse}, zero ${r.kvZeroAfterS === null ? 'never' : `after ${(r.kvZeroAfterS * 1000).toFixed(0)} ms`}`);
    assert.deepEqual(r.problems, []);
    assert.equal(r.numMalformed + r.numTruncated + r.numLost, 0);
    assert.equal(r.numCompleted + r.numRejected429, r.numRequests);
    assert.ok(r.numCompleted > 0, 'some requests completed');
    assert.ok(r.numRejected429 > 0, '64 clients against 8 slots + 8 queued: some got 429');
    assert.ok(r.peakKvBlocksInUse > 0);
    assert.equal(r.kvBlocksInUseAfter, 0);
    assert.notEqual(r.ttftP50Ms, null);
    assert.equal(await srv.stop('SIGTERM'), 0);
  });
});

describe('100 clients that drop mid-stream', () => {
  it('have their KV blocks freed (polled on /metrics) and the server still serves', async (t) => {
    const srv = await serve(['--max-seqs', '100', '--kv-blocks', '1024']);
    const base = new URL(srv.baseUrl);
    // Completions send their first event with the first token: every stream is mid-generation when dropped.
    const streams = await Promise.all(Array.from({ length: 100 }, (_, i) => openStream(base, { kind: 'completion', model, prompt: `client ${i} says hello to the server`, maxTokens: 1000 })));
    const before = await fetchMetrics(base);
    assert.equal(metricSum(before, 'phasewise_num_requests_live'), 100);
    const blocksBefore = await kvBlocksInUse(base);
    assert.ok(blocksBefore >= 100, `${blocksBefore} KV blocks in use`);
    for (const s of streams) s.drop();
    const freedAfterS = await waitKvZero(base, 30);
    t.diagnostic(`${blocksBefore} KV blocks in use before the drop; 0 after ${freedAfterS === null ? 'never' : `${(freedAfterS * 1000).toFixed(0)} ms`} (the product's promise: within a second)`);
    assert.notEqual(freedAfterS, null, 'KV blocks never returned to zero');
    const m = await fetchMetrics(base);
    assert.equal(metricSum(m, 'phasewise_num_requests_live'), 0);
    assert.equal(metricSum(m, 'phasewise_requests_finished_total{reason="abort"}'), 100);
    const after = await streamOnce(base, { kind: 'chat', model, prompt: 'still there?', maxTokens: 20 });
    assert.equal(after.kind, 'ok', JSON.stringify(after));
    assert.equal(await srv.stop('SIGTERM'), 0);
  });
});

describe('SIGTERM', () => {
  it('drains: the stream in flight completes with [DONE], new requests are refused, the process exits 0', async () => {
    const srv = await serve([]);
    const base = new URL(srv.baseUrl);
    const inFlight = streamOnce(base, { kind: 'completion', model, prompt: 'a stream that must finish', maxTokens: 300 });
    for (let i = 0; i < 3000 && metricSum(await fetchMetrics(base), 'phasewise_num_requests_live') !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    srv.child.kill('SIGTERM');
    const refused = await new Promise<string>((resolve) => setTimeout(() => {
      fetch(new URL('/health', base)).then((r) => resolve(`status ${r.status}`), () => resolve('refused'));
    }, 200));
    const outcome = await inFlight;
    assert.deepEqual(outcome.kind === 'ok' ? { kind: 'ok', numTokens: outcome.numTokens } : outcome, { kind: 'ok', numTokens: 300 });
    assert.ok(refused === 'refused' || refused === 'status 503', refused);
    assert.equal(await srv.exited, 0);
    assert.match(srv.output(), /shutting down: waiting for 1 request/);
  });

  it('stops a stream still running after --drain-timeout: an error event, [DONE], exit 0', async () => {
    const srv = await serve(['--drain-timeout', '0.5']);
    const res = await fetch(new URL('/v1/completions', srv.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, prompt: 'endless', max_tokens: 4000, ignore_eos: true, stream: true }) });
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    srv.child.kill('SIGTERM');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.ok(text.endsWith('data: [DONE]\n\n'), text.slice(-200));
    assert.match(text, /"code":"server_shutting_down"/);
    assert.equal(await srv.exited, 0);
  });
});

describe('limit flags', () => {
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  for (const [flag, value] of [['--max-queue', '-1'], ['--request-timeout', 'soon'], ['--max-body-bytes', '1.5'], ['--max-prompt-tokens', '0'], ['--drain-timeout', '-3']] as const) {
    it(`${flag} ${value}: a clear error, exit code 2`, () => {
      const r = spawnSync(process.execPath, [main, 'serve', '--port', '0', flag, value], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^phasewise: error: ${flag}: got "${value.replace('.', '\\.')}"; accepted: `));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }
});
