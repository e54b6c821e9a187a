/**
 * What the scheduler needs of a KV cache. Two implementations with the same allocations, prefix-cache hits and
 * evictions: KvBlockManager hands out block ids (the engine's paged KV needs them); KvBlockCounter only counts
 * (the simulator never reads an id, and per-block bookkeeping was most of its time).
 */
import type { PrefixCacheStats, PrefixHit } from './kv-block-manager.js';

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
