import type { z } from 'zod';
import type { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import type { MemoryPlan, PerfContext, StepShape, StepTime } from '../perf/types.js';
import type { Scenario, ScenarioInput, TopologySchema } from '../scenario/schema.js';
import type { AfdReport } from '../sim/afd.js';
import type { Metrics } from '../sim/metrics.js';
import type { Trace } from '../workload/types.js';

/** The three percentiles the simulator reports, and so the ones an SLO can name. */
export const PERCENTILES = ['p50', 'p90', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

/** One latency target: `percentile` of the metric at most `ms`. */
export interface LatencyTarget {
  readonly percentile: Percentile;
  readonly ms: number;
}

export interface PlanSlo {
  readonly ttft: LatencyTarget | null;
  readonly tpot: LatencyTarget | null;
  /** Mean decode speed each user sees (metrics.tokensPerSPerUser), at least. */
  readonly minTokensPerSPerUser: number | null;
}

export interface PlanLimits {
  readonly maxChips: number | null;
  readonly maxUsdPerHour: number | null;
  /** Megawatts at the chips' rated power. */
  readonly maxMW: number | null;
}

/** The pool roles a deployment can have; a generator says which it uses. */
export type Role = 'colocated' | 'prefill' | 'decode';
export const ROLES: readonly Role[] = ['colocated', 'prefill', 'decode'];

/**
 * What to plan: everything of a scenario except the deployment (`base`), the SLO, the devices each role may
 * use, and the search settings. `base` is a scenario without `topology`; its `slo` is overwritten from `slo`.
 */
export interface PlanRequest {
  readonly base: Omit<ScenarioInput, 'topology'>;
  readonly slo: PlanSlo;
  readonly hardware: Readonly<Record<Role, readonly string[]>>;
  readonly limits: PlanLimits;
  /** Generator kinds to search (see generators.ts); empty = all. */
  readonly topologies: readonly string[];
  /** How many deployments to return, cheapest first. */
  readonly top: number;
  /** Shapes searched concurrently between two pruning points; fixed so results do not depend on core count. */
  readonly waveSize: number;
  /** Simulations at most per shape before it is given up. */
  readonly maxSimulationsPerShape: number;
  /** Run only shapes whose index in the sorted list ≡ index (mod count). */
  readonly shard: Shard | null;
  /**
   * Speculative decoding (the `spec` generator): the per-token acceptance α the drafts are assumed to reach, the
   * largest draft length k tried, and the draft models by id (empty: the default rule, see drafts.ts). Absent: the
   * defaults of SPEC_DEFAULTS.
   */
  readonly spec?: SpecSearch;
}

export interface SpecSearch {
  readonly acceptance: number;
  readonly maxK: number;
  readonly draftModels: readonly string[];
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export type TopologyInput = z.input<typeof TopologySchema>;

/** What the core needs that the request only names, and the simulator, injected (files and threads live outside). */
export interface PlanDeps {
  readonly catalog: Catalog;
  readonly model: ModelArch;
  readonly trace: Trace | null;
  readonly memoryPlan: (ctx: PerfContext, opts: { reserveFraction: number }) => MemoryPlan;
  readonly makeStepCost: (ctx: PerfContext) => (shape: StepShape) => StepTime;
  /** Draft models the `spec` generator may use, already loaded (the CLI reads files, the browser its bundle). */
  readonly draftModels?: readonly ModelArch[];
  /** Simulate one scenario. The CLI spreads calls over worker threads; the browser runs them in its worker. */
  readonly evaluate: (scenario: Scenario) => Promise<Evaluation>;
  readonly onProgress?: (p: PlanProgress) => void;
}

export type Evaluation =
  | {
      readonly ok: true;
      readonly chips: number;
      readonly metrics: Metrics;
      readonly scenario: Scenario;
      readonly warnings: readonly string[];
      /** AFD deployments: the per-layer pipeline (what `simulate --json` prints as `afd`). */
      readonly afd?: AfdReport;
    }
  /** The deployment could not be built (does not fit, bad parallelism): the message of the UsageError. */
  | { readonly ok: false; readonly error: string };

export interface PlanProgress {
  readonly shapesDone: number;
  readonly shapesTotal: number;
  readonly simulations: number;
}

/** A measured figure against its limit; `ratio` = value/limit for upper limits (≤ 1 passes), limit/value for lower ones. */
export interface BoundCheck {
  readonly name: string;
  readonly value: number | null;
  readonly limit: number;
  readonly unit: string;
  readonly ratio: number;
  readonly ok: boolean;
  /** Which pool slot more of would help, when it fails (indices into the shape's slots). */
  readonly kind: 'ttft' | 'tpot' | 'user-speed' | 'rejected' | 'chips' | 'usd' | 'mw';
}

/** A deployment the planner recommends. */
export interface PlanChoice {
  readonly rank: number;
  readonly key: string;
  readonly label: string;
  readonly kind: string;
  readonly usdPerHour: number;
  readonly chips: number;
  readonly counts: readonly number[];
  /** A complete scenario: `phasewise simulate` on it prints `metrics`. */
  readonly scenario: Scenario;
  readonly metrics: Metrics;
  readonly warnings: readonly string[];
  /** Every SLO and limit, tightest first. */
  readonly bounds: readonly BoundCheck[];
  /** Why not smaller: what happened (or what the bound says) with one replica fewer in each pool. */
  readonly whyNotSmaller: readonly string[];
  /** What the generator chose analytically and why (AFD ratio and micro-batches, speculative k). */
  readonly notes: readonly string[];
}

export interface SkippedItem {
  /** A device id, or a shape label. */
  readonly what: string;
  readonly role: string;
  readonly reason: string;
}

export interface ShapeOutcome {
  readonly key: string;
  readonly label: string;
  readonly status: 'found' | 'pruned' | 'infeasible' | 'gave-up';
  readonly reason: string | null;
  readonly lowerBoundUsdPerHour: number;
  readonly simulations: number;
}

export interface PlanSearchStats {
  readonly shapes: number;
  readonly shapesInShard: number;
  readonly prunedByBound: number;
  readonly infeasibleByBound: number;
  readonly searched: number;
  readonly simulations: number;
  readonly cacheHits: number;
  readonly requestsPerSimulation: number;
}

export interface PlanResult {
  readonly kind: 'plan';
  /** Identifies the question, so shards of one plan can be told from another's. */
  readonly requestKey: string;
  readonly shard: Shard | null;
  /** How many deployments were asked for. */
  readonly top: number;
  readonly best: readonly PlanChoice[];
  readonly skipped: readonly SkippedItem[];
  readonly shapes: readonly ShapeOutcome[];
  readonly search: PlanSearchStats;
  /** Why `best` is empty, when it is. */
  readonly message: string | null;
}
