import type { WorkloadRequest } from '../workload/types.js';
import { CDF_QUANTILES, LatencyStat, type LatencySummary } from './latency-stat.js';
import type { PoolRuntime } from './pool.js';

const MS = 1e3;

/** Collects what a run measures, streaming: memory does not grow with the number of requests. */
export class MetricsCollector {
  readonly ttftMs = new LatencyStat();
  readonly tpotMs = new LatencyStat();
  readonly itlMs = new LatencyStat();
  readonly e2eMs = new LatencyStat();
  numFinished = 0;
  numRejected = 0;
  numSloMet = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** Σ over requests with ≥ 2 outputs of their decode speed (tokens/s), and how many. */
  sumUserTokensPerS = 0;
  numUserRates = 0;
  firstArrivalS = Infinity;
  lastFinishS = 0;
  kvTransferBytes = 0;
  readonly kvTransferMs = new LatencyStat();
  readonly rejectReasons = new Map<string, number>();

  constructor(
    readonly pools: readonly PoolRuntime[],
    private readonly slo: { readonly ttftS: number | null; readonly tpotS: number | null },
  ) {}

  recordFinished(req: WorkloadRequest, firstTokenS: number, finishS: number, numOutputs: number): void {
    this.numFinished++;
    const ttftS = firstTokenS - req.arrivalS;
    this.ttftMs.add(ttftS * MS);
    this.e2eMs.add((finishS - req.arrivalS) * MS);
    let tpotS: number | null = null;
    if (numOutputs > 1) {
      tpotS = (finishS - firstTokenS) / (numOutputs - 1);
      this.tpotMs.add(tpotS * MS);
      if (tpotS > 0) {
        this.sumUserTokensPerS += 1 / tpotS;
        this.numUserRates++;
      }
    }
    const ttftOk = this.slo.ttftS === null || ttftS <= this.slo.ttftS;
    const tpotOk = this.slo.tpotS === null || tpotS === null || tpotS <= this.slo.tpotS;
    if (ttftOk && tpotOk) this.numSloMet++;
    this.inputTokens += req.promptTokens;
    this.outputTokens += numOutputs;
    this.noteSpan(req.arrivalS, finishS);
  }

  recordRejected(req: WorkloadRequest, reason: string): void {
    this.numRejected++;
    this.rejectReasons.set(reason, (this.rejectReasons.get(reason) ?? 0) + 1);
    this.noteSpan(req.arrivalS, req.arrivalS);
  }

  recordItl(gapS: number): void {
    this.itlMs.add(gapS * MS);
  }

  /** `count` inter-token gaps of `gapS` each (a decode fast-forward run). */
  recordItlMany(gapS: number, count: number): void {
    this.itlMs.addMany(gapS * MS, count);
  }

  recordKvTransfer(bytes: number, durationS: number): void {
    this.kvTransferBytes += bytes;
    this.kvTransferMs.add(durationS * MS);
  }

  private noteSpan(startS: number, endS: number): void {
    if (startS < this.firstArrivalS) this.firstArrivalS = startS;
    if (endS > this.lastFinishS) this.lastFinishS = endS;
  }
}

export interface PoolReport {
  readonly role: string;
  readonly device: string;
  readonly replicas: number;
  readonly chipsPerReplica: number;
  readonly parallelism: { tp: number; pp: number; ep: number; moeTp: number; dp: number };
  readonly weightTier: string;
  readonly weightBytesPerChip: number;
  readonly kvCapacityTokens: number;
  readonly kvBlocksPerReplica: number;
  /** Busy time / run time, mean over replicas. */
  readonly utilisation: number;
  /** Time-weighted KV-cache occupancy (0..1), mean over replicas, and the peak seen. */
  readonly kvOccupancyMean: number;
  readonly kvOccupancyMax: number;
  readonly steps: number;
}

export interface Economics {
  readonly chips: number;
  readonly usdPerHour: number | null;
  readonly powerW: number | null;
  readonly missing: readonly string[];
}

export interface Metrics {
  readonly requests: number;
  readonly finished: number;
  readonly rejected: number;
  readonly durationS: number;
  readonly ttftMs: LatencySummary | null;
  readonly tpotMs: LatencySummary | null;
  readonly itlMs: LatencySummary | null;
  readonly e2eMs: LatencySummary | null;
  readonly outputTokensPerS: number;
  readonly totalTokensPerS: number;
  readonly requestsPerS: number;
  readonly tokensPerSPerUser: number | null;
  readonly tokensPerSPerChip: number;
  readonly usdPerHour: number | null;
  readonly usdPerMTok: number | null;
  readonly joulesPerToken: number | null;
  readonly tokensPerSPerMW: number | null;
  readonly sloAttainment: number;
  readonly goodputRequestsPerS: number;
  readonly kvTransfer: { readonly bytesPerRequest: number; readonly ms: LatencySummary | null } | null;
  readonly pools: readonly PoolReport[];
  /** Latency CDFs from the same sketches, in seconds: `[quantile, valueS]` at CDF_QUANTILES; `[]` without samples. */
  readonly cdf: LatencyCdfs;
}

