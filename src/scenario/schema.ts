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
  /**
   * SRAM-pipelined devices only (weights must sit in on-chip SRAM): `auto` sizes each replica to the fewest
   * chips (tp × pp) whose SRAM holds the weights plus `kvTokens` of KV cache; parallelism is then derived.
   */
  chips: z.literal('auto').optional(),
  /** KV tokens an auto-sized SRAM replica must hold (default: maxNumSeqs × the workload's mean prompt + output). */
  kvTokens: positiveInt.optional(),
});

/**
 * Link classes: `scale-up` (NVLink-class, or an SRAM chip's chip-to-chip fabric) and `scale-out` (Ethernet /
 * InfiniBand) take the devices' catalog figures; `nvlink` and `c2c` are names for scale-up, `ethernet` and
 * `infiniband` for scale-out; `custom` needs both figures.
 */
export const LINK_CLASSES = ['scale-up', 'scale-out', 'custom', 'nvlink', 'c2c', 'ethernet', 'infiniband'] as const;

export const LinkSchema = z.strictObject({
  /** Which of the devices' links carries the traffic; `custom` needs both figures. */
  class: z.enum(LINK_CLASSES).default('scale-out'),
  bandwidthBytesPerS: finitePositive.optional(),
  latencyS: nonNegative.optional(),
});

const probability = z.number().min(0).max(1);

/** Speculative decoding: a draft proposes k tokens per round, the target verifies k + 1 in one step. */
export const SpecSchema = z.strictObject({
  draft: z.discriminatedUnion('kind', [
    /** A draft model (any model id) on its own pool, linked to the target's pool. */
    z.strictObject({
      kind: z.literal('model'),
      model: z.string().min(1),
      pool: PoolSchema,
      link: LinkSchema.prefault({}),
    }),
    /** Prompt-lookup (n-gram) drafting on the target's host: no model, no device time. */
    z.strictObject({ kind: z.literal('ngram') }),
    /** Multi-token-prediction heads run on the target pool: each draft token costs `layers` of the target's layers. */
    z.strictObject({ kind: z.literal('mtp'), layers: positiveInt.default(1) }),
  ]),
  /** Per-token acceptance α (constant), or α for draft positions 1..n (a curve; the last value repeats). */
  acceptance: z.union([probability, z.array(probability).min(1)]),
  /** Draft tokens per round, or `adaptive`: per round, the k ≤ maxK with the most expected tokens per second. */
  k: z.union([positiveInt.max(64), z.literal('adaptive')]).default(4),
  maxK: positiveInt.max(64).default(8),
});

export const TopologySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('colocated'), pool: PoolSchema, spec: SpecSchema.optional() }),
  z.strictObject({
    kind: z.literal('pd'),
    prefill: PoolSchema,
    decode: PoolSchema,
    link: LinkSchema.prefault({}),
    /** `layerwise`: each layer's KV leaves as soon as it is computed; `whole`: after the prefill ends. */
    kvTransfer: z.enum(['layerwise', 'whole']).default('layerwise'),
    spec: SpecSchema.optional(),
  }),
  /**
   * Attention–FFN disaggregation: decode attention on `attention` (the KV cache), decode FFN / experts on `ffn`;
   * each FFN replica serves attention.replicas / ffn.replicas attention replicas. Prefill runs on `prefill` when
   * given (KV sent over `kvLink`), else on the attention pool, which then holds the whole model.
   */
  z.strictObject({
    kind: z.literal('afd'),
    prefill: PoolSchema.optional(),
    attention: PoolSchema,
    ffn: PoolSchema,
    /** Micro-batches ping-ponging between the pools per step, or `auto` (the fastest m ≤ maxMicroBatches). */
    microBatches: z.union([positiveInt.max(64), z.literal('auto')]).default('auto'),
    maxMicroBatches: positiveInt.max(64).default(8),
    /** The attention ↔ FFN link: two activation hops per layer per micro-batch. */
    link: LinkSchema.prefault({}),
    /** The prefill → attention KV link (with a prefill pool). */
    kvLink: LinkSchema.prefault({}),
    kvTransfer: z.enum(['layerwise', 'whole']).default('layerwise'),
    spec: SpecSchema.optional(),
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
export type SpecConfig = z.output<typeof SpecSchema>;
