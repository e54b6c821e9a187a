import { parse } from 'csv-parse/sync';
import { UsageError } from '../core/errors.js';

/** Parallelism and sizing of one role (aggregated worker, prefill worker or decode worker) of a measured deployment. */
export interface RoleConfig {
  /** Requests per attention-DP rank (the engine's batch) when the row gives it. */
  readonly batch: number | null;
  /** Number of workers (engine instances) when the row gives it. */
  readonly workers: number | null;
  readonly tp: number;
  readonly pp: number;
  /** Attention data-parallel ranks per worker. */
  readonly dp: number;
  /** Tensor parallelism inside the MoE layers, when the row gives it. */
  readonly moeTp: number | null;
  readonly ep: number;
}

/** One measured deployment in the schema of silicon_dev.csv (fields: data/validation/FIELDS.md). */
export interface ValidationRow {
  readonly id: string;
  /** 1-based line of the CSV record (header = 1). */
  readonly line: number;
  readonly backend: string;
  readonly backendVersion: string;
  readonly modelPath: string;
  readonly system: string;
  readonly precision: string;
  readonly mode: 'agg' | 'disagg';
  readonly isl: number;
  readonly osl: number;
  readonly gemmQuantMode: string;
  readonly moeQuantMode: string;
  /** Concurrent clients of the benchmark: `silicon_concurrency` in the provenance, else batch_size × attention DP. */
  readonly concurrency: number;
  /** `silicon_data_source`: where the measurement comes from (which harness ran it). */
  readonly source: string;
  /** Total GPUs of the deployment when the file has such a column (`num_gpus` / `total_gpus`). */
  readonly numGpus: number | null;
  readonly agg: RoleConfig | null;
  readonly prefill: RoleConfig | null;
  readonly decode: RoleConfig | null;
  /** Measured TTFT and TPOT (ms); null when the file leaves them empty (then only a prediction is made). */
  readonly measuredTtftMs: number | null;
  readonly measuredTpotMs: number | null;
  /**
   * The serving image of rows this row repeats the measurement of, when its own provenance names none
   * (twins.ts inheritTwinImages): last path segment, and the id of one such row.
   */
  readonly twinImage?: { readonly image: string; readonly twinId: string };
}

export type ParsedRow =
  | { readonly ok: true; readonly row: ValidationRow }
  | { readonly ok: false; readonly id: string; readonly line: number; readonly reason: string; readonly fields: Readonly<Record<string, string>> };

const REQUIRED_COLUMNS = ['id', 'backend', 'model_path', 'system', 'mode', 'isl', 'osl', 'silicon_ttft_ms', 'silicon_tpot_ms'];

/**
 * Parse a validation CSV. A file that cannot be read as CSV with the required columns is a UsageError; a bad row
 * is returned with its reason (and whatever fields it had) and the others go on.
 */
export function parseValidationCsv(text: string, where: string): ParsedRow[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, relax_quotes: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (e) {
    throw new UsageError(where, (e as Error).message.split('\n')[0], 'a CSV file in the schema of silicon_dev.csv (see data/validation/FIELDS.md)');
  }
  const header = records[0];
  if (!header) throw new UsageError(where, 'empty file', 'a CSV header and rows');
  const col = new Map(header.map((h, i) => [h.trim(), i]));
  const missing = REQUIRED_COLUMNS.filter((c) => !col.has(c));
  if (missing.length > 0) {
    throw new UsageError(`${where} header`, header.join(','), `the columns of silicon_dev.csv; missing: ${missing.join(', ')}`);
  }
  const out: ParsedRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const cells = records[i]!;
    const get = (name: string): string => (cells[col.get(name) ?? -1] ?? '').trim();
    const line = i + 1;
    const id = get('id') || `line ${line}`;
    try {
      out.push({ ok: true, row: parseRow(get, id, line, cells.length === header.length, col) });
    } catch (e) {
      const fields: Record<string, string> = {};
      for (const name of ['system', 'model_path', 'backend', 'mode']) fields[name] = get(name);
      out.push({ ok: false, id, line, reason: e instanceof RowError ? e.message : String(e), fields });
    }
  }
  return out;
}

