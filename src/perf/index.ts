/**
 * The performance model: (operation, shape, device) → seconds. See docs/perf.md.
 *
 * Everything here is pure and runs unchanged in a browser: the calibration tables are a generated module
 * (calibration-data.ts), not files.
 */
export type { Backend, MemoryPlan, Parallelism, PerfContext, StepShape, StepTime } from './types.js';
export { makeStepCost, STEP_MEMO_SLOTS } from './step-cost.js';
export { memoryPlan, placementTiers, DEFAULT_ACTIVATION_RESERVE_BYTES, DEFAULT_RESERVE_FRACTION, type MemoryPlanOptions } from './memory-plan.js';
export {
  collectiveTimeS,
  commTimeS,
  linkOf,
  algBytesFactor,
  DEFAULT_LINK_BANDWIDTH_BYTES_PER_S,
  DEFAULT_SCALE_OUT_LATENCY_S,
  DEFAULT_SCALE_UP_LATENCY_S,
  type CollectiveKind,
  type LinkLike,
} from './collectives.js';
export { BUILTIN_CALIBRATION, findSystem, resolveCalibration, devicePeaks, type DeviceCalibration } from './calibration.js';
export type { CalibrationSet, BackendOverhead, TransferCurve, CollectiveFit, SystemCalibration } from './calibration-types.js';
export { BACKEND_OVERHEADS } from './overheads.js';
export { gemmTimeS, gemmCostFn } from './gemm.js';
export { moeTimeS, moeCostFn, expectedExpertsTouched, type MoeRankShape } from './moe.js';
export {
  contextAttnTimeS,
  generationAttnTimeS,
  mlaContextTimeS,
  mlaGenerationTimeS,
  type GqaRankShape,
  type MlaRankShape,
} from './attention.js';
export { QUANT_MODES, QUANT_SPECS, quantOfDtype, type QuantMode } from './quant.js';
export { replicaWeights, replicaKv, replicaQuant } from './replica.js';
