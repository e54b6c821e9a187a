import { GiB } from '../core/units.js';
import type { Device, TierKind } from '../hardware/types.js';
import { checkParallelism, chipsOf, replicaKv, replicaQuant, replicaWeights } from './replica.js';
import type { MemoryPlan, PerfContext } from './types.js';

export interface MemoryPlanOptions {
  /**
   * Fraction of each chip's memory the runtime keeps for itself (vLLM gpu_memory_utilization 0.9 → 0.1;
   * TensorRT-LLM free_gpu_memory_fraction 0.9 is close). Default 0.1, or 0 on SRAM-only chips, whose
   * compiler-placed memory has no allocator slack.
   */
  readonly reserveFraction?: number;
  /**
   * Bytes per chip for activations, CUDA graphs, workspaces and communication buffers. Default 2 GiB on HBM
   * chips (aiconfigurator budgets 0.4 GB of NCCL buffers plus up to 3.5 GB of other memory; vLLM's profiled
   * activation peak at 8k batched tokens is 1–2 GB for 8–70B models), 0 on SRAM-only chips.
   */
  readonly activationReserveBytes?: number;
}

export const DEFAULT_RESERVE_FRACTION = 0.1;
export const DEFAULT_ACTIVATION_RESERVE_BYTES = 2 * GiB;

interface Tier {
  readonly kind: TierKind;
  readonly capacityBytes: number;
}

/**
 * Tiers weights may be placed in, fastest first. A GPU's SRAM figure is its L2/shared memory — a cache, not a
 * placement target — so SRAM counts only on SRAM-centric chips; those may spill only to DRAM, never HBM.
 */
export function placementTiers(device: Device): Tier[] {
  const order: TierKind[] = device.weightsInSramOnly ? ['sram', 'dram'] : device.kind === 'sram' ? ['sram', 'hbm', 'dram'] : ['hbm', 'dram'];
  const out: Tier[] = [];
  for (const kind of order) {
    const t = device.memory[kind];
    const cap = t.capacityBytes.value;
    const bw = t.bandwidthBytesPerS.value;
    if (cap !== null && cap > 0 && bw !== null && bw > 0) out.push({ kind, capacityBytes: cap });
  }
  return out;
}

const gb = (b: number): string => (b / 1e9 >= 100 ? (b / 1e9).toFixed(0) : (b / 1e9).toPrecision(3));

/**
 * Where one replica's weights go and how much KV cache fits: weights per chip in the fastest tier where they
 * fit after the runtime reserve and activations; the KV capacity is what is left on all chips of the replica,
 * counted once per distinct token (KV heads or MLA latents copied across TP ranks count once).
 */
export function memoryPlan(ctx: PerfContext, opts: MemoryPlanOptions = {}): MemoryPlan {
  checkParallelism(ctx.par);
  const device = ctx.device;
  const sramOnly = device.weightsInSramOnly;
  const reserveFraction = opts.reserveFraction ?? (sramOnly ? 0 : DEFAULT_RESERVE_FRACTION);
  const activation = opts.activationReserveBytes ?? (sramOnly ? 0 : DEFAULT_ACTIVATION_RESERVE_BYTES);
  const chips = chipsOf(ctx.par);
  const w = replicaWeights(ctx);
  const kv = replicaKv(ctx);
  const tiers = placementTiers(device);
  const usable = (t: Tier): number => t.capacityBytes * (1 - reserveFraction) - activation;

  const base = {
    chips,
    weightBytesPerChip: w.perChipBytes,
    kvBytesPerToken: kv.bytesPerToken,
    kvBytesPerSeqFixed: kv.bytesPerSeqFixed,
  };
  const q = replicaQuant(ctx);
  const what = `${ctx.model.id} at ${ctx.model.moe === null || q.gemm === q.moe ? q.gemm : `${q.gemm} (${q.moe} experts)`}`;

  if (tiers.length === 0) {
    return {
      ...base,
      weightTier: 'hbm',
      kvCapacityBytes: 0,
      fits: false,
      reason: `${device.id} has no memory tier with known capacity and bandwidth to hold weights`,
    };
  }
  const tier = tiers.find((t) => w.perChipBytes <= usable(t));
  if (!tier) {
    // Smallest chip count whose total usable memory holds the weights (best tier allowed on this device).
    const best = Math.max(...tiers.map(usable));
    const minChips = best > 0 ? Math.ceil(w.totalBytes / best) : Infinity;
    const biggest = tiers.reduce((a, b) => (usable(b) > usable(a) ? b : a));
    return {
      ...base,
      weightTier: biggest.kind,
      kvCapacityBytes: 0,
      fits: false,
      reason:
        `${what} needs ${gb(w.totalBytes)} GB of weights, ${gb(w.perChipBytes)} GB per chip on ${chips} × ${device.id}; ` +
        `one ${device.id} holds ${gb(Math.max(0, best))} GB for weights (${gb(biggest.capacityBytes)} GB ${biggest.kind}` +
        `${reserveFraction > 0 ? ` × ${(1 - reserveFraction).toFixed(2)}` : ''}${activation > 0 ? ` − ${gb(activation)} GB activations` : ''}); ` +
        `at least ${Number.isFinite(minChips) ? minChips : '∞'} chips`,
      ...(Number.isFinite(minChips) ? { minChips } : {}),
    };
  }
  // KV goes where the weights are; an SRAM-only chip can also hold KV in its DRAM.
  let freePerChip = usable(tier) - w.perChipBytes;
  if (sramOnly && tier.kind === 'sram') {
    const dram = tiers.find((t) => t.kind === 'dram');
    if (dram) freePerChip += usable(dram);
  }
  // A hybrid SRAM chip (weights in SRAM, an HBM tier beside it, MatX-style) keeps the KV cache in the HBM.
  const hybridHbm = device.kind === 'sram' && !sramOnly && tier.kind === 'sram' ? tiers.find((t) => t.kind === 'hbm') : undefined;
  if (hybridHbm) freePerChip = usable(hybridHbm);
  const kvCapacityBytes = Math.max(0, (freePerChip * chips) / kv.replication);
  const fits = kvCapacityBytes > 0;
  return {
    ...base,
    weightTier: tier.kind,
    kvTier: hybridHbm ? 'hbm' : tier.kind,
    kvCapacityBytes,
    fits,
    ...(fits ? {} : { reason: `${what} fills ${device.id} with weights: no room left for the KV cache`, minChips: chips + 1 }),
  };
}
