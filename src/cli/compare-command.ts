import fs from 'node:fs';
import path from 'node:path';
import { parseClaims } from '../compare/claims.js';
import { compareScenario, DEFAULT_COMPARE_OPTIONS, type CompareOptions, type ScenarioComparison } from '../compare/compare.js';
import { UsageError } from '../core/errors.js';
import type { ModelArch } from '../models/types.js';
import type { Scenario } from '../scenario/schema.js';
import { runScenario } from '../sim/run.js';
import { num, table } from './format.js';
import { parseStructured, readUserFile } from './load.js';
import { dataDir } from './paths.js';
import { scenarioFromArgs } from './scenario-input.js';
import { runDepsFor } from './simulate-command.js';

export interface CompareFlags {
  json: boolean;
  isl?: string;
  osl?: string;
}

/** The scenario library: every examples/*.yaml beside the installed code. */
export function libraryFiles(): string[] {
  const dir = path.join(dataDir(), '..', 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A scenario argument: a file, or the name of a library scenario (`groq-lpu` for examples/groq-lpu.yaml). */
function resolveScenarioArg(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  const byName = libraryFiles().find((f) => path.basename(f).replace(/\.ya?ml$/, '') === arg);
  if (byName) return byName;
  throw new UsageError('scenario', arg, `a scenario file or a library name: ${libraryFiles().map((f) => path.basename(f).replace(/\.ya?ml$/, '')).join(', ')}`);
}

function positiveInt(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(flag, v, 'a positive integer');
  return n;
}

export function compareCommand(args: readonly string[], flags: CompareFlags): string {
  const files = args.length > 0 ? args.map(resolveScenarioArg) : libraryFiles();
  const opts: CompareOptions = {
    ...DEFAULT_COMPARE_OPTIONS,
    inputTokens: positiveInt(flags.isl, '--isl', DEFAULT_COMPARE_OPTIONS.inputTokens),
    outputTokens: positiveInt(flags.osl, '--osl', DEFAULT_COMPARE_OPTIONS.outputTokens),
  };
  const claimsFile = path.join(dataDir(), 'claims', 'public-claims.json');
  const claims = parseClaims(parseStructured(readUserFile(claimsFile, 'claims file'), claimsFile), claimsFile);
  const models = new Map<string, ModelArch>();
  const results: ScenarioComparison[] = [];
  for (const file of files) {
    const { scenario } = scenarioFromArgs(file, {});
    const deps = runDepsFor(scenario, undefined, models);
    const run = (s: Scenario) => runScenario(s, deps);
    results.push(compareScenario(scenario, { model: deps.model, deviceOf: (id) => deps.catalog.get(id), claims, run }, opts));
  }
  return flags.json ? JSON.stringify(results, null, 2) : compareTable(results, opts);
}

const orDash = (x: number | null | undefined): string => num(x ?? null);
const at = (c: ScenarioComparison, t: number) => c.atInteractivity.find((p) => p.tokensPerSPerUser === t);

export function compareTable(rs: readonly ScenarioComparison[], opts: CompareOptions): string {
  const out: string[] = [];
  const ts = opts.thresholds;
  out.push(
    `workload: closed loop, ${opts.inputTokens}-token prompts, ${opts.outputTokens}-token answers; concurrency swept ${opts.concurrencies.join(', ')} (up to each deployment's decode slots)`,
    `"@N": the busiest swept point giving every user ≥ N tokens/s ("unreachable" if none); $/Mtok and tok/s per MW at the busiest point ≥ ${Math.min(...ts)} tok/s per user`,
    '',
  );
  const cell = (c: ScenarioComparison, t: number, f: (p: NonNullable<ReturnType<typeof at>>) => number | null): string => {
    const p = at(c, t);
    return !p || !p.reachable ? 'unreachable' : orDash(f(p));
  };
  out.push(
    table(
      [
        ['scenario', 'chips', 'tok/s/user b=1', ...ts.map((t) => `tok/s/chip @${t}`), '$/Mtok', 'tok/s per MW'],
        ...rs.map((c) => [c.scenario, String(c.chips), orDash(c.tokensPerSPerUserBatch1), ...ts.map((t) => cell(c, t, (p) => p.tokensPerSPerChip)), orDash(c.usdPerMTok), orDash(c.tokensPerSPerMW)]),
      ],
      { header: true },
    ),
  );
  out.push('');
  out.push(
    table(
      [
        ['scenario', ...ts.map((t) => `tok/s per $/h @${t}`), ...ts.map((t) => `tok/s per MW @${t}`)],
        ...rs.map((c) => [c.scenario, ...ts.map((t) => cell(c, t, (p) => p.tokensPerSPerUsdHour)), ...ts.map((t) => cell(c, t, (p) => p.tokensPerSPerMW))]),
      ],
      { header: true },
    ),
  );
  out.push('', 'what bounds each phase (at the busiest point ≥ 100 tok/s per user, or one user):');
  out.push(
    table(
      [['scenario', 'chips by role', 'bounds'], ...rs.map((c) => [c.scenario, c.chipsByDevice.map((d) => `${d.role} ${d.chips}×${d.device}`).join(', '), c.bounds.map((b) => `${b.phase}: ${b.bound}`).join('; ')])],
      { header: true },
    ),
  );
  const claimRows = rs.flatMap((c) => c.claims.map((k) => [c.scenario, k.claim, num(k.claimed), orDash(k.predicted), k.ratio === null ? '—' : `${k.ratio.toFixed(2)}${k.withinFactor1_5 ? '' : ' *'}`]));
  if (claimRows.length > 0) {
    out.push('', 'public claims (compared, never fitted; * = outside a factor of 1.5, see docs/heterogeneous.md):');
    out.push(table([['scenario', 'claim', 'claimed', 'predicted b=1', 'ratio'], ...claimRows], { header: true }));
  }
  const warnings = new Set(rs.flatMap((c) => c.warnings.map((w) => `${c.scenario}: ${w}`)));
  if (warnings.size > 0) out.push('', `${warnings.size} warning(s) (missing catalog figures); run \`phasewise simulate examples/NAME.yaml\` to see them, or --json.`);
  return out.join('\n');
}
