/**
 * The context batching InferenceX's single-node TensorRT-LLM recipes write per model, shape and parallelism
 * (SemiAnalysisAI/InferenceX `benchmarks/*_trt*.sh`; docs/validation.md, "Engines"). The rows do not carry the
 * setting, but each row names its model, ISL/OSL and parallelism, which is what the recipes branch on. A row no
 * recipe matches keeps the backend's default timing (deployment.ts ENGINE_TIMING).
 */
import type { EngineTiming } from './bench-engine.js';

/** What a recipe branches on. */
export interface RecipeShape {
  readonly modelPath: string;
  readonly isl: number;
  readonly osl: number;
  /** Attention tensor-parallel degree of the engine. */
  readonly attentionTp: number;
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
}

const is1k1k = (s: RecipeShape): boolean => s.isl === 1024 && s.osl === 1024;

export const TRTLLM_INFERENCEX_RECIPES: readonly TrtllmRecipe[] = [
  {
    // No batch_wait_* settings.
    scripts: 'gptoss_fp4_b200_trt.sh, gptoss_fp4_h200_trt.sh',
    model: /gpt-oss/i,
    contextBatching: () => null,
  },
  {
    // batch_wait_timeout_iters 20 at ratio 0.9 for 1k/1k below TP 8.
    scripts: '70b_fp4_b200_trt_slurm.sh, 70b_fp8_b200_trt_slurm.sh, 70b_fp8_h200_trt_slurm.sh',
    model: /llama-3\.[13]-70b/i,
    contextBatching: (s) => (is1k1k(s) && s.attentionTp < 8 ? { steps: 20, tokenRatio: 0.9 } : null),
  },
];

/** The InferenceX recipe timing of a TensorRT-LLM row, or `base` unchanged when no recipe names its model. */
export function trtllmRecipeTiming(base: EngineTiming, s: RecipeShape): EngineTiming {
  const recipe = TRTLLM_INFERENCEX_RECIPES.find((r) => r.model.test(s.modelPath));
  if (!recipe) return base;
  const batching = recipe.contextBatching(s);
  return { ...base, batchWaitSteps: batching?.steps ?? 0, batchWaitTokenRatio: batching?.tokenRatio ?? 0 };
}
