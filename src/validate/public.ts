import { Rng } from '../core/rng.js';
import { runBenchmark } from './bench-engine.js';
import { planReplay, type ReplayDeps } from './deployment.js';
import type { BenchProtocol } from './protocol.js';
import type { ValidationRow } from './rows.js';
import { groupBy, quantile } from './stats.js';

/**
 * `phasewise validate --public`: the second check, against published results (data/measurements/
 * public_measurements.json, fields in FIELDS.md beside it). Three kinds of rows (docs/validation.md, "Public
 * results"):
 *
 * - MLPerf Server / Interactive: a Poisson query stream at the measured rate (output tokens/s ÷ mean output
 *   tokens) on the submitted system; the measured p99 (and p50) TTFT and TPOT are compared.
 * - TensorRT-LLM performance tables: offline throughput of a TP group at fixed ISL/OSL (trtllm-bench keeps the
 *   engine full: as many requests in flight as the batch and the KV cache allow); output tokens/s compared.
 * - Vendor claims, projections and provider speeds: the predicted single-user speed printed beside the claim.
 *   Never part of an error figure, never fitted.
 */

export interface PublicRecord {
  readonly source: string;
  readonly category: string;
  readonly model: string;
  readonly hardware: string;
  readonly chips: number | null;
  readonly engine: string | null;
  readonly precision: string | null;
  readonly input_len: number | null;
  readonly output_len: number | null;
  readonly concurrency_or_scenario: string | null;
  readonly tokens_per_s_total: number | null;
  readonly tokens_per_s_per_user: number | null;
  readonly ttft_ms: number | null;
  readonly tpot_ms: number | null;
  readonly ttft_p50_ms?: number | null;
  readonly tpot_p50_ms?: number | null;
  /** The MLPerf scenario's latency bounds on p99 TTFT and TPOT, which the submitted run had to meet. */
  readonly ttft_limit_ms?: number | null;
  readonly tpot_limit_ms?: number | null;
}

export interface PublicPrediction {
  readonly kind: 'mlperf' | 'trtllm-table' | 'claim';
  readonly model: string;
  readonly hardware: string;
  readonly chips: number | null;
  readonly scenario: string;
  /** What was measured or claimed, and the prediction (same units; null when not predicted). */
  readonly measured: Readonly<Record<string, number | null>>;
  readonly predicted: Readonly<Record<string, number | null>>;
  /** Deployment that was simulated, or why none was. */
  readonly deployment: string;
  readonly reason: string;
  readonly note: string;
}

export interface ApeStats {
  readonly rows: number;
  readonly predicted: number;
  readonly medianApe: number | null;
  readonly p90Ape: number | null;
}

export interface PublicSummary {
  readonly mlperf: { readonly rows: number; readonly predicted: number; readonly ttftP99: ApeStats; readonly tpotP99: ApeStats; readonly ttftP50: ApeStats; readonly tpotP50: ApeStats; readonly byModel: Record<string, { ttftP99: ApeStats; tpotP99: ApeStats }> };
  readonly trtllm: { readonly rows: number; readonly predicted: number; readonly throughput: ApeStats; readonly byHardware: Record<string, ApeStats>; readonly byModel: Record<string, ApeStats> };
  readonly claims: readonly PublicPrediction[];
}

/** Catalog device for a hardware description, or null (heterogeneous or unknown systems are not simulated). */
export function deviceOfHardware(hardware: string): string | null {
  const h = hardware.toLowerCase();
  if (/\(x\d+\).*\(x\d+\)/.test(h)) return null;
  const table: [RegExp, string][] = [
    [/gb300/, 'gb300'],
    [/gb200/, 'gb200'],
    [/b300/, 'b300'],
    [/b200/, 'b200'],
    [/h100.?pcie/, 'h100-pcie'],
    [/gh200|h100/, 'h100'],
    [/h200/, 'h200'],
    [/a100.?pcie/, 'a100-pcie'],
    [/a100/, 'a100'],
    [/\ba30\b/, 'a30'],
    [/l40s/, 'l40s'],
    [/\bl4\b/, 'l4'],
    [/rtx pro 6000/, 'rtx-pro-6000'],
    [/arc pro b60/, 'arc-pro-b60'],
    [/mi355x/, 'mi355x'],
    [/mi325x/, 'mi325x'],
    [/mi300x/, 'mi300x'],
    [/vera rubin|\brubin\b/, 'rubin'],
    [/wse-3|cerebras cs-3/, 'wse3'],
    [/groq 3/, 'groq3-lpu'],
    [/groq lpu/, 'groq-lpu-v1'],
    [/sn40l/, 'sn40l'],
    [/corsair/, 'corsair'],
  ];
  for (const [re, id] of table) if (re.test(h)) return id;
  return null;
}

