import type { Device } from '../../hardware/types.js';
import type { ModelArch } from '../../models/types.js';
import { afdMicroBatchesToHide, afdTimeline, type AfdStage } from '../../perf/afd-timeline.js';
import { uniformDecodeShape } from '../../perf/decode-shape.js';
import { attentionPart, ffnPart, withoutLayers } from '../../perf/model-parts.js';
import { ACT_BYTES } from '../../perf/roofline.js';
import { isSramPipelined, scaleShape, sramStageModel } from '../../perf/sram-pipeline.js';
import type { PerfContext, StepShape } from '../../perf/types.js';
import { resolveLink } from '../../sim/links.js';
import { decodeSeats, largestBatchWithin, poolFacts, type PoolDesign, type PoolFacts } from '../bounds.js';
import { fmt } from '../slo.js';
import { ceilish, parLabel, parallelismOptions, poolInput, type CandidateGenerator, type GeneratorContext, type InfeasibleShape, type Shape } from '../space.js';
import type { TopologyInput } from '../types.js';
import { DEFAULT_BATCHED_TOKENS, DEFAULT_MAX_SEQS, RESERVE_FRACTION, decodeInfeasibility, decodeStepBudgetS, decodeUnits, designsOf, meanContext, prefillDecodeBlame, ttftPrompt } from './common.js';
import { kvLinkOf } from './pd.js';

/** Attention replicas per FFN replica tried, and micro-batches 1 … MAX_MICRO_BATCHES (the schema's default cap). */
const RATIOS = [1, 2, 3, 4, 6, 8];
const MAX_MICRO_BATCHES = 8;

/**
 * Attention–FFN disaggregation (sim/afd.ts): a prefill pool, then AFD units of `a` attention replicas (KV cache and
 * attention weights) and one FFN replica (the FFN weights), m micro-batches ping-ponging two hops per layer. Per
 * (prefill design, attention device, FFN device): each side at its fewest chips that hold its part of the model, and
 * the ratio a and m chosen analytically — the pair with the least $/hour per output token/s at the largest batch
 * whose step (perf/afd-timeline.ts, the simulator's own pipeline) keeps the TPOT budget. Slots: [prefill replicas,
 * AFD units].
 */
