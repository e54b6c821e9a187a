/**
 * The user's device file: `{ devices: [ {...partial or full device...} ] }`, parsed from JSON or YAML by the
 * caller. A figure may be a bare number (its source becomes the file), `null` (unknown), or `{value, source,
 * note}`. Numbers are in base units: bytes, bytes/s per direction, FLOP/s, seconds, watts, USD per chip-hour —
 * YAML reads `80e9` and `3.35e12` as numbers.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { closest } from '../core/closest.js';

/** Lowercase ids and aliases: `h100`, `groq3-lpu`, `my_chip.v2`. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

const nameSchema = (what: string) =>
  z
    .string({ error: `${what} made of lowercase letters, digits, '.', '_' or '-'` })
    .trim()
    .toLowerCase()
    .regex(NAME_PATTERN, { error: `${what} made of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit` });

function figureInput(unit: string, example: string, value: z.ZodNumber = z.number().min(0)) {
  const accepted = `a number ${unit} (e.g. ${example}), null for unknown, or {value, source, note}`;
  return z.union(
    [
      value,
      z.null(),
      z.strictObject({ value: value.nullable(), source: z.string().min(1).optional(), note: z.string().optional() }),
    ],
    { error: accepted },
  );
}

/** A strict object whose unknown keys are reported with the keys it accepts. */
function obj<T extends z.ZodRawShape>(shape: T, what: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `one of the keys ${keys.join(', ')}` : `${what} with the keys ${keys.join(', ')}`,
  });
}

const bytes = () => figureInput('≥ 0 in bytes', '80e9').optional();
const bytesPerS = () => figureInput('≥ 0 in bytes/s per chip, per direction', '3.35e12').optional();
const flops = () => figureInput('≥ 0 in dense FLOP/s per chip', '989e12').optional();
const seconds = () => figureInput('≥ 0 in seconds', '10e-6').optional();

const tierSchema = obj({ capacityBytes: bytes(), bandwidthBytesPerS: bytesPerS() }, 'a memory tier');

export const deviceInputSchema = obj(
  {
    id: nameSchema('an id'),
    /** A new device starts as a copy of this catalog device (its aliases are not copied). */
    base: z.string({ error: 'the id or alias of a catalog device' }).optional(),
    name: z.string({ error: 'a string' }).min(1).optional(),
    vendor: z.string({ error: 'a string' }).min(1).optional(),
    kind: z.enum(['gpu', 'tpu', 'asic', 'sram'], { error: 'one of gpu, tpu, asic, sram' }).optional(),
    aliases: z.array(nameSchema('an alias'), { error: 'a list of lowercase names' }).optional(),
    flopsPerS: obj({ bf16: flops(), fp8: flops(), fp4: flops(), int8: flops() }, 'an object').optional(),
    memory: obj({ sram: tierSchema.optional(), hbm: tierSchema.optional(), dram: tierSchema.optional() }, 'an object').optional(),
    scaleUp: obj(
      {
        bandwidthBytesPerS: bytesPerS(),
        latencyS: seconds(),
        domainChips: figureInput('of chips, a whole number ≥ 1', '8', z.number().int().min(1)).optional(),
        /** Links per chip of a switchless direct mesh (Device.scaleUp.pointToPointLinks). */
        pointToPointLinks: figureInput('of links per chip, a whole number ≥ 1', '7', z.number().int().min(1)).optional(),
      },
      'a link',
    ).optional(),
    scaleOut: obj({ bandwidthBytesPerS: bytesPerS(), latencyS: seconds() }, 'a link').optional(),
    powerW: figureInput('≥ 0 in watts per chip', '700').optional(),
    priceUsdPerHour: figureInput('≥ 0 in USD per chip-hour', '2.69').optional(),
    weightsInSramOnly: z.boolean({ error: 'true or false' }).optional(),
    dataflowOpLatencyS: seconds(),
    sources: z.array(z.string(), { error: 'a list of strings' }).optional(),
    notes: z.string({ error: 'a string' }).optional(),
  },
  'a device',
);

export const deviceFileSchema = obj(
  { devices: z.array(deviceInputSchema, { error: 'a list of devices' }).min(1, { error: 'at least one device' }) },
  'an object',
);

export type DeviceInput = z.output<typeof deviceInputSchema>;
export type FigureInput = number | null | { value: number | null; source?: string | undefined; note?: string | undefined };

/** Validates a parsed device file; a mistake becomes a UsageError naming the field, e.g. `devices[1].powerW`. */
export function parseDeviceFile(input: unknown, where: string): readonly DeviceInput[] {
  const result = deviceFileSchema.safeParse(input);
  if (result.success) return result.data.devices;
  // An unknown key usually explains the rest (a misspelt `devices` also makes `devices` missing): report it first.
  const issues = [...result.error.issues].sort((a, b) => rank(a.code) - rank(b.code));
  const [issue] = issues;
  if (!issue) throw new UsageError(where, input, 'a device file { devices: [...] }');
  const more = issues.length > 1 ? `${issues.length - 1} more problem(s) in the file.` : undefined;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const path = [...issue.path, key];
    const known = issue.message.replace(/^one of the keys /, '').split(', ');
    const hint = [key ? `Unknown key "${key}"; did you mean ${closest(key, known).name}?` : undefined, more];
    return fail(where, path, valueAt(input, path), issue.message, hint);
  }
  return fail(where, issue.path, valueAt(input, issue.path), issue.message, [more]);
}

function rank(code: string | undefined): number {
  return code === 'unrecognized_keys' ? 0 : 1;
}

function fail(where: string, path: readonly PropertyKey[], value: unknown, accepted: string, hints: (string | undefined)[]): never {
  const hint = hints.filter((h) => h !== undefined).join(' ');
  throw new UsageError(`${where}: ${formatPath(path)}`, value, accepted, hint || undefined);
}

/** `['devices', 1, 'memory', 'hbm']` -> `devices[1].memory.hbm`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s ? '.' : ''}${String(p)}`;
  return s || '(top level)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