/** Shipped config for a published model name, and a note when it stands in for another architecture. */
export function modelOfName(name: string): { id: string; note: string } | null {
  const m = name.toLowerCase().replace(/[_\s]+/g, '-');
  if (m.startsWith('llama2-70b') || m.includes('llama-2-70b')) return { id: 'meta-llama/Llama-3.1-70B', note: 'Llama-2-70B run as the Llama-3.1-70B architecture (same layers; 32k vs 128k vocabulary)' };
  if (m.includes('distill-llama-70b')) return { id: 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B', note: '' };
  if (/405b/.test(m)) return { id: 'meta-llama/Meta-Llama-3.1-405B', note: '' };
  if (/3\.3-70b/.test(m)) return { id: 'meta-llama/Llama-3.3-70B-Instruct', note: '' };
  if (/(3\.1|3)-?70b|llama-?3\.1-70b|llama3-70b/.test(m)) return { id: 'meta-llama/Llama-3.1-70B', note: '' };
  if (/(3\.1|3)-?8b|llama3\.1-8b/.test(m)) return { id: 'meta-llama/Meta-Llama-3.1-8B', note: '' };
  if (m.includes('mixtral') && m.includes('8x7b')) return { id: 'mistralai/Mixtral-8x7B-v0.1', note: '' };
  if (m.includes('scout')) return { id: 'meta-llama/Llama-4-Scout-17B-16E-Instruct', note: '' };
  if (m.includes('maverick')) return { id: 'meta-llama/Llama-4-Maverick-17B-128E-Instruct', note: '' };
  if (m.includes('qwen3-235b')) return { id: 'Qwen/Qwen3-235B-A22B', note: '' };
  if (m.includes('qwen3-30b')) return { id: 'Qwen/Qwen3-30B-A3B', note: '' };
  if (m.startsWith('deepseek-r1')) return { id: 'deepseek-ai/DeepSeek-R1', note: '' };
  if (m.includes('gpt-oss-120b')) return { id: 'openai/gpt-oss-120b', note: '' };
  return null;
}

/**
 * Mean prompt tokens of the MLPerf datasets. NOT in the shared data: assumptions, printed with every MLPerf row,
 * so MLPerf TTFT errors are indicative. OpenOrca prompts are capped at 1 024 tokens by the reference
 * preprocessing (mlcommons/inference language/llama2-70b, `--seqlen_limit=1024`).
 */
export const MLPERF_ASSUMED_INPUT_TOKENS: Readonly<Record<string, number>> = {
  'llama2-70b': 700,
  'llama3.1-405b': 9400,
  'llama3.1-8b': 780,
  'mixtral-8x7b': 600,
  'deepseek-r1': 800,
  'gpt-oss-120b': 1000,
};

function backendOfEngine(engine: string | null): 'trtllm' | 'vllm' | 'sglang' {
  const e = (engine ?? '').toLowerCase();
  if (e.includes('vllm')) return 'vllm';
  if (e.includes('sglang')) return 'sglang';
  return 'trtllm';
}

function quantOfPrecision(p: string | null): string {
  const q = (p ?? '').toLowerCase();
  if (q.includes('fp4') || q.includes('4-bit')) return 'nvfp4';
  if (q.includes('fp8') || q.includes('8-bit')) return 'fp8';
  return '';
}

/** The public rows always run with the engines' defaults and no HTTP frontend (load generators call in-process). */
const PUBLIC_PROTOCOL = (requestsPerClient: number): BenchProtocol => ({ harness: 'aiconfigurator', requestsPerClient, lengthRangeRatio: 1 });

function row(id: string, modelId: string, device: string, backend: string, quant: string, tp: number, pp: number, batch: number, replicas: number, isl: number, osl: number): ValidationRow {
  return {
    id,
    line: 0,
    backend,
    backendVersion: '',
    modelPath: modelId,
    system: device,
    precision: quant === 'nvfp4' ? 'fp4' : quant === 'fp8' ? 'fp8' : '',
    mode: 'agg',
    isl,
    osl,
    gemmQuantMode: quant,
    moeQuantMode: quant,
    concurrency: batch * replicas,
    source: 'public',
    numGpus: null,
    agg: { batch, workers: 1, tp, pp, dp: 1, moeTp: null, ep: 1 },
    prefill: null,
    decode: null,
    measuredTtftMs: null,
    measuredTpotMs: null,
  };
}

/**
 * The smallest power-of-two group (TP over the attention heads, then pipeline stages) that holds the model on
 * `device` with room for some KV cache — with the weights in SRAM or HBM when any group up to `maxChips` allows
 * it (an operator does not stream weights from host DRAM when more chips avoid it); null when none fits.
 */
function smallestGroup(deps: ReplayDeps, modelId: string, device: string, backend: string, quant: string, maxChips: number): { tp: number; pp: number } | null {
  return fittingGroups(deps, modelId, device, backend, quant, maxChips)[0] ?? null;
}

/**
 * Engine groups (TP, else TP × PP, over 1, 2, 4, … chips up to maxChips) the model fits on, smallest first; groups
 * that must stream weights from host memory only when no group holds them in HBM.
 */
function fittingGroups(deps: ReplayDeps, modelId: string, device: string, backend: string, quant: string, maxChips: number): { tp: number; pp: number }[] {
  const model = deps.model(modelId);
  if (!model) return [];
  const heads = model.attention.numHeads;
  const inHbm: { tp: number; pp: number }[] = [];
  const slow: { tp: number; pp: number }[] = [];
  for (let n = 1; n <= maxChips; n *= 2) {
    const tp = heads % n === 0 ? n : heads;
    const pp = n / tp;
    if (!Number.isInteger(pp) || pp < 1) continue;
    const plan = planReplay(row('probe', modelId, device, backend, quant, tp, pp, 8, 1, 1024, 256), deps, { protocol: PUBLIC_PROTOCOL(1) });
    if (!plan.ok) continue;
    (plan.weightTier !== 'dram' ? inHbm : slow).push({ tp, pp });
  }
  return inHbm.length > 0 ? inHbm : slow;
}

function percentile(xs: Float64Array, q: number): number | null {
  const v = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return quantile(v, q);
}

function predictMlperf(r: PublicRecord, deps: ReplayDeps): PublicPrediction {
  const bench = r.model.toLowerCase().replace(/-99(\.9)?$/, '');
  const measured = { ttftP99: r.ttft_ms, tpotP99: r.tpot_ms, ttftP50: r.ttft_p50_ms ?? null, tpotP50: r.tpot_p50_ms ?? null, tokensPerS: r.tokens_per_s_total };
  const base = { kind: 'mlperf' as const, model: r.model, hardware: r.hardware, chips: r.chips, scenario: r.concurrency_or_scenario ?? '', measured };
  const none = (reason: string, deployment = ''): PublicPrediction => ({ ...base, predicted: { ttftP99: null, tpotP99: null, ttftP50: null, tpotP50: null }, deployment, reason, note: '' });
  const device = deviceOfHardware(r.hardware);
  const model = modelOfName(r.model);
  const isl = MLPERF_ASSUMED_INPUT_TOKENS[bench];
  if (!device) return none(`hardware ${JSON.stringify(r.hardware)} not in the catalog (or mixed)`);
  if (!model) return none(`no config for ${r.model}`);
  if (!r.chips || !r.tokens_per_s_total || !r.output_len || isl === undefined) return none('chips, throughput, output length or dataset input length missing');
  const backend = backendOfEngine(r.engine);
  const stated = quantOfPrecision(r.precision);
  // MLPerf's precision column says fp16 for many 8-bit submissions; a 16-bit row is also tried at FP8 on GPUs that
  // run it, after every 16-bit group (mlperfDeployment keeps the first that meets the bounds).
  const fp8 = (deps.device(device)?.flopsPerS.fp8.value ?? 0) > 0;
  const quants = stated === '' && fp8 ? ['', 'fp8'] : [stated];
  const chips = r.chips;
  const groups = quants.flatMap((quant) => fittingGroups(deps, model.id, device, backend, quant, chips).map((g) => ({ ...g, quant })));
  if (groups.length === 0) return none(`${model.id} does not fit on ${r.chips} × ${device}`);
  const osl = Math.max(1, Math.round(r.output_len));
  const ratePerS = r.tokens_per_s_total / r.output_len;
  // Enough queries for a p99 and at least a minute of traffic, as MLPerf's minimum run does (600 s, ≥ 270 336).
  const n = Math.min(4000, Math.max(1500, Math.round(ratePerS * 60)));
  const rng = new Rng(7);
  const arrivalS: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += rng.exponential(1 / ratePerS);
    arrivalS.push(t);
  }
  const queries = {
    clients: 1,
    promptTokens: new Array<number>(n).fill(isl),
    outputTokens: new Array<number>(n).fill(osl),
    frontendServiceS: new Array<number>(n).fill(0),
    frontendOutS: 0,
    arrivalS,
  };
  // The submitter sized the engines to meet the scenario's p99 bounds at the submitted rate: the smallest group
  // that does in the replay, else the one that comes closest (mlperfDeployment).
  const tried: MlperfTrial[] = [];
  for (const group of groups) {
    const quant = group.quant;
    const replicas = Math.max(1, Math.floor(r.chips / (group.tp * group.pp)));
    const deployment = `${replicas} × (tp ${group.tp} × pp ${group.pp}) ${device}, ${backend}, ${quant || 'bf16'}${quant !== stated ? ` (stated ${r.precision})` : ''}`;
    const plan = planReplay(row(r.model, model.id, device, backend, quant, group.tp, group.pp, mlperfMaxBatch(backend), replicas, isl, osl), deps, { protocol: PUBLIC_PROTOCOL(1) });
    if (!plan.ok) {
      tried.push({ deployment, reason: plan.reason, ttftP99: null, tpotP99: null, ttftP50: null, tpotP50: null, rejected: 0 });
      continue;
    }
    const res = runBenchmark(plan.topology, queries);
    const trial: MlperfTrial = {
      deployment,
      reason: '',
      ttftP99: percentile(res.ttftMs, 0.99),
      tpotP99: percentile(res.tpotMs, 0.99),
      ttftP50: percentile(res.ttftMs, 0.5),
      tpotP50: percentile(res.tpotMs, 0.5),
      rejected: res.rejected,
    };
    tried.push(trial);
    if (boundsExcess(trial, r) <= 1) break;
  }
  const chosen = mlperfDeployment(tried, r);
  if (!chosen || chosen.reason) return none(chosen?.reason ?? 'no deployment could be replayed', chosen?.deployment ?? '');
  return {
    ...base,
    predicted: { ttftP99: chosen.ttftP99, tpotP99: chosen.tpotP99, ttftP50: chosen.ttftP50, tpotP50: chosen.tpotP50 },
    deployment: chosen.deployment,
    reason: chosen.rejected > 0 ? `${chosen.rejected} queries longer than the KV cache` : '',
    note: [`input ${isl} tokens assumed`, model.note].filter(Boolean).join('; '),
  };
}

