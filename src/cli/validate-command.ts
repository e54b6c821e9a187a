import fs from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import { UsageError } from '../core/errors.js';
import { parseValidationCsv, type ValidationRow } from '../validate/rows.js';
import { predictionsCsv, summariseValidation, unparsedPrediction, type RowPrediction, type ValidationSummary } from '../validate/run-rows.js';
import type { GroupSummary } from '../validate/stats.js';
import { defaultJobs, parseJobs } from './evaluator.js';
import { num, pct, table } from './format.js';
import { readUserFile } from './load.js';
import { dataDir } from './paths.js';
import { predictRows } from './validate-worker.js';

export interface ValidateOptions {
  readonly data?: string;
  readonly out?: string;
  readonly json: boolean;
  readonly limit?: string;
  readonly jobs?: string;
  readonly public?: boolean;
}

export function defaultValidationFile(): string {
  return path.join(dataDir(), 'validation', 'silicon_dev.csv');
}

/**
 * `phasewise validate`: replay every measured deployment and report the error of the predictions. Rows are spread
 * over worker threads; predictions come back in input order and do not depend on the thread count.
 */
export async function validateCommand(opts: ValidateOptions): Promise<void> {
  const file = opts.data ?? defaultValidationFile();
  const parsed = parseValidationCsv(readUserFile(file, '--data'), file);
  let limit = Infinity;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit', opts.limit, 'a positive integer (rows)');
  }
  const jobs = opts.jobs !== undefined ? parseJobs(opts.jobs) : defaultJobs();
  const chosen = parsed.slice(0, limit);
  const rows: { index: number; row: ValidationRow }[] = [];
  const preds: (RowPrediction | null)[] = chosen.map((p, index) => {
    if (p.ok) {
      rows.push({ index, row: p.row });
      return null;
    }
    return unparsedPrediction(p);
  });
  for (const [index, pred] of await predictAll(rows, jobs)) preds[index] = pred;
  const all = preds as RowPrediction[];
  if (opts.out) {
    try {
      fs.writeFileSync(opts.out, predictionsCsv(all));
    } catch (e) {
      throw new UsageError('--out', opts.out, 'a writable file path', (e as Error).message);
    }
  }
  const summary = summariseValidation(all);
  process.stdout.write(`${opts.json ? JSON.stringify(summary, null, 2) : summaryTable(summary, file)}\n`);
}

/** Predictions keyed by input index. The most expensive rows (most tokens to replay) are dealt out first. */
async function predictAll(rows: readonly { index: number; row: ValidationRow }[], jobs: number): Promise<Map<number, RowPrediction>> {
  const out = new Map<number, RowPrediction>();
  if (jobs <= 1 || rows.length < 2) {
    const preds = predictRows(rows.map((r) => r.row));
    rows.forEach((r, i) => out.set(r.index, preds[i]!));
    return out;
  }
  const pool = new Piscina({
    filename: new URL('./validate-worker.js', import.meta.url).href,
    minThreads: jobs,
    maxThreads: jobs,
    idleTimeout: 10_000,
  });
  try {
    const order = [...rows].sort((a, b) => workOf(b.row) - workOf(a.row));
    await Promise.all(
      order.map(async (r) => {
        const [pred] = (await pool.run({ rows: [r.row] })) as RowPrediction[];
        out.set(r.index, pred!);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return out;
}

/** Rough replay cost of a row: engine steps grow with output length and requests with concurrency. */
function workOf(row: ValidationRow): number {
  return row.osl * Math.sqrt(row.concurrency) + row.isl * row.concurrency * 1e-3;
}

function groupRows(title: string, groups: Record<string, GroupSummary>): string[][] {
  return Object.entries(groups).map(([k, g]) => [`${title} ${k}`, `${g.predicted}/${g.rows}`, pct(g.ttft.medianApe), pct(g.ttft.p90Ape), pct(g.tpot.medianApe), pct(g.tpot.p90Ape)]);
}

export function summaryTable(s: ValidationSummary, file: string): string {
  const rows: string[][] = [['group', 'predicted', 'TTFT med APE', 'TTFT p90', 'TPOT med APE', 'TPOT p90']];
  rows.push(['all', `${s.predicted}/${s.rows}`, pct(s.ttft.medianApe), pct(s.ttft.p90Ape), pct(s.tpot.medianApe), pct(s.tpot.p90Ape)]);
  rows.push(
    ...groupRows('configKnown', s.by.configKnown),
    ...groupRows('mode', s.by.mode),
    ...groupRows('backend', s.by.backend),
    ...groupRows('system', s.by.system),
    ...groupRows('model', s.by.model),
  );
  return `validation of ${file}: ${num(s.rows)} rows\n${table(rows, { header: true })}`;
}
