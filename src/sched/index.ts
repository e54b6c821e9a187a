/** The scheduler's public surface: what the simulator (`sim/`) and the engine (`engine/`) import. */
export type * from './types.js';
export { Scheduler, type AddResult, type AddRejectCode, type RequestStatus, type RequestView } from './scheduler.js';
export { KvBlockManager, type PrefixCacheStats, type PrefixHit } from './kv-block-manager.js';
export {
  ROUTER_NAMES,
  leastLoaded,
  makeRouter,
  prefixAware,
  roundRobin,
  type PrefixAwareOptions,
  type Router,
  type RouterContext,
  type RouterName,
} from './router.js';
