import { findTable, type DeviceCalibration } from './calibration.js';
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

function moeGrid(dc: DeviceCalibration, quant: QuantMode): Grid | null {
  for (const q of QUANT_FALLBACK[quant]) {
    const g = findTable(dc, (t) => t.moe?.[q]);
    if (g) return g;
  }
  return null;
}

/**
 * Seconds of the routed-expert computation (grouped GEMMs, routing, permutation) on one GPU for `tokens`
 * tokens entering the MoE layer across the whole EP group. Roofline: the expected distinct experts touched,
 * E·(1 − (1 − k/E)^T), are each read once; compute ∝ T·k. The measured ratio is looked up by tokens per expert
 * (T·k/E), local expert size and local expert count, and includes the routing skew of aiconfigurator's
 * power-law (α = 1.01) token distribution.
 */
export function moeTimeS(dc: DeviceCalibration, s: MoeRankShape, tokens: number, peaks: Peaks = dc.peaks): number {
  if (tokens <= 0) return 0;
  const w = moeWork(tokens, s.hidden, s.inter, s.topK, s.numExperts, s.moeTp, s.ep, s.quant, s.matrices);
  const g = moeGrid(dc, s.quant);
  if (!g) return transferTimeS(dc.generic.moe, w, peaks);
  const expertElems = (3 * s.hidden * s.inter) / s.moeTp;
  return Math.exp(lookup(g, [(tokens * s.topK) / s.numExperts, expertElems, s.numExperts / s.ep])) * roofS(w, peaks);
}

const T_AXIS = pow2Axis(1, 2 ** 20);

/** `moeTimeS` tabulated over the token count and made non-decreasing (see gemmCostFn). */
export function moeCostFn(dc: DeviceCalibration, s: MoeRankShape, peaks: Peaks = dc.peaks): (tokens: number) => number {
  const curve = monotoneCurve(T_AXIS, (t) => moeTimeS(dc, s, t, peaks));
  const tail = (t: number): number => roofS(moeWork(t, s.hidden, s.inter, s.topK, s.numExperts, s.moeTp, s.ep, s.quant, s.matrices), peaks);
  return (tokens) => (tokens > 0 ? monotoneAt(curve, tokens, tail) : 0);
}
