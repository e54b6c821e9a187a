import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StepShape, StepTime } from '../perf/types.js';
import { IMMEDIATE_TIMING, runBenchmark, type BenchWorkload, type EngineTiming, type PoolSpec } from './bench-engine.js';

// Hand-checkable engines: a step with any prefill costs PREFILL_S, a decode-only step DECODE_S.
const PREFILL_S = 0.1;
const DECODE_S = 0.01;
const cost = (s: StepShape): StepTime => {
  const totalS = s.prefillTokens > 0 ? PREFILL_S : DECODE_S;
  return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
};

function pool(over: Partial<PoolSpec> = {}): PoolSpec {
  return {
    replicas: 1,
    ranks: 1,
    maxSeqsPerRank: 64,
    tokenBudgetPerRank: 8192,
    kvTokensPerRank: 1_000_000,
    policy: 'mixed',
    timing: IMMEDIATE_TIMING,
    stepCost: cost,
    ...over,
  };
}

function workload(clients: number, requests: number, isl: number, osl: number, over: Partial<BenchWorkload> = {}): BenchWorkload {
  return {
    clients,
    promptTokens: new Array<number>(requests).fill(isl),
    outputTokens: new Array<number>(requests).fill(osl),
    frontendServiceS: new Array<number>(requests).fill(0),
    frontendOutS: 0,
    ...over,
  };
}

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('one client: TTFT is the prefill step, TPOT the decode step', () => {
  const r = runBenchmark({ kind: 'colocated', pool: pool() }, workload(1, 1, 100, 11));
  assert.equal(r.finished, 1);
  close(r.ttftMs[0]!, PREFILL_S * 1e3, 'ttft');
  close(r.tpotMs[0]!, DECODE_S * 1e3, 'tpot');
  close(r.durationS, PREFILL_S + 10 * DECODE_S, 'duration');
});

test('closed loop: a client sends its next request when the last token reaches it', () => {
  const outS = 0.005;
  const r = runBenchmark({ kind: 'colocated', pool: pool() }, workload(1, 3, 100, 11, { frontendOutS: outS }));
  assert.equal(r.finished, 3);
  for (let i = 0; i < 3; i++) close(r.ttftMs[i]!, (PREFILL_S + outS) * 1e3, `ttft ${i}`);
  // Each cycle: prefill, 10 decode steps, the last token's way back to the client.
  close(r.durationS, 3 * (PREFILL_S + 10 * DECODE_S + outS) - outS, 'duration');
});

test('the serial frontend queues requests sent together; an asynchronous delay does not', () => {
  const s = 0.02;
  const serial = runBenchmark({ kind: 'colocated', pool: pool() }, workload(2, 2, 100, 11, { frontendServiceS: [s, s] }));
  // Request 0 reaches the engine at s and prefills alone; request 1 at 2s, while that step runs, so it
  // prefills in the next step (with request 0's first decode).
  close(serial.ttftMs[0]!, (s + PREFILL_S) * 1e3, 'serial ttft 0');
  close(serial.ttftMs[1]!, (s + 2 * PREFILL_S) * 1e3, 'serial ttft 1');
  const parallel = runBenchmark({ kind: 'colocated', pool: pool() }, workload(2, 2, 100, 11, { frontendLatencyS: s }));
  // Both arrive at s and share one prefill step.
  close(parallel.ttftMs[0]!, (s + PREFILL_S) * 1e3, 'async ttft 0');
  close(parallel.ttftMs[1]!, (s + PREFILL_S) * 1e3, 'async ttft 1');
});

test('a full batch makes the next request wait for a finishing one', () => {
  const r = runBenchmark({ kind: 'colocated', pool: pool({ maxSeqsPerRank: 1 }) }, workload(2, 2, 100, 11));
  close(r.ttftMs[0]!, PREFILL_S * 1e3, 'first');
  close(r.ttftMs[1]!, (2 * PREFILL_S + 10 * DECODE_S) * 1e3, 'second waits a whole request');
});

