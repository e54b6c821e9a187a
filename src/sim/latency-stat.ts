import { DDSketch } from '@datadog/sketches-js';

export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

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
}
