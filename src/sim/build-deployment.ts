import { UsageError } from '../core/errors.js';
import type { Dtype } from '../core/units.js';
import type { Catalog } from '../hardware/catalog.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { attentionPart, ffnPart } from '../perf/model-parts.js';
import { isSramPipelined, makeSramStepCost, sramHopLink, sramMemoryPlan } from '../perf/sram-pipeline.js';
import type { MemoryPlan, PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { LinkConfig, PoolConfig, Scenario, SpecConfig } from '../scenario/schema.js';
import type { Trace } from '../workload/types.js';
import { buildAfdUnit, type AfdUnit } from './afd.js';
import { normaliseLink, resolveLink } from './links.js';
import { buildPool, type PoolDeps, type PoolPart, type PoolRuntime } from './pool.js';
import type { Deployment, KvLink } from './simulate.js';
import { meanLengthTokens, resolvePoolSizing } from './sizing.js';
import {
  checkDraftModel,
  expectedTokensPerRound,
  makeDraftCost,
  makeSpecRuntime,
  type DraftSetup,
  type SpecRuntime,
  type TargetCost,
} from './spec.js';

/** What building a deployment needs (a subset of RunDeps). */
export interface BuildDeps {
  readonly catalog: Catalog;
  readonly model: ModelArch;
  readonly trace: Trace | null;
  readonly memoryPlan: (ctx: PerfContext, opts: { reserveFraction: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (shape: StepShape) => StepTime;
  /** The draft model of `topology.spec.draft.model`, loaded by the caller. */
  readonly draftModel?: ModelArch;
}

export interface SpecReport {
  readonly draft: SpecConfig['draft']['kind'];
  readonly draftModel: string | null;
  readonly k: number | 'adaptive';
  readonly meanDraftTokens: number;
  readonly rounds: number;
  /** Measured over the run: accepted drafts and tokens (accepted + 1) per verification round. */
  readonly meanAcceptedDrafts: number;
  readonly meanTokensPerRound: number;
  /** 1 + Σ_j Π_{i≤j} α_i at the (mean) draft length: (1 − α^(k+1))/(1 − α) for a constant α. */
  readonly expectedTokensPerRound: number;
  /** Tokens per second of a verifying sequence over what the same steps would give as plain decodes. */
  readonly speedup: number;
  /** Share of a round spent drafting (incl. the draft ↔ target hops). */
  readonly draftShareOfRound: number;
}

export interface BuiltDeployment {
  /** The scenario with everything the build resolved (auto-sized pools) written in. */
  readonly scenario: Scenario;
  readonly dep: Deployment;
  readonly pools: readonly PoolRuntime[];
  readonly afd: AfdUnit | null;
  readonly spec: { readonly runtime: SpecRuntime; readonly cfg: SpecConfig; readonly draftModel: string | null } | null;
  readonly warnings: readonly string[];
}

function deviceAt(catalog: Catalog, id: string, where: string): Device {
  let d: Device;
  try {
    d = catalog.get(id);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(where, id, e.accepted, e.hint);
    throw e;
  }
  // The performance model needs a compute rate and a memory tier; say which figure to add rather than fail later.
  const f = d.flopsPerS;
  if (f.bf16.value === null && f.fp8.value === null && f.int8.value === null && f.fp4.value === null) {
    throw new UsageError(
      where,
      id,
      'a device with at least one dense FLOP/s figure',
      `The catalog has no dense FLOP/s for ${d.id} (${f.bf16.note ?? f.bf16.source}). Add flopsPerS in a hardware override (docs/hardware.md), citing where the figure comes from.`,
    );
  }
  const m = d.memory;
  if ([m.sram, m.hbm, m.dram].every((t) => !(t.bandwidthBytesPerS.value !== null && t.bandwidthBytesPerS.value > 0 && (t.capacityBytes.value ?? 0) > 0))) {
    throw new UsageError(where, id, 'a device with a memory tier of known capacity and bandwidth', `Add memory figures for ${d.id} in a hardware override (docs/hardware.md).`);
  }
  return d;
}

/** The KV link from a prefill pool to a decode pool (the PD link of simulate.ts). */
function kvLinkOf(cfg: LinkConfig, a: Device, b: Device, where: string, layerwise: boolean, kvBytesPerToken: number, numLayers: number): { link: KvLink; warnings: string[] } {
  const { link, warnings } = resolveLink(normaliseLink(cfg), a, b, where);
  return { link: { ...link, layerwise, kvBytesPerToken, numLayers }, warnings };
}

function partOf(pool: PoolRuntime): PoolPart {
  return {
    role: pool.role,
    device: pool.device,
    replicas: pool.replicas.length,
    chipsPerReplica: pool.chipsPerReplica,
    par: pool.ctx.par,
    plan: pool.plan,
    kvCapacityTokens: pool.schedConfig.numKvBlocks * pool.schedConfig.blockSizeTokens,
    sharesPoolKv: true,
    busyS: 0,
  };
}

/**
 * Build the pools of a scenario's topology (colocated, pd or afd, with or without speculative decoding) as the
 * event loop runs them. SRAM-pipelined devices get the pipeline model of perf/sram-pipeline.ts whatever
 * model functions `deps` carries (those serve every other chip).
 */
export function buildDeployment(s: Scenario, deps: BuildDeps): BuiltDeployment {
  const warnings: string[] = [];
  const precision = { weights: s.precision.weights!, moe: s.precision.moe!, kv: s.precision.kv! };
  const memoryPlan = (ctx: PerfContext, o: { reserveFraction: number }): MemoryPlan =>
    isSramPipelined(ctx.device) ? sramMemoryPlan(ctx, o) : deps.memoryPlan(ctx, o);
  const makeStepCost = (ctx: PerfContext): ((shape: StepShape) => StepTime) =>
    isSramPipelined(ctx.device) ? makeSramStepCost(ctx) : deps.makeStepCost(ctx);
  const poolDeps = (device: Device, model: ModelArch = deps.model, prec: { weights: Dtype; moe: Dtype; kv: Dtype } = precision): PoolDeps => ({
    device,
    model,
    precision: prec,
    backend: s.backend,
    memoryPlan,
    makeStepCost,
  });
  const meanContext =
    meanLengthTokens(s.workload.input, deps.trace, 'input') + meanLengthTokens(s.workload.output, deps.trace, 'output') + s.workload.sessions.systemPromptTokens;
  const sramWarned = new Set<string>();
  const sized = (cfg: PoolConfig, where: string, device: Device, model: ModelArch = deps.model, prec = precision): PoolConfig => {
    if (isSramPipelined(device) && !sramWarned.has(device.id) && sramHopLink(device).assumed) {
      sramWarned.add(device.id);
      const l = sramHopLink(device);
      warnings.push(
        `${device.id}: no chip-to-chip link figures in the catalog; pipeline hops assume ${l.bandwidthBytesPerS / 1e9} GB/s and ${l.latencyS * 1e6} µs (override scaleUp in a hardware file)`,
      );
    }
    return resolvePoolSizing(cfg, where, { device, model, precision: prec, backend: s.backend }, meanContext);
  };

  const topo = s.topology;
  let resolvedTopo: Scenario['topology'];
  let dep: Deployment;
  let decode: PoolRuntime;
  let afd: AfdUnit | null = null;
  if (topo.kind === 'colocated') {
    const device = deviceAt(deps.catalog, topo.pool.device, 'topology.pool.device');
    const cfg = sized(topo.pool, 'topology.pool', device);
    decode = buildPool('colocated', 'topology.pool', cfg, poolDeps(device));
    dep = { kind: 'colocated', pool: decode };
    resolvedTopo = { ...topo, pool: cfg };
  } else if (topo.kind === 'pd') {
    const pDevice = deviceAt(deps.catalog, topo.prefill.device, 'topology.prefill.device');
    const dDevice = deviceAt(deps.catalog, topo.decode.device, 'topology.decode.device');
    const pCfg = sized(topo.prefill, 'topology.prefill', pDevice);
    const dCfg = sized(topo.decode, 'topology.decode', dDevice);
    const prefill = buildPool('prefill', 'topology.prefill', pCfg, poolDeps(pDevice));
    decode = buildPool('decode', 'topology.decode', dCfg, poolDeps(dDevice));
    const kv = kvLinkOf(topo.link, pDevice, dDevice, 'topology.link', topo.kvTransfer === 'layerwise', prefill.plan.kvBytesPerToken, deps.model.numLayers);
    warnings.push(...kv.warnings);
    dep = { kind: 'pd', prefill, decode, link: kv.link };
    resolvedTopo = { ...topo, prefill: pCfg, decode: dCfg };
  } else {
    const aDevice = deviceAt(deps.catalog, topo.attention.device, 'topology.attention.device');
    const fDevice = deviceAt(deps.catalog, topo.ffn.device, 'topology.ffn.device');
    const aCfg = sized(topo.attention, 'topology.attention', aDevice, topo.prefill ? attentionPart(deps.model) : deps.model);
    const fCfg = sized(topo.ffn, 'topology.ffn', fDevice, ffnPart(deps.model));
    const link = resolveLink(topo.link, aDevice, fDevice, 'topology.link');
    warnings.push(...link.warnings);
    let prefill: PoolRuntime | null = null;
    let pCfg: PoolConfig | undefined;
    if (topo.prefill) {
      const pDevice = deviceAt(deps.catalog, topo.prefill.device, 'topology.prefill.device');
      pCfg = sized(topo.prefill, 'topology.prefill', pDevice);
      prefill = buildPool('prefill', 'topology.prefill', pCfg, poolDeps(pDevice));
    }
    afd = buildAfdUnit(
      {
        role: prefill ? 'decode' : 'colocated',
        attention: aCfg,
        ffn: fCfg,
        prefillOnAttention: prefill === null,
        microBatches: topo.microBatches,
        maxMicroBatches: topo.maxMicroBatches,
        link: link.link,
      },
      poolDeps(aDevice),
      poolDeps(fDevice),
    );
    decode = afd.pool;
    if (prefill) {
      const kv = kvLinkOf(topo.kvLink, prefill.device, aDevice, 'topology.kvLink', topo.kvTransfer === 'layerwise', prefill.plan.kvBytesPerToken, deps.model.numLayers);
      warnings.push(...kv.warnings);
      dep = { kind: 'pd', prefill, decode, link: kv.link };
    } else {
      dep = { kind: 'colocated', pool: decode };
    }
    resolvedTopo = { ...topo, attention: aCfg, ffn: fCfg, ...(pCfg ? { prefill: pCfg } : {}) };
  }

  let spec: BuiltDeployment['spec'] = null;
  if (topo.spec) {
    const cfg = topo.spec;
    const target: TargetCost = afd ? afd.cost : (split) => decode.stepCost(split.merged);
    let setup: DraftSetup = { kind: cfg.draft.kind, pool: null, link: null, draftPerTarget: 1 };
    let draftPart: PoolPart | null = null;
    let draftModelId: string | null = null;
    const draft = cfg.draft;
    if (draft.kind === 'model') {
      const dm = deps.draftModel;
      if (!dm) throw new UsageError('topology.spec.draft.model', draft.model, 'a model id from `phasewise list models` or a path to a config.json');
      checkDraftModel(dm, deps.model, 'topology.spec.draft.model');
      draftModelId = dm.id;
      const dDevice = deviceAt(deps.catalog, draft.pool.device, 'topology.spec.draft.pool.device');
      const dPrec = { weights: dm.weightDtype, moe: dm.expertWeightDtype ?? dm.weightDtype, kv: dm.kvDtype };
      const dCfg = sized(draft.pool, 'topology.spec.draft.pool', dDevice, dm, dPrec);
      const dPool = buildPool('decode', 'topology.spec.draft.pool', dCfg, poolDeps(dDevice, dm, dPrec));
      const link = resolveLink(draft.link, decode.device, dDevice, 'topology.spec.draft.link');
      warnings.push(...link.warnings);
      setup = { kind: 'model', pool: dPool, link: link.link, draftPerTarget: dCfg.replicas / decode.replicas.length };
      draftPart = { ...partOf(dPool), role: 'draft', sharesPoolKv: false };
      const draftKv = draftPart.kvCapacityTokens * dCfg.replicas;
      const targetKv = decode.schedConfig.numKvBlocks * decode.schedConfig.blockSizeTokens * decode.replicas.length;
      if (draftKv < targetKv) {
        warnings.push(`the draft pool holds ${draftKv} KV tokens, the target ${targetKv}: at full load the draft's cache is the limit (not modelled)`);
      }
      resolvedTopo = { ...resolvedTopo, spec: { ...cfg, draft: { ...draft, pool: dCfg } } } as Scenario['topology'];
    } else if (draft.kind === 'mtp' && !((deps.model.numMtpLayers ?? 0) > 0)) {
      throw new UsageError(
        'topology.spec.draft.kind',
        'mtp',
        'mtp only for a model that ships multi-token-prediction layers (num_nextn_predict_layers in its config, e.g. DeepSeek-V3/R1)',
        `${deps.model.id} has none; use draft: {kind: model, model: …} or {kind: ngram}.`,
      );
    }
    const draftCost = makeDraftCost(setup, draft.kind === 'mtp' ? draft.layers : 0, target, deps.model.numLayers);
    const targetPart = afd ? null : { ...partOf(decode), role: decode.role === 'colocated' ? 'target' : 'decode (target)' };
    const share = setup.draftPerTarget;
    const runtime = makeSpecRuntime(cfg, target, draftCost, s.seed, (targetS, draftS) => {
      if (targetPart) targetPart.busyS += targetS;
      if (draftPart) draftPart.busyS += draftS * share;
    });
    const parts = [...(afd ? (decode.parts ?? []) : [targetPart!]), ...(draftPart ? [draftPart] : [])];
    decode = { ...decode, stepCostOf: runtime.stepCostOf, spec: runtime.spec, parts };
    dep = dep.kind === 'pd' ? { ...dep, decode } : { kind: 'colocated', pool: decode };
    spec = { runtime, cfg, draftModel: draftModelId };
  }
  const pools: PoolRuntime[] = dep.kind === 'colocated' ? [dep.pool] : [dep.prefill, dep.decode];
  return { scenario: { ...s, topology: resolvedTopo }, dep, pools, afd, spec, warnings };
}

/** What the run measured of speculative decoding, and what the formula expects at the same draft length. */
export function specReportOf(b: NonNullable<BuiltDeployment['spec']>): SpecReport {
  const st = b.runtime.stats;
  const rounds = Math.max(1, st.rounds);
  const meanK = st.rounds > 0 ? st.sumK / st.rounds : typeof b.cfg.k === 'number' ? b.cfg.k : b.cfg.maxK;
  const meanTokens = st.tokens / rounds;
  return {
    draft: b.cfg.draft.kind,
    draftModel: b.draftModel,
    k: b.cfg.k,
    meanDraftTokens: meanK,
    rounds: st.rounds,
    meanAcceptedDrafts: st.acceptedDrafts / rounds,
    meanTokensPerRound: meanTokens,
    expectedTokensPerRound: expectedTokensPerRound(b.cfg.acceptance, Math.round(meanK)),
    speedup: st.roundS > 0 ? (meanTokens * st.plainS) / st.roundS : 1,
    draftShareOfRound: st.roundS > 0 ? st.draftS / st.roundS : 0,
  };
}
