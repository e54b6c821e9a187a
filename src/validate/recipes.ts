/**
 * Engine settings InferenceX's single-node recipes write per model, shape, parallelism or concurrency
 * (SemiAnalysisAI/InferenceX `benchmarks/`; docs/validation.md, "Engines"): the context batching of the TensorRT-LLM
 * scripts and the polling interval of the SGLang ones. The rows do not carry the settings, but each row names what
 * the scripts branch on. A row no recipe matches keeps the backend's default timing (deployment.ts ENGINE_TIMING).
 */
import type { EngineTiming } from './bench-engine.js';

/** What a recipe branches on. */
export interface RecipeShape {
  readonly modelPath: string;
  readonly isl: number;
  readonly osl: number;
  /** Attention tensor-parallel degree of the engine. */
  readonly attentionTp: number;
  /** The row's system (catalog id), for recipes whose scripts differ per GPU. */
  readonly system: string;
}

/** Context batching of a recipe: `batch_wait_timeout_iters` and `batch_wait_max_tokens_ratio`, or none. */
interface ContextBatching {
  readonly steps: number;
  readonly tokenRatio: number;
}

interface TrtllmRecipe {
  /** The scripts the settings are read from. */
  readonly scripts: string;
  readonly model: RegExp;
  /** The scripts' context batching (null: none); absent, the backend's default stands. */
  readonly contextBatching?: (s: RecipeShape) => ContextBatching | null;
  /** The scripts' attention-DP balancing (`attention_dp_config` with `enable_balance`; null: off, the default). */
  readonly attentionDpBalance?: (s: RecipeShape) => AttentionDpBalance | null;
}

/** `attention_dp_config.timeout_iters` and `batching_wait_iters` of a script that sets `enable_balance: true`. */
interface AttentionDpBalance {
  readonly timeoutIters: number;
  readonly batchingWaitIters: number;
}

/** TensorRT-LLM's `AttentionDpConfig` defaults, which a script that only sets `enable_balance: true` runs. */
const TRTLLM_ADP_BALANCE_DEFAULTS: AttentionDpBalance = { timeoutIters: 50, batchingWaitIters: 10 };

const is1k1k = (s: RecipeShape): boolean => s.isl === 1024 && s.osl === 1024;

export const TRTLLM_INFERENCEX_RECIPES: readonly TrtllmRecipe[] = [
  {
    // No batch_wait_* settings. The B200 script enables attention-DP balancing with TensorRT-LLM's defaults
    // (`attention_dp_config: enable_balance: true`); the H200 one does not.
    scripts: 'gptoss_fp4_b200_trt.sh, gptoss_fp4_h200_trt.sh',
    model: /gpt-oss/i,
    contextBatching: () => null,
    attentionDpBalance: (s) => (s.system === 'b200_sxm' ? TRTLLM_ADP_BALANCE_DEFAULTS : null),
  },
  {
    // batch_wait_timeout_iters 20 at ratio 0.9 for 1k/1k below TP 8.
    scripts: '70b_fp4_b200_trt_slurm.sh, 70b_fp8_b200_trt_slurm.sh, 70b_fp8_h200_trt_slurm.sh',
    model: /llama-3\.[13]-70b/i,
    contextBatching: (s) => (is1k1k(s) && s.attentionTp < 8 ? { steps: 20, tokenRatio: 0.9 } : null),
  },
  {
    // attention_dp_config { batching_wait_iters: 0, enable_balance: true, timeout_iters: 60 } with attention DP. No
    // batch_wait_* either, but the default context batching stays as the stand-in for the DeepSeek first-token gap
    // (docs/validation.md, "Where it still misses").
    scripts: 'dsr1_fp4_b200_trt.sh, dsr1_fp4_b200_trt_mtp.sh, dsr1_fp8_b200_trt_mtp.sh, dsr1_fp8_h200_trt_mtp.sh',
    model: /deepseek-r1|deepseek-v3/i,
    attentionDpBalance: () => ({ timeoutIters: 60, batchingWaitIters: 0 }),
  },
];

