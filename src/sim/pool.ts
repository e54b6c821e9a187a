import { UsageError } from '../core/errors.js';
import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { Backend, MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from '../perf/types.js';
import { Scheduler } from '../sched/scheduler.js';
import { makeRouter, type Router } from '../sched/router.js';
import type { SchedulerConfig, SchedulerStep } from '../sched/types.js';
import type { PoolConfig } from '../scenario/schema.js';
import { DecodeRun } from './decode-run.js';

export type PoolRole = 'colocated' | 'prefill' | 'decode';

/**
 * One kind of chip group inside a pool that is more than identical replicas of one device (AFD: attention and
 * FFN instances; speculative decoding: the target and its draft): for the pools report and the economics.
 */
export interface PoolPart {
  readonly role: string;
  readonly device: Device;
  readonly replicas: number;
  readonly chipsPerReplica: number;
  readonly par: Parallelism;
  readonly plan: MemoryPlan;
  /** KV tokens one replica of this part holds (0 for parts without a KV cache, such as an FFN pool). */
  readonly kvCapacityTokens: number;
  /** This part's KV cache is the pool's (whose occupancy the event loop tracks); false for a draft's own cache. */
  readonly sharesPoolKv: boolean;
  /** Σ busy seconds over this part's replicas, accumulated as steps are costed. */
  busyS: number;
}

/** Speculative decoding as the event loop sees it: draft length per step and sampled acceptances. */
export interface PoolSpec {
  /** Draft tokens for the next step of this replica (0: no speculation this step). */
  readonly draftTokens: (replica: ReplicaRuntime) => number;
  /** Accepted draft tokens of each verifying sequence of a finished step. */
  readonly sampleAccepted: (step: SchedulerStep) => ReadonlyMap<number, number>;
}

/** One model instance: its scheduler and what it is doing. */
export class ReplicaRuntime {
  busy = false;
  step: SchedulerStep | null = null;
  stepStartS = 0;
  busyS = 0;
  /** Σ KV usage × step duration, for the time-weighted occupancy. */
  kvUsageWeightedS = 0;
  maxKvUsage = 0;
  numSteps = 0;
  /** When this replica's inbound KV link is next free (PD transfers queue on it). */
  inboundLinkFreeS = 0;
  /** The decode fast-forward run in progress, if `run.active` (see simulate.ts, docs/performance.md). */
  readonly run = new DecodeRun();
  /** Sequence number of this replica's live step-done event; an event with another one was superseded. */
  eventSeq = -1;

  constructor(
    readonly index: number,
    readonly sched: Scheduler,
  ) {}
}

/** A pool of identical replicas serving one role. */
export interface PoolRuntime {
  readonly role: PoolRole;
  readonly where: string;
  readonly config: PoolConfig;
  readonly device: Device;
  readonly ctx: PerfContext;
  readonly chipsPerReplica: number;
  readonly plan: MemoryPlan;
  readonly schedConfig: SchedulerConfig;
  readonly stepCost: (shape: StepShape) => StepTime;
  readonly replicas: readonly ReplicaRuntime[];
  readonly route: Router;
  /** Costs a scheduled step when its shape is not enough (AFD, speculative decoding); else `stepCost`. */
  readonly stepCostOf?: (step: SchedulerStep) => StepTime;
  readonly spec?: PoolSpec;
  /** The chip groups of a composite pool (see PoolPart); absent for a plain pool. */
  readonly parts?: readonly PoolPart[];
}

export interface PoolDeps {
  readonly device: Device;
  readonly model: ModelArch;
  readonly precision: { readonly weights: Dtype; readonly moe: Dtype; readonly kv: Dtype };
  readonly backend: Backend;
  readonly memoryPlan: (ctx: PerfContext, opts: { reserveFraction: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (shape: StepShape) => StepTime;
}

/** Resolve a pool's parallelism, check it against the model, and size its KV cache. */
export function buildPool(role: PoolRole, where: string, config: PoolConfig, deps: PoolDeps): PoolRuntime {
  const par = resolveParallelism(config, deps.model, where);
  const ctx: PerfContext = {
    device: deps.device,
    model: deps.model,
    par,
    weightDtype: deps.precision.weights,
    moeDtype: deps.precision.moe,
    kvDtype: deps.precision.kv,
    backend: deps.backend,
  };
  const plan = deps.memoryPlan(ctx, { reserveFraction: config.memoryReserveFraction });
  if (!plan.fits) {
    throw new UsageError(
      `${where}`,
      { device: deps.device.id, tp: par.tp, pp: par.pp, ep: par.ep, dp: par.dp },
      `a deployment whose chips hold the model's weights and some KV cache`,
      `${(plan.reason ?? 'The model does not fit').replace(/\.?$/, '.')}${plan.minChips ? ` Use at least ${plan.minChips} chips per replica (raise parallelism.tp or parallelism.pp${deps.device.weightsInSramOnly ? ', or set chips: auto' : ''}).` : ''}`,
    );
  }
  const blockSizeTokens = config.scheduler.blockSizeTokens;
  const numKvBlocks = Math.floor(plan.kvCapacityBytes / (blockSizeTokens * plan.kvBytesPerToken));
  if (!(numKvBlocks >= 1)) {
    throw new UsageError(
      `${where}`,
      { device: deps.device.id, kvCapacityBytes: Math.round(plan.kvCapacityBytes) },
      'room for at least one KV block after the weights',
      'Add chips per replica or lower memoryReserveFraction.',
    );
  }
  const schedConfig: SchedulerConfig = {
    maxNumBatchedTokens: config.scheduler.maxNumBatchedTokens,
    maxNumSeqs: config.scheduler.maxNumSeqs * par.dp,
    blockSizeTokens,
    numKvBlocks,
    enableChunkedPrefill: config.scheduler.chunkedPrefill,
    enablePrefixCaching: config.scheduler.prefixCaching,
  };
  const replicas: ReplicaRuntime[] = [];
  for (let i = 0; i < config.replicas; i++) replicas.push(new ReplicaRuntime(i, new Scheduler(schedConfig, { blockIds: false })));
  return {
    role,
    where,
    config,
    device: deps.device,
    ctx,
    chipsPerReplica: par.tp * par.pp * par.dp,
    plan,
    schedConfig,
    stepCost: deps.makeStepCost(ctx),
    replicas,
    route: makeRouter(config.router),
  };
}

export function resolveParallelism(config: PoolConfig, model: ModelArch, where: string): Parallelism {
  const { tp, pp, ep, dp } = config.parallelism;
  const moeTp = config.parallelism.moeTp ?? Math.max(1, Math.floor((tp * dp) / ep));
  if (model.moe === null && ep > 1) {
    throw new UsageError(`${where}.parallelism.ep`, ep, '1 for a dense model (expert parallelism needs MoE layers)');
  }
  if (model.moe !== null && moeTp * ep !== tp * dp) {
    throw new UsageError(
      `${where}.parallelism`,
      { tp, dp, ep, moeTp },
      'moeTp × ep = tp × dp (the MoE layers use the same chips as attention)',
    );
  }
  if (model.moe !== null && ep > model.moe.numExperts) {
    throw new UsageError(`${where}.parallelism.ep`, ep, `at most the model's ${model.moe.numExperts} experts`);
  }
  if (pp > model.numLayers) {
    throw new UsageError(`${where}.parallelism.pp`, pp, `at most the model's ${model.numLayers} layers`);
  }
  const heads = model.attention.numHeads;
  if (heads % tp !== 0 && tp % heads !== 0) {
    throw new UsageError(`${where}.parallelism.tp`, tp, `a divisor of the model's ${heads} attention heads`);
  }
  return { tp, pp, ep, moeTp, dp };
}
