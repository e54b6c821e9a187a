import type { PoolDesign, PoolFacts } from '../bounds.js';
import { fmt } from '../slo.js';
import { ceilish, parLabel, poolInput, type CandidateGenerator, type GeneratorContext, type InfeasibleShape, type Shape } from '../space.js';
import type { TopologyInput } from '../types.js';
import {
  isChoice,
  unitCost,
  type DecodeAddOn,
  type DecodeAddOnChoice,
  DEFAULT_BATCHED_TOKENS,
  DEFAULT_MAX_SEQS,
  decodeCapVariants,
  decodeInfeasibility,
  decodeUnits,
  designsOf,
  ttftPrompt,
} from './common.js';

/** Chunk size of the tighter variant: a smaller prefill chunk stalls the decodes that share its step less. */
const SMALL_CHUNK_TOKENS = 2048;

/**
 * One pool doing prefill and decode (vLLM-style continuous batching with chunked prefill). Per device and
 * parallelism: the default caps, and a variant with a batch cap at the TPOT target and smaller prefill chunks.
 */
export const colocatedGenerator: CandidateGenerator = {
  kind: 'colocated',
  description: 'one pool serves prefill and decode',
  generate: (ctx) => colocatedShapes(ctx, null),
};

/** The colocated shapes, optionally with an add-on (speculative decoding) on the pool's decodes. */
export function colocatedShapes(ctx: GeneratorContext, addOn: DecodeAddOn | null): { shapes: Shape[]; infeasible: InfeasibleShape[] } {
  const shapes: Shape[] = [];
  const infeasible: InfeasibleShape[] = [];
  const s = ctx.stats;
  const kind = addOn ? addOn.kind : 'colocated';
  const withAddOn = (d: PoolDesign, f: PoolFacts): DecodeAddOnChoice | { reason: string } | null => (addOn ? addOn.at(d, f) : null);
  for (const device of ctx.devices.colocated) {
    for (const base of designsOf(ctx, device, { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS })) {
      const rawBase = ctx.facts(base);
      const label0 = `colocated ${device.id} ${parLabel(base.par)}${addOn ? ` + ${addOn.kind}` : ''}`;
      const key0 = `${kind === 'colocated' ? 'colocated' : `${kind}|colocated`}|${device.id}|${parLabel(base.par)}`;
      if (!rawBase.fits) {
        infeasible.push({ key: key0, label: label0, reason: rawBase.reason ?? 'does not fit' });
        continue;
      }
      const baseAdd = withAddOn(base, rawBase);
      if (baseAdd && !isChoice(baseAdd)) {
        infeasible.push({ key: key0, label: label0, reason: baseAdd.reason });
        continue;
      }
      const baseFacts = baseAdd ? baseAdd.facts : rawBase;
      const why = decodeInfeasibility(ctx, baseFacts);
      if (why) {
        infeasible.push({ key: `${key0}${baseAdd ? baseAdd.keyPart : ''}`, label: `colocated ${device.id} ${parLabel(base.par)}${baseAdd ? baseAdd.labelPart : ''}`, reason: why });
        continue;
      }
      const { sloBatch } = decodeUnits(ctx, baseFacts);
      const variants: PoolDesign[] = decodeCapVariants(sloBatch).map((maxNumSeqs) =>
        maxNumSeqs === DEFAULT_MAX_SEQS ? base : { ...base, maxNumSeqs, maxNumBatchedTokens: SMALL_CHUNK_TOKENS },
      );
      for (const d of variants) {
        const f = ctx.facts(d);
        const add = d === base ? baseAdd : withAddOn(d, f);
        if (add && !isChoice(add)) continue;
        const df = add ? add.facts : f;
        const key = `${kind === 'colocated' ? 'colocated' : `${kind}|colocated`}|${device.id}|${parLabel(d.par)}|seqs${d.maxNumSeqs}|tokens${d.maxNumBatchedTokens}${add ? add.keyPart : ''}`;
        const label = (n: number): string =>
          `colocated ${n} × (${f.chipsPerReplica} × ${device.id} ${parLabel(d.par)}), ≤${d.maxNumSeqs} seqs, ${d.maxNumBatchedTokens}-token steps${add ? add.labelPart : ''}`;
        const ttft = ctx.request.slo.ttft;
        const prompt = ttftPrompt(ctx);
        const prefillS = f.prefillS(prompt);
        if (ttft && prefillS * 1e3 > ttft.ms) {
          infeasible.push({ key, label: label(1), reason: `prefilling a ${Math.round(prompt)}-token prompt (the ${ttft.percentile} prompt) alone takes ${fmt(prefillS * 1e3)} ms > TTFT ${fmt(ttft.ms)} ms` });
          continue;
        }
        const dec = decodeUnits(ctx, df);
        const tokPerS = s.ratePerS * (s.meanPromptTokens + s.meanOutputTokens);
        const byTokens = tokPerS / f.prefillTokensPerS;
        const min = Math.max(dec.min, ceilish(byTokens));
        const minReason =
          ceilish(byTokens) >= dec.min
            ? `token throughput: ${fmt(tokPerS)} tok/s to process, one replica processes at most ${fmt(f.prefillTokensPerS)}`
            : dec.minReason;
        // Prefill time is taken from the decodes' share: replicas for the prompts plus replicas for the outputs.
        const start = Math.max(min, Math.ceil((s.ratePerS * s.meanPromptTokens) / f.prefillTokensPerS / 0.85 + dec.start));
        shapes.push({
          key,
          kind,
          slots: [
            {
              role: 'colocated',
              deviceId: device.id,
              ...unitCost(device, f, add),
              minUnits: min,
              minUnitsReason: minReason,
              startUnits: start,
            },
          ],
          topology: (counts) => ({ kind: 'colocated', pool: poolInput(d, counts[0]!), ...(add ? { spec: add.field(counts[0]!) } : {}) }) as TopologyInput,
          label: (counts) => label(counts[0]!),
          blame: (failed) => (failed.some((k) => k === 'ttft' || k === 'tpot' || k === 'user-speed' || k === 'rejected') ? [0] : []),
          ...(add ? { notes: add.notes } : {}),
        });
      }
    }
  }
  return { shapes, infeasible };
}
