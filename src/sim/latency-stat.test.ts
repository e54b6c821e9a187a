import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyStat } from './latency-stat.js';

test('mean is exact and quantiles are within 0.5% of the exact order statistics', () => {
  const s = new LatencyStat();
  for (let i = 1; i <= 1000; i++) s.add(i);
  const sum = s.summary()!;
  assert.equal(sum.mean, 500.5);
  // Exact: p50 = 500, p90 = 900, p99 = 990 (nearest-rank on 1..1000).
  for (const [got, exact] of [[sum.p50, 500], [sum.p90, 900], [sum.p99, 990]] as const) {
    assert.ok(Math.abs(got - exact) / exact <= 0.006, `${got} vs ${exact}`);
  }
});

test('empty statistic has no summary', () => {
  assert.equal(new LatencyStat().summary(), null);
});
