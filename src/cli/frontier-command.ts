import { UsageError } from '../core/errors.js';
import { sweepFrontiers, type FrontierOptions, type FrontierResult, type LoadKind, type PerWhat } from '../plan/frontier.js';
import { parseShard } from '../plan/shard.js';
import { makeEvaluator, parseJobs } from './evaluator.js';
import { num, table } from './format.js';
import { frontierHtml } from './html-pages.js';
import { makeProgress } from './progress.js';
import { writeUserFile } from './load.js';
import { scenarioFromArgs } from './scenario-input.js';

export interface FrontierFlags {
  load: LoadKind;
  points?: string;
  requests: string;
  requestsPerClient: string;
  per: PerWhat;
  jobs?: string;
  shard?: string;
  out?: string;
  json: boolean;
}

export const FRONTIER_DEFAULTS = { load: 'concurrency' as LoadKind, requests: '200', requestsPerClient: '4', per: 'chip' as PerWhat };

export function frontierOptionsFrom(f: FrontierFlags): FrontierOptions {
  const points = f.points === undefined ? null : f.points.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  const int = (where: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(where, v, 'an integer ≥ 1');
    return n;
  };
  return {
    load: f.load,
    points,
    minRequests: int('--requests', f.requests),
    requestsPerClient: int('--requests-per-client', f.requestsPerClient),
    per: f.per,
    shard: f.shard !== undefined ? parseShard(f.shard) : null,
  };
}

export async function frontierCommand(files: string[], f: FrontierFlags): Promise<void> {
  const opts = frontierOptionsFrom(f);
  const inputs = files.map((file) => ({ source: file, scenario: scenarioFromArgs(file, {}).scenario }));
  const evaluator = makeEvaluator(parseJobs(f.jobs));
  const progress = makeProgress('frontier');
  let result: FrontierResult;
  try {
    result = await sweepFrontiers(inputs, opts, evaluator.evaluate, (done, total) => progress.update(done, total));
  } finally {
    progress.stop();
    await evaluator.close();
  }
  writeFrontierOutputs(result, f.out);
  process.stdout.write(f.json ? `${JSON.stringify(result, null, 2)}\n` : `${frontierTable(result)}\n`);
}

/** PREFIX.csv, PREFIX.json and PREFIX.html (self-contained chart). */
export function writeFrontierOutputs(result: FrontierResult, prefix: string | undefined): void {
  if (prefix === undefined) return;
  const write = (file: string, text: string): void => writeUserFile(file, text, '--out', 'a writable path prefix');
  write(`${prefix}.csv`, frontierCsv(result));
  write(`${prefix}.json`, `${JSON.stringify(result, null, 2)}\n`);
  write(`${prefix}.html`, frontierHtml(result));
}

export function frontierCsv(r: FrontierResult): string {
  const head = [
    'scenario', 'source', 'load_kind', 'load', 'tokens_per_s_per_user', 'tokens_per_s_per_chip', 'tokens_per_s_per_usd_hour',
    'tokens_per_s_per_mw', 'output_tokens_per_s', 'ttft_p99_ms', 'tpot_p99_ms', 'requests', 'pareto', 'error',
  ];
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [head.join(',')];
  for (const fr of r.frontiers) {
    for (const p of fr.points) {
      lines.push(
        [fr.name, fr.source, fr.loadKind, p.load, p.tokensPerSPerUser, p.tokensPerSPerChip, p.tokensPerSPerUsdHour, p.tokensPerSPerMW,
          p.outputTokensPerS, p.ttftP99Ms, p.tpotP99Ms, p.requests, p.pareto, p.error].map(cell).join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function frontierTable(r: FrontierResult): string {
  const out: string[] = [];
  for (const fr of r.frontiers) {
    out.push(`${fr.name} (${fr.source}) · ${fr.chips ?? '?'} chips · $${num(fr.usdPerHour)}/h${r.shard ? ` · shard ${r.shard.index}/${r.shard.count}` : ''}`);
    const rows: string[][] = [[fr.loadKind === 'concurrency' ? 'clients' : 'req/s', 'tok/s/user', 'tok/s/chip', 'tok/s per $/h', 'tok/s per MW', 'TTFT p99', 'TPOT p99', 'Pareto']];
    for (const p of fr.points) {
      rows.push(p.error !== null
        ? [String(p.load), p.error, '', '', '', '', '', '']
        : [String(p.load), num(p.tokensPerSPerUser), num(p.tokensPerSPerChip), num(p.tokensPerSPerUsdHour), num(p.tokensPerSPerMW), num(p.ttftP99Ms), num(p.tpotP99Ms), p.pareto ? '●' : '']);
    }
    out.push(table(rows, { header: true }));
    out.push('');
  }
  out.push(`Pareto: no other point of the same deployment has both more tokens/s per user and more tokens/s per ${r.per === 'chip' ? 'chip' : r.per === 'usd' ? '$/hour' : 'MW'}.`);
  return out.join('\n');
}
