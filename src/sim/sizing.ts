import { UsageError } from '../core/errors.js';
import type { Dtype } from '../core/units.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { sramAutoParallelism } from '../perf/sram-pipeline.js';
import type { Backend, PerfContext } from '../perf/types.js';
import type { LengthSchema, PoolConfig } from '../scenario/schema.js';
import type { Trace } from '../workload/types.js';
import type { z } from 'zod';

type Length = z.output<typeof LengthSchema>;

/** The mean of a length distribution as the scenario gives it (trace: the mean over the trace's rows). */
export function meanLengthTokens(l: Length, trace: Trace | null, which: 'input' | 'output'): number {
  switch (l.kind) {
    case 'fixed':
      return l.tokens;
    case 'uniform':
      return (l.min + l.max) / 2;
    case 'lognormal':
      return Math.min(l.max, Math.max(l.min, l.mean));
    case 'trace': {
      if (!trace || trace.rows.length === 0) return 1024;
      let sum = 0;
      for (const r of trace.rows) sum += which === 'input' ? r.promptTokens : r.outputTokens;
      return sum / trace.rows.length;
    }
  }
}

/**
 * `chips: auto` on a pool of an SRAM-pipelined device: the fewest chips (tp × pp) whose SRAM holds the model's
 * weights plus `kvTokens` of KV (default: maxNumSeqs × the workload's mean prompt + output). The parallelism
 * is written into the resolved pool so the printed scenario shows it.
 */
export function resolvePoolSizing(
  config: PoolConfig,
  where: string,
  s: { device: Device; model: ModelArch; precision: { weights: Dtype; moe: Dtype; kv: Dtype }; backend: Backend },
  meanContextTokens: number,
): PoolConfig {
  if (config.chips !== 'auto') return config;
  if (!s.device.weightsInSramOnly) {
    throw new UsageError(
      `${where}.chips`,
      'auto',
      'chips: auto only on SRAM-pipelined devices (weights in on-chip SRAM: groq, groq3-lpu, wse3, …)',
      `Size ${s.device.id} with ${where}.parallelism (tp, pp, ep, dp) instead.`,
    );
  }
  const kvTokens = config.kvTokens ?? Math.ceil(config.scheduler.maxNumSeqs * meanContextTokens);
  const ctx: PerfContext = {
    device: s.device,
    model: s.model,
    par: { tp: 1, pp: 1, ep: 1, moeTp: 1, dp: 1 },
    weightDtype: s.precision.weights,
    moeDtype: s.precision.moe,
    kvDtype: s.precision.kv,
    backend: s.backend,
  };
  const par = sramAutoParallelism(ctx, kvTokens, config.memoryReserveFraction);
  if (!par) {
    throw new UsageError(
      `${where}.chips`,
      'auto',
      `a device whose SRAM can hold ${s.model.id}`,
      `${s.device.id} has no usable SRAM capacity in the catalog; add memory.sram in a hardware override.`,
    );
  }
  return { ...config, kvTokens, parallelism: { ...config.parallelism, tp: par.tp, pp: par.pp, ep: 1, dp: 1, moeTp: par.tp } };
}
