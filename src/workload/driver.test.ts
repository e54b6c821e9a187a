import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../core/rng.js';
import { WorkloadDriver, promptBlockHashes, uniquePromptBlocks } from './driver.js';
import type { WorkloadSpec } from './types.js';

const base: WorkloadSpec = {
  arrival: { kind: 'poisson', ratePerS: 10 },
  input: { kind: 'fixed', tokens: 100 },
  output: { kind: 'fixed', tokens: 20 },
  numRequests: 20_000,
  sessions: { turns: 1, thinkTimeS: 0, systemPromptTokens: 0 },
  trace: null,
};

function drainOpen(d: WorkloadDriver) {
  const out = [...d.initial()];
  for (let r = d.nextArrival(); r; r = d.nextArrival()) out.push(r);
  return out;
}

test('Poisson arrivals have the requested mean rate (20,000 draws: within 2%)', () => {
  const reqs = drainOpen(new WorkloadDriver(base, new Rng(1)));
  assert.equal(reqs.length, 20_000);
  const rate = (reqs.length - 1) / (reqs.at(-1)!.arrivalS - reqs[0]!.arrivalS);
  assert.ok(Math.abs(rate - 10) / 10 < 0.02, `rate ${rate}`);
});

test('gamma arrivals with cv 3 have the requested rate and a larger gap variance', () => {
  const reqs = drainOpen(new WorkloadDriver({ ...base, arrival: { kind: 'gamma', ratePerS: 10, cv: 3 } }, new Rng(2)));
  const gaps = reqs.slice(1).map((r, i) => r.arrivalS - reqs[i]!.arrivalS);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  assert.ok(Math.abs(mean - 0.1) / 0.1 < 0.05, `mean gap ${mean}`);
  assert.ok(Math.abs(sd / mean - 3) < 0.3, `cv ${sd / mean}`);
});

test('closed loop issues one request per client at start and a follow-up per finish', () => {
  const d = new WorkloadDriver({ ...base, arrival: { kind: 'closed', concurrency: 4, thinkTimeS: 0.5 }, numRequests: 6 }, new Rng(3));
  const first = d.initial();
  assert.equal(first.length, 4);
  assert.equal(d.nextArrival(), null);
  const next = d.onFinish(first[0]!, 2);
  assert.equal(next?.arrivalS, 2.5);
  d.onFinish(first[1]!, 3);
  assert.equal(d.onFinish(first[2]!, 4), null, 'stops at numRequests');
});

test('multi-turn sessions grow the prompt by the history and share its prefix blocks', () => {
  const spec: WorkloadSpec = { ...base, numRequests: 3, sessions: { turns: 3, thinkTimeS: 1, systemPromptTokens: 32 } };
  const d = new WorkloadDriver(spec, new Rng(4));
  const [t1] = d.initial();
  assert.equal(t1!.promptTokens, 32 + 100);
  const t2 = d.onFinish(t1!, 10)!;
  assert.equal(t2.turn, 2);
  assert.equal(t2.arrivalS, 11);
  // Turn 2 = turn 1's prompt + its 20 output tokens + 100 new tokens.
  assert.equal(t2.promptTokens, 132 + 20 + 100);
  const h1 = promptBlockHashes(t1!, 16);
  const h2 = promptBlockHashes(t2, 16);
  assert.equal(h1.length, 8);
  assert.deepEqual(h2.slice(0, 8), h1, 'turn 2 starts with turn 1 blocks');
  // The 2 system-prompt blocks are shared with every other conversation.
  assert.deepEqual(h1.slice(0, 2), [-1, -2]);
  assert.equal(uniquePromptBlocks(t1!, 16), 0, 'turn 2 will ask for all of turn 1');
  // The last turn: hashes for the blocks its history covers (what earlier turns could have cached), the rest unique.
  const t3 = d.onFinish(t2, 20)!;
  assert.equal(t3.lastTurn, true);
  const full3 = Math.floor(t3.promptTokens / 16);
  const h3 = promptBlockHashes(t3, 16);
  assert.equal(h3.length, Math.floor((t2.promptTokens + t2.outputTokens) / 16));
  assert.deepEqual(h3.slice(0, promptBlockHashes(t2, 16).length), promptBlockHashes(t2, 16));
  assert.equal(uniquePromptBlocks(t3, 16), full3 - h3.length);
  assert.ok(uniquePromptBlocks(t3, 16) > 0);
});

test('trace replay keeps the trace order, lengths and rescales arrival times to the target rate', () => {
  const trace = {
    name: 't',
    rows: [
      { arrivalS: 0, promptTokens: 10, outputTokens: 1 },
      { arrivalS: 1, promptTokens: 20, outputTokens: 2 },
      { arrivalS: 2, promptTokens: 30, outputTokens: 3 },
    ],
  };
  const spec: WorkloadSpec = { ...base, arrival: { kind: 'trace', ratePerS: 4 }, input: { kind: 'trace' }, output: { kind: 'trace' }, numRequests: 4, trace };
  const reqs = drainOpen(new WorkloadDriver(spec, new Rng(5)));
  assert.deepEqual(reqs.map((r) => r.promptTokens), [10, 20, 30, 10]);
  // Native rate 1 req/s → scale 1/4; the 4th request wraps one mean gap after the last.
  assert.deepEqual(reqs.map((r) => r.arrivalS), [0, 0.25, 0.5, 0.75]);
});

test('same seed, same requests', () => {
  const a = drainOpen(new WorkloadDriver({ ...base, input: { kind: 'lognormal', mean: 500, cv: 1, min: 1, max: 4000 } }, new Rng(9)));
  const b = drainOpen(new WorkloadDriver({ ...base, input: { kind: 'lognormal', mean: 500, cv: 1, min: 1, max: 4000 } }, new Rng(9)));
  assert.deepEqual(a, b);
});
