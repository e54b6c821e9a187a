import path from 'node:path';
import { Piscina } from 'piscina';
import { UsageError } from '../core/errors.js';
import { parseValidationCsv, type ValidationRow } from '../validate/rows.js';
import { inheritTwinImages } from '../validate/twins.js';
import { predictionsCsv, summariseValidation, unparsedPrediction, type RowPrediction, type ValidationSummary } from '../validate/run-rows.js';
import type { GroupSummary } from '../validate/stats.js';
import { defaultJobs, parseJobs } from './evaluator.js';
import { pct, table } from './format.js';
import { readUserFile, writeUserFile } from './load.js';
import { dataDir } from './paths.js';
import { predictRows, publicTask } from './validate-worker.js';
import { groupEvidence, parsePredictionsCsv, type EvidenceRow } from '../validate/evidence.js';
import { summarisePublic, type PublicPrediction, type PublicRecord, type PublicSummary } from '../validate/public.js';
import { parseStructured } from './load.js';

export interface ValidateOptions {
  readonly data?: string;
  readonly out?: string;
  readonly json: boolean;
  readonly limit?: string;
  readonly jobs?: string;
  readonly public?: boolean;
  /** A predictions CSV from `--out`: print the per-group evidence table instead of replaying. */
  readonly evidence?: string;
}

export function defaultValidationFile(): string {
  return path.join(dataDir(), 'validation', 'silicon_dev.csv');
}

/**
 * `phasewise validate`: replay every measured deployment and report the error of the predictions. Rows are spread
 * over worker threads; predictions come back in input order and do not depend on the thread count.
 */
export async function validateCommand(opts: ValidateOptions): Promise<void> {
  if (opts.public) return publicCommand(opts);
  if (opts.evidence !== undefined) {
    const records = parsePredictionsCsv(readUserFile(opts.evidence, '--evidence'), opts.evidence);
    process.stdout.write(`${evidenceTable(groupEvidence(records), opts.evidence)}\n`);
    return;
  }
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
  // Copied results take the serving image of the rows they repeat (twins.ts).
  const withImages = inheritTwinImages(rows.map((r) => r.row));
  rows.forEach((r, i) => (r.row = withImages[i]!));
  for (const [index, pred] of await predictAll(rows, jobs)) preds[index] = pred;
  const all = preds as RowPrediction[];
  if (opts.out) writeUserFile(opts.out, predictionsCsv(all), '--out');
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
  return `validation of ${file}: ${s.rows} rows\n${table(rows, { header: true })}`;
}

/** The per-group evidence of a predictions CSV (fully given rows): median pred/measured ratios and APEs. */
export function evidenceTable(rows: readonly EvidenceRow[], file: string): string {
  const ratio = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
  const out: string[][] = [['system', 'backend', 'mode', 'clients', 'rows', 'TTFT pred/meas', 'TPOT pred/meas', 'TTFT med APE', 'TPOT med APE']];
  for (const r of rows) out.push([r.system, r.backend, r.mode, r.band, String(r.rows), ratio(r.ttftRatio), ratio(r.tpotRatio), pct(r.ttftMedianApe), pct(r.tpotMedianApe)]);
  return `per-group evidence of ${file} (rows whose deployment is fully given; medians)\n${table(out, { header: true })}`;
}

export function defaultPublicFile(): string {
  return path.join(dataDir(), 'measurements', 'public_measurements.json');
}

