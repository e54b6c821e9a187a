import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CDF_QUANTILES, LatencyStat } from './latency-stat.js';

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

test('cdf: one point per quantile, ascending in both, within 0.5% of the exact order statistics', () => {
  const s = new LatencyStat();
  for (let i = 1; i <= 10_000; i++) s.add(i);
  const cdf = s.cdf(CDF_QUANTILES, 1000);
  assert.equal(cdf.length, CDF_QUANTILES.length);
  for (let i = 0; i < cdf.length; i++) {
    const [q, v] = cdf[i]!;
    assert.equal(q, CDF_QUANTILES[i]);
    const exact = Math.max(1, Math.ceil(q * 10_000)) / 1000;
    assert.ok(Math.abs(v - exact) / exact <= 0.0051, `q=${q}: ${v} vs ${exact}`);
    if (i > 0) assert.ok(v >= cdf[i - 1]![1] && q > cdf[i - 1]![0]);
  }
  assert.deepEqual(new LatencyStat().cdf(), []);
});

test('addMany(v, n) equals n calls of add(v)', () => {
  const a = new LatencyStat();
  const b = new LatencyStat();
  for (const [v, n] of [[3.5, 7], [0.25, 100], [12, 1]] as const) {
    a.addMany(v, n);
    for (let i = 0; i < n; i++) b.add(v);
  }
  assert.equal(a.count, b.count);
  assert.deepEqual(a.cdf(), b.cdf());
  const sa = a.summary()!;
  const sb = b.summary()!;
  assert.ok(Math.abs(sa.mean - sb.mean) < 1e-12);
  assert.deepEqual([sa.p50, sa.p90, sa.p99], [sb.p50, sb.p90, sb.p99]);
});
