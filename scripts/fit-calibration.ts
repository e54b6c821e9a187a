/**
 * Derive phasewise's compact calibration tables from measured operator tables.
 *
 *   npx tsc -p . && node dist/scripts/fit-calibration.js [--data ../shared/data/calibration] [--check]
 *
 * Reads ai-dynamo/aiconfigurator's per-operator latency tables (Apache-2.0) under
 * <data>/aiconfigurator/{systems,data}/ and writes src/perf/calibration-data.ts: per system × backend × operator
 * × precision, a small grid of ln(measured time / roofline time) over the shape axes that matter, plus NCCL and
 * custom all-reduce times, plus transfer curves fitted across all systems for chips without tables. The method
 * and every fitted figure are documented in docs/perf.md. With --check it only prints the fit report.
 *
 * Node-only (reads files, decompresses ZSTD pages): lives in scripts/, never imported by src/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as zlib from 'node:zlib';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parse as parseYaml } from 'yaml';
import type { ComputeDtype } from '../src/hardware/types.js';
import {
  TABLE_BACKENDS,
  type BackendTables,
  type CollectiveFit,
  type CollectiveKind,
  type GenericCalibration,
  type KvKey,
  type ReferencePeaks,
  type SystemCalibration,
  type TableBackend,
  type TransferCurve,
} from '../src/perf/calibration-types.js';
import { isotonic, lookup, packGrid, unpackGrid, type PackedGrid } from '../src/perf/interp.js';
import type { QuantMode } from '../src/perf/quant.js';
import {
  algBytesFactor,
  contextAttnWork,
  gemmWork,
  generationAttnWork,
  mlaBmmWork,
  mlaContextWork,
  mlaGenerationWork,
  moeWork,
  roofS,
  type Peaks,
  type Work,
} from '../src/perf/roofline.js';
import { transferTimeS } from '../src/perf/efficiency.js';

// ---------------------------------------------------------------------------------------------------------------
// Reading parquet

type Row = Record<string, unknown>;

/** hyparquet ships no ZSTD codec; aiconfigurator's files use it. Node ≥ 22.15 has one, else the zstd CLI. */
const compressors = {
  ZSTD: (input: Uint8Array, _outputLength: number): Uint8Array => {
    const z = zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Uint8Array };
    if (typeof z.zstdDecompressSync === 'function') return new Uint8Array(z.zstdDecompressSync(input));
    const r = spawnSync('zstd', ['-d', '-c', '-q'], { input, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`zstd -d failed (is the zstd command installed?): ${String(r.stderr)}`);
    return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  },
};

