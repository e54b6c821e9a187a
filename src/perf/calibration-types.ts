import type { PackedGrid } from './interp.js';
import type { QuantMode } from './quant.js';

/** Backends the measured tables come from. */
export const TABLE_BACKENDS = ['trtllm', 'vllm', 'sglang'] as const;
export type TableBackend = (typeof TABLE_BACKENDS)[number];

/** KV-cache precisions the attention tables distinguish. */
export type KvKey = 'bf16' | 'fp8';

export type CollectiveKind = 'allreduce' | 'allgather' | 'alltoall' | 'reducescatter' | 'send';

/**
 * Operator tables of one backend on one system. Grids of ln(measured time / roofline time at the system's
 * reference peaks) unless noted; axes are listed per field.
 */
export interface BackendTables {
  /** Table → `<system>/<op>/<backend>/<version>` it was fitted from. */
  readonly sources: Readonly<Record<string, string>>;
  /** Axes [m, n, k]. A backend-specific GEMM table, used before the system's best-of table (none shipped). */
  readonly gemm?: Partial<Record<QuantMode, PackedGrid>>;
  /** Key `${headDim}/${kv}`; axes [batch × heads, sequence length, heads per KV head]. Full causal prefill. */
  readonly contextAttn?: Readonly<Record<string, PackedGrid>>;
  /** Key `${headDim}/${kv}`; axes [batch × KV heads, context length, heads per KV head]. */
  readonly generationAttn?: Readonly<Record<string, PackedGrid>>;
  /** Key kv; axes [heads per GPU, batch, sequence length]. DeepSeek MLA shapes (qk 192, v 128). */
  readonly mlaContext?: Partial<Record<KvKey, PackedGrid>>;
  /** Key kv; axes [heads per GPU, batch, context length]. Absorbed MLA over the 512+64 latent. */
  readonly mlaGeneration?: Partial<Record<KvKey, PackedGrid>>;
  /** Key `${pre|post}/${quant}`; axes [heads per GPU, tokens]. */
  readonly mlaBmm?: Readonly<Record<string, PackedGrid>>;
  /** Axes [tokens per expert (T·k/E), local expert elements (3·hidden·inter/moeTp), local experts (E/ep)]. */
  readonly moe?: Partial<Record<QuantMode, PackedGrid>>;
  /** Quant modes whose MoE table measured expert-parallel splits only (no moe_tp > 1): see moe.ts. */
  readonly moeEpOnly?: readonly QuantMode[];
  /** The backend's own (custom, CUDA-graph) all-reduce: ln(seconds); axes [GPUs, bytes]. */
  readonly allreduce?: PackedGrid;
}

/** Reference peaks the ratios were taken against (aiconfigurator systems yaml). */
export interface ReferencePeaks {
  readonly bf16FlopsPerS: number;
  readonly fp8FlopsPerS: number;
  readonly fp4FlopsPerS: number | null;
  readonly int8FlopsPerS: number;
  readonly memBytesPerS: number;
  /** Scale-up (NVLink or PCIe) bandwidth per GPU, one direction, that the collective tables were measured over. */
  readonly scaleUpBytesPerS: number;
}

export interface SystemCalibration {
  /** aiconfigurator system name, e.g. `h100_sxm`. */
  readonly id: string;
  /** Device ids or aliases this system's tables apply to (matched against `Device.id` and `Device.aliases`). */
  readonly matches: readonly string[];
  readonly ref: ReferencePeaks;
  readonly backends: Partial<Record<TableBackend, BackendTables>>;
  /**
   * Dense GEMM per precision, axes [m, n, k]: per grid cell the fastest of the backends' measured kernels
   * (GEMM kernels come from libraries every engine can call; see docs/perf.md).
   */
  readonly gemm: Partial<Record<QuantMode, PackedGrid>>;
  /** Precision → the backend tables the best-of GEMM grid was taken over. */
  readonly gemmSources: Readonly<Record<string, string>>;
  /** NCCL collectives: ln(seconds); axes [GPUs, bytes]. */
  readonly nccl: Partial<Record<CollectiveKind, PackedGrid>>;
}

/**
 * Transferable shape of an operator class for chips without tables:
 * t = t0S + ((F / (P·effCompute))^p + (B / (BW·effMemory))^p)^(1/p), P and BW the chip's own peaks.
 */
export interface TransferCurve {
  readonly t0S: number;
  readonly effCompute: number;
  readonly effMemory: number;
  readonly p: number;
}

/** Alpha–beta collective model fitted on NCCL tables: t = alphaS·(1 + log2(n)·alphaLogFactor)… see collectives.ts. */
export interface CollectiveFit {
  /** Fixed latency of a collective, in units of the link's one-way latency. */
  readonly latencyMultiple: number;
  /** Extra latency per ring/tree step (per log2 of the GPU count), in link latencies. */
  readonly latencyPerLog2Gpus: number;
  /** Achieved fraction of the link bandwidth for large messages. */
  readonly bandwidthEfficiency: number;
}

export interface GenericCalibration {
  readonly gemm: Readonly<Record<'bf16' | 'fp8' | 'fp4', TransferCurve>>;
  readonly contextAttn: TransferCurve;
  readonly generationAttn: TransferCurve;
  readonly mlaContext: TransferCurve;
  readonly mlaGeneration: TransferCurve;
  readonly moe: TransferCurve;
  readonly collective: Readonly<Record<'allreduce' | 'allgather' | 'alltoall' | 'reducescatter', CollectiveFit>>;
}

/** Per-backend runtime costs outside the measured kernels (see docs/perf.md for where each comes from). */
export interface BackendOverhead {
  /** Fixed host-side cost of one engine step (scheduling, input preparation, sampling launch, graph replay). */
  readonly stepS: number;
  /** Extra cost of a step that runs prefill (eager or piecewise-graph execution, metadata for ragged batches). */
  readonly prefillStepS: number;
  /** Elementwise kernels per layer the backend launches beyond the tabled ones (norms, RoPE, activation, residual). */
  readonly elementwiseKernelsPerLayer: number;
  /** Extra kernels of an attention layer whose queries and keys are RMS-normalised (ModelArch qkNorm). */
  readonly qkNormKernels: number;
  /** Minimum time of one small kernel inside a CUDA graph. */
  readonly kernelFloorS: number;
}

export interface CalibrationSet {
  readonly version: string;
  readonly sources: readonly string[];
  readonly systems: readonly SystemCalibration[];
  readonly generic: GenericCalibration;
  readonly overhead: Readonly<Record<'trtllm' | 'vllm' | 'sglang' | 'generic', BackendOverhead>>;
}
