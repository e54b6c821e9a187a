import { Chart, registerables, type ChartConfiguration, type ChartDataset } from 'chart.js';
import type { FrontierResult, PerWhat } from '../../plan/frontier.js';
import type { Metrics } from '../../sim/metrics.js';
import type { AfdTimeline } from './protocol.js';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

/** Chart drawing shared by the UI and the static report/frontier pages: Chart.js, bundled, no CDN. */

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

export const PER_LABEL: Record<PerWhat, string> = {
  chip: 'output tokens/s per chip',
  usd: 'output tokens/s per $/hour',
  mw: 'output tokens/s per MW',
};

export interface SeriesSummary {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** The frontier series as plotted (x = tokens/s per user, y per `per`), for tests and the data-series attribute. */
export function frontierSeries(r: FrontierResult): SeriesSummary[] {
  return r.frontiers.map((f) => ({
    label: f.name,
    points: f.points
      .filter((p) => p.error === null && p.tokensPerSPerUser !== null)
      .map((p) => {
        const y = r.per === 'chip' ? p.tokensPerSPerChip : r.per === 'usd' ? p.tokensPerSPerUsdHour : p.tokensPerSPerMW;
        return [round(p.tokensPerSPerUser!), round(y ?? 0)] as const;
      }),
  }));
}

const round = (x: number): number => Number(x.toPrecision(6));

function replace(canvas: HTMLCanvasElement, config: ChartConfiguration<'scatter'> | ChartConfiguration<'bar'>): void {
  Chart.getChart(canvas)?.destroy();
  new Chart(canvas, config as ChartConfiguration);
}

export function drawFrontier(canvas: HTMLCanvasElement, r: FrontierResult): void {
  const series = frontierSeries(r);
  const datasets: ChartDataset<'scatter'>[] = series.map((s, i) => ({
    label: s.label,
    data: s.points.map(([x, y]) => ({ x, y })),
    showLine: true,
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    pointRadius: 3,
  }));
  replace(canvas, {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: `Throughput vs interactivity (each point: one closed-loop load)` } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'output tokens/s per user' } },
        y: { type: 'linear', title: { display: true, text: PER_LABEL[r.per] }, beginAtZero: true },
      },
    },
  });
}

/** The latency CDF series as plotted: x in ms, y the share of requests at or below it. */
export function cdfSeries(runs: ReadonlyArray<{ label: string; metrics: Metrics }>): SeriesSummary[] {
  const out: SeriesSummary[] = [];
  for (const r of runs) {
    const cdf = (r.metrics as Partial<Metrics>).cdf;
    for (const [name, pairs, summary] of [
      ['TTFT', cdf?.ttftS, r.metrics.ttftMs],
      ['TPOT', cdf?.tpotS, r.metrics.tpotMs],
    ] as const) {
      // metrics.cdf: [quantile, seconds] pairs from the simulator's sketch; older results only have p50/p90/p99.
      const points: Array<readonly [number, number]> =
        pairs && pairs.length > 0
          ? pairs.map(([q, valueS]) => [round(valueS * 1e3), q] as const)
          : summary
            ? [
                [round(summary.p50), 0.5],
                [round(summary.p90), 0.9],
                [round(summary.p99), 0.99],
              ]
            : [];
      if (points.length > 0) out.push({ label: `${r.label} · ${name}`, points });
    }
  }
  return out;
}

/** Latency CDFs (TTFT solid, TPOT dashed) of each run at the workload rate, from `metrics.cdf`. */
export function drawCdf(canvas: HTMLCanvasElement, runs: ReadonlyArray<{ label: string; metrics: Metrics }>): SeriesSummary[] {
  const series = cdfSeries(runs);
  const datasets: ChartDataset<'scatter'>[] = series.map((s) => {
    const run = runs.findIndex((r) => s.label.startsWith(`${r.label} · `));
    const color = PALETTE[Math.max(0, run) % PALETTE.length]!;
    return {
      label: s.label,
      data: s.points.map(([x, y]) => ({ x, y })),
      showLine: true,
      borderColor: color,
      backgroundColor: color,
      borderDash: s.label.endsWith('TPOT') ? [6, 3] : [],
      pointRadius: 2,
    };
  });
  replace(canvas, {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: 'Latency CDF at the workload rate (TTFT solid, TPOT dashed; quantiles 0.1 % … 99.9 %)' } },
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: 'ms' } },
        y: { min: 0, max: 1, title: { display: true, text: 'share of requests at or below' } },
      },
    },
  });
  return series;
}

export function drawUtilisation(canvas: HTMLCanvasElement, runs: ReadonlyArray<{ label: string; metrics: Metrics }>): void {
  const labels: string[] = [];
  const util: number[] = [];
  const kv: number[] = [];
  for (const r of runs) {
    for (const p of r.metrics.pools) {
      labels.push(`${r.label} · ${p.role} (${p.replicas}×${p.chipsPerReplica} ${p.device})`);
      util.push(Math.round(p.utilisation * 1000) / 10);
      kv.push(Math.round(p.kvOccupancyMean * 1000) / 10);
    }
  }
  replace(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'busy time %', data: util, backgroundColor: PALETTE[0] },
        { label: 'KV cache occupancy % (mean)', data: kv, backgroundColor: PALETTE[2] },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: 'Per-pool utilisation at the workload rate' } },
      scales: { x: { min: 0, max: 100 } },
    },
  });
}

const AFD_ROWS = ['attention', 'send', 'ffn', 'return'];

/** The first layers of one AFD decode step: one row per resource, one bar per operation, colour per micro-batch. */
export function drawAfd(canvas: HTMLCanvasElement, t: AfdTimeline): void {
  const m = Math.max(1, t.microBatches);
  const datasets: ChartDataset<'bar'>[] = [];
  for (let j = 0; j < m; j++) {
    const ops = t.ops.filter((o) => o.microBatch === j);
    datasets.push({
      label: `micro-batch ${j + 1}`,
      data: ops.map((o) => ({ x: [o.startS * 1e6, o.endS * 1e6], y: o.kind })) as never,
      backgroundColor: PALETTE[j % PALETTE.length],
      borderSkipped: false,
      grouped: false,
    } as ChartDataset<'bar'>);
  }
  replace(canvas, {
    type: 'bar',
    data: { labels: AFD_ROWS, datasets },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        title: {
          display: true,
          text: `${t.label}: per-layer AFD timeline of one decode step (${m} micro-batches; per layer T_a ${(t.perLayer.attentionS * 1e6).toFixed(1)} µs, T_e ${(t.perLayer.ffnS * 1e6).toFixed(1)} µs, hop ${(t.perLayer.hopS * 1e6).toFixed(1)} µs)`,
        },
      },
      scales: { x: { type: 'linear', title: { display: true, text: 'µs from the start of the step' } } },
    },
  });
}