export interface LatencyCdfs {
  readonly ttftS: readonly (readonly [number, number])[];
  readonly tpotS: readonly (readonly [number, number])[];
  readonly itlS: readonly (readonly [number, number])[];
  readonly e2eS: readonly (readonly [number, number])[];
}

/** Turn the collected samples into the reported metrics (economics per DESIGN.md: $/Mtok, J/token, tok/s/MW). */
export function summarise(m: MetricsCollector, economics: Economics, numIssued: number): Metrics {
  const durationS = Math.max(0, m.lastFinishS - (Number.isFinite(m.firstArrivalS) ? m.firstArrivalS : 0));
  const per = (x: number): number => (durationS > 0 ? x / durationS : 0);
  const outputTokensPerS = per(m.outputTokens);
  const pools: PoolReport[] = m.pools.flatMap((p) => {
    const n = p.replicas.length;
    let busyS = 0;
    let kvS = 0;
    let kvMax = 0;
    let steps = 0;
    for (const r of p.replicas) {
      busyS += r.busyS;
      kvS += r.kvUsageWeightedS;
      kvMax = Math.max(kvMax, r.maxKvUsage);
      steps += r.numSteps;
    }
    // A composite pool (AFD, speculative decoding) reports each of its chip groups.
    if (p.parts) {
      return p.parts.map(
        (part): PoolReport => ({
          role: part.role,
          device: part.device.id,
          replicas: part.replicas,
          chipsPerReplica: part.chipsPerReplica,
          parallelism: { ...part.par },
          weightTier: part.plan.weightTier,
          weightBytesPerChip: Math.round(part.plan.weightBytesPerChip),
          kvCapacityTokens: part.kvCapacityTokens,
          kvBlocksPerReplica: part.kvCapacityTokens > 0 ? Math.floor(part.kvCapacityTokens / p.schedConfig.blockSizeTokens) : 0,
          utilisation: durationS > 0 ? part.busyS / (part.replicas * durationS) : 0,
          kvOccupancyMean: part.sharesPoolKv && durationS > 0 ? kvS / (n * durationS) : 0,
          kvOccupancyMax: part.sharesPoolKv ? kvMax : 0,
          steps,
        }),
      );
    }
    return {
      role: p.role,
      device: p.device.id,
      replicas: n,
      chipsPerReplica: p.chipsPerReplica,
      parallelism: { ...p.ctx.par },
      weightTier: p.plan.weightTier,
      weightBytesPerChip: Math.round(p.plan.weightBytesPerChip),
      kvCapacityTokens: p.schedConfig.numKvBlocks * p.schedConfig.blockSizeTokens,
      kvBlocksPerReplica: p.schedConfig.numKvBlocks,
      utilisation: durationS > 0 ? busyS / (n * durationS) : 0,
      kvOccupancyMean: durationS > 0 ? kvS / (n * durationS) : 0,
      kvOccupancyMax: kvMax,
      steps,
    };
  });
  const usdPerMTok =
    economics.usdPerHour !== null && outputTokensPerS > 0 ? (economics.usdPerHour / (outputTokensPerS * 3600)) * 1e6 : null;
  const joulesPerToken = economics.powerW !== null && outputTokensPerS > 0 ? economics.powerW / outputTokensPerS : null;
  const tokensPerSPerMW = economics.powerW !== null && economics.powerW > 0 ? outputTokensPerS / (economics.powerW / 1e6) : null;
  const issued = Math.max(1, numIssued);
  return {
    requests: numIssued,
    finished: m.numFinished,
    rejected: m.numRejected,
    durationS,
    ttftMs: m.ttftMs.summary(),
    tpotMs: m.tpotMs.summary(),
    itlMs: m.itlMs.summary(),
    e2eMs: m.e2eMs.summary(),
    outputTokensPerS,
    totalTokensPerS: per(m.outputTokens + m.inputTokens),
    requestsPerS: per(m.numFinished),
    tokensPerSPerUser: m.numUserRates > 0 ? m.sumUserTokensPerS / m.numUserRates : null,
    tokensPerSPerChip: outputTokensPerS / economics.chips,
    usdPerHour: economics.usdPerHour,
    usdPerMTok,
    joulesPerToken,
    tokensPerSPerMW,
    sloAttainment: m.numSloMet / issued,
    goodputRequestsPerS: per(m.numSloMet),
    kvTransfer:
      m.kvTransferMs.count > 0
        ? { bytesPerRequest: m.kvTransferBytes / m.kvTransferMs.count, ms: m.kvTransferMs.summary() }
        : null,
    pools,
    cdf: {
      ttftS: m.ttftMs.cdf(CDF_QUANTILES, MS),
      tpotS: m.tpotMs.cdf(CDF_QUANTILES, MS),
      itlS: m.itlMs.cdf(CDF_QUANTILES, MS),
      e2eS: m.e2eMs.cdf(CDF_QUANTILES, MS),
    },
  };
}
