/**
 * The engine's view of a Hugging Face `config.json`: the Llama family it can execute (Llama 2/3.x, Mistral,
 * Qwen2, Qwen3 dense). Anything else is refused with a UsageError naming the field, before any weight is read.
 */
import { UsageError } from '../core/errors.js';

export type EngineArch = 'llama' | 'qwen2' | 'qwen3';

/** Rotary-embedding frequency scaling, as in transformers' `ROPE_INIT_FUNCTIONS`. */
export type RopeScaling =
  | { readonly kind: 'none' }
  | { readonly kind: 'linear'; readonly factor: number }
  | {
      readonly kind: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    };

export interface EngineConfig {
  readonly arch: EngineArch;
  /** The `architectures[0]` string, for /v1/models. */
  readonly architecture: string;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling;
  readonly maxPositions: number;
  readonly tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2, or Llama `attention_bias`). */
  readonly qkvBias: boolean;
  /** Per-head RMSNorm of q and k before RoPE (Qwen3). */
  readonly qkNorm: boolean;
  /** Token ids that end generation (config and generation_config). */
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | null;
  /** The checkpoint's declared dtype (`torch_dtype` / `dtype`), for display. */
  readonly torchDtype: string;
}

const ARCHITECTURES: Readonly<Record<string, EngineArch>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

export const SUPPORTED_ARCHITECTURES = Object.keys(ARCHITECTURES);

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(c: Json, key: string, where: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new UsageError(`${where}: ${key}`, c[key], 'a positive integer');
  return v;
}

function posNum(c: Json, key: string, where: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new UsageError(`${where}: ${key}`, c[key], 'a positive number');
  return v;
}

function tokenIds(v: unknown): number[] {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0);
  return [];
}

function parseRopeScaling(c: Json, where: string): RopeScaling {
  const rs = c['rope_scaling'];
  if (rs === undefined || rs === null) return { kind: 'none' };
  if (!isObj(rs)) throw new UsageError(`${where}: rope_scaling`, rs, 'null or an object with rope_type');
  const type = rs['rope_type'] ?? rs['type'];
  const w = `${where}: rope_scaling`;
  switch (type) {
    case 'default':
      return { kind: 'none' };
    case 'linear':
      return { kind: 'linear', factor: posNum(rs, 'factor', w, NaN) };
    case 'llama3':
      return {
        kind: 'llama3',
        factor: posNum(rs, 'factor', w, NaN),
        lowFreqFactor: posNum(rs, 'low_freq_factor', w, NaN),
        highFreqFactor: posNum(rs, 'high_freq_factor', w, NaN),
        originalMaxPositions: posInt(rs, 'original_max_position_embeddings', w),
      };
    default:
      throw new UsageError(`${w}.rope_type`, type, '"default", "linear" or "llama3"', 'Other RoPE scalings (yarn, dynamic, longrope) are not implemented by the engine.');
  }
}

/**
 * Parses config.json (and optionally generation_config.json) of a checkpoint. `where` names the file in errors.
 */
export function parseEngineConfig(config: unknown, where: string, generationConfig?: unknown): EngineConfig {
  if (!isObj(config)) throw new UsageError(where, config, 'a JSON object (a Hugging Face config.json)');
  const archs = config['architectures'];
  const architecture = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  const arch = architecture === undefined ? undefined : ARCHITECTURES[architecture];
  if (architecture === undefined || arch === undefined) {
    throw new UsageError(`${where}: architectures`, archs, SUPPORTED_ARCHITECTURES.join(', '),
      'The engine executes dense Llama-family models; other architectures can still be simulated (phasewise simulate).');
  }
  if (config['use_sliding_window'] === true) {
    throw new UsageError(`${where}: use_sliding_window`, true, 'false', 'Sliding-window attention is not implemented by the engine.');
  }
  const hiddenSize = posInt(config, 'hidden_size', where);
  const numHeads = posInt(config, 'num_attention_heads', where);
  const numKvHeads = posInt(config, 'num_key_value_heads', where, numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new UsageError(`${where}: num_key_value_heads`, numKvHeads, `a divisor of num_attention_heads (${numHeads})`);
  }
  const headDimRaw = config['head_dim'];
  const headDim = headDimRaw === undefined || headDimRaw === null ? hiddenSize / numHeads : posInt(config, 'head_dim', where);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new UsageError(`${where}: head_dim`, headDim, 'an even integer (hidden_size / num_attention_heads when absent)');
  }
  const gen = isObj(generationConfig) ? generationConfig : {};
  const eos = [...new Set([...tokenIds(config['eos_token_id']), ...tokenIds(gen['eos_token_id'])])];
  const bos = tokenIds(config['bos_token_id'] ?? gen['bos_token_id'])[0] ?? null;
  const dtype = config['torch_dtype'] ?? config['dtype'];
  return {
    arch,
    architecture,
    hiddenSize,
    intermediateSize: posInt(config, 'intermediate_size', where),
    numLayers: posInt(config, 'num_hidden_layers', where),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: posInt(config, 'vocab_size', where),
    rmsNormEps: posNum(config, 'rms_norm_eps', where, 1e-6),
    ropeTheta: posNum(config, 'rope_theta', where, 10000),
    ropeScaling: parseRopeScaling(config, where),
    maxPositions: posInt(config, 'max_position_embeddings', where, 4096),
    tieWordEmbeddings: config['tie_word_embeddings'] === true,
    qkvBias: arch === 'qwen2' || config['attention_bias'] === true,
    qkNorm: arch === 'qwen3',
    eosTokenIds: eos,
    bosTokenId: bos,
    torchDtype: typeof dtype === 'string' ? dtype : 'float32',
  };
}

/**
 * Inverse frequencies of RoPE for each of headDim/2 pairs, with the config's scaling (transformers'
 * `_compute_default_rope_parameters`, `_compute_llama3_parameters`, linear = positions / factor).
 */
export function ropeInvFreq(cfg: Pick<EngineConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = cfg.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
  const s = cfg.ropeScaling;
  switch (s.kind) {
    case 'none':
      break;
    case 'linear':
      for (let i = 0; i < half; i++) inv[i] = inv[i]! / s.factor;
      break;
    case 'llama3': {
      const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
      const highWavelen = s.originalMaxPositions / s.highFreqFactor;
      for (let i = 0; i < half; i++) {
        const f = inv[i]!;
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) continue;
        if (wavelen > lowWavelen) {
          inv[i] = f / s.factor;
          continue;
        }
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (f / s.factor) + smooth * f;
      }
      break;
    }
  }
  return inv;
}
