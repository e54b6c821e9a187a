import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { scaleUpDomainChips } from '../perf/collectives.js';
import type { Backend, Parallelism } from '../perf/types.js';
import type { PoolDesign, PoolFacts, Precision } from './bounds.js';
import type { BoundCheck, PlanDeps, PlanRequest, Role, TopologyInput } from './types.js';
import type { WorkloadStats } from './workload-stats.js';

/**
 * The search space as data. A generator turns the allowed devices into *shapes*: deployments with everything
 * fixed but the replica count of each pool (its *slots*). The search then finds, per shape, the fewest replicas
 * meeting the SLO. A new topology (AFD, speculative decoding) is one more generator in generators/index.ts.
 */

/** One pool of a shape whose replica count the search chooses. */
export interface Slot {
  readonly role: Role;
  /** How the pool is named in "why not smaller" (default `${role} pool`): e.g. an AFD unit. */
  readonly displayName?: string;
  readonly deviceId: string;
  readonly chipsPerUnit: number;
  readonly usdPerHourPerUnit: number;
  /** null when the catalog has no power figure for the device. */
  readonly wattsPerUnit: number | null;
  /** Fewer replicas than this cannot meet the SLO (analytic, conservative): the search never goes below it. */
  readonly minUnits: number;
  readonly minUnitsReason: string;
  /** Where the search starts: an estimate ≥ minUnits. */
  readonly startUnits: number;
}

export interface Shape {
  /** Stable identity (used to sort ties and to merge shards). */
  readonly key: string;
  readonly kind: string;
  readonly slots: readonly Slot[];
  readonly topology: (counts: readonly number[]) => TopologyInput;
  readonly label: (counts: readonly number[]) => string;
  /** Which slots to grow when these checks fail (empty: more replicas would not help). */
  readonly blame: (failed: readonly BoundCheck['kind'][]) => number[];
  /** What the generator chose analytically and why (AFD ratio and micro-batches, draft length k), for the output. */
  readonly notes?: readonly string[];
}

/** A shape the bounds rule out before any simulation. */
export interface InfeasibleShape {
  readonly key: string;
  readonly label: string;
  readonly reason: string;
}

export interface GeneratorContext {
  readonly request: PlanRequest;
  readonly deps: Pick<PlanDeps, 'catalog' | 'model' | 'memoryPlan' | 'makeStepCost' | 'draftModels'>;
  readonly stats: WorkloadStats;
  readonly precision: Precision;
  readonly backend: Backend;
  /** Allowed devices per role, priced and costable (the others are reported as skipped already). */
  readonly devices: Readonly<Record<Role, readonly Device[]>>;
  /** Memoised pool facts (the same design is asked for by several generators). */
  readonly facts: (design: PoolDesign) => PoolFacts;
}

export interface CandidateGenerator {
  readonly kind: string;
  readonly description: string;
  generate(ctx: GeneratorContext): { shapes: Shape[]; infeasible: InfeasibleShape[] };
}

const TP_CHOICES = [1, 2, 4, 8, 16];

/**
 * Parallelisms worth trying for a device: tensor parallel within one scale-up domain (powers of two dividing the
 * heads), and the fewest pipeline stages that make the weights fit at that TP. MoE models also try experts spread
 * across the TP ranks (ep = tp).
 */
export function parallelismOptions(device: Device, model: ModelArch, fits: (par: Parallelism) => boolean): Parallelism[] {
  const domain = scaleUpDomainChips(device);
  const heads = model.attention.numHeads;
  const out: Parallelism[] = [];
  for (const tp of TP_CHOICES) {
    if (tp > Math.max(1, Math.min(domain, 16))) break;
    if (heads % tp !== 0) continue;
    const eps = model.moe !== null && tp > 1 && tp <= model.moe.numExperts ? [1, tp] : [1];
    for (const ep of eps) {
      const pp = fewestStages(tp, ep, model, fits);
      if (pp === null) continue;
      out.push({ tp, pp, ep, moeTp: Math.max(1, tp / ep), dp: 1 });
    }
  }
  return out;
}

function fewestStages(tp: number, ep: number, model: ModelArch, fits: (par: Parallelism) => boolean): number | null {
  const par = (pp: number): Parallelism => ({ tp, pp, ep, moeTp: Math.max(1, tp / ep), dp: 1 });
  if (fits(par(1))) return 1;
  // Doubling then bisecting: at most ~2·log2(layers) memory plans.
  let hi = 2;
  while (hi < model.numLayers && !fits(par(hi))) hi *= 2;
  hi = Math.min(hi, model.numLayers);
  if (!fits(par(hi))) return null;
  let lo = Math.max(1, hi >> 1);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(par(mid))) hi = mid;
    else lo = mid;
  }
  return hi;
}

export const parLabel = (p: Parallelism): string =>
  `tp${p.tp}${p.pp > 1 ? `·pp${p.pp}` : ''}${p.ep > 1 ? `·ep${p.ep}` : ''}${p.dp > 1 ? `·dp${p.dp}` : ''}`;

export const poolInput = (d: PoolDesign, replicas: number) => ({
  device: d.device.id,
  replicas,
  parallelism: { tp: d.par.tp, pp: d.par.pp, ep: d.par.ep, dp: d.par.dp },
  scheduler: { maxNumSeqs: d.maxNumSeqs, maxNumBatchedTokens: d.maxNumBatchedTokens },
  memoryReserveFraction: d.reserveFraction,
});

/** Smallest integer ≥ x, treating values within 1e-9 of an integer as that integer. */
export const ceilish = (x: number): number => Math.max(1, Math.ceil(x - 1e-9));

/** Powers of two ≥ 8 below the default cap of 256, at most `batch`: a batch cap that keeps the TPOT target. */
export function batchCapBelow(batch: number): number | null {
  if (batch >= 256 || batch < 8) return null;
  let b = 8;
  while (b * 2 <= batch) b *= 2;
  return b;
}
