import type { ValidationRow } from './rows.js';

/** A validation row for tests: one B200 client of an agg FP8 engine, measured at 1 ms; override what matters. */
export const validationRow = (over: Partial<ValidationRow> = {}): ValidationRow => ({
  id: 'x',
  line: 2,
  backend: 'trtllm',
  backendVersion: '',
  modelPath: '',
  system: 'b200_sxm',
  precision: 'fp8',
  mode: 'agg',
  isl: 1024,
  osl: 1024,
  gemmQuantMode: 'fp8',
  moeQuantMode: 'fp8',
  concurrency: 1,
  source: '',
  numGpus: null,
  agg: { batch: null, workers: null, tp: 1, pp: 1, dp: 1, moeTp: null, ep: 1 },
  prefill: null,
  decode: null,
  measuredTtftMs: 1,
  measuredTpotMs: 1,
  ...over,
});
