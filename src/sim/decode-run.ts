import { BlockHashTable } from '../sched/block-hash-table.js';
import type { StepShape, StepTime } from '../perf/types.js';

/**
 * A replica's decode fast-forward run: `numSteps` pure-decode steps of a fixed batch of `batch` sequences, the
 * first starting at `startS`. The attention context grows by `batch` tokens a step, so the step time grows with
 * it; the run takes the step time as linear in the step index, t_j = t0S + slopeS·j (j = 0 … numSteps − 1), fit
 * through the cost model's exact times of the first and last steps, and checked at the middle step (see
 * `planDecodeRun`). Step ends then have the closed form E(k) = startS + k·t0S + slopeS·k(k − 1)/2.
 * Mutable and reused: one per replica, no allocation per run.
 */
export class DecodeRun {
  numSteps = 0;
  batch = 0;
  startS = 0;
  t0S = 0;
  slopeS = 0;
  /** Σ over the batch of the first step's attention context (computed + 1 tokens each). */
  kvTokens0 = 0;

  get active(): boolean {
    return this.numSteps > 0;
  }

  /** When the k-th step of the run ends (k = 0: the start). */
  endS(k: number): number {
    return this.startS + k * this.t0S + (this.slopeS * k * (k - 1)) / 2;
  }

  /** Duration of step j (0-based). */
  stepS(j: number): number {
    return this.t0S + this.slopeS * j;
  }

  /**
   * Keep step k (0-based) alone, with its fitted start and end: the steps before it have been applied, the ones
   * after it are dropped (an arrival cut the run while step k was in flight).
   */
  keepStep(k: number): void {
    const startS = this.endS(k);
    this.t0S = this.endS(k + 1) - startS;
    this.startS = startS;
    this.slopeS = 0;
    this.kvTokens0 += this.batch * k;
    this.numSteps = 1;
  }

  /** Steps of the run that have ended by `timeS` (a step ending exactly then counts), at most numSteps. */
  stepsDoneBy(timeS: number): number {
    const n = this.numSteps;
    if (timeS >= this.endS(n)) return n;
    if (timeS < this.endS(1)) return 0;
    // Solve E(k) = timeS for k, then settle the rounding by evaluating E itself (the caller compares with E).
    const a = this.slopeS / 2;
    const b = this.t0S - this.slopeS / 2;
    const c = this.startS - timeS;
    let k = a === 0 ? -c / b : (-b + Math.sqrt(Math.max(0, b * b - 4 * a * c))) / (2 * a);
    k = Math.min(n, Math.max(0, Math.floor(k)));
    while (k < n && this.endS(k + 1) <= timeS) k++;
    while (k > 0 && this.endS(k) > timeS) k--;
    return k;
  }
}

/** Relative error of the linear step-time fit at the middle step above which a run is halved (see docs/performance.md). */
export const LINEAR_FIT_TOLERANCE = 1e-5;

/** A reusable decode-only shape: `batch` sequences reading `kvTokens` tokens of context in total. */
export class DecodeShape implements StepShape {
  numTokens = 0;
  numSeqs = 0;
  readonly numPrefillSeqs = 0;
  readonly prefillTokens = 0;
  readonly prefillAttnPairs = 0;
  readonly prefillKvTokens = 0;
  numDecodeSeqs = 0;
  decodeKvTokens = 0;

  set(batch: number, kvTokens: number): this {
    this.numTokens = batch;
    this.numSeqs = batch;
    this.numDecodeSeqs = batch;
    this.decodeKvTokens = kvTokens;
    return this;
  }
}

/** Steps a cached segment of decode step times spans, coarse to fine (see DecodeCostCache). */
export const SEGMENT_STEPS: readonly number[] = [64, 16, 4];

/**
 * Decode step times cached by batch shape: for a batch of b decodes, the context K (tokens read) is cut into
 * segments of SEGMENT_STEPS[level] × b tokens starting at K = b; a segment stores the cost model's exact times
 * at its two ends and is used only if the exact time at its middle lies within LINEAR_FIT_TOLERANCE (relative)
 * of the line through them — then a step time inside it is read off that line. A segment that fails the check
 * is remembered as such and the next finer level is tried; when all fail, the caller costs the run exactly
 * (planDecodeRun's fallback). Entries exist only for (level, batch, segment) triples that occur, three cost
 * evaluations each.
 */