test('a streaming interval holds the first token for decode steps', () => {
  const timing: EngineTiming = { ...IMMEDIATE_TIMING, firstTokenHoldSteps: 3 };
  const r = runBenchmark({ kind: 'colocated', pool: pool({ timing }) }, workload(1, 1, 100, 11));
  close(r.ttftMs[0]!, (PREFILL_S + 3 * DECODE_S) * 1e3, 'ttft');
  close(r.tpotMs[0]!, ((7 * DECODE_S) / 10) * 1e3, 'tpot over the remaining steps');
});

test('an overlapping scheduler admits a request arriving mid-step two steps later', () => {
  const timing: EngineTiming = { ...IMMEDIATE_TIMING, admitLagSteps: 1 };
  // Request 1 arrives during request 0's prefill; the next step is already prepared (a decode of request 0).
  const r = runBenchmark(
    { kind: 'colocated', pool: pool({ timing }) },
    workload(2, 2, 100, 11, { frontendServiceS: [0, 0.05] }),
  );
  close(r.ttftMs[1]!, (PREFILL_S + DECODE_S + PREFILL_S) * 1e3, 'ttft of the late request');
});

test('prefill-priority pauses decodes while prompts wait', () => {
  // Request 1 arrives during request 0's decodes: SGLang runs its prefill as a step of its own.
  const r = runBenchmark(
    { kind: 'colocated', pool: pool({ policy: 'prefill-priority' }) },
    workload(2, 2, 100, 11, { frontendServiceS: [0, PREFILL_S + 0.5 * DECODE_S] }),
  );
  assert.equal(r.finished, 2);
  // Sent at 0, it reaches the engine during request 0's first decode step and prefills right after it.
  close(r.ttftMs[1]!, (PREFILL_S + DECODE_S + PREFILL_S) * 1e3, 'ttft');
  // Request 0 stalled for one prefill step during its decode.
  close(r.tpotMs[0]!, ((10 * DECODE_S + PREFILL_S) / 10) * 1e3, 'tpot with the stall');
});

test('disaggregated: first token when the KV reaches the decode worker, then decode steps', () => {
  const transferS = 0.003;
  const r = runBenchmark(
    { kind: 'pd', prefill: pool({ policy: 'prefill-only' }), decode: pool(), kvTransferS: () => transferS },
    workload(1, 2, 100, 11),
  );
  assert.equal(r.finished, 2);
  close(r.ttftMs[0]!, (PREFILL_S + transferS) * 1e3, 'ttft');
  close(r.tpotMs[0]!, DECODE_S * 1e3, 'tpot');
});

test('open loop: requests arrive on their schedule whatever the others do', () => {
  const r = runBenchmark({ kind: 'colocated', pool: pool() }, workload(1, 3, 100, 11, { arrivalS: [0, 10, 20] }));
  assert.equal(r.finished, 3);
  for (let i = 0; i < 3; i++) close(r.ttftMs[i]!, PREFILL_S * 1e3, `ttft ${i}`);
  close(r.durationS, 20 + PREFILL_S + 10 * DECODE_S, 'duration');
});

test('a request longer than a rank’s KV cache is rejected, and the run goes on', () => {
  const r = runBenchmark(
    { kind: 'colocated', pool: pool({ kvTokensPerRank: 150 }) },
    workload(1, 2, 100, 11, { promptTokens: [200, 100] }),
  );
  assert.equal(r.rejected, 1);
  assert.equal(r.finished, 1);
  assert.ok(Number.isNaN(r.ttftMs[0]!));
  close(r.ttftMs[1]!, PREFILL_S * 1e3, 'the next request');
});

test('attention-DP ranks spread requests and step together', () => {
  const r = runBenchmark({ kind: 'colocated', pool: pool({ ranks: 4, maxSeqsPerRank: 1 }) }, workload(4, 4, 100, 11));
  assert.equal(r.finished, 4);
  // One request per rank, all prefilled in the first step.
  for (let i = 0; i < 4; i++) close(r.ttftMs[i]!, PREFILL_S * 1e3, `ttft ${i}`);
});

