/**
 * Paged KV cache: `numKvBlocks` blocks of `blockSizeTokens` tokens, per-request block tables, and a prefix cache
 * keyed by chained block hashes (vLLM v1 KVCacheManager + BlockPool, reduced to what phasewise needs).
 *
 * Every block is in exactly one of three states, and the state is what the arrays below encode:
 *   - free:       refCount 0, no hash, on the free stack;
 *   - evictable:  refCount 0, has a hash, on the LRU list (its KV is still valid and can be hit again);
 *   - referenced: refCount > 0 (held by that many block tables), with or without a hash.
 * A block with refCount > 1 is always a cached prefix block: sharing only ever happens through a hash hit.
 *
 * Allocation takes free blocks first, then evicts the least recently freed cached block. The bookkeeping is in
 * typed arrays indexed by block id, so allocate/free touch no heap except the block tables themselves.
 */

/** A prefix-cache hit to take at a request's first allocation (admission). */
export interface PrefixHit {
  /** The request's chained block hashes; the leading `numBlocks` are cached (see cachedPrefixBlocks). */
  readonly blockHashes: readonly number[];
  readonly numBlocks: number;
  /** Tokens the request looked up (its known tokens), for the hit-rate counters. */
  readonly numQueryTokens: number;
}

/** Hit-rate counters (vLLM PrefixCacheStats): hit rate = numHitTokens / numQueryTokens. */
export interface PrefixCacheStats {
  /** Admissions that looked the prefix cache up (a resumed request counts again). */
  numQueries: number;
  numQueryTokens: number;
  numHitTokens: number;
}

import { BlockHashTable } from './block-hash-table.js';

const NONE = -1;
const EMPTY: readonly number[] = [];

export class KvBlockManager {
  readonly numKvBlocks: number;
  readonly blockSizeTokens: number;
  readonly prefixCacheStats: PrefixCacheStats = { numQueries: 0, numQueryTokens: 0, numHitTokens: 0 };

  /** [numKvBlocks] block tables referencing each block. */
  private readonly refCount: Int32Array;
  /** [numKvBlocks] 1 when the block is registered in hashToBlock under blockHash[id]. */
  private readonly hasHash: Uint8Array;
  /** [numKvBlocks] the block's hash, meaningful only where hasHash is 1. */
  private readonly blockHash: Float64Array;
  /** Sized for every block holding a hash, so it never grows (its untouched pages take no memory). */
  private readonly hashToBlock: BlockHashTable;

  /** [numKvBlocks] stack of free (never-cached or evicted) block ids; the top is freeStack[numFree - 1]. */
  private readonly freeStack: Int32Array;
  private numFree: number;

  /** Evictable blocks as a doubly linked list through [numKvBlocks] prev/next arrays; head = evicted first. */
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private readonly inLru: Uint8Array;
  private lruHead = NONE;
  private lruTail = NONE;
  private numEvictable = 0;

  private readonly reqToBlocks = new Map<number, number[]>();
  /** Leading blocks of each request already registered in (or taken from) the prefix cache. */
  private readonly reqToNumCachedBlocks = new Map<number, number>();

  constructor(numKvBlocks: number, blockSizeTokens: number) {
    if (!Number.isInteger(numKvBlocks) || numKvBlocks < 1)
      throw new Error(`KvBlockManager: numKvBlocks is ${numKvBlocks}; accepted: an integer ≥ 1.`);
    if (!Number.isInteger(blockSizeTokens) || blockSizeTokens < 1)
      throw new Error(`KvBlockManager: blockSizeTokens is ${blockSizeTokens}; accepted: an integer ≥ 1.`);
    this.numKvBlocks = numKvBlocks;
    this.blockSizeTokens = blockSizeTokens;
    this.refCount = new Int32Array(numKvBlocks);
    this.hasHash = new Uint8Array(numKvBlocks);
    this.blockHash = new Float64Array(numKvBlocks);
    this.freeStack = new Int32Array(numKvBlocks);
    // Pushed in reverse so the first allocations get ids 0, 1, 2, ... (readable tests and traces).
    for (let i = 0; i < numKvBlocks; i++) this.freeStack[i] = numKvBlocks - 1 - i;
    this.numFree = numKvBlocks;
    this.lruPrev = new Int32Array(numKvBlocks).fill(NONE);
    this.lruNext = new Int32Array(numKvBlocks).fill(NONE);
    this.inLru = new Uint8Array(numKvBlocks);
    this.hashToBlock = new BlockHashTable(numKvBlocks);
  }