export const afdGenerator: CandidateGenerator = {
  kind: 'afd',
  description: 'prefill pool → AFD units: attention replicas holding the KV cache ping-pong with an FFN replica',
  generate(ctx) {
    const shapes: Shape[] = [];
    const infeasible: InfeasibleShape[] = [];
    const s = ctx.stats;
    const caps = { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS };
    const units: AfdUnitDesign[] = [];
    for (const A of ctx.devices.decode) {
      for (const F of ctx.devices.decode) {
        let u: AfdUnitDesign[] | { reason: string };
        try {
          u = afdUnits(ctx, A, F);
        } catch (e) {
          u = { reason: `the performance model cannot cost it: ${e instanceof Error ? e.message : String(e)}` };
        }
        if ('reason' in u) infeasible.push({ key: `afd|*|${A.id}|${F.id}`, label: `afd attention ${A.id} ↔ FFN ${F.id}`, reason: u.reason });
        else units.push(...u);
      }
    }
    const prompt = ttftPrompt(ctx);
    const ttft = ctx.request.slo.ttft;
    for (const p of ctx.devices.prefill.flatMap((d) => designsOf(ctx, d, caps))) {
      const pf = ctx.facts(p);
      if (!pf.fits || pf.kvTokens < s.maxPromptTokens + 1) continue; // the pd generator reports these
      const prefillS = pf.prefillS(prompt);
      for (const u of units) {
        const key = `afd|${p.device.id}|${parLabel(p.par)}|${u.key}`;
        const label = (c: readonly number[]): string =>
          `afd prefill ${c[0]} × (${pf.chipsPerReplica} × ${p.device.id} ${parLabel(p.par)}) → ${c[1]} × [${u.ratio} × (${u.attn.chips} × ${u.attn.design.device.id} ${parLabel(u.attn.design.par)}) attention + ` +
          `(${u.ffn.chips} × ${u.ffn.design.device.id} ${parLabel(u.ffn.design.par)}) FFN], m ${u.microBatches}`;
        const link = kvLinkOf(p.device, u.attn.design.device);
        if (link === null) {
          infeasible.push({ key, label: label([1, 1]), reason: `the catalog has no scale-out bandwidth for ${p.device.id} or ${u.attn.design.device.id}` });
          continue;
        }
        const transferS = (prompt * pf.kvBytesPerToken) / (link.bandwidthBytesPerS * pf.chipsPerReplica);
        const exposedS = Math.max(transferS / ctx.deps.model.numLayers, transferS - prefillS) + link.latencyS;
        if (ttft && (prefillS + exposedS) * 1e3 > ttft.ms) {
          infeasible.push({ key, label: label([1, 1]), reason: `prefilling and sending a ${Math.round(prompt)}-token prompt takes ${fmt((prefillS + exposedS) * 1e3)} ms > TTFT ${fmt(ttft.ms)} ms` });
          continue;
        }
        const promptTokPerS = s.ratePerS * s.meanPromptTokens;
        const pMin = ceilish(promptTokPerS / pf.prefillTokensPerS);
        const dec = decodeUnits(ctx, u.facts);
        const pPrice = p.device.priceUsdPerHour.value!;
        shapes.push({
          key,
          kind: 'afd',
          slots: [
            {
              role: 'prefill',
              deviceId: p.device.id,
              chipsPerUnit: pf.chipsPerReplica,
              usdPerHourPerUnit: pf.chipsPerReplica * pPrice,
              wattsPerUnit: p.device.powerW.value === null ? null : pf.chipsPerReplica * p.device.powerW.value,
              minUnits: pMin,
              minUnitsReason: `prefill throughput: ${fmt(promptTokPerS)} prompt tok/s, one replica prefills at most ${fmt(pf.prefillTokensPerS)}`,
              startUnits: Math.max(pMin, Math.ceil(promptTokPerS / pf.prefillTokensPerS / 0.7)),
            },
            {
              role: 'decode',
              displayName: `AFD units (${u.ratio} attention + 1 FFN replica each)`,
              deviceId: u.attn.design.device.id,
              chipsPerUnit: u.facts.chipsPerReplica,
              usdPerHourPerUnit: u.usdPerHour,
              wattsPerUnit: u.watts,
              minUnits: dec.min,
              minUnitsReason: dec.minReason,
              startUnits: Math.max(dec.min, dec.start),
            },
          ],
          topology: (c) =>
            ({
              kind: 'afd',
              prefill: poolInput(p, c[0]!),
              attention: poolInput(u.attn.design, u.ratio * c[1]!),
              ffn: poolInput(u.ffn.design, c[1]!),
              microBatches: u.microBatches,
            }) as TopologyInput,
          label,
          blame: prefillDecodeBlame,
          notes: u.notes,
        });
      }
    }
    return { shapes, infeasible };
  },
};

interface Side {
  readonly design: PoolDesign;
  readonly facts: PoolFacts;
  readonly chips: number;
}

interface AfdUnitDesign {
  readonly key: string;
  readonly attn: Side;
  readonly ffn: Side;
  readonly ratio: number;
  readonly microBatches: number;
  /** The unit as one decode replica: a × the attention KV, the AFD step time. */
  readonly facts: PoolFacts;
  readonly usdPerHour: number;
  readonly watts: number | null;
  readonly notes: readonly string[];
}

