/**
 * The paged KV cache of KvBlockManager, counted instead of tracked: the same free + evictable capacity, the same
 * prefix-cache hits and the same evictions in the same order, without block ids. Only blocks indexed under a
 * hash get an identity (a tracked id, handed out when they are registered and taken back when evicted), since a
 * hit must find them and share them; every other block is a count:
 *   - free blocks: one number (which free block an allocation takes never matters);
 *   - a request's uncached blocks (its partial and decode blocks, duplicates of a prefix someone else registered):
 *     a number per request;
 *   - a request's unique blocks (see KvBlockManager): one entry in the eviction queue holding a count. They
 *     follow their table positions, which come after every hashed position, so KvBlockManager's free queues
 *     them together, last position first, before the request's indexed blocks: one run, evicted from its end.
 * So allocating, caching and freeing a request's unique and uncached blocks costs O(1) per request, not per
 * block. src/sched/kv-block-counter.test.ts runs the scheduler on both caches over random streams and checks
 * every step, hit and preemption agree.
 */
import { EvictionQueue } from './eviction-queue.js';
import { KvCacheBase, type KvCache, type PrefixHit } from './kv-cache.js';

/** A request's blocks, by kind; its table is [tracked (in table order) and uncached …, unique …, uncached …]. */
interface RequestBlocks {
  numBlocks: number;
  /** Indexed blocks it holds, hit or registered, in table order. */
  readonly tracked: number[];
  /** Unique blocks it registered (or took back from its parked run). */
  numUnique: number;
  /** Leading blocks registered or taken from the cache (KvBlockManager's reqToNumCachedBlocks). */
  numCached: number;
}

const EMPTY: readonly number[] = [];

export class KvBlockCounter extends KvCacheBase implements KvCache {
  /** Blocks in the eviction queue: tracked entries count one, runs their count. */
  private numEvictable = 0;
  /**
   * Eviction order over entry ids: 0 … numKvBlocks − 1 are tracked blocks, numKvBlocks … 2·numKvBlocks − 1 runs of
   * unique blocks (at most one block each needs an entry, so neither range runs out).
   */
  private readonly queue: EvictionQueue;
  private readonly refCount: Int32Array;
  private readonly blockHash: Float64Array;
  private readonly freeTracked: Int32Array;
  private numFreeTracked: number;
  private readonly runCount: Int32Array;
  private readonly runOwner: Int32Array;
  private readonly freeRuns: Int32Array;
  private numFreeRuns: number;
  private readonly reqs = new Map<number, RequestBlocks>();
  /** A preempted request's run of unique blocks (valid while the entry is queued and still its own). */
  private readonly parked = new Map<number, number>();

  constructor(numKvBlocks: number, blockSizeTokens: number) {
    // Indexed blocks are the exception here: the index starts small and grows with them.
    super(numKvBlocks, blockSizeTokens, Math.min(numKvBlocks, 1 << 16));
    const n = numKvBlocks;
    this.queue = new EvictionQueue(2 * n);
    this.refCount = new Int32Array(n);
    this.blockHash = new Float64Array(n);
    this.freeTracked = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeTracked[i] = n - 1 - i;
    this.numFreeTracked = n;
    this.runCount = new Int32Array(n);
    this.runOwner = new Int32Array(n);
    this.freeRuns = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeRuns[i] = n - 1 - i;
    this.numFreeRuns = n;
  }

  numBlocksOf(reqId: number): number {
    return this.reqs.get(reqId)?.numBlocks ?? 0;
  }

  numEvictableBlocks(): number {
    return this.numEvictable;
  }

  cachedPrefixBlocksOf(reqId: number, blockHashes: readonly number[], maxBlocks: number): number {
    const n = this.cachedPrefixBlocks(blockHashes, maxBlocks);
    if (n < blockHashes.length) return n;
    const run = this.parkedRun(reqId);
    return run < 0 ? n : n + Math.max(0, Math.min(this.runCount[run - this.numKvBlocks]!, maxBlocks - n));
  }