async function readParquet(path: string): Promise<Row[]> {
  const file = await asyncBufferFromFile(path);
  return (await parquetReadObjects({ file, compressors })) as Row[];
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v));
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Version directories sorted newest first (numeric compare of dotted parts, rc suffixes after the release). */
function versionsNewestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const key = (v: string): number[] =>
    v.split(/[.\-]|(?=rc)|(?=post)/).map((p) => {
      const m = /^(rc|post)?(\d+)$/.exec(p);
      if (!m) return 0;
      return m[1] === 'rc' ? Number(m[2]) - 1000 : Number(m[2]);
    });
  return readdirSync(dir).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const d = (kb[i] ?? 0) - (ka[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** The newest version directory holding `file` for a system/op/backend, or null. */
function newestTable(dataDir: string, system: string, op: string, backend: string, file: string): { path: string; source: string } | null {
  const dir = join(dataDir, system, op, backend);
  for (const v of versionsNewestFirst(dir)) {
    const p = join(dir, v, file);
    if (existsSync(p)) return { path: p, source: `${system}/${op}/${backend}/${v}/${file}` };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Grid fitting: kernel regression in log2 space onto fixed axes, then fill of empty cells from neighbours.

interface Sample {
  readonly x: readonly number[];
  readonly y: number;
}

const pow2 = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 2) out.push(v);
  return out;
};

/** Gaussian kernel width in octaves: exact grid hits dominate, neighbours within an octave smooth tile steps. */
const SIGMA_OCTAVES = 0.35;
/** Cells whose accumulated weight is below this are treated as empty and filled from neighbours. */
const MIN_WEIGHT = 0.05;

function fitGrid(axes: number[][], samples: readonly Sample[]): Float64Array {
  const logAxes = axes.map((a) => a.map((v) => Math.log2(v)));
  const dims = axes.length;
  const strides: number[] = new Array<number>(dims).fill(1);
  for (let d = dims - 2; d >= 0; d--) strides[d] = strides[d + 1]! * axes[d + 1]!.length;
  const n = axes.reduce((p, a) => p * a.length, 1);
  const sumW = new Float64Array(n);
  const sumWY = new Float64Array(n);
  for (const s of samples) {
    // candidate indices per axis: grid points within 1 octave, with their weights
    const cand: { i: number; w: number }[][] = [];
    let ok = true;
    for (let d = 0; d < dims; d++) {
      const lx = Math.log2(s.x[d]!);
      const la = logAxes[d]!;
      const c: { i: number; w: number }[] = [];
      for (let i = 0; i < la.length; i++) {
        const dist = Math.abs(la[i]! - lx);
        if (dist <= 1.0) c.push({ i, w: Math.exp(-(dist * dist) / (2 * SIGMA_OCTAVES * SIGMA_OCTAVES)) });
      }
      if (c.length === 0) ok = false;
      cand.push(c);
    }
    if (!ok) continue;
    const rec = (d: number, idx: number, w: number): void => {
      if (d === dims) {
        sumW[idx] = sumW[idx]! + w;
        sumWY[idx] = sumWY[idx]! + w * s.y;
        return;
      }
      for (const c of cand[d]!) rec(d + 1, idx + c.i * strides[d]!, w * c.w);
    };
    rec(0, 0, 1);
  }
  const vals = new Float64Array(n);
  const filled = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (sumW[i]! >= MIN_WEIGHT) {
      vals[i] = sumWY[i]! / sumW[i]!;
      filled[i] = 1;
    }
  }
  // Fill empty cells by averaging filled axis-neighbours, repeatedly (flat extrapolation past the data).
  for (let iter = 0; iter < 200; iter++) {
    let changed = 0;
    const nextVals = vals.slice();
    const nextFilled = filled.slice();
    for (let i = 0; i < n; i++) {
      if (filled[i]) continue;
      let s = 0;
      let c = 0;
      let rem = i;
      for (let d = 0; d < dims; d++) {
        const pos = Math.floor(rem / strides[d]!);
        rem -= pos * strides[d]!;
        for (const step of [-1, 1]) {
          const p = pos + step;
          if (p < 0 || p >= axes[d]!.length) continue;
          const j = i + step * strides[d]!;
          if (filled[j]) {
            s += vals[j]!;
            c++;
          }
        }
      }
      if (c > 0) {
        nextVals[i] = s / c;
        nextFilled[i] = 1;
        changed++;
      }
    }
    vals.set(nextVals);
    filled.set(nextFilled);
    if (changed === 0) break;
  }
  return vals;
}

interface FitReport {
  readonly table: string;
  readonly samples: number;
  readonly medianAbsErr: number;
  readonly p90AbsErr: number;
}
const reports: FitReport[] = [];

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Fit, pack, and record how well the packed grid reproduces the samples it came from. */
function fitAndPack(name: string, axes: number[][], samples: readonly Sample[], post?: (vals: Float64Array) => void): PackedGrid | null {
  if (samples.length < 8) return null;
  const vals = fitGrid(axes, samples);
  post?.(vals);
  const packed = packGrid(axes, vals);
  const g = unpackGrid(packed);
  const errs = samples.map((s) => Math.abs(Math.exp(lookup(g, s.x) - s.y) - 1));
  reports.push({ table: name, samples: samples.length, medianAbsErr: quantile(errs, 0.5), p90AbsErr: quantile(errs, 0.9) });
  return packed;
}

/** Keep, per shape key, the fastest kernel a backend measured (what its dispatcher would pick). */
function fastestPerKey<T>(rows: readonly Row[], keyOf: (r: Row) => string | null, make: (r: Row) => T & { t: number }): (T & { t: number })[] {
  const best = new Map<string, T & { t: number }>();
  for (const r of rows) {
    const k = keyOf(r);
    if (k === null) continue;
    const v = make(r);
    if (!(v.t > 0) || !Number.isFinite(v.t)) continue;
    const old = best.get(k);
    if (!old || v.t < old.t) best.set(k, v);
  }
  return [...best.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Per-table fitting

const GEMM_DTYPES: Readonly<Record<string, QuantMode>> = { bfloat16: 'bf16', fp8: 'fp8', fp8_block: 'fp8_block', nvfp4: 'nvfp4' };
const MOE_DTYPES: Readonly<Record<string, QuantMode>> = {
  bfloat16: 'bf16',
  fp8: 'fp8',
  fp8_block: 'fp8_block',
  nvfp4: 'nvfp4',
  w4a16_mxfp4: 'w4a16_mxfp4',
  w4a8_mxfp4_mxfp8: 'w4a8_mxfp4',
  int4_wo: 'int4_wo',
};
const KV_DTYPES: Readonly<Record<string, KvKey>> = { bfloat16: 'bf16', fp8: 'fp8' };
const KV_BYTES: Readonly<Record<KvKey, number>> = { bf16: 2, fp8: 1 };

const GEMM_AXES = [pow2(1, 32768), pow2(64, 65536), pow2(64, 65536)];
/** GQA group size (heads per KV head): decode kernels slow down sharply for large groups. */
const GROUP_AXIS = [1, 4, 16, 64];
const CTX_ATTN_AXES = [pow2(1, 32768), pow2(16, 32768), GROUP_AXIS];
const GEN_ATTN_AXES = [pow2(1, 131072), pow2(16, 131072), GROUP_AXIS];
/** Head dims with their own attention tables; others use the nearest. */
const ATTN_HEAD_DIMS = new Set([64, 128, 256]);
const MLA_CTX_AXES = [pow2(1, 128), pow2(1, 256), pow2(16, 32768)];
const MLA_GEN_AXES = [pow2(1, 128), pow2(1, 1024), pow2(2, 131072)];
const MLA_BMM_AXES = [pow2(1, 128), pow2(1, 32768)];
const MOE_AXES = [pow2(1 / 256, 4096), [2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24, 2 ** 26, 2 ** 28], pow2(1, 512)];
const COMM_AXES = [[2, 4, 8], pow2(128, 536870912)];

/** DeepSeek-V3 MLA dimensions the MLA tables were measured at. */
const MLA = { qkHeadDim: 192, vHeadDim: 128, kvLoraRank: 512, ropeDim: 64, qkNopeDim: 128 };

interface Collected {
  /** Raw (shape, work, time) for the transfer fit: each sample's roofline inputs and measured seconds. */
  readonly transfer: Map<string, { work: Work; t: number; system: string }[]>;
}
const collected: Collected = { transfer: new Map() };
/** NCCL rows per collective for the alpha–beta fit: GPUs, bytes, seconds. */
const commSamples = new Map<CollectiveKind, { system: string; n: number; bytes: number; t: number }[]>();

function keepForTransfer(cls: string, system: string, work: Work, t: number): void {
  let a = collected.transfer.get(cls);
  if (!a) collected.transfer.set(cls, (a = []));
  a.push({ work, t, system });
}

function peaksOf(ref: ReferencePeaks): Peaks {
  return {
    flopsPerS: { bf16: ref.bf16FlopsPerS, fp8: ref.fp8FlopsPerS, fp4: ref.fp4FlopsPerS ?? ref.fp8FlopsPerS, int8: ref.int8FlopsPerS },
    memBytesPerS: ref.memBytesPerS,
  };
}

async function fitGemm(path: string, name: string, peaks: Peaks): Promise<Partial<Record<QuantMode, PackedGrid>>> {
  const rows = await readParquet(path);
  const out: Partial<Record<QuantMode, PackedGrid>> = {};
  for (const [dt, quant] of Object.entries(GEMM_DTYPES)) {
    const pts = fastestPerKey(
      rows.filter((r) => str(r['gemm_dtype']) === dt),
      (r) => `${num(r['m'])}|${num(r['n'])}|${num(r['k'])}`,
      (r) => ({ m: num(r['m']), n: num(r['n']), k: num(r['k']), t: num(r['latency']) * 1e-3 }),
    );
    const samples: Sample[] = [];
    for (const p of pts) {
      if (p.n < 64 || p.k < 64) continue;
      const w = gemmWork(p.m, p.n, p.k, quant);
      samples.push({ x: [p.m, p.n, p.k], y: Math.log(p.t / roofS(w, peaks)) });
    }
    const g = fitAndPack(`${name} gemm ${quant}`, GEMM_AXES, samples);
    if (g) out[quant] = g;
  }
  return out;
}

async function fitAttention(
  ctxPath: string | null,
  genPath: string | null,
  name: string,
  peaks: Peaks,
  system: string,
  backend: string,
): Promise<{ ctx: Record<string, PackedGrid>; gen: Record<string, PackedGrid> }> {
  const ctx: Record<string, PackedGrid> = {};
  const gen: Record<string, PackedGrid> = {};
  if (ctxPath) {
    const rows = (await readParquet(ctxPath)).filter((r) => num(r['window_size'] ?? 0) === 0 && num(r['beam_width'] ?? 1) === 1);
    const groups = new Map<string, Sample[]>();
    // Prefer bf16 attention math; fp8 context FMHA rows only where no bf16 row exists for that shape.
    const ctxKey = (r: Row): string | null => {
      const kv = KV_DTYPES[str(r['kv_cache_dtype'])];
      if (!kv) return null;
      return `${num(r['head_dim'])}/${kv}|${num(r['batch_size'])}|${num(r['isl'])}|${num(r['num_heads'])}|${num(r['num_key_value_heads'])}`;
    };
    const bf16Math = rows.filter((r) => str(r['attn_dtype']) === 'bfloat16');
    const bf16Keys = new Set(bf16Math.map(ctxKey));
    const usable = bf16Math.concat(rows.filter((r) => str(r['attn_dtype']) !== 'bfloat16' && !bf16Keys.has(ctxKey(r))));
    const pts = fastestPerKey(usable, ctxKey, (r) => ({
      d: num(r['head_dim']),
      kv: KV_DTYPES[str(r['kv_cache_dtype'])]!,
      b: num(r['batch_size']),
      s: num(r['isl']),
      h: num(r['num_heads']),
      kvh: num(r['num_key_value_heads']),
      t: num(r['latency']) * 1e-3,
    }));
    for (const p of pts) {
      // fp8 KV barely changes compute-bound prefill: one bf16 table, the roofline takes the KV bytes
      if (p.s < 16 || p.kvh > p.h || !ATTN_HEAD_DIMS.has(p.d) || p.kv !== 'bf16') continue;
      const pairs = (p.b * p.s * (p.s + 1)) / 2;
      const w = contextAttnWork(pairs, p.b * p.s, p.b * p.s, p.h, p.kvh, p.d, KV_BYTES[p.kv]);
      const key = `${p.d}/${p.kv}`;
      let a = groups.get(key);
      if (!a) groups.set(key, (a = []));
      a.push({ x: [p.b * p.h, p.s, p.h / p.kvh], y: Math.log(p.t / roofS(w, peaks)) });
      if (backend === 'trtllm' && p.kv === 'bf16' && p.d === 128 && p.h / p.kvh >= 4 && p.h / p.kvh <= 16) keepForTransfer('contextAttn', system, w, p.t);
    }
    for (const [key, samples] of groups) {
      if (samples.length < 100) continue;
      const g = fitAndPack(`${name} contextAttn ${key}`, CTX_ATTN_AXES, samples);
      if (g) ctx[key] = g;
    }
  }
  if (genPath) {
    const rows = (await readParquet(genPath)).filter((r) => num(r['window_size'] ?? 0) === 0 && num(r['beam_width'] ?? 1) === 1);
    const groups = new Map<string, Sample[]>();
    const pts = fastestPerKey(
      rows,
      (r) => {
        const kv = KV_DTYPES[str(r['kv_cache_dtype'])];
        if (!kv) return null;
        return `${num(r['head_dim'])}/${kv}|${num(r['batch_size'])}|${num(r['step'])}|${num(r['num_heads'])}|${num(r['num_key_value_heads'])}`;
      },
      (r) => ({
        d: num(r['head_dim']),
        kv: KV_DTYPES[str(r['kv_cache_dtype'])]!,
        b: num(r['batch_size']),
        ctx: num(r['step']) + 1,
        h: num(r['num_heads']),
        kvh: num(r['num_key_value_heads']),
        t: num(r['latency']) * 1e-3,
      }),
    );
    for (const p of pts) {
      if (p.kvh > p.h || !ATTN_HEAD_DIMS.has(p.d) || p.ctx < 16) continue;
      const w = generationAttnWork(p.b, p.b * p.ctx, p.h, p.kvh, p.d, KV_BYTES[p.kv]);
      const key = `${p.d}/${p.kv}`;
      let a = groups.get(key);
      if (!a) groups.set(key, (a = []));
      a.push({ x: [p.b * p.kvh, p.ctx, p.h / p.kvh], y: Math.log(p.t / roofS(w, peaks)) });
      if (backend === 'trtllm' && p.kv === 'bf16' && p.d === 128 && p.h / p.kvh >= 4 && p.h / p.kvh <= 16) keepForTransfer('generationAttn', system, w, p.t);
    }
    for (const [key, samples] of groups) {
      if (samples.length < 100) continue;
      const g = fitAndPack(`${name} generationAttn ${key}`, GEN_ATTN_AXES, samples);
      if (g) gen[key] = g;
    }
  }
  return { ctx, gen };
}

async function fitMla(
  ctxPath: string | null,
  genPath: string | null,
  name: string,
  peaks: Peaks,
  system: string,
  backend: string,
): Promise<{ ctx: Partial<Record<KvKey, PackedGrid>>; gen: Partial<Record<KvKey, PackedGrid>> }> {
  const ctx: Partial<Record<KvKey, PackedGrid>> = {};
  const gen: Partial<Record<KvKey, PackedGrid>> = {};
  if (ctxPath) {
    const rows = await readParquet(ctxPath);
    for (const [dt, kv] of Object.entries(KV_DTYPES)) {
      const pts = fastestPerKey(
        rows.filter((r) => str(r['kv_cache_dtype']) === dt),
        (r) => `${num(r['num_heads'])}|${num(r['batch_size'])}|${num(r['isl'])}`,
        (r) => ({ h: num(r['num_heads']), b: num(r['batch_size']), s: num(r['isl']), t: num(r['latency']) * 1e-3 }),
      );
      const samples: Sample[] = [];
      for (const p of pts) {
        if (p.s < 16) continue;
        const w = mlaContextWork((p.b * p.s * (p.s + 1)) / 2, p.b * p.s, p.h, MLA.qkHeadDim, MLA.vHeadDim);
        samples.push({ x: [p.h, p.b, p.s], y: Math.log(p.t / roofS(w, peaks)) });
        if (backend === 'trtllm' && kv === 'bf16') keepForTransfer('mlaContext', system, w, p.t);
      }
      const g = fitAndPack(`${name} mlaContext ${kv}`, MLA_CTX_AXES, samples);
      if (g) ctx[kv] = g;
    }
  }
  if (genPath) {
    const rows = await readParquet(genPath);
    for (const [dt, kv] of Object.entries(KV_DTYPES)) {
      const pts = fastestPerKey(
        rows.filter((r) => str(r['kv_cache_dtype']) === dt),
        (r) => `${num(r['num_heads'])}|${num(r['batch_size'])}|${num(r['step'])}`,
        (r) => ({ h: num(r['num_heads']), b: num(r['batch_size']), ctx: num(r['step']) + 1, t: num(r['latency']) * 1e-3 }),
      );
      const samples: Sample[] = [];
      for (const p of pts) {
        const w = mlaGenerationWork(p.b, p.b * p.ctx, p.h, MLA.kvLoraRank, MLA.ropeDim, KV_BYTES[kv]);
        samples.push({ x: [p.h, p.b, p.ctx], y: Math.log(p.t / roofS(w, peaks)) });
        if (backend === 'trtllm' && kv === 'bf16') keepForTransfer('mlaGeneration', system, w, p.t);
      }
      const g = fitAndPack(`${name} mlaGeneration ${kv}`, MLA_GEN_AXES, samples);
      if (g) gen[kv] = g;
    }
  }
  return { ctx, gen };
}

async function fitMlaBmm(path: string, name: string, peaks: Peaks): Promise<Record<string, PackedGrid>> {
  const rows = await readParquet(path);
  const out: Record<string, PackedGrid> = {};
  for (const op of ['pre', 'post'] as const) {
    for (const [dt, quant] of [['bfloat16', 'bf16'], ['fp8', 'fp8']] as const) {
      const pts = fastestPerKey(
        rows.filter((r) => str(r['op_name']) === `mla_gen_${op}` && str(r['bmm_dtype']) === dt),
        (r) => `${num(r['num_heads'])}|${num(r['num_tokens'])}`,
        (r) => ({ h: num(r['num_heads']), T: num(r['num_tokens']), t: num(r['latency']) * 1e-3 }),
      );
      const samples = pts.map((p) => {
        const w = op === 'pre' ? mlaBmmWork(p.T, p.h, MLA.qkNopeDim, MLA.kvLoraRank, quant) : mlaBmmWork(p.T, p.h, MLA.kvLoraRank, MLA.vHeadDim, quant);
        return { x: [p.h, p.T], y: Math.log(p.t / roofS(w, peaks)) };
      });
      const g = fitAndPack(`${name} mlaBmm ${op}/${quant}`, MLA_BMM_AXES, samples);
      if (g) out[`${op}/${quant}`] = g;
    }
  }
  return out;
}

async function fitMoe(path: string, name: string, peaks: Peaks, system: string): Promise<{ grids: Partial<Record<QuantMode, PackedGrid>>; epOnly: QuantMode[] }> {
  const rows = (await readParquet(path)).filter((r) => !str(r['kernel_source']).includes('nongated'));
  const out: Partial<Record<QuantMode, PackedGrid>> = {};
  const epOnly: QuantMode[] = [];
  for (const [dt, quant] of Object.entries(MOE_DTYPES)) {
    const sel = rows.filter((r) => str(r['moe_dtype']) === dt);
    if (sel.length === 0) continue;
    // Realistic routing is skewed: use aiconfigurator's power_law_1.01 rows, balanced ones only where absent.
    const dists = new Set(sel.map((r) => str(r['distribution'])));
    const dist = dists.has('power_law_1.01') ? 'power_law_1.01' : dists.has('balanced') ? 'balanced' : [...dists][0]!;
    const pts = fastestPerKey(
      sel.filter((r) => str(r['distribution']) === dist),
      (r) => ['num_tokens', 'hidden_size', 'inter_size', 'topk', 'num_experts', 'moe_tp_size', 'moe_ep_size'].map((k) => num(r[k])).join('|'),
      (r) => ({
        T: num(r['num_tokens']),
        h: num(r['hidden_size']),
        i: num(r['inter_size']),
        k: num(r['topk']),
        E: num(r['num_experts']),
        tp: num(r['moe_tp_size']),
        ep: num(r['moe_ep_size']),
        t: num(r['latency']) * 1e-3,
      }),
    );
    const samples: Sample[] = [];
    for (const p of pts) {
      if (p.ep > p.E) continue;
      const w = moeWork(p.T, p.h, p.i, p.k, p.E, p.tp, p.ep, quant);
      const expertElems = (3 * p.h * p.i) / p.tp;
      samples.push({ x: [(p.T * p.k) / p.E, expertElems, p.E / p.ep], y: Math.log(p.t / roofS(w, peaks)) });
      if (quant === 'fp8_block' || quant === 'bf16' || quant === 'nvfp4') keepForTransfer('moe', system, w, p.t);
    }
    const g = fitAndPack(`${name} moe ${quant} (${dist})`, MOE_AXES, samples);
    if (g) out[quant] = g;
    // Split only by experts, never by their width: the runtime costs a TP split as the EP split of that width.
    if (g && pts.some((p) => p.ep > 1) && !pts.some((p) => p.tp > 1)) epOnly.push(quant);
  }
  return { grids: out, epOnly };
}

/** Communication tables store ln(seconds) directly over [GPUs, bytes]. */
function commGrid(name: string, pts: readonly { n: number; bytes: number; t: number }[]): PackedGrid | null {
  const samples = pts.filter((p) => p.t > 0).map((p) => ({ x: [p.n, p.bytes], y: Math.log(p.t) }));
  const gpus = [...new Set(pts.map((p) => p.n))].sort((a, b) => a - b);
  if (gpus.length === 0) return null;
  const nb = COMM_AXES[1]!.length;
  // time never falls with message size: isotonic fit along bytes for each GPU count
  return fitAndPack(name, [gpus, COMM_AXES[1]!], samples, (v) => {
    for (let i = 0; i < gpus.length; i++) isotonic(v, i * nb, 1, nb);
  });
}

const NCCL_OPS: Readonly<Record<string, CollectiveKind>> = {
  all_reduce: 'allreduce',
  all_gather: 'allgather',
  alltoall: 'alltoall',
  reduce_scatter: 'reducescatter',
};

async function fitNccl(path: string, name: string): Promise<Partial<Record<CollectiveKind, PackedGrid>>> {
  const rows = await readParquet(path);
  const out: Partial<Record<CollectiveKind, PackedGrid>> = {};
  for (const [op, kind] of Object.entries(NCCL_OPS)) {
    const pts = fastestPerKey(
      rows.filter((r) => str(r['op_name']) === op && str(r['nccl_dtype']) === 'half'),
      (r) => `${num(r['num_gpus'])}|${num(r['message_size'])}`,
      // message_size counts half-precision elements
      (r) => ({ n: num(r['num_gpus']), bytes: num(r['message_size']) * 2, t: num(r['latency']) * 1e-3 }),
    );
    const g = commGrid(`${name} nccl ${kind}`, pts);
    if (g) out[kind] = g;
    let a = commSamples.get(kind);
    if (!a) commSamples.set(kind, (a = []));
    for (const p of pts) a.push({ system: name, ...p });
  }
  return out;
}

async function fitCustomAllreduce(path: string, name: string): Promise<PackedGrid | null> {
  const rows = (await readParquet(path)).filter((r) => !str(r['kernel_source']).toLowerCase().includes('eager'));
  const pts = fastestPerKey(
    rows,
    (r) => `${num(r['num_gpus'])}|${num(r['message_size'])}`,
    // message_size counts bf16 elements
    (r) => ({ n: num(r['num_gpus']), bytes: num(r['message_size']) * 2, t: num(r['latency']) * 1e-3 }),
  );
  return commGrid(`${name} custom allreduce`, pts);
}

// ---------------------------------------------------------------------------------------------------------------
// Dense GEMM: one table per system and precision, per cell the fastest backend's kernel. cuBLASLt, CUTLASS,
// DeepGEMM and FlashInfer GEMMs are libraries every engine can dispatch to; the backends' tables differ mostly by
// what else the collector timed around the kernel (activation quantisation, Python dispatch, eager mode), which
// production engines fuse away or hide in CUDA graphs. The per-backend grids are removed afterwards.

function bestOfGemm(
  systemId: string,
  tables: Partial<Record<TableBackend, BackendTables>>,
  log: string[],
): { gemm: Partial<Record<QuantMode, PackedGrid>>; sources: Record<string, string> } {
  const gemm: Partial<Record<QuantMode, PackedGrid>> = {};
  const sources: Record<string, string> = {};
  const quants = new Set<QuantMode>();
  for (const t of Object.values(tables)) for (const q of Object.keys(t?.gemm ?? {})) quants.add(q as QuantMode);
  for (const q of quants) {
    const grids: { be: TableBackend; g: ReturnType<typeof unpackGrid>; p: PackedGrid }[] = [];
    for (const be of TABLE_BACKENDS) {
      const p = tables[be]?.gemm?.[q];
      if (p) grids.push({ be, g: unpackGrid(p), p });
    }
    const first = grids[0];
    if (!first) continue;
    const vals = new Float64Array(first.g.values.length);
    const wins = new Map<TableBackend, number>();
    for (let i = 0; i < vals.length; i++) {
      let best = Infinity;
      let who: TableBackend = first.be;
      for (const { be, g } of grids) {
        const v = g.values[i]!;
        if (v < best) {
          best = v;
          who = be;
        }
      }
      vals[i] = best;
      wins.set(who, (wins.get(who) ?? 0) + 1);
    }
    gemm[q] = packGrid(first.p.axes, vals);
    sources[q] = grids.map(({ be }) => `${tables[be]!.sources['gemm']} (fastest in ${(100 * (wins.get(be) ?? 0) / vals.length).toFixed(0)}% of cells)`).join('; ');
    log.push(`${systemId} gemm ${q}: best of ${grids.map(({ be }) => `${be} ${(100 * (wins.get(be) ?? 0) / vals.length).toFixed(0)}%`).join(', ')}`);
  }
  for (const be of TABLE_BACKENDS) {
    const t = tables[be];
    if (t?.gemm) {
      const rest = { ...t };
      delete rest.gemm;
      tables[be] = rest;
    }
  }
  return { gemm, sources };
}

// ---------------------------------------------------------------------------------------------------------------
// Tables that do not represent what a serving engine runs. Two rules, both on small shapes:
//  1. a backend's table far slower than the other backends' for the same operator and precision: host overhead
//     inside the timing (vLLM eager paths) — dropped when its median ratio exceeds CONTAMINATION_FACTOR;
//  2. a quantized MoE table slower than the same backend's bf16 MoE table (fewer bytes, more time): a slow
//     fallback kernel (vLLM's per-tensor FP8 MoE on Hopper) — dropped when the median ratio exceeds
//     QUANT_SLOWER_FACTOR. (Not applied to GEMMs: there a quantized kernel's fixed cost at tiny shapes is real.)
// A dropped table falls back to a sibling backend's table of the same precision at lookup time.

const CONTAMINATION_FACTOR = 2.5;
const QUANT_SLOWER_FACTOR = 1.5;

type GridField = 'moe' | 'mlaContext' | 'mlaGeneration' | 'contextAttn' | 'generationAttn';

function dropTable(tables: Partial<Record<TableBackend, BackendTables>>, be: TableBackend, field: GridField, key: string, why: string): void {
  const t = tables[be]!;
  const f = { ...(t[field] as Record<string, PackedGrid>) };
  delete f[key];
  tables[be] = { ...t, [field]: f, sources: { ...t.sources, [`${field} ${key}`]: `dropped: ${why}` } };
}

function dropContaminated(
  systemId: string,
  tables: Partial<Record<TableBackend, BackendTables>>,
  field: GridField,
  smallCoords: readonly (readonly number[])[],
  log: string[],
): void {
  const keys = new Set<string>();
  for (const t of Object.values(tables)) for (const k of Object.keys((t?.[field] ?? {}) as object)) keys.add(k);
  const gridOfKey = (be: TableBackend, key: string): ReturnType<typeof unpackGrid> | null => {
    const pg = (tables[be]?.[field] as Record<string, PackedGrid> | undefined)?.[key];
    return pg ? unpackGrid(pg) : null;
  };
  for (const key of keys) {
    const grids = new Map<TableBackend, ReturnType<typeof unpackGrid>>();
    for (const be of TABLE_BACKENDS) {
      const g = gridOfKey(be, key);
      if (g) grids.set(be, g);
    }
    for (const [be, g] of grids) {
      if (grids.size >= 2) {
        const diffs: number[] = [];
        for (const c of smallCoords) {
          let best = Infinity;
          for (const [other, og] of grids) if (other !== be) best = Math.min(best, lookup(og, c));
          diffs.push(lookup(g, c) - best);
        }
        const med = Math.exp(quantile(diffs, 0.5));
        if (med > CONTAMINATION_FACTOR) {
          dropTable(tables, be, field, key, `small-shape times ${med.toFixed(1)}× the other backends' (host overhead in the timing)`);
          log.push(`${systemId} ${be} ${field} ${key}: dropped (small-shape median ${med.toFixed(1)}× the best other backend)`);
          continue;
        }
      }
      if (field === 'moe' && key !== 'bf16') {
        const bf = gridOfKey(be, 'bf16');
        if (!bf) continue;
        // compare times, not ratios: same shapes, so the ratio of times is exp(Δ ln r) × roof_q / roof_bf16
        const diffs: number[] = [];
        for (const c of smallCoords) {
          const roofRatio = moeRoofRatio(key as QuantMode, c);
          diffs.push(lookup(g, c) - lookup(bf, c) + Math.log(roofRatio));
        }
        const med = Math.exp(quantile(diffs, 0.5));
        if (med > QUANT_SLOWER_FACTOR) {
          dropTable(tables, be, field, key, `${med.toFixed(1)}× slower than the same backend's bf16 kernel on small shapes`);
          log.push(`${systemId} ${be} ${field} ${key}: dropped (${med.toFixed(1)}× slower than its own bf16 table)`);
        }
      }
    }
  }
}

function moeRoofRatio(q: QuantMode, c: readonly number[]): number {
  // grid point [tokens per expert, expert elements, local experts] → a representative E = 256, k = 8 layer
  const E = 256;
  const k = 8;
  const tokens = (c[0]! * E) / k;
  const h = Math.sqrt(c[1]! / 3);
  const ep = E / c[2]!;
  const peaks: Peaks = { flopsPerS: { bf16: 1e15, fp8: 2e15, fp4: 4e15, int8: 2e15 }, memBytesPerS: 4e12 };
  return roofS(moeWork(tokens, h, h, k, E, 1, ep, q), peaks) / roofS(moeWork(tokens, h, h, k, E, 1, ep, 'bf16'), peaks);
}

// ---------------------------------------------------------------------------------------------------------------
// Transfer curves: one parametric shape per operator class, fitted on every system with tables.

function fitTransfer(cls: string, log: string[]): TransferCurve {
  const all = collected.transfer.get(cls) ?? [];
  const systems = [...new Set(all.map((s) => s.system))].sort();
  const perSystem: TransferCurve[] = [];
  for (const sys of systems) {
    // deterministic subsample, at most 4000 points per system
    const pts = all.filter((s) => s.system === sys);
    const stride = Math.max(1, Math.floor(pts.length / 4000));
    const sub = pts.filter((_, i) => i % stride === 0);
    const ref = REF_PEAKS.get(sys);
    if (!ref || sub.length < 20) continue;
    const peaks = peaksOf(ref);
    const loss = (c: TransferCurve): number => {
      let s = 0;
      for (const p of sub) {
        const d = Math.log(transferTimeS(c, p.work, peaks) / p.t);
        s += d * d;
      }
      return s / sub.length;
    };
    const best = nelderMead(
      (v) => loss(curveOf(v)),
      [Math.log(5e-6), Math.log(0.6), Math.log(0.8), Math.log(2)],
      [1, 0.5, 0.5, 0.5],
    );
    const c = curveOf(best);
    perSystem.push(c);
    log.push(
      `transfer ${cls} ${sys}: t0 ${(c.t0S * 1e6).toFixed(2)} us, effCompute ${c.effCompute.toFixed(3)}, effMemory ${c.effMemory.toFixed(3)}, p ${c.p.toFixed(2)}, rms ln err ${Math.sqrt(loss(c)).toFixed(3)} (${sub.length} pts)`,
    );
  }
  const med = (f: (c: TransferCurve) => number): number => quantile(perSystem.map(f), 0.5);
  const out = { t0S: med((c) => c.t0S), effCompute: med((c) => c.effCompute), effMemory: med((c) => c.effMemory), p: med((c) => c.p) };
  log.push(`transfer ${cls} (median over ${perSystem.length} systems): t0 ${(out.t0S * 1e6).toFixed(2)} us, effCompute ${out.effCompute.toFixed(3)}, effMemory ${out.effMemory.toFixed(3)}, p ${out.p.toFixed(2)}`);
  return out;
}

function curveOf(v: readonly number[]): TransferCurve {
  return {
    t0S: Math.exp(v[0]!),
    effCompute: Math.min(1, Math.exp(v[1]!)),
    effMemory: Math.min(1.2, Math.exp(v[2]!)),
    p: Math.min(16, Math.max(1, Math.exp(v[3]!))),
  };
}

function nelderMead(f: (v: number[]) => number, x0: number[], step: number[], iters = 600): number[] {
  const n = x0.length;
  let simplex: { x: number[]; fx: number }[] = [{ x: x0.slice(), fx: f(x0) }];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] = x[i]! + step[i]!;
    simplex.push({ x, fx: f(x) });
  }
  for (let it = 0; it < iters; it++) {
    simplex.sort((a, b) => a.fx - b.fx);
    const worst = simplex[n]!;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let d = 0; d < n; d++) centroid[d] = centroid[d]! + simplex[i]!.x[d]! / n;
    const at = (t: number): number[] => centroid.map((c, d) => c + t * (worst.x[d]! - c));
    const xr = at(-1);
    const fr = f(xr);
    if (fr < simplex[0]!.fx) {
      const xe = at(-2);
      const fe = f(xe);
      simplex[n] = fe < fr ? { x: xe, fx: fe } : { x: xr, fx: fr };
    } else if (fr < simplex[n - 1]!.fx) {
      simplex[n] = { x: xr, fx: fr };
    } else {
      const xc = at(0.5);
      const fc = f(xc);
      if (fc < worst.fx) simplex[n] = { x: xc, fx: fc };
      else {
        const best = simplex[0]!;
        simplex = simplex.map((s, i) => (i === 0 ? s : { x: s.x.map((v, d) => best.x[d]! + 0.5 * (v - best.x[d]!)), fx: 0 }));
        for (let i = 1; i <= n; i++) simplex[i]!.fx = f(simplex[i]!.x);
      }
    }
  }
  simplex.sort((a, b) => a.fx - b.fx);
  return simplex[0]!.x;
}

