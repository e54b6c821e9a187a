/**
 * Worker counts of the inferred disaggregated rows from InferenceX's benchmark matrix (docs/validation.md,
 * "Inferred disaggregated deployments"). Those rows give each role's GPUs per worker, the precision, ISL/OSL, the
 * total concurrency and the serving image, not the worker counts; the matrix (inferencex-disagg-recipes.ts) lists,
 * per deployment, the concurrencies it was benchmarked at. A row whose concurrency an entry of its shape lists (or
 * one within a factor 2) is read as that entry; any other row keeps the inference rule (deployment.ts
 * inferDisaggWorkers).
 */
import { INFERENCEX_DISAGG_RECIPES, type DisaggRecipe } from './inferencex-disagg-recipes.js';
import { concurrencyGap, type MultinodeEntry } from './multinode-exports.js';
import { protocolOf } from './protocol.js';
import type { ValidationRow } from './rows.js';

/**
 * A row whose concurrency no entry of its shape lists is read as the entry listing the nearest one, up to this
 * factor away (a deployment is benchmarked over a sweep of concurrencies; the matrix has changed between runs).
 */
export const NEAREST_CONCURRENCY_FACTOR = 2;

const modelFamily = (modelPath: string): DisaggRecipe['model'] | null =>
  /gpt-oss/i.test(modelPath) ? 'gpt-oss' : /deepseek-r1/i.test(modelPath) ? 'deepseek-r1' : null;

/**
 * The matrix entry of an inferred row: same system family, backend, model, precision and ISL/OSL, the same GPUs
 * per prefill and per decode worker (for entries whose rows carry placeholder columns, the same serving image
 * instead), the row's concurrency in the entry's list (else the nearest listed, within
 * NEAREST_CONCURRENCY_FACTOR) and, when the row names a serving image the candidates differ by, that image. Several
 * left (an MTP variant and a plain one list the same concurrencies; the rows do not say which ran): the one
 * without MTP, then the first listed. Null: no entry.
 */
export function inferredRecipeOf(row: ValidationRow, recipes: readonly DisaggRecipe[] = INFERENCEX_DISAGG_RECIPES): DisaggRecipe | null {
  const p = row.prefill;
  const d = row.decode;
  if (row.mode !== 'disagg' || p === null || d === null || p.workers !== null || d.workers !== null) return null;
  if (protocolOf(row).harness !== 'inferencex') return null;
  const model = modelFamily(row.modelPath);
  const family = row.system.replace(/_sxm$/, '');
  const image = servingImageOf(row.source);
  const candidates = recipes.filter(
    (r) =>
      r.system === family &&
      r.backend === row.backend &&
      r.model === model &&
      r.precision === row.precision &&
      r.isl === row.isl &&
      r.osl === row.osl &&
      (r.placeholderColumns === true ? r.image === image : r.prefill.gpus === p.tp * p.dp && r.decode.gpus === d.tp * d.dp),
  );
  const distance = (r: DisaggRecipe): number => concurrencyGap(r.concurrencies, row.concurrency);
  const nearest = Math.min(...candidates.map(distance));
  if (!(nearest <= Math.log(NEAREST_CONCURRENCY_FACTOR))) return null;
  const closest = candidates.filter((r) => distance(r) === nearest);
  const sameImage = image === null ? [] : closest.filter((r) => r.image === image);
  const pool = sameImage.length > 0 ? sameImage : closest;
  return pool.slice().sort((a, b) => Number(a.mtp !== 0) - Number(b.mtp !== 0))[0]!;
}

/**
 * Last path segment of the row's serving image (`image=lmsysorg/sglang:v0.5.8.post1-cu130-runtime` →
 * `sglang:v0.5.8.post1-cu130-runtime`), compared whole: `…-cu130` and `…-cu130-runtime` are different recipes' images.
 */
export function servingImageOf(source: string): string | null {
  const m = /(?:^|;)\s*image=([^;]+)/.exec(source);
  if (m === null) return null;
  const path = m[1]!.trim();
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The entry as the deployment shape multinode-exports.ts replays. */
export function recipeDeployment(r: DisaggRecipe): MultinodeEntry {
  return {
    backend: r.backend,
    precision: r.precision === 'fp8' ? 'fp8' : 'fp4',
    isl: r.isl,
    prefill: { workers: r.prefill.workers, gpus: r.prefill.gpus, ep: r.prefill.ep, dpAttention: r.prefill.dpAttention, maxBatch: null },
    decode: { workers: r.decode.workers, gpus: r.decode.gpus, ep: r.decode.ep, dpAttention: r.decode.dpAttention, maxBatch: r.decodeBatch },
    mtpDraftTokens: r.mtp,
    concurrencies: r.concurrencies,
  };
}
