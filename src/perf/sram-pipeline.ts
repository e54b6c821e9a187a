import type { Device, Figure, MemoryTier } from '../hardware/types.js';
import { dataflowCalibration, dataflowTiming } from './dataflow-cost.js';
import { DEFAULT_LINK_BANDWIDTH_BYTES_PER_S, DEFAULT_SCALE_UP_LATENCY_S, type LinkLike } from './collectives.js';
import { replicaKv, replicaQuant, replicaWeights } from './replica.js';
import { ACT_BYTES } from './roofline.js';
import { makeStepCost } from './step-cost.js';
import type { MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from './types.js';

/**
 * SRAM-pipelined instances: chips whose weights must sit in on-chip SRAM (`weightsInSramOnly`: Groq LPU,
 * Groq 3 LPU, Cerebras WSE-3). See docs/heterogeneous.md.
 *
 * - Layout: the compiler places the weights at sub-layer granularity, so an instance of tp × pp chips holds
 *   1/(tp·pp) of all weights per chip (embedding and LM head included). `pp` stages in a row, each of `tp`
 *   chips working on the same layers; one chip-to-chip hop per stage boundary. Weights that do not fit the
 *   usable SRAM spill to the chip's DRAM tier when it has one (SambaNova-style), read at its own bandwidth.
 * - KV cache: in the SRAM left after the weights, then off-chip tiers (HBM, DRAM); sharded by KV head and by
 *   sequence over the chips of each layer, so never copied.
 * - Execution is compiled and statically scheduled (perf/dataflow-cost.ts): no per-step host overhead, no
 *   kernel launches and no GPU per-kernel floors. Each operator costs its fill latency (the device's
 *   `dataflowOpLatencyS`: array depth / clock) plus the max of compute and the SRAM stream; the chips of a
 *   stage all-reduce in one exchange over their chip-to-chip links.
 * - Throughput comes from micro-batches in flight: a decode step of B sequences is split into
 *   m = min(B, pp) micro-batches that follow each other through the stages, so each sequence advances one
 *   token every pp stage-times (the pipeline stays full across steps). A step carrying prefill pays the fill
 *   and drain: (pp + m − 1) stage-times.
 */

export function isSramPipelined(device: Device): boolean {
  return device.weightsInSramOnly;
}

/** Default share of SRAM kept free when none is given (as memoryPlan: compiler-placed memory has no allocator slack; pools pass their memoryReserveFraction). */
export const SRAM_DEFAULT_RESERVE_FRACTION = 0;

export interface SramLayout {
  readonly chips: number;
  readonly tp: number;
  readonly pp: number;
  readonly weightBytesTotal: number;
  readonly weightBytesPerChip: number;
  /** Usable SRAM, and usable off-chip memory (HBM + DRAM), per chip after the reserve. */
  readonly usableSramBytesPerChip: number;
  readonly usableOffChipBytesPerChip: number;
  /** Weight bytes per chip in SRAM and spilled off chip (HBM, DRAM). */
  readonly sramWeightBytesPerChip: number;
  readonly spilledWeightBytesPerChip: number;
  /** Bytes/s at which one chip streams its weights (SRAM, blended with DRAM when some spilled). */
  readonly weightBandwidthBytesPerS: number;
  /** KV bytes the instance holds after the weights (distinct tokens: divided by the KV copies). */
  readonly kvCapacityBytes: number;
  readonly kvTier: 'sram' | 'hbm' | 'dram';
  readonly kvBandwidthBytesPerS: number;
  readonly kvBytesPerToken: number;
  readonly fits: boolean;
  /** Fewest chips that hold the weights (and `kvTokens` of KV when asked). */
  readonly minChips: number;
  readonly reason?: string;
}

const val = (f: Figure): number | null => (f.value !== null && f.value > 0 ? f.value : null);
const gb = (b: number): string => (b / 1e9 >= 100 ? (b / 1e9).toFixed(0) : (b / 1e9).toPrecision(3));

type TierFig = { capacityBytes: number; bandwidthBytesPerS: number };

/** Per-chip SRAM, HBM and DRAM capacity and bandwidth of an SRAM-pipelined device (null when unknown or absent). */
export function sramTiers(device: Device): { sram: TierFig | null; hbm: TierFig | null; dram: TierFig | null } {
  const tier = (t: MemoryTier): TierFig | null => {
    const c = val(t.capacityBytes);
    const b = val(t.bandwidthBytesPerS);
    return c !== null && b !== null ? { capacityBytes: c, bandwidthBytesPerS: b } : null;
  };
  return { sram: tier(device.memory.sram), hbm: tier(device.memory.hbm), dram: tier(device.memory.dram) };
}

/**
 * Where an SRAM-pipelined replica's weights and KV go, for the parallelism in `ctx.par` (chips = tp × pp × dp).
 * Weights: SRAM, spilling to the chip's HBM then DRAM (SambaNova-style). KV: what SRAM is left, then the
 * off-chip tiers (a hybrid chip such as MatX's keeps it in HBM). `kvTokens` (optional) is KV the replica must
 * hold for `minChips`.
 */
export function sramLayout(ctx: PerfContext, opts: { reserveFraction?: number; kvTokens?: number } = {}): SramLayout {
  const device = ctx.device;
  const { tp, pp, dp } = ctx.par;
  const chips = tp * pp * dp;
  const reserve = opts.reserveFraction ?? SRAM_DEFAULT_RESERVE_FRACTION;
  const tiers = sramTiers(device);
  const w = replicaWeights(ctx);
  const kv = replicaKv(ctx);
  const total = w.totalBytes;
  const perChip = total / chips;
  const usable = (t: TierFig | null): number => (t ? t.capacityBytes * (1 - reserve) : 0);
  const sramUsable = usable(tiers.sram);
  // Off-chip tiers, fastest first: where weights spill and the KV cache goes once SRAM is full.
  const offChip = (['hbm', 'dram'] as const)
    .map((kind) => ({ kind, t: tiers[kind] }))
    .filter((x): x is { kind: 'hbm' | 'dram'; t: TierFig } => x.t !== null)
    .sort((a, b) => b.t.bandwidthBytesPerS - a.t.bandwidthBytesPerS);
  const offUsable = offChip.reduce((acc, x) => acc + usable(x.t), 0);
  // The compiler shards each layer's KV over its chips by KV head and by sequence: no token is stored twice,
  // however wide tp is (a GPU's TP ranks copy KV heads when tp > KV heads; see replica.ts).
  const kvNeed = (opts.kvTokens ?? 0) * kv.bytesPerToken;
  const minChips = sramUsable + offUsable > 0 ? Math.max(1, Math.ceil((total + kvNeed) / (sramUsable + offUsable))) : Infinity;
  const sramW = Math.min(perChip, sramUsable);
  let left = perChip - sramW;
  let readS = tiers.sram && sramW > 0 ? sramW / tiers.sram.bandwidthBytesPerS : 0;
  let offFree = 0;
  let kvTier: 'sram' | 'hbm' | 'dram' = 'sram';
  let kvBw = tiers.sram?.bandwidthBytesPerS ?? 0;
  let kvTierFree = 0;
  for (const x of offChip) {
    const put = Math.min(left, usable(x.t));
    left -= put;
    readS += put / x.t.bandwidthBytesPerS;
    const free = usable(x.t) - put;
    offFree += free;
    if (free > kvTierFree) {
      kvTierFree = free;
      kvTier = x.kind;
      kvBw = x.t.bandwidthBytesPerS;
    }
  }
  const spilled = perChip - sramW - left;
  const weightBandwidthBytesPerS = readS > 0 ? (perChip - left) / readS : (tiers.sram?.bandwidthBytesPerS ?? 0);
  const freeSram = Math.max(0, sramUsable - sramW);
  const kvCapacityBytes = (freeSram + offFree) * chips;
  const fits = tiers.sram !== null && left <= 1e-9 * perChip && kvCapacityBytes > 0;
  const q = replicaQuant(ctx);
  let reason: string | undefined;
  if (!tiers.sram) {
    reason = `${device.id} has no SRAM capacity and bandwidth in the catalog to hold weights`;
  } else if (!fits) {
    const what = `${ctx.model.id} at ${ctx.model.moe === null || q.gemm === q.moe ? q.gemm : `${q.gemm} (${q.moe} experts)`}`;
    const offText = offChip.map((x) => ` + ${gb(usable(x.t))} GB ${x.kind}`).join('');
    const where = `${gb(sramUsable)} GB SRAM${offText} usable per ${device.id} (${(reserve * 100).toFixed(0)}% reserved)`;
    reason =
      left > 1e-9 * perChip
        ? `${what} needs ${gb(total)} GB of weights: ${gb(perChip)} GB per chip on ${chips} × ${device.id}, over the ${where}`
        : `${what} fills the memory of ${chips} × ${device.id} with weights: no room left for the KV cache`;
  }
  return {
    chips,
    tp,
    pp,
    weightBytesTotal: total,
    weightBytesPerChip: perChip,
    usableSramBytesPerChip: sramUsable,
    usableOffChipBytesPerChip: offUsable,
    sramWeightBytesPerChip: sramW,
    spilledWeightBytesPerChip: spilled,
    weightBandwidthBytesPerS,
    kvCapacityBytes: Math.max(0, kvCapacityBytes),
    kvTier,
    kvBandwidthBytesPerS: kvBw,
    kvBytesPerToken: kv.bytesPerToken,
    fits,
    // Full memory with no room for KV: one more chip at least.
    minChips: !fits && left <= 1e-9 * perChip ? Math.max(minChips, chips + 1) : minChips,
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** The memory plan of an SRAM-pipelined replica, in the shape every pool uses. */
export function sramMemoryPlan(ctx: PerfContext, opts: { reserveFraction?: number } = {}): MemoryPlan {
  const l = sramLayout(ctx, opts);
  const suggestion = Number.isFinite(l.minChips) ? sramParallelismFor(ctx, l.minChips) : null;
  const hint = suggestion ? ` (${l.minChips} chips would hold them, e.g. parallelism {tp: ${suggestion.tp}, pp: ${suggestion.pp}})` : '';
  return {
    chips: l.chips,
    weightBytesPerChip: l.weightBytesPerChip,
    weightTier: l.spilledWeightBytesPerChip > l.sramWeightBytesPerChip ? (sramTiers(ctx.device).hbm ? 'hbm' : 'dram') : 'sram',
    kvCapacityBytes: l.kvCapacityBytes,
    kvBytesPerToken: l.kvBytesPerToken,
    kvTier: l.kvTier,
    fits: l.fits,
    ...(l.fits ? {} : { reason: `${l.reason ?? 'the model does not fit'}${hint}` }),
    ...(l.fits || !Number.isFinite(l.minChips) ? {} : { minChips: l.minChips }),
  };
}

/** Tensor-parallel degrees a model's attention heads allow: divisors of the head count, then its multiples. */
function allowedTp(heads: number, upTo: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= Math.min(heads, upTo); t++) if (heads % t === 0) out.push(t);
  for (let t = 2 * heads; t <= upTo; t += heads) out.push(t);
  return out;
}

/**
 * The (tp, pp) with the fewest chips ≥ `minChips` (ties: the smaller tp, i.e. fewer all-reduces per layer),
 * with pp ≤ layers and tp allowed by the heads. Null when no layout reaches it.
 */
export function sramParallelismFor(ctx: Pick<PerfContext, 'model'>, minChips: number): { tp: number; pp: number } | null {
  const layers = Math.max(1, ctx.model.numLayers);
  let best: { tp: number; pp: number } | null = null;
  for (const tp of allowedTp(ctx.model.attention.numHeads, Math.max(1, Math.ceil(minChips)))) {
    const pp = Math.max(1, Math.ceil(minChips / tp));
    if (pp > layers) continue;
    if (!best || tp * pp < best.tp * best.pp) best = { tp, pp };
  }
  if (best) return best;
  // More chips than heads × layers allow: widen tp in multiples of the heads.
  const heads = ctx.model.attention.numHeads;
  const tp = Math.ceil(minChips / layers / heads) * heads;
  return { tp, pp: Math.ceil(minChips / tp) };
}

/** The fewest-chip parallelism holding the weights in SRAM plus `kvTokens` of KV (expert parallelism kept at 1). */
export function sramAutoParallelism(ctx: PerfContext, kvTokens: number, reserveFraction?: number): Parallelism | null {
  const one: Parallelism = { tp: 1, pp: 1, ep: 1, moeTp: 1, dp: 1 };
  const l = sramLayout({ ...ctx, par: one }, { kvTokens, ...(reserveFraction !== undefined ? { reserveFraction } : {}) });
  if (!Number.isFinite(l.minChips) || !(l.usableSramBytesPerChip > 0)) return null;
  // Auto sizing keeps every weight in SRAM (the point of the chip); only the KV cache may use off-chip memory.
  let chips = Math.max(l.minChips, Math.ceil(l.weightBytesTotal / l.usableSramBytesPerChip));
  // Rounding to tp × pp can land short of the KV asked for: grow the chip count until the layout holds it.
  for (let i = 0; i < 64; i++) {
    const p = sramParallelismFor(ctx, chips);
    if (!p) return null;
    const par: Parallelism = { tp: p.tp, pp: p.pp, ep: 1, moeTp: p.tp, dp: 1 };
    const got = sramLayout({ ...ctx, par }, reserveFraction !== undefined ? { reserveFraction } : {});
    if (got.fits && got.spilledWeightBytesPerChip <= 0 && got.kvCapacityBytes >= kvTokens * got.kvBytesPerToken) return par;
    chips = Math.max(chips + 1, Math.ceil(chips * 1.02));
  }
  return null;
}

/** The chip-to-chip link between pipeline stages: the device's scale-up fabric, or the defaults. */
export function sramHopLink(device: Device): LinkLike & { assumed: boolean } {
  const bw = val(device.scaleUp.bandwidthBytesPerS);
  const lat = device.scaleUp.latencyS.value;
  return {
    bandwidthBytesPerS: bw ?? DEFAULT_LINK_BANDWIDTH_BYTES_PER_S,
    latencyS: lat ?? DEFAULT_SCALE_UP_LATENCY_S,
    assumed: bw === null || lat === null,
  };
}

/**
 * The device one stage's chips look like to the per-operator step model: weights stream at the layout's
 * (possibly DRAM-blended) bandwidth, and the model is costed as if it fitted (the layout already checked it).
 */
function stageDevice(device: Device, l: SramLayout): Device {
  const fig = (value: number, note: string): Figure => ({ value, source: 'phasewise SRAM pipeline layout', note });
  const absent: MemoryTier = { capacityBytes: fig(0, 'Absent: not used by the stage model'), bandwidthBytesPerS: { value: null, source: 'n/a' } };
  const huge = Number.MAX_SAFE_INTEGER;
  // KV off chip (a hybrid's HBM, a DRAM tier): an HBM tier beside the SRAM, where memoryPlan then puts the KV.
  const kvOff = l.kvTier !== 'sram' && l.kvBandwidthBytesPerS > 0;
  // The chips of a stage all-reduce over the same chip-to-chip fabric the stages hand activations on.
  const hop = sramHopLink(device);
  const linkFig = (value: number): Figure => ({ value, source: hop.assumed ? 'phasewise default (no catalog figure)' : 'catalog scaleUp' });
  return {
    ...device,
    scaleUp: { bandwidthBytesPerS: linkFig(hop.bandwidthBytesPerS), latencyS: linkFig(hop.latencyS), domainChips: linkFig(Math.max(l.chips, device.scaleUp.domainChips.value ?? 0)) },
    kind: 'sram',
    // Costed by the per-operator model as an ordinary chip holding the stage's share.
    weightsInSramOnly: false,
    memory: {
      sram: {
        capacityBytes: fig(huge, 'stage model: the layout placed the weights'),
        bandwidthBytesPerS: fig(l.weightBandwidthBytesPerS, 'weights streamed per chip (SRAM, blended with any off-chip spill)'),
      },
      hbm: kvOff ? { capacityBytes: fig(huge, 'stage model: KV off chip'), bandwidthBytesPerS: fig(l.kvBandwidthBytesPerS, `KV read from ${l.kvTier}`) } : absent,
      dram: absent,
    },
  };
}

const ZERO: StepTime = { totalS: 0, gemmS: 0, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };

export function scaleShape(s: StepShape, f: number): StepShape {
  return {
    numTokens: s.numTokens * f,
    numSeqs: s.numSeqs * f,
    numPrefillSeqs: s.numPrefillSeqs * f,
    prefillTokens: s.prefillTokens * f,
    prefillAttnPairs: s.prefillAttnPairs * f,
    prefillKvTokens: s.prefillKvTokens * f,
    numDecodeSeqs: s.numDecodeSeqs * f,
    decodeKvTokens: s.decodeKvTokens * f,
  };
}

function scaleTime(t: StepTime, f: number, extraCommS = 0): StepTime {
  return {
    totalS: t.totalS * f + extraCommS,
    gemmS: t.gemmS * f,
    attentionS: t.attentionS * f,
    moeS: t.moeS * f,
    commS: t.commS * f + extraCommS,
    overheadS: t.overheadS * f,
  };
}

export interface SramStageModel {
  readonly layout: SramLayout;
  /** All layers (and the LM head) of one micro-batch on one stage's chips, as if a single stage held them. */
  readonly allLayersS: (shape: StepShape) => StepTime;
  /** One chip-to-chip hop of a micro-batch of `tokens` tokens. */
  readonly hopS: (tokens: number) => number;
  readonly hopAssumed: boolean;
  /** Fill latency per dependent operator (device `dataflowOpLatencyS`, or the default when `opLatencyAssumed`). */
  readonly opLatencyS: number;
  readonly opLatencyAssumed: boolean;
}

/** The pieces of an SRAM pipeline's cost, for the step model below and for AFD's FFN side. */
export function sramStageModel(ctx: PerfContext, opts: { reserveFraction?: number } = {}): SramStageModel {
  const layout = sramLayout(ctx, opts);
  const { tp } = ctx.par;
  // Every stage runs with tp chips; the whole model on one such group, then divided among the pp stages.
  const stageCtx: PerfContext = { ...ctx, device: stageDevice(ctx.device, layout), par: { ...ctx.par, pp: 1, dp: 1 } };
  const timing = dataflowTiming(ctx.device);
  const all = makeStepCost(stageCtx, dataflowCalibration(timing.opLatencyS));
  const link = sramHopLink(ctx.device);
  const hidden = ctx.model.hiddenSize;
  return {
    layout,
    allLayersS: all,
    hopS: (tokens) => (tokens > 0 ? link.latencyS + (tokens * hidden * ACT_BYTES) / (link.bandwidthBytesPerS * tp) : 0),
    hopAssumed: link.assumed,
    opLatencyS: timing.opLatencyS,
    opLatencyAssumed: timing.assumed,
  };
}

/**
 * Step time of an SRAM-pipelined replica (see the header). `ctx.par.pp` stages of `ctx.par.tp` chips.
 */
export function makeSramStepCost(ctx: PerfContext, opts: { reserveFraction?: number } = {}): (shape: StepShape) => StepTime {
  const stage = sramStageModel(ctx, opts);
  const pp = ctx.par.pp;
  // A stage-time is 1/pp of the layers plus its outbound hop (the last stage's hop returns the sampled token
  // to the first); a single-stage replica has no hop.
  const hop = (tokens: number): number => (pp > 1 ? stage.hopS(tokens) : 0);
  return (s: StepShape): StepTime => {
    if (s.numTokens <= 0) return ZERO;
    if (s.numPrefillSeqs > 0) {
      // Fill and drain: m chunks through pp stages take (pp + m − 1) stage-times.
      const m = Math.max(1, Math.min(pp, Math.floor(s.numTokens)));
      const stageTimes = pp + m - 1;
      return scaleTime(stage.allLayersS(scaleShape(s, 1 / m)), stageTimes / pp, stageTimes * hop(s.numTokens / m));
    }
    // Steady state: each of m ≤ pp micro-batches advances one token per pp stage-times; the pipeline stays full.
    const m = Math.max(1, Math.min(pp, s.numSeqs));
    return scaleTime(stage.allLayersS(scaleShape(s, 1 / m)), 1, pp * hop(s.numTokens / m));
  };
}