/**
 * Running requests per engine of an MLPerf replay: TensorRT-LLM's default `max_batch_size` (2 048, as trtllm-bench
 * uses for the tables below), 1 024 for the other engines.
 */
function mlperfMaxBatch(backend: string): number {
  return backend === 'trtllm' ? 2048 : 1024;
}

/** One replayed candidate deployment of an MLPerf row. */
export interface MlperfTrial {
  readonly deployment: string;
  /** Why it could not be replayed ('' when it was). */
  readonly reason: string;
  readonly ttftP99: number | null;
  readonly tpotP99: number | null;
  readonly ttftP50: number | null;
  readonly tpotP50: number | null;
  readonly rejected: number;
}

/**
 * How far a trial is from the scenario's bounds: the larger of predicted / bound for p99 TTFT and TPOT (≤ 1 meets
 * both). Infinite without a prediction; 1 when the row gives no bound (nothing to meet).
 */
export function boundsExcess(t: Pick<MlperfTrial, 'ttftP99' | 'tpotP99'>, bounds: Pick<PublicRecord, 'ttft_limit_ms' | 'tpot_limit_ms'>): number {
  if (t.ttftP99 === null || t.tpotP99 === null) return Number.POSITIVE_INFINITY;
  const ratio = (v: number, limit: number | null | undefined): number => (limit && limit > 0 ? v / limit : 1);
  return Math.max(ratio(t.ttftP99, bounds.ttft_limit_ms), ratio(t.tpotP99, bounds.tpot_limit_ms));
}

