import type { Dtype } from '../core/units.js';
import type { ComputeDtype } from '../hardware/types.js';

/**
 * Kernel-level precision of a GEMM or MoE: what the weights are stored in and what the tensor cores compute in.
 * Finer than `Dtype`: fp8 per-tensor and fp8 block-scaled (DeepSeek 128×128) run different kernels with
 * different efficiency, and NVFP4 / MXFP4 differ in scale bytes and activation precision.
 */
export const QUANT_MODES = ['bf16', 'fp8', 'fp8_block', 'nvfp4', 'w4a16_mxfp4', 'w4a8_mxfp4', 'int4_wo', 'int8'] as const;
export type QuantMode = (typeof QUANT_MODES)[number];

export interface QuantSpec {
  /** Stored bytes per weight element, block scales included. */
  readonly weightBytes: number;
  /** Bytes per activation element read by the GEMM. */
  readonly activationBytes: number;
  /** Tensor-core rate the math runs at. */
  readonly compute: ComputeDtype;
}

// NVFP4: 4-bit values plus one fp8 scale per 16; MXFP4: one e8m0 scale per 32; int4 weight-only: group 128 with
// fp16 scale and zero point (4 bytes / 128 = 1/32); fp8 block: one fp32 scale per 128×128 block.
export const QUANT_SPECS: Readonly<Record<QuantMode, QuantSpec>> = {
  bf16: { weightBytes: 2, activationBytes: 2, compute: 'bf16' },
  fp8: { weightBytes: 1, activationBytes: 1, compute: 'fp8' },
  fp8_block: { weightBytes: 1 + 4 / (128 * 128), activationBytes: 1, compute: 'fp8' },
  nvfp4: { weightBytes: 0.5 + 1 / 16, activationBytes: 0.5 + 1 / 16, compute: 'fp4' },
  w4a16_mxfp4: { weightBytes: 0.5 + 1 / 32, activationBytes: 2, compute: 'bf16' },
  w4a8_mxfp4: { weightBytes: 0.5 + 1 / 32, activationBytes: 1, compute: 'fp8' },
  int4_wo: { weightBytes: 0.5 + 1 / 32, activationBytes: 2, compute: 'bf16' },
  int8: { weightBytes: 1, activationBytes: 1, compute: 'int8' },
};

/** The kernel precision a storage dtype implies when the deployment does not name one. */
export function quantOfDtype(dtype: Dtype): QuantMode {
  switch (dtype) {
    case 'fp32':
    case 'fp16':
    case 'bf16':
      return 'bf16';
    case 'fp8':
      return 'fp8';
    case 'int8':
      return 'int8';
    case 'fp4':
      return 'nvfp4';
    case 'int4':
      return 'int4_wo';
  }
}

/**
 * When a calibration table lacks a precision, the closest one whose kernel efficiency shape is used instead
 * (the roofline itself always uses the requested precision's bytes and peak).
 */
export const QUANT_FALLBACK: Readonly<Record<QuantMode, readonly QuantMode[]>> = {
  bf16: ['bf16', 'fp8'],
  fp8: ['fp8', 'fp8_block', 'bf16'],
  fp8_block: ['fp8_block', 'fp8', 'bf16'],
  nvfp4: ['nvfp4', 'w4a8_mxfp4', 'w4a16_mxfp4', 'fp8', 'fp8_block', 'bf16'],
  w4a16_mxfp4: ['w4a16_mxfp4', 'int4_wo', 'w4a8_mxfp4', 'nvfp4', 'bf16'],
  w4a8_mxfp4: ['w4a8_mxfp4', 'nvfp4', 'w4a16_mxfp4', 'fp8', 'bf16'],
  int4_wo: ['int4_wo', 'w4a16_mxfp4', 'bf16'],
  int8: ['int8', 'fp8', 'bf16'],
};

/** Bytes per element of a KV-cache dtype. */
export function kvBytesPerElement(dtype: Dtype): number {
  switch (dtype) {
    case 'fp32':
      return 4;
    case 'fp16':
    case 'bf16':
      return 2;
    case 'fp8':
    case 'int8':
      return 1;
    case 'fp4':
    case 'int4':
      return 0.5 + 1 / 16;
  }
}
