import type { Scenario } from '../scenario/schema.js';
import type { LengthSpec, Trace } from '../workload/types.js';

/** What the analytic bounds need to know about a workload: its rate and the lengths of what it sends. */
export interface WorkloadStats {
  /** Open-loop arrival rate (requests/s). */
  readonly ratePerS: number;
  readonly meanPromptTokens: number;
  readonly meanOutputTokens: number;
  readonly maxPromptTokens: number;
  readonly maxOutputTokens: number;
  /** Prompt length at quantile q (0..1) of the requests simulated. */
  readonly promptTokensAt: (q: number) => number;
}

/**
 * Lengths come from the rows the simulator will replay (the trace's first `requests` rows, in order) or from the
 * length distribution; sessions with several turns grow prompts, which these first-turn figures ignore (the
 * bounds are then optimistic, and the simulation decides).
 */
export function workloadStats(scenario: Scenario, trace: Trace | null): WorkloadStats {
  const w = scenario.workload;
  const n = w.requests;
  const rows = trace?.rows ?? [];
  const take = <T>(f: (i: number) => T): T[] => {
    const out: T[] = [];
    for (let i = 0; i < n && rows.length > 0; i++) out.push(f(i % rows.length));
    return out;
  };
  const prompts = w.input.kind === 'trace' ? take((i) => rows[i]!.promptTokens) : null;
  const outputs = w.output.kind === 'trace' ? take((i) => rows[i]!.outputTokens) : null;
  const sortedPrompts = prompts ? [...prompts].sort((a, b) => a - b) : null;
  const extra = w.sessions.systemPromptTokens;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    ratePerS: rateOf(scenario, trace),
    meanPromptTokens: (prompts ? mean(prompts) : meanOf(w.input)) + extra,
    meanOutputTokens: outputs ? mean(outputs) : meanOf(w.output),
    maxPromptTokens: (sortedPrompts ? sortedPrompts[sortedPrompts.length - 1]! : maxOf(w.input)) + extra,
    maxOutputTokens: outputs ? Math.max(...outputs) : maxOf(w.output),
    promptTokensAt: (q) =>
      extra + (sortedPrompts ? sortedPrompts[Math.min(sortedPrompts.length - 1, Math.floor(q * sortedPrompts.length))]! : quantileOf(w.input, q)),
  };
}

function rateOf(s: Scenario, trace: Trace | null): number {
  const a = s.workload.arrival;
  switch (a.kind) {
    case 'poisson':
    case 'gamma':
      return a.ratePerS;
    case 'trace': {
      if (a.ratePerS !== null) return a.ratePerS;
      const rows = trace?.rows ?? [];
      const span = (rows[rows.length - 1]?.arrivalS ?? 0) - (rows[0]?.arrivalS ?? 0);
      return rows.length > 1 && span > 0 ? (rows.length - 1) / span : Number.NaN;
    }
    case 'closed':
      return Number.NaN;
  }
}

function meanOf(l: LengthSpec): number {
  switch (l.kind) {
    case 'fixed':
      return l.tokens;
    case 'uniform':
      return (l.min + l.max) / 2;
    case 'lognormal':
      return l.mean;
    case 'trace':
      return Number.NaN;
  }
}

function maxOf(l: LengthSpec): number {
  switch (l.kind) {
    case 'fixed':
      return l.tokens;
    case 'uniform':
    case 'lognormal':
      return l.max;
    case 'trace':
      return Number.NaN;
  }
}

function quantileOf(l: LengthSpec, q: number): number {
  switch (l.kind) {
    case 'fixed':
      return l.tokens;
    case 'uniform':
      return l.min + q * (l.max - l.min);
    case 'lognormal': {
      const sigma2 = Math.log(1 + l.cv * l.cv);
      const mu = Math.log(l.mean) - sigma2 / 2;
      return Math.min(l.max, Math.max(l.min, Math.exp(mu + Math.sqrt(sigma2) * normalQuantile(q))));
    }
    case 'trace':
      return Number.NaN;
  }
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
