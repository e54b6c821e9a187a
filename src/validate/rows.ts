import { parse } from 'csv-parse/sync';
import { UsageError } from '../core/errors.js';

/** Parallelism and sizing of one role of a measured deployment. */
export interface RoleConfig {
  /** Per-worker batch (concurrency) when the row gives it. */
  readonly batch: number | null;
  /** Number of workers when the row gives it. */
  readonly workers: number | null;
  readonly tp: number;
  readonly pp: number;
  readonly dp: number;
  readonly moeTp: number;
  readonly ep: number;
}

/** One measured deployment of silicon_dev.csv (fields: data/validation/FIELDS.md). */
export interface ValidationRow {
  readonly id: string;
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
  /** Concurrent clients of the benchmark (silicon_concurrency in the provenance, else batch_size). */
  readonly concurrency: number;
  readonly agg: RoleConfig | null;
  readonly prefill: RoleConfig | null;
  readonly decode: RoleConfig | null;
  readonly measuredTtftMs: number;
  readonly measuredTpotMs: number;
}

export type ParsedRow = { readonly ok: true; readonly row: ValidationRow } | { readonly ok: false; readonly id: string; readonly line: number; readonly reason: string };

const REQUIRED_COLUMNS = ['id', 'backend', 'model_path', 'system', 'mode', 'isl', 'osl', 'silicon_ttft_ms', 'silicon_tpot_ms'];

/**
 * Parse the validation CSV. A file that cannot be read as CSV with the required columns is a UsageError; a bad
 * row is reported with its reason and the others go on.
 */
export function parseValidationCsv(text: string, where: string): ParsedRow[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
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
      out.push({ ok: true, row: parseRow(get, id, line, cells.length === header.length) });
    } catch (e) {
      out.push({ ok: false, id, line, reason: e instanceof RowError ? e.message : String(e) });
    }
  }
  return out;
}

class RowError extends Error {}

function parseRow(get: (name: string) => string, id: string, line: number, widthOk: boolean): ValidationRow {
  if (!widthOk) throw new RowError('wrong number of fields');
  const num = (name: string, opts: { optional?: boolean; positive?: boolean } = {}): number | null => {
    const raw = get(name);
    if (raw === '') {
      if (opts.optional) return null;
      throw new RowError(`field ${name} is empty`);
    }
    const v = Number(raw);
    if (!Number.isFinite(v) || (opts.positive !== false && v <= 0)) throw new RowError(`field ${name} = ${JSON.stringify(raw)} is not a positive number`);
    return v;
  };
  const int = (name: string, optional = true): number | null => {
    const v = num(name, { optional });
    if (v !== null && !Number.isInteger(v)) throw new RowError(`field ${name} = ${v} is not an integer`);
    return v;
  };
  const mode = get('mode');
  if (mode !== 'agg' && mode !== 'disagg') throw new RowError(`field mode = ${JSON.stringify(mode)} is not agg or disagg`);
  const role = (prefix: string): RoleConfig | null => {
    const tp = int(`${prefix}tp_size`);
    if (tp === null) return null;
    const pp = int(`${prefix}pp_size`) ?? 1;
    const dp = int(`${prefix}attention_dp_size`) ?? 1;
    return {
      batch: int(`${prefix === '' ? '' : prefix}batch_size`),
      workers: prefix === '' ? 1 : int(`${prefix}num_workers`),
      tp,
      pp,
      dp,
      moeTp: int(`${prefix}moe_tp_size`) ?? tp * dp,
      ep: int(`${prefix}moe_ep_size`) ?? 1,
    };
  };
  const source = get('silicon_data_source');
  const m = /silicon_concurrency=(\d+)/.exec(source);
  const agg = mode === 'agg' ? role('') : null;
  const prefill = mode === 'disagg' ? role('prefill_') : null;
  const decode = mode === 'disagg' ? role('decode_') : null;
  if (mode === 'agg' && !agg) throw new RowError('agg row without tp_size');
  if (mode === 'disagg' && (!prefill || !decode)) throw new RowError('disagg row without prefill_tp_size / decode_tp_size');
  const concurrency = m ? Number(m[1]) : (agg?.batch ?? null);
  if (concurrency === null || !(concurrency > 0)) throw new RowError('no concurrency: neither silicon_concurrency in silicon_data_source nor batch_size');
  return {
    id,
    line,
    backend: get('backend'),
    backendVersion: get('backend_version'),
    modelPath: get('model_path'),
    system: get('system'),
    precision: get('precision'),
    mode,
    isl: int('isl', false)!,
    osl: int('osl', false)!,
    gemmQuantMode: get('gemm_quant_mode'),
    moeQuantMode: get('moe_quant_mode'),
    concurrency,
    agg,
    prefill,
    decode,
    measuredTtftMs: num('silicon_ttft_ms')!,
    measuredTpotMs: num('silicon_tpot_ms')!,
  };
}
