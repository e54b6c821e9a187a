import { findBackendTable, type DeviceCalibration } from './calibration.js';
import { transferTimeS } from './efficiency.js';
import { lookup, monotoneAt, monotoneCurve, pow2Axis, type Grid } from './interp.js';
import { QUANT_FALLBACK, type QuantMode } from './quant.js';
import { expectedExpertsTouched, moeWork, roofS, type Peaks } from './roofline.js';

export { expectedExpertsTouched };

/** The routed experts of one GPU of the MoE group. */
export interface MoeRankShape {
  readonly hidden: number;
  readonly inter: number;
  readonly topK: number;
  readonly numExperts: number;
  readonly moeTp: number;
  readonly ep: number;
  readonly quant: QuantMode;
  /** 3 for gated (SwiGLU) experts, 2 for plain MLP experts. */
  readonly matrices: number;
}

/** The measured MoE table for `quant` (or its fallbacks), and whether it measured only expert-parallel splits. */
function moeTable(dc: DeviceCalibration, quant: QuantMode): { readonly grid: Grid; readonly epOnly: boolean } | null {
  for (const q of QUANT_FALLBACK[quant]) {
    const found = findBackendTable(dc, (t) => t.moe?.[q]);
    if (found) return { grid: found.grid, epOnly: found.tables.moeEpOnly?.includes(q) ?? false };
  }
  return null;
}

/**
 * Seconds of the routed-expert computation (grouped GEMMs, routing, permutation) on one GPU for `tokens`
 * tokens entering the MoE layer across the whole EP group. Roofline: the expected distinct experts touched,
 * E·(1 − (1 − k/E)^T), are each read once; compute ∝ T·k. The measured ratio is looked up by tokens per expert
 * (T·k/E), local expert size and local expert count, and includes the routing skew of aiconfigurator's
 * power-law (α = 1.01) token distribution.
 *
 * A table that measured the experts split only by count (EP), never by width (TP) — TensorRT-LLM's Hopper MXFP4
 * tables — costs a TP split over n GPUs as its EP split over n: each leaves a GPU 1/n of the expert bytes and
 * FLOPs, and where both were measured TP took a median 0.6–1.2× the EP time by table (docs/perf.md, "Method", item 6).
 * Extrapolating the time/roofline ratio to narrower experts instead drops the kernels' fixed cost.
 */
export function moeTimeS(dc: DeviceCalibration, s: MoeRankShape, tokens: number, peaks: Peaks = dc.peaks): number {
  if (tokens <= 0) return 0;
  const table = moeTable(dc, s.quant);
  const asEp = table !== null && table.epOnly && s.moeTp > 1 && s.ep * s.moeTp <= s.numExperts;
  const r = asEp ? { ...s, moeTp: 1, ep: s.ep * s.moeTp } : s;
  const w = moeWork(tokens, r.hidden, r.inter, r.topK, r.numExperts, r.moeTp, r.ep, r.quant, r.matrices);
  if (!table) return transferTimeS(dc.generic.moe, w, peaks);
  const expertElems = (3 * r.hidden * r.inter) / r.moeTp;
  return Math.exp(lookup(table.grid, [(tokens * r.topK) / r.numExperts, expertElems, r.numExperts / r.ep])) * roofS(w, peaks);
}

const T_AXIS = pow2Axis(1, 2 ** 20);

/** `moeTimeS` tabulated over the token count and made non-decreasing (see gemmCostFn). */
export function moeCostFn(dc: DeviceCalibration, s: MoeRankShape, peaks: Peaks = dc.peaks): (tokens: number) => number {
  const curve = monotoneCurve(T_AXIS, (t) => moeTimeS(dc, s, t, peaks));
  const tail = (t: number): number => roofS(moeWork(t, s.hidden, s.inter, s.topK, s.numExperts, s.moeTp, s.ep, s.quant, s.matrices), peaks);
  return (tokens) => (tokens > 0 ? monotoneAt(curve, tokens, tail) : 0);
}
