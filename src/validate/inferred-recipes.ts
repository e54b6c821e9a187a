/**
 * Worker counts of the inferred disaggregated rows from InferenceX's benchmark matrix (docs/validation.md,
 * "Inferred disaggregated deployments"). Those rows give each role's GPUs per worker, the precision, ISL/OSL, the
 * total concurrency and the serving image, not the worker counts; the matrix (inferencex-disagg-recipes.ts) lists,
 * per deployment, the concurrencies it was benchmarked at. A row whose concurrency an entry of its shape lists (or
 * one within a factor 2) is read as that entry; any other row keeps the inference rule (deployment.ts
 * inferDisaggWorkers).
 */
import { INFERENCEX_DISAGG_RECIPES, type DisaggRecipe, type RecipeWorkers } from './inferencex-disagg-recipes.js';
import { concurrencyGap, roleOf, type MultinodeEntry } from './multinode-exports.js';
import { protocolOf } from './protocol.js';
import type { ValidationRow } from './rows.js';

/**
 * A row whose concurrency no entry of its shape lists is read as the entry listing the nearest one, up to this
 * factor away (a deployment is benchmarked over a sweep of concurrencies; the matrix has changed between runs).
 */
export const NEAREST_CONCURRENCY_FACTOR = 2;

// DeepSeek-V3 shares R1's architecture; the database dump labels InferenceX's dsr1 runs DeepSeek-V3 (their ids say dsr1).
const modelFamily = (modelPath: string): DisaggRecipe['model'] | null =>
  /gpt-oss/i.test(modelPath) ? 'gpt-oss' : /deepseek-(r1|v3)/i.test(modelPath) ? 'deepseek-r1' : null;

/** Whether an entry ran the row's system family, backend, model, precision and ISL/OSL. */
function entryOfShape(row: ValidationRow): (r: DisaggRecipe) => boolean {
  const family = row.system.replace(/_sxm$/, '');
  const model = modelFamily(row.modelPath);
  return (r) =>
    r.system === family && r.backend === row.backend && r.model === model && r.precision === row.precision && r.isl === row.isl && r.osl === row.osl;
}

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
  const image = rowImageOf(row);
  const sameShape = entryOfShape(row);
  const candidates = recipes.filter(
    (r) =>
      sameShape(r) &&
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
 * The database dump's rows give the image as a bare field (`…; workflow_run_id=227; lmsysorg/sglang:v0.5.5.post2`).
 */
export function servingImageOf(source: string): string | null {
  const fields = source.split(';').map((f) => f.trim());
  const tagged = fields.find((f) => f.startsWith('image='));
  const path = tagged !== undefined ? tagged.slice('image='.length) : fields.find((f) => /^[\w.#-]+(\/[\w.#-]+)+:[\w.-]+$/.test(f));
  return path === undefined ? null : path.slice(path.lastIndexOf('/') + 1);
}

/** The serving image of a row: its provenance's, else that of the rows it repeats (twins.ts). */
export function rowImageOf(row: ValidationRow): string | null {
  return servingImageOf(row.source) ?? row.twinImage?.image ?? null;
}

/**
 * A fully given disaggregated row whose serving image is one whose matrix entries and rows carry placeholder
 * parallelism columns (GB200 SGLang, December 2025: "tp/ep/dp-attn do nothing because they are hardcoded" in the
 * launch scripts): its role columns replaced by the layout of the entry with the same worker counts, nearest in
 * concurrency. The row's worker counts stand; its per-rank batch is recomputed (the DP degree changes). Null: not such
 * a row, or no entry with its worker counts.
 */
export function placeholderLayoutOf(
  row: ValidationRow,
  numExperts: number,
  recipes: readonly DisaggRecipe[] = INFERENCEX_DISAGG_RECIPES,
): { readonly row: ValidationRow; readonly note: string } | null {
  const p = row.prefill;
  const d = row.decode;
  if (row.mode !== 'disagg' || p === null || d === null || p.workers === null || d.workers === null) return null;
  const image = rowImageOf(row);
  const sameShape = entryOfShape(row);
  const candidates = recipes.filter(
    (r) => r.placeholderColumns === true && r.image === image && sameShape(r) && r.prefill.workers === p.workers && r.decode.workers === d.workers,
  );
  if (candidates.length === 0) return null;
  const distance = (r: DisaggRecipe): number => concurrencyGap(r.concurrencies, row.concurrency);
  const e = candidates.slice().sort((a, b) => distance(a) - distance(b))[0]!;
  const deployment = recipeDeployment(e);
  const layout = (spec: typeof deployment.prefill, given: NonNullable<ValidationRow['prefill']>) => ({ ...roleOf(spec, numExperts), workers: given.workers, batch: null });
  const describe = (w: RecipeWorkers): string => `${w.workers} × ${w.dpAttention ? 'DEP' : 'TP'}${w.gpus}`;
  return {
    row: { ...row, prefill: layout(deployment.prefill, p), decode: layout(deployment.decode, d) },
    note: `parallelism columns are placeholders on ${e.image}: read as its launch scripts' layout, prefill ${describe(e.prefill)}, decode ${describe(e.decode)}`,
  };
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
