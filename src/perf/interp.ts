/**
 * Tables over a rectangular grid, interpolated multilinearly in log2 of every coordinate and clamped at the
 * edges (a query past the last point takes the edge value: beyond the measured range the efficiency is taken
 * as flat, so time keeps scaling with the roofline).
 */

/**
 * A grid as stored in generated data: axis points (positive, ascending) and values quantised to one byte each,
 * value = lo + byte × step (step = range / 255, so the rounding error is at most step / 2), last axis fastest.
 */
export interface PackedGrid {
  readonly axes: readonly (readonly number[])[];
  readonly lo: number;
  readonly step: number;
  /** base64 of the bytes. */
  readonly b64: string;
}

/** A decoded grid ready for lookups. */
export interface Grid {
  readonly logAxes: readonly Float64Array[];
  readonly values: Float64Array;
  /** Row-major strides per axis. */
  readonly strides: readonly number[];
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Decode base64 without Node's Buffer or the browser's atob, so the same code runs in both. */
export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = B64_INDEX[clean.charCodeAt(i)] ?? -1;
    if (v < 0) throw new Error(`invalid base64 character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    s += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return s;
}

export function packGrid(axes: readonly (readonly number[])[], values: ArrayLike<number>): PackedGrid {
  const n = axes.reduce((p, a) => p * a.length, 1);
  if (values.length !== n) throw new Error(`packGrid: ${values.length} values for a grid of ${n}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i] ?? 0;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const step = hi > lo ? (hi - lo) / 255 : 1;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.round(((values[i] ?? 0) - lo) / step);
  return { axes, lo: Number(lo.toPrecision(7)), step: Number(step.toPrecision(7)), b64: bytesToBase64(bytes) };
}

export function unpackGrid(p: PackedGrid): Grid {
  const bytes = base64ToBytes(p.b64);
  const n = p.axes.reduce((acc, a) => acc * a.length, 1);
  if (bytes.length < n) throw new Error(`unpackGrid: ${bytes.length} bytes for a grid of ${n}`);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = p.lo + (bytes[i] ?? 0) * p.step;
  return makeGrid(p.axes, values);
}

export function makeGrid(axes: readonly (readonly number[])[], values: Float64Array): Grid {
  const logAxes = axes.map((a) => Float64Array.from(a, (x) => Math.log2(x)));
  const strides: number[] = new Array<number>(axes.length).fill(1);
  for (let d = axes.length - 2; d >= 0; d--) strides[d] = (strides[d + 1] ?? 1) * (axes[d + 1]?.length ?? 1);
  return { logAxes, values, strides };
}

/** Index of the lower bracket point and the weight of the upper one, clamped to [0, 1]. */
function bracket(axis: Float64Array, x: number, out: { i: number; f: number }): void {
  const n = axis.length;
  if (n === 1 || x <= (axis[0] ?? 0)) {
    out.i = 0;
    out.f = 0;
    return;
  }
  if (x >= (axis[n - 1] ?? 0)) {
    out.i = n - 2;
    out.f = 1;
    return;
  }
  let i = 0;
  while (i < n - 2 && (axis[i + 1] ?? 0) <= x) i++;
  const a = axis[i] ?? 0;
  const b = axis[i + 1] ?? 1;
  out.i = i;
  out.f = (x - a) / (b - a);
}

const scratch = Array.from({ length: 4 }, () => ({ i: 0, f: 0 }));

/** Value at a point (coordinates in natural units, > 0): multilinear in log2 coordinates. */
export function lookup(g: Grid, coords: readonly number[]): number {
  const dims = g.logAxes.length;
  if (dims > scratch.length) throw new Error(`lookup: ${dims}-d grids are not supported`);
  for (let d = 0; d < dims; d++) {
    bracket(g.logAxes[d]!, Math.log2(Math.max(coords[d] ?? 1, 1e-30)), scratch[d]!);
  }
  let sum = 0;
  const corners = 1 << dims;
  for (let c = 0; c < corners; c++) {
    let w = 1;
    let idx = 0;
    for (let d = 0; d < dims; d++) {
      const b = scratch[d]!;
      const hi = (c >> d) & 1;
      const axisLen = g.logAxes[d]!.length;
      const i = axisLen === 1 ? 0 : b.i + hi;
      w *= hi ? b.f : 1 - b.f;
      idx += i * g.strides[d]!;
    }
    if (w !== 0) sum += w * (g.values[idx] ?? 0);
  }
  return sum;
}

/** 1-d piecewise-linear curve in log2(x), clamped. */
export interface Curve {
  readonly logX: Float64Array;
  readonly y: Float64Array;
}

export function curveAt(c: Curve, x: number): number {
  const lx = Math.log2(Math.max(x, 1e-30));
  const n = c.logX.length;
  if (n === 1 || lx <= (c.logX[0] ?? 0)) return c.y[0] ?? 0;
  if (lx >= (c.logX[n - 1] ?? 0)) return c.y[n - 1] ?? 0;
  let i = 0;
  while (i < n - 2 && (c.logX[i + 1] ?? 0) <= lx) i++;
  const a = c.logX[i] ?? 0;
  const f = (lx - a) / ((c.logX[i + 1] ?? 1) - a);
  return (c.y[i] ?? 0) * (1 - f) + (c.y[i + 1] ?? 0) * f;
}

/** Slice a grid into a 1-d curve along axis `axis`, the other coordinates fixed. */
export function sliceCurve(g: Grid, axis: number, fixed: readonly number[]): Curve {
  const logX = g.logAxes[axis]!;
  const y = new Float64Array(logX.length);
  const coords = fixed.slice();
  for (let i = 0; i < logX.length; i++) {
    coords[axis] = 2 ** (logX[i] ?? 0);
    y[i] = lookup(g, coords);
  }
  return { logX, y };
}

