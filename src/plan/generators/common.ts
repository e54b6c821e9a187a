import type { Device } from '../../hardware/types.js';
import { decodeSeats, largestBatchWithin, type PoolDesign, type PoolFacts } from '../bounds.js';
import { fmt } from '../slo.js';
import { batchCapBelow, parallelismOptions, type GeneratorContext, type Shape } from '../space.js';
import type { Percentile } from '../types.js';

const QUANTILE: Record<Percentile, number> = { p50: 0.5, p90: 0.9, p99: 0.99 };
export const quantileOf = (p: Percentile): number => QUANTILE[p];

export const DEFAULT_MAX_SEQS = 256;
export const DEFAULT_BATCHED_TOKENS = 8192;
export const RESERVE_FRACTION = 0.1;

/** Pool designs of a device at every useful parallelism, with the default caps. */
export function designsOf(ctx: GeneratorContext, device: Device, caps: { maxNumSeqs: number; maxNumBatchedTokens: number }): PoolDesign[] {
  const fits = (par: PoolDesign['par']): boolean => ctx.facts({ device, par, ...caps, reserveFraction: RESERVE_FRACTION }).fits;
  return parallelismOptions(device, ctx.deps.model, fits).map((par) => ({ device, par, ...caps, reserveFraction: RESERVE_FRACTION }));
}

/** Mean KV a running request holds over its life: its prompt plus half its output. */
export const meanContext = (ctx: GeneratorContext): number => ctx.stats.meanPromptTokens + ctx.stats.meanOutputTokens / 2;

/**
 * Why a pool that decodes cannot meet the SLO whatever its replica count, or null. Each test is a floor: a
 * decode step never gets faster than at batch 1, and a request must fit the KV cache whole.
 */
export function decodeInfeasibility(ctx: GeneratorContext, f: PoolFacts): string | null {
  if (!f.fits) return f.reason;
  const longest = ctx.stats.maxPromptTokens + ctx.stats.maxOutputTokens;
  if (longest > f.kvTokens) return `the longest request (${longest} tokens) does not fit its ${f.kvTokens}-token KV cache`;
  const floorS = f.decodeStepS(1, 1);
  const tpot = ctx.request.slo.tpot;
  if (tpot && floorS * 1e3 > tpot.ms) return `a decode step at batch 1 takes ${fmt(floorS * 1e3)} ms > TPOT ${tpot.percentile} ${fmt(tpot.ms)} ms`;
  const minUser = ctx.request.slo.minTokensPerSPerUser;
  if (minUser !== null && 1 / floorS < minUser) return `batch 1 decodes at most ${fmt(1 / floorS)} tokens/s per user < ${fmt(minUser)}`;
  return null;
}

/** The decode step time the batch may reach and still meet the TPOT target (with headroom for the tail). */
export function decodeStepBudgetS(ctx: GeneratorContext): number {
  const tpot = ctx.request.slo.tpot ? ctx.request.slo.tpot.ms / 1e3 : Infinity;
  const user = ctx.request.slo.minTokensPerSPerUser !== null ? 1 / ctx.request.slo.minTokensPerSPerUser : Infinity;
  return 0.8 * Math.min(tpot, user);
}

/** Decode replicas needed at least (sound: throughput at the largest batch) and to start from (at the SLO batch). */
export function decodeUnits(ctx: GeneratorContext, f: PoolFacts): { min: number; minReason: string; start: number; sloBatch: number } {
  const r = ctx.stats.ratePerS;
  const c = meanContext(ctx);
  const seats = decodeSeats(f, c);
  const outTokPerS = r * ctx.stats.meanOutputTokens;
  const maxRate = seats / f.decodeStepS(seats, c);
  const budget = decodeStepBudgetS(ctx);
  const sloBatch = Number.isFinite(budget) ? Math.max(1, largestBatchWithin(f, seats, c, budget)) : seats;
  const sloRate = sloBatch / f.decodeStepS(sloBatch, c);
  return {
    min: Math.max(1, Math.ceil(outTokPerS / maxRate - 1e-9)),
    minReason: `decode throughput: ${fmt(outTokPerS)} output tok/s needed, one replica decodes at most ${fmt(maxRate)} (batch ${seats})`,
    start: Math.max(1, Math.ceil(outTokPerS / sloRate / 0.85)),
    sloBatch,
  };
}

/** A second, tighter batch cap when the SLO batch is below the default: queueing instead of slow steps. */
export function decodeCapVariants(sloBatch: number): number[] {
  const cap = batchCapBelow(sloBatch);
  return cap === null ? [DEFAULT_MAX_SEQS] : [DEFAULT_MAX_SEQS, cap];
}

/** The prompt length at the TTFT percentile (the mean when there is no TTFT target). */
export function ttftPrompt(ctx: GeneratorContext): number {
  const t = ctx.request.slo.ttft;
  return t ? ctx.stats.promptTokensAt(quantileOf(t.percentile)) : ctx.stats.meanPromptTokens;
}

/**
 * Something a generator adds to a decode pool — speculative decoding (spec.ts): per decode design, the decode
 * facts it turns into (per-token time of a round), what it adds to each decode replica, and the topology field.
 */
export interface DecodeAddOn {
  readonly kind: string;
  readonly at: (design: PoolDesign, f: PoolFacts) => DecodeAddOnChoice | { readonly reason: string };
}

export interface DecodeAddOnChoice {
  /** The decode facts with the add-on: decodeStepS is the time per generated token of a sequence. */
  readonly facts: PoolFacts;
  readonly keyPart: string;
  readonly labelPart: string;
  readonly chipsPerUnit: number;
  readonly usdPerHourPerUnit: number;
  readonly wattsPerUnit: number | null;
  /** The topology's `spec` field for this many decode replicas. */
  readonly field: (decodeReplicas: number) => Record<string, unknown>;
  readonly notes: readonly string[];
}

export const isChoice = (x: DecodeAddOnChoice | { readonly reason: string }): x is DecodeAddOnChoice => 'facts' in x;

/** A slot's per-replica cost, plus what an add-on puts beside each replica. */
export function unitCost(device: Device, f: PoolFacts, add: DecodeAddOnChoice | null): { chipsPerUnit: number; usdPerHourPerUnit: number; wattsPerUnit: number | null } {
  const watts = device.powerW.value === null ? null : f.chipsPerReplica * device.powerW.value;
  return {
    chipsPerUnit: f.chipsPerReplica + (add?.chipsPerUnit ?? 0),
    usdPerHourPerUnit: f.chipsPerReplica * device.priceUsdPerHour.value! + (add?.usdPerHourPerUnit ?? 0),
    wattsPerUnit: watts === null || (add && add.wattsPerUnit === null) ? null : watts + (add?.wattsPerUnit ?? 0),
  };
}

/** For [prefill, decode-side] slots: a missed TTFT blames the prefill pool, a missed decode bound the decode side. */
export const prefillDecodeBlame: Shape['blame'] = (failed) => {
  const out = new Set<number>();
  for (const k of failed) {
    if (k === 'ttft') out.add(0);
    if (k === 'tpot' || k === 'user-speed' || k === 'rejected') out.add(1);
  }
  return [...out].sort();
};
