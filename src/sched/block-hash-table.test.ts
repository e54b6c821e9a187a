import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockHashTable, RepeatFinder } from './block-hash-table.js';

test('BlockHashTable behaves like a Map under random set/delete/get (growth, wrap-around, backward shift)', () => {
  const keyArb = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 1000 }).map((i) => i * 4_194_304 + 7));
  const opArb = fc.tuple(fc.constantFrom('set', 'setIfAbsent', 'delete', 'get'), keyArb, fc.integer({ min: 0, max: 1 << 20 }));
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
      const t = new BlockHashTable(16);
      const m = new Map<number, number>();
      for (const [op, rawKey, v] of ops) {
        const k = rawKey + 0;
        if (op === 'set') {
          t.set(k, v);
          m.set(k, v);
        } else if (op === 'setIfAbsent') {
          assert.equal(t.setIfAbsent(k, v), !m.has(k));
          if (!m.has(k)) m.set(k, v);
        } else if (op === 'delete') assert.equal(t.delete(k), m.delete(k));
        else assert.equal(t.get(k), m.get(k) ?? -1);
        assert.equal(t.size, m.size);
      }
      for (const [k, v] of m) assert.equal(t.get(k), v);
    }),
    { numRuns: 300, seed: 99 },
  );
});

test('RepeatFinder agrees with a Set on lists made of monotone runs (its fast path), repeats or not', () => {
  const f = new RepeatFinder();
  const run = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(-1, 1), fc.integer({ min: 1, max: 3 }));
  fc.assert(
    fc.property(fc.array(run, { minLength: 1, maxLength: 3 }), (runs) => {
      const xs = runs.flatMap(([start, len, dir, stride]) => Array.from({ length: len }, (_v, i) => start + dir * stride * i));
      assert.equal(f.hasRepeat(xs), new Set(xs).size !== xs.length);
    }),
    { numRuns: 1000, seed: 11 },
  );
});

test('BlockHashTable: -0 and 0 are the same key', () => {
  const t = new BlockHashTable();
  t.set(0, 5);
  assert.equal(t.get(-0), 5);
  assert.equal(t.delete(-0), true);
  assert.equal(t.size, 0);
});

test('RepeatFinder agrees with a Set on random lists, reusing its table across calls', () => {
  const f = new RepeatFinder();
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 100 }).map((i) => i * 4_194_304 + 3), fc.double({ noNaN: true })), { maxLength: 300 }), (xs) => {
      assert.equal(f.hasRepeat(xs), new Set(xs).size !== xs.length);
    }),
    { numRuns: 500, seed: 3 },
  );
});
