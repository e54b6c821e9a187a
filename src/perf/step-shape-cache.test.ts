import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StepShapeCache } from './step-shape-cache.js';
import type { StepShape } from './types.js';

const shapeArb: fc.Arbitrary<StepShape> = fc.record({
  numTokens: fc.integer({ min: 0, max: 20 }),
  numSeqs: fc.integer({ min: 0, max: 3 }),
  numPrefillSeqs: fc.integer({ min: 0, max: 2 }),
  prefillTokens: fc.integer({ min: 0, max: 4 }),
  prefillAttnPairs: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.double({ min: 0, max: 10, noNaN: true })),
  prefillKvTokens: fc.integer({ min: 0, max: 4 }),
  numDecodeSeqs: fc.integer({ min: 0, max: 3 }),
  decodeKvTokens: fc.integer({ min: 0, max: 1e9 }),
});

test('step shape cache: a hit is always the value last stored for an equal shape, never another shape\'s', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(shapeArb, fc.boolean()), { maxLength: 300 }), fc.constantFrom(1, 4, 64), (ops, slots) => {
      const cache = new StepShapeCache<number>(slots);
      const model = new Map<string, number>();
      const key = (s: StepShape): string => JSON.stringify([s.numTokens, s.numSeqs, s.numPrefillSeqs, s.prefillTokens, s.prefillAttnPairs, s.prefillKvTokens, s.numDecodeSeqs, s.decodeKvTokens]);
      let n = 0;
      for (const [s, write] of ops) {
        if (write) {
          cache.set(s, ++n);
          model.set(key(s), n);
        } else {
          const got = cache.get(s);
          // Direct-mapped: a miss is allowed (evicted), a wrong value is not.
          if (got !== undefined) assert.equal(got, model.get(key(s)));
        }
      }
    }),
    { numRuns: 300, seed: 5 },
  );
});

test('step shape cache: a shape just stored is found, and -0 and 0 are one key', () => {
  const cache = new StepShapeCache<string>(16);
  const s: StepShape = { numTokens: 3, numSeqs: 1, numPrefillSeqs: 1, prefillTokens: 3, prefillAttnPairs: 6, prefillKvTokens: 3, numDecodeSeqs: 0, decodeKvTokens: 0 };
  assert.equal(cache.get(s), undefined);
  cache.set(s, 'a');
  assert.equal(cache.get({ ...s }), 'a');
  assert.equal(cache.get({ ...s, decodeKvTokens: -0 }), 'a');
  assert.equal(cache.get({ ...s, numSeqs: 2 }), undefined);
});