/** The InferenceX recipe timing of a TensorRT-LLM row, or `base` unchanged when no recipe names its model. */
export function trtllmRecipeTiming(base: EngineTiming, s: RecipeShape): EngineTiming {
  const recipe = TRTLLM_INFERENCEX_RECIPES.find((r) => r.model.test(s.modelPath));
  if (!recipe) return base;
  const balance = recipe.attentionDpBalance?.(s);
  const balanced =
    balance === undefined ? base : { ...base, dpBalanceSteps: balance?.timeoutIters ?? 0, dpBatchingWaitSteps: balance?.batchingWaitIters ?? 0 };
  if (recipe.contextBatching === undefined) return balanced;
  const batching = recipe.contextBatching(s);
  return { ...balanced, batchWaitSteps: batching?.steps ?? 0, batchWaitTokenRatio: batching?.tokenRatio ?? 0 };
}

/**
 * InferenceX's SGLang scripts poll for new requests every 10 scheduler steps below 16 clients and every 30 from 16
 * ("recv every ~10 requests; if CONC ≥ 16, relax to ~30": `benchmarks/dsr1_fp{4,8}_b200.sh`,
 * `benchmarks/single_node/qwen3.5_fp8_b200.sh` and the other SGLang scripts that set `--scheduler-recv-interval`).
 */
export const SGLANG_RECV_INTERVAL_FEW_CLIENTS = 10;
export const SGLANG_FEW_CLIENTS_BELOW = 16;

/** The polling interval of an SGLang recipe at `clients`: `base` (the 30 of 16+ clients) unless fewer clients. */
export function sglangRecipeTiming(base: EngineTiming, clients: number): EngineTiming {
  return base.recvIntervalSteps > SGLANG_RECV_INTERVAL_FEW_CLIENTS && clients < SGLANG_FEW_CLIENTS_BELOW
    ? { ...base, recvIntervalSteps: SGLANG_RECV_INTERVAL_FEW_CLIENTS }
    : base;
}

/** What an InferenceX SGLang script sets beyond the backend's defaults: KV dtype, memory, admission, chunking, polling. */
export interface SglangScriptRecipe {
  /** The scripts the settings are read from. */
  readonly scripts: string;
  readonly model: RegExp;
  /** Systems (catalog ids) the scripts serve. */
  readonly systems: readonly string[];
  /** Row precisions (checkpoints) the scripts serve. */
  readonly precisions: readonly string[];
  /** `--kv-cache-dtype fp8_e4m3`: true; not passed (the checkpoint's dtype): false. */
  readonly kvFp8: boolean;
  /** `--mem-fraction-static`, by the engine's attention TP degree. */
  readonly memFractionStatic: (attentionTp: number) => number;
  /** `--max-running-requests` by attention TP and ISL/OSL: requests the engine runs at once; more wait. Absent: not set. */
  readonly maxRunningRequests?: (attentionTp: number, isl: number, osl: number) => number;
  /**
   * `--chunked-prefill-size` (= `--max-prefill-tokens` in these scripts) by attention TP, ISL/OSL and clients.
   * Absent: SGLang's default.
   */
  readonly chunkedPrefillTokens?: (attentionTp: number, isl: number, osl: number, clients: number) => number;
  /**
   * `--num-continuous-decode-steps N`: the scheduler runs N decode steps before it looks for new requests again,
   * replayed as a polling interval of N steps. Absent: the backend's polling (deployment.ts ENGINE_TIMING).
   */
  readonly continuousDecodeSteps?: number;
}

/**
 * `--kv-cache-dtype` and `--mem-fraction-static` of InferenceX's single-node SGLang scripts
 * (SemiAnalysisAI/InferenceX `benchmarks/`, `benchmarks/single_node/`; docs/validation.md, "Engines"). The
 * Blackwell scripts for quantised checkpoints and the Qwen3.5 H200 one keep the KV cache in FP8; DeepSeek on H200
 * and the BF16 checkpoints leave it at the checkpoint's dtype. DeepSeek FP8 on four GPUs (8k/1k only) raises the
 * fraction to 0.95 to leave its KV cache room at all.
 */
