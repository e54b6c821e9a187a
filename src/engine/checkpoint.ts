/**
 * A Hugging Face checkpoint directory: config.json, model.safetensors (or shards listed in
 * model.safetensors.index.json), tokenizer.json, tokenizer_config.json. Files come through a
 * CheckpointSource so this module reads nothing itself (server/ and cli/ give a file-system source; tests and
 * the demo model give an in-memory one). Every expected tensor is checked for presence and shape before any
 * weight is loaded.
 */
import { UsageError } from '../core/errors.js';
import { parseEngineConfig, type EngineConfig } from './config.js';
import { decodeToF32, DTYPE_BYTES, headerLength, parseHeader, type TensorInfo } from './safetensors.js';

export interface CheckpointSource {
  /** Shown in error messages (the directory). */
  readonly name: string;
  /** File contents as text, or undefined when the file does not exist. */
  readText(file: string): string | undefined;
  /** Size in bytes, or undefined when the file does not exist. */
  sizeBytes(file: string): number | undefined;
  /** `length` bytes at `offset` of a file. */
  readBytes(file: string, offset: number, length: number): Uint8Array;
  /** File names in the directory (not recursive). */
  list(): readonly string[];
}

export interface TensorLocation extends TensorInfo {
  readonly file: string;
}

export interface Checkpoint {
  readonly source: CheckpointSource;
  readonly config: EngineConfig;
  readonly tensors: ReadonlyMap<string, TensorLocation>;
  /** Parsed tokenizer.json and tokenizer_config.json (the latter may be empty). */
  readonly tokenizerJson: unknown;
  readonly tokenizerConfig: Record<string, unknown>;
}

function parseJsonFile(source: CheckpointSource, file: string, required: boolean): unknown {
  const text = source.readText(file);
  if (text === undefined) {
    if (required) throw new UsageError(`${source.name}/${file}`, 'no such file', `a Hugging Face checkpoint directory with ${file}`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source.name}/${file}`, 'invalid JSON', 'a JSON file', e instanceof Error ? e.message : undefined);
  }
}

function safetensorsFiles(source: CheckpointSource): string[] {
  const index = parseJsonFile(source, 'model.safetensors.index.json', false);
  if (index !== undefined) {
    const map = (index as { weight_map?: unknown }).weight_map;
    if (typeof map !== 'object' || map === null) throw new UsageError(`${source.name}/model.safetensors.index.json: weight_map`, map, 'an object of tensor name → shard file');
    return [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort();
  }
  if (source.sizeBytes('model.safetensors') !== undefined) return ['model.safetensors'];
  const any = source.list().filter((f) => f.endsWith('.safetensors')).sort();
  if (any.length === 0) throw new UsageError(source.name, 'no *.safetensors file', 'a checkpoint with model.safetensors or model.safetensors.index.json', 'Only safetensors weights are read (not .bin / .pth / GGUF).');
  return any;
}

/** Reads the headers of every weight file and the config; checks the tensor set against the architecture. */
export function openCheckpoint(source: CheckpointSource): Checkpoint {
  const config = parseEngineConfig(parseJsonFile(source, 'config.json', true), `${source.name}/config.json`, parseJsonFile(source, 'generation_config.json', false));
  const tensors = new Map<string, TensorLocation>();
  for (const file of safetensorsFiles(source)) {
    const size = source.sizeBytes(file);
    if (size === undefined) throw new UsageError(`${source.name}/model.safetensors.index.json`, file, 'shard files that exist', 'A shard listed in the index is missing.');
    const n = headerLength(source.readBytes(file, 0, Math.min(8, size)), `${source.name}/${file}`);
    if (8 + n > size) throw new UsageError(`${source.name}/${file}`, `${size} bytes`, `at least ${8 + n} bytes (its header length)`, 'The file is truncated.');
    for (const t of parseHeader(source.readBytes(file, 8, n), `${source.name}/${file}`, size)) tensors.set(t.name, { ...t, file });
  }
  checkTensors(config, tensors, source.name);
  const tokenizerJson = parseJsonFile(source, 'tokenizer.json', true);
  const tc = parseJsonFile(source, 'tokenizer_config.json', false);
  return { source, config, tensors, tokenizerJson, tokenizerConfig: typeof tc === 'object' && tc !== null ? (tc as Record<string, unknown>) : {} };
}

/** Every tensor the architecture needs, with its shape. */
export function expectedTensors(c: EngineConfig): Map<string, readonly number[]> {
  const m = new Map<string, readonly number[]>();
  const H = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  m.set('model.embed_tokens.weight', [c.vocabSize, H]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}.`;
    m.set(`${p}input_layernorm.weight`, [H]);
    m.set(`${p}self_attn.q_proj.weight`, [qDim, H]);
    m.set(`${p}self_attn.k_proj.weight`, [kvDim, H]);
    m.set(`${p}self_attn.v_proj.weight`, [kvDim, H]);
    m.set(`${p}self_attn.o_proj.weight`, [H, qDim]);
    if (c.qkvBias) {
      m.set(`${p}self_attn.q_proj.bias`, [qDim]);
      m.set(`${p}self_attn.k_proj.bias`, [kvDim]);
      m.set(`${p}self_attn.v_proj.bias`, [kvDim]);
    }
    if (c.qkNorm) {
      m.set(`${p}self_attn.q_norm.weight`, [c.headDim]);
      m.set(`${p}self_attn.k_norm.weight`, [c.headDim]);
    }
    m.set(`${p}post_attention_layernorm.weight`, [H]);
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, H]);
    m.set(`${p}mlp.down_proj.weight`, [H, c.intermediateSize]);
  }
  m.set('model.norm.weight', [H]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, H]);
  return m;
}

