import type { ModelArch } from '../models/types.js';
import { weightBytes } from '../models/weights.js';

/** Speculative-decoding search defaults (visible in `plan --help` and docs/planner.md). */
export const SPEC_DEFAULTS = {
  /**
   * Per-token acceptance the drafts are assumed to reach: an ASSUMPTION, the figure the project's speculative
   * examples use for a 1B Llama drafting for a 70B one. The simulator takes it as given, so the plan is only as
   * good as it; measure yours and pass --spec-acceptance.
   */
  acceptance: 0.8,
  /** Draft lengths tried: k = 1 … maxK. */
  maxK: 8,
} as const;

/** A draft at most this share of the target's weight bytes counts as "smaller" for the default rule. */
const MAX_DRAFT_SHARE = 1 / 8;

/**
 * The default draft rule, when the user names none: among the models given (the shipped configs), those with the
 * target's vocabulary (their drafts must be token ids the target can verify) and architecture class (same family,
 * e.g. LlamaForCausalLM), whose weights are at most 1/8 of the target's — and of those only the smallest (fewest
 * weight bytes, then id). With one assumed acceptance α for every draft, a larger draft would only cost more and
 * run slower, so searching it adds nothing; name drafts with --draft-models to compare several.
 */
export function defaultDraftModels(target: ModelArch, candidates: readonly ModelArch[]): ModelArch[] {
  const targetBytes = weightBytes(target).total;
  const fits = candidates
    .filter((m) => m.id !== target.id && m.vocabSize === target.vocabSize && m.architecture === target.architecture)
    .map((m) => ({ m, bytes: weightBytes(m).total }))
    .filter((x) => x.bytes > 0 && x.bytes <= targetBytes * MAX_DRAFT_SHARE)
    .sort((a, b) => a.bytes - b.bytes || (a.m.id < b.m.id ? -1 : a.m.id > b.m.id ? 1 : 0));
  return fits.length > 0 ? [fits[0]!.m] : [];
}
