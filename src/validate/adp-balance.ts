/**
 * TensorRT-LLM's attention-DP context balancing (`attention_dp_config`: `enable_balance`, `timeout_iters`,
 * `batching_wait_iters`), as its PyTorch executor runs it every iteration (`PyExecutor._balance_adp_requests`, the
 * same logic in the 1.1 and 1.2 release lines): the ranks' new prompts are held back until every rank has one to
 * prefill, so that the ranks prefill in the same step instead of each stalling the others' decodes in turn.
 *
 * The hold is driven by two engine-wide iteration counters, not by how long any prompt has waited:
 * - when every rank has a prompt to schedule and a free slot, the waiting counter resets; if every rank is also
 *   decoding, the prompts wait `batching_wait_iters` more iterations to gather a larger prefill;
 * - otherwise the prompts are held and the waiting counter advances — in every such iteration, including those in
 *   which no rank has a prompt at all — until it reaches `timeout_iters`, or until some rank has nothing to decode,
 *   either of which releases whatever prompts there are and resets it. A prompt that arrives alone therefore waits
 *   for the counter's next wrap, anywhere between one and `timeout_iters` iterations.
 */

/** The engine-wide counters the balancing carries from one iteration to the next. */
export interface AdpBalanceCounters {
  readonly waitingIters: number;
  readonly batchingIters: number;
}

export const ADP_BALANCE_START: AdpBalanceCounters = { waitingIters: 0, batchingIters: 0 };

/** The attention-DP ranks as the balancing sees them at the start of an iteration. */
export interface AdpRanksView {
  /** Every rank has a prompt (new or a chunk in progress) the scheduler could run this iteration. */
  readonly allHavePrompts: boolean;
  /** Every rank is decoding at least one sequence. */
  readonly allDecoding: boolean;
  /** Every rank runs fewer sequences than its batch limit. */
  readonly allHaveSlots: boolean;
}

export interface AdpBalanceSettings {
  /** `timeout_iters`. */
  readonly timeoutIters: number;
  /** `batching_wait_iters`. */
  readonly batchingWaitIters: number;
}

/** Whether this iteration holds every rank's prompts back, and the counters for the next iteration. */
export function adpBalanceStep(
  counters: AdpBalanceCounters,
  { allHavePrompts, allDecoding, allHaveSlots }: AdpRanksView,
  settings: AdpBalanceSettings,
): { hold: boolean; next: AdpBalanceCounters } {
  if (allHaveSlots && allHavePrompts) {
    if (allDecoding && counters.batchingIters < settings.batchingWaitIters) {
      return { hold: true, next: { waitingIters: 0, batchingIters: counters.batchingIters + 1 } };
    }
    return { hold: false, next: { waitingIters: 0, batchingIters: allDecoding ? 0 : counters.batchingIters } };
  }
  const waitingIters = counters.waitingIters + 1;
  if (waitingIters >= settings.timeoutIters || !allDecoding) {
    return { hold: false, next: { waitingIters: 0, batchingIters: counters.batchingIters } };
  }
  return { hold: true, next: { waitingIters, batchingIters: counters.batchingIters } };
}
