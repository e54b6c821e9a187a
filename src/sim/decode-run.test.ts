import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StepShape, StepTime } from '../perf/types.js';
import { DecodeCostCache, DecodeRun, DecodeShape, LINEAR_FIT_TOLERANCE, planDecodeRun } from './decode-run.js';

const timeOf = (f: (b: number, k: number) => number) =>
  (s: StepShape): StepTime => {
    const totalS = f(s.numDecodeSeqs, s.decodeKvTokens);
    return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
  };

test('DecodeRun: step ends in closed form, and stepsDoneBy inverts them exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 1e-4, max: 0.1, noNaN: true }), fc.double({ min: -1e-7, max: 1e-5, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), (m, t0S, slopeS, startS) => {
      const run = new DecodeRun();
      Object.assign(run, { numSteps: m, t0S, slopeS, startS, batch: 1 });
      let sum = startS;
      for (let j = 0; j < Math.min(m, 50); j++) sum += run.stepS(j);
      const k = Math.min(m, 50);
      assert.ok(Math.abs(run.endS(k) - sum) <= 1e-9 * Math.max(1, sum));
      for (const probe of [startS, run.endS(1), (run.endS(k) + run.endS(k - 1)) / 2, run.endS(m), run.endS(m) + 1]) {
        const done = run.stepsDoneBy(probe);
        assert.ok(done >= 0 && done <= m);
        if (done > 0) assert.ok(run.endS(done) <= probe);
        if (done < m) assert.ok(run.endS(done + 1) > probe);
      }
    }),
    { numRuns: 300, seed: 5 },
  );
});

test('DecodeCostCache: linear segments read within the tolerance of the exact cost; a curved spot falls back', () => {
  // Smooth, mildly curved in the context, with a jump at 50k tokens a batch of 8 cannot be fitted across.
  const exact = (b: number, k: number): number => 0.01 + 1e-4 * b + 3e-9 * k + 1e-15 * k * k + (b === 8 && k > 50_000 ? 0.002 : 0);
  const cache = new DecodeCostCache(timeOf(exact));
  let fitted = 0;
  for (let b = 1; b <= 64; b *= 2) {
    for (let k = b; k < 200_000; k += 997 * b) {
      if (!cache.lookup(b, k)) continue;
      fitted++;
      assert.ok(k >= cache.startK && k <= cache.endK);
      const got = cache.startS + cache.slopeSPerToken * (k - cache.startK);
      assert.ok(Math.abs(got - exact(b, k)) <= 2 * LINEAR_FIT_TOLERANCE * exact(b, k), `b ${b} k ${k}: ${got} vs ${exact(b, k)}`);
    }
  }
  assert.ok(fitted > 100);
  assert.equal(cache.lookup(8, 50_001 - 8), false, 'a segment across the jump is not linear at any level');
});

test('planDecodeRun: exact for decode times linear in the context; halves a run across a jump', () => {
  const shape = new DecodeShape();
  const linear = timeOf((b, k) => 0.005 + 1e-4 * b + 2e-9 * k);
  const run = new DecodeRun();
  const m = planDecodeRun(run, 1000, 16, 16 * 300, 2, linear, shape);
  assert.equal(m, 1000);
  let t = 2;
  for (let j = 0; j < m; j++) t += linear(shape.set(16, 16 * 300 + 16 * j)).totalS;
  assert.ok(Math.abs(run.endS(m) - t) < 1e-9);
  const jump = timeOf((b, k) => 0.005 + (k > 16 * 700 ? 0.001 : 0));
  const m2 = planDecodeRun(run, 1000, 16, 16 * 300, 0, jump, shape);
  assert.ok(m2 < 1000 && run.slopeS >= 0);
  // A jump is never fitted across (the middle step would be off the line by half of it): the accepted run is
  // exact.
  for (let j = 0; j < m2; j++) {
    const exactS = jump(shape.set(16, 16 * 300 + 16 * j)).totalS;
    assert.ok(Math.abs(run.stepS(j) - exactS) <= 1e-12, `step ${j}: ${run.stepS(j)} vs ${exactS}`);
  }
});
