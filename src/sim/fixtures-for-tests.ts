/** Hand-made devices, models and cost models for the simulator's own tests (not shipped data). */
import type { Device, Figure } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import type { MemoryPlan, PerfContext, StepShape, StepTime } from '../perf/types.js';
import { PoolSchema, type PoolConfig } from '../scenario/schema.js';

const fig = (value: number | null): Figure => ({ value, source: 'test fixture' });

export function testDevice(id = 'testchip', priceUsdPerHour = 2, powerW = 1000): Device {
  return {
    id,
    name: `Test chip ${id}`,
    vendor: 'test',
    kind: 'gpu',
    aliases: [],
    flopsPerS: { bf16: fig(1e15), fp8: fig(2e15), fp4: fig(null), int8: fig(null) },
    memory: {
      sram: { capacityBytes: fig(null), bandwidthBytesPerS: fig(null) },
      hbm: { capacityBytes: fig(80e9), bandwidthBytesPerS: fig(4e12) },
      dram: { capacityBytes: fig(null), bandwidthBytesPerS: fig(null) },
    },
    scaleUp: { bandwidthBytesPerS: fig(450e9), latencyS: fig(5e-6), domainChips: fig(8) },
    scaleOut: { bandwidthBytesPerS: fig(50e9), latencyS: fig(10e-6) },
    powerW: fig(powerW),
    priceUsdPerHour: fig(priceUsdPerHour),
    weightsInSramOnly: false,
    sources: ['test fixture'],
  };
}

export function testModel(): ModelArch {
  return {
    id: 'test/llama-ish',
    architecture: 'LlamaForCausalLM',
    numLayers: 8,
    hiddenSize: 1024,
    intermediateSize: 4096,
    vocabSize: 32000,
    tieEmbeddings: false,
    attention: { kind: 'gqa', numHeads: 16, numKvHeads: 4, headDim: 64, slidingWindowTokens: null, numSlidingLayers: 0 },
    numLinearAttentionLayers: 0,
    moe: null,
    maxContextTokens: 8192,
    weightDtype: 'bf16',
    kvDtype: 'bf16',
  };
}

/** A replica whose step costs `fixedS + perTokenS × tokens`: latencies become hand-checkable. */
export function linearCost(fixedS: number, perTokenS: number) {
  return (_ctx: PerfContext) =>
    (shape: StepShape): StepTime => {
      const totalS = fixedS + perTokenS * shape.numTokens;
      return { totalS, gemmS: totalS, attentionS: 0, moeS: 0, commS: 0, overheadS: 0 };
    };
}

/** A memory plan with a fixed KV capacity (in tokens). */
export function fixedKv(kvTokens: number, kvBytesPerToken = 1000) {
  return (ctx: PerfContext): MemoryPlan => ({
    chips: ctx.par.tp * ctx.par.pp,
    weightBytesPerChip: 1e9,
    weightTier: 'hbm',
    kvCapacityBytes: kvTokens * kvBytesPerToken,
    kvBytesPerToken,
    fits: true,
  });
}

export function poolConfig(over: Record<string, unknown> = {}): PoolConfig {
  return PoolSchema.parse({ device: 'testchip', ...over });
}
