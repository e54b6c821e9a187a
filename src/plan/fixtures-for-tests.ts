/**
 * The small planning problem the planner's tests search (not shipped behaviour): a model's fixed 512/128-token
 * requests at 20 req/s, 300 requests per simulation, TTFT p99 ≤ 300 ms and TPOT p99 ≤ 15 ms on H100 and B200.
 */
import type { PlanRequest } from './types.js';

export function smallPlanRequest(modelId: string, over: Partial<PlanRequest> = {}): PlanRequest {
  return {
    base: {
      seed: 3,
      model: modelId,
      workload: { arrival: { kind: 'poisson', ratePerS: 20 }, input: { kind: 'fixed', tokens: 512 }, output: { kind: 'fixed', tokens: 128 }, requests: 300 },
    },
    slo: { ttft: { percentile: 'p99', ms: 300 }, tpot: { percentile: 'p99', ms: 15 }, minTokensPerSPerUser: null },
    hardware: { colocated: ['h100', 'b200'], prefill: ['h100', 'b200'], decode: ['h100', 'b200'] },
    limits: { maxChips: null, maxUsdPerHour: null, maxMW: null },
    topologies: [],
    top: 3,
    waveSize: 4,
    maxSimulationsPerShape: 8,
    shard: null,
    ...over,
  };
}
