import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADP_BALANCE_START, adpBalanceStep, type AdpBalanceCounters, type AdpRankView } from './adp-balance.js';

const settings = { timeoutIters: 4, batchingWaitIters: 0 };
const rank = (over: Partial<AdpRankView> = {}): AdpRankView => ({ hasPrompt: false, decoding: true, hasFreeSlot: true, ...over });

/** Run `iters` iterations with the same ranks; the iterations (1-based) whose prompts were released. */
function releases(ranks: readonly AdpRankView[], iters: number, s = settings, start: AdpBalanceCounters = ADP_BALANCE_START): number[] {
  let counters = start;
  const out: number[] = [];
  for (let i = 1; i <= iters; i++) {
    const { hold, next } = adpBalanceStep(counters, ranks, s);
    if (!hold) out.push(i);
    counters = next;
  }
  return out;
}

test('a prompt on one rank waits for the counter to reach timeout_iters, then the counter starts again', () => {
  const ranks = [rank({ hasPrompt: true }), rank()];
  assert.deepEqual(releases(ranks, 9), [4, 8]);
});

test('the counter also runs while no rank has a prompt, so a prompt arriving late waits less than timeout_iters', () => {
  let counters = ADP_BALANCE_START;
  for (let i = 0; i < 3; i++) counters = adpBalanceStep(counters, [rank(), rank()], settings).next;
  assert.equal(counters.waitingIters, 3);
  const arrived = adpBalanceStep(counters, [rank({ hasPrompt: true }), rank()], settings);
  assert.equal(arrived.hold, false);
  assert.equal(arrived.next.waitingIters, 0);
});

test('prompts on every rank go at once, and the counter resets', () => {
  const all = [rank({ hasPrompt: true }), rank({ hasPrompt: true })];
  const r = adpBalanceStep({ waitingIters: 2, batchingIters: 0 }, all, settings);
  assert.deepEqual(r, { hold: false, next: { waitingIters: 0, batchingIters: 0 } });
});

test('a rank with nothing to decode releases the prompts at once', () => {
  const ranks = [rank({ hasPrompt: true }), rank({ decoding: false })];
  assert.deepEqual(adpBalanceStep(ADP_BALANCE_START, ranks, settings), { hold: false, next: ADP_BALANCE_START });
});

test('a full rank keeps the others waiting even when every rank has a prompt', () => {
  const ranks = [rank({ hasPrompt: true }), rank({ hasPrompt: true, hasFreeSlot: false })];
  assert.equal(adpBalanceStep(ADP_BALANCE_START, ranks, settings).hold, true);
});

test('with every rank decoding, prompts on all ranks wait batching_wait_iters more', () => {
  const all = [rank({ hasPrompt: true }), rank({ hasPrompt: true })];
  assert.deepEqual(releases(all, 7, { timeoutIters: 4, batchingWaitIters: 2 }), [3, 6]);
  // Not every rank decoding: no batching wait.
  const idle = [rank({ hasPrompt: true, decoding: false }), rank({ hasPrompt: true })];
  assert.deepEqual(releases(idle, 3, { timeoutIters: 4, batchingWaitIters: 2 }), [1, 2, 3]);
});
