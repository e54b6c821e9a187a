import type { StepShape } from './types.js';

/** A decode-only step: `seqs` sequences of one token each, reading `kvTokens` KV tokens in all. */
export function decodeStepShape(seqs: number, kvTokens: number): StepShape {
  return { numTokens: seqs, numSeqs: seqs, numPrefillSeqs: 0, prefillTokens: 0, prefillAttnPairs: 0, prefillKvTokens: 0, numDecodeSeqs: seqs, decodeKvTokens: kvTokens };
}

/** `seqs` decode sequences with `contextTokens` of context each (each reads its context plus the new token). */
export function uniformDecodeShape(seqs: number, contextTokens: number): StepShape {
  return decodeStepShape(seqs, seqs * (contextTokens + 1));
}
