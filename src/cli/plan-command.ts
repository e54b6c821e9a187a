import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { Catalog } from '../hardware/catalog.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { ModelArch } from '../models/types.js';
import { EvalCache } from '../plan/cache.js';
import { defaultDraftModels, SPEC_DEFAULTS } from '../plan/drafts.js';
import { generatorKinds } from '../plan/generators/index.js';
import { planDeployments } from '../plan/search.js';
import { parseShard } from '../plan/shard.js';
import { describeCheck } from '../plan/slo.js';
import { PERCENTILES, type Evaluation, type LatencyTarget, type PlanRequest, type PlanResult, type Role } from '../plan/types.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { makeEvaluator, parseJobs } from './evaluator.js';
import { num, table } from './format.js';
import { builtinModelIds, loadModel, loadStructuredFile, loadTrace, writeUserFile } from './load.js';
import { makeProgress } from './progress.js';

export interface PlanOptions {
  model?: string;
  trace?: string;
  traceArrivals?: boolean;
  rate?: string;
  isl?: string;
  osl?: string;
  requests: string;
  seed: string;
  backend?: string;
  weights?: string;
  kv?: string;
  ttftP50Ms?: string;
  ttftP90Ms?: string;
  ttftP99Ms?: string;
  tpotP50Ms?: string;
  tpotP90Ms?: string;
  tpotP99Ms?: string;
  minTokensPerUser?: string;
  hardware?: string;
  colocatedHardware?: string;
  prefillHardware?: string;
  decodeHardware?: string;
  hardwareFile?: string;
  topologies?: string;
  specAcceptance: string;
  specMaxK: string;
  draftModels?: string;
  maxChips?: string;
  maxUsdPerHour?: string;
  maxMw?: string;
  top: string;
  maxSimsPerShape: string;
  jobs?: string;
  shard?: string;
  cache?: string;
  out?: string;
  saveScenarios?: string;
  json: boolean;
}

export const PLAN_DEFAULTS = {
  requests: '2000',
  seed: '1',
  top: '5',
  maxSimsPerShape: '10',
  waveSize: 4,
  specAcceptance: String(SPEC_DEFAULTS.acceptance),
  specMaxK: String(SPEC_DEFAULTS.maxK),
} as const;

const posNum = (where: string, v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(where, v, 'a number > 0');
  return n;
};
const posInt = (where: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(where, v, 'an integer ≥ 1');
  return n;
};
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** The plan request the flags describe (files read here: the device override file). */
export function planRequestFromOptions(o: PlanOptions): PlanRequest {
  if (o.model === undefined) throw new UsageError('--model', undefined, 'a model id from `phasewise list models` or a path to a config.json');
  const latency = (metric: 'ttft' | 'tpot'): LatencyTarget | null => {
    const given = PERCENTILES.map((p) => {
      // Commander camel-cases --ttft-p99-ms to ttftP99Ms.
      const raw = (o as unknown as Record<string, string | undefined>)[`${metric}${p.toUpperCase()}Ms`];
      return { p, ms: posNum(`--${metric}-${p}-ms`, raw) };
    }).filter((x) => x.ms !== null);
    if (given.length > 1) throw new UsageError(`--${metric}-*-ms`, given.map((g) => `${g.p}`).join(', '), `one ${metric.toUpperCase()} percentile (the simulator reports p50, p90 and p99)`);
    return given[0] ? { percentile: given[0].p, ms: given[0].ms! } : null;
  };
  const rate = posNum('--rate', o.rate);
  const workload: Record<string, unknown> = { requests: posInt('--requests', o.requests) };
  if (o.trace !== undefined) {
    workload.trace = o.trace;
    workload.input = { kind: 'trace' };
    workload.output = { kind: 'trace' };
    workload.arrival = o.traceArrivals || rate === null ? { kind: 'trace', ratePerS: rate } : { kind: 'poisson', ratePerS: rate };
  } else {
    if (rate === null) throw new UsageError('--rate', undefined, 'requests/s (or --trace with arrival times)');
    if (o.traceArrivals) throw new UsageError('--trace-arrivals', true, 'only with --trace');
    workload.arrival = { kind: 'poisson', ratePerS: rate };
    workload.input = o.isl !== undefined ? { kind: 'fixed', tokens: posInt('--isl', o.isl) } : { kind: 'lognormal', mean: 1024, cv: 1, min: 16, max: 8192 };
    workload.output = o.osl !== undefined ? { kind: 'fixed', tokens: posInt('--osl', o.osl) } : { kind: 'lognormal', mean: 256, cv: 1, min: 4, max: 2048 };
  }
  const seed = Number(o.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed', o.seed, 'an integer ≥ 0');
  const base: Omit<ScenarioInput, 'topology'> = {
    seed,
    model: o.model,
    workload: workload as ScenarioInput['workload'],
    ...(o.backend !== undefined ? { backend: o.backend as 'vllm' } : {}),
    precision: {
      ...(o.weights !== undefined ? { weights: o.weights as 'bf16' } : {}),
      ...(o.kv !== undefined ? { kv: o.kv as 'bf16' } : {}),
    },
    // Inline, so each printed scenario is self-contained.
    ...(o.hardwareFile !== undefined ? { hardware: loadStructuredFile(o.hardwareFile, '--hardware-file') as { devices: unknown[] } } : {}),
  };
  const all = list(o.hardware);
  const hardware: Record<Role, string[]> = {
    colocated: o.colocatedHardware !== undefined ? list(o.colocatedHardware) : all,
    prefill: o.prefillHardware !== undefined ? list(o.prefillHardware) : all,
    decode: o.decodeHardware !== undefined ? list(o.decodeHardware) : all,
  };
  if (hardware.colocated.length + hardware.prefill.length + hardware.decode.length === 0) {
    throw new UsageError('--hardware', o.hardware, 'a comma-separated list of device ids, e.g. h100,b200 (phasewise list hardware)');
  }
  const minUser = posNum('--min-tokens-per-user', o.minTokensPerUser);
  return {
    base,
    slo: { ttft: latency('ttft'), tpot: latency('tpot'), minTokensPerSPerUser: minUser },
    hardware,
    limits: { maxChips: posNum('--max-chips', o.maxChips), maxUsdPerHour: posNum('--max-usd-per-hour', o.maxUsdPerHour), maxMW: posNum('--max-mw', o.maxMw) },
    topologies: list(o.topologies),
    top: posInt('--top', o.top),
    waveSize: PLAN_DEFAULTS.waveSize,
    maxSimulationsPerShape: posInt('--max-sims-per-shape', o.maxSimsPerShape),
    shard: o.shard !== undefined ? parseShard(o.shard) : null,
    spec: { acceptance: probability('--spec-acceptance', o.specAcceptance), maxK: posInt('--spec-max-k', o.specMaxK), draftModels: list(o.draftModels) },
  };
}

function probability(where: string, v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0 && n < 1)) throw new UsageError(where, v, 'a per-token acceptance α with 0 < α < 1');
  return n;
}

