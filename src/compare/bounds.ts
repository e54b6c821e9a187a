import type { Device } from '../hardware/types.js';
import { flopsPerToken, kvBytesPerToken } from '../models/figures.js';
import type { ModelArch } from '../models/types.js';
import { devicePeaks } from '../perf/calibration.js';
import { collectiveTimeS, linkOf } from '../perf/collectives.js';
import { attentionPart, ffnPart } from '../perf/model-parts.js';
import { ACT_BYTES } from '../perf/roofline.js';
import { sramHopLink } from '../perf/sram-pipeline.js';
import type { Dtype } from '../core/units.js';
import type { AfdReport } from '../sim/afd.js';
import type { PoolReport } from '../sim/metrics.js';

/**
 * Which resource bounds a phase at an operating point: the larger of its roofline compute time (FLOPs over the
 * replica's peak) and memory time (weights plus the KV read over its bandwidth), or its link time (TP
 * all-reduces, SRAM pipeline hops, AFD hops), or — when the modelled step is over twice all three — the fixed
 * per-operator latency floors; `capacity` when the KV cache ran full. An estimate for reading, not a
 * second performance model: the simulator's numbers are the ones reported.
 */
export type Bound = 'compute' | 'memory bandwidth' | 'capacity' | 'link' | 'latency';

export interface PhaseBound {
  readonly phase: string;
  readonly device: string;
  readonly bound: Bound;
  /** Seconds per step of one replica: roofline compute, memory, link, and the simulated step. */
  readonly computeS: number;
  readonly memoryS: number;
  readonly linkS: number;
  readonly stepS: number | null;
}

export interface BoundInputs {
  readonly model: ModelArch;
  readonly weightDtype: Dtype;
  readonly kvDtype: Dtype;
  readonly deviceOf: (id: string) => Device;
  /** Sequences per decode step of one replica (or AFD unit) at the operating point. */
  readonly decodeBatch: number;
  readonly contextTokens: number;
  readonly promptTokens: number;
  readonly tpotS: number | null;
  readonly prefillS: number | null;
  readonly afd: AfdReport | null;
  readonly kvFull: boolean;
}

const PHASE: Readonly<Record<string, string>> = {
  colocated: 'prefill + decode',
  prefill: 'prefill',
  decode: 'decode',
  target: 'decode (target)',
  'decode (target)': 'decode (target)',
  attention: 'decode attention',
  ffn: 'decode FFN',
  draft: 'draft',
};

export function phaseBounds(pools: readonly PoolReport[], x: BoundInputs): PhaseBound[] {
  const out: PhaseBound[] = [];
  for (const p of pools) {
    const device = x.deviceOf(p.device);
    const peaks = safePeaks(device);
    const chips = p.chipsPerReplica;
    const flopsPerS = (x.weightDtype === 'fp8' || x.weightDtype === 'int8' || x.weightDtype === 'fp4' || x.weightDtype === 'int4' ? peaks.fp8 : peaks.bf16) * chips;
    // Weights stream from the tier the memory plan put them in (SRAM on SRAM chips, HBM on GPUs).
    const memBytesPerS = (device.memory[p.weightTier as 'sram' | 'hbm' | 'dram']?.bandwidthBytesPerS.value ?? peaks.mem) * chips;
    const weights = p.weightBytesPerChip * chips;
    const role = p.role;
    const L = x.model.numLayers;
    const prefillPhase = role === 'prefill' || role === 'colocated';
    const decodePhase = role !== 'prefill';
    const sramOnly = device.weightsInSramOnly;
    const pipelineHopS = sramOnly && p.parallelism.pp > 1 ? p.parallelism.pp * sramHopLink(device).latencyS : 0;
    const tpLinkS = (tokens: number): number =>
      !sramOnly && p.parallelism.tp > 1
        ? 2 * L * collectiveTimeS('allreduce', tokens * x.model.hiddenSize * ACT_BYTES, p.parallelism.tp, linkOf(device, p.parallelism.tp))
        : 0;
    if (prefillPhase) {
      const f = flopsPerToken(x.model, x.promptTokens / 2).total * x.promptTokens;
      const computeS = f / flopsPerS;
      const memoryS = weights / memBytesPerS;
      const linkS = tpLinkS(x.promptTokens) + pipelineHopS;
      out.push({ phase: 'prefill', device: p.device, ...label(computeS, memoryS, linkS, x.prefillS, false) });
    }
    if (decodePhase) {
      const b = Math.max(1, x.decodeBatch);
      const arch = role === 'attention' ? attentionPart(x.model) : role === 'ffn' ? ffnPart(x.model) : x.model;
      const f = flopsPerToken(arch, x.contextTokens).total * b;
      const kv = role === 'ffn' ? 0 : b * x.contextTokens * kvBytesPerToken(x.model, x.kvDtype);
      const computeS = f / flopsPerS;
      const memoryS = (weights + kv) / memBytesPerS;
      let linkS = tpLinkS(b) + pipelineHopS;
      let stepS = x.tpotS;
      if (x.afd && (role === 'attention' || role === 'ffn')) {
        linkS = x.afd.hopsHidden ? 0 : 2 * L * x.afd.perLayer.hopS;
        stepS = x.afd.stepS * (role === 'attention' ? x.afd.attentionBusyShare : x.afd.ffnBusyShare);
      }
      out.push({ phase: PHASE[role] === 'prefill + decode' ? 'decode' : (PHASE[role] ?? role), device: p.device, ...label(computeS, memoryS, linkS, stepS, x.kvFull && role !== 'ffn') });
    }
  }
  return out;
}

function label(computeS: number, memoryS: number, linkS: number, stepS: number | null, kvFull: boolean): Omit<PhaseBound, 'phase' | 'device'> {
  const top = Math.max(computeS, memoryS, linkS);
  let bound: Bound = computeS >= memoryS && computeS >= linkS ? 'compute' : memoryS >= linkS ? 'memory bandwidth' : 'link';
  if (stepS !== null && stepS > 2 * top) bound = 'latency';
  if (kvFull) bound = 'capacity';
  return { bound, computeS, memoryS, linkS, stepS };
}

function safePeaks(device: Device): { bf16: number; fp8: number; mem: number } {
  try {
    const p = devicePeaks(device);
    return { bf16: p.flopsPerS.bf16, fp8: p.flopsPerS.fp8, mem: p.memBytesPerS };
  } catch {
    return { bf16: Number.NaN, fp8: Number.NaN, mem: Number.NaN };
  }
}
