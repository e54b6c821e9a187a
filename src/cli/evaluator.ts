import os from 'node:os';
import { Piscina } from 'piscina';
import { UsageError } from '../core/errors.js';
import type { Evaluation } from '../plan/types.js';
import type { Scenario } from '../scenario/schema.js';
import { evaluateScenario } from './eval-worker.js';

export interface Evaluator {
  readonly evaluate: (s: Scenario) => Promise<Evaluation>;
  readonly threads: number;
  close(): Promise<void>;
}

/** Default thread count: every core the process may use. */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}

export function parseJobs(text: string | undefined): number {
  if (text === undefined) return defaultJobs();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError('--jobs', text, 'an integer from 1 to 1024 (worker threads)');
  return n;
}

/**
 * Simulations spread over worker threads (piscina), one per core by default; with one job they run on this
 * thread. Results do not depend on the thread count: each simulation is deterministic and the planner orders its
 * work independently of completion times.
 */
export function makeEvaluator(jobs: number): Evaluator {
  if (jobs <= 1) {
    return { evaluate: async (s) => evaluateScenario(s), threads: 1, close: async () => {} };
  }
  // Started on the first evaluation: a command that rejects its input before simulating anything exits without
  // worker threads still loading their modules (Node aborts the process when it exits under a loading worker).
  let pool: Piscina | null = null;
  const started = (): Piscina =>
    (pool ??= new Piscina({
      filename: new URL('./eval-worker.js', import.meta.url).href,
      minThreads: jobs,
      maxThreads: jobs,
      idleTimeout: 60_000,
    }));
  return {
    evaluate: (s) => started().run({ scenario: s }) as Promise<Evaluation>,
    threads: jobs,
    close: async () => {
      if (pool) await pool.destroy();
    },
  };
}
