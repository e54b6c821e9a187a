import { UsageError } from '../core/errors.js';
import type { Trace, TraceRow } from './types.js';

/**
 * Parse a request trace from CSV text. Accepted columns (header names, any order): arrival time
 * (`arrived_at` | `arrival_s` | `timestamp`, optional), prompt length (`num_prefill_tokens` | `prompt_tokens` |
 * `input_tokens` | `isl`), output length (`num_decode_tokens` | `output_tokens` | `osl`). Every bad row is an
 * error naming the line: a trace with holes would silently change the workload.
 */
const ARRIVAL_COLUMNS = ['arrived_at', 'arrival_s', 'arrival_time', 'timestamp'];
const PROMPT_COLUMNS = ['num_prefill_tokens', 'prompt_tokens', 'input_tokens', 'isl'];
const OUTPUT_COLUMNS = ['num_decode_tokens', 'output_tokens', 'osl'];
const MAX_TOKENS = 10_000_000;

export function parseTraceCsv(text: string, name: string): Trace {
  const lines = text.split(/\r?\n/);
  const headerLine = lines[0]?.trim() ?? '';
  if (headerLine === '') throw new UsageError(`trace ${name} line 1`, '', 'a CSV header naming the prompt and output token columns');
  const header = headerLine.split(',').map((h) => h.trim().toLowerCase());
  const find = (names: string[]): number => header.findIndex((h) => names.includes(h));
  const arrivalCol = find(ARRIVAL_COLUMNS);
  const promptCol = find(PROMPT_COLUMNS);
  const outputCol = find(OUTPUT_COLUMNS);
  if (promptCol < 0 || outputCol < 0) {
    throw new UsageError(
      `trace ${name} header`,
      headerLine,
      `columns for prompt tokens (${PROMPT_COLUMNS.join(' | ')}) and output tokens (${OUTPUT_COLUMNS.join(' | ')}), optionally arrival time (${ARRIVAL_COLUMNS.join(' | ')}) in seconds`,
    );
  }
  const rows: TraceRow[] = [];
  let lastArrivalS = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cells = line.split(',');
    const where = `trace ${name} line ${i + 1}`;
    if (cells.length !== header.length) {
      throw new UsageError(where, line, `${header.length} comma-separated fields (${header.join(',')})`);
    }
    const promptTokens = parseTokens(cells[promptCol]!, `${where} column ${header[promptCol]}`);
    const outputTokens = parseTokens(cells[outputCol]!, `${where} column ${header[outputCol]}`);
    let arrivalS: number | null = null;
    if (arrivalCol >= 0) {
      const raw = cells[arrivalCol]!.trim();
      arrivalS = Number(raw);
      if (raw === '' || !Number.isFinite(arrivalS) || arrivalS < 0) {
        throw new UsageError(`${where} column ${header[arrivalCol]}`, raw, 'a finite number of seconds ≥ 0');
      }
      if (arrivalS < lastArrivalS) {
        throw new UsageError(`${where} column ${header[arrivalCol]}`, raw, `arrival times in non-decreasing order (previous row: ${lastArrivalS})`);
      }
      lastArrivalS = arrivalS;
    }
    rows.push({ arrivalS, promptTokens, outputTokens });
  }
  if (rows.length === 0) throw new UsageError(`trace ${name}`, 'no data rows', 'at least one request row after the header');
  return { name, rows };
}

function parseTokens(raw: string, where: string): number {
  const s = raw.trim();
  const n = Number(s);
  if (s === '' || !Number.isInteger(n) || n < 1 || n > MAX_TOKENS) {
    throw new UsageError(where, s, `an integer number of tokens from 1 to ${MAX_TOKENS}`);
  }
  return n;
}

export function traceMeanTokens(trace: Trace): { prompt: number; output: number } {
  let p = 0;
  let o = 0;
  for (const r of trace.rows) {
    p += r.promptTokens;
    o += r.outputTokens;
  }
  return { prompt: p / trace.rows.length, output: o / trace.rows.length };
}
