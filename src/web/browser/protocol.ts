import type { FrontierResult, PerWhat } from '../../plan/frontier.js';
import type { PlanResult, TopologyInput } from '../../plan/types.js';
import type { Metrics } from '../../sim/metrics.js';

/** Messages between the page and its Web Worker (which runs the simulator; the page only draws). */

export interface UiWorkload {
  /** Built-in trace for the lengths, or null for fixed lengths. */
  readonly trace: string | null;
  readonly isl: number;
  readonly osl: number;
  readonly ratePerS: number;
}

export interface UiDeployment {
  readonly label: string;
  readonly topology: TopologyInput;
}

export interface UiRunRequest {
  readonly model: string;
  readonly workload: UiWorkload;
  readonly slo: { readonly ttftMs: number; readonly tpotMs: number };
  readonly deployments: readonly UiDeployment[];
  readonly per: PerWhat;
  readonly points: readonly number[];
  readonly requestsPerClient: number;
  readonly minRequests: number;
  /** Requests of the run at the workload's rate (latency CDFs, utilisation). */
  readonly detailRequests: number;
}

export interface UiPlanRequest {
  readonly model: string;
  readonly workload: UiWorkload;
  readonly slo: { readonly ttftMs: number; readonly tpotMs: number };
  readonly hardware: readonly string[];
  readonly maxUsdPerHour: number | null;
  readonly requests: number;
}

export interface DeploymentDetail {
  readonly label: string;
  readonly error: string | null;
  readonly metrics: Metrics | null;
  readonly chips: number | null;
}

export type ToWorker =
  | { readonly type: 'init' }
  | { readonly type: 'run'; readonly id: number; readonly request: UiRunRequest }
  | { readonly type: 'plan'; readonly id: number; readonly request: UiPlanRequest };

export interface FigureLink {
  readonly value: number | null;
  readonly source: string;
  readonly note?: string;
}

export interface DeviceInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly figures: Readonly<Record<string, FigureLink>>;
}

export type FromWorker =
  | { readonly type: 'catalog'; readonly models: readonly string[]; readonly devices: readonly DeviceInfo[]; readonly traces: readonly string[] }
  | { readonly type: 'progress'; readonly id: number; readonly done: number; readonly total: number }
  | {
      readonly type: 'run-result';
      readonly id: number;
      readonly frontiers: FrontierResult | null;
      readonly details: readonly DeploymentDetail[];
      /** The per-layer timeline of the first AFD deployment's decode step, when the simulator reports one. */
      readonly afd: AfdTimeline | null;
      readonly errors: readonly string[];
    }
  | { readonly type: 'plan-result'; readonly id: number; readonly plan: PlanResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** What the page draws of an AFD run: the first layers' operations at the mean batch (sim/afd.ts AfdReport). */
export interface AfdTimeline {
  readonly label: string;
  readonly microBatches: number;
  readonly stepS: number;
  readonly perLayer: { readonly attentionS: number; readonly ffnS: number; readonly hopS: number };
  readonly ops: ReadonlyArray<{ kind: string; layer: number; microBatch: number; startS: number; endS: number }>;
}