/** The draft models the `spec` generator may use: those named, or the default rule over the shipped configs. */
export function draftModelsFor(req: PlanRequest, target: ModelArch): ModelArch[] {
  const kinds = req.topologies.length > 0 ? req.topologies : generatorKinds();
  if (!kinds.includes('spec')) return [];
  const named = req.spec?.draftModels ?? [];
  if (named.length > 0) return named.map((id) => loadModel(id, '--draft-models'));
  const shipped: ModelArch[] = [];
  for (const id of builtinModelIds()) {
    try {
      shipped.push(loadModel(id, 'model'));
    } catch {
      // A shipped config the parser does not support cannot be a draft either.
    }
  }
  return defaultDraftModels(target, shipped);
}

export async function planCommand(o: PlanOptions): Promise<void> {
  const req = planRequestFromOptions(o);
  let catalog = Catalog.builtin();
  if (req.base.hardware !== undefined && typeof req.base.hardware !== 'string') catalog = catalog.withOverrides(req.base.hardware, o.hardwareFile ?? 'hardware');
  const model = loadModel(req.base.model, '--model');
  const draftModels = draftModelsFor(req, model);
  const trace = o.trace !== undefined ? loadTrace(o.trace) : null;
  const jobs = parseJobs(o.jobs);
  const cache = o.cache !== undefined ? readCache(o.cache) : new EvalCache();
  const evaluator = makeEvaluator(jobs);
  const progress = makeProgress('plan');
  const started = Date.now();
  let result: PlanResult;
  try {
    result = await planDeployments(req, {
      catalog,
      model,
      trace,
      memoryPlan,
      makeStepCost,
      draftModels,
      evaluate: evaluator.evaluate,
      onProgress: (p) => progress.update(p.shapesDone, p.shapesTotal, `${p.simulations} simulations`),
    }, cache);
  } finally {
    progress.stop();
    await evaluator.close();
  }
  const seconds = (Date.now() - started) / 1e3;
  if (o.cache !== undefined) await writeCache(o.cache, cache);
  const json = JSON.stringify(result, null, 2);
  if (o.out !== undefined) writeUserFile(o.out, `${json}\n`, '--out', 'a writable path');
  if (o.saveScenarios !== undefined) {
    fs.mkdirSync(o.saveScenarios, { recursive: true });
    for (const b of result.best) writeUserFile(path.join(o.saveScenarios, `plan-${b.rank}.json`), `${JSON.stringify(b.scenario, null, 2)}\n`, '--save-scenarios', 'a writable path');
  }
  // Wall time goes to stderr: the JSON on stdout must be the same on every machine.
  process.stderr.write(`plan: ${result.search.simulations} simulations on ${evaluator.threads} thread(s) in ${seconds.toFixed(1)} s\n`);
  process.stdout.write(o.json ? `${json}\n` : `${planTable(result, req)}\n`);
}


