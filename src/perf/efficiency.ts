import type { TransferCurve } from './calibration-types.js';
import { type Peaks, type Work } from './roofline.js';

/**
 * Operator time on a chip without measured tables, from the curve shape fitted on chips with tables:
 * t = t0 + ((F / (P·effCompute))^p + (B / (BW·effMemory))^p)^(1/p).
 * The p-norm is a smooth max: far from the ridge point (F/B ≪ or ≫ P/BW) it is the roofline at the fitted
 * efficiencies; near the ridge both limits add, as measured kernels show. P and BW are the chip's own peaks, so
 * the ridge point, and where an operator sits relative to it, come from the chip.
 */
export function transferTimeS(c: TransferCurve, w: Work, peaks: Peaks): number {
  const tc = w.flops / (peaks.flopsPerS[w.compute] * c.effCompute);
  const tm = w.bytes / (peaks.memBytesPerS * c.effMemory);
  const hi = tc > tm ? tc : tm;
  if (hi === 0) return c.t0S;
  const lo = tc > tm ? tm : tc;
  return c.t0S + hi * Math.pow(1 + Math.pow(lo / hi, c.p), 1 / c.p);
}
