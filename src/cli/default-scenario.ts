import type { ScenarioInput } from '../scenario/schema.js';

/**
 * What `phasewise simulate` runs with no scenario: Llama-3.1-70B served by vLLM on two replicas of 4×H100,
 * a Poisson stream of chat-sized requests. Small enough to finish in a few seconds, big enough to show queueing.
 */
export const DEFAULT_SCENARIO: ScenarioInput = {
  name: 'default: Llama-3.1-70B on 2 × (4 × H100), vLLM, Poisson 4 req/s',
  seed: 1,
  model: 'meta-llama/Llama-3.1-70B',
  backend: 'vllm',
  topology: {
    kind: 'colocated',
    pool: { device: 'h100', replicas: 2, parallelism: { tp: 4 } },
  },
  workload: {
    arrival: { kind: 'poisson', ratePerS: 4 },
    input: { kind: 'lognormal', mean: 1024, cv: 1, min: 16, max: 8192 },
    output: { kind: 'lognormal', mean: 256, cv: 1, min: 4, max: 2048 },
    requests: 2000,
  },
  slo: { ttftMs: 1000, tpotMs: 50 },
};
