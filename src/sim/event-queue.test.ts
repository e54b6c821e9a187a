import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from './event-queue.js';
import { Rng } from '../core/rng.js';

test('pops by time, then rank, then insertion order', () => {
  const q = new EventQueue<'a' | 'b'>();
  q.push(2, 0, 'a', 1);
  q.push(1, 1, 'b', 2);
  q.push(1, 0, 'a', 3);
  q.push(1, 0, 'b', 4);
  const order = [q.pop(), q.pop(), q.pop(), q.pop()].map((e) => e!.target);
  assert.deepEqual(order, [3, 4, 2, 1]);
  assert.equal(q.pop(), undefined);
});

test('agrees with a sort on 10,000 random events', () => {
  const rng = new Rng(7);
  const q = new EventQueue();
  const ref: { t: number; r: number; s: number }[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = rng.int(100);
    const r = rng.int(3);
    q.push(t, r, 'x', i);
    ref.push({ t, r, s: i });
  }
  ref.sort((a, b) => a.t - b.t || a.r - b.r || a.s - b.s);
  for (const e of ref) assert.equal(q.pop()!.target, e.s);
});
