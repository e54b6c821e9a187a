// CPU kernels of the phasewise engine, in AssemblyScript, compiled to WebAssembly with 128-bit SIMD by
// `npm run build-kernels` (scripts/build-kernels.ts) into src/engine/kernels-wasm.ts.
//
// Every pointer is a byte offset into the module's (imported) linear memory; every tensor is row-major f32
// unless said otherwise. Kernels write into caller-provided outputs and allocate nothing.
// Not part of the TypeScript build (tsconfig includes src/ and scripts/ only): AssemblyScript has its own types.

// @ts-nocheck

/** Horizontal sum of a f32x4. */
@inline function hsum(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3);
}

/** Dot product of n floats at a and b (any n). */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= n; k += 8) {
    const o = <usize>k << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; k < n; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/**
 * y[t, n] = Σ_k x[t, k] · w[n, k] for t < T, n < N (w is [N, K], as torch Linear stores it). y has row stride
 * ldy floats. Four tokens share each load of a weight vector, so prefill streams the weights T/4 times, not T.
 */
export function matmul(w: usize, x: usize, y: usize, T: i32, N: i32, K: i32, ldy: i32): void {
  const K16 = K & ~15;
  const rowBytes = <usize>K << 2;
  let t = 0;
  for (; t + 4 <= T; t += 4) {
    const x0 = x + <usize>t * rowBytes;
    const x1 = x0 + rowBytes;
    const x2 = x1 + rowBytes;
    const x3 = x2 + rowBytes;
    for (let n = 0; n < N; n++) {
      const row = w + <usize>n * rowBytes;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const o = <usize>k << 2;
        const wv = v128.load(row + o);
        a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(x0 + o)));
        a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(x1 + o)));
        a2 = f32x4.add(a2, f32x4.mul(wv, v128.load(x2 + o)));
        a3 = f32x4.add(a3, f32x4.mul(wv, v128.load(x3 + o)));
      }
      let s0 = hsum(a0);
      let s1 = hsum(a1);
      let s2 = hsum(a2);
      let s3 = hsum(a3);
      for (; k < K; k++) {
        const o = <usize>k << 2;
        const wk = load<f32>(row + o);
        s0 += wk * load<f32>(x0 + o);
        s1 += wk * load<f32>(x1 + o);
        s2 += wk * load<f32>(x2 + o);
        s3 += wk * load<f32>(x3 + o);
      }
      const yo = (<usize>t * <usize>ldy + <usize>n) << 2;
      const ys = <usize>ldy << 2;
      store<f32>(y + yo, s0);
      store<f32>(y + yo + ys, s1);
      store<f32>(y + yo + 2 * ys, s2);
      store<f32>(y + yo + 3 * ys, s3);
    }
  }
  for (; t < T; t++) {
    const xt = x + <usize>t * rowBytes;
    for (let n = 0; n < N; n++) {
      const row = w + <usize>n * rowBytes;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let k = 0;
      for (; k < K16; k += 16) {
        const o = <usize>k << 2;
        a0 = f32x4.add(a0, f32x4.mul(v128.load(row + o), v128.load(xt + o)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(row + o, 16), v128.load(xt + o, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(row + o, 32), v128.load(xt + o, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(row + o, 48), v128.load(xt + o, 48)));
      }
      let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
      for (; k < K; k++) s += load<f32>(row + (<usize>k << 2)) * load<f32>(xt + (<usize>k << 2));
      store<f32>(y + ((<usize>t * <usize>ldy + <usize>n) << 2), s);
    }
  }
}

/**
 * int8 weights with one f32 scale per group of 32 along K (the layout of llama.cpp's Q8_0): w is [N, K] i8,
 * scales is [N, K/32] f32, K % 32 == 0. The activations are quantized the same way first (xq [T, K] i8,
 * xs [T, K/32] f32, see quantizeRows), so each group is an integer dot product scaled once.
 */
export function matmulQ8(w: usize, ws: usize, xq: usize, xs: usize, y: usize, T: i32, N: i32, K: i32, ldy: i32): void {
  const G = K >> 5;
  for (let t = 0; t < T; t++) {
    const xrow = xq + <usize>t * <usize>K;
    const xsrow = xs + ((<usize>t * <usize>G) << 2);
    for (let n = 0; n < N; n++) {
      const row = w + <usize>n * <usize>K;
      const srow = ws + ((<usize>n * <usize>G) << 2);
      let acc = f32x4.splat(0);
      // Four groups at a time: each group's i32 sum lands in one lane, scaled by w scale × x scale.
      let g = 0;
      for (; g + 4 <= G; g += 4) {
        let sums = i32x4.splat(0);
        for (let j = 0; j < 4; j++) {
          const o = <usize>(g + j) << 5;
          const wa = v128.load(row + o);
          const wb = v128.load(row + o, 16);
          const xa = v128.load(xrow + o);
          const xb = v128.load(xrow + o, 16);
          let s = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wa), i16x8.extend_low_i8x16_s(xa));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wa), i16x8.extend_high_i8x16_s(xa)));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wb), i16x8.extend_low_i8x16_s(xb)));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wb), i16x8.extend_high_i8x16_s(xb)));
          // horizontal sum of s into lane j
          const h = i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
          if (j == 0) sums = i32x4.replace_lane(sums, 0, h);
          else if (j == 1) sums = i32x4.replace_lane(sums, 1, h);
          else if (j == 2) sums = i32x4.replace_lane(sums, 2, h);
          else sums = i32x4.replace_lane(sums, 3, h);
        }
        const scale = f32x4.mul(v128.load(srow + (<usize>g << 2)), v128.load(xsrow + (<usize>g << 2)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), scale));
      }
      let s = hsum(acc);
      for (; g < G; g++) {
        const o = <usize>g << 5;
        let si = 0;
        for (let k = 0; k < 32; k++) si += <i32>load<i8>(row + o + k) * <i32>load<i8>(xrow + o + k);
        s += <f32>si * load<f32>(srow + (<usize>g << 2)) * load<f32>(xsrow + (<usize>g << 2));
      }
      store<f32>(y + ((<usize>t * <usize>ldy + <usize>n) << 2), s);
    }
  }
}

