import { Catalog } from '../hardware/catalog.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { Scenario } from '../scenario/schema.js';
import type { ModelArch } from '../models/types.js';
import { runScenario, type RunDeps, type RunResult } from '../sim/run.js';
import type { LatencySummary } from '../sim/latency-stat.js';
import { afdSection, specSection } from './heterogeneous-format.js';
import { bytes, num, pct, table } from './format.js';
import { loadModel, loadStructuredFile, loadTrace } from './load.js';

/** What a scenario names (devices with its overrides, model, draft model, trace), read from files. */
export function runDepsFor(scenario: Scenario, extraHardwareFile?: string, modelCache?: Map<string, ModelArch>): RunDeps {
  let catalog = Catalog.builtin();
  if (scenario.hardware !== undefined) {
    const where = typeof scenario.hardware === 'string' ? scenario.hardware : 'scenario field hardware';
    const entries = typeof scenario.hardware === 'string' ? loadStructuredFile(scenario.hardware, 'hardware file') : scenario.hardware;
    catalog = catalog.withOverrides(entries, where);
  }
  if (extraHardwareFile !== undefined) {
    catalog = catalog.withOverrides(loadStructuredFile(extraHardwareFile, '--hardware'), extraHardwareFile);
  }
  const model = (id: string, where: string): ModelArch => {
    const hit = modelCache?.get(id);
    if (hit) return hit;
    const m = loadModel(id, where);
    modelCache?.set(id, m);
    return m;
  };
  const trace = scenario.workload.trace !== undefined ? loadTrace(scenario.workload.trace) : null;
  const draft = scenario.topology.spec?.draft;
  const draftModel = draft?.kind === 'model' ? model(draft.model, 'topology.spec.draft.model') : undefined;
  return { catalog, model: model(scenario.model, 'model'), trace, memoryPlan, makeStepCost, ...(draftModel ? { draftModel } : {}) };
}

/** Resolve what the scenario names (devices, model, trace) from files and run it. */
export function runScenarioFromFiles(scenario: Scenario, extraHardwareFile?: string): RunResult {
  return runScenario(scenario, runDepsFor(scenario, extraHardwareFile));
}

/** The JSON contract of `simulate --json`: metrics, chips, the resolved scenario, warnings. */
export function resultJson(r: RunResult): string {
  return JSON.stringify(
    { chips: r.chips, metrics: r.metrics, ...(r.afd ? { afd: r.afd } : {}), ...(r.spec ? { spec: r.spec } : {}), scenario: r.scenario, warnings: r.warnings },
    null,
    2,
  );
}

const lat = (name: string, s: LatencySummary | null): string[] => [name, num(s?.mean), num(s?.p50), num(s?.p90), num(s?.p99)];

export function resultTable(r: RunResult): string {
  const m = r.metrics;
  const out: string[] = [];
  out.push(`scenario: ${r.scenario.name}`);
  out.push(`model ${r.scenario.model} · weights ${r.scenario.precision.weights} · KV ${r.scenario.precision.kv} · backend ${r.scenario.backend} · ${r.chips} chips · seed ${r.scenario.seed}`);
  out.push(`${m.finished}/${m.requests} requests finished${m.rejected > 0 ? `, ${m.rejected} rejected` : ''} in ${num(m.durationS)} s simulated`);
  out.push('');
  out.push(table([['latency (ms)', 'mean', 'p50', 'p90', 'p99'], lat('TTFT', m.ttftMs), lat('TPOT', m.tpotMs), lat('ITL', m.itlMs), lat('E2E', m.e2eMs)], { header: true }));
  out.push('');
  const slo = r.scenario.slo;
  out.push(
    table([
      ['output tokens/s', num(m.outputTokensPerS)],
      ['total tokens/s', num(m.totalTokensPerS)],
      ['tokens/s per user', num(m.tokensPerSPerUser)],
      ['tokens/s per chip', num(m.tokensPerSPerChip)],
      ['$ per hour', num(m.usdPerHour)],
      ['$ per million output tokens', num(m.usdPerMTok)],
      ['joules per output token', num(m.joulesPerToken)],
      ['output tokens/s per MW', num(m.tokensPerSPerMW)],
      [`SLO attainment (TTFT ≤ ${slo.ttftMs ?? '∞'} ms, TPOT ≤ ${slo.tpotMs ?? '∞'} ms)`, pct(m.sloAttainment)],
      ['goodput (requests/s meeting SLO)', num(m.goodputRequestsPerS)],
    ]),
  );
  out.push('');
  const rows: string[][] = [['pool', 'device', 'replicas × chips', 'tp/pp/ep/dp', 'weights/chip', 'KV tokens', 'util', 'KV mean', 'KV max']];
  for (const p of m.pools) {
    const par = p.parallelism;
    rows.push([
      p.role,
      p.device,
      `${p.replicas} × ${p.chipsPerReplica}`,
      `${par.tp}/${par.pp}/${par.ep}/${par.dp}`,
      `${bytes(p.weightBytesPerChip)} ${p.weightTier}`,
      num(p.kvCapacityTokens),
      pct(p.utilisation),
      pct(p.kvOccupancyMean),
      pct(p.kvOccupancyMax),
    ]);
  }
  out.push(table(rows, { header: true }));
  if (m.kvTransfer) out.push(`KV transfer: ${bytes(m.kvTransfer.bytesPerRequest)} per request, ${num(m.kvTransfer.ms?.mean)} ms mean exposed`);
  if (r.afd) out.push('', afdSection(r.afd));
  if (r.spec) out.push('', specSection(r.spec));
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}
