import { UsageError } from '../core/errors.js';
import type { Device } from '../hardware/types.js';
import { DEFAULT_LINK_BANDWIDTH_BYTES_PER_S, DEFAULT_SCALE_OUT_LATENCY_S, DEFAULT_SCALE_UP_LATENCY_S, type LinkLike } from '../perf/collectives.js';
import type { LinkConfig } from '../scenario/schema.js';

/** The catalog link a class names: `nvlink` and `c2c` are scale-up, `ethernet` and `infiniband` scale-out. */
export function linkClassOf(c: LinkConfig['class']): 'scale-up' | 'scale-out' | 'custom' {
  switch (c) {
    case 'scale-up':
    case 'nvlink':
    case 'c2c':
      return 'scale-up';
    case 'scale-out':
    case 'ethernet':
    case 'infiniband':
      return 'scale-out';
    case 'custom':
      return 'custom';
  }
}

/** The same link config with its class reduced to the three the PD link understands. */
export function normaliseLink(cfg: LinkConfig): LinkConfig {
  return { ...cfg, class: linkClassOf(cfg.class) };
}

/**
 * The link between two pools: the scenario's figures, else the slower end's catalog figure for the class
 * (bandwidth: the smaller; latency: the larger). A missing latency takes the class default (5 µs scale-up, 10 µs scale-out) with a warning, since per-hop
 * latency is what AFD and speculative decoding are most sensitive to. A missing bandwidth takes the PCIe-class
 * default of the collectives (64 GB/s), also with a warning; a `custom` link must give it.
 */
export function resolveLink(cfg: LinkConfig, a: Device, b: Device, where: string): { link: LinkLike; warnings: string[] } {
  const cls = linkClassOf(cfg.class);
  let bandwidth = cfg.bandwidthBytesPerS;
  let latency = cfg.latencyS;
  const warnings: string[] = [];
  if (cls !== 'custom') {
    const spec = (d: Device) => (cls === 'scale-up' ? d.scaleUp : d.scaleOut);
    const bwA = spec(a).bandwidthBytesPerS.value;
    const bwB = spec(b).bandwidthBytesPerS.value;
    if (bandwidth === undefined && bwA !== null && bwB !== null) bandwidth = Math.min(bwA, bwB);
    const latA = spec(a).latencyS.value;
    const latB = spec(b).latencyS.value;
    if (latency === undefined && latA !== null && latB !== null) latency = Math.max(latA, latB);
  }
  if (bandwidth === undefined) {
    if (cls === 'custom') {
      throw new UsageError(`${where}.bandwidthBytesPerS`, undefined, 'a number of bytes/s per chip, per direction (a custom link needs it)');
    }
    // As the collectives do for chips without link figures: a PCIe-class link, said out loud.
    bandwidth = DEFAULT_LINK_BANDWIDTH_BYTES_PER_S;
    warnings.push(
      `${where}: no ${cfg.class} bandwidth for ${a.id === b.id ? a.id : `${a.id}/${b.id}`} in the catalog; assumed ${bandwidth / 1e9} GB/s per chip (set ${where}.bandwidthBytesPerS)`,
    );
  }
  if (latency === undefined) {
    latency = cls === 'scale-out' ? DEFAULT_SCALE_OUT_LATENCY_S : DEFAULT_SCALE_UP_LATENCY_S;
    warnings.push(`${where}: no ${cfg.class} latency for ${a.id === b.id ? a.id : `${a.id}/${b.id}`} in the catalog; assumed ${latency * 1e6} µs per hop (set ${where}.latencyS)`);
  }
  return { link: { bandwidthBytesPerS: bandwidth, latencyS: latency }, warnings };
}