/**
 * Least-squares non-decreasing fit of `v[off], v[off+stride], …` (n values) in place: pool-adjacent-violators.
 * A bump in a measured table is averaged with its neighbours instead of being carried forward.
 */
export function isotonic(v: Float64Array, off: number, stride: number, n: number): void {
  const val: number[] = [];
  const cnt: number[] = [];
  for (let i = 0; i < n; i++) {
    val.push(v[off + i * stride] ?? 0);
    cnt.push(1);
    while (val.length > 1 && (val[val.length - 2] ?? 0) > (val[val.length - 1] ?? 0)) {
      const b = val.pop() ?? 0;
      const nb = cnt.pop() ?? 1;
      const a = val.pop() ?? 0;
      const na = cnt.pop() ?? 1;
      val.push((a * na + b * nb) / (na + nb));
      cnt.push(na + nb);
    }
  }
  let i = 0;
  for (let k = 0; k < val.length; k++) {
    for (let c = 0; c < (cnt[k] ?? 0); c++) v[off + i++ * stride] = val[k] ?? 0;
  }
}

/**
 * A cost tabulated on log-spaced points and made non-decreasing (isotonic fit of log time), then interpolated
 * linearly in log x–log t. Measured tables carry a few percent of noise; a cost model used to schedule must
 * still never say that more work is faster. Below the first point the first value holds; past the last point
 * the value grows like `tail(x) / tail(xLast)` (the roofline: linear in work).
 */
export interface MonotoneCurve {
  readonly logX: Float64Array;
  readonly logT: Float64Array;
}

export function monotoneCurve(xs: readonly number[], f: (x: number) => number): MonotoneCurve {
  const logX = Float64Array.from(xs, (x) => Math.log2(x));
  const logT = Float64Array.from(xs, (x) => Math.log2(Math.max(f(x), 1e-30)));
  isotonic(logT, 0, 1, xs.length);
  return { logX, logT };
}

/** Value of a monotone curve; `tail` extends it past the last point (default: flat). */
export function monotoneAt(c: MonotoneCurve, x: number, tail?: (x: number) => number): number {
  const n = c.logX.length;
  const lx = Math.log2(x);
  if (lx <= (c.logX[0] ?? 0)) return 2 ** (c.logT[0] ?? 0);
  if (lx >= (c.logX[n - 1] ?? 0)) {
    const last = 2 ** (c.logT[n - 1] ?? 0);
    if (!tail) return last;
    const xLast = 2 ** (c.logX[n - 1] ?? 0);
    return last * Math.max(1, tail(x) / tail(xLast));
  }
  let i = 0;
  while (i < n - 2 && (c.logX[i + 1] ?? 0) <= lx) i++;
  const a = c.logX[i] ?? 0;
  const f = (lx - a) / ((c.logX[i + 1] ?? 1) - a);
  return 2 ** ((c.logT[i] ?? 0) * (1 - f) + (c.logT[i + 1] ?? 0) * f);
}

/** A cost of two arguments tabulated on log-spaced points, non-decreasing in both, bilinear in log–log. */
export interface MonotoneSurface {
  readonly logX: Float64Array;
  readonly logY: Float64Array;
  /** Row-major [x][y]. */
  readonly logT: Float64Array;
}

export function monotoneSurface(xs: readonly number[], ys: readonly number[], f: (x: number, y: number) => number): MonotoneSurface {
  const nx = xs.length;
  const ny = ys.length;
  const logT = new Float64Array(nx * ny);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) logT[i * ny + j] = Math.log2(Math.max(f(xs[i] ?? 1, ys[j] ?? 1), 1e-30));
  // Isotonic along each axis (twice, to settle), then a cumulative max that guarantees both orders.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < nx; i++) isotonic(logT, i * ny, 1, ny);
    for (let j = 0; j < ny; j++) isotonic(logT, j, ny, nx);
  }
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      let v = logT[i * ny + j] ?? 0;
      if (j > 0) v = Math.max(v, logT[i * ny + j - 1] ?? v);
      if (i > 0) v = Math.max(v, logT[(i - 1) * ny + j] ?? v);
      logT[i * ny + j] = v;
    }
  }
  return { logX: Float64Array.from(xs, (x) => Math.log2(x)), logY: Float64Array.from(ys, (y) => Math.log2(y)), logT };
}

/** Reused brackets of surfaceAt's two axes (no object per call). */
const surfaceX = { i: 0, f: 0 };
const surfaceY = { i: 0, f: 0 };

/** Value of a monotone surface, clamped to its axes (size them to cover every realistic input). */
export function surfaceAt(s: MonotoneSurface, x: number, y: number): number {
  const ny = s.logY.length;
  bracket(s.logX, Math.log2(x), surfaceX);
  bracket(s.logY, Math.log2(y), surfaceY);
  const { i, f: fx } = surfaceX;
  const { i: j, f: fy } = surfaceY;
  const i1 = s.logX.length === 1 ? i : i + 1;
  const j1 = ny === 1 ? j : j + 1;
  const t00 = s.logT[i * ny + j] ?? 0;
  const t01 = s.logT[i * ny + j1] ?? 0;
  const t10 = s.logT[i1 * ny + j] ?? 0;
  const t11 = s.logT[i1 * ny + j1] ?? 0;
  return 2 ** ((t00 * (1 - fy) + t01 * fy) * (1 - fx) + (t10 * (1 - fy) + t11 * fy) * fx);
}

/** Powers of two from lo to hi inclusive. */
export function pow2Axis(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi * 1.0000001; v *= 2) out.push(v);
  return out;
}
