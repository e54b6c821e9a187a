import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leastLoaded, makeRouter, prefixAware, roundRobin, ROUTER_NAMES } from './router.js';
import { Scheduler } from './scheduler.js';
import type { ReplicaLoad } from './types.js';

const load = (numWaiting: number, numRunning: number, kvUsage = 0): ReplicaLoad => ({ numWaiting, numRunning, kvUsage });

test('round-robin cycles 0, 1, 2, 0 regardless of load; each router has its own cycle', () => {
  const loads = [load(9, 9), load(0, 0), load(5, 5)];
  const r = roundRobin();
  assert.deepEqual([r(loads, {}), r(loads, {}), r(loads, {}), r(loads, {})], [0, 1, 2, 0]);
  assert.equal(roundRobin()(loads, {}), 0);
  assert.equal(r(loads.slice(0, 1), {}), 0); // fewer replicas: stays in range
});

test('least-loaded: fewest waiting + running, then lower KV usage, then lower index', () => {
  const r = leastLoaded();
  assert.equal(r([load(2, 3), load(0, 4), load(1, 1)], {}), 2); // 5, 4, 2 requests
  assert.equal(r([load(1, 1, 0.5), load(0, 2, 0.2), load(2, 0, 0.9)], {}), 1); // all 2: lowest usage
  assert.equal(r([load(1, 1, 0.5), load(0, 2, 0.5)], {}), 0); // full tie: lowest index
  assert.throws(() => r([], {}), /no replicas/);
});

test('prefix-aware: most cached blocks among replicas within the load slack', () => {
  const r = prefixAware(); // slack: max(4, 0.25 × least)
  const hashes = [1, 2, 3];
  const hits = [0, 3, 2, 3];
  // least = 2 requests → candidates hold ≤ 2 + 4 = 6: replicas 0, 1, 2 (replica 3 holds 7)
  const loads = [load(0, 2), load(2, 4), load(0, 5), load(3, 4)];
  assert.equal(r(loads, { blockHashes: hashes, prefixHits: (i) => hits[i]! }), 1);
  // ties on hits go to the less loaded
  assert.equal(r([load(0, 6), load(0, 5), load(0, 2)], { blockHashes: hashes, prefixHits: () => 2 }), 2);
  // no hit anywhere, or no hashes: least loaded
  assert.equal(r(loads, { blockHashes: hashes, prefixHits: () => 0 }), 0);
  assert.equal(r(loads, {}), 0);
  assert.equal(r(loads, { blockHashes: [], prefixHits: (i) => hits[i]! }), 0);
});

test('prefix-aware: the relative slack grows with load', () => {
  // least = 40 → candidates hold ≤ 40 + max(4, 10) = 50
  const loads = [load(10, 30), load(10, 40), load(10, 41)];
  const hits = [0, 1, 5];
  assert.equal(prefixAware()(loads, { prefixHits: (i) => hits[i]! }), 1);
  assert.equal(prefixAware({ loadSlackFraction: 0.3 })(loads, { prefixHits: (i) => hits[i]! }), 2); // ≤ 52
  assert.equal(prefixAware({ loadSlackRequests: 0, loadSlackFraction: 0 })(loads, { prefixHits: (i) => hits[i]! }), 0);
});

test('prefix-aware over real schedulers sends a repeated prefix where it is cached', () => {
  const cfg = { maxNumBatchedTokens: 256, maxNumSeqs: 4, blockSizeTokens: 16, numKvBlocks: 64, enableChunkedPrefill: true, enablePrefixCaching: true };
  const replicas = [new Scheduler(cfg), new Scheduler(cfg)];
  const hashes = [11, 12, 13];
  replicas[1]!.add({ id: 1, promptTokens: 50, maxOutputTokens: 1, blockHashes: hashes });
  replicas[1]!.complete(replicas[1]!.schedule()); // replica 1 now caches the 3 blocks
  const route = makeRouter('prefix-aware');
  const ctx = { blockHashes: hashes, prefixHits: (i: number) => replicas[i]!.cachedPrefixBlocks(hashes) };
  assert.equal(route(replicas.map((s) => s.load()), ctx), 1);
  assert.equal(makeRouter('least-loaded')(replicas.map((s) => s.load()), ctx), 0);
});

test('makeRouter knows every listed name and rejects others', () => {
  for (const name of ROUTER_NAMES) assert.equal(typeof makeRouter(name), 'function');
  assert.throws(() => makeRouter('random' as never), /accepted: round-robin, least-loaded, prefix-aware/);
});
