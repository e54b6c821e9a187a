/** What the workload of a scenario is: how requests arrive and how long their prompts and outputs are. */

export type LengthSpec =
  | { readonly kind: 'fixed'; readonly tokens: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  /** Log-normal with the given mean and coefficient of variation, clamped to [min, max]. */
  | { readonly kind: 'lognormal'; readonly mean: number; readonly cv: number; readonly min: number; readonly max: number }
  /** Take the lengths from the scenario's trace (row by row). */
  | { readonly kind: 'trace' };

export type ArrivalSpec =
  | { readonly kind: 'poisson'; readonly ratePerS: number }
  /** Gamma inter-arrivals: cv > 1 is bursty, cv = 1 is Poisson. */
  | { readonly kind: 'gamma'; readonly ratePerS: number; readonly cv: number }
  /** N clients each sending its next request when the last one finished (plus think time): how benchmarks run. */
  | { readonly kind: 'closed'; readonly concurrency: number; readonly thinkTimeS: number }
  /** Arrival times from the trace, optionally rescaled to a target mean rate. */
  | { readonly kind: 'trace'; readonly ratePerS: number | null };

/** One row of a request trace. */
export interface TraceRow {
  readonly arrivalS: number | null;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

export interface Trace {
  readonly name: string;
  readonly rows: readonly TraceRow[];
}

export interface SessionSpec {
  /** Turns per conversation; turn t's prompt is the whole history plus new user tokens. 1 = independent requests. */
  readonly turns: number;
  /** Seconds between a turn's answer and the next turn. */
  readonly thinkTimeS: number;
  /** A system prompt of this many tokens shared by every request (prefix-cacheable). */
  readonly systemPromptTokens: number;
}

export interface WorkloadSpec {
  readonly arrival: ArrivalSpec;
  readonly input: LengthSpec;
  readonly output: LengthSpec;
  /** Requests to issue in all. */
  readonly numRequests: number;
  readonly sessions: SessionSpec;
  readonly trace: Trace | null;
}

/** A request as the simulator receives it. */
export interface WorkloadRequest {
  readonly id: number;
  readonly arrivalS: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** Conversation it belongs to; its tokens are append-only across turns, which is what makes prefixes shareable. */
  readonly sessionId: number;
  readonly turn: number;
  /** No later turn of this conversation follows, so no later request shares its blocks past its history. */
  readonly lastTurn: boolean;
  /** Leading prompt tokens earlier requests of the conversation had (system prompt + previous turns' tokens). */
  readonly historyTokens: number;
  /** Leading prompt tokens shared by every request (system prompt). */
  readonly sharedPrefixTokens: number;
}