/** The designs of one side holding `part` (the attention side's KV cache, the FFN side's weights), fewest chips first. */
function sides(ctx: GeneratorContext, device: Device, part: ModelArch): Side[] | { reason: string } {
  const caps = { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS, reserveFraction: RESERVE_FRACTION };
  const memo = new Map<string, PoolFacts>();
  const facts = (par: PoolDesign['par']): PoolFacts => {
    const key = `${par.tp}|${par.pp}|${par.ep}`;
    let f = memo.get(key);
    if (!f) {
      f = poolFacts({ device, par, ...caps }, { ...ctx.deps, model: part }, ctx.precision, ctx.backend);
      memo.set(key, f);
    }
    return f;
  };
  const pars = parallelismOptions(device, part, (p) => facts(p).fits);
  if (pars.length === 0) return { reason: `${part.id} does not fit ${device.id} at any parallelism tried` };
  return pars.map((par) => ({ design: { device, par, ...caps }, facts: facts(par), chips: facts(par).chipsPerReplica }));
}

/**
 * The units of one (attention device, FFN device) pair: the attention side at its fewest chips (more attention
 * capacity comes from the ratio), the FFN side at each parallelism that holds it (its step time sets T_e).
 */
function afdUnits(ctx: GeneratorContext, A: Device, F: Device): AfdUnitDesign[] | { reason: string } {
  const attn = sides(ctx, A, attentionPart(ctx.deps.model));
  if ('reason' in attn) return attn;
  const ffns = sides(ctx, F, ffnPart(ctx.deps.model));
  if ('reason' in ffns) return ffns;
  const out: AfdUnitDesign[] = [];
  const why: string[] = [];
  for (const ffn of ffns) {
    const u = afdUnit(ctx, attn[0]!, ffn);
    if ('reason' in u) why.push(`FFN ${parLabel(ffn.design.par)}: ${u.reason}`);
    else out.push(u);
  }
  return out.length > 0 ? out : { reason: why.join('; ') };
}

