import { UsageError } from '../core/errors.js';
import type { Dtype } from '../core/units.js';
import { ConfigReader, isJsonObject, type JsonObject } from './config-reader.js';

/**
 * Precision of a checkpoint's weights by part, as far as its config says. Quantized checkpoints rarely quantize
 * everything: NVIDIA's NVFP4 MoE checkpoints keep attention (and often shared experts) in bf16, gpt-oss keeps
 * attention in bf16 and ships mxfp4 experts, DeepSeek's fp8 covers every linear layer. Embeddings, LM head,
 * norms and routers are never counted as quantized (every checkpoint here excludes them).
 */
export interface WeightPrecision {
  readonly attention: Dtype;
  /** Dense FFN layers and shared experts. */
  readonly ffn: Dtype;
  /** Routed experts. */
  readonly experts: Dtype;
  /** Block-scale bytes per element for the 4-bit part, when one is 4-bit. */
  readonly scaleBytesPerElement?: number;
  /** KV-cache precision when the quantization config sets one. */
  readonly kv?: Dtype;
}

type Part = 'attention' | 'ffn' | 'experts';
interface Format {
  readonly dtype: Dtype;
  readonly scaleBytesPerElement?: number;
}

// NVFP4: one fp8 (E4M3) scale per 16 fp4 elements. MXFP4: one E8M0 byte per 32.
const NVFP4_SCALE = 1 / 16;
const MXFP4_SCALE = 1 / 32;

const ACCEPTED_DTYPES = 'bfloat16, float16, float32 (or bf16/fp16/fp32)';

/** torch_dtype / dtype string → Dtype. */
export function torchDtype(r: ConfigReader, field: string): Dtype | undefined {
  const s = r.optString(field);
  if (s === undefined) return undefined;
  switch (s.replace(/^torch\./, '').toLowerCase()) {
    case 'bfloat16':
    case 'bf16':
      return 'bf16';
    case 'float16':
    case 'fp16':
    case 'half':
      return 'fp16';
    case 'float32':
    case 'fp32':
    case 'float':
      return 'fp32';
    case 'float8_e4m3fn':
    case 'float8_e5m2':
    case 'fp8':
      return 'fp8';
    default:
      return r.fail(field, s, ACCEPTED_DTYPES);
  }
}

/** A quantization algorithm name (modelopt `quant_algo`, vLLM method names) → storage format. */
function algoFormat(algo: string): Format | undefined {
  const a = algo.toUpperCase();
  if (a.includes('NVFP4')) return { dtype: 'fp4', scaleBytesPerElement: NVFP4_SCALE };
  if (a.includes('MXFP4')) return { dtype: 'fp4', scaleBytesPerElement: MXFP4_SCALE };
  if (a.includes('FP8')) return { dtype: 'fp8' };
  // AWQ/GPTQ-style int4: group 128 with an fp16 scale and zero point ≈ 4/128 bytes per element.
  if (a.includes('AWQ') || a.includes('INT4') || a.startsWith('W4A16') || a.startsWith('W4A8')) {
    return { dtype: 'int4', scaleBytesPerElement: 1 / 32 };
  }
  if (a.includes('INT8') || a.startsWith('W8A8') || a.includes('SQ')) return { dtype: 'int8' };
  return undefined;
}

/** A compressed-tensors / modelopt `config_groups.*.weights` entry → storage format. */
function groupFormat(r: ConfigReader, field: string, weights: JsonObject, format: string | undefined): Format {
  const bits = weights['num_bits'];
  const type = weights['type'];
  const groupSize = typeof weights['group_size'] === 'number' ? weights['group_size'] : undefined;
  if (bits === 8) return { dtype: type === 'int' ? 'int8' : 'fp8' };
  if (bits === 4) {
    if (type === 'int') {
      // Symmetric int4 with one bf16 scale per group.
      return { dtype: 'int4', scaleBytesPerElement: 2 / (groupSize ?? 32) };
    }
    const mx = (format ?? '').includes('mxfp4') || weights['scale_dtype'] === 'torch.uint8' || groupSize === 32;
    return { dtype: 'fp4', scaleBytesPerElement: mx ? MXFP4_SCALE : NVFP4_SCALE };
  }
  return r.fail(`${field}num_bits`, bits, '4 or 8');
}

