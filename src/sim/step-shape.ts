import type { StepShape } from '../perf/types.js';
import type { SchedulerStep } from '../sched/types.js';

/** Summarise a scheduled step into the shape the performance model costs. */
export function stepShapeOf(step: SchedulerStep): StepShape {
  let numTokens = 0;
  let numPrefillSeqs = 0;
  let prefillTokens = 0;
  let prefillAttnPairs = 0;
  let prefillKvTokens = 0;
  let numDecodeSeqs = 0;
  let decodeKvTokens = 0;
  for (const s of step.seqs) {
    const q = s.numNewTokens;
    const c = s.numComputedTokens;
    numTokens += q;
    if (q > 1) {
      numPrefillSeqs++;
      prefillTokens += q;
      prefillAttnPairs += q * (c + (q + 1) / 2);
      prefillKvTokens += c + q;
    } else {
      numDecodeSeqs++;
      decodeKvTokens += c + 1;
    }
  }
  return {
    numTokens,
    numSeqs: step.seqs.length,
    numPrefillSeqs,
    prefillTokens,
    prefillAttnPairs,
    prefillKvTokens,
    numDecodeSeqs,
    decodeKvTokens,
  };
}
