import type { CandidateGenerator } from '../space.js';
import { afdGenerator } from './afd.js';
import { colocatedGenerator } from './colocated.js';
import { pdGenerator } from './pd.js';
import { specGenerator } from './spec.js';

/**
 * Every deployment kind the planner searches, in order: colocated, prefill/decode, attention/FFN (ratio and
 * micro-batches) and speculative decoding (a draft model and k, on the colocated and PD shapes). A new topology is
 * one generator here.
 */
export const GENERATORS: readonly CandidateGenerator[] = [colocatedGenerator, pdGenerator, afdGenerator, specGenerator];

export function generatorKinds(): string[] {
  return GENERATORS.map((g) => g.kind);
}
