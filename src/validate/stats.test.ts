import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ape, quantile, summariseBy, summariseGroup } from './stats.js';

test('APE is a fraction of the measured value', () => {
  assert.equal(ape(110, 100), 0.1);
  assert.equal(ape(50, 100), 0.5);
});

test('quantile interpolates like numpy', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantile([0, 10], 0.9)! - 9) < 1e-12);
  assert.equal(quantile([], 0.5), null);
});

test('unpredicted rows count as rows but not as predicted', () => {
  const s = summariseGroup([
    { measuredTtftMs: 100, measuredTpotMs: 10, predTtftMs: 120, predTpotMs: 11 },
    { measuredTtftMs: 100, measuredTpotMs: 10, predTtftMs: null, predTpotMs: null },
  ]);
  assert.equal(s.rows, 2);
  assert.equal(s.predicted, 1);
  assert.ok(Math.abs(s.ttft.medianApe! - 0.2) < 1e-12);
  assert.ok(Math.abs(s.tpot.medianApe! - 0.1) < 1e-12);
});

test('groups are keyed and sorted', () => {
  const rows = [
    { k: 'b', measuredTtftMs: 1, measuredTpotMs: 1, predTtftMs: 1, predTpotMs: 1 },
    { k: 'a', measuredTtftMs: 1, measuredTpotMs: 1, predTtftMs: 2, predTpotMs: 1 },
  ];
  const by = summariseBy(rows, (r) => r.k);
  assert.deepEqual(Object.keys(by), ['a', 'b']);
  assert.equal(by.a!.ttft.medianApe, 1);
});

test('a row without a measurement is predicted but has no error', () => {
  const s = summariseGroup([
    { measuredTtftMs: null, measuredTpotMs: null, predTtftMs: 50, predTpotMs: 5 },
    { measuredTtftMs: 100, measuredTpotMs: 10, predTtftMs: 130, predTpotMs: 12 },
  ]);
  assert.equal(s.predicted, 2);
  assert.equal(s.ttft.predicted, 1);
  assert.ok(Math.abs(s.ttft.medianApe! - 0.3) < 1e-12);
  assert.ok(Math.abs(s.tpot.p90Ape! - 0.2) < 1e-12);
});