/**
 * The deployment an MLPerf row is read as, from its candidates tried smallest group first: the first that meets
 * the scenario's p99 bounds, else the replayed one closest to them, else the first (with its reason).
 */
export function mlperfDeployment(tried: readonly MlperfTrial[], bounds: Pick<PublicRecord, 'ttft_limit_ms' | 'tpot_limit_ms'>): MlperfTrial | null {
  const replayed = tried.filter((t) => t.reason === '');
  const meets = replayed.find((t) => boundsExcess(t, bounds) <= 1);
  if (meets) return meets;
  let best: MlperfTrial | null = null;
  for (const t of replayed) if (!best || boundsExcess(t, bounds) < boundsExcess(best, bounds)) best = t;
  return best ?? tried[0] ?? null;
}

function predictTrtllmTable(r: PublicRecord, deps: ReplayDeps): PublicPrediction {
  const base = { kind: 'trtllm-table' as const, model: r.model, hardware: r.hardware, chips: r.chips, scenario: `${r.input_len}/${r.output_len}`, measured: { tokensPerS: r.tokens_per_s_total } };
  const none = (reason: string, deployment = ''): PublicPrediction => ({ ...base, predicted: { tokensPerS: null }, deployment, reason, note: '' });
  const device = deviceOfHardware(r.hardware);
  const model = modelOfName(r.model);
  if (!device) return none(`hardware ${JSON.stringify(r.hardware)} not in the catalog`);
  if (!model) return none(`no config for ${r.model}`);
  if (!r.chips || !r.input_len || !r.output_len || !r.tokens_per_s_total) return none('chips, lengths or throughput missing');
  const quant = quantOfPrecision(r.precision);
  const m = deps.model(model.id);
  const heads = m?.attention.numHeads ?? 1;
  const tp = heads % r.chips === 0 ? r.chips : 1;
  const pp = r.chips / tp;
  const deployment = `tp ${tp} × pp ${pp} ${device}, trtllm, ${quant || 'bf16'}`;
  // trtllm-bench keeps up to max_batch_size (2 048) requests in flight, fewer when the KV cache is the limit.
  const probe = planReplay(row(r.model, model.id, device, 'trtllm', quant, tp, pp, 1, 1, r.input_len, r.output_len), deps, { protocol: PUBLIC_PROTOCOL(1) });
  if (!probe.ok) return none(probe.reason, deployment);
  const kvTokens = probe.topology.kind === 'colocated' ? probe.topology.pool.kvTokensPerRank : 0;
  const batch = Math.max(1, Math.min(2048, Math.floor(kvTokens / (r.input_len + r.output_len))));
  const plan = planReplay(row(r.model, model.id, device, 'trtllm', quant, tp, pp, batch, 1, r.input_len, r.output_len), deps, { protocol: PUBLIC_PROTOCOL(2) });
  if (!plan.ok) return none(plan.reason, deployment);
  const res = runBenchmark(plan.topology, plan.workload);
  const outTokens = plan.workload.outputTokens.reduce((a, b) => a + b, 0);
  return { ...base, predicted: { tokensPerS: res.durationS > 0 ? outTokens / res.durationS : null }, deployment: `${deployment}, ${batch} in flight`, reason: '', note: model.note };
}

