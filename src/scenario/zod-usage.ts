import type { z } from 'zod';
import { closest } from '../core/closest.js';
import { UsageError } from '../core/errors.js';

/** Turn the first zod issue into a UsageError naming the field path, the value given and what is accepted. */
export function usageErrorFromZod(error: z.ZodError, input: unknown, where: string): UsageError {
  // A misspelt field shows up twice: as unknown, and as its correct name missing. Report the misspelling.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!;
  const path = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  const field = path === '' ? where : `${where}: field ${path}`;
  if (issue.code === 'unrecognized_keys') {
    const missing = error.issues
      .filter((i) => i.code === 'invalid_type' && valueAt(input, i.path) === undefined && sameParent(i.path, issue.path))
      .map((i) => String(i.path[i.path.length - 1]));
    const guess = missing.length > 0 ? closest(issue.keys[0]!, missing) : null;
    const hint = guess && guess.distance <= 3 ? `Did you mean "${guess.name}"?` : 'Check the spelling against docs/scenario.md.';
    return new UsageError(`${field} has an unknown field`, issue.keys.join(', '), 'only the documented fields', hint);
  }
  if (issue.code === 'invalid_type' && value === undefined) {
    // A required field left out (a topology missing one of its pools): say what to add.
    const last = String(issue.path[issue.path.length - 1] ?? '');
    const pool = ['pool', 'prefill', 'decode', 'attention', 'ffn'].includes(last);
    const hint = pool ? `Add ${path}: {device: ID, replicas: N, parallelism: {tp: N}} (a pool; docs/scenario.md).` : `Add ${path} (docs/scenario.md).`;
    return new UsageError(field, value, `${acceptedFor(issue)} (a required field)`, hint);
  }
  return new UsageError(field, value, acceptedFor(issue));
}

function acceptedFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `a value of type ${issue.expected}`;
    case 'too_small':
      if (issue.origin === 'array') return `a list with at least ${String(issue.minimum)} items`;
      if (issue.origin === 'string') return `a text of at least ${String(issue.minimum)} characters`;
      return `a number ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `a list with at most ${String(issue.maximum)} items`;
      return `a number ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if ('options' in issue && issue.discriminator !== undefined && issue.options) {
        return `field "${issue.discriminator}" one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
      }
      return issue.message;
    default:
      return issue.message;
  }
}

function sameParent(missingPath: readonly PropertyKey[], objectPath: readonly PropertyKey[]): boolean {
  return missingPath.length === objectPath.length + 1 && objectPath.every((p, i) => missingPath[i] === p);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p as string];
  }
  return cur;
}
