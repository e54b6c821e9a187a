import { findTable, gridOf, type DeviceCalibration } from './calibration.js';
import { transferTimeS } from './efficiency.js';
import { lookup, monotoneAt, monotoneCurve, pow2Axis, type Grid } from './interp.js';
import { QUANT_FALLBACK, QUANT_SPECS, type QuantMode } from './quant.js';
import { gemmWork, roofS, type Peaks } from './roofline.js';

/**
 * The measured GEMM table closest to `quant`: a backend-specific table if one exists, else the system's best-of
 * table (same precision first, then the neighbours in QUANT_FALLBACK).
 */
function gemmGrid(dc: DeviceCalibration, quant: QuantMode): Grid | null {
  for (const q of QUANT_FALLBACK[quant]) {
    const own = findTable(dc, (t) => t.gemm?.[q]);
    if (own) return own;
    const best = dc.system?.gemm[q];
    if (best) return gridOf(best);
  }
  return null;
}

const transferClass = (quant: QuantMode): 'bf16' | 'fp8' | 'fp4' => {
  const c = QUANT_SPECS[quant].compute;
  return c === 'int8' ? 'fp8' : c;
};

/**
 * Seconds of Y[m,n] = X[m,k]·W[k,n] with weights in `quant`: the roofline at `peaks` times the measured
 * ln-ratio (tables interpolated in log m, n, k and clamped at their edges), or the transfer curve on a chip
 * without tables.
 */
export function gemmTimeS(dc: DeviceCalibration, m: number, n: number, k: number, quant: QuantMode, peaks: Peaks = dc.peaks): number {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const w = gemmWork(m, n, k, quant);
  const g = gemmGrid(dc, quant);
  if (g) return Math.exp(lookup(g, [m, n, k])) * roofS(w, peaks);
  return transferTimeS(dc.generic.gemm[transferClass(quant)], w, peaks);
}

/** Token counts the per-matrix cost curves are tabulated at (beyond: scaled by the roofline). */
const M_AXIS = pow2Axis(1, 2 ** 20);

/**
 * Cost of one weight matrix as a function of the token count m, tabulated once per matrix and made
 * non-decreasing in m, so each call is a 1-d interpolation (the step model calls these millions of times) and
 * more tokens are never cheaper. Fractional m (tokens per attention-DP rank) below 1 costs as m = 1.
 */
export function gemmCostFn(dc: DeviceCalibration, n: number, k: number, quant: QuantMode, peaks: Peaks = dc.peaks): (m: number) => number {
  if (n <= 0 || k <= 0) return () => 0;
  const curve = monotoneCurve(M_AXIS, (m) => gemmTimeS(dc, m, n, k, quant, peaks));
  const tail = (m: number): number => roofS(gemmWork(m, n, k, quant), peaks);
  return (m) => (m > 0 ? monotoneAt(curve, m, tail) : 0);
}
