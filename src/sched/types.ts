/**
 * The scheduler's contract, shared by the simulator and the real engine. A request has a number of known
 * tokens (prompt + outputs so far) and a number of computed tokens (whose KV is in the cache); each step
 * schedules `min(known − computed, budget)` new tokens per request — prefill, chunked prefill and decode fall
 * out of that one rule (vLLM v1 style). Pure: no clock, no I/O, no randomness.
 */
export interface SchedulerConfig {
  /** Token budget of one step (vLLM max_num_batched_tokens). */
  readonly maxNumBatchedTokens: number;
  /** Max requests running at once (vLLM max_num_seqs). */
  readonly maxNumSeqs: number;
  /** Tokens per KV block. */
  readonly blockSizeTokens: number;
  /** KV capacity of the replica, in blocks. */
  readonly numKvBlocks: number;
  /** When false a prompt is only scheduled if it fits the remaining budget whole. */
  readonly enableChunkedPrefill: boolean;
  readonly enablePrefixCaching: boolean;
  /**
   * Speculative decoding (extension, default 0): a decoding request schedules 1 + k tokens per step — its last
   * token and k drafted ones — and `complete` keeps the accepted prefix (see docs/scheduler.md).
   */
  readonly numSpeculativeTokens?: number;
}

export interface NewRequest {
  readonly id: number;
  readonly promptTokens: number;
  /** The request finishes when it has this many output tokens (or the caller stops it earlier). */
  readonly maxOutputTokens: number;
  /**
   * Hash of each full block of the prompt, chained (block i's hash covers tokens 0..(i+1)·blockSize); length
   * ≤ floor(promptTokens / blockSizeTokens). Empty or absent: no prefix caching for this request.
   */
  readonly blockHashes?: readonly number[];
  /**
   * Full prompt blocks after `blockHashes` whose content no other request will ask for (a simulator that knows
   * its workload: a conversation's last turn). They are cached on free and evicted in LRU order like hashed
   * ones, as vLLM would, but never indexed: no lookup could hit them. Default 0.
   */
  readonly numUniqueBlocks?: number;
  /** Output tokens already generated elsewhere (1 for a request arriving at a decode pool after prefill). */
  readonly initialOutputTokens?: number;
  /** Tokens whose KV arrives with the request (KV transferred from a prefill worker): blocks are allocated at admission, no compute. */
  readonly precomputedTokens?: number;
}

export interface ScheduledSeq {
  readonly id: number;
  /** Tokens computed in this step. */
  readonly numNewTokens: number;
  /** Tokens already in the KV cache before this step (the attention context). */
  readonly numComputedTokens: number;
  /** The request's whole block table after this step's allocation. */
  readonly blockIds: readonly number[];
  /** True when this step completes the known tokens, so the step samples a new output token for it. */
  readonly samples: boolean;
  /**
   * Tokens whose KV arrived with the request (`precomputedTokens`, beyond any prefix-cache hit): the executor
   * writes them into positions [numComputedTokens − numExternalTokens, numComputedTokens) of the block table
   * before computing this step. Non-zero only on the step that first admits such a request.
   */
  readonly numExternalTokens?: number;
  /**
   * Draft tokens verified in this step (extension; speculative decoding): the step computes the last known
   * token plus these, `samples` is true, and `complete` keeps the accepted ones. Absent or 0 otherwise.
   */
  readonly numSpeculativeTokens?: number;
}

export interface SchedulerStep {
  /** Running requests first, then newly admitted ones, in scheduling order. */
  readonly seqs: readonly ScheduledSeq[];
  readonly numScheduledTokens: number;
  /** Requests preempted (blocks freed, to be recomputed) while building this step. */
  readonly preemptedIds: readonly number[];
  /** Requests admitted from the waiting queue in this step (first time scheduled, or resumed). */
  readonly admittedIds: readonly number[];
}

export interface StepOutcome {
  /** Requests that produced an output token in this step. */
  readonly sampledIds: readonly number[];
  /** Requests that finished (reached max output or were stopped) and whose blocks were freed. */
  readonly finishedIds: readonly number[];
}

export interface ReplicaLoad {
  readonly numWaiting: number;
  readonly numRunning: number;
  /** KV blocks in use / capacity, 0..1. */
  readonly kvUsage: number;
}
