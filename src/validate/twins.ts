import { servingImageOf } from './inferred-recipes.js';
import type { ValidationRow } from './rows.js';

/**
 * Relative difference within which two rows' measured TTFT and TPOT are the same measurement: compilations such as
 * `qwen3.5-397b-gap-analysis.csv` copy InferenceX results, rounded, without their provenance (protocol.ts).
 */
export const TWIN_TOLERANCE = 0.002;

const shapeKey = (r: ValidationRow): string => [r.system, r.modelPath.toLowerCase(), r.backend, r.mode, r.precision, r.isl, r.osl, r.concurrency].join('|');

const same = (a: number | null, b: number | null): boolean => a !== null && b !== null && Math.abs(a / b - 1) <= TWIN_TOLERANCE;

/**
 * Whether two rows are one measurement: same system, model, backend, mode, precision, ISL/OSL and concurrency, and
 * measured TTFT and TPOT within TWIN_TOLERANCE.
 */
export function repeatsMeasurement(a: ValidationRow, b: ValidationRow): boolean {
  return shapeKey(a) === shapeKey(b) && same(a.measuredTtftMs, b.measuredTtftMs) && same(a.measuredTpotMs, b.measuredTpotMs);
}

/**
 * Rows that name no serving image but repeat the measurement of rows that do (repeatsMeasurement) take that image
 * (`twinImage`, its last path segment as servingImageOf gives it), when all such twins name the same one. The image
 * is what tells a recipe's MTP runs from its plain ones (deployment.ts SPECULATIVE_RECIPES); a copied result ran
 * what its original ran.
 */
export function inheritTwinImages(rows: readonly ValidationRow[]): ValidationRow[] {
  const imaged = new Map<string, { row: ValidationRow; image: string }[]>();
  for (const r of rows) {
    const image = servingImageOf(r.source);
    if (image === null) continue;
    const k = shapeKey(r);
    const list = imaged.get(k) ?? [];
    list.push({ row: r, image });
    imaged.set(k, list);
  }
  return rows.map((r) => {
    if (servingImageOf(r.source) !== null) return r;
    const twins = (imaged.get(shapeKey(r)) ?? []).filter((t) => repeatsMeasurement(t.row, r));
    const images = new Set(twins.map((t) => t.image));
    if (images.size !== 1) return r;
    return { ...r, twinImage: { image: [...images][0]!, twinId: twins[0]!.row.id } };
  });
}
