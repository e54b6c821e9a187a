import { isUsageError } from '../core/errors.js';

/**
 * Run an async command and set the exit code as main() does for sync ones: 2 for the user's mistake (one
 * paragraph, no stack trace), 1 for a bug.
 */
export function runAsync(fn: () => Promise<void>): void {
  fn().then(
    () => {
      process.exitCode ??= 0;
    },
    (e: unknown) => {
      if (isUsageError(e)) {
        process.stderr.write(`phasewise: error: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(`phasewise: internal error: ${msg}\nThis is a bug in phasewise; please report it with the command you ran.\n`);
      if (process.env.PHASEWISE_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
      process.exitCode = 1;
    },
  );
}
