import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EvictionQueue } from './eviction-queue.js';

test('eviction queue: the same order as a list under random appends, removals and pops, across compactions and rebases', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.tuple(fc.constantFrom('append', 'remove', 'pop', 'peek'), fc.nat()), { maxLength: 400 }),
      fc.boolean(),
      (numIds, ops, shared) => {
        // Half the runs keep positions in a lent strided array and rebase them often.
        const q = shared ? new EvictionQueue(numIds, new Int32Array(3 * numIds), 3, 40) : new EvictionQueue(numIds);
        const model: number[] = [];
        for (const [op, n] of ops) {
          if (op === 'append') {
            const id = n % numIds;
            if (model.includes(id)) continue;
            q.append(id);
            model.push(id);
          } else if (op === 'remove') {
            if (model.length === 0) continue;
            const id = model.splice(n % model.length, 1)[0]!;
            q.remove(id);
          } else if (op === 'peek') {
            assert.equal(q.peekOldest(), model.length > 0 ? model[0]! : -1);
          } else {
            assert.equal(q.popOldest(), model.length > 0 ? model.shift()! : -1);
          }
          assert.equal(q.size, model.length);
          assert.deepEqual(q.toArray(), model);
          for (let id = 0; id < numIds; id++) assert.equal(q.has(id), model.includes(id));
        }
      },
    ),
    { numRuns: 300, seed: 11 },
  );
});
