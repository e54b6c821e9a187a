/**
 * The engine settings InferenceX's single-node TensorRT-LLM recipes write per model, shape and concurrency
 * (SemiAnalysisAI/InferenceX `benchmarks/*_trt*.sh`; docs/validation.md, "Engines"). The rows do not carry these
 * settings, but each row names its model, device, precision, ISL/OSL, concurrency and parallelism, which is what the
 * recipes branch on. A row no recipe matches keeps the backend's default timing (deployment.ts ENGINE_TIMING).
 */
import type { EngineTiming } from './bench-engine.js';

/** What a recipe branches on. */
export interface RecipeShape {
  readonly modelPath: string;
  readonly device: string;
  /** The row's `precision` column (fp4, fp8, …). */
  readonly precision: string;
  readonly isl: number;
  readonly osl: number;
  readonly concurrency: number;
  /** Attention tensor-parallel degree of the engine. */
  readonly attentionTp: number;
  readonly attentionDp: boolean;
  /** The recipe runs speculative decoding (its MTP variant). */
  readonly speculative: boolean;
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
  readonly contextBatching: (s: RecipeShape) => ContextBatching | null;
  /** `attention_dp_config.timeout_iters` with `enable_balance`, or null to keep the backend default. */
  readonly dpBalanceSteps: number | null;
}

const is1k1k = (s: RecipeShape): boolean => s.isl === 1024 && s.osl === 1024;

export const TRTLLM_INFERENCEX_RECIPES: readonly TrtllmRecipe[] = [
  {
    // gptoss_fp4_b200_trt.sh, gptoss_fp4_h200_trt.sh: no batch_wait_* settings.
    scripts: 'gptoss_fp4_b200_trt.sh, gptoss_fp4_h200_trt.sh',
    model: /gpt-oss/i,
    contextBatching: () => null,
    dpBalanceSteps: null,
  },
  {
    // 70b_fp{4,8}_b200_trt_slurm.sh, 70b_fp8_h200_trt_slurm.sh: batch_wait_timeout_iters 20 at ratio 0.9 for 1k/1k below TP 8.
    scripts: '70b_fp4_b200_trt_slurm.sh, 70b_fp8_b200_trt_slurm.sh, 70b_fp8_h200_trt_slurm.sh',
    model: /llama-3\.[13]-70b/i,
    contextBatching: (s) => (is1k1k(s) && s.attentionTp < 8 ? { steps: 20, tokenRatio: 0.9 } : null),
    dpBalanceSteps: null,
  },
];

/** The InferenceX recipe timing of a TensorRT-LLM row, or `base` unchanged when no recipe names its model. */
export function trtllmRecipeTiming(base: EngineTiming, s: RecipeShape): EngineTiming {
  const recipe = TRTLLM_INFERENCEX_RECIPES.find((r) => r.model.test(s.modelPath));
  if (!recipe) return base;
  const batching = recipe.contextBatching(s);
  return {
    ...base,
    batchWaitSteps: batching?.steps ?? 0,
    batchWaitTokenRatio: batching?.tokenRatio ?? 0,
    dpBalanceSteps: recipe.dpBalanceSteps ?? base.dpBalanceSteps,
  };
}
