/**
 * Routers pick the replica (of a pool) that receives a new request, from each replica's load and, for
 * prefix-aware routing, how much of the request's prompt each replica already has cached. Pure functions of
 * their inputs (round-robin keeps a counter in its closure); the caller owns the replicas.
 */
import type { ReplicaLoad } from './types.js';

export interface RouterContext {
  /** The request's chained prompt block hashes, when it has any. */
  readonly blockHashes?: readonly number[];
  /** Leading prompt blocks cached on a replica, e.g. `(r) => schedulers[r].cachedPrefixBlocks(hashes)`. */
  readonly prefixHits?: (replica: number) => number;
}

/** Returns the index in `loads` of the replica that gets the request. */
export type Router = (loads: readonly ReplicaLoad[], ctx: RouterContext) => number;

export const ROUTER_NAMES = ['round-robin', 'least-loaded', 'prefix-aware'] as const;
export type RouterName = (typeof ROUTER_NAMES)[number];

/** Requests a replica holds: the queue a new request joins. */
function numRequests(load: ReplicaLoad): number {
  return load.numWaiting + load.numRunning;
}

/** Fewer requests first, then lower KV usage (less preemption risk); equal loads keep the lower index. */
function isLessLoaded(a: ReplicaLoad, b: ReplicaLoad): boolean {
  const na = numRequests(a);
  const nb = numRequests(b);
  return na < nb || (na === nb && a.kvUsage < b.kvUsage);
}

function checkReplicas(loads: readonly ReplicaLoad[], who: string): void {
  if (loads.length === 0) throw new Error(`${who}: no replicas to route to; accepted: at least one ReplicaLoad.`);
}

function argLeastLoaded(loads: readonly ReplicaLoad[]): number {
  let best = 0;
  for (let r = 1; r < loads.length; r++) if (isLessLoaded(loads[r]!, loads[best]!)) best = r;
  return best;
}

/** Replica 0, 1, 2, ... in turn, whatever their load. Each call of roundRobin() starts its own cycle. */
export function roundRobin(): Router {
  let next = 0;
  return (loads) => {
    checkReplicas(loads, 'roundRobin');
    const r = next % loads.length;
    next = r + 1;
    return r;
  };
}

/** Fewest waiting + running requests; ties by KV usage, then the lowest index. */
export function leastLoaded(): Router {
  return (loads) => {
    checkReplicas(loads, 'leastLoaded');
    return argLeastLoaded(loads);
  };
}

export interface PrefixAwareOptions {
  /** A replica may hold this many more requests than the least loaded one and still be chosen for a hit. */
  readonly loadSlackRequests?: number;
  /** ... or this fraction more than the least loaded one, whichever allows more. */
  readonly loadSlackFraction?: number;
}

/**
 * Most cached prefix blocks wins, among replicas not far more loaded than the least loaded one: replica r is a
 * candidate when requests(r) ≤ min + max(loadSlackRequests, loadSlackFraction × min), where requests = waiting
 * + running and min is the least over all replicas (defaults 4 and 0.25). Ties on hits go to the less loaded;
 * no hit anywhere (or no hashes) falls back to least-loaded. The slack bounds how much queueing a cache hit may
 * buy: a hit saves prefill compute, a longer queue costs every request on it.
 */
export function prefixAware(opts: PrefixAwareOptions = {}): Router {
  const slackRequests = opts.loadSlackRequests ?? 4;
  const slackFraction = opts.loadSlackFraction ?? 0.25;
  if (!(slackRequests >= 0) || !(slackFraction >= 0))
    throw new Error(`prefixAware: load slack is ${slackRequests} requests / ${slackFraction}; accepted: numbers ≥ 0.`);
  return (loads, ctx) => {
    checkReplicas(loads, 'prefixAware');
    const leastIdx = argLeastLoaded(loads);
    const { prefixHits, blockHashes } = ctx;
    if (prefixHits === undefined || (blockHashes !== undefined && blockHashes.length === 0)) return leastIdx;
    const minRequests = numRequests(loads[leastIdx]!);
    const maxRequests = minRequests + Math.max(slackRequests, slackFraction * minRequests);
    let best = -1;
    let bestHits = 0;
    for (let r = 0; r < loads.length; r++) {
      const load = loads[r]!;
      if (numRequests(load) > maxRequests) continue;
      const hits = prefixHits(r);
      if (hits > bestHits || (hits === bestHits && hits > 0 && isLessLoaded(load, loads[best]!))) {
        best = r;
        bestHits = hits;
      }
    }
    return best >= 0 ? best : leastIdx;
  };
}

export function makeRouter(name: RouterName, opts: PrefixAwareOptions = {}): Router {
  switch (name) {
    case 'round-robin':
      return roundRobin();
    case 'least-loaded':
      return leastLoaded();
    case 'prefix-aware':
      return prefixAware(opts);
    default: {
      const unknown: never = name;
      throw new Error(`makeRouter: router ${JSON.stringify(unknown)}; accepted: ${ROUTER_NAMES.join(', ')}.`);
    }
  }
}