/** Which part of the model a module name (or name pattern) belongs to; undefined for the never-quantized rest. */
export function modulePart(name: string): Part | undefined {
  const n = name.toLowerCase().replace(/^re:/, '');
  if (/vision|visual|mm_projector|multi_modal|patch_merge|mtp|lm_head|embed|(^|\.)head$|eh_proj|enorm|hnorm/.test(n)) {
    return undefined;
  }
  // Norms, biases, routers and small indexer side-projections are kept in high precision by every recipe.
  if (/norm|bias$|\.gate(\*|$|\.weight)|router|e_score|shared_expert_gate|indexers_proj|weights_proj/.test(n)) {
    return undefined;
  }
  if (n.includes('shared_expert')) return 'ffn';
  if (n.includes('experts')) return 'experts';
  if (/attn|attention|mixer\.(q|k|v|o|in|out)_proj|conv|indexer/.test(n)) return 'attention';
  if (/mlp|ffn|feed_forward|(gate|up|down|gate_up)_proj|\.w[123]$/.test(n)) return 'ffn';
  return undefined;
}

/**
 * An excluded-module entry only marks its whole part unquantized when it is a wildcard over the part or names
 * one of its big matrices: `self_attn*`, `*.attn.*`, `mixer.q_proj` do; `indexer.k_norm` or `mixer.conv1d` do not.
 */