  allocateSlots(reqId: number, numTokensTotal: number, hit?: PrefixHit): boolean {
    let r = this.reqs.get(reqId);
    const numHitBlocks = hit?.numBlocks ?? 0;
    const numNeeded = this.newBlocksNeeded(reqId, r?.numBlocks, numTokensTotal, hit);
    if (numNeeded <= 0 && numHitBlocks === 0) return true;

    const run = numHitBlocks > 0 ? this.parkedRun(reqId) : -1;
    const numHashedHits = Math.min(numHitBlocks, hit?.blockHashes.length ?? 0);
    const numUniqueHits = numHitBlocks - numHashedHits;
    // Hit blocks sitting in the eviction queue stop being allocatable once taken; a parked run is all queued.
    let numHitEvictable = numUniqueHits;
    for (let i = 0; i < numHashedHits; i++) if (this.refCount[this.hashToBlock.get(hit!.blockHashes[i]!)] === 0) numHitEvictable++;
    if (Math.max(0, numNeeded) > this.numFreeBlocks() - numHitEvictable) return false;

    if (r === undefined) {
      r = { numBlocks: 0, tracked: [], numUnique: 0, numCached: numHitBlocks };
      this.reqs.set(reqId, r);
    }
    this.parked.delete(reqId);
    for (let i = 0; i < numHashedHits; i++) {
      const id = this.hashToBlock.get(hit!.blockHashes[i]!);
      if (this.refCount[id] === 0) {
        this.queue.remove(id);
        this.numEvictable--;
      }
      this.refCount[id]!++;
      r.tracked.push(id);
    }
    if (numUniqueHits > 0) {
      // The owner takes back the leading positions of its run, which eviction (from the run's end) left.
      this.shrinkRun(run, numUniqueHits);
      r.numUnique += numUniqueHits;
    }
    if (hit !== undefined) this.countQuery(hit, numHitBlocks);
    r.numBlocks += numHitBlocks;
    if (numNeeded > 0) {
      this.take(numNeeded);
      r.numBlocks += numNeeded;
    }
    return true;
  }

  cacheFullBlocks(reqId: number, blockHashes: readonly number[], numComputedTokens: number, numUniqueBlocks = 0): void {
    const r = this.reqs.get(reqId);
    if (r === undefined) return;
    const numHashed = blockHashes.length;
    const numFull = Math.min(numHashed + numUniqueBlocks, r.numBlocks, Math.floor(numComputedTokens / this.blockSizeTokens));
    if (numFull <= r.numCached) return;
    // Positions from numCached on are the request's own new blocks: uncached until now.
    for (let i = r.numCached; i < Math.min(numFull, numHashed); i++) {
      const h = blockHashes[i]!;
      // Someone else registered the same hash first: this copy stays uncached (KvBlockManager's setIfAbsent).
      if (this.hashToBlock.has(h)) continue;
      const id = this.freeTracked[--this.numFreeTracked]!;
      this.hashToBlock.set(h, id);
      this.blockHash[id] = h;
      this.refCount[id] = 1;
      r.tracked.push(id);
    }
    if (numFull > numHashed) r.numUnique += numFull - Math.max(r.numCached, numHashed);
    r.numCached = numFull;
  }

  free(reqId: number, park = false): void {
    this.parked.delete(reqId);
    const r = this.reqs.get(reqId);
    if (r === undefined) return;
    this.reqs.delete(reqId);
    this.numFree += r.numBlocks - r.tracked.length - r.numUnique;
    // KvBlockManager frees the last position first: the unique run, then the indexed blocks from the back.
    if (r.numUnique > 0) {
      const run = this.numKvBlocks + this.freeRuns[--this.numFreeRuns]!;
      this.runCount[run - this.numKvBlocks] = r.numUnique;
      this.runOwner[run - this.numKvBlocks] = reqId;
      this.queue.append(run);
      this.numEvictable += r.numUnique;
      if (park) this.parked.set(reqId, run);
    }
    for (let i = r.tracked.length - 1; i >= 0; i--) {
      const id = r.tracked[i]!;
      if (--this.refCount[id]! > 0) continue;
      this.queue.append(id);
      this.numEvictable++;
    }
  }

