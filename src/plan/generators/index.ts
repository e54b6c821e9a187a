import type { CandidateGenerator } from '../space.js';
import { colocatedGenerator } from './colocated.js';
import { pdGenerator } from './pd.js';

/**
 * Every deployment kind the planner searches, in order. Adding a topology (AFD: attention pool + FFN pool with a
 * ratio and micro-batches; speculative decoding: a draft model and k) is one generator here.
 */
export const GENERATORS: readonly CandidateGenerator[] = [colocatedGenerator, pdGenerator];

export function generatorKinds(): string[] {
  return GENERATORS.map((g) => g.kind);
}