function excludesWholePart(name: string): boolean {
  const n = name.toLowerCase();
  return n.includes('*') || /(^|[._])(q|k|v|o|qkv|q_a|q_b|kv_a|kv_b|in|out|gate|up|down|gate_up)_proj/.test(n) ||
    /proj_with_mqa|\.w[123]$/.test(n);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Majority format per part over an explicit module → format map (modelopt MIXED_PRECISION `quantized_layers`). */
function fromModuleMap(entries: Iterable<[string, Format]>): Partial<Record<Part, Format>> {
  const counts: Record<Part, Map<string, { f: Format; n: number }>> = {
    attention: new Map(),
    ffn: new Map(),
    experts: new Map(),
  };
  for (const [name, f] of entries) {
    const part = modulePart(name);
    if (part === undefined) continue;
    const key = `${f.dtype}/${f.scaleBytesPerElement ?? 0}`;
    const c = counts[part].get(key);
    if (c) c.n += 1;
    else counts[part].set(key, { f, n: 1 });
  }
  const out: Partial<Record<Part, Format>> = {};
  for (const part of ['attention', 'ffn', 'experts'] as const) {
    let best: { f: Format; n: number } | undefined;
    for (const c of counts[part].values()) if (!best || c.n > best.n) best = c;
    if (best) out[part] = best.f;
  }
  return out;
}

/** One format for everything except the parts an exclusion list keeps unquantized. */
function uniform(format: Format, excluded: readonly string[]): Partial<Record<Part, Format>> {
  const keep = new Set<Part>();
  for (const name of excluded) {
    const part = modulePart(name);
    if (part !== undefined && excludesWholePart(name)) keep.add(part);
  }
  const out: Partial<Record<Part, Format>> = {};
  for (const part of ['attention', 'ffn', 'experts'] as const) if (!keep.has(part)) out[part] = format;
  return out;
}

function kvFromQuant(q: JsonObject): Dtype | undefined {
  const algo = q['kv_cache_quant_algo'];
  if (typeof algo === 'string') return algoFormat(algo)?.dtype;
  const scheme = q['kv_cache_scheme'];
  if (isJsonObject(scheme) && scheme['num_bits'] === 8) return scheme['type'] === 'int' ? 'int8' : 'fp8';
  return undefined;
}

function kvFromHfQuant(h: JsonObject): Dtype | undefined {
  const inner = h['quantization'];
  return kvFromQuant(isJsonObject(inner) ? inner : h);
}

const ACCEPTED_METHODS = 'fp8, fbgemm_fp8, mxfp4, modelopt, compressed-tensors, gptq, awq, bitsandbytes';

/** Parts → formats, from one quantization description (config.json `quantization_config` or hf_quant_config). */
function partsFromQuant(r: ConfigReader, field: string, q: JsonObject): Partial<Record<Part, Format>> {
  const excluded = [
    ...stringList(q['modules_to_not_convert']),
    ...stringList(q['ignore']),
    ...stringList(q['exclude_modules']),
  ];
  const layers = q['quantized_layers'];
  if (isJsonObject(layers)) {
    const entries: [string, Format][] = [];
    for (const [name, v] of Object.entries(layers)) {
      const algo = isJsonObject(v) ? v['quant_algo'] : undefined;
      const f = typeof algo === 'string' ? algoFormat(algo) : undefined;
      if (f) entries.push([name, f]);
    }
    return fromModuleMap(entries);
  }
  const algo = q['quant_algo'];
  if (typeof algo === 'string' && algo !== 'MIXED_PRECISION') {
    const f = algoFormat(algo);
    if (!f) r.fail(`${field}quant_algo`, algo, 'NVFP4, MXFP4, FP8, W4A16_AWQ, INT4_AWQ, W8A8 or MIXED_PRECISION');
    return uniform(f, excluded);
  }
  const groups = q['config_groups'];
  if (isJsonObject(groups)) {
    const format = typeof q['format'] === 'string' ? q['format'] : undefined;
    let all: Format | undefined;
    const explicit: [string, Format][] = [];
    for (const [g, spec] of Object.entries(groups)) {
      if (!isJsonObject(spec) || !isJsonObject(spec['weights'])) continue;
      const gFormat = typeof spec['format'] === 'string' ? spec['format'] : format;
      const f = groupFormat(r, `${field}config_groups.${g}.weights.`, spec['weights'], gFormat);
      const targets = stringList(spec['targets']);
      if (targets.length === 0 || targets.includes('Linear')) all = f;
      else for (const t of targets) explicit.push([t, f]);
    }
    if (explicit.length > 0) return fromModuleMap(explicit);
    if (all) return uniform(all, excluded);
  }
  const method = q['quant_method'];
  switch (method) {
    case 'fp8':
    case 'fbgemm_fp8':
      return uniform({ dtype: 'fp8' }, excluded);
    case 'mxfp4':
      return uniform({ dtype: 'fp4', scaleBytesPerElement: MXFP4_SCALE }, excluded);
    case 'gptq':
    case 'awq': {
      const bits = q['bits'] ?? q['w_bit'];
      if (bits === 4) return uniform({ dtype: 'int4', scaleBytesPerElement: 1 / 32 }, excluded);
      if (bits === 8) return uniform({ dtype: 'int8' }, excluded);
      return r.fail(`${field}bits`, bits, '4 or 8');
    }
    case 'bitsandbytes':
      return uniform(q['load_in_4bit'] === true ? { dtype: 'int4', scaleBytesPerElement: 1 / 32 } : { dtype: 'int8' }, excluded);
    case 'modelopt':
    case 'compressed-tensors':
      // Neither a quant_algo nor weight groups: nothing says what is quantized.
      return r.fail(`${field}quant_algo`, q['quant_algo'], 'a quantization algorithm (NVFP4, FP8, …) or config_groups');
    default:
      return r.fail(`${field}quant_method`, method, ACCEPTED_METHODS);
  }
}

/**
 * Precision of each part of the model. `quantization_config` is looked for at the root, then in text_config;
 * a separate hf_quant_config.json (modelopt's `{producer, quantization: {…}}`) is used when config.json has none.
 */
export function detectPrecision(
  root: ConfigReader,
  text: ConfigReader,
  baseDtype: Dtype,
  hfQuantConfig?: unknown,
): WeightPrecision {
  let source: { r: ConfigReader; field: string; q: JsonObject } | undefined;
  for (const r of [root, text]) {
    const q = r.raw('quantization_config');
    if (q === undefined || q === null) continue;
    if (!isJsonObject(q)) return r.fail('quantization_config', q, 'a JSON object');
    source = { r, field: 'quantization_config.', q };
    break;
  }
  if (!source && hfQuantConfig !== undefined && hfQuantConfig !== null) {
    if (!isJsonObject(hfQuantConfig)) {
      throw new UsageError(`${root.id} hf_quant_config.json`, hfQuantConfig, 'a JSON object');
    }
    const inner = hfQuantConfig['quantization'];
    const nested = isJsonObject(inner);
    source = {
      r: new ConfigReader(hfQuantConfig, root.id, '', 'hf_quant_config.json'),
      field: nested ? 'quantization.' : '',
      q: nested ? inner : hfQuantConfig,
    };
  }
  if (!source) return { attention: baseDtype, ffn: baseDtype, experts: baseDtype };
  const parts = partsFromQuant(source.r, source.field, source.q);
  const scale = [parts.experts, parts.ffn, parts.attention].find((f) => f?.scaleBytesPerElement !== undefined)
    ?.scaleBytesPerElement;
  // A config.json quantization_config may leave the KV cache to the ModelOpt side file.
  const kv = kvFromQuant(source.q) ?? (isJsonObject(hfQuantConfig) ? kvFromHfQuant(hfQuantConfig) : undefined);
  // DeepSeek-V4 ships its routed experts in FP4 (`expert_dtype: "fp4"`, ue8m0 scales per 32 weights: MXFP4) beside
  // an fp8 quantization_config that describes the rest.
  const fp4Experts = [root, text].some((r) => r.optString('expert_dtype') === 'fp4') && parts.experts?.dtype !== 'fp4';
  return {
    attention: parts.attention?.dtype ?? baseDtype,
    ffn: parts.ffn?.dtype ?? baseDtype,
    experts: fp4Experts ? 'fp4' : (parts.experts?.dtype ?? baseDtype),
    ...(fp4Experts ? { scaleBytesPerElement: MXFP4_SCALE } : scale !== undefined ? { scaleBytesPerElement: scale } : {}),
    ...(kv !== undefined ? { kv } : {}),
  };
}