test('attention-DP balancing holds a lone prompt until the engine-wide counter wraps, not for a fixed wait', () => {
  const run = (dpBalanceSteps: number): Float64Array =>
    runBenchmark(
      { kind: 'colocated', pool: pool({ ranks: 2, timing: { ...IMMEDIATE_TIMING, dpBalanceSteps } }) },
      workload(3, 3, 100, 200, { outputTokens: [200, 200, 11], arrivalS: [0, 0, 0.505], frontendServiceS: [0, 0, 0] }),
    ).ttftMs;
  // Both ranks get a prompt at 0: released together. Request 2 lands on one rank mid-step at 0.505 s.
  close(run(0)[2]!, 105, 'unbalanced');
  // With balancing the counter has run since the first decode step (0.1 s), one per step, wrapping at 20: the step
  // composed at 0.51 s is its 42nd, so it reaches 20 again at the 60th (0.69 s), whose prefill ends at 0.79 s —
  // 18 steps of wait, not the 20 a per-request timer would give.
  const balanced = run(20);
  close(balanced[0]!, 100, 'first wave, every rank has a prompt');
  close(balanced[2]!, 285, 'lone prompt');
});

test('context batching counts the decodes\' tokens, drafts included, toward its token threshold', () => {
  // n one-token prompts start decoding at 0; a 45-token prompt arrives mid-step at 0.505 s. The wait ends when the
  // waiting prompts and the decodes fill half of the 100-token budget, or after 20 steps.
  const lone = (decoding: number, draftTokensPerStep: number): number => {
    const prompts = [...new Array<number>(decoding).fill(1), 45];
    const r = runBenchmark(
      {
        kind: 'colocated',
        pool: pool({ tokenBudgetPerRank: 100, timing: { ...IMMEDIATE_TIMING, batchWaitSteps: 20, batchWaitTokenRatio: 0.5 }, draftTokensPerStep }),
      },
      workload(decoding + 1, decoding + 1, 1, 200, {
        promptTokens: prompts,
        outputTokens: [...new Array<number>(decoding).fill(200), 11],
        arrivalS: [...new Array<number>(decoding).fill(0), 0.505],
        frontendServiceS: prompts.map(() => 0),
      }),
    );
    return r.ttftMs[decoding]!;
  };
  close(lone(10, 0), 105, '45 + 10 decode tokens ≥ 50: admitted at the next step');
  close(lone(4, 0), 305, '45 + 4 < 50: held for 20 steps');
  close(lone(4, 1), 105, '45 + 4 × (1 + 1 draft) ≥ 50: admitted at the next step');
});

test('without chunked prefill a prompt waits for a step with room for all of it', () => {
  // A step costs 1 ms per token. Budget 150, two 100-token prompts sent together: chunked, the first step carries
  // the first prompt and half of the second (150 ms); unchunked, the first prompt alone (100 ms).
  const perToken = (s: StepShape): StepTime => {
    const totalS = s.numTokens * 1e-3;
    return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
  };
  const w = workload(2, 2, 100, 2);
  const chunked = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 150, stepCost: perToken }) }, w);
  close(chunked.ttftMs[0]!, 150, 'chunked: first prompt shares its step');
  const unchunked = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 150, chunkedPrefill: false, stepCost: perToken }) }, w);
  close(unchunked.ttftMs[0]!, 100, 'unchunked: first prompt alone');
  // The second prompt runs whole in the next step, beside the first one's decode: 100 + 101 ms.
  close(unchunked.ttftMs[1]!, 201, 'unchunked: second prompt whole in the next step');
  // A prompt longer than the whole budget still runs, alone.
  const long = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 50, chunkedPrefill: false }) }, workload(1, 1, 100, 2));
  assert.equal(long.finished, 1);
});

test('decodes outside the budget leave it all to prefill tokens', () => {
  // One client decodes (budget 100 = the next prompt exactly); the second prompt arrives while it runs.
  const w = workload(2, 2, 100, 50, { clientDelayS: [0, 0.15] });
  const shared = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 100 }) }, w);
  const apart = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 100, decodesUseBudget: false }) }, w);
  // Shared budget: 99 tokens of the prompt in one step, the last in the next; apart: all of it in one step.
  assert.ok(apart.ttftMs[1]! < shared.ttftMs[1]!, `${apart.ttftMs[1]} < ${shared.ttftMs[1]}`);
});

