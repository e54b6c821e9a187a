/**
 * Paged KV cache: `numKvBlocks` blocks of `blockSizeTokens` tokens, per-request block tables, and a prefix cache
 * keyed by chained block hashes (vLLM v1 KVCacheManager + BlockPool, reduced to what phasewise needs).
 *
 * Every block is in exactly one of three states, and the state is what the arrays below encode:
 *   - free:       refCount 0, no hash, on the free stack;
 *   - evictable:  refCount 0, cached, on the LRU list (its KV is still valid and can be hit again);
 *   - referenced: refCount > 0 (held by that many block tables), with or without a hash.
 * A block with refCount > 1 is always a cached prefix block: sharing only ever happens through a hash hit.
 * A cached block is either indexed (its hash is in the table) or unique: a full prompt block whose content no
 * other request will ever ask for (the simulator knows its workload's future, e.g. a conversation's last turn).
 * A unique block takes its place in the LRU order exactly as an indexed one — vLLM hashes every full block and
 * cannot tell them apart — but costs no table insert or delete, since no lookup could hit it. The one request
 * that may ask for a unique block again is its owner, resumed after a preemption: free(…, park) keeps the owner's
 * unique blocks by id, and its next admission hits those still cached, as a hash lookup would.
 *
 * Allocation takes free blocks first, then evicts the least recently freed cached block. The bookkeeping is in
 * typed arrays indexed by block id, so allocate/free touch no heap except the block tables themselves.
 */

export type { PrefixCacheStats, PrefixHit } from './kv-cache.js';
import { EvictionQueue } from './eviction-queue.js';
import { KvCacheBase, type KvCache, type PrefixHit } from './kv-cache.js';

const NONE = -1;
/** cacheState values: not cached, cached and indexed under blockHash, cached but unique (never indexed). */
const UNCACHED = 0;
const INDEXED = 1;
const UNIQUE = 2;
/** Fields of a block's record (see KvBlockManager.rec); the eviction queue keeps its position at offset 0. */
const REC_STRIDE = 4;
const REC_REF = 1;
const REC_STATE = 2;
const REC_OWNER = 3;
const EMPTY: readonly number[] = [];

export class KvBlockManager extends KvCacheBase implements KvCache {
  /**
   * Per-block record, [numKvBlocks × REC_STRIDE] int32: the eviction queue's position, refCount, cacheState and
   * the owner of a UNIQUE block side by side, so allocating, freeing or evicting a block touches one cache line.
   */
  private readonly rec: Int32Array;
  /** [numKvBlocks] the block's hash, meaningful only where cacheState is INDEXED. */
  private readonly blockHash: Float64Array;

  /** [numKvBlocks] stack of free (never-cached or evicted) block ids; the top is freeStack[numFree - 1]. */
  private readonly freeStack: Int32Array;

  /** Evictable blocks, least recently freed first. */
  private readonly lru: EvictionQueue;

  /** Unique blocks of preempted requests, in table order (see free). */
  private readonly parkedUnique = new Map<number, number[]>();

  private readonly reqToBlocks = new Map<number, number[]>();
  /** Leading blocks of each request already registered in (or taken from) the prefix cache. */
  private readonly reqToNumCachedBlocks = new Map<number, number>();

  constructor(numKvBlocks: number, blockSizeTokens: number) {
    // The index is sized for every block holding a hash, so it never grows (untouched pages take no memory).
    super(numKvBlocks, blockSizeTokens, numKvBlocks);
    this.rec = new Int32Array(numKvBlocks * REC_STRIDE);
    this.blockHash = new Float64Array(numKvBlocks);
    this.freeStack = new Int32Array(numKvBlocks);
    // Pushed in reverse so the first allocations get ids 0, 1, 2, ... (readable tests and traces).
    for (let i = 0; i < numKvBlocks; i++) this.freeStack[i] = numKvBlocks - 1 - i;
    this.lru = new EvictionQueue(numKvBlocks, this.rec, REC_STRIDE);
  }

  /** Blocks in the request's table (0 if it has none). */
  numBlocksOf(reqId: number): number {
    return this.reqToBlocks.get(reqId)?.length ?? 0;
  }

  numEvictableBlocks(): number {
    return this.lru.size;
  }

