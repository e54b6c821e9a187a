import type { Device } from '../hardware/types.js';
import type { CollectiveFit } from './calibration-types.js';
import { BUILTIN_CALIBRATION, findTable, gridOf, type DeviceCalibration } from './calibration.js';
import { lookup, type Grid } from './interp.js';
import { algBytesFactor } from './roofline.js';

export { algBytesFactor };

export type CollectiveKind = 'allreduce' | 'allgather' | 'alltoall' | 'reducescatter' | 'send';

/** A link as the collective model needs it (plain numbers; see `linkOf` for a device's). */
export interface LinkLike {
  /** Per chip, per direction. */
  readonly bandwidthBytesPerS: number;
  /** One-way latency of a small message. */
  readonly latencyS: number;
}

/**
 * A point-to-point send: one link latency, then the bytes at the collectives' fitted bandwidth efficiency.
 */
const SEND_FIT: CollectiveFit = { latencyMultiple: 1, latencyPerLog2Gpus: 0, bandwidthEfficiency: 0.8 };

export function defaultCollectiveFit(kind: CollectiveKind): CollectiveFit {
  return kind === 'send' ? SEND_FIT : BUILTIN_CALIBRATION.generic.collective[kind];
}

/**
 * Alpha–beta time of a collective over `chips` chips of a message of `bytes` (the full per-chip buffer: for
 * all-reduce each chip's input; for all-gather the gathered output; for all-to-all what each chip sends in
 * all):
 *
 *   t = L·(a + b·log2 n) + f(n)·bytes / (BW·e),   f = 2(n−1)/n for all-reduce, (n−1)/n for gather/scatter/all-to-all
 *
 * with (a, b, e) fitted on the NCCL tables of every measured system (docs/perf.md); pass `fit` to override,
 * e.g. { latencyMultiple: 2·(n−1), latencyPerLog2Gpus: 0, bandwidthEfficiency: 1 } for the textbook ring.
 */
export function collectiveTimeS(kind: CollectiveKind, bytes: number, chips: number, link: LinkLike, fit: CollectiveFit = defaultCollectiveFit(kind)): number {
  if (bytes <= 0) return 0;
  if (kind !== 'send' && chips <= 1) return 0;
  const n = kind === 'send' ? 2 : chips;
  const latency = link.latencyS * (fit.latencyMultiple + fit.latencyPerLog2Gpus * Math.log2(n));
  return latency + (algBytesFactor(kind, n) * bytes) / (link.bandwidthBytesPerS * fit.bandwidthEfficiency);
}

/** Scale-up latency assumed when a device gives none (NVLink-class small-message latency). */
export const DEFAULT_SCALE_UP_LATENCY_S = 5e-6;
/** Scale-out latency assumed when a device gives none (InfiniBand / RoCE small message). */
export const DEFAULT_SCALE_OUT_LATENCY_S = 10e-6;

/** Chips in one scale-up domain when a device does not say (an HGX / DGX node of eight GPUs). */
export const DEFAULT_SCALE_UP_DOMAIN_CHIPS = 8;

/** Chips a device's scale-up domain holds (NVLink domain, node), or the default when the catalog gives none. */
export function scaleUpDomainChips(device: Device): number {
  return device.scaleUp.domainChips.value ?? DEFAULT_SCALE_UP_DOMAIN_CHIPS;
}

/** Link bandwidth assumed when a device gives neither a scale-up nor a scale-out figure: PCIe 5.0 ×16, one way. */
export const DEFAULT_LINK_BANDWIDTH_BYTES_PER_S = 64e9;

/**
 * The link a group of `chips` chips talks over: scale-up inside one domain (scaleUpDomainChips),
 * scale-out beyond it; missing figures fall back to the other link, then to the defaults above. On a
 * switchless mesh (Device.scaleUp.pointToPointLinks) a group inside the domain gets only the links between
 * its members: two MI300X talk over one of their seven Infinity Fabric links, eight over all seven.
 */
export function linkOf(device: Device, chips: number): LinkLike {
  const domain = scaleUpDomainChips(device);
  const up = device.scaleUp.bandwidthBytesPerS.value;
  const out = device.scaleOut.bandwidthBytesPerS.value;
  if (chips <= domain && up !== null && up > 0) {
    return { bandwidthBytesPerS: up * meshShare(device, chips), latencyS: device.scaleUp.latencyS.value ?? DEFAULT_SCALE_UP_LATENCY_S };
  }
  const bw = out !== null && out > 0 ? out : up !== null && up > 0 ? up : DEFAULT_LINK_BANDWIDTH_BYTES_PER_S;
  return { bandwidthBytesPerS: bw, latencyS: device.scaleOut.latencyS.value ?? DEFAULT_SCALE_OUT_LATENCY_S };
}

