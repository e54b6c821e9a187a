import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import type { Claim } from './compare.js';

const ClaimSchema = z.strictObject({
  scenario: z.string().min(1),
  claim: z.string().min(1),
  metric: z.literal('tokensPerSPerUserBatch1'),
  claimed: z.number().positive(),
  source: z.string().min(1),
});

/** The claims file (data/claims/public-claims.json), checked: a malformed entry names itself. */
export function parseClaims(json: unknown, where: string): Claim[] {
  const r = z.array(ClaimSchema).safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${where}: ${i.path.join('.')}`, undefined, 'a list of {scenario, claim, metric: tokensPerSPerUserBatch1, claimed, source}');
  }
  return r.data;
}