  /**
   * cachedPrefixBlocks for a request's own admission: past its hashed blocks, its unique blocks parked at a
   * preemption count as long as they are still cached (not evicted since).
   */
  cachedPrefixBlocksOf(reqId: number, blockHashes: readonly number[], maxBlocks: number): number {
    let n = this.cachedPrefixBlocks(blockHashes, maxBlocks);
    const parked = this.parkedUnique.get(reqId);
    if (parked === undefined || n < blockHashes.length) return n;
    for (let j = 0; j < parked.length && n < maxBlocks; j++, n++) {
      const id = parked[j]!;
      if (this.rec[id * REC_STRIDE + REC_STATE] !== UNIQUE || this.rec[id * REC_STRIDE + REC_OWNER] !== reqId) break;
    }
    return n;
  }

  /**
   * Make `reqId`'s block table cover `numTokensTotal` tokens. At a request's first allocation `hit` gives the
   * leading cached blocks to share (refCount++) instead of allocating them. All or nothing: returns false and
   * changes nothing when the free + evictable blocks cannot cover what is missing.
   */
  allocateSlots(reqId: number, numTokensTotal: number, hit?: PrefixHit): boolean {
    let blocks = this.reqToBlocks.get(reqId);
    const numHitBlocks = hit?.numBlocks ?? 0;
    const numNeeded = this.newBlocksNeeded(reqId, blocks?.length, numTokensTotal, hit);
    if (numNeeded <= 0 && numHitBlocks === 0) return true;

    // Hit blocks sitting in the evictable list stop being allocatable once we take them.
    const parked = this.parkedUnique.get(reqId);
    let numHitEvictable = 0;
    for (let i = 0; i < numHitBlocks; i++) if (this.rec[this.hitBlockId(hit!.blockHashes, parked, i) * REC_STRIDE + REC_REF] === 0) numHitEvictable++;
    if (Math.max(0, numNeeded) > this.numFreeBlocks() - numHitEvictable) return false;

    if (blocks === undefined) {
      blocks = [];
      this.reqToBlocks.set(reqId, blocks);
      this.reqToNumCachedBlocks.set(reqId, numHitBlocks);
    }
    if (parked !== undefined) this.parkedUnique.delete(reqId);
    for (let i = 0; i < numHitBlocks; i++) {
      const id = this.hitBlockId(hit!.blockHashes, parked, i);
      if (this.rec[id * REC_STRIDE + REC_REF] === 0) this.lru.remove(id);
      this.rec[id * REC_STRIDE + REC_REF]!++;
      blocks.push(id);
    }
    if (hit !== undefined) this.countQuery(hit, numHitBlocks);
    for (let i = 0; i < numNeeded; i++) {
      const id = this.takeBlock();
      this.rec[id * REC_STRIDE + REC_REF] = 1;
      blocks.push(id);
    }
    return true;
  }

  /**
   * Register the request's prompt blocks that are now full of computed KV, so later requests can hit them: the
   * first `blockHashes.length` under their hashes, the next `numUniqueBlocks` as unique (cached, never indexed).
   * Called after a step's compute (not at scheduling) so a hit never points at KV still being written.
   */
  cacheFullBlocks(reqId: number, blockHashes: readonly number[], numComputedTokens: number, numUniqueBlocks = 0): void {
    const blocks = this.reqToBlocks.get(reqId);
    if (blocks === undefined) return;
    const numCached = this.reqToNumCachedBlocks.get(reqId) ?? 0;
    const numHashed = blockHashes.length;
    const numFull = Math.min(numHashed + numUniqueBlocks, blocks.length, Math.floor(numComputedTokens / this.blockSizeTokens));
    if (numFull <= numCached) return;
    const rec = this.rec;
    for (let i = numCached; i < numFull; i++) {
      const id = blocks[i]!;
      if (rec[id * REC_STRIDE + REC_STATE] !== UNCACHED) continue;
      if (i >= numHashed) {
        rec[id * REC_STRIDE + REC_STATE] = UNIQUE;
        this.rec[id * REC_STRIDE + REC_OWNER] = reqId;
        continue;
      }
      const h = blockHashes[i]!;
      // Two requests may compute the same prefix at once (neither hit); the first registered keeps the hash and
      // the other's copy stays uncached, so the map stays hash → one block.
      if (!this.hashToBlock.setIfAbsent(h, id)) continue;
      rec[id * REC_STRIDE + REC_STATE] = INDEXED;
      this.blockHash[id] = h;
    }
    this.reqToNumCachedBlocks.set(reqId, numFull);
  }

