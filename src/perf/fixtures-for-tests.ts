/** Hand-built devices and models for the performance model's tests (not shipped data; figures cited inline). */
import type { Device, Figure } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { uniformDecodeShape } from './decode-shape.js';
import type { Backend, Parallelism, PerfContext, StepShape } from './types.js';

const fig = (value: number | null, source = 'test fixture'): Figure => ({ value, source });
const GiB = 1024 ** 3;

interface DeviceSpec {
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly kind?: Device['kind'];
  readonly bf16: number;
  readonly fp8: number | null;
  readonly fp4?: number | null;
  readonly hbmBytes: number | null;
  readonly hbmBytesPerS: number | null;
  readonly sramBytes?: number | null;
  readonly sramBytesPerS?: number | null;
  readonly linkBytesPerS: number;
  readonly linkLatencyS: number;
  readonly domainChips: number;
  readonly powerW: number;
  readonly weightsInSramOnly?: boolean;
}

export function device(s: DeviceSpec): Device {
  return {
    id: s.id,
    name: s.id,
    vendor: 'test',
    kind: s.kind ?? 'gpu',
    aliases: s.aliases ?? [],
    flopsPerS: { bf16: fig(s.bf16), fp8: fig(s.fp8), fp4: fig(s.fp4 ?? null), int8: fig(s.fp8) },
    memory: {
      sram: { capacityBytes: fig(s.sramBytes ?? null), bandwidthBytesPerS: fig(s.sramBytesPerS ?? null) },
      hbm: { capacityBytes: fig(s.hbmBytes), bandwidthBytesPerS: fig(s.hbmBytesPerS) },
      dram: { capacityBytes: fig(null), bandwidthBytesPerS: fig(null) },
    },
    scaleUp: { bandwidthBytesPerS: fig(s.linkBytesPerS), latencyS: fig(s.linkLatencyS), domainChips: fig(s.domainChips) },
    scaleOut: { bandwidthBytesPerS: fig(50e9), latencyS: fig(10e-6) },
    powerW: fig(s.powerW),
    priceUsdPerHour: fig(null),
    weightsInSramOnly: s.weightsInSramOnly ?? false,
    sources: ['test fixture'],
  };
}

/** NVIDIA H100 SXM (brief's figures): bf16 989.4 TFLOP/s, fp8 1978.9, 80 GiB HBM3 at 3.35 TB/s, NVLink 450 GB/s. */
export const h100 = (): Device =>
  device({
    id: 'h100',
    aliases: ['h100_sxm'],
    bf16: 989.4e12,
    fp8: 1978.9e12,
    hbmBytes: 80 * GiB,
    hbmBytesPerS: 3.35e12,
    linkBytesPerS: 450e9,
    linkLatencyS: 10e-6,
    domainChips: 8,
    powerW: 700,
  });

/** NVIDIA B200 (aiconfigurator systems/b200_sxm.yaml figures). */
export const b200 = (): Device =>
  device({
    id: 'b200',
    aliases: ['b200_sxm'],
    bf16: 2.25e15,
    fp8: 4.5e15,
    fp4: 9e15,
    hbmBytes: 180 * GiB,
    hbmBytesPerS: 7.7e12,
    linkBytesPerS: 900e9,
    linkLatencyS: 10e-6,
    domainChips: 8,
    powerW: 1000,
  });

/** A GPU with no measured tables (MI300X-like figures): costed with the transferred curve shapes. */
export const untabledGpu = (): Device =>
  device({
    id: 'test-gpu',
    bf16: 1307e12,
    fp8: 2615e12,
    hbmBytes: 192e9,
    hbmBytesPerS: 5.3e12,
    linkBytesPerS: 64e9,
    linkLatencyS: 5e-6,
    domainChips: 8,
    powerW: 750,
  });

/** An SRAM-only chip (Groq 3 LPU-like): 500 MB SRAM at 150 TB/s, no HBM. */
export const sramChip = (): Device =>
  device({
    id: 'test-lpu',
    kind: 'sram',
    bf16: 1.2e15,
    fp8: 1.2e15,
    hbmBytes: null,
    hbmBytesPerS: null,
    sramBytes: 500e6,
    sramBytesPerS: 150e12,
    linkBytesPerS: 100e9,
    linkLatencyS: 1e-6,
    domainChips: 256,
    powerW: 300,
    weightsInSramOnly: true,
  });