export class DecodeCostCache {
  private readonly index = new BlockHashTable(256);
  /** Per entry: K at the segment start, time there, slope per context token, 1 if linear else 0. */
  private data = new Float64Array(4 * 256);
  private numEntries = 0;
  /** Of the last successful `lookup`: segment start K, its time, slope per context token, and end K. */
  startK = 0;
  startS = 0;
  slopeSPerToken = 0;
  endK = 0;

  constructor(
    private readonly cost: (shape: StepShape) => StepTime,
    private readonly shape: DecodeShape = new DecodeShape(),
  ) {}

  get size(): number {
    return this.numEntries;
  }

  /** Find (or cost) a linear segment holding context `kvTokens` for `batch` decodes; false if there is none. */
  lookup(batch: number, kvTokens: number): boolean {
    if (batch >= 8192) return false; // beyond the key packing below; never the case for a real max_num_seqs
    for (let level = 0; level < SEGMENT_STEPS.length; level++) {
      const widthK = SEGMENT_STEPS[level]! * batch;
      const seg = Math.floor((kvTokens - batch) / widthK);
      // (level, batch, segment) packed exactly into a double: level < 4, batch < 2^13, segment < 2^32.
      const key = (level * 8192 + batch) * 4_294_967_296 + seg;
      let e = this.index.get(key);
      if (e < 0) e = this.addEntry(key, batch, batch + seg * widthK, widthK);
      if (this.data[4 * e + 3] === 1) {
        this.startK = this.data[4 * e]!;
        this.startS = this.data[4 * e + 1]!;
        this.slopeSPerToken = this.data[4 * e + 2]!;
        this.endK = this.startK + widthK;
        return true;
      }
    }
    return false;
  }

  private addEntry(key: number, batch: number, k0: number, widthK: number): number {
    const e = this.numEntries++;
    if (4 * this.numEntries > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const t0 = this.cost(this.shape.set(batch, k0)).totalS;
    const t1 = this.cost(this.shape.set(batch, k0 + widthK)).totalS;
    const tMid = this.cost(this.shape.set(batch, k0 + widthK / 2)).totalS;
    this.data[4 * e] = k0;
    this.data[4 * e + 1] = t0;
    this.data[4 * e + 2] = (t1 - t0) / widthK;
    this.data[4 * e + 3] = Math.abs(tMid - (t0 + t1) / 2) <= LINEAR_FIT_TOLERANCE * t0 ? 1 : 0;
    this.index.set(key, e);
    return e;
  }
}

/**
 * Fill `run` for up to `maxSteps` steps of `batch` decodes whose first step reads `kvTokens0` context tokens,
 * starting at `startS`. From the cache when the segment holding kvTokens0 is linear (the run then stops at the
 * segment's end); otherwise costs the first and last steps exactly, and if the middle step's exact time is off
 * the line through them by more than LINEAR_FIT_TOLERANCE (relative), halves the run and tries again. Returns
 * the steps planned (≥ 1 when maxSteps ≥ 1).
 */
export function planDecodeRun(
  run: DecodeRun,
  maxSteps: number,
  batch: number,
  kvTokens0: number,
  startS: number,
  cost: (shape: StepShape) => StepTime,
  shape: DecodeShape,
  cache?: DecodeCostCache,
): number {
  run.batch = batch;
  run.startS = startS;
  run.kvTokens0 = kvTokens0;
  if (cache !== undefined && cache.lookup(batch, kvTokens0)) {
    const m = Math.max(1, Math.min(maxSteps, Math.floor((cache.endK - kvTokens0) / batch) + 1));
    run.numSteps = m;
    run.t0S = cache.startS + cache.slopeSPerToken * (kvTokens0 - cache.startK);
    run.slopeS = m > 1 ? cache.slopeSPerToken * batch : 0;
    return m;
  }
  const t0S = cost(shape.set(batch, kvTokens0)).totalS;
  let m = maxSteps;
  let slopeS = 0;
  while (m > 1) {
    const lastS = cost(shape.set(batch, kvTokens0 + batch * (m - 1))).totalS;
    slopeS = (lastS - t0S) / (m - 1);
    if (m <= 2) break;
    const mid = (m - 1) >> 1;
    const midS = cost(shape.set(batch, kvTokens0 + batch * mid)).totalS;
    if (Math.abs(midS - (t0S + slopeS * mid)) <= LINEAR_FIT_TOLERANCE * t0S) break;
    m = mid + 1;
  }
  run.numSteps = m;
  run.t0S = t0S;
  run.slopeS = m > 1 ? slopeS : 0;
  return m;
}