/** Symmetric int8 quantization of T rows of K floats in groups of 32: q = round(x / s), s = max|x| / 127. */
export function quantizeRows(x: usize, q: usize, s: usize, T: i32, K: i32): void {
  const G = K >> 5;
  for (let t = 0; t < T; t++) {
    for (let g = 0; g < G; g++) {
      const base = x + ((<usize>t * <usize>K + (<usize>g << 5)) << 2);
      let m: f32 = 0;
      for (let k = 0; k < 32; k++) {
        const a = Mathf.abs(load<f32>(base + (<usize>k << 2)));
        if (a > m) m = a;
      }
      const sc: f32 = m / 127;
      const inv: f32 = sc > 0 ? 1 / sc : 0;
      store<f32>(s + ((<usize>t * <usize>G + <usize>g) << 2), sc);
      const qb = q + <usize>t * <usize>K + (<usize>g << 5);
      for (let k = 0; k < 32; k++) store<i8>(qb + k, <i8>(<i32>nearest<f32>(load<f32>(base + (<usize>k << 2)) * inv)));
    }
  }
}

/** y[t] = x[t] / sqrt(mean(x[t]²) + eps) · w, for T rows of H floats (y may equal x). */
export function rmsnorm(x: usize, w: usize, y: usize, T: i32, H: i32, eps: f32): void {
  for (let t = 0; t < T; t++) {
    const xr = x + ((<usize>t * <usize>H) << 2);
    const yr = y + ((<usize>t * <usize>H) << 2);
    const ss = dot(xr, xr, H);
    const inv: f32 = 1 / Mathf.sqrt(ss / <f32>H + eps);
    for (let i = 0; i < H; i++) {
      const o = <usize>i << 2;
      store<f32>(yr + o, load<f32>(xr + o) * inv * load<f32>(w + o));
    }
  }
}

/**
 * Rotary embedding in the rotate-half layout of Hugging Face Llama: for each of nHeads heads of size hd in a
 * row of stride ld floats, pairs (i, i + hd/2) rotate by the angle of token t's position. cos/sin are tables
 * [maxPos, hd/2]; pos is i32[T].
 */
export function rope(x: usize, pos: usize, cosT: usize, sinT: usize, T: i32, nHeads: i32, hd: i32, ld: i32): void {
  const half = hd >> 1;
  for (let t = 0; t < T; t++) {
    const p = load<i32>(pos + (<usize>t << 2));
    const c = cosT + ((<usize>p * <usize>half) << 2);
    const s = sinT + ((<usize>p * <usize>half) << 2);
    for (let h = 0; h < nHeads; h++) {
      const base = x + ((<usize>t * <usize>ld + <usize>h * <usize>hd) << 2);
      for (let i = 0; i < half; i++) {
        const a = load<f32>(base + (<usize>i << 2));
        const b = load<f32>(base + (<usize>(i + half) << 2));
        const ci = load<f32>(c + (<usize>i << 2));
        const si = load<f32>(s + (<usize>i << 2));
        store<f32>(base + (<usize>i << 2), a * ci - b * si);
        store<f32>(base + (<usize>(i + half) << 2), b * ci + a * si);
      }
    }
  }
}