class RowError extends Error {}

function parseRow(get: (name: string) => string, id: string, line: number, widthOk: boolean, col: ReadonlyMap<string, number>): ValidationRow {
  if (!widthOk) throw new RowError('wrong number of fields');
  const num = (name: string, optional = false): number | null => {
    const raw = get(name);
    if (raw === '') {
      if (optional) return null;
      throw new RowError(`field ${name} is empty`);
    }
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new RowError(`field ${name} = ${JSON.stringify(raw)} is not a positive number`);
    return v;
  };
  const int = (name: string, optional = true): number | null => {
    const v = num(name, optional);
    if (v !== null && !Number.isInteger(v)) throw new RowError(`field ${name} = ${v} is not an integer`);
    return v;
  };
  // Parallelism degrees: empty or 0 mean "not used" (1), as the source writes them.
  const degree = (name: string): number | null => {
    const raw = get(name);
    if (raw === '' || raw === '0') return null;
    return int(name);
  };
  const mode = get('mode');
  if (mode !== 'agg' && mode !== 'disagg') throw new RowError(`field mode = ${JSON.stringify(mode)} is not agg or disagg`);
  const role = (prefix: string): RoleConfig | null => {
    const tp = degree(`${prefix}tp_size`);
    if (tp === null) return null;
    return {
      batch: int(`${prefix}batch_size`),
      workers: prefix === '' ? 1 : int(`${prefix}num_workers`),
      tp,
      pp: degree(`${prefix}pp_size`) ?? 1,
      dp: degree(`${prefix}attention_dp_size`) ?? 1,
      moeTp: degree(`${prefix}moe_tp_size`),
      ep: degree(`${prefix}moe_ep_size`) ?? 1,
    };
  };
  const source = get('silicon_data_source');
  const agg = mode === 'agg' ? role('') : null;
  const prefill = mode === 'disagg' ? role('prefill_') : null;
  const decode = mode === 'disagg' ? role('decode_') : null;
  if (mode === 'agg' && !agg) throw new RowError('agg row without tp_size');
  if (mode === 'disagg' && (!prefill || !decode)) throw new RowError('disagg row without prefill_tp_size / decode_tp_size');
  const m = /silicon_concurrency=(\d+)/.exec(source);
  // Without silicon_concurrency: every client holds one running request, so the concurrency is the batch of all
  // ranks of all workers (agg: batch_size × attention DP; disagg: decode batch × decode workers × attention DP).
  const fromBatch = (r: RoleConfig | null): number | null => (r && r.batch !== null && r.workers !== null ? r.batch * r.dp * r.workers : null);
  const concurrency = m ? Number(m[1]) : mode === 'agg' ? fromBatch(agg) : fromBatch(decode);
  if (concurrency === null || !(concurrency > 0)) throw new RowError('no concurrency: neither silicon_concurrency in silicon_data_source nor batch_size');
  const gpusColumn = col.has('num_gpus') ? 'num_gpus' : col.has('total_gpus') ? 'total_gpus' : null;
  const isl = int('isl', false)!;
  const osl = int('osl', false)!;
  return {
    id,
    line,
    backend: get('backend'),
    backendVersion: get('backend_version'),
    modelPath: get('model_path'),
    system: get('system'),
    precision: get('precision'),
    mode,
    isl,
    osl,
    gemmQuantMode: get('gemm_quant_mode'),
    moeQuantMode: get('moe_quant_mode'),
    concurrency,
    source,
    numGpus: gpusColumn ? int(gpusColumn) : null,
    agg,
    prefill,
    decode,
    measuredTtftMs: num('silicon_ttft_ms', true),
    measuredTpotMs: num('silicon_tpot_ms', true),
  };
}