/** `phasewise validate --public`: compare against published MLPerf and TensorRT-LLM results; print claims beside predictions. */
async function publicCommand(opts: ValidateOptions): Promise<void> {
  const file = opts.data ?? defaultPublicFile();
  const parsed = parseStructured(readUserFile(file, '--data'), file);
  if (!Array.isArray(parsed)) throw new UsageError('--data', file, 'a JSON array in the schema of public_measurements.json (data/measurements/FIELDS.md)');
  const records = parsed.filter((r): r is PublicRecord => typeof r === 'object' && r !== null && typeof (r as PublicRecord).category === 'string' && typeof (r as PublicRecord).model === 'string');
  const limit = opts.limit !== undefined ? Number(opts.limit) : Infinity;
  const chosen = records.slice(0, limit);
  const jobs = opts.jobs !== undefined ? parseJobs(opts.jobs) : defaultJobs();
  let preds: PublicPrediction[];
  if (jobs <= 1) preds = publicTask({ records: chosen });
  else {
    const pool = new Piscina({ filename: new URL('./validate-worker.js', import.meta.url).href, minThreads: jobs, maxThreads: jobs, idleTimeout: 10_000 });
    try {
      const parts = await Promise.all(chosen.map((r) => pool.run({ records: [r] }, { name: 'publicTask' }) as Promise<PublicPrediction[]>));
      preds = parts.flat();
    } finally {
      await pool.destroy();
    }
  }
  if (opts.out) writeUserFile(opts.out, publicCsv(preds), '--out');
  const summary = summarisePublic(preds);
  process.stdout.write(`${opts.json ? JSON.stringify(summary, null, 2) : publicTable(summary, file)}\n`);
}

const fmt = (x: number | null | undefined, digits = 0): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

function publicCsv(preds: readonly PublicPrediction[]): string {
  const keys = ['ttftP99', 'tpotP99', 'ttftP50', 'tpotP50', 'tokensPerS', 'tokensPerSPerUser'];
  const head = ['kind', 'model', 'hardware', 'chips', 'scenario', ...keys.flatMap((k) => [`measured_${k}`, `pred_${k}`]), 'deployment', 'reason', 'note'];
  const cell = (v: string | number | null | undefined): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [head.join(',')];
  for (const p of preds) {
    lines.push([p.kind, p.model, p.hardware, p.chips, p.scenario, ...keys.flatMap((k) => [p.measured[k], p.predicted[k]]), p.deployment, p.reason, p.note].map(cell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function publicTable(s: PublicSummary, file: string): string {
  const out: string[] = [`public results of ${file}`];
  const m = s.mlperf;
  out.push(`\nMLPerf Server/Interactive: ${m.predicted}/${m.rows} predicted (dataset input lengths assumed: see docs/validation.md)`);
  const rows: string[][] = [['group', 'TTFT p99 med APE', 'p90', 'TPOT p99 med APE', 'p90']];
  rows.push(['all', pct(m.ttftP99.medianApe), pct(m.ttftP99.p90Ape), pct(m.tpotP99.medianApe), pct(m.tpotP99.p90Ape)]);
  for (const [k, g] of Object.entries(m.byModel)) rows.push([k, pct(g.ttftP99.medianApe), pct(g.ttftP99.p90Ape), pct(g.tpotP99.medianApe), pct(g.tpotP99.p90Ape)]);
  out.push(table(rows, { header: true }));
  const t = s.trtllm;
  out.push(`\nTensorRT-LLM throughput tables: ${t.predicted}/${t.rows} predicted`);
  const trows: string[][] = [['group', 'predicted', 'tokens/s med APE', 'p90']];
  trows.push(['all', `${t.throughput.predicted}/${t.throughput.rows}`, pct(t.throughput.medianApe), pct(t.throughput.p90Ape)]);
  for (const [k, g] of Object.entries(t.byHardware)) trows.push([`hardware ${k}`, `${g.predicted}/${g.rows}`, pct(g.medianApe), pct(g.p90Ape)]);
  for (const [k, g] of Object.entries(t.byModel)) trows.push([`model ${k}`, `${g.predicted}/${g.rows}`, pct(g.medianApe), pct(g.p90Ape)]);
  out.push(table(trows, { header: true }));
  out.push('\nVendor claims, projections and provider speeds (compared, never fitted): tokens/s per user');
  const crows: string[][] = [['model', 'hardware', 'claimed', 'predicted', 'simulated / why not']];
  for (const c of s.claims) crows.push([c.model.slice(0, 40), c.hardware.slice(0, 40), fmt(c.measured['tokensPerSPerUser']), fmt(c.predicted['tokensPerSPerUser']), (c.reason || c.deployment).slice(0, 70)]);
  out.push(table(crows, { header: true }));
  return out.join('\n');
}
