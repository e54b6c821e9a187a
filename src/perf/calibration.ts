import type { Device } from '../hardware/types.js';
import { CALIBRATION_SOURCES, CALIBRATION_VERSION, GENERIC_CALIBRATION, SYSTEM_CALIBRATIONS } from './calibration-data.js';
import type {
  BackendOverhead,
  BackendTables,
  CalibrationSet,
  GenericCalibration,
  ReferencePeaks,
  SystemCalibration,
  TableBackend,
} from './calibration-types.js';
import { unpackGrid, type Grid, type PackedGrid } from './interp.js';
import { BACKEND_OVERHEADS } from './overheads.js';
import type { Peaks } from './roofline.js';
import type { Backend } from './types.js';

/** The calibration shipped with phasewise: fitted tables (calibration-data.ts) plus the backend overheads. */
export const BUILTIN_CALIBRATION: CalibrationSet = {
  version: CALIBRATION_VERSION,
  sources: CALIBRATION_SOURCES,
  systems: SYSTEM_CALIBRATIONS,
  generic: GENERIC_CALIBRATION,
  overhead: BACKEND_OVERHEADS,
};

/** Backends whose tables stand in for a backend's missing one, nearest kernel families first. */
const BACKEND_ORDER: Readonly<Record<Backend, readonly TableBackend[]>> = {
  trtllm: ['trtllm', 'sglang', 'vllm'],
  // SGLang and vLLM on Blackwell call the same FlashInfer / TensorRT-LLM-gen kernels; on Hopper the same FA3.
  sglang: ['sglang', 'trtllm', 'vllm'],
  vllm: ['vllm', 'sglang', 'trtllm'],
  generic: ['trtllm', 'sglang', 'vllm'],
};

/** What the operator models need for one device and backend. */
export interface DeviceCalibration {
  readonly device: Device;
  /** The aiconfigurator system whose kernel tables apply, or null (transfer curves only). */
  readonly system: SystemCalibration | null;
  /**
   * How the system's collective tables (NCCL, custom all-reduce) apply: a message of b bytes takes the tables' time
   * for `collectiveByteScale`·b bytes. 1 for the system's own chips and chips on a scale-up link of the same
   * bandwidth (within 10 %); the system's link bandwidth over the chip's for a chip on other links (the measured
   * curve, its latency regime kept, at the chip's bandwidth); null where the chip's link is unknown.
   */
  readonly collectiveByteScale: number | null;
  /** Peaks the rooflines are taken against (see `resolveCalibration`). */
  readonly peaks: Peaks;
  readonly backends: readonly BackendTables[];
  readonly generic: GenericCalibration;
  readonly overhead: BackendOverhead;
}

const unpacked = new WeakMap<PackedGrid, Grid>();

/** Decoded grid, decoded once per process. */
export function gridOf(p: PackedGrid): Grid {
  let g = unpacked.get(p);
  if (!g) {
    g = unpackGrid(p);
    unpacked.set(p, g);
  }
  return g;
}

/** The first backend (in fallback order) that has a table under `pick`: its tables and that grid. */
export function findBackendTable(
  dc: DeviceCalibration,
  pick: (t: BackendTables) => PackedGrid | undefined,
): { readonly tables: BackendTables; readonly grid: Grid } | null {
  for (const t of dc.backends) {
    const p = pick(t);
    if (p) return { tables: t, grid: gridOf(p) };
  }
  return null;
}

/** The first backend (in fallback order) that has a table under `pick`. */
export function findTable(dc: DeviceCalibration, pick: (t: BackendTables) => PackedGrid | undefined): Grid | null {
  return findBackendTable(dc, pick)?.grid ?? null;
}

export function findSystem(device: Device, calib: CalibrationSet): SystemCalibration | null {
  const names = new Set([device.id.toLowerCase(), ...device.aliases.map((a) => a.toLowerCase())]);
  for (const s of calib.systems) {
    if (names.has(s.id) || s.matches.some((m) => names.has(m))) return s;
  }
  return null;
}

function figure(v: number | null, what: string, device: Device): number {
  if (v === null || !(v > 0)) throw new Error(`device ${device.id}: ${what} is unknown; the performance model needs it`);
  return v;
}

/**
 * The device's own peak rates (HBM, or SRAM for chips without HBM). A chip that publishes only narrower rates
 * (fp8/int8 or fp4, as several inference ASICs do) is assumed to run bf16 at half its 8-bit rate (a quarter of
 * its 4-bit rate), the ratio of every tensor-core generation that has both.
 */
export function devicePeaks(device: Device): Peaks {
  const f = device.flopsPerS;
  const eight = f.fp8.value ?? f.int8.value;
  const bf16 = figure(f.bf16.value ?? (eight !== null ? eight / 2 : f.fp4.value !== null ? f.fp4.value / 4 : null), 'every FLOP/s figure', device);
  const fp8 = eight ?? bf16;
  const int8 = f.int8.value ?? fp8;
  const fp4 = f.fp4.value ?? fp8;
  const mem = device.memory.hbm.bandwidthBytesPerS.value ?? device.memory.sram.bandwidthBytesPerS.value ?? device.memory.dram.bandwidthBytesPerS.value;
  return { flopsPerS: { bf16, fp8, fp4, int8 }, memBytesPerS: figure(mem, 'memory bandwidth', device) };
}