function predictClaim(r: PublicRecord, deps: ReplayDeps): PublicPrediction {
  const measured = { tokensPerSPerUser: r.tokens_per_s_per_user ?? (r.tpot_ms ? 1000 / r.tpot_ms : null), tokensPerS: r.tokens_per_s_total };
  const base = { kind: 'claim' as const, model: r.model, hardware: r.hardware, chips: r.chips, scenario: `${r.category}: ${r.concurrency_or_scenario ?? ''}`, measured };
  const none = (reason: string): PublicPrediction => ({ ...base, predicted: { tokensPerSPerUser: null }, deployment: '', reason, note: '' });
  const device = deviceOfHardware(r.hardware);
  const model = modelOfName(r.model);
  if (!device) return none(`hardware ${JSON.stringify(r.hardware)} not in the catalog`);
  if (!model) return none(`no config for ${r.model}`);
  const quant = quantOfPrecision(r.precision);
  const isl = r.input_len ?? 1024;
  const osl = Math.max(2, Math.round(r.output_len ?? 256));
  const group = smallestGroup(deps, model.id, device, 'trtllm', quant, 4096);
  if (!group) return none(`${model.id} does not fit on up to 4096 × ${device}`);
  const plan = planReplay(row(r.model, model.id, device, 'trtllm', quant, group.tp, group.pp, 1, 1, isl, osl), deps, { protocol: PUBLIC_PROTOCOL(2) });
  const deployment = `1 user on tp ${group.tp} × pp ${group.pp} ${device}, ${quant || 'bf16'}`;
  if (!plan.ok) return { ...none(plan.reason), deployment };
  const res = runBenchmark(plan.topology, plan.workload);
  const tpot = percentile(res.tpotMs, 0.5);
  return {
    ...base,
    predicted: { tokensPerSPerUser: tpot ? 1000 / tpot : null },
    deployment,
    reason: '',
    note: [r.input_len === null ? 'input 1024 tokens assumed' : '', model.note].filter(Boolean).join('; '),
  };
}

