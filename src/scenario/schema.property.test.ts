import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../core/errors.js';
import { ScenarioSchema } from './schema.js';
import { usageErrorFromZod } from './zod-usage.js';

/** What the CLI does with a parsed file: validate, and turn a failure into a UsageError. */
function validate(input: unknown): 'ok' | UsageError {
  const r = ScenarioSchema.safeParse(input);
  return r.success ? 'ok' : usageErrorFromZod(r.error, input, 'scenario.yaml');
}

const valid = {
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  topology: { kind: 'colocated', pool: { device: 'h100', replicas: 2, parallelism: { tp: 2 } } },
  workload: { arrival: { kind: 'poisson', ratePerS: 3 }, input: { kind: 'fixed', tokens: 100 }, requests: 10 },
};

/** Replace the value at a random path of a JSON value with `replacement`. */
function mutateAt(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const keys = Object.keys(value as object);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...(value as Record<string, unknown>) };
  copy[key] = mutateAt(copy[key], path.slice(1), replacement);
  return copy;
}

test('10,000 random JSON values: the scenario parser accepts or gives a UsageError, never throws', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      const out = validate(v);
      assert.ok(out === 'ok' || (out instanceof UsageError && out.message.length > 0));
    }),
    { numRuns: 10_000, seed: 20261122 },
  );
});

test('10,000 mutations of a valid scenario: each is accepted or rejected with the field it broke', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(20), { minLength: 1, maxLength: 5 }),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1e300, Number.NaN, '', 'x', null, [], {})),
      (path, replacement) => {
        const input = mutateAt(valid, path, replacement);
        const out = validate(input);
        if (out !== 'ok') {
          assert.ok(out instanceof UsageError);
          assert.match(out.message, /^scenario\.yaml/);
          assert.match(out.message, /accepted: /);
        }
      },
    ),
    { numRuns: 10_000, seed: 7 },
  );
});
