import { z } from 'zod';
import { DTYPES } from '../core/units.js';

/**
 * The scenario file (YAML or JSON): what to simulate. Every field has a default except `model`; the resolved
 * scenario (defaults filled in) is printed back with the results so a run can be reproduced from its output.
 * Field docs live in docs/scenario.md.
 */
const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const finitePositive = z.number().positive().finite();
const dtype = z.enum(DTYPES);

export const LengthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), tokens: positiveInt }),
  z.strictObject({ kind: z.literal('uniform'), min: positiveInt, max: positiveInt }),
  z.strictObject({
    kind: z.literal('lognormal'),
    mean: finitePositive,
    cv: nonNegative,
    min: positiveInt.default(1),
    max: positiveInt.default(1_000_000),
  }),
  z.strictObject({ kind: z.literal('trace') }),
]);

export const ArrivalSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('poisson'), ratePerS: finitePositive }),
  z.strictObject({ kind: z.literal('gamma'), ratePerS: finitePositive, cv: finitePositive }),
  z.strictObject({ kind: z.literal('closed'), concurrency: positiveInt, thinkTimeS: nonNegative.default(0) }),
  z.strictObject({ kind: z.literal('trace'), ratePerS: finitePositive.nullable().default(null) }),
]);

export const ParallelismSchema = z.strictObject({
  tp: positiveInt.default(1),
  pp: positiveInt.default(1),
  ep: positiveInt.default(1),
  /** Defaults to tp·dp/ep so the MoE layers use every chip. */
  moeTp: positiveInt.optional(),
  dp: positiveInt.default(1),
});

export const SchedulerSchema = z.strictObject({
  maxNumBatchedTokens: positiveInt.default(8192),
  maxNumSeqs: positiveInt.default(256),
  blockSizeTokens: positiveInt.default(16),
  chunkedPrefill: z.boolean().default(true),
  prefixCaching: z.boolean().default(true),
});

export const RouterSchema = z.enum(['round-robin', 'least-loaded', 'prefix-aware']);

export const PoolSchema = z.strictObject({
  device: z.string().min(1),
  replicas: positiveInt.default(1),
  parallelism: ParallelismSchema.prefault({}),
  scheduler: SchedulerSchema.prefault({}),
  router: RouterSchema.default('least-loaded'),
  /** Fraction of each chip's memory kept free for the runtime (vLLM gpu_memory_utilization 0.9 → 0.1). */
  memoryReserveFraction: z.number().min(0).max(0.9).default(0.1),
});

export const LinkSchema = z.strictObject({
  /** Which of the devices' links carries the traffic; `custom` needs both figures. */
  class: z.enum(['scale-up', 'scale-out', 'custom']).default('scale-out'),
  bandwidthBytesPerS: finitePositive.optional(),
  latencyS: nonNegative.optional(),
});

export const TopologySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('colocated'), pool: PoolSchema }),
  z.strictObject({
    kind: z.literal('pd'),
    prefill: PoolSchema,
    decode: PoolSchema,
    link: LinkSchema.prefault({}),
    /** `layerwise`: each layer's KV leaves as soon as it is computed; `whole`: after the prefill ends. */
    kvTransfer: z.enum(['layerwise', 'whole']).default('layerwise'),
  }),
]);

export const WorkloadSchema = z.strictObject({
  arrival: ArrivalSchema.default({ kind: 'poisson', ratePerS: 1 }),
  input: LengthSchema.default({ kind: 'fixed', tokens: 1024 }),
  output: LengthSchema.default({ kind: 'fixed', tokens: 256 }),
  requests: positiveInt.max(100_000_000).default(1000),
  /** Built-in trace name (splitwise_conv, splitwise_code, arxiv_summarization) or a CSV path. */
  trace: z.string().min(1).optional(),
  sessions: z
    .strictObject({
      turns: positiveInt.default(1),
      thinkTimeS: nonNegative.default(0),
      systemPromptTokens: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
});

export const PrecisionSchema = z.strictObject({
  weights: dtype.optional(),
  moe: dtype.optional(),
  kv: dtype.optional(),
});

export const SloSchema = z.strictObject({
  ttftMs: finitePositive.optional(),
  tpotMs: finitePositive.optional(),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().default('scenario'),
  seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(1),
  model: z.string().min(1),
  precision: PrecisionSchema.prefault({}),
  backend: z.enum(['vllm', 'trtllm', 'sglang', 'generic']).default('vllm'),
  topology: TopologySchema,
  workload: WorkloadSchema.prefault({}),
  slo: SloSchema.prefault({}),
  /** Extra or overriding devices: a path to a YAML/JSON device file, or the devices inline. */
  hardware: z.union([z.string(), z.strictObject({ devices: z.array(z.unknown()) })]).optional(),
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type PoolConfig = z.output<typeof PoolSchema>;
export type LinkConfig = z.output<typeof LinkSchema>;
export type TopologyConfig = z.output<typeof TopologySchema>;
