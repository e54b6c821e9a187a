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
};

export function schedulerConfig(s: EngineSizing): SchedulerConfig {
  return { maxNumBatchedTokens: s.maxNumBatchedTokens, maxNumSeqs: s.maxNumSeqs, blockSizeTokens: s.blockSizeTokens, numKvBlocks: s.numKvBlocks, enableChunkedPrefill: true, enablePrefixCaching: s.enablePrefixCaching };
}

/** The shard plan of a whole-model (or attention-only / FFN-only) worker. */
export function shardPlan(s: EngineSizing, part: 'full' | 'attention' | 'ffn', tpRank = 0, tpSize = 1): ShardPlan {
  return {
    tpRank,
    tpSize,
    holdsAttention: part !== 'ffn',
    holdsFfn: part !== 'attention',
    quant: s.quant,
    maxBatchTokens: s.maxNumBatchedTokens,
    maxSampleRows: s.maxNumSeqs,
    numKvBlocks: part === 'ffn' ? 0 : s.numKvBlocks,
    blockSizeTokens: s.blockSizeTokens,
    numMicroBatches: part === 'attention' ? s.numMicroBatches : 1,
  };
}

/** The pools of a topology, named as the metrics name them. */
export function poolNames(t: Topology): string[] {
  return t === 'pd' ? ['prefill', 'decode'] : [t];
}

/** An engine whose workers all run in this thread. */
export function createLocalEngine(ck: Checkpoint, sizing: EngineSizing, now: () => number, observer?: EngineObserver): Engine {
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
  return new Engine(sizing.topology, dims, pools, now, observer);
}
