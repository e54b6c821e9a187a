import type { Scenario } from '../scenario/schema.js';
import { canonicalJson } from './canonical.js';
import type { Evaluation } from './types.js';

/**
 * Simulation results by scenario (the simulator is deterministic: same scenario, same result), so no scenario is
 * simulated twice in a search, and a saved cache makes a re-run with other limits nearly free.
 */
export class EvalCache {
  private readonly byKey = new Map<string, Promise<Evaluation>>();
  hits = 0;
  misses = 0;

  static keyOf(s: Scenario): string {
    return canonicalJson(s);
  }

  /** The cached result, or `run()`'s (stored before it resolves, so concurrent askers share one simulation). */
  get(s: Scenario, run: () => Promise<Evaluation>): Promise<Evaluation> {
    const key = EvalCache.keyOf(s);
    const hit = this.byKey.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const p = run();
    this.byKey.set(key, p);
    return p;
  }

  /** Settled entries, for saving. */
  async entries(): Promise<Array<[string, Evaluation]>> {
    const out: Array<[string, Evaluation]> = [];
    for (const [k, p] of this.byKey) out.push([k, await p]);
    return out;
  }

  static from(entries: Iterable<readonly [string, Evaluation]>): EvalCache {
    const c = new EvalCache();
    for (const [k, v] of entries) c.byKey.set(k, Promise.resolve(v));
    return c;
  }

  get size(): number {
    return this.byKey.size;
  }
}