function checkTensors(c: EngineConfig, tensors: ReadonlyMap<string, TensorInfo>, where: string): void {
  const expected = expectedTensors(c);
  const missing = [...expected.keys()].filter((n) => !tensors.has(n));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    throw new UsageError(`${where}: weights`, `missing ${shown}`, `every tensor of a ${c.architecture} with this config.json`, 'The checkpoint is incomplete or does not match its config.json.');
  }
  for (const [name, shape] of expected) {
    const t = tensors.get(name)!;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new UsageError(`${where}: ${name}`, `shape ${JSON.stringify(t.shape)}`, `shape ${JSON.stringify(shape)} (from config.json)`, 'The weights do not match config.json.');
    }
  }
}

/**
 * Rows [rowStart, rowEnd) of a 2-D tensor (elements of a 1-D one) as f32, optionally only columns
 * [colStart, colEnd). Reads only the bytes of those rows.
 */
export function readTensorF32(ck: Checkpoint, name: string, rows?: readonly [number, number], cols?: readonly [number, number]): Float32Array {
  const t = ck.tensors.get(name);
  if (!t) throw new Error(`tensor ${name} not in checkpoint`);
  // A vector is read as a column of rows of one element, so `rows` slices its elements.
  const numRows = t.shape[0]!;
  const numCols = t.shape.slice(1).reduce((a, d) => a * d, 1);
  const [r0, r1] = rows ?? [0, numRows];
  const [c0, c1] = cols ?? [0, numCols];
  const sz = DTYPE_BYTES[t.dtype];
  const bytes = ck.source.readBytes(t.file, t.offsetBytes + r0 * numCols * sz, (r1 - r0) * numCols * sz);
  if (c0 === 0 && c1 === numCols) {
    const out = new Float32Array((r1 - r0) * numCols);
    decodeToF32(bytes, t.dtype, out);
    return out;
  }
  const w = c1 - c0;
  const out = new Float32Array((r1 - r0) * w);
  for (let r = 0; r < r1 - r0; r++) {
    decodeToF32(bytes.subarray((r * numCols + c0) * sz, (r * numCols + c1) * sz), t.dtype, out, r * w);
  }
  return out;
}

/** A CheckpointSource over files held in memory (tests, the demo model). */
export function memorySource(name: string, files: ReadonlyMap<string, Uint8Array | string>): CheckpointSource {
  const bytesOf = (f: string): Uint8Array | undefined => {
    const v = files.get(f);
    return typeof v === 'string' ? new TextEncoder().encode(v) : v;
  };
  return {
    name,
    readText: (f) => {
      const v = files.get(f);
      return v === undefined ? undefined : typeof v === 'string' ? v : new TextDecoder().decode(v);
    },
    sizeBytes: (f) => bytesOf(f)?.length,
    readBytes: (f, offset, length) => {
      const b = bytesOf(f);
      if (!b) throw new Error(`no file ${f}`);
      return b.subarray(offset, offset + length);
    },
    list: () => [...files.keys()],
  };
}