/**
 * Collectives: t = L·(latencyMultiple + latencyPerLog2Gpus·log2 n) + algBytes / (linkBW · bandwidthEfficiency),
 * with L and linkBW the system's p2p latency and NVLink bandwidth from its yaml. Fitted per system, median kept.
 */
function fitCollective(kind: 'allreduce' | 'allgather' | 'alltoall' | 'reducescatter', log: string[]): CollectiveFit {
  const all = commSamples.get(kind) ?? [];
  const systems = [...new Set(all.map((s) => s.system))].sort();
  const fits: CollectiveFit[] = [];
  for (const sys of systems) {
    const link = LINKS.get(sys.split(' ')[0]!);
    if (!link) continue;
    const pts = all.filter((s) => s.system === sys);
    const model = (c: CollectiveFit, n: number, bytes: number): number =>
      link.latencyS * (c.latencyMultiple + c.latencyPerLog2Gpus * Math.log2(n)) + (algBytesFactor(kind, n) * bytes) / (link.bandwidthBytesPerS * c.bandwidthEfficiency);
    const of = (v: readonly number[]): CollectiveFit => ({
      latencyMultiple: Math.exp(v[0]!),
      latencyPerLog2Gpus: Math.exp(v[1]!),
      bandwidthEfficiency: Math.min(1.5, Math.exp(v[2]!)),
    });
    const loss = (v: number[]): number => {
      const c = of(v);
      let s = 0;
      for (const p of pts) {
        const d = Math.log(model(c, p.n, p.bytes) / p.t);
        s += d * d;
      }
      return s / pts.length;
    };
    const best = nelderMead(loss, [Math.log(1), Math.log(0.5), Math.log(0.7)], [0.5, 0.5, 0.3]);
    const c = of(best);
    fits.push(c);
    log.push(
      `collective ${kind} ${sys}: latency ${c.latencyMultiple.toFixed(2)} + ${c.latencyPerLog2Gpus.toFixed(2)}·log2(n) link latencies, bandwidth efficiency ${c.bandwidthEfficiency.toFixed(3)}, rms ln err ${Math.sqrt(loss(best)).toFixed(3)}`,
    );
  }
  const med = (f: (c: CollectiveFit) => number): number => quantile(fits.map(f), 0.5);
  return { latencyMultiple: med((c) => c.latencyMultiple), latencyPerLog2Gpus: med((c) => c.latencyPerLog2Gpus), bandwidthEfficiency: med((c) => c.bandwidthEfficiency) };
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const REF_PEAKS = new Map<string, ReferencePeaks>();
const LINKS = new Map<string, { bandwidthBytesPerS: number; latencyS: number }>();

/** Device ids/aliases in phasewise's catalog that each aiconfigurator system stands for. */
const SYSTEM_MATCHES: Readonly<Record<string, readonly string[]>> = {
  a100_sxm: ['a100', 'a100_sxm', 'a100-sxm', 'a100-sxm4'],
  h100_sxm: ['h100', 'h100_sxm', 'h100-sxm', 'h100-sxm5'],
  h200_sxm: ['h200', 'h200_sxm', 'h200-sxm'],
  b200_sxm: ['b200', 'b200_sxm', 'b200-sxm'],
  gb200: ['gb200', 'gb200-nvl72'],
  b300_sxm: ['b300', 'b300_sxm', 'b300-sxm'],
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dataRoot = resolve(args.includes('--data') ? args[args.indexOf('--data') + 1]! : join(process.cwd(), '..', 'shared', 'data', 'calibration'));
  const check = args.includes('--check');
  const aic = join(dataRoot, 'aiconfigurator');
  const dataDir = join(aic, 'data');
  const log: string[] = [];
  const systems: SystemCalibration[] = [];

  for (const system of Object.keys(SYSTEM_MATCHES)) {
    if (!existsSync(join(dataDir, system))) continue;
    const y = parseYaml(readFileSync(join(aic, 'systems', `${system}.yaml`), 'utf8')) as {
      gpu: Record<string, number>;
      node: Record<string, number>;
    };
    const ref: ReferencePeaks = {
      bf16FlopsPerS: y.gpu['bfloat16_tc_flops']!,
      fp8FlopsPerS: y.gpu['fp8_tc_flops'] ?? y.gpu['int8_tc_flops']!,
      fp4FlopsPerS: y.gpu['fp4_tc_flops'] ?? null,
      int8FlopsPerS: y.gpu['int8_tc_flops']!,
      memBytesPerS: y.gpu['mem_bw']!,
      scaleUpBytesPerS: y.node['intra_node_bw']!,
    };
    REF_PEAKS.set(system, ref);
    LINKS.set(system, { bandwidthBytesPerS: y.node['intra_node_bw']!, latencyS: y.node['p2p_latency']! });
    const peaks = peaksOf(ref);
    const backends: Partial<Record<TableBackend, BackendTables>> = {};
    for (const be of ['trtllm', 'vllm', 'sglang'] as const) {
      const name = `${system}/${be}`;
      const sources: Record<string, string> = {};
      const t: { -readonly [K in keyof BackendTables]: BackendTables[K] } = { sources };
      const gemm = newestTable(dataDir, system, 'gemm', be, 'gemm_perf.parquet');
      if (gemm) {
        sources['gemm'] = gemm.source;
        t.gemm = await fitGemm(gemm.path, name, peaks);
      }
      const ca = newestTable(dataDir, system, 'attention', be, 'context_attention_perf.parquet');
      const ga = newestTable(dataDir, system, 'attention', be, 'generation_attention_perf.parquet');
      if (ca || ga) {
        if (ca) sources['contextAttn'] = ca.source;
        if (ga) sources['generationAttn'] = ga.source;
        const a = await fitAttention(ca?.path ?? null, ga?.path ?? null, name, peaks, system, be);
        t.contextAttn = a.ctx;
        t.generationAttn = a.gen;
      }
      const mc = newestTable(dataDir, system, 'mla', be, 'context_mla_perf.parquet');
      const mg = newestTable(dataDir, system, 'mla', be, 'generation_mla_perf.parquet');
      if (mc || mg) {
        if (mc) sources['mlaContext'] = mc.source;
        if (mg) sources['mlaGeneration'] = mg.source;
        const m = await fitMla(mc?.path ?? null, mg?.path ?? null, name, peaks, system, be);
        t.mlaContext = m.ctx;
        t.mlaGeneration = m.gen;
      }
      const bmm = newestTable(dataDir, system, 'mla_bmm', be, 'mla_bmm_perf.parquet');
      if (bmm) {
        sources['mlaBmm'] = bmm.source;
        t.mlaBmm = await fitMlaBmm(bmm.path, name, peaks);
      }
      const moe = newestTable(dataDir, system, 'moe', be, 'moe_perf.parquet');
      if (moe) {
        sources['moe'] = moe.source;
        const m = await fitMoe(moe.path, name, peaks, system);
        t.moe = m.grids;
        if (m.epOnly.length > 0) {
          t.moeEpOnly = m.epOnly;
          log.push(`${name} moe ${m.epOnly.join(', ')}: expert-parallel splits only (a TP split is costed as the EP split of its width)`);
        }
      }
      const ar = newestTable(dataDir, system, 'comm', be, 'custom_allreduce_perf.parquet');
      if (ar) {
        sources['allreduce'] = ar.source;
        const g = await fitCustomAllreduce(ar.path, name);
        if (g) t.allreduce = g;
      }
      if (Object.keys(sources).length > 0) backends[be] = t;
    }
    // small-shape probes for the contamination check, per table family
    const { gemm: bestGemm, sources: gemmSources } = bestOfGemm(system, backends, log);
    // Transfer samples for GEMM: the best-of grid's own cells (what the runtime uses), m ≤ 16384, n, k ≥ 256.
    for (const [q, pg] of Object.entries(bestGemm) as [QuantMode, PackedGrid][]) {
      const g = unpackGrid(pg);
      for (const m of GEMM_AXES[0]!) {
        if (m > 16384) continue;
        for (const n of GEMM_AXES[1]!) {
          if (n < 256) continue;
          for (const k of GEMM_AXES[2]!) {
            if (k < 256) continue;
            const w = gemmWork(m, n, k, q);
            keepForTransfer(`gemm/${w.compute}`, system, w, Math.exp(lookup(g, [m, n, k])) * roofS(w, peaks));
          }
        }
      }
    }
    dropContaminated(system, backends, 'mlaGeneration', [1, 8].flatMap((h) => [1, 8, 32].flatMap((b) => [128, 1024].map((c) => [h * 8, b, c]))), log);
    dropContaminated(system, backends, 'mlaContext', [16, 64].flatMap((h) => [1, 4].flatMap((b) => [64, 256].map((s) => [h, b, s]))), log);
    dropContaminated(system, backends, 'moe', [1 / 32, 1 / 4, 1].flatMap((tpe) => [2 ** 20, 2 ** 22, 2 ** 24].flatMap((e) => [4, 32].map((el) => [tpe, e, el]))), log);
    dropContaminated(system, backends, 'generationAttn', [8, 64].flatMap((b) => [128, 1024].map((c) => [b, c, 8])), log);
    dropContaminated(system, backends, 'contextAttn', [8, 64].flatMap((b) => [128, 512].map((s) => [b, s, 8])), log);

    const nccl = newestTable(dataDir, system, 'comm', 'nccl', 'nccl_perf.parquet');
    const ncclGrids = nccl ? await fitNccl(nccl.path, `${system} ${nccl.source}`) : {};
    systems.push({ id: system, matches: SYSTEM_MATCHES[system]!, ref, backends, gemm: bestGemm, gemmSources, nccl: ncclGrids });
  }

  const generic: GenericCalibration = {
    gemm: { bf16: fitTransfer('gemm/bf16', log), fp8: fitTransfer('gemm/fp8', log), fp4: fitTransfer('gemm/fp4', log) },
    contextAttn: fitTransfer('contextAttn', log),
    generationAttn: fitTransfer('generationAttn', log),
    mlaContext: fitTransfer('mlaContext', log),
    mlaGeneration: fitTransfer('mlaGeneration', log),
    moe: fitTransfer('moe', log),
    collective: {
      allreduce: fitCollective('allreduce', log),
      allgather: fitCollective('allgather', log),
      alltoall: fitCollective('alltoall', log),
      reducescatter: fitCollective('reducescatter', log),
    },
  };

  const lines: string[] = [];
  lines.push('# phasewise calibration fit report (generated by scripts/fit-calibration.ts; do not edit)');
  lines.push('#');
  lines.push('# Source: ai-dynamo/aiconfigurator systems/data (Apache-2.0). Each grid row: how well the packed grid');
  lines.push('# reproduces the measured rows it was fitted on (|predicted/measured - 1|).');
  lines.push('');
  for (const r of reports) {
    lines.push(`${r.table.padEnd(56)} ${String(r.samples).padStart(7)} rows  median |err| ${(100 * r.medianAbsErr).toFixed(1).padStart(5)}%  p90 ${(100 * r.p90AbsErr).toFixed(1).padStart(5)}%`);
  }
  lines.push('');
  for (const l of log) lines.push(l);
  const allErr = reports.map((r) => r.medianAbsErr);
  lines.push('');
  lines.push(`grids: ${reports.length}; median of the per-grid median |err|: ${(100 * quantile(allErr, 0.5)).toFixed(1)}%`);
  lines.push(`generic (transfer) calibration: ${JSON.stringify(generic)}`);
  for (const l of lines) console.log(l);
  if (check) return;
  mkdirSync(join(process.cwd(), 'data', 'calibration'), { recursive: true });
  writeFileSync(join(process.cwd(), 'data', 'calibration', 'fit-report.txt'), lines.join('\n') + '\n');

  const out = renderModule(systems, generic);
  const target = join(process.cwd(), 'src', 'perf', 'calibration-data.ts');
  writeFileSync(target, out);
  console.log(`wrote ${target}: ${(out.length / 1024).toFixed(0)} KiB`);
}

function renderModule(systems: readonly SystemCalibration[], generic: GenericCalibration): string {
  const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(6)) : x));
  const lines: string[] = [];
  lines.push('/**');
  lines.push(' * GENERATED by scripts/fit-calibration.ts — do not edit. Regenerate with');
  lines.push(' *   npx tsc -p . && node dist/scripts/fit-calibration.js');
  lines.push(' *');
  lines.push(' * Derived from measured operator latency tables of ai-dynamo/aiconfigurator');
  lines.push(' * (https://github.com/ai-dynamo/aiconfigurator, systems/data/<system>/{gemm,attention,mla,mla_bmm,moe,comm}),');
  lines.push(' * Copyright (c) 2025-2026 NVIDIA CORPORATION & AFFILIATES, licensed under the Apache License 2.0');
  lines.push(' * (http://www.apache.org/licenses/LICENSE-2.0). The grids hold ln(measured / roofline) at the systems\'');
  lines.push(' * reference peaks (systems/<system>.yaml); see docs/perf.md for the method. Data only.');
  lines.push(' */');
  lines.push("import type { GenericCalibration, SystemCalibration } from './calibration-types.js';");
  lines.push('');
  lines.push(`export const CALIBRATION_VERSION = ${JSON.stringify(new Date().toISOString().slice(0, 10))};`);
  lines.push('');
  lines.push('export const CALIBRATION_SOURCES: readonly string[] = [');
  lines.push("  'ai-dynamo/aiconfigurator systems/data (Apache-2.0): gemm, attention, mla, mla_bmm, moe, comm tables',");
  lines.push("  'ai-dynamo/aiconfigurator systems/*.yaml (Apache-2.0): reference peak FLOP/s, HBM bandwidth, NVLink bandwidth and latency',");
  lines.push('];');
  lines.push('');
  lines.push(`export const GENERIC_CALIBRATION: GenericCalibration = ${json(generic)};`);
  lines.push('');
  lines.push('export const SYSTEM_CALIBRATIONS: readonly SystemCalibration[] = [');
  for (const s of systems) lines.push(`  ${json(s)},`);
  lines.push('];');
  lines.push('');
  return lines.join('\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
