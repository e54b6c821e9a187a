import { DDSketch } from '@datadog/sketches-js';

export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** The quantiles a latency CDF is reported at (`metrics.cdf` of `simulate --json`): tails in both directions. */
export const CDF_QUANTILES: readonly number[] = [
  0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999,
];

/**
 * Streaming latency statistic: exact count and mean, quantiles from a DDSketch with 0.5% relative accuracy, so
 * memory stays bounded however many requests are simulated.
 */
export class LatencyStat {
  private readonly sketch = new DDSketch({ relativeAccuracy: 0.005 });
  private sum = 0;
  private n = 0;

  add(value: number): void {
    // DDSketch keeps zeros apart; negative values never occur for latencies.
    this.sketch.accept(value);
    this.sum += value;
    this.n++;
  }

  /**
   * `count` samples of the same value at once (a fast-forwarded decode run: every inter-token gap of one step
   * length). Same sketch and mean as `count` calls of `add`, up to float summation order.
   */
  addMany(value: number, count: number): void {
    if (count <= 0) return;
    this.sketch.accept(value, count);
    this.sum += value * count;
    this.n += count;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary | null {
    if (this.n === 0) return null;
    return {
      mean: this.sum / this.n,
      p50: this.sketch.getValueAtQuantile(0.5),
      p90: this.sketch.getValueAtQuantile(0.9),
      p99: this.sketch.getValueAtQuantile(0.99),
    };
  }

  /** `[q, value / divisor]` at each of `quantiles` (ascending); empty with no samples. */
  cdf(quantiles: readonly number[] = CDF_QUANTILES, divisor = 1): [number, number][] {
    if (this.n === 0) return [];
    return quantiles.map((q) => [q, this.sketch.getValueAtQuantile(q) / divisor]);
  }
}