/** Predict every comparable public row. Never throws for a row: a row that cannot be simulated says why. */
export function predictPublic(records: readonly PublicRecord[], deps: ReplayDeps): PublicPrediction[] {
  const out: PublicPrediction[] = [];
  for (const r of records) {
    const scen = (r.concurrency_or_scenario ?? '').toLowerCase();
    try {
      if (r.category === 'mlperf' && (scen === 'server' || scen === 'interactive')) out.push(predictMlperf(r, deps));
      else if (r.category === 'trtllm-perf-overview') out.push(predictTrtllmTable(r, deps));
      else if (r.category === 'vendor-claim' || r.category === 'vendor-projection' || r.category === 'provider-speed') out.push(predictClaim(r, deps));
    } catch (e) {
      // A device without the figures the performance model needs (a FLOP/s or bandwidth not published).
      const measured = { tokensPerSPerUser: r.tokens_per_s_per_user ?? null, tokensPerS: r.tokens_per_s_total ?? null };
      out.push({ kind: 'claim', model: r.model, hardware: r.hardware, chips: r.chips, scenario: r.category, measured, predicted: {}, deployment: '', reason: (e as Error).message, note: '' });
    }
  }
  return out;
}

function apeStats(pairs: readonly [number | null | undefined, number | null | undefined][]): ApeStats {
  const apes: number[] = [];
  for (const [p, m] of pairs) if (p !== null && p !== undefined && Number.isFinite(p) && m !== null && m !== undefined && m > 0) apes.push(Math.abs(p - m) / m);
  apes.sort((a, b) => a - b);
  return { rows: pairs.length, predicted: apes.length, medianApe: quantile(apes, 0.5), p90Ape: quantile(apes, 0.9) };
}

/** Items grouped by a key, keys in locale order. */
function sortedGroups<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  return new Map([...groupBy(xs, key).entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function summarisePublic(preds: readonly PublicPrediction[]): PublicSummary {
  const ml = preds.filter((p) => p.kind === 'mlperf');
  const tr = preds.filter((p) => p.kind === 'trtllm-table');
  const pair = (p: PublicPrediction, k: string): [number | null | undefined, number | null | undefined] => [p.predicted[k], p.measured[k]];
  const byModel: Record<string, { ttftP99: ApeStats; tpotP99: ApeStats }> = {};
  for (const [k, g] of sortedGroups(ml, (p) => p.model)) byModel[k] = { ttftP99: apeStats(g.map((p) => pair(p, 'ttftP99'))), tpotP99: apeStats(g.map((p) => pair(p, 'tpotP99'))) };
  const trHw: Record<string, ApeStats> = {};
  for (const [k, g] of sortedGroups(tr, (p) => deviceOfHardware(p.hardware) ?? p.hardware)) trHw[k] = apeStats(g.map((p) => pair(p, 'tokensPerS')));
  const trModel: Record<string, ApeStats> = {};
  for (const [k, g] of sortedGroups(tr, (p) => modelOfName(p.model)?.id ?? p.model)) trModel[k] = apeStats(g.map((p) => pair(p, 'tokensPerS')));
  return {
    mlperf: {
      rows: ml.length,
      predicted: ml.filter((p) => p.predicted['tpotP99'] !== null).length,
      ttftP99: apeStats(ml.map((p) => pair(p, 'ttftP99'))),
      tpotP99: apeStats(ml.map((p) => pair(p, 'tpotP99'))),
      ttftP50: apeStats(ml.map((p) => pair(p, 'ttftP50'))),
      tpotP50: apeStats(ml.map((p) => pair(p, 'tpotP50'))),
      byModel,
    },
    trtllm: { rows: tr.length, predicted: tr.filter((p) => p.predicted['tokensPerS'] !== null).length, throughput: apeStats(tr.map((p) => pair(p, 'tokensPerS'))), byHardware: trHw, byModel: trModel },
    claims: preds.filter((p) => p.kind === 'claim'),
  };
}
