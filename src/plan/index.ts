/**
 * The planner: search over deployments for the cheapest that meets an SLO, load sweeps and Pareto frontiers,
 * sharding and merging. Pure: the simulator comes in as an `evaluate` function (worker threads in the CLI, a Web
 * Worker in the browser). See docs/planner.md.
 */
export * from './types.js';
export { planDeployments, sortChoices, requestKeyOf } from './search.js';
export { EvalCache } from './cache.js';
export { canonicalJson, fnv1a64 } from './canonical.js';
export { paretoIndices } from './pareto.js';
export {
  sweepFrontiers,
  frontierJobs,
  assembleFrontiers,
  frontierRequestKey,
  defaultLoads,
  pointOf,
  seatsOf,
  yOf,
  PER_WHAT,
  type Frontier,
  type FrontierInput,
  type FrontierJob,
  type FrontierOptions,
  type FrontierPoint,
  type FrontierResult,
  type LoadKind,
  type PerWhat,
} from './frontier.js';
export { parseShard, checkShardSet, mergePlans, mergeFrontiers } from './shard.js';
export { GENERATORS, generatorKinds } from './generators/index.js';
export { checkBounds, describeCheck } from './slo.js';
export { workloadStats, type WorkloadStats } from './workload-stats.js';
export { defaultDraftModels, SPEC_DEFAULTS } from './drafts.js';
