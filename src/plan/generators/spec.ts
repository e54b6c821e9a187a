import type { Device } from '../../hardware/types.js';
import type { ModelArch } from '../../models/types.js';
import type { StepShape } from '../../perf/types.js';
import { resolveLink } from '../../sim/links.js';
import { checkDraftModel, expectedTokensConstant } from '../../sim/spec.js';
import { largestBatchWithin, decodeSeats, poolFacts, type PoolDesign, type PoolFacts } from '../bounds.js';
import { SPEC_DEFAULTS } from '../drafts.js';
import { fmt } from '../slo.js';
import { parLabel, parallelismOptions, poolInput, type CandidateGenerator, type GeneratorContext, type InfeasibleShape, type Shape } from '../space.js';
import { colocatedShapes } from './colocated.js';
import { DEFAULT_BATCHED_TOKENS, DEFAULT_MAX_SEQS, RESERVE_FRACTION, decodeStepBudgetS, meanContext, type DecodeAddOn, type DecodeAddOnChoice } from './common.js';
import { pdShapes } from './pd.js';

/** Draft token ids are 4 bytes (as sim/spec.ts). */
const TOKEN_ID_BYTES = 4;

/**
 * Speculative decoding with a draft model on its own pool: the colocated and PD shapes again, each decode replica
 * paired with one draft replica (the smallest parallelism of the draft device that holds the draft), the draft
 * length k chosen analytically per decode design. A round of b sequences costs
 *
 *   k · t_draft(b) + 2 hops + t_verify(b sequences × (k + 1) tokens)
 *
 * and yields E = (1 − α^(k+1)) / (1 − α) tokens per sequence (sim/spec.ts), so the decode facts the bounds use
 * become "seconds per generated token" = round / E; k is the one with the most tokens/s per replica at the largest
 * batch that keeps the TPOT target. α is assumed (--spec-acceptance): the simulator samples acceptances from it.
 */
export const specGenerator: CandidateGenerator = {
  kind: 'spec',
  description: 'colocated or PD with speculative decoding: a draft model on its own pool beside each decode replica',
  generate(ctx) {
    const shapes: Shape[] = [];
    const infeasible: InfeasibleShape[] = [];
    const drafts = ctx.deps.draftModels ?? [];
    if (drafts.length === 0) {
      infeasible.push({ key: 'spec|*', label: 'speculative decoding', reason: `no draft model: none given (--draft-models) and no shipped model of ${ctx.deps.model.id}'s family (same vocabulary and architecture) is at most 1/8 of its size` });
      return { shapes, infeasible };
    }
    for (const dm of drafts) {
      checkDraftModel(dm, ctx.deps.model, '--draft-models');
      for (const device of ctx.devices.decode) {
        const addOn = specAddOn(ctx, dm, device);
        if ('reason' in addOn) {
          infeasible.push({ key: `spec|draft|${dm.id}|${device.id}`, label: `spec draft ${dm.id} on ${device.id}`, reason: addOn.reason });
          continue;
        }
        for (const out of [colocatedShapes(ctx, addOn), pdShapes(ctx, addOn)]) {
          shapes.push(...out.shapes);
          infeasible.push(...out.infeasible);
        }
      }
    }
    return { shapes, infeasible };
  },
};

