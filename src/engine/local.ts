/**
 * Runners and engines in the calling thread: every topology's logic without threads. The tests hold the
 * threaded runners (server/) to the same outputs; `phasewise serve --threads 0` uses these.
 */
import type { Checkpoint } from './checkpoint.js';
import { localFfnLink, runAfdAttentionStep } from './afd.js';
import { Engine, type EngineObserver, type PoolSpec, type StageRunner, type Topology } from './engine.js';
import { ModelShard, type ShardPlan, type WeightQuant } from './shard.js';
import { runFullStep, type StepInput, type StepOutput } from './step.js';
import type { SchedulerConfig } from '../sched/index.js';
import { UsageError } from '../core/errors.js';

export class LocalRunner implements StageRunner {
  constructor(readonly shard: ModelShard, private readonly now: () => number) {}
  runStep(input: StepInput): Promise<StepOutput> {
    try {
      return Promise.resolve(runFullStep(this.shard, input, this.now));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class LocalAfdRunner implements StageRunner {
  constructor(readonly attn: ModelShard, readonly ffn: ModelShard, private readonly now: () => number) {}
  runStep(input: StepInput): Promise<StepOutput> {
    return runAfdAttentionStep(this.attn, input, localFfnLink(this.ffn, this.now), this.now);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Engine sizes shared by every way of building one. */
export interface EngineSizing {
  readonly topology: Topology;
  readonly quant: WeightQuant;
  readonly numKvBlocks: number;
  readonly blockSizeTokens: number;
  readonly maxNumBatchedTokens: number;
  readonly maxNumSeqs: number;
  readonly enablePrefixCaching: boolean;
  /** AFD micro-batches. */
  readonly numMicroBatches: number;
  /** Speculative decoding: draft tokens verified per step (0 = off; needs a draft model). */
  readonly numSpeculativeTokens: number;
}

export const DEFAULT_SIZING: EngineSizing = {
  topology: 'colocated',
  quant: 'none',
  numKvBlocks: 512,
  blockSizeTokens: 16,
  maxNumBatchedTokens: 512,
  maxNumSeqs: 32,
  enablePrefixCaching: true,
  numMicroBatches: 2,
  numSpeculativeTokens: 0,
};

export function schedulerConfig(s: EngineSizing): SchedulerConfig {
  // The draft model's KV follows the target's block ids, which a prefix hit would share without the draft
  // having computed them in this request: speculative decoding turns prefix caching off.
  return {
    maxNumBatchedTokens: s.maxNumBatchedTokens,
    maxNumSeqs: s.maxNumSeqs,
    blockSizeTokens: s.blockSizeTokens,
    numKvBlocks: s.numKvBlocks,
    enableChunkedPrefill: true,
    enablePrefixCaching: s.enablePrefixCaching && s.numSpeculativeTokens === 0,
    ...(s.numSpeculativeTokens > 0 ? { numSpeculativeTokens: s.numSpeculativeTokens } : {}),
  };
}

/**
 * The shard plan of a whole-model (or attention-only / FFN-only) worker; `draft`: the draft model's worker,
 * which may feed one more token per sequence than the target computes (a fully accepted draft).
 */
export function shardPlan(s: EngineSizing, part: 'full' | 'attention' | 'ffn' | 'draft', tpRank = 0, tpSize = 1): ShardPlan {
  return {
    tpRank,
    tpSize,
    holdsAttention: part !== 'ffn',
    holdsFfn: part !== 'attention',
    quant: s.quant,
    maxBatchTokens: s.maxNumBatchedTokens + (part === 'draft' ? s.maxNumSeqs : 0),
    maxSampleRows: s.maxNumSeqs * (1 + s.numSpeculativeTokens),
    numKvBlocks: part === 'ffn' ? 0 : s.numKvBlocks,
    blockSizeTokens: s.blockSizeTokens,
    numMicroBatches: part === 'attention' ? s.numMicroBatches : 1,
  };
}

/** The pools of a topology, named as the metrics name them. */
export function poolNames(t: Topology): string[] {
  return t === 'pd' ? ['prefill', 'decode'] : [t];
}

/** An engine whose workers all run in this thread; `draft`: speculative decoding with that draft model. */
export function createLocalEngine(ck: Checkpoint, sizing: EngineSizing, now: () => number, observer?: EngineObserver, draft?: Checkpoint): Engine {
  const c = ck.config;
  const dims = { numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, vocabSize: c.vocabSize };
  const sched = schedulerConfig(sizing);
  let pools: PoolSpec[];
  switch (sizing.topology) {
    case 'colocated':
      pools = [{ name: 'colocated', scheduler: sched, runner: new LocalRunner(new ModelShard(ck, shardPlan(sizing, 'full')), now) }];
      break;
    case 'pd':
      pools = ['prefill', 'decode'].map((name) => ({ name, scheduler: sched, runner: new LocalRunner(new ModelShard(ck, shardPlan(sizing, 'full')), now) }));
      break;
    case 'afd':
      pools = [{ name: 'afd', scheduler: sched, runner: new LocalAfdRunner(new ModelShard(ck, shardPlan(sizing, 'attention')), new ModelShard(ck, shardPlan(sizing, 'ffn')), now) }];
      break;
  }
  if (draft) checkDraft(ck, draft, sizing);
  const draftRunner = draft ? new LocalRunner(new ModelShard(draft, shardPlan(sizing, 'draft')), now) : null;
  return new Engine(sizing.topology, dims, pools, now, observer, draftRunner);
}

/** A draft model must share the target's vocabulary and runs with the colocated topology. */
export function checkDraft(target: Checkpoint, draft: Checkpoint, sizing: EngineSizing): void {
  if (draft.config.vocabSize !== target.config.vocabSize) {
    throw new UsageError('--draft', draft.source.name, `a model with the target's vocabulary (${target.config.vocabSize} tokens; this one has ${draft.config.vocabSize})`);
  }
  if (sizing.topology !== 'colocated') throw new UsageError('--topology', sizing.topology, 'colocated when a --draft model is given');
  if (sizing.numSpeculativeTokens < 1) throw new UsageError('--num-speculative-tokens', sizing.numSpeculativeTokens, 'at least 1 with a --draft model');
}