/** Llama-3.1-70B (config.json): 80 layers, hidden 8192, 64 heads / 8 KV heads of 128, FFN 28672, vocab 128256. */
export const llama70b = (): ModelArch => ({
  id: 'meta-llama/Llama-3.1-70B',
  architecture: 'LlamaForCausalLM',
  numLayers: 80,
  hiddenSize: 8192,
  intermediateSize: 28672,
  vocabSize: 128256,
  tieEmbeddings: false,
  attention: { kind: 'gqa', numHeads: 64, numKvHeads: 8, headDim: 128, slidingWindowTokens: null, numSlidingLayers: 0 },
  numLinearAttentionLayers: 0,
  moe: null,
  maxContextTokens: 131072,
  weightDtype: 'bf16',
  kvDtype: 'bf16',
});

/** DeepSeek-V3 (config.json): MLA, 256 routed experts top-8 + 1 shared, first 3 layers dense. */
export const deepseekV3 = (): ModelArch => ({
  id: 'deepseek-ai/DeepSeek-V3',
  architecture: 'DeepseekV3ForCausalLM',
  numLayers: 61,
  hiddenSize: 7168,
  intermediateSize: 18432,
  vocabSize: 129280,
  tieEmbeddings: false,
  attention: { kind: 'mla', numHeads: 128, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 },
  numLinearAttentionLayers: 0,
  moe: { numExperts: 256, topK: 8, expertIntermediateSize: 2048, numSharedExperts: 1, sharedIntermediateSize: 2048, numDenseLayers: 3 },
  maxContextTokens: 163840,
  weightDtype: 'fp8',
  kvDtype: 'bf16',
});

/** gpt-oss-120b-like (config.json): 36 layers, half of them sliding-window (128), 128 experts top-4. */
export const gptOssLike = (): ModelArch => ({
  id: 'openai/gpt-oss-120b',
  architecture: 'GptOssForCausalLM',
  numLayers: 36,
  hiddenSize: 2880,
  intermediateSize: 2880,
  vocabSize: 201088,
  tieEmbeddings: false,
  attention: { kind: 'gqa', numHeads: 64, numKvHeads: 8, headDim: 64, slidingWindowTokens: 128, numSlidingLayers: 18 },
  numLinearAttentionLayers: 0,
  moe: { numExperts: 128, topK: 4, expertIntermediateSize: 2880, numSharedExperts: 0, sharedIntermediateSize: 0, numDenseLayers: 0 },
  maxContextTokens: 131072,
  weightDtype: 'bf16',
  kvDtype: 'bf16',
});

export function par(p: Partial<Parallelism> = {}): Parallelism {
  const tp = p.tp ?? 1;
  const dp = p.dp ?? 1;
  return { tp, pp: p.pp ?? 1, dp, ep: p.ep ?? 1, moeTp: p.moeTp ?? (tp * dp) / (p.ep ?? 1) };
}

export function ctxOf(d: Device, m: ModelArch, p: Parallelism = par(), extra: Partial<PerfContext> = {}): PerfContext {
  const backend: Backend = 'trtllm';
  return { device: d, model: m, par: p, weightDtype: 'bf16', moeDtype: 'bf16', kvDtype: 'bf16', backend, ...extra };
}

/** `seqs` decode sequences with `ctx` tokens of context each. */
export const decodeShape = uniformDecodeShape;

/** `seqs` full prefills of `len` tokens, plus optional decodes. */
export function prefillShape(seqs: number, len: number, decodes = 0, decodeCtx = 0): StepShape {
  return {
    numTokens: seqs * len + decodes,
    numSeqs: seqs + decodes,
    numPrefillSeqs: seqs,
    prefillTokens: seqs * len,
    prefillAttnPairs: (seqs * len * (len + 1)) / 2,
    prefillKvTokens: seqs * len,
    numDecodeSeqs: decodes,
    decodeKvTokens: decodes * (decodeCtx + 1),
  };
}
