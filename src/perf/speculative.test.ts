import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedTokensPerStep, speculativeStepCost } from './speculative.js';
import type { StepShape, StepTime } from './types.js';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('accepted tokens per verification: 1 + α + … + α^k', () => {
  close(acceptedTokensPerStep(0, 0.85), 1, 'no drafts');
  close(acceptedTokensPerStep(1, 0.85), 1.85, 'one draft');
  // (1 − 0.85⁴) / 0.15 = (1 − 0.52200625) / 0.15
  close(acceptedTokensPerStep(3, 0.85), 0.47799375 / 0.15, 'three drafts');
  close(acceptedTokensPerStep(3, 1), 4, 'always accepted');
});

test('accepted tokens with acceptance per draft position: the last value repeats', () => {
  // 1 + 0.85 + 0.85·0.47 + 0.85·0.47² (a single draft head re-applied to its own output).
  close(acceptedTokensPerStep(3, [0.85, 0.47]), 1 + 0.85 + 0.3995 + 0.187765, 'three drafts, decaying');
  close(acceptedTokensPerStep(1, [0.85, 0.47]), 1.85, 'one draft: only the first position');
  close(acceptedTokensPerStep(3, [0.85]), acceptedTokensPerStep(3, 0.85), 'a one-value curve is the constant');
});

test('speculative step: k + 1 tokens per decode sequence through the model, plus k draft-layer passes', () => {
  // A hand-checkable cost: 1 ms per token and 0.5 ms per sequence (logits), nothing else.
  const cost = (s: StepShape): StepTime => {
    const totalS = 1e-3 * s.numTokens + 0.5e-3 * s.numSeqs;
    return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
  };
  const spec = speculativeStepCost(cost, { draftTokens: 3, acceptance: 0.85, mainLayers: 10 });
  const decode: StepShape = { numTokens: 4, numSeqs: 4, numPrefillSeqs: 0, prefillTokens: 0, prefillAttnPairs: 0, prefillKvTokens: 0, numDecodeSeqs: 4, decodeKvTokens: 4000 };
  // Verify: 16 tokens and 16 logit rows = 16 + 8 = 24 ms; drafts: 3 × (4 + 2 ms) / 10 layers = 1.8 ms.
  close(spec(decode).totalS, 24e-3 + 1.8e-3, 'decode step');
  const prefill: StepShape = { ...decode, numTokens: 100, numSeqs: 1, numPrefillSeqs: 1, prefillTokens: 100, numDecodeSeqs: 0, decodeKvTokens: 0 };
  close(spec(prefill).totalS, cost(prefill).totalS, 'prefill-only step unchanged');
  // Host work the engine does not overlap: 0.2 ms per decoding sequence per round, on top.
  const exposed = speculativeStepCost(cost, { draftTokens: 3, acceptance: 0.85, mainLayers: 10, hostPerSeqS: 0.2e-3 });
  close(exposed(decode).totalS, 24e-3 + 1.8e-3 + 4 * 0.2e-3, 'decode step with exposed host work');
  close(exposed(prefill).totalS, cost(prefill).totalS, 'no decoding sequence, no such work');
});
