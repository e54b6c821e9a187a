import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  base64ToBytes,
  bytesToBase64,
  isotonic,
  lookup,
  makeGrid,
  monotoneAt,
  monotoneCurve,
  monotoneSurface,
  packGrid,
  surfaceAt,
  unpackGrid,
} from './interp.js';

describe('interp', () => {
  it('base64 round-trips every byte value and length', () => {
    for (const n of [0, 1, 2, 3, 4, 255, 256]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);
      assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
    }
    assert.equal(bytesToBase64(Uint8Array.from([77, 97, 110])), 'TWFu');
  });

  it('packs to one byte per value with error at most step / 2', () => {
    const axes = [[1, 2, 4], [10, 100]];
    const vals = [0.1, -0.5, 2.25, 3, 1.7, 0.0];
    const p = packGrid(axes, vals);
    const g = unpackGrid(p);
    for (let i = 0; i < vals.length; i++) assert.ok(Math.abs((g.values[i] ?? 0) - (vals[i] ?? 0)) <= p.step / 2 + 1e-12);
    assert.ok(Math.abs(p.step - 3.5 / 255) < 1e-6);
  });

  it('interpolates linearly in log2 of the coordinates and clamps at the edges', () => {
    const g = makeGrid([[1, 4], [1, 16]], Float64Array.from([0, 1, 2, 3]));
    assert.equal(lookup(g, [1, 1]), 0);
    assert.equal(lookup(g, [4, 16]), 3);
    // x = 2 is halfway between 1 and 4 in log2; y = 4 halfway between 1 and 16
    assert.equal(lookup(g, [2, 4]), 1.5);
    assert.equal(lookup(g, [1000, 1e9]), 3);
    assert.equal(lookup(g, [0.01, 0.01]), 0);
  });

  it('isotonic regression pools adjacent violators (least squares)', () => {
    const v = Float64Array.from([1, 3, 2, 4, 0, 5]);
    isotonic(v, 0, 1, 6);
    // (3,2) → 2.5, 2.5; then (4, 0) with 2.5s: pool 2.5, 2.5, 4, 0 → 2.25 each
    assert.deepEqual([...v], [1, 2.25, 2.25, 2.25, 2.25, 5]);
  });

  it('monotone curves and surfaces never decrease, and extend past the last point by the tail', () => {
    const bumpy = (x: number): number => x * (1 + 0.3 * Math.sin(x));
    const c = monotoneCurve([1, 2, 4, 8, 16], bumpy);
    let prev = 0;
    for (let x = 0.5; x < 64; x *= 1.1) {
      const t = monotoneAt(c, x, (z) => z);
      assert.ok(t >= prev);
      prev = t;
    }
    assert.ok(Math.abs(monotoneAt(c, 32, (z) => z) / monotoneAt(c, 16, (z) => z) - 2) < 1e-9);
    const s = monotoneSurface([1, 2, 4], [1, 2, 4, 8], (x, y) => x * y * (1 + 0.4 * Math.cos(x + y)));
    for (const x of [1, 1.5, 2, 3, 4]) {
      let p = 0;
      for (const y of [1, 1.5, 2, 3, 4, 6, 8]) {
        const t = surfaceAt(s, x, y);
        assert.ok(t >= p);
        p = t;
      }
    }
  });
});
