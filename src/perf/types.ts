import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { QuantMode } from './quant.js';

/** How one replica (model instance) is split across its chips. chips = tp × pp (× dp for attention-DP). */
export interface Parallelism {
  /** Tensor parallel degree. */
  readonly tp: number;
  /** Pipeline parallel degree. */
  readonly pp: number;
  /** Expert parallel degree for MoE layers (1 = experts tensor-split by moeTp). */
  readonly ep: number;
  /** Tensor parallel degree inside the MoE layers (moe_tp); tp·dp = moeTp·ep. */
  readonly moeTp: number;
  /** Attention data parallel degree (DeepSeek-style: attention replicated, MoE sharded). */
  readonly dp: number;
}

export type Backend = 'trtllm' | 'vllm' | 'sglang' | 'generic';

export interface PerfContext {
  readonly device: Device;
  readonly model: ModelArch;
  readonly par: Parallelism;
  /** Precision of dense GEMM weights (and activations where the device computes in it). */
  readonly weightDtype: Dtype;
  /** Precision of MoE expert weights. */
  readonly moeDtype: Dtype;
  readonly kvDtype: Dtype;
  readonly backend: Backend;
  /**
   * Kernel precision of the dense GEMMs when it is finer than `weightDtype` says: `fp8_block` (DeepSeek-style
   * 128×128 block scales) versus per-tensor `fp8`, `nvfp4` versus MXFP4. Default: implied by `weightDtype`.
   */
  readonly gemmQuant?: QuantMode;
  /** Kernel precision of the attention projections (q/k/v/o, MLA projections). Default: `gemmQuant`. */
  readonly attentionQuant?: QuantMode;
  /** Kernel precision of the routed experts (`w4a16_mxfp4` for gpt-oss on Hopper…). Default: implied by `moeDtype`. */
  readonly moeQuant?: QuantMode;
}

/**
 * Summary of the batch one replica runs in one step: enough to cost it, small enough to cache by. Over the
 * sequences i of the step with q_i new tokens and c_i tokens of context already cached:
 */
export interface StepShape {
  /** Σ q_i: rows of every GEMM. */
  readonly numTokens: number;
  /** Sequences in the step. */
  readonly numSeqs: number;
  /** Sequences with q_i > 1 (prefill or prefill chunk). */
  readonly numPrefillSeqs: number;
  /** Σ q_i over prefill sequences. */
  readonly prefillTokens: number;
  /** Σ q_i·(c_i + (q_i + 1)/2) over prefill sequences: query–key pairs of causal attention. */
  readonly prefillAttnPairs: number;
  /** Σ (c_i + q_i) over prefill sequences: KV tokens the prefill attention reads. */
  readonly prefillKvTokens: number;
  /** Sequences with q_i = 1. */
  readonly numDecodeSeqs: number;
  /** Σ (c_i + 1) over decode sequences: KV tokens decode attention reads. */
  readonly decodeKvTokens: number;
}

/** Time of one step of one replica, and where it went (seconds; parts may overlap, totalS is what counts). */
export interface StepTime {
  readonly totalS: number;
  readonly gemmS: number;
  readonly attentionS: number;
  readonly moeS: number;
  readonly commS: number;
  readonly overheadS: number;
}

/** Where one replica's weights and KV cache live and how much KV fits. */
export interface MemoryPlan {
  readonly chips: number;
  readonly weightBytesPerChip: number;
  /** Tier the weights are streamed from. */
  readonly weightTier: 'sram' | 'hbm' | 'dram';
  /** KV-cache bytes available to the replica after weights, activations and runtime reserve. */
  readonly kvCapacityBytes: number;
  readonly kvBytesPerToken: number;
  readonly fits: boolean;
  /** When it does not fit: what does not fit, and the smallest chip count that would. */
  readonly reason?: string;
  readonly minChips?: number;
  /** Tier the KV cache lives in. */
  readonly kvTier?: 'sram' | 'hbm' | 'dram';
  /**
   * Fixed bytes each sequence holds regardless of its length: sliding-window layers at their full window plus
   * linear-attention state. Not part of `kvBytesPerToken`; a KV manager that ignores it over-counts capacity
   * by (concurrent sequences × this).
   */
  readonly kvBytesPerSeqFixed?: number;
}
