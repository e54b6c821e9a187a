/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and [begin, end) byte range in the data section that follows, then the data. Parsing and encoding
 * only; the bytes come from a CheckpointSource (files are read in server/ or cli/).
 */
import { UsageError } from '../core/errors.js';

export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the data in the file. */
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** Largest header we accept (the format's reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** Reads the header length from the first 8 bytes. */
export function headerLength(first8: Uint8Array, file: string): number {
  if (first8.length < 8) throw new UsageError(file, `${first8.length} bytes`, 'a safetensors file (8-byte header length, JSON header, data)');
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n <= 1 || n > MAX_HEADER_BYTES) throw new UsageError(`${file}: header length`, n, `2..${MAX_HEADER_BYTES} bytes`, 'The file is not a safetensors file or is damaged.');
  return n;
}

/** Parses the JSON header (the bytes after the length) into tensor descriptions; checks ranges against the file size. */
export function parseHeader(headerBytes: Uint8Array, file: string, fileSizeBytes: number): TensorInfo[] {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw new UsageError(`${file}: header`, 'unparseable JSON', 'a UTF-8 JSON object', 'The file is not a safetensors file or is damaged.');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new UsageError(`${file}: header`, header, 'a JSON object');
  const dataStart = 8 + headerBytes.length;
  const out: TensorInfo[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw new UsageError(`${file}: ${name}`, v, 'an object with dtype, shape, data_offsets');
    if (typeof t.dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(t.dtype)) {
      throw new UsageError(`${file}: ${name}.dtype`, t.dtype, SAFETENSORS_DTYPES.join(', '), 'Quantized checkpoints (GPTQ, AWQ, FP8) are not supported; use --quantize int8 on a bf16/fp16/fp32 checkpoint.');
    }
    const dtype = t.dtype as SafetensorsDtype;
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new UsageError(`${file}: ${name}.shape`, t.shape, 'a list of non-negative integers');
    const shape = t.shape as number[];
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0)) throw new UsageError(`${file}: ${name}.data_offsets`, offs, '[begin, end]');
    const [b, e] = offs as [number, number];
    const elems = shape.reduce((a, d) => a * d, 1);
    if (e - b !== elems * DTYPE_BYTES[dtype]) throw new UsageError(`${file}: ${name}.data_offsets`, offs, `a range of ${elems * DTYPE_BYTES[dtype]} bytes (shape ${JSON.stringify(shape)} × ${dtype})`);
    if (dataStart + e > fileSizeBytes) throw new UsageError(`${file}: ${name}`, `bytes up to ${dataStart + e}`, `within the file's ${fileSizeBytes} bytes`, 'The file is truncated.');
    out.push({ name, dtype, shape, offsetBytes: dataStart + b, lengthBytes: e - b });
  }
  return out;
}

/** Converts raw little-endian tensor bytes to f32, into `out` (length = element count) at `outOffset`. */
export function decodeToF32(bytes: Uint8Array, dtype: SafetensorsDtype, out: Float32Array, outOffset = 0): void {
  const n = bytes.length / DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'F32': {
      if (bytes.byteOffset % 4 === 0) {
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n), outOffset);
      } else {
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        for (let i = 0; i < n; i++) out[outOffset + i] = dv.getFloat32(i * 4, true);
      }
      return;
    }
    case 'BF16': {
      // bf16 is the top half of an f32.
      const u32 = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, n);
      for (let i = 0; i < n; i++) u32[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
      return;
    }
    case 'F16': {
      for (let i = 0; i < n; i++) out[outOffset + i] = halfToFloat(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
      return;
    }
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Encodes f32 tensors as a safetensors file (used by tests and the demo model). */
export function encodeSafetensors(tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, dtype: SafetensorsDtype = 'F32'): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    const len = t.data.length * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const t of tensors.values()) {
    if (dtype === 'F32') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.byteLength;
    } else {
      const u32 = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      for (let i = 0; i < t.data.length; i++) {
        const bits = dtype === 'BF16' ? u32[i]! >>> 16 : floatToHalf(t.data[i]!);
        out[pos++] = bits & 0xff;
        out[pos++] = bits >>> 8;
      }
    }
  }
  return out;
}

function floatToHalf(f: number): number {
  const a = Math.abs(f);
  const s = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  if (Number.isNaN(f)) return 0x7e00;
  if (a >= 65520) return s | 0x7c00;
  if (a < 2 ** -24) return s;
  if (a < 2 ** -14) return s | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return s | ((e + 15) << 10) | m;
}
