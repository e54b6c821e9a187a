import type { BackendOverhead } from './calibration-types.js';

/**
 * Costs of a serving engine that the per-kernel tables do not see. Small numbers per backend, documented in
 * docs/perf.md ("Step overheads"), where their derivation and sensitivity are given.
 *
 * - stepS: host work per engine iteration that the GPU waits on (scheduling, input preparation, sampling,
 *   detokenisation hand-off, CUDA-graph replay launch). TensorRT-LLM and SGLang overlap most of it with the
 *   previous step's GPU work; vLLM's V1 engine hides less.
 * - prefillStepS: extra for steps carrying prefill tokens: they run outside full CUDA graphs (piecewise or eager
 *   attention), so each layer pays kernel launches and attention metadata is built on the host.
 * - elementwiseKernelsPerLayer: kernels per layer outside GEMM/attention/MoE/communication (RMSNorm, RoPE and
 *   KV-cache write, SwiGLU, residual add, activation quantisation), after each backend's fusions.
 * - qkNormKernels: the query/key RMSNorm of Qwen3-, Gemma- and MiniMax-style attention. vLLM and SGLang run q_norm
 *   and k_norm as two kernels; TensorRT-LLM fuses both with RoPE into one (`fused_qk_norm_rope`), which then leaves
 *   the attention kernel.
 * - kernelFloorS: the shortest a tiny kernel takes inside a CUDA graph on current NVIDIA GPUs (~2 µs); the
 *   measured tables' own small-shape floors (2.4–4 µs for GEMM, 10–15 µs for attention) agree.
 */
export const BACKEND_OVERHEADS: Readonly<Record<'trtllm' | 'vllm' | 'sglang' | 'generic', BackendOverhead>> = {
  trtllm: { stepS: 0.3e-3, prefillStepS: 1.5e-3, elementwiseKernelsPerLayer: 4, qkNormKernels: 1, kernelFloorS: 2e-6 },
  vllm: { stepS: 0.7e-3, prefillStepS: 2.0e-3, elementwiseKernelsPerLayer: 5, qkNormKernels: 2, kernelFloorS: 2e-6 },
  sglang: { stepS: 0.4e-3, prefillStepS: 1.5e-3, elementwiseKernelsPerLayer: 5, qkNormKernels: 2, kernelFloorS: 2e-6 },
  generic: { stepS: 0.5e-3, prefillStepS: 1.5e-3, elementwiseKernelsPerLayer: 5, qkNormKernels: 2, kernelFloorS: 2e-6 },
};