export const SGLANG_INFERENCEX_SCRIPTS: readonly SglangScriptRecipe[] = [
  {
    scripts: 'dsr1_fp8_b200.sh, dsr1_fp8_b300.sh',
    model: /deepseek-(r1|v3)/i,
    systems: ['b200_sxm', 'b300_sxm'],
    precisions: ['fp8'],
    kvFp8: true,
    memFractionStatic: (tp) => (tp >= 8 ? 0.82 : 0.95),
    // The script also caps running requests (128 at TP 8, 32 at TP 4) in the version read; replayed with the cap the
    // dev rows came out worse (docs/validation.md, "Studied and not adopted"), so the runs are taken not to have had it.
    chunkedPrefillTokens: (tp) => (tp >= 8 ? 32768 : 8192),
  },
  {
    scripts: 'dsr1_fp4_b200.sh, dsr1_fp4_b300.sh',
    model: /deepseek-(r1|v3)/i,
    systems: ['b200_sxm', 'b300_sxm'],
    precisions: ['fp4'],
    kvFp8: true,
    memFractionStatic: () => 0.85,
  },
  {
    scripts: 'dsr1_fp8_h200.sh',
    model: /deepseek-(r1|v3)/i,
    systems: ['h200_sxm'],
    precisions: ['fp8'],
    kvFp8: false,
    memFractionStatic: () => 0.82,
    chunkedPrefillTokens: () => 32768,
  },
  {
    scripts: 'single_node/qwen3.5_fp8_b200.sh',
    model: /qwen3\.5/i,
    systems: ['b200_sxm'],
    precisions: ['fp8'],
    kvFp8: true,
    memFractionStatic: () => 0.82,
  },
  {
    scripts: 'single_node/qwen3.5_fp8_b300.sh, qwen3.5_fp8_h200.sh',
    model: /qwen3\.5/i,
    systems: ['b300_sxm', 'h200_sxm'],
    precisions: ['fp8'],
    kvFp8: true,
    memFractionStatic: () => 0.8,
  },
  {
    scripts: 'single_node/qwen3.5_fp4_b200.sh',
    model: /qwen3\.5/i,
    systems: ['b200_sxm'],
    precisions: ['fp4'],
    kvFp8: true,
    memFractionStatic: () => 0.85,
  },
  {
    scripts: 'single_node/qwen3.5_fp4_b300.sh',
    model: /qwen3\.5/i,
    systems: ['b300_sxm'],
    precisions: ['fp4'],
    kvFp8: true,
    memFractionStatic: () => 0.8,
  },
  {
    scripts: 'single_node/qwen3.5_bf16_b200.sh, qwen3.5_bf16_b300.sh',
    model: /qwen3\.5/i,
    systems: ['b200_sxm', 'b300_sxm'],
    precisions: ['bf16', ''],
    kvFp8: false,
    memFractionStatic: () => 0.82,
  },
  {
    // TP 8 only; also --max-running-requests 128 and EAGLE drafting on every run (deployment.ts SPECULATIVE_RECIPES).
    scripts: 'glm5_fp8_b200.sh',
    model: /glm-5(?![.\d])/i,
    systems: ['b200_sxm'],
    precisions: ['fp8'],
    kvFp8: true,
    memFractionStatic: () => 0.85,
    maxRunningRequests: () => 128,
  },
  // AMD MI355X scripts (SGLANG_USE_AITER): neither --scheduler-recv-interval nor --stream-interval (see
  // deployment.ts, the AMD branch of engineSettings); the DeepSeek ones run 4 continuous decode steps.
  {
    scripts: 'dsr1_fp8_mi355x.sh',
    model: /deepseek-(r1|v3)/i,
    systems: ['mi355x'],
    precisions: ['fp8'],
    kvFp8: false,
    memFractionStatic: () => 0.8,
    chunkedPrefillTokens: () => 196608,
    continuousDecodeSteps: 4,
  },
  {
    scripts: 'dsr1_fp4_mi355x.sh',
    model: /deepseek-(r1|v3)/i,
    systems: ['mi355x'],
    precisions: ['fp4'],
    kvFp8: true,
    memFractionStatic: () => 0.8,
    chunkedPrefillTokens: (_tp, isl, osl, clients) => (isl === 8192 && osl === 1024 && clients > 32 ? 32768 : 196608),
    continuousDecodeSteps: 4,
  },
  {
    scripts: 'glm5_fp8_mi355x.sh',
    model: /glm-5(?![.\d])/i,
    systems: ['mi355x'],
    precisions: ['fp8'],
    kvFp8: false,
    memFractionStatic: () => 0.8,
  },
];

/** The settings of the InferenceX SGLang script for a row's model, GPU and checkpoint, or null. */
export function sglangScriptRecipe(modelPath: string, system: string, precision: string, deviceId = system): SglangScriptRecipe | null {
  const onSystem = (r: SglangScriptRecipe): boolean => r.systems.includes(system) || r.systems.includes(deviceId);
  return SGLANG_INFERENCEX_SCRIPTS.find((r) => r.model.test(modelPath) && onSystem(r) && r.precisions.includes(precision)) ?? null;
}
