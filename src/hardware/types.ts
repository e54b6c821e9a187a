/**
 * Device specs as data. Every figure carries its source; a figure nobody published is `value: null` with a
 * source saying so — never a silent zero.
 */
export interface Figure {
  readonly value: number | null;
  /** URL, file or document the value comes from; for null values, where it was looked for. */
  readonly source: string;
  readonly note?: string;
}

export type DeviceKind = 'gpu' | 'tpu' | 'asic' | 'sram';
export const COMPUTE_DTYPES = ['bf16', 'fp8', 'fp4', 'int8'] as const;
export type ComputeDtype = (typeof COMPUTE_DTYPES)[number];
export const TIER_KINDS = ['sram', 'hbm', 'dram'] as const;
export type TierKind = (typeof TIER_KINDS)[number];

export interface MemoryTier {
  /** Per chip. */
  readonly capacityBytes: Figure;
  /** Per chip, peak. */
  readonly bandwidthBytesPerS: Figure;
}

export interface LinkSpec {
  /** Per chip, per direction. */
  readonly bandwidthBytesPerS: Figure;
  /** One-way latency of a small message. */
  readonly latencyS: Figure;
}

export interface Device {
  /** Short lowercase id: `h100`, `groq3-lpu`, `wse3`. */
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  readonly kind: DeviceKind;
  /** Other accepted names, lowercase: `h100_sxm`, `h100-sxm`. */
  readonly aliases: readonly string[];
  /** Dense (no 2:4 sparsity) peak FLOP/s per dtype, per chip. */
  readonly flopsPerS: Readonly<Record<ComputeDtype, Figure>>;
  readonly memory: Readonly<Record<TierKind, MemoryTier>>;
  /** NVLink-class (or chip-to-chip fabric) link inside a scale-up domain. */
  readonly scaleUp: LinkSpec & {
    readonly domainChips: Figure;
    /**
     * Point-to-point links per chip when the domain is wired as a direct mesh without a switch (AMD's 8-GPU
     * Infinity Fabric platforms): `bandwidthBytesPerS` is then the sum over these links, and a group of n chips
     * reaches only the n − 1 links between its members. Absent: switched, every group gets the full bandwidth.
     */
    readonly pointToPointLinks?: Figure;
  };
  /** Ethernet / InfiniBand between scale-up domains. */
  readonly scaleOut: LinkSpec;
  /** Board/chip power at full load. */
  readonly powerW: Figure;
  /** Rental price per chip-hour. */
  readonly priceUsdPerHour: Figure;
  /** SRAM-centric chip: weights (and KV) must sit in on-chip SRAM, spilling only to `dram` if it has one. */
  readonly weightsInSramOnly: boolean;
  /**
   * Compiler-scheduled dataflow chips (Groq, Cerebras): the fill latency one dependent operator adds — the
   * time a vector takes to cross the matrix array or the layer's region of the mesh. Replaces a GPU's kernel
   * launch and per-kernel floor in the SRAM pipeline model (perf/dataflow-cost.ts). Absent on other chips.
   */
  readonly dataflowOpLatencyS?: Figure;
  readonly sources: readonly string[];
  readonly notes?: string;
}
