/**
 * Applies one validated device-file entry to a device: a deep merge where a given figure replaces the old one
 * whole (with the file as its source unless the entry names one), aliases and sources are unioned, and
 * anything not given is kept.
 */
import type { DeviceInput, FigureInput } from './schema.js';
import type { ComputeDtype, Device, Figure, MemoryTier, TierKind } from './types.js';
import { COMPUTE_DTYPES, TIER_KINDS } from './types.js';

export function toFigure(input: FigureInput, where: string): Figure {
  if (input === null) return { value: null, source: `${where} (set to unknown)` };
  if (typeof input === 'number') return { value: input, source: where };
  const source = input.source ?? where;
  return input.note !== undefined ? { value: input.value, source, note: input.note } : { value: input.value, source };
}

export function mergeDevice(device: Device, input: DeviceInput, where: string): Device {
  const fig = (old: Figure, given: FigureInput | undefined): Figure => (given === undefined ? old : toFigure(given, where));
  const flopsPerS = {} as Record<ComputeDtype, Figure>;
  for (const dt of COMPUTE_DTYPES) flopsPerS[dt] = fig(device.flopsPerS[dt], input.flopsPerS?.[dt]);
  const memory = {} as Record<TierKind, MemoryTier>;
  for (const t of TIER_KINDS) {
    const old = device.memory[t];
    const given = input.memory?.[t];
    memory[t] = {
      capacityBytes: fig(old.capacityBytes, given?.capacityBytes),
      bandwidthBytesPerS: fig(old.bandwidthBytesPerS, given?.bandwidthBytesPerS),
    };
  }
  const notes = input.notes ?? device.notes;
  const givenLinks = input.scaleUp?.pointToPointLinks;
  const links = givenLinks !== undefined ? toFigure(givenLinks, where) : device.scaleUp.pointToPointLinks;
  const opLatency = input.dataflowOpLatencyS !== undefined ? toFigure(input.dataflowOpLatencyS, where) : device.dataflowOpLatencyS;
  return {
    id: device.id,
    name: input.name ?? device.name,
    vendor: input.vendor ?? device.vendor,
    kind: input.kind ?? device.kind,
    aliases: union(device.aliases, input.aliases ?? []),
    flopsPerS,
    memory,
    scaleUp: {
      bandwidthBytesPerS: fig(device.scaleUp.bandwidthBytesPerS, input.scaleUp?.bandwidthBytesPerS),
      latencyS: fig(device.scaleUp.latencyS, input.scaleUp?.latencyS),
      domainChips: fig(device.scaleUp.domainChips, input.scaleUp?.domainChips),
      ...(links !== undefined ? { pointToPointLinks: links } : {}),
    },
    scaleOut: {
      bandwidthBytesPerS: fig(device.scaleOut.bandwidthBytesPerS, input.scaleOut?.bandwidthBytesPerS),
      latencyS: fig(device.scaleOut.latencyS, input.scaleOut?.latencyS),
    },
    powerW: fig(device.powerW, input.powerW),
    priceUsdPerHour: fig(device.priceUsdPerHour, input.priceUsdPerHour),
    weightsInSramOnly: input.weightsInSramOnly ?? device.weightsInSramOnly,
    ...(opLatency !== undefined ? { dataflowOpLatencyS: opLatency } : {}),
    sources: union(device.sources, [...(input.sources ?? []), where]),
    ...(notes !== undefined ? { notes } : {}),
  };
}

/** A device with every figure unknown, for a new entry to be merged onto. */
export function blankDevice(input: DeviceInput, where: string): Device {
  const unknown = (): Figure => ({ value: null, source: `${where}: not given` });
  const tier = (): MemoryTier => ({ capacityBytes: unknown(), bandwidthBytesPerS: unknown() });
  return {
    id: input.id,
    name: input.id,
    vendor: 'user-defined',
    kind: input.kind ?? 'gpu',
    aliases: [],
    flopsPerS: { bf16: unknown(), fp8: unknown(), fp4: unknown(), int8: unknown() },
    memory: { sram: tier(), hbm: tier(), dram: tier() },
    scaleUp: { bandwidthBytesPerS: unknown(), latencyS: unknown(), domainChips: unknown() },
    scaleOut: { bandwidthBytesPerS: unknown(), latencyS: unknown() },
    powerW: unknown(),
    priceUsdPerHour: unknown(),
    weightsInSramOnly: false,
    sources: [],
  };
}

/** A new device copied from a catalog one: same figures and sources, its own id, no aliases. */
export function deviceFromBase(base: Device, input: DeviceInput): Device {
  return { ...base, id: input.id, name: `${input.id} (based on ${base.id})`, aliases: [] };
}

/** What a new device without a base lacks to be simulated: kind, some compute, one usable memory tier. */
export function missingForNewDevice(input: DeviceInput): string[] {
  const missing: string[] = [];
  if (input.kind === undefined) missing.push('kind');
  const known = (f: FigureInput | undefined): boolean =>
    f !== undefined && f !== null && (typeof f === 'number' || f.value !== null);
  if (!COMPUTE_DTYPES.some((dt) => known(input.flopsPerS?.[dt]))) missing.push('a flopsPerS figure (bf16, fp8, fp4 or int8)');
  const usable = TIER_KINDS.some((t) => known(input.memory?.[t]?.capacityBytes) && known(input.memory?.[t]?.bandwidthBytesPerS));
  if (!usable) missing.push('a memory tier (sram, hbm or dram) with capacityBytes and bandwidthBytesPerS');
  return missing;
}

/** Default for a new device that does not say: an SRAM chip with no known off-chip memory holds weights in SRAM. */
export function defaultWeightsInSramOnly(device: Device): boolean {
  const offChip = [device.memory.hbm.capacityBytes.value, device.memory.dram.capacityBytes.value];
  return device.kind === 'sram' && offChip.every((v) => v === null || v === 0);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
