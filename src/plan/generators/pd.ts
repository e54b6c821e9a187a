import type { Device } from '../../hardware/types.js';
import type { PoolFacts } from '../bounds.js';
import { fmt } from '../slo.js';
import { ceilish, parLabel, poolInput, type CandidateGenerator, type GeneratorContext, type InfeasibleShape, type Shape } from '../space.js';
import type { TopologyInput } from '../types.js';
import {
  isChoice,
  unitCost,
  type DecodeAddOn,
  DEFAULT_BATCHED_TOKENS,
  DEFAULT_MAX_SEQS,
  decodeCapVariants,
  decodeInfeasibility,
  decodeUnits,
  designsOf,
  prefillDecodeBlame,
  ttftPrompt,
} from './common.js';

/**
 * Prefill/decode disaggregation: a prefill pool and a decode pool on any two allowed devices, KV sent layer by
 * layer over the scale-out network. Slots: [prefill replicas, decode replicas].
 */
export const pdGenerator: CandidateGenerator = {
  kind: 'pd',
  description: 'prefill pool → KV transfer → decode pool',
  generate: (ctx) => pdShapes(ctx, null),
};

/** The PD shapes, optionally with an add-on (speculative decoding) on the decode pool. */
export function pdShapes(ctx: GeneratorContext, addOn: DecodeAddOn | null): { shapes: Shape[]; infeasible: InfeasibleShape[] } {
  const shapes: Shape[] = [];
  const infeasible: InfeasibleShape[] = [];
  const s = ctx.stats;
  const kind = addOn ? addOn.kind : 'pd';
  const keyHead = kind === 'pd' ? 'pd' : `${kind}|pd`;
  const caps = { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS };
  const prefills = ctx.devices.prefill.flatMap((d) => designsOf(ctx, d, caps));
  const decodes = ctx.devices.decode.flatMap((d) =>
    designsOf(ctx, d, caps).flatMap((base) => {
      const raw = ctx.facts(base);
      const add = addOn ? addOn.at(base, raw) : null;
      const label = `pd decode ${d.id} ${parLabel(base.par)}${addOn ? ` + ${addOn.kind}` : ''}`;
      if (add && !isChoice(add)) {
        infeasible.push({ key: `${keyHead}|*|${d.id}|${parLabel(base.par)}`, label, reason: add.reason });
        return [];
      }
      const why = decodeInfeasibility(ctx, add ? add.facts : raw);
      if (why) {
        infeasible.push({ key: `${keyHead}|*|${d.id}|${parLabel(base.par)}${add ? add.keyPart : ''}`, label: `pd decode ${d.id} ${parLabel(base.par)}${add ? add.labelPart : ''}`, reason: why });
        return [];
      }
      return decodeCapVariants(decodeUnits(ctx, add ? add.facts : raw).sloBatch).flatMap((maxNumSeqs) => {
        const design = { ...base, maxNumSeqs };
        const a = addOn ? (maxNumSeqs === base.maxNumSeqs ? add : addOn.at(design, ctx.facts(design))) : null;
        if (a && !isChoice(a)) return [];
        return [{ design, add: a }];
      });
    }),
  );
  const prompt = ttftPrompt(ctx);
  const ttft = ctx.request.slo.ttft;
  for (const p of prefills) {
    const pf = ctx.facts(p);
    if (!pf.fits) continue;
    if (pf.kvTokens < s.maxPromptTokens + 1) {
      infeasible.push({ key: `${keyHead}|${p.device.id}|${parLabel(p.par)}|*`, label: `pd prefill ${p.device.id} ${parLabel(p.par)}`, reason: `the longest prompt (${s.maxPromptTokens} tokens) does not fit its ${pf.kvTokens}-token KV cache` });
      continue;
    }
    const prefillS = pf.prefillS(prompt);
    for (const { design: d, add } of decodes) {
      const raw = ctx.facts(d);
      const df = add ? add.facts : raw;
      const key = `${keyHead}|${p.device.id}|${parLabel(p.par)}|${d.device.id}|${parLabel(d.par)}|seqs${d.maxNumSeqs}${add ? add.keyPart : ''}`;
      const label = (c: readonly number[]): string =>
        `pd prefill ${c[0]} × (${pf.chipsPerReplica} × ${p.device.id} ${parLabel(p.par)}) → decode ${c[1]} × (${raw.chipsPerReplica} × ${d.device.id} ${parLabel(d.par)}), ≤${d.maxNumSeqs} seqs${add ? add.labelPart : ''}`;
      const link = kvLinkOf(p.device, d.device);
      if (link === null) {
        infeasible.push({ key, label: label([1, 1]), reason: `the catalog has no scale-out bandwidth for ${p.device.id} or ${d.device.id}` });
        continue;
      }
      const transferS = (prompt * pf.kvBytesPerToken) / (link.bandwidthBytesPerS * pf.chipsPerReplica);
      const exposedS = Math.max(transferS / ctx.deps.model.numLayers, transferS - prefillS) + link.latencyS;
      if (ttft && (prefillS + exposedS) * 1e3 > ttft.ms) {
        infeasible.push({
          key,
          label: label([1, 1]),
          reason: `prefilling and sending a ${Math.round(prompt)}-token prompt (the ${ttft.percentile} prompt) takes ${fmt((prefillS + exposedS) * 1e3)} ms > TTFT ${fmt(ttft.ms)} ms`,
        });
        continue;
      }
      const promptTokPerS = s.ratePerS * s.meanPromptTokens;
      const pMin = ceilish(promptTokPerS / pf.prefillTokensPerS);
      const dec = decodeUnits(ctx, df);
      shapes.push({
        key,
        kind,
        slots: [
          slot('prefill', p.device, pf, pMin, `prefill throughput: ${fmt(promptTokPerS)} prompt tok/s, one replica prefills at most ${fmt(pf.prefillTokensPerS)}`, Math.max(pMin, Math.ceil(promptTokPerS / pf.prefillTokensPerS / 0.7))),
          { role: 'decode' as const, deviceId: d.device.id, ...unitCost(d.device, raw, add), minUnits: dec.min, minUnitsReason: dec.minReason, startUnits: Math.max(dec.min, dec.start) },
        ],
        topology: (c) => ({ kind: 'pd', prefill: poolInput(p, c[0]!), decode: poolInput(d, c[1]!), ...(add ? { spec: add.field(c[1]!) } : {}) }) as TopologyInput,
        label,
        blame: prefillDecodeBlame,
        ...(add ? { notes: add.notes } : {}),
      });
    }
  }
  return { shapes, infeasible };
}

function slot(role: 'prefill' | 'decode', device: Device, f: PoolFacts, minUnits: number, minUnitsReason: string, startUnits: number) {
  return {
    role,
    deviceId: device.id,
    chipsPerUnit: f.chipsPerReplica,
    usdPerHourPerUnit: f.chipsPerReplica * device.priceUsdPerHour.value!,
    wattsPerUnit: device.powerW.value === null ? null : f.chipsPerReplica * device.powerW.value,
    minUnits,
    minUnitsReason,
    startUnits,
  };
}

/** The scale-out link the simulator uses between two devices (run.ts kvLink with class scale-out). */
export function kvLinkOf(a: Device, b: Device): { bandwidthBytesPerS: number; latencyS: number } | null {
  const bwA = a.scaleOut.bandwidthBytesPerS.value;
  const bwB = b.scaleOut.bandwidthBytesPerS.value;
  if (bwA === null || bwB === null) return null;
  const la = a.scaleOut.latencyS.value;
  const lb = b.scaleOut.latencyS.value;
  return { bandwidthBytesPerS: Math.min(bwA, bwB), latencyS: la !== null && lb !== null ? Math.max(la, lb) : 0 };
}
