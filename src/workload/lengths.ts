import type { Rng } from '../core/rng.js';
import type { LengthSpec } from './types.js';

/** Draw one length (tokens, ≥ 1). `traceTokens` is used by the `trace` kind. */
export function sampleLength(spec: LengthSpec, rng: Rng, traceTokens: number | undefined): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.tokens;
    case 'uniform':
      return spec.min + rng.int(spec.max - spec.min + 1);
    case 'lognormal': {
      // Parameters of the underlying normal from the mean and CV of the log-normal itself.
      const sigma2 = Math.log(1 + spec.cv * spec.cv);
      const mu = Math.log(spec.mean) - sigma2 / 2;
      const x = Math.exp(mu + Math.sqrt(sigma2) * rng.normal());
      return Math.min(spec.max, Math.max(spec.min, Math.round(x)));
    }
    case 'trace':
      if (traceTokens === undefined) throw new Error('length kind "trace" needs a trace (checked by the scenario schema)');
      return Math.max(1, traceTokens);
  }
}

/** Mean of a length distribution, for analytic bounds and reports. */
export function meanLength(spec: LengthSpec, traceMean: number | undefined): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.tokens;
    case 'uniform':
      return (spec.min + spec.max) / 2;
    case 'lognormal':
      return spec.mean;
    case 'trace':
      return traceMean ?? Number.NaN;
  }
}
