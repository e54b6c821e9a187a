import { Rng } from '../core/rng.js';
import type { ValidationRow } from './rows.js';

/**
 * How the benchmark behind a measured row ran its clients (docs/validation.md, "Benchmark protocol"). The rows
 * come from two harnesses, told apart by their provenance (`silicon_data_source`):
 *
 * - InferenceX (SemiAnalysis; provenance with `image=`, `db-dump/` or `model=`): `benchmark_serving.py` with
 *   `--max-concurrency C --num-prompts 10·C --request-rate inf --ignore-eos --random-range-ratio 0.8` after
 *   `--num-warmups 2·C` separate warm-up requests. Each prompt and output length is drawn uniformly from
 *   [⌊0.8·L⌋, L]. Reported: the mean over the 10·C requests.
 * - NVIDIA's aiconfigurator gap analysis (provenance `aic-auto-gap-analysis`, its per-system/backend/version
 *   files): fixed ISL and OSL (every request exactly L tokens), the same closed loop of C clients and 10·C requests.
 *   A file merely named `…gap-analysis.csv` outside that tree is a compilation, not the harness: 58 of the 59 rows
 *   of `qwen3.5-397b-gap-analysis.csv` repeat an InferenceX row's measured TTFT and TPOT to within 0.2 %
 *   (docs/validation.md, "Benchmark protocol"), so such rows are InferenceX runs.
 *
 * In both, the C clients send their first request together and each sends its next one as soon as the previous
 * one has finished; warm-up requests are not part of the metrics (the server is warm).
 */
export interface BenchProtocol {
  readonly harness: 'inferencex' | 'aiconfigurator';
  /** Requests per client over the measured run. */
  readonly requestsPerClient: number;
  /** Lower end of the uniform length draw as a fraction of the nominal length (1 = fixed lengths). */
  readonly lengthRangeRatio: number;
}

export const INFERENCEX_PROTOCOL: BenchProtocol = { harness: 'inferencex', requestsPerClient: 10, lengthRangeRatio: 0.8 };
export const AICONFIGURATOR_PROTOCOL: BenchProtocol = { harness: 'aiconfigurator', requestsPerClient: 10, lengthRangeRatio: 1 };

export function protocolOf(row: ValidationRow): BenchProtocol {
  const s = row.source;
  if (/aic-auto-gap-analysis/.test(s)) return AICONFIGURATOR_PROTOCOL;
  return INFERENCEX_PROTOCOL;
}

/**
 * The requests of the run (seeded): prompt and output lengths drawn as the harness draws them, and the time the
 * serving frontend spends on each before the scheduler sees it (`frontend.requestS` + `frontend.perPromptTokenS`
 * × prompt tokens: parsing and tokenisation).
 */
export function drawRequests(
  protocol: BenchProtocol,
  isl: number,
  osl: number,
  clients: number,
  frontend: { readonly requestS: number; readonly perPromptTokenS: number },
  seed = 1,
  clientJitterS = 0,
): { promptTokens: number[]; outputTokens: number[]; frontendServiceS: number[]; clientDelayS: number[] } {
  const n = protocol.requestsPerClient * clients;
  const rng = new Rng(seed);
  const uniform = (len: number): number => {
    const lo = Math.max(1, Math.floor(len * protocol.lengthRangeRatio));
    return lo >= len ? len : lo + rng.int(len - lo + 1);
  };
  const promptTokens = new Array<number>(n);
  const outputTokens = new Array<number>(n);
  const frontendServiceS = new Array<number>(n);
  const clientDelayS = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    promptTokens[i] = uniform(isl);
    outputTokens[i] = uniform(osl);
    frontendServiceS[i] = frontend.requestS + frontend.perPromptTokenS * promptTokens[i]!;
  }
  // Drawn after the lengths so that the lengths do not depend on the jitter.
  for (let i = 0; i < n; i++) clientDelayS[i] = clientJitterS > 0 ? rng.exponential(clientJitterS) : 0;
  return { promptTokens, outputTokens, frontendServiceS, clientDelayS };
}