  /**
   * Release the request's blocks. Cached ones with no other holder become evictable, last block first, so a
   * prefix's tail is evicted before its head (the head is the part most likely to be shared, as in vLLM).
   * `park`: the request will be admitted again (preempted) and may hit its own unique blocks then; otherwise
   * any it had parked are forgotten.
   */
  free(reqId: number, park = false): void {
    this.parkedUnique.delete(reqId);
    const blocks = this.reqToBlocks.get(reqId);
    if (blocks === undefined) return;
    if (park) {
      const unique = blocks.filter((id) => this.rec[id * REC_STRIDE + REC_STATE] === UNIQUE);
      if (unique.length > 0) this.parkedUnique.set(reqId, unique);
    }
    for (let i = blocks.length - 1; i >= 0; i--) {
      const id = blocks[i]!;
      const rc = --this.rec[id * REC_STRIDE + REC_REF]!;
      if (rc > 0) continue;
      if (this.rec[id * REC_STRIDE + REC_STATE] !== UNCACHED) this.lru.append(id);
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
    return this.rec[blockId * REC_STRIDE + REC_STATE] === INDEXED ? this.blockHash[blockId] : undefined;
  }

  refCountOf(blockId: number): number {
    return this.rec[blockId * REC_STRIDE + REC_REF] ?? 0;
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
    let numIndexed = 0;
    const inLru = new Uint8Array(n);
    for (const id of this.lru.toArray()) {
      if (inLru[id] === 1) throw new Error(`block ${id} is on the LRU queue twice`);
      inLru[id] = 1;
    }
    for (let id = 0; id < n; id++) {
      const rc = this.rec[id * REC_STRIDE + REC_REF]!;
      if (rc !== holders[id]) throw new Error(`block ${id}: refCount ${rc} but ${holders[id]} tables hold it`);
      const states = (onFree[id] === 1 ? 1 : 0) + (inLru[id] === 1 ? 1 : 0) + (rc > 0 ? 1 : 0);
      if (states !== 1) throw new Error(`block ${id} is in ${states} states (free=${onFree[id]}, evictable=${inLru[id]}, refCount=${rc})`);
      const state = this.rec[id * REC_STRIDE + REC_STATE]!;
      if (onFree[id] === 1 && state !== UNCACHED) throw new Error(`free block ${id} is still cached`);
      if (inLru[id] === 1 && state === UNCACHED) throw new Error(`evictable block ${id} is not cached`);
      if (rc > 1 && state !== INDEXED) throw new Error(`block ${id} is shared by ${rc} requests but is not an indexed prefix block`);
      if (state === INDEXED && this.hashToBlock.get(this.blockHash[id]!) !== id)
        throw new Error(`block ${id}'s hash does not map back to it`);
      if (state === INDEXED) numIndexed++;
    }
    if (this.hashToBlock.size !== numIndexed) throw new Error('hash map and block hashes disagree');
  }

  /** Block id of hit block i: hashed blocks through the index, the ones after them from the parked unique list. */
  private hitBlockId(blockHashes: readonly number[], parked: readonly number[] | undefined, i: number): number {
    return i < blockHashes.length ? this.hashToBlock.get(blockHashes[i]!) : parked![i - blockHashes.length]!;
  }

  /** A block for a new allocation: a free one, else evict the least recently freed cached one. */
  private takeBlock(): number {
    if (this.numFree > 0) return this.freeStack[--this.numFree]!;
    const id = this.lru.popOldest();
    if (id === NONE) throw new Error('KvBlockManager: out of blocks after the capacity check (bug)');
    if (this.rec[id * REC_STRIDE + REC_STATE] === INDEXED) this.hashToBlock.delete(this.blockHash[id]!);
    this.rec[id * REC_STRIDE + REC_STATE] = UNCACHED;
    return id;
  }
}