  /** Blocks needed to hold `numTokens` tokens. */
  blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.blockSizeTokens);
  }

  /** Blocks an allocation can take: free plus evictable. */
  numFreeBlocks(): number {
    return this.numFree + this.numEvictable;
  }

  /** Blocks on the free list only: an allocation up to this many evicts no cached block. */
  numStrictlyFreeBlocks(): number {
    return this.numFree;
  }

  /** Blocks in the request's table (0 if it has none). */
  numBlocksOf(reqId: number): number {
    return this.reqToBlocks.get(reqId)?.length ?? 0;
  }

  /** Blocks referenced by at least one block table. */
  numUsedBlocks(): number {
    return this.numKvBlocks - this.numFree - this.numEvictable;
  }

  numEvictableBlocks(): number {
    return this.numEvictable;
  }

  /** Fraction of blocks referenced by requests, 0..1 (evictable cached blocks count as unused, as in vLLM). */
  usage(): number {
    return this.numUsedBlocks() / this.numKvBlocks;
  }

  /**
   * How many leading blocks of `blockHashes` are cached, at most `maxBlocks`. Pure: touches no state, so a
   * router may ask every replica.
   */
  cachedPrefixBlocks(blockHashes: readonly number[], maxBlocks: number = blockHashes.length): number {
    const n = Math.min(blockHashes.length, maxBlocks);
    let i = 0;
    while (i < n && this.hashToBlock.has(blockHashes[i]!)) i++;
    return i;
  }

  /**
   * Make `reqId`'s block table cover `numTokensTotal` tokens. At a request's first allocation `hit` gives the
   * leading cached blocks to share (refCount++) instead of allocating them. All or nothing: returns false and
   * changes nothing when the free + evictable blocks cannot cover what is missing.
   */
  allocateSlots(reqId: number, numTokensTotal: number, hit?: PrefixHit): boolean {
    let blocks = this.reqToBlocks.get(reqId);
    const numHitBlocks = hit?.numBlocks ?? 0;
    if (blocks !== undefined && numHitBlocks > 0)
      throw new Error(`KvBlockManager.allocateSlots: request ${reqId} already has blocks; a prefix hit is only taken at its first allocation.`);
    const numHeld = blocks?.length ?? 0;
    const numNeeded = this.blocksFor(numTokensTotal) - numHeld - numHitBlocks;
    if (numNeeded <= 0 && numHitBlocks === 0) return true;

    // Hit blocks sitting in the evictable list stop being allocatable once we take them.
    let numHitEvictable = 0;
    for (let i = 0; i < numHitBlocks; i++) {
      const id = this.hashToBlock.get(hit!.blockHashes[i]!);
      if (id < 0)
        throw new Error(`KvBlockManager.allocateSlots: request ${reqId}: block hash ${i} is not cached; ask cachedPrefixBlocks first.`);
      if (this.refCount[id] === 0) numHitEvictable++;
    }
    if (Math.max(0, numNeeded) > this.numFreeBlocks() - numHitEvictable) return false;

    if (blocks === undefined) {
      blocks = [];
      this.reqToBlocks.set(reqId, blocks);
      this.reqToNumCachedBlocks.set(reqId, numHitBlocks);
    }
    for (let i = 0; i < numHitBlocks; i++) {
      const id = this.hashToBlock.get(hit!.blockHashes[i]!);
      if (this.refCount[id] === 0) this.lruRemove(id);
      this.refCount[id]!++;
      blocks.push(id);
    }
    if (hit !== undefined) {
      this.prefixCacheStats.numQueries++;
      this.prefixCacheStats.numQueryTokens += hit.numQueryTokens;
      this.prefixCacheStats.numHitTokens += numHitBlocks * this.blockSizeTokens;
    }
    for (let i = 0; i < numNeeded; i++) {
      const id = this.takeBlock();
      this.refCount[id] = 1;
      blocks.push(id);
    }
    return true;
  }

  /**
   * Register the request's prompt blocks that are now full of computed KV, so later requests can hit them.
   * Called after a step's compute (not at scheduling) so a hit never points at KV still being written.
   */
  cacheFullBlocks(reqId: number, blockHashes: readonly number[], numComputedTokens: number): void {
    const blocks = this.reqToBlocks.get(reqId);
    if (blocks === undefined) return;
    const numCached = this.reqToNumCachedBlocks.get(reqId) ?? 0;
    const numFull = Math.min(blockHashes.length, blocks.length, Math.floor(numComputedTokens / this.blockSizeTokens));
    if (numFull <= numCached) return;
    for (let i = numCached; i < numFull; i++) {
      const h = blockHashes[i]!;
      const id = blocks[i]!;
      // Two requests may compute the same prefix at once (neither hit); the first registered keeps the hash and
      // the other's copy stays unhashed, so the map stays hash → one block.
      if (this.hasHash[id] === 1 || !this.hashToBlock.setIfAbsent(h, id)) continue;
      this.hasHash[id] = 1;
      this.blockHash[id] = h;
    }
    this.reqToNumCachedBlocks.set(reqId, numFull);
  }

  /**
   * Release the request's blocks. Cached ones with no other holder become evictable, last block first, so a
   * prefix's tail is evicted before its head (the head is the part most likely to be shared, as in vLLM).
   */
  free(reqId: number): void {
    const blocks = this.reqToBlocks.get(reqId);
    if (blocks === undefined) return;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const id = blocks[i]!;
      const rc = --this.refCount[id]!;
      if (rc > 0) continue;
      if (this.hasHash[id] === 1) this.lruAppend(id);
      else this.freeStack[this.numFree++] = id;
    }
    // The array is dropped, not cleared: a step already handed out may still hold it.
    this.reqToBlocks.delete(reqId);
    this.reqToNumCachedBlocks.delete(reqId);
  }

  /** The request's block table (a live view: valid until its next allocation or free). */
  blockIds(reqId: number): readonly number[] {
    return this.reqToBlocks.get(reqId) ?? EMPTY;
  }

  /** The hash a block is cached under, if any (tests, debugging). */
  blockHashOf(blockId: number): number | undefined {
    return this.hasHash[blockId] === 1 ? this.blockHash[blockId] : undefined;
  }

  refCountOf(blockId: number): number {
    return this.refCount[blockId] ?? 0;
  }

  /**
   * Check the three-state invariant against the block tables; throws on the first violation. O(blocks +
   * table entries): for tests and debug builds, not the hot path.
   */
  assertInvariants(): void {
    const n = this.numKvBlocks;
    const holders = new Int32Array(n);
    for (const [reqId, blocks] of this.reqToBlocks) {
      const seen = new Set<number>();
      for (const id of blocks) {
        if (!Number.isInteger(id) || id < 0 || id >= n) throw new Error(`request ${reqId} holds block id ${id} outside 0..${n - 1}`);
        if (seen.has(id)) throw new Error(`request ${reqId} holds block ${id} twice`);
        seen.add(id);
        holders[id]!++;
      }
    }
    const onFree = new Uint8Array(n);
    for (let i = 0; i < this.numFree; i++) {
      const id = this.freeStack[i]!;
      if (onFree[id] === 1) throw new Error(`block ${id} is on the free stack twice`);
      onFree[id] = 1;
    }
    let numLru = 0;
    for (let id = this.lruHead, prev = NONE; id !== NONE; prev = id, id = this.lruNext[id]!) {
      if (this.lruPrev[id] !== prev) throw new Error(`LRU list broken at block ${id}`);
      if (this.inLru[id] !== 1) throw new Error(`block ${id} is linked in the LRU list but not flagged`);
      if (++numLru > n) throw new Error('LRU list has a cycle');
    }
    if (numLru !== this.numEvictable) throw new Error(`LRU list has ${numLru} blocks, counter says ${this.numEvictable}`);
    for (let id = 0; id < n; id++) {
      const rc = this.refCount[id]!;
      if (rc !== holders[id]) throw new Error(`block ${id}: refCount ${rc} but ${holders[id]} tables hold it`);
      const states = (onFree[id] === 1 ? 1 : 0) + (this.inLru[id] === 1 ? 1 : 0) + (rc > 0 ? 1 : 0);
      if (states !== 1) throw new Error(`block ${id} is in ${states} states (free=${onFree[id]}, evictable=${this.inLru[id]}, refCount=${rc})`);
      if (onFree[id] === 1 && this.hasHash[id] === 1) throw new Error(`free block ${id} still has a hash`);
      if (this.inLru[id] === 1 && this.hasHash[id] !== 1) throw new Error(`evictable block ${id} has no hash`);
      if (rc > 1 && this.hasHash[id] !== 1) throw new Error(`block ${id} is shared by ${rc} requests but is not a cached prefix block`);
      if (this.hasHash[id] === 1 && this.hashToBlock.get(this.blockHash[id]!) !== id)
        throw new Error(`block ${id}'s hash does not map back to it`);
    }
    if (this.hashToBlock.size !== this.hasHash.reduce((a, b) => a + b, 0)) throw new Error('hash map and block hashes disagree');
  }

  /** A block for a new allocation: a free one, else evict the least recently freed cached one. */
  private takeBlock(): number {
    if (this.numFree > 0) return this.freeStack[--this.numFree]!;
    const id = this.lruHead;
    if (id === NONE) throw new Error('KvBlockManager: out of blocks after the capacity check (bug)');
    this.lruRemove(id);
    this.hashToBlock.delete(this.blockHash[id]!);
    this.hasHash[id] = 0;
    return id;
  }

  private lruAppend(id: number): void {
    this.lruPrev[id] = this.lruTail;
    this.lruNext[id] = NONE;
    if (this.lruTail === NONE) this.lruHead = id;
    else this.lruNext[this.lruTail] = id;
    this.lruTail = id;
    this.inLru[id] = 1;
    this.numEvictable++;
  }

  private lruRemove(id: number): void {
    const prev = this.lruPrev[id]!;
    const next = this.lruNext[id]!;
    if (prev === NONE) this.lruHead = next;
    else this.lruNext[prev] = next;
    if (next === NONE) this.lruTail = prev;
    else this.lruPrev[next] = prev;
    this.lruPrev[id] = NONE;
    this.lruNext[id] = NONE;
    this.inLru[id] = 0;
    this.numEvictable--;
  }
}