/**
 * Causal GQA attention of one sequence over a paged KV cache. q is [n, ldq] (nHeads heads of hd), the queries
 * of positions start .. start+n-1; the cache of one layer is [numBlocks, bs, nKv, hd] for K and for V; table
 * is i32 block ids. Query i attends to positions 0 .. start+i. out is [n, ldo]. scores needs start+n floats.
 */
export function attention(
  q: usize, ldq: i32, kc: usize, vc: usize, table: usize, bs: i32, nKv: i32,
  out: usize, ldo: i32, n: i32, start: i32, nHeads: i32, hd: i32, scale: f32, scores: usize,
): void {
  const group = nHeads / nKv;
  const slotFloats = nKv * hd;
  for (let i = 0; i < n; i++) {
    const ctx = start + i + 1;
    for (let h = 0; h < nHeads; h++) {
      const kvh = h / group;
      const qv = q + ((<usize>i * <usize>ldq + <usize>h * <usize>hd) << 2);
      let m: f32 = -Infinity;
      for (let j = 0; j < ctx; j++) {
        const blk = load<i32>(table + (<usize>(j / bs) << 2));
        const slot = <usize>blk * <usize>bs + <usize>(j % bs);
        const kp = kc + ((slot * <usize>slotFloats + <usize>kvh * <usize>hd) << 2);
        const sc = dot(qv, kp, hd) * scale;
        store<f32>(scores + (<usize>j << 2), sc);
        if (sc > m) m = sc;
      }
      let sum: f32 = 0;
      for (let j = 0; j < ctx; j++) {
        const e = Mathf.exp(load<f32>(scores + (<usize>j << 2)) - m);
        store<f32>(scores + (<usize>j << 2), e);
        sum += e;
      }
      const inv: f32 = 1 / sum;
      const o = out + ((<usize>i * <usize>ldo + <usize>h * <usize>hd) << 2);
      memory.fill(o, 0, <usize>hd << 2);
      for (let j = 0; j < ctx; j++) {
        const blk = load<i32>(table + (<usize>(j / bs) << 2));
        const slot = <usize>blk * <usize>bs + <usize>(j % bs);
        const vp = vc + ((slot * <usize>slotFloats + <usize>kvh * <usize>hd) << 2);
        const p = f32x4.splat(load<f32>(scores + (<usize>j << 2)) * inv);
        let d = 0;
        for (; d + 4 <= hd; d += 4) {
          const od = o + (<usize>d << 2);
          v128.store(od, f32x4.add(v128.load(od), f32x4.mul(p, v128.load(vp + (<usize>d << 2)))));
        }
        const ps = load<f32>(scores + (<usize>j << 2)) * inv;
        for (; d < hd; d++) {
          const od = o + (<usize>d << 2);
          store<f32>(od, load<f32>(od) + ps * load<f32>(vp + (<usize>d << 2)));
        }
      }
    }
  }
}

/** g[i] = silu(g[i]) · u[i] for n floats (SwiGLU). */
export function siluMul(g: usize, u: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(g + o);
    store<f32>(g + o, (a / (1 + Mathf.exp(-a))) * load<f32>(u + o));
  }
}

/** y[i] += x[i] for n floats. */
export function addInto(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

/** Adds a bias of N floats to each of T rows of stride ld. */
export function addBias(y: usize, b: usize, T: i32, N: i32, ld: i32): void {
  for (let t = 0; t < T; t++) addInto(y + ((<usize>t * <usize>ld) << 2), b, N);
}

/** First free byte after the module's static data (math tables): the host allocates from here on. */
export function heapBase(): usize {
  return __heap_base;
}

/** Sum of n floats (n % 16 == 0), streaming them once: a memory-read bandwidth probe. */
export function readSum(p: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  for (let i = 0; i < n; i += 16) {
    const o = p + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(o));
    a1 = f32x4.add(a1, v128.load(o, 16));
    a2 = f32x4.add(a2, v128.load(o, 32));
    a3 = f32x4.add(a3, v128.load(o, 48));
  }
  return hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}
