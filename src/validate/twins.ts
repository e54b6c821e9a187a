import { servingImageOf } from './inferred-recipes.js';
import type { ValidationRow } from './rows.js';

/**
 * Relative difference within which two rows' measured TTFT and TPOT are the same measurement: compilations such as
 * `qwen3.5-397b-gap-analysis.csv` copy InferenceX results, rounded, without their provenance (protocol.ts).
 */
export const TWIN_TOLERANCE = 0.002;

const shapeKey = (r: ValidationRow): string => [r.system, r.modelPath.toLowerCase(), r.backend, r.mode, r.precision, r.isl, r.osl, r.concurrency].join('|');

const same = (a: number, b: number): boolean => Math.abs(a / b - 1) <= TWIN_TOLERANCE;

/**
 * Rows that name no serving image but repeat the measurement of rows that do — same system, model, backend, mode,
 * precision, shape and concurrency, TTFT and TPOT within TWIN_TOLERANCE — take that image (`twinImage`, its last path segment as servingImageOf gives it), when all
 * such twins name the same one. The image is what tells a recipe's MTP runs from its plain ones
 * (deployment.ts SPECULATIVE_RECIPES); a copied result ran what its original ran.
 */
export function inheritTwinImages(rows: readonly ValidationRow[]): ValidationRow[] {
  const imaged = new Map<string, { row: ValidationRow; image: string }[]>();
  for (const r of rows) {
    const image = servingImageOf(r.source);
    if (image === null || r.measuredTtftMs === null || r.measuredTpotMs === null) continue;
    const k = shapeKey(r);
    const list = imaged.get(k) ?? [];
    list.push({ row: r, image });
    imaged.set(k, list);
  }
  return rows.map((r) => {
    if (servingImageOf(r.source) !== null || r.measuredTtftMs === null || r.measuredTpotMs === null) return r;
    const ttft = r.measuredTtftMs;
    const tpot = r.measuredTpotMs;
    const twins = (imaged.get(shapeKey(r)) ?? []).filter((t) => same(t.row.measuredTtftMs!, ttft) && same(t.row.measuredTpotMs!, tpot));
    const images = new Set(twins.map((t) => t.image));
    if (images.size !== 1) return r;
    return { ...r, twinImage: { image: [...images][0]!, twinId: twins[0]!.row.id } };
  });
}