/** Share of the per-chip scale-up bandwidth a group of `chips` reaches: 1 when switched, (chips − 1) of the links on a mesh. */
export function meshShare(device: Device, chips: number): number {
  const links = device.scaleUp.pointToPointLinks?.value ?? null;
  if (links === null || links <= 0) return 1;
  return Math.min(Math.max(chips - 1, 1), links) / links;
}

function commGrid(dc: DeviceCalibration, kind: CollectiveKind): Grid | null {
  if (kind === 'send' || dc.collectiveByteScale === null) return null;
  if (kind === 'allreduce') {
    const custom = findTable(dc, (t) => t.allreduce);
    if (custom) return custom;
  }
  const p = dc.system?.nccl[kind];
  return p ? gridOf(p) : null;
}

/**
 * Time of a collective on a device: the backend's measured custom all-reduce or the system's NCCL table where
 * the GPU count is inside the measured range (interpolated in log GPUs and log bytes; linear in bytes beyond the
 * largest message), else the alpha–beta model over the device's link, anchored to the table at its largest
 * measured GPU count when there is one (so 16- or 72-GPU groups continue the measured curve).
 */
export function commTimeS(dc: DeviceCalibration, kind: CollectiveKind, bytes: number, chips: number): number {
  if (bytes <= 0) return 0;
  if (kind !== 'send' && chips <= 1) return 0;
  const link = linkOf(dc.device, kind === 'send' ? 2 : chips);
  const g = commGrid(dc, kind);
  // Without tables: the calibration set's alpha–beta fit (the built-in one for GPUs; one exchange on dataflow chips).
  if (!g) return collectiveTimeS(kind, bytes, chips, link, kind === 'send' ? undefined : dc.generic.collective[kind]);
  const gpus = g.logAxes[0]!;
  const bytesAxis = g.logAxes[1]!;
  const maxBytes = 2 ** (bytesAxis[bytesAxis.length - 1] ?? 0);
  const minN = 2 ** (gpus[0] ?? 1);
  const maxN = 2 ** (gpus[gpus.length - 1] ?? 1);
  // On a link of another bandwidth the measured curve is read at the bytes that take as long there (collectiveByteScale).
  const tableBytes = bytes * dc.collectiveByteScale!;
  if (chips >= minN && chips <= maxN) return tableAt(g, chips, tableBytes, maxBytes);
  const anchor = chips > maxN ? maxN : minN;
  // The table was measured inside one scale-up domain: continue it over the scale-up link (like with like), then add
  // the traffic that must leave the domain (crossDomainS).
  const up = linkOf(dc.device, anchor);
  const scale = tableAt(g, anchor, tableBytes, maxBytes) / collectiveTimeS(kind, bytes, anchor, up);
  return collectiveTimeS(kind, bytes, chips, up) * scale + crossDomainS(dc.device, kind, bytes, chips);
}

/**
 * Extra time of a collective whose group spans k > 1 scale-up domains of d chips (e.g. 16 GPUs on two 8-GPU HGX
 * nodes), as hierarchical algorithms run it: the bytes that must cross domains go over the scale-out link, one NIC
 * per chip, after the in-domain phase. Per chip: all-to-all sends (n − d)/n of its buffer out of its domain;
 * all-reduce exchanges its 1/d shard with the other domains, 2(k − 1)/k of it; all-gather / reduce-scatter
 * (k − 1)/k of a 1/d shard. 0 inside one domain or when the device gives no separate scale-out link.
 */
export function crossDomainS(device: Device, kind: CollectiveKind, bytes: number, chips: number): number {
  const d = scaleUpDomainChips(device);
  if (kind === 'send' || chips <= d || bytes <= 0) return 0;
  const out = linkOf(device, chips);
  const k = Math.ceil(chips / d);
  const cross =
    kind === 'alltoall' ? (bytes * (chips - d)) / chips : kind === 'allreduce' ? (2 * (k - 1) * bytes) / (k * d) : ((k - 1) * bytes) / (k * d);
  const fit = defaultCollectiveFit(kind);
  return out.latencyS * (fit.latencyMultiple + fit.latencyPerLog2Gpus * Math.log2(k)) + cross / (out.bandwidthBytesPerS * fit.bandwidthEfficiency);
}

/** Reused lookup point: commTimeS runs for every simulated step that is not cached. */
const point = [0, 0];

/** The table's time for n chips and b bytes; past its largest message, linear in bytes from there. */
function tableAt(g: Grid, n: number, b: number, maxBytes: number): number {
  point[0] = n;
  point[1] = Math.min(b, maxBytes);
  const t = Math.exp(lookup(g, point));
  return b > maxBytes ? t * (b / maxBytes) : t;
}