test('client jitter delays the send and breaks a lock-step closed loop', () => {
  const n = 40;
  const locked = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 200 }) }, workload(4, n, 100, 20));
  const delays = Array.from({ length: n }, (_, i) => ((i * 7919) % 13) * 0.003);
  const jittered = runBenchmark({ kind: 'colocated', pool: pool({ tokenBudgetPerRank: 200 }) }, workload(4, n, 100, 20, { clientDelayS: delays }));
  assert.equal(jittered.finished, n);
  // TTFT is measured from the send, so the delay itself is not part of it; only the batching changes.
  const distinct = (xs: Float64Array): number => new Set([...xs].map((x) => x.toFixed(6))).size;
  assert.ok(distinct(jittered.ttftMs) > distinct(locked.ttftMs), 'jitter spreads the first-token times');
  assert.throws(() => runBenchmark({ kind: 'colocated', pool: pool() }, workload(1, 2, 10, 2, { clientDelayS: [0] })), /clientDelayS/);
});

test('speculative decoding: a decode step yields tokensPerDecodeStep tokens per sequence', () => {
  // 1 + 20 output tokens: the first from the prefill, then 20 tokens at 2 per step = 10 decode steps.
  const r = runBenchmark({ kind: 'colocated', pool: pool({ tokensPerDecodeStep: 2 }) }, workload(1, 1, 100, 21));
  close(r.ttftMs[0]!, PREFILL_S * 1e3, 'ttft');
  close(r.tpotMs[0]!, ((10 * DECODE_S) / 20) * 1e3, 'tpot');
  // A fractional mean rounds the steps up: 20 tokens at 3 per step take 7 steps.
  const f = runBenchmark({ kind: 'colocated', pool: pool({ tokensPerDecodeStep: 3 }) }, workload(1, 1, 100, 21));
  close(f.tpotMs[0]!, ((7 * DECODE_S) / 20) * 1e3, 'tpot at 3 per step');
});

test('disaggregated: with firstTokenWithDecodeStep the first token leaves with the decode worker\'s first step', () => {
  const transferS = 0.003;
  const topo = (first: boolean) => ({
    kind: 'pd' as const,
    prefill: pool({ policy: 'prefill-only' }),
    decode: pool({ firstTokenWithDecodeStep: first }),
    kvTransferS: () => transferS,
  });
  const at = runBenchmark(topo(false), workload(1, 1, 100, 11));
  close(at.ttftMs[0]!, (PREFILL_S + transferS) * 1e3, 'first token when the KV lands');
  const withStep = runBenchmark(topo(true), workload(1, 1, 100, 11));
  close(withStep.ttftMs[0]!, (PREFILL_S + transferS + DECODE_S) * 1e3, 'first token with the first decode step');
  // The remaining 9 tokens take 9 more steps over 10 gaps counted from the first: TPOT shrinks accordingly.
  close(withStep.tpotMs[0]!, ((9 * DECODE_S) / 10) * 1e3, 'tpot');
});

test('KV admission reserves the prompt and the reserved share of the output', () => {
  // Two requests of 100 + 100 tokens and room for 300: whole sequences fit one at a time, prompt + half output both.
  const kv = { kvTokensPerRank: 300 };
  const whole = runBenchmark({ kind: 'colocated', pool: pool(kv) }, workload(2, 2, 100, 100));
  close(whole.ttftMs[1]!, (2 * PREFILL_S + 99 * DECODE_S) * 1e3, 'the second waits for the first to finish');
  const onDemand = runBenchmark({ kind: 'colocated', pool: pool({ ...kv, kvReservedOutputFraction: 0.5 }) }, workload(2, 2, 100, 100));
  close(onDemand.ttftMs[1]!, PREFILL_S * 1e3, 'both prefill together');
});
