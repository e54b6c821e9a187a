import { UsageError } from '../core/errors.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { afdMicroBatchesToHide, afdTimeline, type AfdOp, type AfdStage, type AfdTimelineResult } from '../perf/afd-timeline.js';
import type { LinkLike } from '../perf/collectives.js';
import { attentionPart, ffnPart, withoutLayers } from '../perf/model-parts.js';
import { ACT_BYTES } from '../perf/roofline.js';
import { isSramPipelined, scaleShape, sramStageModel } from '../perf/sram-pipeline.js';
import type { MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from '../perf/types.js';
import { makeRouter } from '../sched/router.js';
import { Scheduler } from '../sched/scheduler.js';
import type { SchedulerConfig } from '../sched/types.js';
import type { PoolConfig } from '../scenario/schema.js';
import { ReplicaRuntime, resolveParallelism, type PoolDeps, type PoolPart, type PoolRole, type PoolRuntime } from './pool.js';
import type { TargetCost } from './spec.js';
import { EMPTY_SHAPE, splitStep, type SplitStep } from './step-split.js';

/**
 * The `afd` topology's decode side (see docs/heterogeneous.md and perf/afd-timeline.ts). One AFD *unit* is
 * `a` attention replicas (they hold the KV cache and the attention weights) and one FFN replica (it holds the
 * FFN or expert weights), a = attention.replicas / ffn.replicas. The event loop sees each unit as one replica:
 * one scheduler over the a replicas' KV caches. A decode step of B sequences runs as m micro-batches of B/m
 * sequences (B/(a·m) on each attention replica) ping-ponging over the link, two hops per layer; the attention
 * side also pays the step's LM head and overheads once. Prefill runs on the attention replicas with the whole
 * model when there is no prefill pool.
 */

export interface AfdSetup {
  readonly role: PoolRole;
  readonly attention: PoolConfig;
  readonly ffn: PoolConfig;
  /** The attention replicas prefill with the whole model (no prefill pool). */
  readonly prefillOnAttention: boolean;
  readonly microBatches: number | 'auto';
  readonly maxMicroBatches: number;
  /** The attention ↔ FFN link (per chip, per direction). */
  readonly link: LinkLike;
}

export interface AfdSums {
  steps: number;
  /** Σ over decode steps of sequences, KV tokens read, micro-batches, per-layer T_a, T_e, T_c, step seconds. */
  seqs: number;
  kvTokens: number;
  microBatches: number;
  attentionS: number;
  ffnS: number;
  hopS: number;
  stepS: number;
  attentionBubbleS: number;
  ffnBubbleS: number;
}

export interface AfdReport {
  readonly units: number;
  readonly attentionReplicasPerUnit: number;
  readonly layers: number;
  readonly decodeSteps: number;
  /** At the mean decode batch of the run: */
  readonly meanBatchSeqs: number;
  readonly microBatches: number;
  readonly perLayer: { readonly attentionS: number; readonly ffnS: number; readonly hopS: number };
  /** Micro-batches that hide the hops, 2(1 + T_c/T_f); whether the chosen m does. */
  readonly microBatchesToHide: number;
  readonly hopsHidden: boolean;
  readonly stepS: number;
  readonly attentionBusyShare: number;
  readonly ffnBusyShare: number;
  /** Hops per generated token per sequence (2 per layer). */
  readonly hopsPerToken: number;
  /** The smallest attention:FFN ratio whose attention time per layer does not exceed the FFN's. */
  readonly balancedRatio: number | null;
  /** The first two layers' operations at the mean batch, for the printed timeline. */
  readonly ops: readonly AfdOp[];
}

export interface AfdUnit {
  readonly pool: PoolRuntime;
  readonly cost: TargetCost;
  readonly attentionPart: PoolPart;
  readonly ffnPart: PoolPart;
  readonly sums: AfdSums;
  report(): AfdReport;
}

interface SidePlan {
  readonly par: Parallelism;
  readonly ctx: PerfContext;
  readonly plan: MemoryPlan;
  readonly chips: number;
}

function planSide(where: string, config: PoolConfig, deps: PoolDeps, model: ModelArch): SidePlan {
  const par = resolveParallelism(config, model, where);
  const ctx: PerfContext = {
    device: deps.device,
    model,
    par,
    weightDtype: deps.precision.weights,
    moeDtype: deps.precision.moe,
    kvDtype: deps.precision.kv,
    backend: deps.backend,
  };
  const plan = deps.memoryPlan(ctx, { reserveFraction: config.memoryReserveFraction });
  if (!plan.fits) {
    throw new UsageError(
      where,
      { device: deps.device.id, tp: par.tp, pp: par.pp, ep: par.ep, dp: par.dp },
      `a deployment whose chips hold ${model.id}'s weights${plan.kvBytesPerToken > 0 ? ' and some KV cache' : ''}`,
      `${(plan.reason ?? 'The model does not fit').replace(/\.?$/, '.')}${plan.minChips ? ` Use at least ${plan.minChips} chips per replica (raise parallelism.tp or parallelism.pp${deps.device.weightsInSramOnly ? ', or set chips: auto' : ''}).` : ''}`,
    );
  }
  return { par, ctx, plan, chips: par.tp * par.pp * par.dp };
}

function part(role: string, device: Device, replicas: number, side: SidePlan, kvCapacityTokens: number): PoolPart {
  return { role, device, replicas, chipsPerReplica: side.chips, par: side.par, plan: side.plan, kvCapacityTokens, sharesPoolKv: kvCapacityTokens > 0, busyS: 0 };
}

export function buildAfdUnit(setup: AfdSetup, attnDeps: PoolDeps, ffnDeps: PoolDeps): AfdUnit {
  const model = attnDeps.model;
  const L = model.numLayers;
  const units = setup.ffn.replicas;
  const a = setup.attention.replicas / units;
  if (!Number.isInteger(a) || a < 1) {
    throw new UsageError(
      'topology.attention.replicas',
      setup.attention.replicas,
      `a multiple of topology.ffn.replicas (${units}): each FFN replica serves attention.replicas / ffn.replicas attention replicas`,
    );
  }
  const attnModel = setup.prefillOnAttention ? model : attentionPart(model);
  const attn = planSide('topology.attention', setup.attention, attnDeps, attnModel);
  const ffnModel = ffnPart(model);
  const ffn = planSide('topology.ffn', setup.ffn, { ...ffnDeps, model: ffnModel }, ffnModel);

  const bs = setup.attention.scheduler.blockSizeTokens;
  const blocksPerReplica = Math.floor(attn.plan.kvCapacityBytes / (bs * attn.plan.kvBytesPerToken));
  if (!(blocksPerReplica >= 1)) {
    throw new UsageError(
      'topology.attention',
      { device: attnDeps.device.id, kvCapacityBytes: Math.round(attn.plan.kvCapacityBytes) },
      'room for at least one KV block after the weights',
      'Add chips per attention replica or lower memoryReserveFraction.',
    );
  }
  const schedConfig: SchedulerConfig = {
    maxNumBatchedTokens: setup.attention.scheduler.maxNumBatchedTokens * a,
    maxNumSeqs: setup.attention.scheduler.maxNumSeqs * attn.par.dp * a,
    blockSizeTokens: bs,
    numKvBlocks: blocksPerReplica * a,
    enableChunkedPrefill: setup.attention.scheduler.chunkedPrefill,
    enablePrefixCaching: setup.attention.scheduler.prefixCaching,
  };

  // Per-layer costs by differencing: (model − the same model without layers) / L.
  const attnCtx: PerfContext = { ...attn.ctx, model: attentionPart(model) };
  const attnAll = attnDeps.makeStepCost(attnCtx);
  const attnHead = attnDeps.makeStepCost({ ...attnCtx, model: withoutLayers(attnCtx.model) });
  const full = setup.prefillOnAttention ? attnDeps.makeStepCost(attn.ctx) : null;
  let ffnLayerS: (s: StepShape) => number;
  let ffnStages = 1;
  if (isSramPipelined(ffnDeps.device)) {
    // An SRAM FFN pool holds different layers on different chips: per-layer time on one stage, pp resources.
    const stage = sramStageModel(ffn.ctx, { reserveFraction: setup.ffn.memoryReserveFraction });
    ffnLayerS = (s) => stage.allLayersS(s).totalS / L;
    ffnStages = ffn.par.pp;
  } else {
    const ffnAll = ffnDeps.makeStepCost(ffn.ctx);
    const ffnHead = ffnDeps.makeStepCost({ ...ffn.ctx, model: withoutLayers(ffnModel) });
    ffnLayerS = (s) => Math.max(0, ffnAll(s).totalS - ffnHead(s).totalS) / L;
  }
  const attnLayerS = (s: StepShape): number => Math.max(0, attnAll(s).totalS - attnHead(s).totalS) / L;
  const hidden = model.hiddenSize;
  const hopTransferS = (tokensPerReplica: number): number => {
    const bytes = tokensPerReplica * hidden * ACT_BYTES;
    // Each attention replica's chips send their share; the FFN replica receives from all a of them.
    return Math.max(bytes / (setup.link.bandwidthBytesPerS * attn.chips), (a * bytes) / (setup.link.bandwidthBytesPerS * ffn.chips));
  };

  const stageAt = (pipe: StepShape, m: number): AfdStage => ({
    attentionS: attnLayerS(scaleShape(pipe, 1 / (a * m))),
    ffnS: ffnLayerS(scaleShape(pipe, 1 / m)),
    hopLatencyS: setup.link.latencyS,
    hopTransferS: hopTransferS(pipe.numTokens / (a * m)),
    microBatches: m,
    layers: L,
    ffnStages,
  });

  /** The fastest pipeline for this batch: the given m, or the best m ≤ maxMicroBatches. */
  const pipeline = (pipe: StepShape, keepLayers = 0): { stage: AfdStage; tl: AfdTimelineResult } => {
    const seqs = Math.max(1, Math.floor(pipe.numSeqs));
    const ms: number[] = [];
    if (setup.microBatches === 'auto') for (let m = 1; m <= Math.min(setup.maxMicroBatches, seqs); m++) ms.push(m);
    else ms.push(Math.min(setup.microBatches, seqs));
    let best: { stage: AfdStage; tl: AfdTimelineResult } | null = null;
    for (const m of ms) {
      const stage = stageAt(pipe, m);
      const tl = afdTimeline(stage, keepLayers);
      if (!best || tl.totalS < best.tl.totalS) best = { stage, tl };
    }
    return best!;
  };

  const attentionP = part('attention', attnDeps.device, setup.attention.replicas, attn, blocksPerReplica * bs);
  const ffnP = part('ffn', ffnDeps.device, units, ffn, 0);
  const sums: AfdSums = { steps: 0, seqs: 0, kvTokens: 0, microBatches: 0, attentionS: 0, ffnS: 0, hopS: 0, stepS: 0, attentionBubbleS: 0, ffnBubbleS: 0 };

  const cost: TargetCost = (split: SplitStep, account = true): StepTime => {
    // Without a whole model on the attention side (a prefill pool exists), a recompute after preemption runs
    // through the pipeline like decode tokens.
    const pipe = full ? split.decode : split.merged;
    const prefillS = full && split.prefill.numTokens > 0 ? full(scaleShape(split.prefill, 1 / a)).totalS : 0;
    if (pipe.numSeqs <= 0) {
      if (account) attentionP.busyS += prefillS * a;
      return { totalS: prefillS, gemmS: prefillS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
    }
    const { stage, tl } = pipeline(pipe);
    const headS = attnHead(scaleShape(pipe, 1 / a)).totalS;
    const totalS = prefillS + tl.totalS + headS;
    if (!account) return { totalS, gemmS: prefillS, attentionS: tl.attentionBusyS, moeS: tl.ffnBusyS, commS: tl.hopS, overheadS: headS };
    sums.steps++;
    sums.seqs += pipe.numSeqs;
    sums.kvTokens += pipe.decodeKvTokens + pipe.prefillKvTokens;
    sums.microBatches += stage.microBatches;
    sums.attentionS += stage.attentionS;
    sums.ffnS += stage.ffnS;
    sums.hopS += stage.hopLatencyS + stage.hopTransferS;
    sums.stepS += tl.totalS;
    sums.attentionBubbleS += tl.attentionBubbleS;
    sums.ffnBubbleS += tl.ffnBubbleS;
    attentionP.busyS += (prefillS + tl.attentionBusyS + headS) * a;
    ffnP.busyS += tl.ffnBusyS;
    return { totalS, gemmS: prefillS, attentionS: tl.attentionBusyS, moeS: tl.ffnBusyS, commS: tl.hopS, overheadS: headS };
  };

  const replicas: ReplicaRuntime[] = [];
  for (let i = 0; i < units; i++) replicas.push(new ReplicaRuntime(i, new Scheduler(schedConfig, { blockIds: false })));
  const shapeCost = (s: StepShape): StepTime => {
    // Shape-only costing (no scheduler step at hand): q > 1 sequences count as prefill.
    const prefill: StepShape = { ...s, numSeqs: s.numPrefillSeqs, numTokens: s.prefillTokens, numDecodeSeqs: 0, decodeKvTokens: 0 };
    const decode: StepShape = { ...EMPTY_SHAPE, numTokens: s.numTokens - s.prefillTokens, numSeqs: s.numDecodeSeqs, numDecodeSeqs: s.numDecodeSeqs, decodeKvTokens: s.decodeKvTokens };
    return cost({ prefill, decode, merged: s, numVerifySeqs: 0, maxDraftTokens: 0, verifyKvTokens: 0 }, false);
  };
  const pool: PoolRuntime = {
    role: setup.role,
    where: 'topology.attention',
    config: setup.attention,
    device: attnDeps.device,
    ctx: attn.ctx,
    chipsPerReplica: a * attn.chips + ffn.chips,
    plan: { ...attn.plan, kvCapacityBytes: attn.plan.kvCapacityBytes * a },
    schedConfig,
    stepCost: shapeCost,
    stepCostOf: (step) => cost(splitStep(step)),
    replicas,
    route: makeRouter(setup.attention.router),
    parts: [attentionP, ffnP],
  };

  const report = (): AfdReport => {
    const n = Math.max(1, sums.steps);
    const meanSeqs = sums.seqs / n;
    const kvPerSeq = sums.seqs > 0 ? sums.kvTokens / sums.seqs : 0;
    const pipe: StepShape = { ...EMPTY_SHAPE, numTokens: meanSeqs, numSeqs: meanSeqs, numDecodeSeqs: meanSeqs, decodeKvTokens: meanSeqs * kvPerSeq };
    const { stage, tl } = pipeline(pipe, 2);
    const toHide = afdMicroBatchesToHide(stage);
    let balancedRatio: number | null = null;
    const perFfn = scaleShape(pipe, 1 / stage.microBatches);
    for (let r = 1; r <= 64 && meanSeqs > 0; r++) {
      if (attnLayerS(scaleShape(perFfn, 1 / r)) <= stage.ffnS) {
        balancedRatio = r;
        break;
      }
    }
    return {
      units,
      attentionReplicasPerUnit: a,
      layers: L,
      decodeSteps: sums.steps,
      meanBatchSeqs: meanSeqs,
      microBatches: stage.microBatches,
      perLayer: { attentionS: stage.attentionS, ffnS: stage.ffnS, hopS: stage.hopLatencyS + stage.hopTransferS },
      microBatchesToHide: toHide,
      hopsHidden: stage.microBatches * Math.max(stage.attentionS, stage.ffnS) >= stage.attentionS + stage.ffnS + 2 * (stage.hopLatencyS + stage.hopTransferS),
      stepS: tl.totalS,
      attentionBusyShare: tl.totalS > 0 ? tl.attentionBusyS / tl.totalS : 0,
      ffnBusyShare: tl.totalS > 0 ? tl.ffnBusyS / tl.totalS : 0,
      hopsPerToken: 2 * L,
      balancedRatio,
      ops: tl.ops,
    };
  };

  return { pool, cost, attentionPart: attentionP, ffnPart: ffnP, sums, report };
}