function specAddOn(ctx: GeneratorContext, dm: ModelArch, device: Device): DecodeAddOn | { reason: string } {
  const alpha = ctx.request.spec?.acceptance ?? SPEC_DEFAULTS.acceptance;
  const maxK = ctx.request.spec?.maxK ?? SPEC_DEFAULTS.maxK;
  const dPrec = { weights: dm.weightDtype, moe: dm.expertWeightDtype ?? dm.weightDtype, kv: dm.kvDtype };
  const caps = { maxNumSeqs: DEFAULT_MAX_SEQS, maxNumBatchedTokens: DEFAULT_BATCHED_TOKENS, reserveFraction: RESERVE_FRACTION };
  const memo = new Map<string, PoolFacts>();
  const draftFacts = (par: PoolDesign['par']): PoolFacts => {
    const key = `${par.tp}|${par.pp}|${par.ep}`;
    let f = memo.get(key);
    if (!f) {
      f = poolFacts({ device, par, ...caps }, { ...ctx.deps, model: dm }, dPrec, ctx.backend);
      memo.set(key, f);
    }
    return f;
  };
  let pars: PoolDesign['par'][];
  try {
    pars = parallelismOptions(device, dm, (par) => draftFacts(par).fits);
  } catch (e) {
    return { reason: `the performance model cannot cost the draft: ${e instanceof Error ? e.message : String(e)}` };
  }
  const par = pars[0];
  if (!par) return { reason: `${dm.id} does not fit ${device.id} at any parallelism tried` };
  const design: PoolDesign = { device, par, ...caps };
  const df = draftFacts(par);
  const dLabel = `${dm.id.split('/').pop()} on ${df.chipsPerReplica} × ${device.id}`;
  const price = device.priceUsdPerHour.value!;
  const watts = device.powerW.value;

  return {
    kind: 'spec',
    at(target: PoolDesign, f: PoolFacts): DecodeAddOnChoice | { reason: string } {
      if (!f.fits) return { reason: f.reason ?? 'does not fit' };
      const link = resolveLink({ class: 'scale-out' }, target.device, device, 'spec draft link').link;
      const cost = ctx.deps.makeStepCost({
        device: target.device,
        model: ctx.deps.model,
        par: target.par,
        weightDtype: ctx.precision.weights,
        moeDtype: ctx.precision.moe,
        kvDtype: ctx.precision.kv,
        backend: ctx.backend,
      });
      const verifyS = (b: number, c: number, k: number): number => cost(verifyShape(Math.max(1, Math.round(b)), Math.max(1, c), k)).totalS;
      const draftS = (b: number, c: number, k: number): number =>
        k * df.decodeStepS(b, c + (k - 1) / 2) + 2 * link.latencyS + (b * (k + 1) * TOKEN_ID_BYTES) / link.bandwidthBytesPerS;
      const effective = (k: number): PoolFacts => {
        const e = expectedTokensConstant(alpha, k);
        return { ...f, decodeStepS: (b, c) => (verifyS(b, c, k) + draftS(b, c, k)) / e };
      };
      // k: the most tokens/s per replica at the largest batch within the TPOT budget (ties: the smaller k).
      const c = meanContext(ctx);
      const budget = decodeStepBudgetS(ctx);
      // When no batch keeps the budget, the k with the fastest batch-1 token (the floor test then rules it out).
      let best: { k: number; facts: PoolFacts; batch: number; score: number } | null = null;
      for (let k = 1; k <= maxK; k++) {
        const facts = effective(k);
        const seats = decodeSeats(facts, c);
        const batch = Number.isFinite(budget) ? largestBatchWithin(facts, seats, c, budget) : seats;
        const score = batch > 0 ? batch / facts.decodeStepS(batch, c) : -facts.decodeStepS(1, c);
        if (!best || score > best.score + 1e-12) best = { k, facts, batch, score };
      }
      const { k, facts, batch } = best!;
      const b = Math.max(1, batch);
      const e = expectedTokensConstant(alpha, k);
      return {
        facts,
        keyPart: `|spec:${dm.id}@${device.id}:${parLabel(par)}|k${k}|a${alpha}`,
        labelPart: ` + draft ${dLabel} per replica, k ${k}, α ${alpha}`,
        chipsPerUnit: df.chipsPerReplica,
        usdPerHourPerUnit: df.chipsPerReplica * price,
        wattsPerUnit: watts === null ? null : df.chipsPerReplica * watts,
        field: (n) => ({ draft: { kind: 'model', model: dm.id, pool: poolInput(design, n) }, acceptance: alpha, k }),
        notes: [
          `speculative decoding: draft ${dm.id} on ${df.chipsPerReplica} × ${device.id} ${parLabel(par)} beside each decode replica; ` +
            `k = ${k} (of 1…${maxK}) gives the most tokens/s per replica at batch ${b}, the largest whose step keeps the TPOT budget: ` +
            `E[tokens per round] = (1 − α^(k+1))/(1 − α) = ${fmt(e)} at α ${alpha} (assumed, --spec-acceptance); a round there costs ` +
            `${fmt(verifyS(b, c, k) * 1e3)} ms verify + ${fmt(draftS(b, c, k) * 1e3)} ms draft and hops, ${fmt(facts.decodeStepS(b, c) * 1e3)} ms per token ` +
            `(plain decode: ${fmt(f.decodeStepS(b, c) * 1e3)} ms)`,
        ],
      };
    },
  };
}

/** A verification step: b sequences, each with k draft tokens plus one, over `contextTokens` of KV each. */
function verifyShape(b: number, contextTokens: number, k: number): StepShape {
  return {
    numTokens: b * (k + 1),
    numSeqs: b,
    numPrefillSeqs: 0,
    prefillTokens: 0,
    prefillAttnPairs: 0,
    prefillKvTokens: 0,
    numDecodeSeqs: b,
    decodeKvTokens: b * (contextTokens + k + 1),
  };
}