  blockIds(_reqId: number): readonly number[] {
    return EMPTY;
  }

  assertInvariants(): void {
    const n = this.numKvBlocks;
    let held = 0;
    const holders = new Int32Array(n);
    for (const [reqId, r] of this.reqs) {
      if (r.tracked.length + r.numUnique > r.numBlocks) throw new Error(`request ${reqId}: ${r.tracked.length} tracked + ${r.numUnique} unique > ${r.numBlocks} blocks`);
      held += r.numBlocks - r.tracked.length; // shared tracked blocks are counted once, below
      for (const id of r.tracked) holders[id]!++;
    }
    let queued = 0;
    for (const e of this.queue.toArray()) {
      if (e < n) {
        if (this.refCount[e] !== 0) throw new Error(`queued tracked block ${e} has refCount ${this.refCount[e]}`);
        queued++;
      } else {
        const c = this.runCount[e - n]!;
        if (c < 1) throw new Error(`queued run ${e} holds ${c} blocks`);
        queued += c;
      }
    }
    if (queued !== this.numEvictable) throw new Error(`queue holds ${queued} blocks, counter says ${this.numEvictable}`);
    for (let id = 0; id < n; id++) if (holders[id]! > 0) held++;
    if (held + this.numFree + this.numEvictable !== n) throw new Error(`held ${held} + free ${this.numFree} + evictable ${this.numEvictable} ≠ ${n}`);
    let numTracked = 0;
    for (let id = 0; id < n; id++) {
      if (this.refCount[id] !== holders[id]) throw new Error(`tracked block ${id}: refCount ${this.refCount[id]} but ${holders[id]} requests hold it`);
    }
    for (let id = 0; id < n; id++) if (this.queue.has(id) || holders[id]! > 0) numTracked++;
    if (numTracked + this.numFreeTracked !== n) throw new Error(`${numTracked} tracked + ${this.numFreeTracked} free tracked ids ≠ ${n}`);
    if (this.hashToBlock.size !== numTracked) throw new Error(`hash index has ${this.hashToBlock.size} entries for ${numTracked} tracked blocks`);
  }

  /** The request's parked run entry, or −1 if it has none still queued as its own. */
  private parkedRun(reqId: number): number {
    const run = this.parked.get(reqId);
    if (run === undefined || !this.queue.has(run) || this.runOwner[run - this.numKvBlocks] !== reqId) return -1;
    return run;
  }

  /**
   * Take `k` blocks out of a queued run: evicted (from its last positions) or taken back by its owner (its
   * first). A count either way: the owner's next hit only needs how many are left, all leading positions.
   */
  private shrinkRun(run: number, k: number): void {    const left = (this.runCount[run - this.numKvBlocks]! -= k);
    this.numEvictable -= k;
    if (left === 0) {
      this.queue.remove(run);
      this.freeRuns[this.numFreeRuns++] = run - this.numKvBlocks;
    }
  }

  /** `k` blocks for new allocations: free ones first, then evict from the front of the queue. */
  private take(k: number): void {
    const fromFree = Math.min(k, this.numFree);
    this.numFree -= fromFree;
    let need = k - fromFree;
    while (need > 0) {
      const e = this.queue.peekOldest();
      if (e < 0) throw new Error('KvBlockCounter: out of blocks after the capacity check (bug)');
      if (e < this.numKvBlocks) {
        this.queue.remove(e);
        this.numEvictable--;
        this.hashToBlock.delete(this.blockHash[e]!);
        this.freeTracked[this.numFreeTracked++] = e;
        need--;
      } else {
        const c = Math.min(need, this.runCount[e - this.numKvBlocks]!);
        this.shrinkRun(e, c);
        need -= c;
      }
    }
  }
}
