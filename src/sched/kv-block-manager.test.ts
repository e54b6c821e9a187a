import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvBlockManager } from './kv-block-manager.js';

// Block size 16 throughout: 40 tokens → ceil(40/16) = 3 blocks, of which floor(40/16) = 2 are full.

test('allocates ids 0.. in order and grows a table only when a block fills', () => {
  const kv = new KvBlockManager(10, 16);
  assert.equal(kv.allocateSlots(1, 40), true);
  assert.deepEqual(kv.blockIds(1), [0, 1, 2]);
  assert.equal(kv.allocateSlots(1, 48), true); // 48 = 3 × 16, still 3 blocks
  assert.deepEqual(kv.blockIds(1), [0, 1, 2]);
  assert.equal(kv.allocateSlots(1, 49), true); // token 49 opens block 4
  assert.deepEqual(kv.blockIds(1), [0, 1, 2, 3]);
  assert.equal(kv.usage(), 0.4); // 4 of 10 blocks referenced
  assert.equal(kv.numFreeBlocks(), 6);
  kv.assertInvariants();
});

test('allocateSlots is all or nothing', () => {
  const kv = new KvBlockManager(10, 16);
  assert.equal(kv.allocateSlots(1, 64), true); // 4 blocks
  assert.equal(kv.allocateSlots(2, 7 * 16), false); // needs 7, 6 left
  assert.deepEqual(kv.blockIds(2), []);
  assert.equal(kv.numFreeBlocks(), 6);
  assert.equal(kv.allocateSlots(1, 11 * 16), false); // grow by 7: no
  assert.equal(kv.blockIds(1).length, 4);
  assert.equal(kv.allocateSlots(2, 6 * 16), true); // exactly the 6 left
  assert.equal(kv.numFreeBlocks(), 0);
  assert.equal(kv.usage(), 1);
  kv.assertInvariants();
  kv.free(1);
  kv.free(2);
  assert.equal(kv.usage(), 0);
  assert.equal(kv.numFreeBlocks(), 10);
  kv.assertInvariants();
});

test('prefix blocks are registered when full, shared by refcount, and counted', () => {
  const kv = new KvBlockManager(10, 16);
  const hashes = [11, 12];
  assert.equal(kv.allocateSlots(1, 40), true); // blocks 0, 1, 2
  kv.cacheFullBlocks(1, hashes, 20); // only block 0 is full of computed KV
  assert.equal(kv.cachedPrefixBlocks(hashes), 1);
  kv.cacheFullBlocks(1, hashes, 40); // blocks 0 and 1 full
  assert.equal(kv.cachedPrefixBlocks(hashes), 2);
  assert.equal(kv.cachedPrefixBlocks(hashes, 1), 1); // capped
  assert.equal(kv.cachedPrefixBlocks([99, 11]), 0); // a miss ends the prefix
  assert.equal(kv.blockHashOf(0), 11);
  assert.equal(kv.blockHashOf(2), undefined);

  assert.equal(kv.allocateSlots(2, 40, { blockHashes: hashes, numBlocks: 2, numQueryTokens: 40 }), true);
  assert.deepEqual(kv.blockIds(2), [0, 1, 3]); // shares 0 and 1, one new block
  assert.equal(kv.refCountOf(0), 2);
  assert.equal(kv.numUsedBlocks(), 4);
  assert.deepEqual(kv.prefixCacheStats, { numQueries: 1, numQueryTokens: 40, numHitTokens: 32 });
  kv.assertInvariants();
});

test('freed cached blocks become evictable, tail first; free blocks are used before evicting', () => {
  const kv = new KvBlockManager(10, 16);
  const hashes = [11, 12];
  kv.allocateSlots(1, 40);
  kv.cacheFullBlocks(1, hashes, 40);
  kv.free(1); // block 2 (unhashed) → free; blocks 1 then 0 → evictable, so 1 is evicted first
  assert.equal(kv.usage(), 0);
  assert.equal(kv.numEvictableBlocks(), 2);
  assert.equal(kv.numFreeBlocks(), 10);
  assert.equal(kv.cachedPrefixBlocks(hashes), 2);
  kv.assertInvariants();

  assert.equal(kv.allocateSlots(2, 8 * 16), true); // the 8 truly free blocks
  assert.equal(kv.cachedPrefixBlocks(hashes), 2); // nothing evicted yet
  assert.equal(kv.allocateSlots(3, 16), true); // must evict: the least recently freed = block 1
  assert.deepEqual(kv.blockIds(3), [1]);
  assert.equal(kv.cachedPrefixBlocks(hashes), 1); // the head of the prefix survives
  assert.equal(kv.blockHashOf(1), undefined);
  kv.assertInvariants();
});

