import type { PoolDesign } from '../bounds.js';
import { fmt } from '../slo.js';
import { ceilish, parLabel, poolInput, type CandidateGenerator, type InfeasibleShape, type Shape } from '../space.js';
import {
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
  generate(ctx) {
    const shapes: Shape[] = [];
    const infeasible: InfeasibleShape[] = [];
    const s = ctx.stats;
    for (const device of ctx.devices.colocated) {
      for (const base of designsOf(ctx, device, { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS })) {
        const baseFacts = ctx.facts(base);
        const why = decodeInfeasibility(ctx, baseFacts);
        const label0 = `colocated ${device.id} ${parLabel(base.par)}`;
        if (why) {
          infeasible.push({ key: `colocated|${device.id}|${parLabel(base.par)}`, label: label0, reason: why });
          continue;
        }
        const { sloBatch } = decodeUnits(ctx, baseFacts);
        const variants: PoolDesign[] = decodeCapVariants(sloBatch).map((maxNumSeqs) =>
          maxNumSeqs === DEFAULT_MAX_SEQS ? base : { ...base, maxNumSeqs, maxNumBatchedTokens: SMALL_CHUNK_TOKENS },
        );
        for (const d of variants) {
          const f = ctx.facts(d);
          const key = `colocated|${device.id}|${parLabel(d.par)}|seqs${d.maxNumSeqs}|tokens${d.maxNumBatchedTokens}`;
          const label = (n: number): string => `colocated ${n} × (${f.chipsPerReplica} × ${device.id} ${parLabel(d.par)}), ≤${d.maxNumSeqs} seqs, ${d.maxNumBatchedTokens}-token steps`;
          const ttft = ctx.request.slo.ttft;
          const prompt = ttftPrompt(ctx);
          const prefillS = f.prefillS(prompt);
          if (ttft && prefillS * 1e3 > ttft.ms) {
            infeasible.push({ key, label: label(1), reason: `prefilling a ${Math.round(prompt)}-token prompt (the ${ttft.percentile} prompt) alone takes ${fmt(prefillS * 1e3)} ms > TTFT ${fmt(ttft.ms)} ms` });
            continue;
          }
          const dec = decodeUnits(ctx, f);
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
            kind: 'colocated',
            slots: [
              {
                role: 'colocated',
                deviceId: device.id,
                chipsPerUnit: f.chipsPerReplica,
                usdPerHourPerUnit: f.chipsPerReplica * device.priceUsdPerHour.value!,
                wattsPerUnit: device.powerW.value === null ? null : f.chipsPerReplica * device.powerW.value,
                minUnits: min,
                minUnitsReason: minReason,
                startUnits: start,
              },
            ],
            topology: (counts) => ({ kind: 'colocated', pool: poolInput(d, counts[0]!) }),
            label: (counts) => label(counts[0]!),
            blame: (failed) => (failed.some((k) => k === 'ttft' || k === 'tpot' || k === 'user-speed' || k === 'rejected') ? [0] : []),
          });
        }
      }
    }
    return { shapes, infeasible };
  },
};
