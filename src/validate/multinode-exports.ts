/**
 * InferenceX's multi-node GB200 results exported as `agg` rows (docs/validation.md, "Multi-node exports"). Those
 * benchmarks ran Dynamo disaggregated deployments — prefill workers and decode workers on separate GB200 trays —
 * but the export wrote one aggregated engine whose tp_size (= moe_tp_size) is the deployment's total GPU count,
 * with moe_ep_size 1 and no worker counts. The deployments are the search-space entries of InferenceX's
 * `.github/configs/nvidia-master.yaml` as it stood in November 2025 (the rows were measured 2025-11-16/17; the
 * file's form of that time is kept in InferenceMAX/InferenceMAX @ 525079ad and its forks):
 * `dsr1-fp4-gb200-dynamo-trt` and `dsr1-fp8-gb200-dynamo-sglang`. Each entry is identified by what the row does
 * carry: backend, precision, ISL, total GPUs and the concurrency it was run at.
 */
import { protocolOf } from './protocol.js';
import type { RoleConfig, ValidationRow } from './rows.js';

/** One worker type of an entry: how many workers, GPUs per worker, attention DP, the engine's batch per rank. */
export interface WorkerSpec {
  readonly workers: number;
  readonly gpus: number;
  /** Expert-parallel degree when it is not all of the worker's GPUs (attention-TP workers). */
  readonly ep?: number;
  /** Attention data-parallel over the worker's GPUs with the experts over all of them (`dp-attn: true`). */
  readonly dpAttention: boolean;
  /** `MAX_BATCH_SIZE` per attention rank, when the entry sets one. */
  readonly maxBatch: number | null;
}

export interface MultinodeEntry {
  readonly backend: 'trtllm' | 'sglang';
  readonly precision: 'fp4' | 'fp8';
  readonly isl: number;
  readonly prefill: WorkerSpec;
  readonly decode: WorkerSpec;
  /** MTP draft tokens (`MTP_SIZE`), 0 without speculative decoding. */
  readonly mtpDraftTokens: number;
  /**
   * Concurrencies the entry was benchmarked at, as the rows give them: the entry's `conc-list` per decode worker
   * times the decode workers (the 4- and 3-worker TEP8 entries' measured 564 = 4 × 141 and 54 = 3 × 18 say so).
   */
  readonly concurrencies: readonly number[];
}

const w = (workers: number, gpus: number, dpAttention: boolean, maxBatch: number | null = null): WorkerSpec => ({ workers, gpus, dpAttention, maxBatch });
/** TensorRT-LLM prefill workers are one tray, attention DP 4 (`ctx_tp_size` is fixed at 4 by the launch script). */
const trtPrefill = (workers: number, isl: number): WorkerSpec => w(workers, 4, true, isl > 1024 ? 1 : 4);
const times = (list: readonly number[], k: number): number[] => list.map((c) => c * k);

const trt = (isl: number, prefillWorkers: number, decode: WorkerSpec, mtp: number, conc: readonly number[]): MultinodeEntry => ({
  backend: 'trtllm',
  precision: 'fp4',
  isl,
  prefill: trtPrefill(prefillWorkers, isl),
  decode,
  mtpDraftTokens: mtp,
  concurrencies: times(conc, decode.workers),
});

/** `dsr1-fp4-gb200-dynamo-trt` (image ai-dynamo/tensorrtllm-runtime:0.5.1-rc0.pre3), every entry. */
const DSR1_FP4_GB200_TRT: readonly MultinodeEntry[] = [
  trt(1024, 1, w(4, 8, false, 32), 3, [1, 2, 4, 8, 16, 36]),
  trt(1024, 1, w(1, 16, true, 64), 3, [512, 1075]),
  trt(1024, 2, w(1, 16, true, 128), 1, [2150]),
  trt(1024, 1, w(1, 32, true, 16), 3, [512]),
  trt(1024, 1, w(1, 8, true, 256), 1, [2252]),
  trt(1024, 1, w(4, 8, false, 128), 0, [1, 2, 4, 8, 16, 32, 64, 141]),
  trt(1024, 1, w(1, 32, true, 32), 0, [1075]),
  trt(1024, 1, w(1, 16, true, 64), 0, [1075]),
  trt(1024, 2, w(1, 16, true, 256), 0, [2048, 4300]),
  trt(1024, 1, w(1, 8, true, 512), 0, [4300]),
  trt(8192, 1, w(3, 8, false, 16), 3, [1, 2, 4, 8, 18]),
  trt(8192, 5, w(1, 32, true, 8), 3, [128, 269]),
  trt(8192, 8, w(1, 32, true, 16), 3, [538]),
  trt(8192, 8, w(1, 16, true, 64), 2, [1075]),
  trt(8192, 6, w(1, 8, true, 256), 1, [2150]),
  trt(8192, 1, w(3, 8, false, 32), 0, [1, 2, 4, 8, 16, 34]),
  trt(8192, 4, w(1, 32, true, 16), 0, [256, 538]),
  trt(8192, 6, w(1, 16, true, 64), 0, [1075]),
  trt(8192, 8, w(1, 16, true, 128), 0, [2150]),
  trt(8192, 5, w(1, 8, true, 256), 0, [2150]),
];

/**
 * `dsr1-fp8-gb200-dynamo-sglang` (image ai-dynamo/sglang-runtime:0.5.1-rc0.pre1): workers sized by PREFILL_NODES /
 * DECODE_NODES (4 GPUs a node), attention DP + EP throughout (the script hard-codes it).
 */
