import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADP_BALANCE_START, adpBalanceStep, type AdpBalanceCounters, type AdpRanksView } from './adp-balance.js';

const settings = { timeoutIters: 4, batchingWaitIters: 0 };
/** Every rank decoding with free slots; by default not every rank has a prompt (some, or none, do). */
const ranks = (over: Partial<AdpRanksView> = {}): AdpRanksView => ({ allHavePrompts: false, allDecoding: true, allHaveSlots: true, ...over });

/** Run `iters` iterations with the same ranks; the iterations (1-based) whose prompts were released. */
function releases(view: AdpRanksView, iters: number, s = settings, start: AdpBalanceCounters = ADP_BALANCE_START): number[] {
  let counters = start;
  const out: number[] = [];
  for (let i = 1; i <= iters; i++) {
    const { hold, next } = adpBalanceStep(counters, view, s);
    if (!hold) out.push(i);
    counters = next;
  }
  return out;
}

test('a prompt on one rank waits for the counter to reach timeout_iters, then the counter starts again', () => {
  assert.deepEqual(releases(ranks(), 9), [4, 8]);
});

test('the counter also runs while no rank has a prompt, so a prompt arriving late waits less than timeout_iters', () => {
  let counters = ADP_BALANCE_START;
  // No rank has a prompt for three iterations; then one rank gets one (still not every rank): the same view.
  for (let i = 0; i < 3; i++) counters = adpBalanceStep(counters, ranks(), settings).next;
  assert.equal(counters.waitingIters, 3);
  const arrived = adpBalanceStep(counters, ranks(), settings);
  assert.equal(arrived.hold, false);
  assert.equal(arrived.next.waitingIters, 0);
});

test('prompts on every rank go at once, and the counter resets', () => {
  const r = adpBalanceStep({ waitingIters: 2, batchingIters: 0 }, ranks({ allHavePrompts: true }), settings);
  assert.deepEqual(r, { hold: false, next: { waitingIters: 0, batchingIters: 0 } });
});

test('a rank with nothing to decode releases the prompts at once', () => {
  assert.deepEqual(adpBalanceStep(ADP_BALANCE_START, ranks({ allDecoding: false }), settings), { hold: false, next: ADP_BALANCE_START });
});

test('a full rank keeps the others waiting even when every rank has a prompt', () => {
  assert.equal(adpBalanceStep(ADP_BALANCE_START, ranks({ allHavePrompts: true, allHaveSlots: false }), settings).hold, true);
});

test('with every rank decoding, prompts on all ranks wait batching_wait_iters more', () => {
  assert.deepEqual(releases(ranks({ allHavePrompts: true }), 7, { timeoutIters: 4, batchingWaitIters: 2 }), [3, 6]);
  // Not every rank decoding: no batching wait.
  assert.deepEqual(releases(ranks({ allHavePrompts: true, allDecoding: false }), 3, { timeoutIters: 4, batchingWaitIters: 2 }), [1, 2, 3]);
});