function afdUnit(ctx: GeneratorContext, attn: Side, ffn: Side): AfdUnitDesign | { reason: string } {
  const model = ctx.deps.model;
  const L = model.numLayers;
  const attnModel = attentionPart(model);
  const ffnModel = ffnPart(model);
  const A = attn.design.device;
  const F = ffn.design.device;
  const perf = (device: Device, m: ModelArch, par: PoolDesign['par']): PerfContext => ({
    device,
    model: m,
    par,
    weightDtype: ctx.precision.weights,
    moeDtype: ctx.precision.moe,
    kvDtype: ctx.precision.kv,
    backend: ctx.backend,
  });
  // Per-layer costs by differencing, as sim/afd.ts: (model − the same model without layers) / L.
  const attnAll = ctx.deps.makeStepCost(perf(A, attnModel, attn.design.par));
  const attnHead = ctx.deps.makeStepCost(perf(A, withoutLayers(attnModel), attn.design.par));
  const attnLayerS = (s: StepShape): number => Math.max(0, attnAll(s).totalS - attnHead(s).totalS) / L;
  let ffnLayerS: (s: StepShape) => number;
  let ffnStages = 1;
  if (isSramPipelined(F)) {
    const stage = sramStageModel(perf(F, ffnModel, ffn.design.par), { reserveFraction: RESERVE_FRACTION });
    ffnLayerS = (s) => stage.allLayersS(s).totalS / L;
    ffnStages = ffn.design.par.pp;
  } else {
    const ffnAll = ctx.deps.makeStepCost(perf(F, ffnModel, ffn.design.par));
    const ffnHead = ctx.deps.makeStepCost(perf(F, withoutLayers(ffnModel), ffn.design.par));
    ffnLayerS = (s) => Math.max(0, ffnAll(s).totalS - ffnHead(s).totalS) / L;
  }
  const link = resolveLink({ class: 'scale-out' }, A, F, 'afd link').link;
  const hopTransferS = (tokensPerReplica: number, a: number): number => {
    const bytes = tokensPerReplica * model.hiddenSize * ACT_BYTES;
    return Math.max(bytes / (link.bandwidthBytesPerS * attn.chips), (a * bytes) / (link.bandwidthBytesPerS * ffn.chips));
  };
  const stageAt = (pipe: StepShape, a: number, m: number): AfdStage => ({
    attentionS: attnLayerS(scaleShape(pipe, 1 / (a * m))),
    ffnS: ffnLayerS(scaleShape(pipe, 1 / m)),
    hopLatencyS: link.latencyS,
    hopTransferS: hopTransferS(pipe.numTokens / (a * m), a),
    microBatches: m,
    layers: L,
    ffnStages,
  });
  const unitFacts = (a: number, m: number): PoolFacts => ({
    fits: true,
    reason: null,
    chipsPerReplica: a * attn.chips + ffn.chips,
    kvTokens: a * attn.facts.kvTokens,
    kvBytesPerToken: attn.facts.kvBytesPerToken,
    maxSeqs: a * DEFAULT_MAX_SEQS,
    decodeStepS: (batch, contextTokens) => {
      const b = Math.max(1, Math.round(batch));
      const pipe = uniformDecodeShape(b, Math.max(1, Math.round(contextTokens)));
      return afdTimeline(stageAt(pipe, a, Math.min(m, b))).totalS + attnHead(scaleShape(pipe, 1 / a)).totalS;
    },
    // The unit never prefills (the prefill pool does).
    prefillS: () => Infinity,
    prefillTokensPerS: 0,
  });
  const aPrice = A.priceUsdPerHour.value!;
  const fPrice = F.priceUsdPerHour.value!;
  const c = meanContext(ctx);
  const budget = decodeStepBudgetS(ctx);
  let best: { a: number; m: number; facts: PoolFacts; usdPerTokS: number; batch: number } | null = null;
  let lastWhy: string | null = null;
  for (const a of RATIOS) {
    for (let m = 1; m <= MAX_MICRO_BATCHES; m++) {
      const facts = unitFacts(a, m);
      const why = decodeInfeasibility(ctx, facts);
      if (why) {
        lastWhy = why;
        continue;
      }
      const seats = decodeSeats(facts, c);
      const batch = Number.isFinite(budget) ? Math.max(1, largestBatchWithin(facts, seats, c, budget)) : seats;
      const usd = a * attn.chips * aPrice + ffn.chips * fPrice;
      const usdPerTokS = usd / (batch / facts.decodeStepS(batch, c));
      if (!best || usdPerTokS < best.usdPerTokS - 1e-12) best = { a, m, facts, usdPerTokS, batch };
    }
  }
  if (!best) return { reason: `no ratio (${RATIOS.join(', ')}) and micro-batch count (1…${MAX_MICRO_BATCHES}) works, e.g. ${lastWhy ?? 'unknown'}` };
  const { a, m, facts, batch } = best;
  const stage = stageAt(uniformDecodeShape(batch, Math.round(c)), a, Math.min(m, batch));
  const toHide = afdMicroBatchesToHide(stage);
  const fW = F.powerW.value;
  const aW = A.powerW.value;
  const us = (x: number): string => `${fmt(x * 1e6)} µs`;
  return {
    key: `${A.id}|${parLabel(attn.design.par)}|${F.id}|${parLabel(ffn.design.par)}|a${a}|m${m}`,
    attn,
    ffn,
    ratio: a,
    microBatches: m,
    facts,
    usdPerHour: a * attn.chips * aPrice + ffn.chips * fPrice,
    watts: aW === null || fW === null ? null : a * attn.chips * aW + ffn.chips * fW,
    notes: [
      `AFD: ${a} attention replica(s) per FFN replica and m = ${m} micro-batches (of ratios ${RATIOS.join('/')} × m 1…${MAX_MICRO_BATCHES}) cost the least per output token/s at ` +
        `batch ${batch} per unit, the largest whose step keeps the TPOT budget; there, per layer T_a ${us(stage.attentionS)}, T_e ${us(stage.ffnS)}, ` +
        `hop T_c ${us(stage.hopLatencyS + stage.hopTransferS)}; hiding the hops needs m ≥ 2(1 + T_c/T_f) = ${fmt(toHide)}` +
        `${m >= toHide ? ' (met)' : ' (not met: the hops are partly exposed)'}; step ${fmt(facts.decodeStepS(batch, c) * 1e3)} ms`,
    ],
  };
}
