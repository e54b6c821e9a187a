import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ScenarioInput } from '../scenario/schema.js';
import type { RoleConfig, ValidationRow } from './rows.js';

/** How a measured row is replayed: the scenario, and whether the deployment was fully given or inferred. */
export type RowPlan =
  | { readonly ok: true; readonly scenario: ScenarioInput; readonly configKnown: boolean }
  | { readonly ok: false; readonly reason: string };

export interface RowEnv {
  /** The catalog device for a system name, or null. */
  readonly device: (system: string) => Device | null;
  readonly hasModel: (id: string) => boolean;
}

/** Quantization mode of the CSV → phasewise dtype. */
export function dtypeOfQuantMode(mode: string, precision: string): Dtype | null {
  switch (mode) {
    case 'fp8':
    case 'fp8_block':
    case 'fp8_static':
      return 'fp8';
    case 'nvfp4':
    case 'mxfp4':
    case 'w4afp8':
      return 'fp4';
    case 'int4_wo':
    case 'w4a16':
      return 'int4';
    case 'int8_wo':
    case 'int8':
      return 'int8';
    case 'float16':
    case 'fp16':
      return 'fp16';
    case 'bfloat16':
    case 'bf16':
      return 'bf16';
    case '':
      return precision === '' || precision === 'bf16' ? 'bf16' : dtypeOfQuantMode(precision, '');
    default:
      return null;
  }
}

/**
 * Engine defaults that shape a benchmark's batches (documented in docs/validation.md): the token budget per
 * step, and the KV block size. Requests per replica are capped by the client count, never by us.
 */
const BACKEND_DEFAULTS: Readonly<Record<string, { maxNumBatchedTokens: number; blockSizeTokens: number }>> = {
  // TensorRT-LLM max_num_tokens 8192, tokens_per_block 32.
  trtllm: { maxNumBatchedTokens: 8192, blockSizeTokens: 32 },
  // vLLM V1 online-serving max_num_batched_tokens 8192 on large GPUs, block_size 16.
  vllm: { maxNumBatchedTokens: 8192, blockSizeTokens: 16 },
  // SGLang chunked_prefill_size 8192 on large GPUs; page size 1 (16 used as cost-neutral block).
  sglang: { maxNumBatchedTokens: 8192, blockSizeTokens: 16 },
};

/** Build the scenario that replays a row as its benchmark ran: a closed loop of `concurrency` clients. */
export function planRow(row: ValidationRow, env: RowEnv): RowPlan {
  const device = env.device(row.system);
  if (!device) return { ok: false, reason: `unknown system ${row.system}` };
  if (!env.hasModel(row.modelPath)) return { ok: false, reason: `no config for model ${row.modelPath}` };
  const weights = dtypeOfQuantMode(row.gemmQuantMode, row.precision);
  const moe = dtypeOfQuantMode(row.moeQuantMode, row.precision) ?? weights;
  if (!weights || !moe) return { ok: false, reason: `unsupported quantization ${row.gemmQuantMode}/${row.moeQuantMode}` };
  const backend: 'trtllm' | 'vllm' | 'sglang' | null =
    row.backend === 'trtllm' || row.backend === 'vllm' || row.backend === 'sglang' ? row.backend : null;
  if (!backend) return { ok: false, reason: `unknown backend ${row.backend}` };
  const defaults = BACKEND_DEFAULTS[backend]!;
  const pool = (role: RoleConfig, replicas: number, maxSeqsPerRank: number) => ({
    device: device.id,
    replicas,
    parallelism: { tp: role.tp, pp: role.pp, dp: role.dp, ep: role.ep, ...(role.moeTp !== null ? { moeTp: role.moeTp } : {}) },
    scheduler: {
      maxNumBatchedTokens: defaults.maxNumBatchedTokens,
      maxNumSeqs: Math.max(1, maxSeqsPerRank),
      blockSizeTokens: defaults.blockSizeTokens,
      chunkedPrefill: true,
      prefixCaching: false,
    },
    router: 'least-loaded' as const,
  });
  const c = row.concurrency;
  const workload = {
    arrival: { kind: 'closed' as const, concurrency: c, thinkTimeS: 0 },
    input: { kind: 'fixed' as const, tokens: row.isl },
    output: { kind: 'fixed' as const, tokens: row.osl },
    // Two rounds of every client: the first wave and one in steady state.
    requests: 2 * c,
  };
  const base = { name: row.id, seed: 1, model: row.modelPath, precision: { weights, moe }, backend };
  if (row.mode === 'agg') {
    const agg = row.agg!;
    return {
      ok: true,
      configKnown: true,
      scenario: { ...base, workload, topology: { kind: 'colocated', pool: pool(agg, 1, Math.ceil(c / agg.dp)) } },
    };
  }
  const p = row.prefill!;
  const d = row.decode!;
  const known = p.workers !== null && d.workers !== null;
  const inferred = known ? { prefillWorkers: p.workers!, decodeWorkers: d.workers! } : inferDisaggWorkers(row, p, d);
  const decodeSeqsPerRank = d.batch ?? Math.ceil(c / (inferred.decodeWorkers * d.dp));
  const prefillSeqsPerRank = p.batch ?? Math.ceil(c / (inferred.prefillWorkers * p.dp));
  const chips = inferred.prefillWorkers * p.tp * p.pp * p.dp + inferred.decodeWorkers * d.tp * d.pp * d.dp;
  const domain = device.scaleUp.domainChips.value ?? 8;
  return {
    ok: true,
    configKnown: known,
    scenario: {
      ...base,
      workload,
      topology: {
        kind: 'pd',
        prefill: pool(p, inferred.prefillWorkers, prefillSeqsPerRank),
        decode: pool(d, inferred.decodeWorkers, decodeSeqsPerRank),
        // Workers inside one NVLink domain move KV over NVLink (NIXL); otherwise over the scale-out NICs.
        link: { class: chips <= domain ? ('scale-up' as const) : ('scale-out' as const) },
        kvTransfer: 'layerwise' as const,
      },
    },
  };
}

function inferDisaggWorkers(_row: ValidationRow, _p: RoleConfig, _d: RoleConfig): { prefillWorkers: number; decodeWorkers: number } {
  return { prefillWorkers: 1, decodeWorkers: 1 };
}
