import type { Device } from '../hardware/types.js';
import { BUILTIN_CALIBRATION } from './calibration.js';
import type { BackendOverhead, CalibrationSet, CollectiveFit, TransferCurve } from './calibration-types.js';

/**
 * Operator costs of a compiler-scheduled dataflow chip (Groq LPU, Cerebras WSE; docs/heterogeneous.md):
 *
 *   t_op = n_fill × t_fill + max(FLOPs / (P·e_c), bytes / BW_sram)
 *
 * - No kernel launches, host step or per-kernel floor: the whole forward pass is one static schedule, so the
 *   GPU-fitted fixed latencies (3–47 µs per kernel) do not apply.
 * - t_fill (`Device.dataflowOpLatencyS`): the time one dependent operator takes to fill the array or cross the
 *   layer's region of the mesh before its first output exists — array depth / clock on a systolic chip. A
 *   matmul is one fill; attention (QKᵀ then PV) and an FFN / expert block (gate-up then down) are two.
 * - Memory: weights stream from SRAM at the rated bandwidth (e_m = 1: every SRAM read is issued by the
 *   compiler each cycle; no DRAM pages, refresh or cache misses to lose). At small M a weight-stationary array
 *   is bound by how fast weights enter it, which on these chips is the SRAM stream, so the achievable fraction
 *   of peak at M tokens is min(1, M / M_ridge) with M_ridge = P·bytesPerWeight / (2·BW) — the roofline's memory
 *   side, not a separate efficiency.
 * - Compute and memory overlap fully (weights stream while the array computes): the max, not the sum.
 * - e_c at large M: per operator class, the fraction of peak that class sustains on the MAC arrays we hold
 *   measurements for (the generic transfer curves fitted on aiconfigurator's tables: dense GEMM 0.80, prefill
 *   attention 0.50 — softmax and masking are not matmul work …); no dataflow vendor publishes one, and an
 *   array loses to the same causes (tile edges, clock under power limit, vector work between matmuls). The
 *   GPU-fitted memory efficiencies and fixed latencies are not used.
 * - Collectives inside a stage: one exchange over direct chip-to-chip links (a Groq node is 8 TSPs fully
 *   connected), at the link's bandwidth: latency + 2(n−1)/n · bytes / BW.
 */

/** Fill latency assumed for a dataflow chip whose catalog entry has none: Groq LPU v1's 320 cycles at 900 MHz. */
export const DEFAULT_DATAFLOW_OP_LATENCY_S = 320 / 900e6;


/** The p of the transfer curve's smooth max: large enough to be the max (statically overlapped streams). */
const OVERLAP_P = 64;

export interface DataflowTiming {
  readonly opLatencyS: number;
  /** True when the device gives no figure and the default applies. */
  readonly assumed: boolean;
}

export function dataflowTiming(device: Device): DataflowTiming {
  const v = device.dataflowOpLatencyS?.value;
  return v !== undefined && v !== null && v >= 0 ? { opLatencyS: v, assumed: false } : { opLatencyS: DEFAULT_DATAFLOW_OP_LATENCY_S, assumed: true };
}

/** An operator class on a dataflow chip: `fills` fill latencies, the measured compute fraction of `measured`, SRAM at full rate. */
const curve = (measured: TransferCurve, fills: number, opLatencyS: number): TransferCurve => ({
  t0S: fills * opLatencyS,
  effCompute: Math.min(1, measured.effCompute),
  effMemory: 1,
  p: OVERLAP_P,
});

/** No host step, no prefill surcharge, no elementwise launches: norms, RoPE and activations are in the schedule. */
const NO_OVERHEAD: BackendOverhead = { stepS: 0, prefillStepS: 0, elementwiseKernelsPerLayer: 0, qkNormKernels: 0, kernelFloorS: 0 };

const ONE_EXCHANGE: CollectiveFit = { latencyMultiple: 1, latencyPerLog2Gpus: 0, bandwidthEfficiency: 1 };

/**
 * The calibration set a dataflow chip is costed with by the per-operator step model: no measured GPU tables
 * (none apply), every operator class on the curve above with `opLatencyS` per fill, and no backend overheads.
 */
export function dataflowCalibration(opLatencyS: number): CalibrationSet {
  const g = BUILTIN_CALIBRATION.generic;
  return {
    version: `${BUILTIN_CALIBRATION.version}+dataflow`,
    sources: BUILTIN_CALIBRATION.sources,
    systems: [],
    generic: {
      gemm: { bf16: curve(g.gemm.bf16, 1, opLatencyS), fp8: curve(g.gemm.fp8, 1, opLatencyS), fp4: curve(g.gemm.fp4, 1, opLatencyS) },
      contextAttn: curve(g.contextAttn, 2, opLatencyS),
      generationAttn: curve(g.generationAttn, 2, opLatencyS),
      mlaContext: curve(g.mlaContext, 2, opLatencyS),
      mlaGeneration: curve(g.mlaGeneration, 2, opLatencyS),
      moe: curve(g.moe, 2, opLatencyS),
      collective: { allreduce: ONE_EXCHANGE, allgather: ONE_EXCHANGE, alltoall: ONE_EXCHANGE, reducescatter: ONE_EXCHANGE },
    },
    overhead: { trtllm: NO_OVERHEAD, vllm: NO_OVERHEAD, sglang: NO_OVERHEAD, generic: NO_OVERHEAD },
  };
}
