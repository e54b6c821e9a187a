import type { ModelArch } from '../../models/types.js';

/**
 * Data the build script (scripts/build-web.ts) bundles ahead of the worker code: the shipped models, already
 * parsed by models/ (a 3 MB config becomes a few hundred bytes), and the built-in traces' CSV text.
 */
export interface BundledData {
  readonly models: Readonly<Record<string, ModelArch>>;
  readonly traces: Readonly<Record<string, string>>;
}

export function bundledData(): BundledData {
  const d = (globalThis as { __PHASEWISE_DATA__?: BundledData }).__PHASEWISE_DATA__;
  if (!d) throw new Error('phasewise web data missing: the page was not built by scripts/build-web.ts');
  return d;
}