const close = (a: number, b: number): boolean => Math.abs(a / b - 1) <= 0.1;

/** A measured system's reference peaks as rooflines take them (a system without fp4 runs 4-bit at its fp8 rate). */
export function referencePeaks(r: ReferencePeaks): Peaks {
  return {
    flopsPerS: { bf16: r.bf16FlopsPerS, fp8: r.fp8FlopsPerS, fp4: r.fp4FlopsPerS ?? r.fp8FlopsPerS, int8: r.int8FlopsPerS },
    memBytesPerS: r.memBytesPerS,
  };
}

/**
 * Largest relative difference of every peak rate (bf16, fp8, fp4, memory bandwidth) at which a device without
 * tables counts as a measured system's sibling — the same silicon in another package or at another clock, e.g.
 * GB300 and B300 (docs/perf.md, "Transfer curves"). Reported; whether collective tables apply is the links' call.
 */
export const SIBLING_PEAK_TOLERANCE = 0.25;

/** Every measured system is an NVIDIA GPU; a chip of another vendor or kind runs other kernels and borrows no tables. */
const TABLES_VENDOR = 'NVIDIA';

/**
 * Distance in peak rates between a chip and a measured system: the sum of |ln ratio| over bf16, fp8, fp4 (a rate
 * a chip lacks counts as its fp8 rate, as devicePeaks does) and memory bandwidth; and the largest single gap.
 */
function peakDistance(own: Peaks, s: SystemCalibration): { readonly sum: number; readonly max: number } {
  const r = referencePeaks(s.ref);
  const pairs: readonly (readonly [number, number])[] = [
    [own.flopsPerS.bf16, r.flopsPerS.bf16],
    [own.flopsPerS.fp8, r.flopsPerS.fp8],
    [own.flopsPerS.fp4, r.flopsPerS.fp4],
    [own.memBytesPerS, r.memBytesPerS],
  ];
  const gaps = pairs.map(([a, b]) => Math.abs(Math.log(a / b)));
  return { sum: gaps.reduce((x, y) => x + y, 0), max: Math.max(...gaps) };
}

/**
 * The measured system nearest to `own` in peak rates, and whether it is a sibling (every gap within
 * SIBLING_PEAK_TOLERANCE); null when there is no system. A chip without tables runs its vendor's kernels at
 * efficiencies (measured time against the roofline) closer to the nearest measured chip's than to the median
 * curve over all of them: with one system's tables withheld at a time, its dev rows' TPOT median APE is 8–16 %
 * from the nearest system's tables against 13–18 % from the transfer curves (docs/perf.md, "Transfer";
 * `npm run bench:transfer`).
 */
export function nearestSystem(own: Peaks, calib: CalibrationSet): { readonly system: SystemCalibration; readonly sibling: boolean } | null {
  let best: { system: SystemCalibration; sibling: boolean } | null = null;
  let bestDistance = Infinity;
  const limit = Math.log(1 + SIBLING_PEAK_TOLERANCE);
  for (const s of calib.systems) {
    const d = peakDistance(own, s);
    if (!(d.sum < bestDistance)) continue;
    best = { system: s, sibling: d.max <= limit };
    bestDistance = d.sum;
  }
  return best;
}

/**
 * Resolve the calibration for a device and backend. For a device that is one of the measured systems, the
 * rooflines use the system's reference peaks, so a table lookup reproduces the measured time; if the device's
 * own figures differ by more than 10% (a user override: "an H100 with 2× the bandwidth"), its own peaks are
 * used with the measured efficiency shape.
 */
export function resolveCalibration(device: Device, backend: Backend, calib: CalibrationSet = BUILTIN_CALIBRATION): DeviceCalibration {
  const own = devicePeaks(device);
  // A vendor's chip without tables of its own borrows the kernel tables of the nearest measured chip: the tables
  // hold efficiencies relative to the roofline, which its own peaks then scale. Collective tables need its links.
  const ownSystem = findSystem(device, calib);
  const nearest = ownSystem === null && device.vendor === TABLES_VENDOR && device.kind === 'gpu' ? nearestSystem(own, calib) : null;
  const system = ownSystem ?? nearest?.system ?? null;
  const scaleUp = device.scaleUp.bandwidthBytesPerS.value;
  const sameLinks = nearest !== null && scaleUp !== null && close(scaleUp, nearest.system.ref.scaleUpBytesPerS);
  // A sibling in peaks may still sit on other links (A100 PCIe beside A100 SXM's NVLink): links decide alone.
  const collectiveByteScale =
    ownSystem !== null || sameLinks ? 1 : nearest !== null && scaleUp !== null && scaleUp > 0 ? nearest.system.ref.scaleUpBytesPerS / scaleUp : null;
  let peaks = own;
  if (system) {
    const r = system.ref;
    if (close(own.flopsPerS.bf16, r.bf16FlopsPerS) && close(own.memBytesPerS, r.memBytesPerS)) peaks = referencePeaks(r);
  }
  const backends = system ? BACKEND_ORDER[backend].map((b) => system.backends[b]).filter((t): t is BackendTables => t !== undefined) : [];
  return { device, system, collectiveByteScale, peaks, backends, generic: calib.generic, overhead: calib.overhead[backend] };
}
