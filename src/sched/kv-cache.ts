/**
 * What the scheduler needs of a KV cache. Two implementations with the same allocations, prefix-cache hits and
 * evictions: KvBlockManager hands out block ids (the engine's paged KV needs them); KvBlockCounter only counts
 * (the simulator never reads an id, and per-block bookkeeping was most of its time).
 */
import { BlockHashTable } from './block-hash-table.js';

/** A prefix-cache hit to take at a request's first allocation (admission). */
export interface PrefixHit {
  /**
   * The request's chained block hashes; the leading `numBlocks` are cached (see cachedPrefixBlocksOf). Blocks past
   * them are the request's own parked unique blocks.
   */
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

export interface KvCache {
  readonly numKvBlocks: number;
  readonly blockSizeTokens: number;
  readonly prefixCacheStats: PrefixCacheStats;
  blocksFor(numTokens: number): number;
  /** Free plus evictable blocks. */
  numFreeBlocks(): number;
  /** Free blocks only: an allocation up to this many evicts no cached block. */
  numStrictlyFreeBlocks(): number;
  numBlocksOf(reqId: number): number;
  numUsedBlocks(): number;
  numEvictableBlocks(): number;
  usage(): number;
  cachedPrefixBlocks(blockHashes: readonly number[], maxBlocks?: number): number;
  cachedPrefixBlocksOf(reqId: number, blockHashes: readonly number[], maxBlocks: number): number;
  allocateSlots(reqId: number, numTokensTotal: number, hit?: PrefixHit): boolean;
  cacheFullBlocks(reqId: number, blockHashes: readonly number[], numComputedTokens: number, numUniqueBlocks?: number): void;
  free(reqId: number, park?: boolean): void;
  /** The request's block ids (a live view); always empty from a counting cache. */
  blockIds(reqId: number): readonly number[];
  assertInvariants(): void;
}

/** What both caches share: sizes, the free count, the hash index and its lookups, the hit counters. */
export abstract class KvCacheBase {
  readonly numKvBlocks: number;
  readonly blockSizeTokens: number;
  readonly prefixCacheStats: PrefixCacheStats = { numQueries: 0, numQueryTokens: 0, numHitTokens: 0 };
  /** Blocks neither held nor cached. */
  protected numFree: number;
  /** Hash → block: KvBlockManager's block ids, KvBlockCounter's tracked ids. */
  protected readonly hashToBlock: BlockHashTable;

  constructor(numKvBlocks: number, blockSizeTokens: number, indexEntries: number) {
    const who = new.target.name;
    if (!Number.isInteger(numKvBlocks) || numKvBlocks < 1) throw new Error(`${who}: numKvBlocks is ${numKvBlocks}; accepted: an integer ≥ 1.`);
    if (!Number.isInteger(blockSizeTokens) || blockSizeTokens < 1)
      throw new Error(`${who}: blockSizeTokens is ${blockSizeTokens}; accepted: an integer ≥ 1.`);
    this.numKvBlocks = numKvBlocks;
    this.blockSizeTokens = blockSizeTokens;
    this.numFree = numKvBlocks;
    this.hashToBlock = new BlockHashTable(indexEntries);
  }

  /** Blocks in the eviction queue: cached, held by no request. */
  abstract numEvictableBlocks(): number;

  abstract cachedPrefixBlocksOf(reqId: number, blockHashes: readonly number[], maxBlocks: number): number;

  /** Blocks needed to hold `numTokens` tokens. */
  blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.blockSizeTokens);
  }

  /** Blocks an allocation can take: free plus evictable. */
  numFreeBlocks(): number {
    return this.numFree + this.numEvictableBlocks();
  }

  /** Blocks on the free list only: an allocation up to this many evicts no cached block. */
  numStrictlyFreeBlocks(): number {
    return this.numFree;
  }

  /** Blocks referenced by at least one request. */
  numUsedBlocks(): number {
    return this.numKvBlocks - this.numFree - this.numEvictableBlocks();
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
   * allocateSlots' checks and arithmetic: the new blocks a request holding `numHeld` blocks (undefined: none
   * yet) needs to cover `numTokensTotal` tokens beside its hit. Throws on a hit that is not the request's first
   * allocation or is not cached.
   */
  protected newBlocksNeeded(reqId: number, numHeld: number | undefined, numTokensTotal: number, hit: PrefixHit | undefined): number {
    const numHitBlocks = hit?.numBlocks ?? 0;
    const who = `${this.constructor.name}.allocateSlots: request ${reqId}`;
    if (numHeld !== undefined && numHitBlocks > 0) throw new Error(`${who} already has blocks; a prefix hit is only taken at its first allocation.`);
    if (numHitBlocks > 0 && numHitBlocks !== this.cachedPrefixBlocksOf(reqId, hit!.blockHashes, numHitBlocks))
      throw new Error(`${who}: ${numHitBlocks} hit blocks but fewer are cached (not cached past them); ask cachedPrefixBlocksOf first.`);
    return this.blocksFor(numTokensTotal) - (numHeld ?? 0) - numHitBlocks;
  }

  /** Count an admission's lookup in the hit-rate counters. */
  protected countQuery(hit: PrefixHit, numHitBlocks: number): void {
    this.prefixCacheStats.numQueries++;
    this.prefixCacheStats.numQueryTokens += hit.numQueryTokens;
    this.prefixCacheStats.numHitTokens += numHitBlocks * this.blockSizeTokens;
  }
}