const DSR1_FP8_GB200_SGLANG: readonly MultinodeEntry[] = [
  { backend: 'sglang', precision: 'fp8', isl: 1024, prefill: w(2, 8, true), decode: w(1, 32, true), mtpDraftTokens: 0, concurrencies: [4096] },
  { backend: 'sglang', precision: 'fp8', isl: 1024, prefill: w(1, 4, true), decode: w(4, 4, true), mtpDraftTokens: 0, concurrencies: [2, 4, 8, 16, 64, 128] },
  { backend: 'sglang', precision: 'fp8', isl: 1024, prefill: w(3, 8, true), decode: w(1, 48, true), mtpDraftTokens: 0, concurrencies: [1024, 2048, 4096] },
  { backend: 'sglang', precision: 'fp8', isl: 8192, prefill: w(6, 8, true), decode: w(1, 24, true), mtpDraftTokens: 0, concurrencies: [128, 256, 384, 448, 512, 576, 1024, 2048, 4096] },
];

export const GB200_MULTINODE_ENTRIES: readonly MultinodeEntry[] = [...DSR1_FP4_GB200_TRT, ...DSR1_FP8_GB200_SGLANG];

/** How far `clients` is from the nearest of an entry's benchmarked concurrencies, in |log| (0: it is listed). */
export const concurrencyGap = (concurrencies: readonly number[], clients: number): number =>
  Math.min(...concurrencies.map((c) => Math.abs(Math.log(c / clients))));

const gpusOf = (e: MultinodeEntry): number => e.prefill.workers * e.prefill.gpus + e.decode.workers * e.decode.gpus;

/** A role column that holds a multi-tray world size: tp_size above 8 with MoE TP over all of it and no EP. */
const worldSized = (r: RoleConfig | null): r is RoleConfig => r !== null && r.tp > 8 && r.pp === 1 && r.dp <= 1 && r.ep <= 1 && (r.moeTp ?? r.tp) === r.tp;

/**
 * The total GPU count of a row that is such an export, else null: a GB200 DeepSeek-R1 row (not from
 * aiconfigurator's harness) that is either `agg` with a world-sized tp_size, or `disagg` without worker counts
 * whose two roles both carry the same world size (the same results exported the other way).
 */
function multinodeGpus(row: ValidationRow): number | null {
  if (row.system !== 'gb200' || !/deepseek-r1/i.test(row.modelPath) || protocolOf(row).harness !== 'inferencex') return null;
  if (row.mode === 'agg') return worldSized(row.agg) ? row.agg.tp : null;
  const { prefill: p, decode: d } = row;
  if (!worldSized(p) || !worldSized(d) || p.tp !== d.tp || p.workers !== null || d.workers !== null) return null;
  return p.tp;
}

/**
 * The entry a row was measured on: same backend, precision, ISL and total GPUs; among several, one benchmarked at
 * the row's concurrency (without MTP when both variants list it: the rows do not say), else the nearest in
 * log-concurrency. Null when the row is not a multi-node export or no entry has its shape.
 */
export function multinodeEntryOf(row: ValidationRow, entries: readonly MultinodeEntry[] = GB200_MULTINODE_ENTRIES): MultinodeEntry | null {
  const gpus = multinodeGpus(row);
  if (gpus === null) return null;
  const candidates = entries.filter((e) => e.backend === row.backend && e.precision === row.precision && e.isl === row.isl && gpusOf(e) === gpus);
  if (candidates.length === 0) return null;
  const distance = (e: MultinodeEntry): number => concurrencyGap(e.concurrencies, row.concurrency);
  return candidates.slice().sort((a, b) => distance(a) - distance(b) || a.mtpDraftTokens - b.mtpDraftTokens)[0]!;
}

/** A matrix worker as the role columns of a row (attention DP: tp 1 × dp GPUs with EP over them). */
export function roleOf(s: WorkerSpec, numExperts: number): RoleConfig {
  if (s.dpAttention) return { batch: s.maxBatch, workers: s.workers, tp: 1, pp: 1, dp: s.gpus, moeTp: 1, ep: Math.min(s.gpus, numExperts) };
  const ep = Math.max(1, Math.min(s.ep ?? s.gpus, s.gpus, numExperts));
  return { batch: s.maxBatch, workers: s.workers, tp: s.gpus, pp: 1, dp: 1, moeTp: Math.max(1, Math.floor(s.gpus / ep)), ep };
}

/** The row as the disaggregated deployment it measured, with a note saying so. */
export function asDisaggregated(row: ValidationRow, e: MultinodeEntry, numExperts: number, what = `GB200 multi-node export of ${gpusOf(e)} GPUs`): { readonly row: ValidationRow; readonly note: string } {
  const describe = (s: WorkerSpec): string => `${s.workers} × ${s.dpAttention ? 'DEP' : 'TEP'}${s.gpus}`;
  return {
    row: { ...row, mode: 'disagg', agg: null, prefill: roleOf(e.prefill, numExperts), decode: roleOf(e.decode, numExperts) },
    note:
      `${what} read as InferenceX's ${row.backend} entry: prefill ${describe(e.prefill)}, ` +
      `decode ${describe(e.decode)}${e.mtpDraftTokens > 0 ? `, MTP ${e.mtpDraftTokens}` : ''}`,
  };
}