function readCache(file: string): EvalCache {
  if (!fs.existsSync(file)) return new EvalCache();
  try {
    const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<[string, Evaluation]>;
    if (!Array.isArray(entries)) throw new Error('not a list');
    return EvalCache.from(entries);
  } catch (e) {
    throw new UsageError('--cache', file, `a cache file written by phasewise plan --cache (or a new path): ${(e as Error).message}`);
  }
}

async function writeCache(file: string, cache: EvalCache): Promise<void> {
  writeUserFile(file, JSON.stringify(await cache.entries()), '--cache', 'a writable path');
}

export function planTable(r: PlanResult, req?: PlanRequest): string {
  const out: string[] = [];
  if (req) out.push(`plan: ${describeRequest(req)}`);
  const s = r.search;
  out.push(
    `searched ${s.shapes} deployment shapes${r.shard ? ` (shard ${r.shard.index}/${r.shard.count}: ${s.shapesInShard})` : ''}: ` +
      `${s.infeasibleByBound} ruled out by analytic bounds, ${s.prunedByBound} pruned by cost bound, ${s.searched} searched with ` +
      `${s.simulations} simulations of ${s.requestsPerSimulation} requests each${s.cacheHits > 0 ? ` (${s.cacheHits} cache hits)` : ''}`,
  );
  out.push('');
  if (r.best.length === 0) {
    out.push(r.message ?? 'No deployment meets the SLO.');
  } else {
    const rows: string[][] = [['#', 'deployment', 'chips', '$/hour', 'TTFT p99', 'TPOT p99', 'tok/s/user', '$/Mtok', 'tightest bound']];
    for (const b of r.best) {
      const m = b.metrics;
      const tight = b.bounds.find((c) => c.kind !== 'rejected');
      rows.push([
        String(b.rank),
        b.label,
        String(b.chips),
        num(b.usdPerHour),
        num(m.ttftMs?.p99),
        num(m.tpotMs?.p99),
        num(m.tokensPerSPerUser),
        num(m.usdPerMTok),
        tight ? `${tight.name} ${Math.round(tight.ratio * 100)}%` : '',
      ]);
    }
    out.push(table(rows, { header: true }));
    out.push('');
    for (const b of r.best) {
      out.push(`#${b.rank} ${b.label}`);
      for (const c of b.bounds) out.push(`   ${describeCheck(c)}`);
      for (const w of b.whyNotSmaller) out.push(`   why not smaller — ${w}`);
      for (const n of b.notes ?? []) out.push(`   chosen — ${n}`);
    }
  }
  if (r.skipped.length > 0) {
    out.push('');
    for (const sk of r.skipped) out.push(`skipped ${sk.what} (${sk.role}): ${sk.reason}`);
  }
  out.push('');
  out.push('Each deployment above is a scenario: --save-scenarios DIR writes them, `phasewise simulate DIR/plan-1.json` reproduces its figures.');
  return out.join('\n');
}

function describeRequest(req: PlanRequest): string {
  const w = req.base.workload ?? {};
  const a = w.arrival as { kind: string; ratePerS?: number | null } | undefined;
  const slo: string[] = [];
  if (req.slo.ttft) slo.push(`TTFT ${req.slo.ttft.percentile} ≤ ${req.slo.ttft.ms} ms`);
  if (req.slo.tpot) slo.push(`TPOT ${req.slo.tpot.percentile} ≤ ${req.slo.tpot.ms} ms`);
  if (req.slo.minTokensPerSPerUser !== null) slo.push(`≥ ${req.slo.minTokensPerSPerUser} tok/s per user`);
  const hw = (['colocated', 'prefill', 'decode'] as const).map((r) => `${r}: ${req.hardware[r].join(',') || '—'}`).join('; ');
  return [
    req.base.model,
    w.trace !== undefined ? `${w.trace} lengths` : 'synthetic lengths',
    a ? `${a.kind === 'poisson' ? 'Poisson' : a.kind} ${a.ratePerS ?? 'native'} req/s` : '',
    `SLO ${slo.join(', ')}`,
    `hardware ${hw}`,
    `topologies ${req.topologies.length > 0 ? req.topologies.join(',') : generatorKinds().join(',')}`,
    req.spec ? `spec: α ${req.spec.acceptance} (assumed), k ≤ ${req.spec.maxK}, drafts ${req.spec.draftModels.length > 0 ? req.spec.draftModels.join(',') : 'default rule'}` : '',
  ]
    .filter((x) => x !== '')
    .join(' · ');
}