test('a hit on an evictable block revives it; the capacity check counts it as taken', () => {
  const kv = new KvBlockManager(4, 16);
  kv.allocateSlots(1, 32);
  kv.cacheFullBlocks(1, [7, 8], 32);
  kv.free(1); // 2 evictable, 2 free
  const hit = { blockHashes: [7, 8], numBlocks: 2, numQueryTokens: 80 };
  // 2 hit blocks + 3 new = 5 blocks > 4: refused, nothing changed
  assert.equal(kv.allocateSlots(2, 80, hit), false);
  assert.equal(kv.numEvictableBlocks(), 2);
  assert.deepEqual(kv.prefixCacheStats, { numQueries: 0, numQueryTokens: 0, numHitTokens: 0 });
  // 2 hit blocks + 2 new = 4: fits
  assert.equal(kv.allocateSlots(2, 64, hit), true);
  assert.equal(kv.numEvictableBlocks(), 0);
  assert.deepEqual(kv.blockIds(2).slice(0, 2), [0, 1]);
  assert.equal(kv.usage(), 1);
  kv.assertInvariants();
});

test('the same prefix computed twice at once keeps one cached copy', () => {
  const kv = new KvBlockManager(8, 16);
  kv.allocateSlots(1, 32);
  kv.allocateSlots(2, 32);
  kv.cacheFullBlocks(1, [5, 6], 32);
  kv.cacheFullBlocks(2, [5, 6], 32); // already registered by request 1: request 2's copies stay unhashed
  assert.equal(kv.blockHashOf(0), 5);
  assert.equal(kv.blockHashOf(2), undefined);
  kv.free(1);
  kv.free(2);
  assert.equal(kv.numEvictableBlocks(), 2);
  assert.equal(kv.numFreeBlocks(), 8);
  kv.assertInvariants();
});

test('a hit must be taken at the first allocation and must be cached', () => {
  const kv = new KvBlockManager(8, 16);
  kv.allocateSlots(1, 16);
  assert.throws(() => kv.allocateSlots(1, 32, { blockHashes: [1], numBlocks: 1, numQueryTokens: 32 }), /first allocation/);
  assert.throws(() => kv.allocateSlots(2, 32, { blockHashes: [1], numBlocks: 1, numQueryTokens: 32 }), /not cached/);
  assert.throws(() => new KvBlockManager(0, 16), /numKvBlocks/);
});

test('unique blocks: cached on free like hashed ones, never indexed, hit again only by their preempted owner', () => {
  const kv = new KvBlockManager(4, 2);
  // Request 1: 3 full prompt blocks, the first hashed (a shared prefix), the other two unique.
  assert.ok(kv.allocateSlots(1, 6, { blockHashes: [77], numBlocks: 0, numQueryTokens: 6 }));
  kv.cacheFullBlocks(1, [77], 6, 2);
  const [a, b, c] = kv.blockIds(1);
  assert.equal(kv.blockHashOf(a!), 77);
  assert.equal(kv.blockHashOf(b!), undefined, 'unique blocks are not indexed');
  kv.free(1, true);
  kv.assertInvariants();
  assert.equal(kv.numEvictableBlocks(), 3, 'all three are cached');
  assert.equal(kv.cachedPrefixBlocks([77, 1, 2]), 1, 'a lookup by hash stops at the unique blocks');
  assert.equal(kv.cachedPrefixBlocksOf(2, [77], 3), 1, 'another request cannot hit them');
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 3), 3, 'the preempted owner can');
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 2), 2, 'up to maxBlocks');
  // Another request evicts the oldest evictable block: the tail (c) went to the LRU first.
  assert.ok(kv.allocateSlots(3, 4));
  assert.deepEqual([...kv.blockIds(3)].sort(), [c, [0, 1, 2, 3].find((x) => x !== a && x !== b && x !== c)].sort());
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 3), 2, 'the evicted unique block is no longer a hit');
  assert.ok(kv.allocateSlots(1, 6, { blockHashes: [77], numBlocks: 2, numQueryTokens: 6 }) === false, 'needs one block, none free');
  kv.free(3);
  assert.ok(kv.allocateSlots(1, 6, { blockHashes: [77], numBlocks: 2, numQueryTokens: 6 }));
  assert.deepEqual(kv.blockIds(1).slice(0, 2), [a, b], 'resumed on its own blocks');
  kv.assertInvariants();
  kv.free(1);
  assert.equal(kv.cachedPrefixBlocksOf(1, [77], 3), 1, 'freed without park: its unique blocks are forgotten');
});
