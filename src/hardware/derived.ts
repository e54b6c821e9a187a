/**
 * Figures derived from a device's cited ones, for `phasewise show hardware ID` and for placement: which tier
 * weights stream from, ridge points, and price/energy per unit of compute and bandwidth. A derived value is
 * null whenever an input is null; nothing is guessed here.
 */
import type { ComputeDtype, Device, TierKind } from './types.js';
import { COMPUTE_DTYPES, TIER_KINDS } from './types.js';

export interface DeviceDerived {
  /** Fastest tier with a known, non-zero capacity and bandwidth: where weights go when they fit. */
  readonly fastestTier: TierKind | null;
  /** Largest known tier: where weights and KV go when nothing faster holds them. */
  readonly largestTier: TierKind | null;
  /** Tier weights stream from by default: `sram` on SRAM-only chips, else the fastest tier. */
  readonly weightsTier: TierKind | null;
  readonly weightsTierCapacityBytes: number | null;
  readonly weightsTierBandwidthBytesPerS: number | null;
  /** Time to read the whole weights tier once: the floor of a decode step that streams all of it. */
  readonly weightsTierSweepS: number | null;
  /** Weights-tier capacity of a full scale-up domain: the largest model one domain holds without scale-out. */
  readonly scaleUpDomainCapacityBytes: number | null;
  /** Sum of the known tier capacities per chip. */
  readonly totalCapacityBytes: number | null;
  /** FLOP per byte read from the weights tier at which compute and memory time are equal, per dtype. */
  readonly ridgeFlopPerByte: Readonly<Record<ComputeDtype, number | null>>;
  /** Rental USD for one PFLOP/s sustained for an hour (price / PFLOP/s), per dtype. */
  readonly usdPerPflopsHour: Readonly<Record<ComputeDtype, number | null>>;
  /** Rental USD for one TB/s of weights-tier bandwidth for an hour: the price of decode speed. */
  readonly usdPerTbPerSHour: number | null;
  /** Peak FLOP per joule at full power, per dtype. */
  readonly flopPerJoule: Readonly<Record<ComputeDtype, number | null>>;
}

/** A tier is usable for placement when both its capacity and bandwidth are known and positive. */
export function isUsableTier(device: Device, tier: TierKind): boolean {
  const t = device.memory[tier];
  return positive(t.capacityBytes.value) !== null && positive(t.bandwidthBytesPerS.value) !== null;
}

/** The highest-bandwidth usable tier (ties go to the faster-by-kind tier: sram, then hbm, then dram). */
export function fastestTier(device: Device): TierKind | null {
  let best: TierKind | null = null;
  let bestBw = 0;
  for (const tier of TIER_KINDS) {
    const bw = device.memory[tier].bandwidthBytesPerS.value;
    if (isUsableTier(device, tier) && bw !== null && bw > bestBw) {
      best = tier;
      bestBw = bw;
    }
  }
  return best;
}

/** The tier with the largest known positive capacity. */
export function largestTier(device: Device): TierKind | null {
  let best: TierKind | null = null;
  let bestBytes = 0;
  for (const tier of TIER_KINDS) {
    const bytes = device.memory[tier].capacityBytes.value;
    if (bytes !== null && bytes > bestBytes) {
      best = tier;
      bestBytes = bytes;
    }
  }
  return best;
}

/** Where weights stream from by default: SRAM on SRAM-only chips (if its size is known), else the fastest tier. */
export function weightsTier(device: Device): TierKind | null {
  if (device.weightsInSramOnly) return positive(device.memory.sram.capacityBytes.value) !== null ? 'sram' : null;
  return fastestTier(device);
}

export function deviceDerived(device: Device): DeviceDerived {
  const tier = weightsTier(device);
  const capacity = tier ? positive(device.memory[tier].capacityBytes.value) : null;
  const bandwidth = tier ? positive(device.memory[tier].bandwidthBytesPerS.value) : null;
  const price = device.priceUsdPerHour.value;
  const power = positive(device.powerW.value);
  const domain = device.scaleUp.domainChips.value;
  const capacities = TIER_KINDS.map((t) => device.memory[t].capacityBytes.value).filter((v): v is number => v !== null);
  const ridgeFlopPerByte = perDtype(device, (f) => ratio(f, bandwidth));
  const usdPerPflopsHour = perDtype(device, (f) => ratio(price, f === null ? null : f / 1e15));
  const flopPerJoule = perDtype(device, (f) => ratio(f, power));
  return {
    fastestTier: fastestTier(device),
    largestTier: largestTier(device),
    weightsTier: tier,
    weightsTierCapacityBytes: capacity,
    weightsTierBandwidthBytesPerS: bandwidth,
    weightsTierSweepS: ratio(capacity, bandwidth),
    scaleUpDomainCapacityBytes: capacity !== null && domain !== null ? capacity * domain : null,
    totalCapacityBytes: capacities.length > 0 ? capacities.reduce((a, b) => a + b, 0) : null,
    ridgeFlopPerByte,
    usdPerPflopsHour,
    usdPerTbPerSHour: ratio(price, bandwidth === null ? null : bandwidth / 1e12),
    flopPerJoule,
  };
}

function perDtype(device: Device, f: (flops: number | null) => number | null): Record<ComputeDtype, number | null> {
  const out = {} as Record<ComputeDtype, number | null>;
  for (const dt of COMPUTE_DTYPES) out[dt] = f(positive(device.flopsPerS[dt].value));
  return out;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

function positive(v: number | null): number | null {
  return v !== null && v > 0 ? v : null;
}
