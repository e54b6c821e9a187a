import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { QuantMode } from '../perf/quant.js';
import type { Backend, MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { BatchPolicy, BenchTopology, BenchWorkload, EngineTiming, PoolSpec } from './bench-engine.js';
import { drawRequests, protocolOf, type BenchProtocol } from './protocol.js';
import type { RoleConfig, ValidationRow } from './rows.js';

/** What replaying a row needs from outside (the CLI resolves files; tests pass fixtures). */
export interface ReplayDeps {
  readonly device: (system: string) => Device | null;
  readonly model: (id: string) => ModelArch | null;
  readonly memoryPlan: (ctx: PerfContext, opts?: { reserveFraction?: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (s: StepShape) => StepTime;
}

export interface DisaggWorkers {
  readonly prefillWorkers: number;
  readonly decodeWorkers: number;
}

export type ReplayPlan =
  | {
      readonly ok: true;
      readonly topology: BenchTopology;
      readonly workload: BenchWorkload;
      readonly protocol: BenchProtocol;
      /** True when the row gives the whole deployment; false for disagg rows whose worker counts are inferred. */
      readonly configKnown: boolean;
      readonly workers: DisaggWorkers | null;
      readonly chips: number;
      /** How inconsistent columns were read; empty when the row was taken as written. */
      readonly note: string;
      /** Memory tier the (decode or colocated) weights stream from. */
      readonly weightTier: 'sram' | 'hbm' | 'dram';
    }
  | { readonly ok: false; readonly configKnown: boolean; readonly reason: string };

/**
 * Serving-engine settings that shape the batches and the first token, per backend (docs/validation.md,
 * "Engines"): scheduling policy, tokens per step (SGLang's chunked_prefill_size default grows with GPU memory),
 * the engine loop's timing, and the HTTP frontend's latency.
 */
export interface EngineSettings {
  readonly policy: BatchPolicy;
  readonly tokenBudget: number;
  readonly timing: EngineTiming;
  readonly frontend: FrontendCost;
}

/** What the serving frontend (HTTP server, tokeniser, detokeniser) costs a request, in seconds. */
export interface FrontendCost {
  /** Serial work per request before the scheduler sees it (parsing, scheduling hand-off). */
  readonly requestS: number;
  /** Per-request delay to the scheduler that overlaps between requests (an asynchronous frontend's routing). */
  readonly latencyS: number;
  /** Serial tokenisation work per prompt token. */
  readonly perPromptTokenS: number;
  /** From a token leaving the engine to the client (detokenisation, SSE, network). */
  readonly outS: number;
}

/** Adjustable parts of the replay (tests and calibration studies); defaults are the documented ones. */
export interface ReplayOverrides {
  /** Keyed `${backend}/${harness}`. */
  readonly timing?: Partial<Record<string, EngineTiming>>;
  /** Keyed `${backend}/${harness}/${mode}`. */
  readonly frontend?: Partial<Record<string, FrontendCost>>;
  readonly protocol?: BenchProtocol;
  /** Largest decode batch per rank in inferred disaggregated deployments (attention-TP worker, attention-DP rank). */
  readonly maxDecodeBatch?: { readonly tp: number; readonly dp: number };
  /** Which statistic of the per-request TTFT/TPOT the prediction reports (the harness reports the mean). */
  readonly statistic?: 'mean' | 'median';
}

const GIB = 1024 ** 3;

export function engineSettings(
  backend: Backend,
  device: Device,
  mode: 'agg' | 'disagg',
  harness: BenchProtocol['harness'],
  overrides: ReplayOverrides = {},
): EngineSettings {
  const mem = device.memory.hbm.capacityBytes.value ?? 0;
  const frontendCost = overrides.frontend?.[`${backend}/${harness}/${mode}`] ?? FRONTEND[backend][harness][mode];
  const engineTiming = overrides.timing?.[`${backend}/${harness}`] ?? ENGINE_TIMING[backend][harness];
  switch (backend) {
    case 'sglang':
      return { policy: 'prefill-priority', tokenBudget: mem > 160 * GIB ? 16384 : 8192, timing: engineTiming, frontend: frontendCost };
    case 'trtllm':
    case 'vllm':
    case 'generic':
      return { policy: 'mixed', tokenBudget: 8192, timing: engineTiming, frontend: frontendCost };
  }
}

const timing = (admitLagSteps: number, recvIntervalSteps = 1, firstTokenHoldSteps = 0, batchWaitSteps = 0, batchWaitTokenRatio = 0, dpBalanceSteps = 0): EngineTiming => ({
  admitLagSteps,
  recvIntervalSteps,
  firstTokenHoldSteps,
  batchWaitSteps,
  batchWaitTokenRatio,
  dpBalanceSteps,
});

/**
 * Engine-loop timing per backend, as each harness deploys the engine (docs/validation.md, "First token").
 * InferenceX recipes turn on vLLM's `--async-scheduling` (a new request joins two steps later), run TensorRT-LLM
 * with its overlap scheduler and context batching (`batch_wait_timeout_iters` 20 at 0.9 of the token budget) and
 * SGLang with `--scheduler-recv-interval 30 --stream-interval 10` (the first token is streamed with the tenth);
 * aiconfigurator's gap runs use the engines' defaults. The values were chosen among those the recipes use by the
 * median TTFT error on the dev rows (docs/validation.md lists the comparison and a hold-out by model).
 */
export const ENGINE_TIMING: Readonly<Record<Backend, Record<BenchProtocol['harness'], EngineTiming>>> = {
  trtllm: { inferencex: timing(1, 1, 0, 20, 0.9, 10), aiconfigurator: timing(0) },
  vllm: { inferencex: timing(2), aiconfigurator: timing(0) },
  sglang: { inferencex: timing(1, 30, 9), aiconfigurator: timing(0) },
  generic: { inferencex: timing(1), aiconfigurator: timing(0) },
};

/**
 * The other setting each backend's InferenceX recipes use, which the defaults above were chosen against
 * (scripts/validate-holdout.ts repeats that choice with one model held out at a time): vLLM without async
 * scheduling, TensorRT-LLM without context batching, SGLang with `--scheduler-recv-interval 10`.
 */
export const ENGINE_TIMING_ALTERNATIVE: Readonly<Record<'trtllm' | 'vllm' | 'sglang', EngineTiming>> = {
  trtllm: timing(1, 1, 0, 0, 0, 10),
  vllm: timing(1),
  sglang: timing(1, 10, 9),
};

/**
 * Per-backend frontend cost (docs/validation.md, "Frontend"): the OpenAI-compatible server parses and tokenises
 * every request in one process before the engine sees it, and detokenises and streams every token.
 */
const frontend = (eachWayS: number): FrontendCost => ({ requestS: eachWayS, latencyS: 0, perPromptTokenS: 0, outS: eachWayS });
/** Dynamo's frontend (disaggregated rows) is asynchronous Rust: its routing delay does not queue requests. */
const asyncFrontend = (eachWayS: number): FrontendCost => ({ requestS: 0, latencyS: eachWayS, perPromptTokenS: 0, outS: eachWayS });
export const FRONTEND: Readonly<Record<Backend, Record<BenchProtocol['harness'], { agg: FrontendCost; disagg: FrontendCost }>>> = {
  trtllm: { inferencex: { agg: frontend(0.005), disagg: asyncFrontend(0.02) }, aiconfigurator: { agg: frontend(0), disagg: asyncFrontend(0.02) } },
  vllm: { inferencex: { agg: frontend(0.005), disagg: asyncFrontend(0.02) }, aiconfigurator: { agg: frontend(0), disagg: asyncFrontend(0.02) } },
  sglang: { inferencex: { agg: frontend(0.005), disagg: asyncFrontend(0.02) }, aiconfigurator: { agg: frontend(0.03), disagg: asyncFrontend(0.03) } },
  generic: { inferencex: { agg: frontend(0.005), disagg: asyncFrontend(0.005) }, aiconfigurator: { agg: frontend(0.005), disagg: asyncFrontend(0.005) } },
};

const BACKENDS: readonly Backend[] = ['trtllm', 'vllm', 'sglang'];

interface Precision {
  readonly weights: Dtype;
  readonly moe: Dtype;
  readonly kv: Dtype;
  readonly gemmQuant: QuantMode;
  readonly attentionQuant: QuantMode;
  readonly moeQuant: QuantMode;
}

const dtypeOf = (q: QuantMode): Dtype => {
  switch (q) {
    case 'bf16':
      return 'bf16';
    case 'fp8':
    case 'fp8_block':
      return 'fp8';
    case 'int8':
      return 'int8';
    case 'int4_wo':
      return 'int4';
    case 'nvfp4':
    case 'w4a16_mxfp4':
    case 'w4a8_mxfp4':
      return 'fp4';
  }
};

/** A row's quantisation columns → kernel precisions (docs/validation.md, "Precisions"). */
export function precisionOf(row: ValidationRow, model: ModelArch, device: Device, blockScaled: boolean): Precision | string {
  const hopper = device.flopsPerS.fp4.value === null;
  const native: QuantMode = model.weightDtype === 'fp8' ? (blockScaled ? 'fp8_block' : 'fp8') : 'bf16';
  const mode = (m: string, what: string): QuantMode | string => {
    switch (m) {
      case '':
      case 'bf16':
      case 'bfloat16':
      case 'float16':
      case 'fp16':
        return row.precision === '' || row.precision === 'bf16' ? 'bf16' : mode(row.precision === 'fp4' ? 'nvfp4' : row.precision, what);
      case 'fp8':
      case 'fp8_static':
        return blockScaled ? 'fp8_block' : 'fp8';
      case 'fp8_block':
        return 'fp8_block';
      case 'nvfp4':
      case 'fp4':
        return 'nvfp4';
      case 'mxfp4':
        return hopper ? 'w4a16_mxfp4' : 'w4a8_mxfp4';
      case 'int4_wo':
      case 'w4a16':
        return 'int4_wo';
      case 'int8':
      case 'int8_wo':
        return 'int8';
      default:
        return `unsupported ${what} ${JSON.stringify(m)} (accepted: bf16, fp8, fp8_block, nvfp4, mxfp4, int4_wo, int8)`;
    }
  };
  const gemm = mode(row.gemmQuantMode, 'gemm_quant_mode');
  if (typeof gemm === 'string' && !isQuant(gemm)) return gemm;
  let moe = mode(row.moeQuantMode || row.gemmQuantMode, 'moe_quant_mode');
  if (typeof moe === 'string' && !isQuant(moe)) return moe;
  // gpt-oss ships MXFP4 experts (one E8M0 scale per 32): a 4-bit MoE mode on it is MXFP4, run as W4A16 on
  // Hopper and W4A8 (MXFP8 activations) on Blackwell.
  if (model.expertWeightDtype === 'fp4' && model.quantScaleBytesPerElement === 1 / 32 && (moe === 'nvfp4' || moe === 'bf16')) {
    moe = hopper ? 'w4a16_mxfp4' : 'w4a8_mxfp4';
  }
  // NVIDIA's NVFP4 MoE checkpoints leave attention unquantised (their quantisation configs exclude self_attn);
  // checkpoints published in fp8 keep it in fp8. A dense NVFP4 checkpoint quantises attention too.
  const q = gemm as QuantMode;
  const attention: QuantMode = model.moe !== null && (q === 'nvfp4' || model.expertWeightDtype === 'fp4') ? (native === 'bf16' ? 'bf16' : native) : q;
  const quantised = row.precision === 'fp8' || row.precision === 'fp4' || q !== 'bf16';
  // KV cache: fp8 for NVFP4 checkpoints (kv_cache_quant_algo FP8) and for TensorRT-LLM quantised deployments.
  const kv: Dtype = row.precision === 'fp4' || (row.backend === 'trtllm' && quantised) ? 'fp8' : model.kvDtype;
  return { weights: dtypeOf(q), moe: dtypeOf(moe as QuantMode), kv, gemmQuant: q, attentionQuant: attention, moeQuant: moe as QuantMode };
}

const isQuant = (s: string): boolean => !s.startsWith('unsupported');

/** A role's resolved parallelism, and how the row's columns were read when they needed interpreting. */
export interface ResolvedRole {
  readonly par: Parallelism;
  /** Empty, or how an inconsistent column was read (reported in the predictions' note column). */
  readonly note: string;
}

/**
 * Check one role's parallelism against the model (docs/validation.md, "Parallelism columns"). Two readings make
 * columns consistent that are not as written, and are reported:
 *
 * - a tp_size the attention heads cannot be split over (DeepSeek's 128 heads over 36 GPUs) is the world size of
 *   an engine with attention data parallelism — TensorRT-LLM's `tp_size` with `enable_attention_dp`, SGLang's
 *   `--tp N --dp N --enable-dp-attention` — so attention runs tp 1 × dp N;
 * - an empty attention_dp_size with moe_tp × moe_ep > tp means the MoE group spans attention-DP ranks
 *   (vLLM `--data-parallel-size` with the experts over all ranks): dp = moe_tp × moe_ep / tp.
 *
 * Anything else inconsistent is an error with its reason.
 */
export function resolveRole(role: RoleConfig, model: ModelArch, what: string): ResolvedRole | string {
  let { tp, dp } = role;
  const { pp, ep } = role;
  const notes: string[] = [];
  const heads = model.attention.numHeads;
  if (heads % tp !== 0 && tp % heads !== 0) {
    if (dp !== 1) return `${what}: tp_size ${tp} does not divide the model's ${heads} attention heads`;
    notes.push(`${what} tp_size ${tp} read as attention tp 1 × dp ${tp} (it does not divide the ${heads} heads)`);
    dp = tp;
    tp = 1;
  }
  if (pp > model.numLayers) return `${what}: pp_size ${pp} exceeds the model's ${model.numLayers} layers`;
  if (model.moe === null) {
    if (ep > 1) return `${what}: moe_ep_size ${ep} on the dense model ${model.id}`;
    return { par: { tp, pp, dp, ep: 1, moeTp: tp * dp }, note: notes.join('; ') };
  }
  const moeTp = role.moeTp ?? Math.max(1, Math.floor((tp * dp) / ep));
  if (moeTp * ep !== tp * dp) {
    if (role.dp === 1 && dp === 1 && (moeTp * ep) % tp === 0 && moeTp * ep > tp) {
      dp = (moeTp * ep) / tp;
      notes.push(`${what} attention_dp_size read as ${dp} (moe_tp ${moeTp} × moe_ep ${ep} over tp ${tp})`);
    } else {
      return `${what}: moe_tp_size ${moeTp} × moe_ep_size ${ep} ≠ tp_size ${tp} × attention_dp_size ${dp} (the MoE layers run on the attention GPUs)`;
    }
  }
  if (ep > model.moe.numExperts) return `${what}: moe_ep_size ${ep} exceeds the model's ${model.moe.numExperts} experts`;
  return { par: { tp, pp, dp, ep, moeTp }, note: notes.join('; ') };
}

/**
 * The rule for disaggregated rows that give each role's parallelism and the total concurrency but not the worker
 * counts nor the per-worker batch (docs/validation.md, "Inferred disaggregated deployments"). Such sweeps
 * (InferenceX multi-node, Dynamo recipes) give the decode side the fewest workers that hold the clients at a
 * per-rank batch no larger than `B_max` — 64 for an attention-TP decode worker, 256 per rank for an attention-DP
 * one (the order of the largest batches of the fully given rows of the same harness) — and give the prefill side as many
 * workers as it needs to produce first tokens at the rate the decode side finishes requests, at most 70 % busy:
 *
 *   D = ⌈C / (B_max · dp_d)⌉,   P = ⌈ (C / (OSL · t_decode)) · t_prefill(ISL) / 0.7 ⌉
 *
 * with t_decode the decode step of a rank at its share of the clients and t_prefill(ISL) a prompt's share of a
 * full prefill batch on one prefill worker, both from the performance model.
 */
export function inferDisaggWorkers(
  concurrency: number,
  osl: number,
  decodeRanks: number,
  decodeStepS: (seqsPerRank: number) => number,
  prefillPromptS: number,
  maxDecodeBatchPerRank = decodeRanks > 1 ? MAX_DECODE_BATCH_PER_DP_RANK : MAX_DECODE_BATCH_PER_TP_WORKER,
): DisaggWorkers {
  const decodeWorkers = Math.max(1, Math.ceil(concurrency / (maxDecodeBatchPerRank * decodeRanks)));
  const perRank = Math.max(1, Math.ceil(concurrency / (decodeWorkers * decodeRanks)));
  const requestsPerS = concurrency / (osl * decodeStepS(perRank));
  const prefillWorkers = Math.max(1, Math.ceil((requestsPerS * prefillPromptS) / PREFILL_TARGET_BUSY - 1e-9));
  return { prefillWorkers, decodeWorkers };
}

/** Largest decode batch of an attention-TP decode worker in the inferred deployments. */
export const MAX_DECODE_BATCH_PER_TP_WORKER = 64;
/** Largest decode batch per rank of an attention-DP decode worker in the inferred deployments. */
export const MAX_DECODE_BATCH_PER_DP_RANK = 256;
/** Fraction of the time the inferred prefill workers are busy in steady state. */
export const PREFILL_TARGET_BUSY = 0.7;

function blockScaledCheckpoint(model: ModelArch): boolean {
  // DeepSeek, MiniMax and Qwen3 FP8 checkpoints are 128×128 block-scaled; the model parser keeps only the dtype,
  // so the block scaling is recognised by the architectures that publish it.
  return model.weightDtype === 'fp8';
}

/**
 * KV-cache bytes of one instance, as each engine sizes it (docs/validation.md, "Memory"): TensorRT-LLM gives the
 * KV cache `free_gpu_memory_fraction` = 0.9 of what the weights and activations leave; vLLM
 * (`gpu_memory_utilization`) and SGLang (`mem_fraction_static`) cap weights + KV at 0.9 of the memory. A
 * measured deployment whose weights do not fit under that cap ran with a higher one: 0.95, then 0.98.
 */
export function kvCacheBytes(ctx: PerfContext, backend: Backend, deps: Pick<ReplayDeps, 'memoryPlan'>): { bytes: number; plan: MemoryPlan } | string {
  const whole = deps.memoryPlan(ctx, { reserveFraction: 0 });
  if (!whole.fits) return whole.reason ?? 'the model does not fit';
  if (backend === 'trtllm') return { bytes: 0.9 * whole.kvCapacityBytes, plan: whole };
  for (const fraction of [0.9, 0.95, 0.98]) {
    const plan = deps.memoryPlan(ctx, { reserveFraction: 1 - fraction });
    if (plan.fits) return { bytes: plan.kvCapacityBytes, plan };
  }
  return { bytes: 0.02 * whole.kvCapacityBytes, plan: whole };
}

/** Build the benchmark replay of one row: its deployment as engine pools and its clients. */
export function planReplay(row: ValidationRow, deps: ReplayDeps, overrides: ReplayOverrides = {}): ReplayPlan {
  const configKnown = row.mode === 'agg' || (row.prefill?.workers != null && row.decode?.workers != null);
  const fail = (reason: string): ReplayPlan => ({ ok: false, configKnown, reason });
  const device = deps.device(row.system);
  if (!device) return fail(`unknown system ${JSON.stringify(row.system)}`);
  const backend = BACKENDS.find((b) => b === row.backend);
  if (!backend) return fail(`unknown backend ${JSON.stringify(row.backend)} (accepted: ${BACKENDS.join(', ')})`);
  const model = deps.model(row.modelPath);
  if (!model) return fail(`unknown model ${JSON.stringify(row.modelPath)} (no config.json shipped for it)`);
  const prec = precisionOf(row, model, device, blockScaledCheckpoint(model));
  if (typeof prec === 'string') return fail(prec);
  const protocol = overrides.protocol ?? protocolOf(row);
  const settings = engineSettings(backend, device, row.mode, protocol.harness, overrides);
  const c = row.concurrency;

  const ctxOf = (par: Parallelism): PerfContext => ({
    device,
    model,
    par,
    weightDtype: prec.weights,
    moeDtype: prec.moe,
    kvDtype: prec.kv,
    backend,
    gemmQuant: prec.gemmQuant,
    attentionQuant: prec.attentionQuant,
    moeQuant: prec.moeQuant,
  });
  interface Built {
    readonly ctx: PerfContext;
    readonly plan: MemoryPlan;
    readonly cost: (s: StepShape) => StepTime;
    readonly kvTokensPerRank: number;
    readonly chips: number;
  }
  const notes: string[] = [];
  const build = (role: RoleConfig, what: string): Built | string => {
    const resolved = resolveRole(role, model, what);
    if (typeof resolved === 'string') return resolved;
    if (resolved.note) notes.push(resolved.note);
    const par = resolved.par;
    const ctx = ctxOf(par);
    const kv = kvCacheBytes(ctx, backend, deps);
    if (typeof kv === 'string') return `${what}: ${kv}`;
    const kvTokensPerRank = Math.floor(kv.bytes / kv.plan.kvBytesPerToken / par.dp);
    if (kvTokensPerRank < 1) return `${what}: no room for the KV cache`;
    return { ctx, plan: kv.plan, cost: deps.makeStepCost(ctx), kvTokensPerRank, chips: par.tp * par.pp * par.dp };
  };
  const pool = (b: Built, replicas: number, maxSeqsPerRank: number, policy: BatchPolicy): PoolSpec => ({
    replicas,
    ranks: b.ctx.par.dp,
    maxSeqsPerRank: Math.max(1, maxSeqsPerRank),
    tokenBudgetPerRank: settings.tokenBudget,
    kvTokensPerRank: b.kvTokensPerRank,
    policy,
    timing: settings.timing,
    stepCost: b.cost,
  });
  const lengths = drawRequests(protocol, row.isl, row.osl, c, settings.frontend);
  const workload: BenchWorkload = { clients: c, ...lengths, frontendLatencyS: settings.frontend.latencyS, frontendOutS: settings.frontend.outS };

  if (row.mode === 'agg') {
    const role = row.agg!;
    const b = build(role, 'agg');
    if (typeof b === 'string') return fail(b);
    const dp = b.ctx.par.dp;
    // batch_size is per attention-DP rank; when the DP degree was read from other columns it is recomputed.
    const perRank = role.batch !== null && dp === role.dp ? role.batch : Math.ceil(c / dp);
    // A concurrency above batch × attention-DP is served by that many engine instances behind one router.
    const replicas = Math.max(1, Math.round(c / (perRank * dp)));
    const chips = replicas * b.chips;
    if (row.numGpus !== null && row.numGpus % b.chips !== 0) return fail(`tp × pp × attention-DP = ${b.chips} GPUs does not divide num_gpus ${row.numGpus}`);
    return {
      ok: true,
      topology: { kind: 'colocated', pool: pool(b, replicas, perRank, settings.policy) },
      workload,
      protocol,
      configKnown,
      workers: null,
      chips,
      note: notes.join('; '),
      weightTier: b.plan.weightTier,
    };
  }
  const p = row.prefill!;
  const d = row.decode!;
  const pb = build(p, 'prefill');
  if (typeof pb === 'string') return fail(pb);
  const db = build(d, 'decode');
  if (typeof db === 'string') return fail(db);
  const ddp = db.ctx.par.dp;
  let workers: DisaggWorkers;
  if (p.workers !== null && d.workers !== null) workers = { prefillWorkers: p.workers, decodeWorkers: d.workers };
  else {
    const meanIsl = mean(lengths.promptTokens);
    const meanOsl = mean(lengths.outputTokens);
    const decodeStepS = (perRank: number): number =>
      db.cost({
        numTokens: perRank * ddp,
        numSeqs: perRank * ddp,
        numPrefillSeqs: 0,
        prefillTokens: 0,
        prefillAttnPairs: 0,
        prefillKvTokens: 0,
        numDecodeSeqs: perRank * ddp,
        decodeKvTokens: perRank * ddp * (meanIsl + meanOsl / 2),
      }).totalS;
    // A prompt's share of a full prefill batch of every rank of one prefill worker.
    const q = Math.round(meanIsl);
    const k = Math.max(1, Math.floor(settings.tokenBudget / Math.max(1, q))) * pb.ctx.par.dp;
    const batchS = pb.cost({ numTokens: q * k, numSeqs: k, numPrefillSeqs: k, prefillTokens: q * k, prefillAttnPairs: (k * q * (q + 1)) / 2, prefillKvTokens: q * k, numDecodeSeqs: 0, decodeKvTokens: 0 }).totalS;
    const bMax = overrides.maxDecodeBatch;
    workers = inferDisaggWorkers(c, meanOsl, ddp, decodeStepS, batchS / k, bMax ? (ddp > 1 ? bMax.dp : bMax.tp) : undefined);
  }
  const chips = workers.prefillWorkers * pb.chips + workers.decodeWorkers * db.chips;
  if (row.numGpus !== null && row.numGpus !== chips) return fail(`the deployment has ${chips} GPUs; num_gpus says ${row.numGpus}`);
  const decodePerRank = d.batch !== null && ddp === d.dp ? d.batch : Math.ceil(c / (workers.decodeWorkers * ddp));
  // A prefill worker batches as many prompts as fit its token budget (TensorRT-LLM context batching, SGLang
  // prefill batches); the rows' prefill_batch_size (always 1) is aiconfigurator's per-request sizing, not a cap.
  const prefillPerRank = Math.max(p.batch ?? 1, Math.ceil(settings.tokenBudget / Math.max(1, row.isl)));
  const domain = device.scaleUp.domainChips.value ?? 8;
  const scaleUp = chips <= domain;
  const link = scaleUp ? device.scaleUp : device.scaleOut;
  const bw = link.bandwidthBytesPerS.value ?? 50e9;
  const latencyS = link.latencyS.value ?? (scaleUp ? 5e-6 : 10e-6);
  const kvBytesPerToken = db.plan.kvBytesPerToken;
  const senders = pb.chips;
  return {
    ok: true,
    topology: {
      kind: 'pd',
      prefill: pool(pb, workers.prefillWorkers, prefillPerRank, 'prefill-only'),
      decode: pool(db, workers.decodeWorkers, decodePerRank, 'mixed'),
      kvTransferS: (tokens) => latencyS + (tokens * kvBytesPerToken) / (bw * senders),
    },
    workload,
    protocol,
    configKnown,
    workers,
    chips,
    note: notes.join('; '),
    weightTier: db.plan.weightTier,
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : 0;
}
