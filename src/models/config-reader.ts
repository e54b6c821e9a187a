import { UsageError } from '../core/errors.js';

/** A JSON object as parsed, before any field is trusted. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Typed, path-aware access to one object of a config.json. Every failure is a UsageError that names the model,
 * the field (with its nesting, e.g. `text_config.hidden_size`) and what the field must be. `null` counts as absent,
 * as Hugging Face writes unused fields as null.
 */
export class ConfigReader {
  constructor(
    readonly obj: JsonObject,
    readonly id: string,
    /** Path of `obj` inside the file, with a trailing dot (`text_config.`), or '' at the root. */
    readonly prefix = '',
    readonly file = 'config.json',
  ) {}

  where(field: string): string {
    return `${this.id} ${this.file} field "${this.prefix}${field}"`;
  }

  fail(field: string, value: unknown, accepted: string, hint?: string): never {
    throw new UsageError(this.where(field), value, accepted, hint ?? (value === undefined ? 'The field is missing.' : undefined));
  }

  has(field: string): boolean {
    const v = this.obj[field];
    return v !== undefined && v !== null;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }

  /** A nested object (e.g. `text_config`), or undefined when absent. */
  child(field: string): ConfigReader | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) return undefined;
    if (!isJsonObject(v)) this.fail(field, v, 'a JSON object');
    return new ConfigReader(v, this.id, `${this.prefix}${field}.`, this.file);
  }

  posInt(field: string): number {
    const v = this.obj[field];
    if (!isPosInt(v)) this.fail(field, v, 'a positive integer below 2^31');
    return v;
  }

  /** A layer count: bounded well above any real model (~200) so per-layer tables stay small. */
  layerCount(field: string): number {
    const v = this.obj[field];
    if (!isPosInt(v) || v > MAX_LAYERS) this.fail(field, v, `a positive integer up to ${MAX_LAYERS}`);
    return v;
  }

  optPosInt(field: string): number | undefined {
    return this.has(field) ? this.posInt(field) : undefined;
  }

  nonNegInt(field: string): number {
    const v = this.obj[field];
    if (!isNonNegInt(v)) this.fail(field, v, 'an integer from 0 to 2^31');
    return v;
  }

  optNonNegInt(field: string): number | undefined {
    return this.has(field) ? this.nonNegInt(field) : undefined;
  }

  optNumber(field: string): number | undefined {
    if (!this.has(field)) return undefined;
    const v = this.obj[field];
    if (typeof v !== 'number' || Number.isNaN(v)) this.fail(field, v, 'a number');
    return v;
  }

  optBool(field: string): boolean | undefined {
    if (!this.has(field)) return undefined;
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.fail(field, v, 'true or false');
    return v;
  }

  optString(field: string): string | undefined {
    if (!this.has(field)) return undefined;
    const v = this.obj[field];
    if (typeof v !== 'string') this.fail(field, v, 'a string');
    return v;
  }

  optArray(field: string): readonly unknown[] | undefined {
    if (!this.has(field)) return undefined;
    const v = this.obj[field];
    if (!Array.isArray(v)) this.fail(field, v, 'a JSON array');
    return v;
  }

  /** The first of `fields` that is present, read as a positive integer. */
  firstPosInt(fields: readonly string[]): number | undefined {
    for (const f of fields) if (this.has(f)) return this.posInt(f);
    return undefined;
  }

  /** The first of `fields` that is present, read as an integer ≥ 0. */
  firstNonNegInt(fields: readonly string[]): number | undefined {
    for (const f of fields) if (this.has(f)) return this.nonNegInt(f);
    return undefined;
  }
}

/** Sizes and counts beyond this are typos (the largest real ones, context lengths, are ~1e7); it keeps every figure finite. */
export const MAX_CONFIG_INT = 2 ** 31 - 1;
export const MAX_LAYERS = 100_000;

export function isPosInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_CONFIG_INT;
}

export function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_CONFIG_INT;
}

/**
 * Read a per-layer list (`layer_types`, `moe_layer_freq`, …) of at least `numLayers` entries; extra entries
 * describe multi-token-prediction layers and are dropped. Each entry goes through `decode`, which returns
 * undefined for a value it does not accept.
 */
export function perLayerList<T>(
  r: ConfigReader,
  field: string,
  numLayers: number,
  accepted: string,
  decode: (v: unknown) => T | undefined,
): T[] | undefined {
  const list = r.optArray(field);
  if (list === undefined) return undefined;
  if (list.length < numLayers) {
    r.fail(field, `a list of ${list.length} entries`, `one entry per layer (${numLayers})`);
  }
  const out: T[] = [];
  for (let i = 0; i < numLayers; i++) {
    const d = decode(list[i]);
    if (d === undefined) r.fail(`${field}[${i}]`, list[i], accepted);
    out.push(d);
  }
  return out;
}
