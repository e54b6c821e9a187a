/**
 * A mistake in what the user gave us: a flag, a file, a field. The CLI prints it as one paragraph and exits 2;
 * the server answers 400. `where` names the field or location, `value` what was given, `accepted` what would
 * have been fine.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly where: string,
    readonly value: unknown,
    readonly accepted: string,
    readonly hint?: string,
  ) {
    super(formatUsage(where, value, accepted, hint));
  }
}

function formatUsage(where: string, value: unknown, accepted: string, hint?: string): string {
  const shown = showValue(value);
  const base = `${where}: got ${shown}; accepted: ${accepted}.`;
  return hint ? `${base} ${hint}` : base;
}

/** A short, single-line rendering of a user value for error messages. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}
