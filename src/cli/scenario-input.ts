import YAML from 'yaml';
import { UsageError } from '../core/errors.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { usageErrorFromZod } from '../scenario/zod-usage.js';
import { DEFAULT_SCENARIO } from './default-scenario.js';
import { loadStructuredFile } from './load.js';

/** Convenience flags of `simulate` and the scenario fields they set (pool fields apply to every pool). */
export interface ScenarioFlags {
  model?: string;
  device?: string;
  replicas?: string;
  tp?: string;
  pp?: string;
  ep?: string;
  dp?: string;
  backend?: string;
  rate?: string;
  concurrency?: string;
  requests?: string;
  isl?: string;
  osl?: string;
  trace?: string;
  seed?: string;
  ttftMs?: string;
  tpotMs?: string;
  set?: string[];
}

/** Read the scenario (file or the embedded default), apply flags, validate. */
export function scenarioFromArgs(file: string | undefined, flags: ScenarioFlags): { scenario: Scenario; source: string } {
  const source = file ?? '(embedded default scenario)';
  const raw = file ? loadStructuredFile(file, 'scenario file') : structuredClone(DEFAULT_SCENARIO);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(source, raw, 'a YAML or JSON object with at least `model` and `topology`');
  }
  const obj = raw as Record<string, unknown>;
  applyFlags(obj, flags);
  for (const assignment of flags.set ?? []) applySet(obj, assignment);
  const parsed = ScenarioSchema.safeParse(obj);
  if (!parsed.success) throw usageErrorFromZod(parsed.error, obj, source);
  return { scenario: parsed.data, source };
}

function applyFlags(obj: Record<string, unknown>, f: ScenarioFlags): void {
  const int = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}`, v, 'a positive integer');
    return n;
  };
  const pos = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag}`, v, 'a positive number');
    return n;
  };
  if (f.model !== undefined) obj.model = f.model;
  if (f.backend !== undefined) obj.backend = f.backend;
  if (f.seed !== undefined) {
    const n = Number(f.seed);
    if (!Number.isInteger(n) || n < 0) throw new UsageError('--seed', f.seed, 'an integer ≥ 0');
    obj.seed = n;
  }
  const poolPaths = poolPathsOf(obj);
  for (const p of poolPaths) {
    if (f.device !== undefined) setPath(obj, [...p, 'device'], f.device);
    if (f.replicas !== undefined) setPath(obj, [...p, 'replicas'], int(f.replicas, 'replicas'));
    for (const k of ['tp', 'pp', 'ep', 'dp'] as const) {
      const v = f[k];
      if (v !== undefined) setPath(obj, [...p, 'parallelism', k], int(v, k));
    }
  }
  if (f.rate !== undefined) setPath(obj, ['workload', 'arrival'], { kind: 'poisson', ratePerS: pos(f.rate, 'rate') });
  if (f.concurrency !== undefined) {
    setPath(obj, ['workload', 'arrival'], { kind: 'closed', concurrency: int(f.concurrency, 'concurrency') });
  }
  if (f.requests !== undefined) setPath(obj, ['workload', 'requests'], int(f.requests, 'requests'));
  if (f.isl !== undefined) setPath(obj, ['workload', 'input'], { kind: 'fixed', tokens: int(f.isl, 'isl') });
  if (f.osl !== undefined) setPath(obj, ['workload', 'output'], { kind: 'fixed', tokens: int(f.osl, 'osl') });
  if (f.trace !== undefined) {
    setPath(obj, ['workload', 'trace'], f.trace);
    setPath(obj, ['workload', 'input'], { kind: 'trace' });
    setPath(obj, ['workload', 'output'], { kind: 'trace' });
  }
  if (f.ttftMs !== undefined) setPath(obj, ['slo', 'ttftMs'], pos(f.ttftMs, 'ttft-ms'));
  if (f.tpotMs !== undefined) setPath(obj, ['slo', 'tpotMs'], pos(f.tpotMs, 'tpot-ms'));
}

function poolPathsOf(obj: Record<string, unknown>): string[][] {
  const topo = obj.topology as Record<string, unknown> | undefined;
  if (!topo || typeof topo !== 'object') return [];
  if (topo.kind === 'pd') return [['topology', 'prefill'], ['topology', 'decode']];
  if (topo.kind === 'afd') {
    const paths = [['topology', 'attention'], ['topology', 'ffn']];
    return topo.prefill !== undefined ? [['topology', 'prefill'], ...paths] : paths;
  }
  return [['topology', 'pool']];
}

/** `--set a.b.c=value`: value parsed as YAML, so numbers, booleans and {inline: objects} work. */
function applySet(obj: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError('--set', assignment, 'field.path=value, e.g. topology.pool.replicas=4');
  const key = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch {
    value = text;
  }
  const parts = key.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new UsageError('--set', key, 'a dotted field path such as workload.arrival.ratePerS');
  }
  setPath(obj, parts, value);
}

function setPath(obj: Record<string, unknown>, parts: readonly string[], value: unknown): void {
  let cur: Record<string, unknown> = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!;
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}
