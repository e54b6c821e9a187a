import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { QuantMode } from '../perf/quant.js';
import type { Backend, MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from '../perf/types.js';
import { acceptedTokensPerStep, speculativeStepCost } from '../perf/speculative.js';
import { linkOf, scaleUpDomainChips } from '../perf/collectives.js';
import { inferredRecipeOf, placeholderLayoutOf, recipeDeployment, rowImageOf } from './inferred-recipes.js';
import { asDisaggregated, multinodeEntryOf } from './multinode-exports.js';
import type { BatchPolicy, BenchTopology, BenchWorkload, EngineTiming, PoolSpec } from './bench-engine.js';
import { drawRequests, protocolOf, type BenchProtocol } from './protocol.js';
import { sglangScriptRecipe, sglangRecipeTiming, trtllmRecipeTiming } from './recipes.js';
import type { RoleConfig, ValidationRow } from './rows.js';

/** What replaying a row needs from outside (the CLI resolves files; tests pass fixtures). */
export interface ReplayDeps {
  readonly device: (system: string) => Device | null;
  readonly model: (id: string) => ModelArch | null;
  readonly memoryPlan: (ctx: PerfContext, opts?: { reserveFraction?: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (s: StepShape) => StepTime;
}

/** What one prefill and one decode worker of a disaggregated deployment can do, from the performance model. */
export interface DisaggLoad {
  /** A prompt's share of a full prefill batch on one prefill worker (all its ranks), seconds. */
  readonly prefillPromptS: number;
  /** Decode step of one decode worker with `seqsPerRank` sequences on each attention-DP rank, seconds. */
  readonly decodeStepS: (seqsPerRank: number) => number;
  /** Attention-DP ranks of one decode worker. */
  readonly decodeRanks: number;
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
      /** Disaggregated rows: the performance model's load figures the worker inference uses (also for known rows). */
      readonly disaggLoad: DisaggLoad | null;
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
  /** Prompts may be split over steps (see PoolSpec.chunkedPrefill). */
  readonly chunkedPrefill: boolean;
  /** Running decodes take their token from the step budget (see PoolSpec.decodesUseBudget). */
  readonly decodesUseBudget: boolean;
  readonly timing: EngineTiming;
  readonly frontend: FrontendCost;
}

/** What an aiconfigurator-generated engine config depends on: the nominal ISL and the per-rank batch. */
export interface GeneratedConfigShape {
  readonly isl: number;
  readonly maxBatchPerRank: number;
  /** The row's backend version: which of the generator's per-version templates wrote the engine's flags. */
  readonly backendVersion: string;
}

/**
 * SGLang versions whose aiconfigurator template drops the generated `--enable-mixed-chunk`: the generator sets
 * `enable_mixed_chunk = true` for every agg engine (`rule_plugin/sglang.rule`, mapped to the `enable-mixed-chunk`
 * key by `backend_config_mapping.yaml`), but `backend_templates/sglang/cli_args.0.5.1.post1.j2` tests a key spelt
 * `enable-mix-chunk`, so the flag never reaches the command line; the 0.5.4.post3 and 0.5.6.post2 templates test the
 * right key. docs/validation.md, "Engines".
 */
export const SGLANG_TEMPLATES_WITHOUT_MIXED_CHUNK: readonly string[] = ['0.5.1.post1'];

/**
 * Headroom aiconfigurator's generator adds to the ISL when it sizes an engine's tokens per step
 * (`rule_plugin/{trtllm,vllm,sglang}.rule`: max_num_tokens = max_batch_size + isl + 1500; SGLang
 * max_prefill_tokens = isl + 1500).
 */
export const GENERATED_TOKEN_HEADROOM = 1500;

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
  /** The inferred disaggregated deployments' rule (defaults: INFERENCE_RULE). */
  readonly inference?: Partial<InferenceRule>;
  /** Mean of the clients' exponential send jitter, seconds (default CLIENT_JITTER_S). */
  readonly clientJitterS?: number;
  /** False: aiconfigurator rows run the engines' default budgets instead of the generator's (studies only). */
  readonly generatedConfig?: boolean;
  /** Which statistic of the per-request TTFT/TPOT the prediction reports (the harness reports the mean). */
  readonly statistic?: 'mean' | 'median';
}

const GIB = 1024 ** 3;

/**
 * Mean seconds of random (exponential) delay between a client being free and its request reaching the server
 * (client event loop, connection, network). Without it a closed loop of identical requests locks into an
 * artificial limit cycle — every client in step, or perfectly staggered — that real clients do not keep
 * (docs/validation.md, "Benchmark protocol"). 5 ms was chosen among 0 / 2 / 5 / 10 / 20 ms on the fully given dev
 * rows; scripts/validate-holdout.ts makes the same choice with each model held out.
 */
export const CLIENT_JITTER_S = 0.005;

export function engineSettings(
  backend: Backend,
  device: Device,
  mode: 'agg' | 'disagg',
  harness: BenchProtocol['harness'],
  overrides: ReplayOverrides = {},
  generated: GeneratedConfigShape | null = null,
): EngineSettings {
  const mem = device.memory.hbm.capacityBytes.value ?? 0;
  const frontendCost = overrides.frontend?.[`${backend}/${harness}/${mode}`] ?? FRONTEND[backend][harness][mode];
  const sglangScript = backend === 'sglang' && harness === 'inferencex' && mode === 'agg';
  const recipeTiming = !sglangScript
    ? ENGINE_TIMING[backend][harness]
    : device.vendor === 'AMD'
      ? SGLANG_AMD_SCRIPT_TIMING
      : SGLANG_DEFAULT_RECV_DEVICES.includes(device.id)
        ? { ...ENGINE_TIMING.sglang.inferencex, recvIntervalSteps: 1 }
        : ENGINE_TIMING.sglang.inferencex;
  const engineTiming = overrides.timing?.[`${backend}/${harness}`] ?? recipeTiming;
  const sglangChunk = mem > 160 * GIB ? 16384 : 8192;
  // aiconfigurator's gap-analysis deployments run the engine config its generator writes (docs/validation.md,
  // "Engines"): tokens per step sized to one prompt plus headroom, TensorRT-LLM without chunked prefill.
  if (harness === 'aiconfigurator' && mode === 'agg' && generated !== null && overrides.generatedConfig !== false) {
    const perStep = generated.maxBatchPerRank + generated.isl + GENERATED_TOKEN_HEADROOM;
    switch (backend) {
      case 'trtllm':
        return { policy: 'mixed', tokenBudget: Math.ceil(perStep / 32) * 32, chunkedPrefill: false, decodesUseBudget: true, timing: engineTiming, frontend: frontendCost };
      case 'vllm':
        return { policy: 'mixed', tokenBudget: perStep, chunkedPrefill: true, decodesUseBudget: true, timing: engineTiming, frontend: frontendCost };
      // --enable-mixed-chunk: every prefill step also runs the running decodes, and --max-prefill-tokens isl + 1500
      // caps the tokens of a step (decodes included) below the default chunk. Not on the versions whose template
      // drops the flag: those run SGLang's default prefill-first scheduling.
      case 'sglang':
        if (SGLANG_TEMPLATES_WITHOUT_MIXED_CHUNK.includes(generated.backendVersion)) break;
        return {
          policy: 'mixed',
          tokenBudget: Math.min(sglangChunk, generated.isl + GENERATED_TOKEN_HEADROOM),
          chunkedPrefill: true,
          decodesUseBudget: true,
          timing: engineTiming,
          frontend: frontendCost,
        };
      case 'generic':
        break;
    }
  }
  switch (backend) {
    case 'sglang':
      return { policy: 'prefill-priority', tokenBudget: sglangChunk, chunkedPrefill: true, decodesUseBudget: true, timing: engineTiming, frontend: frontendCost };
    case 'trtllm':
    case 'vllm':
    case 'generic':
      return { policy: 'mixed', tokenBudget: 8192, chunkedPrefill: true, decodesUseBudget: true, timing: engineTiming, frontend: frontendCost };
  }
}

const timing = (admitLagSteps: number, recvIntervalSteps = 1, firstTokenHoldSteps = 0, batchWaitSteps = 0, batchWaitTokenRatio = 0, dpBalanceSteps = 0): EngineTiming => ({
  admitLagSteps,
  recvIntervalSteps,
  firstTokenHoldSteps,
  batchWaitSteps,
  batchWaitTokenRatio,
  dpBalanceSteps,
  dpBatchingWaitSteps: 0,
});

/**
 * Engine-loop timing per backend, as each harness deploys the engine (docs/validation.md, "First token").
 * InferenceX recipes turn on vLLM's `--async-scheduling` (a new request joins two steps later), run TensorRT-LLM
 * with its overlap scheduler and context batching (`batch_wait_timeout_iters` 20 at 0.9 of the token budget) and
 * SGLang with `--scheduler-recv-interval 30 --stream-interval 10` (the first token is streamed with the tenth; the
 * scripts poll every 10 steps below 16 clients, recipes.ts sglangRecipeTiming);
 * aiconfigurator's gap runs use the engines' defaults but for TensorRT-LLM's overlap scheduler, which its generator
 * turns on. TensorRT-LLM's attention-DP balancing is off, its default, but where a recipe enables it (recipes.ts,
 * adp-balance.ts). The values were chosen among those the recipes use by the
 * median TTFT error on the dev rows (docs/validation.md lists the comparison and a hold-out by model).
 */
export const ENGINE_TIMING: Readonly<Record<Backend, Record<BenchProtocol['harness'], EngineTiming>>> = {
  // aiconfigurator's generator turns TensorRT-LLM's overlap scheduler on for agg engines (disable_overlap_scheduler false).
  trtllm: { inferencex: timing(1, 1, 0, 20, 0.9), aiconfigurator: timing(1) },
  vllm: { inferencex: timing(2), aiconfigurator: timing(0) },
  sglang: { inferencex: timing(1, 30, 9), aiconfigurator: timing(0) },
  generic: { inferencex: timing(1), aiconfigurator: timing(0) },
};

/**
 * Devices whose InferenceX SGLang recipes leave `--scheduler-recv-interval` at SGLang's default of 1 (the scheduler
 * polls for new requests every step): the H200 scripts (SemiAnalysisAI/InferenceX `benchmarks/dsr1_fp8_h200.sh`,
 * `benchmarks/single_node/qwen3.5_fp8_h200.sh`) do not pass it, while the B200 ones (`dsr1_fp8_b200.sh`: 10 below
 * 16 clients, else 30) do. docs/validation.md, "Engines".
 */
export const SGLANG_DEFAULT_RECV_DEVICES: readonly string[] = ['h200'];

/**
 * InferenceX's SGLang scripts for AMD GPUs (`benchmarks/dsr1_fp{4,8}_mi355x.sh`, `glm5_fp8_mi355x.sh`) pass neither
 * `--scheduler-recv-interval` nor `--stream-interval`: the scheduler polls every step and the first token leaves at
 * once. (Their `--num-continuous-decode-steps` is per script: recipes.ts SGLANG_INFERENCEX_SCRIPTS.)
 */
export const SGLANG_AMD_SCRIPT_TIMING: EngineTiming = timing(1, 1, 0);

/**
 * The other setting each backend's InferenceX recipes use, which the defaults above were chosen against
 * (scripts/validate-holdout.ts repeats that choice with one model held out at a time): vLLM without async
 * scheduling, TensorRT-LLM without context batching, SGLang with `--scheduler-recv-interval 10`.
 */
export const ENGINE_TIMING_ALTERNATIVE: Readonly<Record<'trtllm' | 'vllm' | 'sglang', EngineTiming>> = {
  trtllm: timing(1, 1, 0, 0, 0),
  vllm: timing(1),
  sglang: timing(1, 10, 9),
};

/**
 * Seconds the engines' own Python OpenAI servers (`vllm serve`, `trtllm-serve`, `sglang.launch_server`, which
 * InferenceX's single-node recipes run) spend tokenising each prompt token, serially in the server process before
 * the scheduler sees the request (docs/validation.md, "Frontend"). Chosen among 0, 2, 4, 6 and 8 µs on the fully
 * given InferenceX agg rows. aiconfigurator's deployments and every disaggregated one sit behind Dynamo's Rust
 * frontend, whose tokenisation is not a serial Python stage: not charged.
 */
export const TOKENIZE_S_PER_PROMPT_TOKEN = 6e-6;
const frontend = (eachWayS: number, perPromptTokenS = 0): FrontendCost => ({ requestS: eachWayS, latencyS: 0, perPromptTokenS, outS: eachWayS });
const pythonServer = (eachWayS: number): FrontendCost => frontend(eachWayS, TOKENIZE_S_PER_PROMPT_TOKEN);
/** Dynamo's frontend (disaggregated rows, aiconfigurator's SGLang agg rows) is asynchronous Rust: its routing delay does not queue requests. */
const asyncFrontend = (eachWayS: number): FrontendCost => ({ requestS: 0, latencyS: eachWayS, perPromptTokenS: 0, outS: eachWayS });
/**
 * Seconds from a client's request reaching Dynamo to the prefill worker's scheduler seeing it in a disaggregated
 * deployment (docs/validation.md, "Frontend"): frontend, router, the hop to the prefill worker and the hand-off that
 * sets up the KV transfer to a decode worker — a delay each request pays, not a queue. Chosen among 0.02, 0.04,
 * 0.06, 0.08, 0.10 and 0.15 s by the TTFT median APE of the fully given InferenceX disaggregated rows.
 */
export const DYNAMO_DISAGG_REQUEST_S = 0.1;
const dynamoDisagg = (outS: number): FrontendCost => ({ requestS: 0, latencyS: DYNAMO_DISAGG_REQUEST_S, perPromptTokenS: 0, outS });
/**
 * Per-backend frontend cost (docs/validation.md, "Frontend"): the OpenAI-compatible server parses and tokenises
 * every request in one process before the engine sees it, and detokenises and streams every token.
 */
export const FRONTEND: Readonly<Record<Backend, Record<BenchProtocol['harness'], { agg: FrontendCost; disagg: FrontendCost }>>> = {
  trtllm: { inferencex: { agg: pythonServer(0.005), disagg: dynamoDisagg(0.02) }, aiconfigurator: { agg: frontend(0), disagg: dynamoDisagg(0.02) } },
  vllm: { inferencex: { agg: pythonServer(0.005), disagg: dynamoDisagg(0.02) }, aiconfigurator: { agg: frontend(0), disagg: dynamoDisagg(0.02) } },
  // aiconfigurator's SGLang agg runs go through Dynamo's frontend like its disaggregated ones: a delay, not a serial
  // queue (a serial 30 ms capped the engine at 33 requests/s; docs/validation.md, "SGLang frontend").
  sglang: { inferencex: { agg: pythonServer(0.005), disagg: dynamoDisagg(0.02) }, aiconfigurator: { agg: asyncFrontend(0.03), disagg: dynamoDisagg(0.03) } },
  generic: { inferencex: { agg: frontend(0.005), disagg: asyncFrontend(0.005) }, aiconfigurator: { agg: frontend(0.005), disagg: asyncFrontend(0.005) } },
};

const BACKENDS: readonly Backend[] = ['trtllm', 'vllm', 'sglang'];

/**
 * InferenceX recipes that run speculative decoding, recognised by the serving image their benchmark config pins
 * (SemiAnalysisAI/InferenceX `.github/configs/nvidia-master.yaml`: `dsr1-fp4-b200-trt-mtp` and
 * `dsr1-fp8-b200-trt-mtp` run `tensorrt-llm/release:1.2.0rc6.post3`, their non-MTP twins `…rc6.post2`; "MTP=3, or
 * MTP=1 when DP_ATTN=true"). The rows do not say whether MTP was on; the image does.
 *
 * Qwen3.5-397B FP8 on SGLang `v0.5.9-cu130`: the `qwen3.5-fp8-b200-sglang-mtp` recipe (InferenceX PR #898,
 * `benchmarks/single_node/qwen3.5_fp8_b200_mtp.sh`: EAGLE `--speculative-num-steps 3 --speculative-num-draft-tokens 4
 * --speculative-eagle-topk 1`). Its runs are the only TP 4 / EP 1 rows of that model: the plain recipe's search space
 * has TP 4 only with EP 4, and TP 8 (nvidia-master.yaml @ 0004cf5f), and runs on `…-cu130-amd64` or
 * `…-cu129-amd64`. The same shape on B300 under the plain recipe measures 8.65 ms TPOT at 4 clients against 5.31 on
 * this image (docs/validation.md, "Speculative decoding"). Its draft is Qwen3.5's single MTP layer re-applied, as
 * DeepSeek's is: MTP_ACCEPTANCE is carried over.
 *
 * DeepSeek-R1 on TensorRT-LLM `release:1.1.0rc2.post2` measured on 2026-01-14: that image served the plain and the
 * MTP recipes alike, but InferenceX sweeps the config keys a merged PR's changelog entry names, and PR #392 ("Add MTP
 * Benchmark Support for DeepSeek-R1 TRT", opened 2026-01-07) named exactly `dsr1-fp4-b200-trt-mtp`,
 * `dsr1-fp8-b200-trt-mtp` and `dsr1-fp8-h200-trt-mtp` — the three (GPU, checkpoint) pairs of that day's rows. The
 * plain keys' next sweeps are the `…rc6.post2` rows of 2026-01-29 and 2026-02-03 (PRs #594, #620); the
 * `…rc2.post2` rows of 2025-12-15 predate the MTP keys (docs/validation.md, "Speculative decoding").
 */
export const SPECULATIVE_RECIPES: readonly {
  readonly backend: Backend;
  readonly model: RegExp;
  /**
   * Last path segment of the serving image (inferred-recipes.ts servingImageOf), compared whole; absent for a
   * script that drafts on every run, which then applies to that script's InferenceX rows (`systems`) whatever image.
   */
  readonly image?: string;
  readonly systems?: readonly string[];
  /** The day the runs were measured (`measured=` of the provenance), when the image alone does not tell. */
  readonly measuredOn?: string;
  readonly draftTokens: number;
  readonly draftTokensWithAttentionDp: number;
}[] = [
  { backend: 'trtllm', model: /deepseek-r1/i, image: 'release:1.2.0rc6.post3', draftTokens: 3, draftTokensWithAttentionDp: 1 },
  { backend: 'trtllm', model: /deepseek-r1/i, image: 'release:1.1.0rc2.post2', measuredOn: '2026-01-14', draftTokens: 3, draftTokensWithAttentionDp: 1 },
  { backend: 'sglang', model: /qwen3\.5/i, image: 'sglang:v0.5.9-cu130', draftTokens: 3, draftTokensWithAttentionDp: 3 },
  // benchmarks/glm5_fp8_b200.sh: `--speculative-algorithm EAGLE --speculative-num-steps 3 --speculative-eagle-topk 1
  // --speculative-num-draft-tokens 4` on every run (nightly images); GLM-5's one MTP layer re-applied, as DeepSeek's.
  { backend: 'sglang', model: /glm-5(?![.\d])/i, systems: ['b200_sxm'], draftTokens: 3, draftTokensWithAttentionDp: 3 },
];

/**
 * Acceptance of DeepSeek MTP drafts, per draft position (conditional on the previous draft being accepted):
 * - position 1: "the acceptance rate of the second token prediction ranges between 85% and 90%" (DeepSeek-V3
 *   technical report, §5.4.3); the lower end.
 * - positions 2…: the checkpoint has one MTP module, trained for position 1 only; TensorRT-LLM's MTP-Eagle and
 *   SGLang's EAGLE re-apply it to its own output. A measurement of that — a DeepSeek model's single MTP layer drafting
 *   2 tokens per step on random 1,024/1,024-token prompts, InferenceX's kind of dataset — has the second draft
 *   accepted in 38.1 / 35.5 / 35.8 % of steps against 76.9 / 75.7 / 78.6 % for the first at concurrency 1 / 4 / 8
 *   (vllm-project/vllm PR #41044, DeepSeek-V4 with that PR's draft proposal): 0.49 / 0.47 / 0.46 conditional, mean
 *   0.47, the value taken here. Nothing is fitted to the rows.
 */
export const MTP_ACCEPTANCE: readonly number[] = [0.85, 0.47];

/**
 * Host seconds per sequence per verification round that SGLang's EAGLE worker leaves exposed. The images these rows
 * ran (v0.5.x without `SGLANG_ENABLE_SPEC_V2`) run speculative decoding without the overlap scheduler
 * (sgl-project/sglang PR #9588: "speculative decoding currently does not support overlap scheduling"), so the
 * scheduler's per-request work of a round — verification bookkeeping, output processing, the next batch's
 * preparation — adds to the GPU time instead of hiding under it. No independent figure for it is at hand: 0.2 ms was
 * chosen among 0.1 / 0.2 / 0.3 ms on the fully given SGLang MTP rows (Qwen3.5); the inferred DeepSeek SGLang MTP
 * rows, not used in the choice, check it (docs/validation.md, "Speculative decoding"). TensorRT-LLM overlaps its
 * MTP steps: 0.
 */
export const SGLANG_SPEC_HOST_PER_SEQ_S = 0.2e-3;

/** Exposed host seconds per sequence per speculative round on a backend. */
export const specHostPerSeqS = (backend: Backend): number => (backend === 'sglang' ? SGLANG_SPEC_HOST_PER_SEQ_S : 0);

/** The speculative decoding a row's recipe ran, or null. */
export function speculativeRecipe(
  row: ValidationRow,
  backend: Backend,
  attentionDp: number,
): { draftTokens: number; acceptance: readonly number[]; toldBy: 'image' | 'script' } | null {
  const image = rowImageOf(row);
  const day = /(?:^|;)\s*measured=(\d{4}-\d{2}-\d{2})/.exec(row.source)?.[1];
  const inferencex = protocolOf(row).harness === 'inferencex';
  const r = SPECULATIVE_RECIPES.find(
    (x) =>
      x.backend === backend &&
      x.model.test(row.modelPath) &&
      (x.image !== undefined ? x.image === image : inferencex && row.mode === 'agg' && (x.systems ?? []).includes(row.system)) &&
      (x.measuredOn === undefined || x.measuredOn === day),
  );
  if (!r) return null;
  return { draftTokens: attentionDp > 1 ? r.draftTokensWithAttentionDp : r.draftTokens, acceptance: MTP_ACCEPTANCE, toldBy: r.image !== undefined ? 'image' : 'script' };
}

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
 * Two ways the rows' exports write an aggregated MoE engine that resolveRole would take literally
 * (docs/validation.md, "Parallelism columns"); both are recognised by columns no recipe runs as written:
 *
 * - tp_size beyond one scale-up domain of at most 8 GPUs (16 or 64 on an HGX node or an NVL72 rack) equal to
 *   moe_tp_size × moe_ep_size with moe_ep_size > 1: the export multiplied the engine's TP by its EP. The engine is attention TP moe_tp_size with
 *   the experts over moe_ep_size of those GPUs (the rows' ids say so: `…_tp4_ep4` for tp_size 16, moe 4 × 4).
 * - tp_size above 8 with moe_tp_size = tp_size and moe_ep_size 1 (GB200 rows of 12–72 GPUs): no recipe runs MoE
 *   tensor parallelism over more than 8 GPUs; the export wrote the world size of a wide-EP engine, which runs
 *   attention DP with the experts over all its GPUs — as the inferred disaggregated workers (inferredRole).
 */
export function exportedAggRole(role: RoleConfig, model: ModelArch, scaleUpChips: number): { readonly role: RoleConfig; readonly note: string } {
  if (model.moe === null || role.pp !== 1) return { role, note: '' };
  // The exports multiply by EP beyond one 8-GPU node whatever the rack: on an NVL72 domain too (GB200, GB300) no
  // recipe runs attention or MoE TP over more than MOE_TP_MAX_GPUS.
  const domainChips = Math.min(scaleUpChips, MOE_TP_MAX_GPUS);
  if (role.dp > 1) return exportedDpRole(role, domainChips);
  const moeTp = role.moeTp ?? role.tp;
  if (role.tp > domainChips && role.ep > 1 && moeTp * role.ep === role.tp && moeTp % role.ep === 0) {
    return {
      role: { ...role, tp: moeTp, ep: role.ep, moeTp: moeTp / role.ep },
      note: `agg tp_size ${role.tp} read as tp ${moeTp} with ep ${role.ep} (tp_size = moe_tp × moe_ep beyond one ${domainChips}-GPU domain)`,
    };
  }
  if (role.tp > MOE_TP_MAX_GPUS && role.ep <= 1 && moeTp === role.tp) {
    return {
      role: { ...inferredRole(role, 'decode', model, 0, Infinity, role.tp), batch: null },
      note: `agg tp_size ${role.tp} with moe_tp ${moeTp}, ep 1 read as attention DP ${role.tp} + EP ${Math.min(role.tp, model.moe.numExperts)} (wide EP)`,
    };
  }
  return { role, note: '' };
}

/**
 * Attention-DP rows of the exports whose tp × attention_dp_size exceeds one scale-up domain because the export
 * multiplied a degree by the EP degree, as it does tp_size above (docs/validation.md, "Parallelism columns"):
 * - attention_dp_size = moe_tp × moe_ep with tp 1 (TensorRT-LLM DeepSeek rows dp 64 = 8 × 8, dp 16 = 4 × 4: the
 *   single-node recipes `{ tp: 8, ep: 8, dp-attn: true }`, `{ tp: 4, ep: 4, dp-attn: true }` of InferenceX's
 *   nvidia-master.yaml) is attention DP moe_tp with EP moe_ep;
 * - moe_ep = tp_size × attention_dp_size with moe_tp 1 (vLLM MiniMax tp 4, dp 4, ep 16) is a tp_size-GPU worker
 *   (the convention of the inferred rows) with attention DP over it and EP over all its GPUs.
 * Other rows are read as written.
 */
function exportedDpRole(role: RoleConfig, domainChips: number): { readonly role: RoleConfig; readonly note: string } {
  const world = role.tp * role.dp;
  if (world <= domainChips || role.ep <= 1) return { role, note: '' };
  const moeTp = role.moeTp ?? 1;
  if (role.tp === 1 && moeTp * role.ep === role.dp && moeTp <= domainChips) {
    return {
      role: { ...role, tp: 1, dp: moeTp, ep: Math.min(role.ep, moeTp), moeTp: 1, batch: null },
      note: `agg attention_dp_size ${role.dp} read as attention DP ${moeTp} with ep ${Math.min(role.ep, moeTp)} (attention_dp_size = moe_tp × moe_ep beyond one ${domainChips}-GPU domain)`,
    };
  }
  if (moeTp === 1 && role.ep === world && role.tp <= domainChips && role.tp % role.dp === 0) {
    return {
      role: { ...role, tp: role.tp / role.dp, dp: role.dp, ep: role.tp, moeTp: 1, batch: null },
      note: `agg tp ${role.tp} × attention DP ${role.dp} with ep ${role.ep} read as a ${role.tp}-GPU worker: attention DP ${role.dp}, ep ${role.tp}`,
    };
  }
  return { role, note: '' };
}

/** No recipe behind the rows runs MoE tensor parallelism over more GPUs than this. */
export const MOE_TP_MAX_GPUS = 8;

/**
 * The rule for disaggregated rows that give each role's parallelism and the total concurrency but not the worker
 * counts nor the per-worker batch (docs/validation.md, "Inferred disaggregated deployments"). Its constants are
 * read off the 162 fully given disaggregated rows of the same harnesses (InferenceX / Dynamo recipes), where one
 * deployment serves a whole sweep of concurrencies:
 *
 * - attention-TP decode workers (latency configurations) come as a small fixed set — median 4 workers over the 90
 *   such DeepSeek rows — with the clients spread over them, more only past `maxBatchPerTpWorker` per worker:
 *   D = max(min(C, 4), ⌈C / 64⌉);
 * - attention-DP decode workers (throughput configurations) take the clients on as few workers as hold them:
 *   D = ⌈C / (dp · min(128, KV-limited sequences per rank))⌉ (1 or 2 workers in 54 of the 63 such known rows;
 *   per-rank batches 1–768, median 64; 128 was chosen among 128 / 256 / 1024 on those rows, docs/validation.md);
 * - the prefill side is sized to the request rate the decode side sustains, run at full load (the top of the
 *   fully given sweeps runs their prefill workers at a modelled 0.5–1.8 of capacity, median ≈ 0.9):
 *   P = ⌈ (C / (OSL · t_decode)) · t_prefill(ISL) / ρ ⌉, ρ = 1,
 *
 * with t_decode the decode step of a rank at its share of the clients and t_prefill(ISL) a prompt's share of a
 * full prefill batch on one prefill worker, both from the performance model.
 */
export interface InferenceRule {
  /** Attention-TP decode workers of a latency configuration. */
  readonly tpDecodeWorkers: number;
  /** Most clients per attention-TP decode worker before another worker is added. */
  readonly maxBatchPerTpWorker: number;
  /** Most clients per attention-DP rank before another decode worker is added. */
  readonly maxBatchPerDpRank: number;
  /** Clients per GPU from which a MoE decode worker of up to 8 GPUs runs attention DP (throughput configuration). */
  readonly dpDecodeMinClientsPerGpu: number;
  /** Prefill utilisation the deployment is sized for. */
  readonly prefillTargetBusy: number;
}

export const INFERENCE_RULE: InferenceRule = {
  tpDecodeWorkers: 4,
  maxBatchPerTpWorker: 64,
  maxBatchPerDpRank: 128,
  dpDecodeMinClientsPerGpu: 32,
  prefillTargetBusy: 1,
};

export function inferDisaggWorkers(
  concurrency: number,
  osl: number,
  decodeRanks: number,
  decodeStepS: (seqsPerRank: number) => number,
  prefillPromptS: number,
  kvSeqsPerRank = Infinity,
  rule: InferenceRule = INFERENCE_RULE,
): DisaggWorkers {
  const c = Math.max(1, concurrency);
  const decodeWorkers =
    decodeRanks > 1
      ? Math.max(1, Math.ceil(c / (decodeRanks * Math.max(1, Math.min(rule.maxBatchPerDpRank, kvSeqsPerRank)))))
      : Math.max(Math.min(c, rule.tpDecodeWorkers), Math.ceil(c / Math.max(1, Math.min(rule.maxBatchPerTpWorker, kvSeqsPerRank))));
  const perRank = Math.max(1, Math.ceil(c / (decodeWorkers * decodeRanks)));
  const requestsPerS = c / (osl * decodeStepS(perRank));
  const prefillWorkers = Math.max(1, Math.ceil((requestsPerS * prefillPromptS) / rule.prefillTargetBusy - 1e-9));
  return { prefillWorkers, decodeWorkers };
}

/**
 * How the inferred disaggregated rows write a role's parallelism, and how the harness deploys it
 * (docs/validation.md, "Inferred disaggregated deployments"). Their source lists, per role, the GPUs of one worker
 * (in tp_size) and a single EP degree copied to both roles; whether attention runs data-parallel is lost. The
 * fully given rows of the same harness show the practice: a MoE decode worker wider than one 8-GPU node
 * (WIDE_EP_MIN_GPUS) always runs attention DP with the experts spread over all its GPUs (wide EP); a prefill worker
 * whose EP degree spans all its GPUs runs attention DP as well. Dense models and narrower workers are read as
 * written.
 */
export function inferredRole(
  role: RoleConfig,
  kind: 'prefill' | 'decode',
  model: ModelArch,
  concurrency: number,
  dpMinClientsPerGpu = INFERENCE_RULE.dpDecodeMinClientsPerGpu,
  wideMinGpus = WIDE_EP_MIN_GPUS,
): RoleConfig {
  if (model.moe === null) return role;
  const gpus = role.tp * role.dp;
  const wide = kind === 'decode' ? gpus > 1 && (gpus >= wideMinGpus || concurrency >= dpMinClientsPerGpu * gpus) : gpus > 1 && role.ep === gpus;
  return wide ? { ...role, tp: 1, dp: gpus, ep: Math.min(gpus, model.moe.numExperts), moeTp: 1 } : role;
}

/**
 * The wider workers tried, smallest first, for an inferred worker that cannot hold the model (docs/validation.md,
 * "Inferred disaggregated deployments"): 2, 4 and 8 GPUs — one tray / node — as the fully given twins of such
 * rows deployed them: a MoE worker as attention DP with the experts over all its GPUs, a dense one as TP.
 */
export function widerWorkers(role: RoleConfig, model: ModelArch): RoleConfig[] {
  const gpus = role.tp * role.dp * role.pp;
  const out: RoleConfig[] = [];
  for (const n of [2, 4, 8]) {
    if (n <= gpus) continue;
    out.push(model.moe === null ? { ...role, tp: n, dp: 1, pp: 1, ep: 1, moeTp: n } : { ...role, tp: 1, dp: n, pp: 1, ep: Math.min(n, model.moe.numExperts), moeTp: 1 });
  }
  return out;
}

/** Decode workers of at least this many GPUs run attention DP + wide EP in the inferred deployments. */
export const WIDE_EP_MIN_GPUS = 16;

function blockScaledCheckpoint(model: ModelArch): boolean {
  // DeepSeek, MiniMax and Qwen3 FP8 checkpoints are 128×128 block-scaled; the model parser keeps only the dtype,
  // so the block scaling is recognised by the architectures that publish it.
  return model.weightDtype === 'fp8';
}

/**
 * KV-cache bytes of one instance, as each engine sizes it (docs/validation.md, "Memory"): TensorRT-LLM gives the
 * KV cache `free_gpu_memory_fraction` = 0.9 of what the weights and activations leave; vLLM
 * (`gpu_memory_utilization`) and SGLang (`mem_fraction_static`) cap weights + KV at 0.9 of the memory, or at the
 * fraction the deployment's recipe sets (`recipeFraction`). A measured deployment whose weights do not fit under
 * that cap ran with a higher one: 0.95, then 0.98.
 */
export function kvCacheBytes(
  ctx: PerfContext,
  backend: Backend,
  deps: Pick<ReplayDeps, 'memoryPlan'>,
  recipeFraction: number | null = null,
): { bytes: number; plan: MemoryPlan } | string {
  const whole = deps.memoryPlan(ctx, { reserveFraction: 0 });
  if (!whole.fits) return whole.reason ?? 'the model does not fit';
  if (backend === 'trtllm') return { bytes: 0.9 * whole.kvCapacityBytes, plan: whole };
  for (const fraction of recipeFraction !== null ? [recipeFraction, 0.95, 0.98] : [0.9, 0.95, 0.98]) {
    const plan = deps.memoryPlan(ctx, { reserveFraction: 1 - fraction });
    if (plan.fits) return { bytes: plan.kvCapacityBytes, plan };
  }
  return { bytes: 0.02 * whole.kvCapacityBytes, plan: whole };
}

/**
 * vLLM and SGLang allocate KV blocks as tokens are generated (preempting when they run out) instead of reserving
 * the whole sequence at admission: in a closed loop of staggered requests a running request holds its prompt and
 * on average half its output (bench-engine.ts PoolSpec.kvReservedOutputFraction).
 */
export const ON_DEMAND_KV_OUTPUT_FRACTION = 0.5;

/** Build the benchmark replay of one row: its deployment as engine pools and its clients. */
export function planReplay(measured: ValidationRow, deps: ReplayDeps, overrides: ReplayOverrides = {}): ReplayPlan {
  // GB200 multi-node results exported as one aggregated engine are replayed as the disaggregated deployments
  // they were (multinode-exports.ts).
  // Inferred disaggregated rows whose deployment InferenceX's matrix lists are replayed as that entry
  // (inferred-recipes.ts).
  const model = deps.model(measured.modelPath);
  const moe = model?.moe ?? null;
  const exportEntry = moe ? multinodeEntryOf(measured) : null;
  const matrixEntry = moe && !exportEntry ? inferredRecipeOf(measured) : null;
  const multinode = exportEntry ?? (matrixEntry ? recipeDeployment(matrixEntry) : null);
  const exported =
    multinode && moe
      ? asDisaggregated(measured, multinode, moe.numExperts, matrixEntry ? `inferred row of ${measured.concurrency} clients` : undefined)
      : moe
        ? placeholderLayoutOf(measured, moe.numExperts)
        : null;
  const row = exported?.row ?? measured;
  // Whether the row gives its deployment is a property of the row as measured, however it is read.
  const configKnown = measured.mode === 'agg' || (measured.prefill?.workers != null && measured.decode?.workers != null);
  const fail = (reason: string): ReplayPlan => ({ ok: false, configKnown, reason });
  const device = deps.device(row.system);
  if (!device) return fail(`unknown system ${JSON.stringify(row.system)}`);
  const backend = BACKENDS.find((b) => b === row.backend);
  if (!backend) return fail(`unknown backend ${JSON.stringify(row.backend)} (accepted: ${BACKENDS.join(', ')})`);
  if (!model) return fail(`unknown model ${JSON.stringify(row.modelPath)} (no config.json shipped for it)`);
  const prec0 = precisionOf(row, model, device, blockScaledCheckpoint(model));
  if (typeof prec0 === 'string') return fail(prec0);
  const protocol = overrides.protocol ?? protocolOf(row);
  // InferenceX's SGLang scripts set the KV-cache dtype and the memory fraction per model, GPU and checkpoint
  // (recipes.ts SGLANG_INFERENCEX_SCRIPTS).
  const script =
    backend === 'sglang' && protocol.harness === 'inferencex' && row.mode === 'agg' ? sglangScriptRecipe(row.modelPath, row.system, row.precision, device.id) : null;
  const prec = script?.kvFp8 ? { ...prec0, kv: 'fp8' as Dtype } : prec0;
  const c = row.concurrency;
  const generated = row.mode === 'agg' ? { isl: row.isl, maxBatchPerRank: row.agg?.batch ?? c, backendVersion: row.backendVersion } : null;
  const settings = engineSettings(backend, device, row.mode, protocol.harness, overrides, generated);

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
  const notes: string[] = exported ? [exported.note] : [];
  if (row.twinImage) notes.push(`serving image ${row.twinImage.image} of row ${row.twinImage.twinId}, whose measurement this row repeats`);
  const build = (role: RoleConfig, what: string): Built | string => {
    const resolved = resolveRole(role, model, what);
    if (typeof resolved === 'string') return resolved;
    if (resolved.note) notes.push(resolved.note);
    const par = resolved.par;
    const ctx = ctxOf(par);
    const kv = kvCacheBytes(ctx, backend, deps, script ? script.memFractionStatic(par.tp) : null);
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
    ...(backend === 'trtllm' ? {} : { kvReservedOutputFraction: ON_DEMAND_KV_OUTPUT_FRACTION }),
    policy,
    ...(policy === 'prefill-only' ? {} : { chunkedPrefill: settings.chunkedPrefill, decodesUseBudget: settings.decodesUseBudget }),
    timing: settings.timing,
    stepCost: b.cost,
  });
  const lengths = drawRequests(protocol, row.isl, row.osl, c, settings.frontend, 1, overrides.clientJitterS ?? CLIENT_JITTER_S);
  const workload: BenchWorkload = { clients: c, ...lengths, frontendLatencyS: settings.frontend.latencyS, frontendOutS: settings.frontend.outS };

  if (row.mode === 'agg') {
    const exported = exportedAggRole(row.agg!, model, scaleUpDomainChips(device));
    if (exported.note) notes.push(exported.note);
    const role = exported.role;
    const b = build(role, 'agg');
    if (typeof b === 'string') return fail(b);
    const dp = b.ctx.par.dp;
    // batch_size is per attention-DP rank; when the DP degree was read from other columns it is recomputed.
    const perRank = role.batch !== null && dp === role.dp ? role.batch : Math.ceil(c / dp);
    // A concurrency above batch × attention-DP is served by that many engine instances behind one router.
    const replicas = Math.max(1, Math.round(c / (perRank * dp)));
    const chips = replicas * b.chips;
    if (row.numGpus !== null && row.numGpus % b.chips !== 0) return fail(`tp × pp × attention-DP = ${b.chips} GPUs does not divide num_gpus ${row.numGpus}`);
    // A script's --max-running-requests holds clients beyond it back (per engine; its attention-DP ranks share it).
    const tp = b.ctx.par.tp;
    const running = script?.maxRunningRequests ? Math.max(1, Math.floor(script.maxRunningRequests(tp, row.isl, row.osl) / dp)) : Infinity;
    const chunk = script?.chunkedPrefillTokens?.(tp, row.isl, row.osl, c);
    const steps = script?.continuousDecodeSteps;
    const sized = pool(b, replicas, Math.min(perRank, running), settings.policy);
    const agg: PoolSpec = {
      ...sized,
      ...(chunk !== undefined ? { tokenBudgetPerRank: chunk } : {}),
      ...(steps !== undefined ? { timing: { ...sized.timing, recvIntervalSteps: steps } } : {}),
    };
    // InferenceX's TensorRT-LLM scripts set context batching per model and shape, its SGLang scripts the polling
    // interval per concurrency (recipes.ts).
    const recipeTimed = protocol.harness === 'inferencex' && overrides.timing?.[`${backend}/inferencex`] === undefined;
    const basePool: PoolSpec = !recipeTimed
      ? agg
      : backend === 'trtllm'
        ? { ...agg, timing: trtllmRecipeTiming(agg.timing, { modelPath: row.modelPath, isl: row.isl, osl: row.osl, attentionTp: b.ctx.par.tp, system: row.system }) }
        : backend === 'sglang'
          ? { ...agg, timing: sglangRecipeTiming(agg.timing, c) }
          : agg;
    const spec = speculativeRecipe(row, backend, dp);
    if (spec) notes.push(`MTP ${spec.draftTokens} draft token(s) (recipe ${spec.toldBy}), acceptance ${spec.acceptance.join(' / ')} by position`);
    const colocated = spec ? withSpeculation(basePool, b.cost, { ...spec, hostPerSeqS: specHostPerSeqS(backend) }, model.numLayers) : basePool;
    return {
      ok: true,
      topology: { kind: 'colocated', pool: colocated },
      workload,
      protocol,
      configKnown,
      workers: null,
      chips,
      note: notes.join('; '),
      weightTier: b.plan.weightTier,
      disaggLoad: null,
    };
  }
  const rule: InferenceRule = { ...INFERENCE_RULE, ...overrides.inference };
  // Inferred rows write each role's GPUs per worker into tp_size and one EP degree for both roles: read them as
  // the harness deploys such workers (inferredRole).
  // Worker counts given by the row, or by the recipe it was read as (multinode-exports.ts): roles taken as written.
  const workersGiven = row.prefill?.workers != null && row.decode?.workers != null;
  const p0 = workersGiven ? row.prefill! : inferredRole(row.prefill!, 'prefill', model, c);
  const d0 = workersGiven ? row.decode! : inferredRole(row.decode!, 'decode', model, c, rule.dpDecodeMinClientsPerGpu);
  // An inferred worker too small to hold the model is widened as its deployers did (fitWorker).
  const fit = (r: RoleConfig, what: 'prefill' | 'decode'): { role: RoleConfig; built: Built } | string => {
    const first = build(r, what);
    if (typeof first !== 'string' || workersGiven) return typeof first === 'string' ? first : { role: r, built: first };
    for (const wider of widerWorkers(r, model)) {
      const b = build(wider, what);
      if (typeof b === 'string') continue;
      notes.push(`${what} worker of ${r.tp * r.dp} GPU(s) cannot hold the model: widened to ${wider.tp * wider.dp} (${wider.dp > 1 ? 'attention DP + EP' : 'TP'})`);
      return { role: wider, built: b };
    }
    return first;
  };
  const pf = fit(p0, 'prefill');
  if (typeof pf === 'string') return fail(pf);
  const df = fit(d0, 'decode');
  if (typeof df === 'string') return fail(df);
  const [p, pb, d, db] = [pf.role, pf.built, df.role, df.built];
  const ddp = db.ctx.par.dp;
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
  const disaggLoad: DisaggLoad = { prefillPromptS: batchS / k, decodeStepS, decodeRanks: ddp };
  let workers: DisaggWorkers;
  if (p.workers !== null && d.workers !== null) workers = { prefillWorkers: p.workers, decodeWorkers: d.workers };
  else {
    // Sequences a decode rank's KV cache holds at full length (the engine's batch cannot exceed it).
    const kvSeqsPerRank = Math.floor(db.kvTokensPerRank / Math.max(1, row.isl + row.osl));
    workers = inferDisaggWorkers(c, meanOsl, ddp, decodeStepS, disaggLoad.prefillPromptS, kvSeqsPerRank, rule);
  }
  const chips = workers.prefillWorkers * pb.chips + workers.decodeWorkers * db.chips;
  if (row.numGpus !== null && row.numGpus !== chips) return fail(`the deployment has ${chips} GPUs; num_gpus says ${row.numGpus}`);
  const decodePerRank = d.batch !== null && ddp === d.dp ? d.batch : Math.ceil(c / (workers.decodeWorkers * ddp));
  // A prefill worker batches as many prompts as fit its token budget (TensorRT-LLM context batching, SGLang
  // prefill batches); the rows' prefill_batch_size (always 1) is aiconfigurator's per-request sizing, not a cap.
  const prefillPerRank = Math.max(p.batch ?? 1, Math.ceil(settings.tokenBudget / Math.max(1, row.isl)));
  const scaleUp = chips <= scaleUpDomainChips(device);
  // One sender to one receiver: inside the scale-up domain that is one pair of chips (a single link on a
  // switchless mesh), else the scale-out link.
  const { bandwidthBytesPerS: bw, latencyS } = linkOf(device, scaleUp ? 2 : Number.POSITIVE_INFINITY);
  const kvBytesPerToken = db.plan.kvBytesPerToken;
  const senders = pb.chips;
  const decodePool: PoolSpec = { ...pool(db, workers.decodeWorkers, decodePerRank, 'mixed'), firstTokenWithDecodeStep: true };
  const draftTokens = multinode?.mtpDraftTokens ?? 0;
  return {
    ok: true,
    topology: {
      kind: 'pd',
      prefill: pool(pb, workers.prefillWorkers, prefillPerRank, 'prefill-only'),
      // The response streams from the decode worker: the first token leaves with its first decode step.
      decode: draftTokens > 0 ? withSpeculation(decodePool, db.cost, { draftTokens, acceptance: MTP_ACCEPTANCE, hostPerSeqS: specHostPerSeqS(backend) }, model.numLayers) : decodePool,
      kvTransferS: (tokens) => latencyS + (tokens * kvBytesPerToken) / (bw * senders),
    },
    workload,
    protocol,
    configKnown,
    workers,
    chips,
    note: notes.join('; '),
    weightTier: db.plan.weightTier,
    disaggLoad,
  };
}

/** A pool whose decode steps verify `draftTokens` MTP drafts: the verification's cost, the mean accepted tokens. */
function withSpeculation(
  p: PoolSpec,
  cost: (s: StepShape) => StepTime,
  spec: { readonly draftTokens: number; readonly acceptance: number | readonly number[]; readonly hostPerSeqS?: number },
  mainLayers: number,
): PoolSpec {
  return {
    ...p,
    tokensPerDecodeStep: acceptedTokensPerStep(spec.draftTokens, spec.acceptance),
    draftTokensPerStep: spec.draftTokens,
    stepCost: speculativeStepCost(cost, { ...spec, mainLayers }),
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length > 0 ? s / xs.length : 0;
}
