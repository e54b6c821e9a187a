import type { Device, Figure } from '../hardware/types.js';
import type { FrontierResult } from '../plan/frontier.js';
import type { RunResult } from '../sim/run.js';
import { webAsset } from './web-assets.js';

/**
 * Self-contained HTML pages (frontier chart, report): the data as embedded JSON, the chart runtime (Chart.js,
 * built by scripts/build-web.ts) inlined. They open from a file with no network.
 */

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON inside a <script>: no `<` at all, so no `</script>` can end it early. */
const jsonForScript = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const CSS = `body{font:14px/1.45 system-ui,sans-serif;color:#1d2430;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.chart{position:relative;height:360px}
pre{background:#f6f7f9;padding:10px;overflow:auto;font-size:12px}.note{color:#555;font-size:12px}.warn{color:#8a1c12}`;

function page(title: string, body: string, data: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body data-state="loading">
${body}
<script type="application/json" id="phasewise-data">${jsonForScript(data)}</script>
<script>${webAsset('report-runtime.js')}</script>
</body></html>
`;
}

const n = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : Number(x.toPrecision(digits)).toLocaleString('en-US'));

function frontierTables(r: FrontierResult): string {
  return r.frontiers
    .map((f) => {
      const rows = f.points
        .map(
          (p) =>
            `<tr><td class="n">${p.load}</td><td class="n">${n(p.tokensPerSPerUser)}</td><td class="n">${n(p.tokensPerSPerChip)}</td><td class="n">${n(p.tokensPerSPerUsdHour)}</td><td class="n">${n(p.tokensPerSPerMW)}</td><td class="n">${n(p.ttftP99Ms)}</td><td class="n">${n(p.tpotP99Ms)}</td><td>${p.pareto ? '●' : ''}${p.error ? esc(p.error) : ''}</td></tr>`,
        )
        .join('');
      return `<h3>${esc(f.name)} <span class="note">(${esc(f.source)} · ${f.chips ?? '?'} chips · $${n(f.usdPerHour)}/h)</span></h3>
<table><tr><th>${f.loadKind === 'concurrency' ? 'clients' : 'req/s'}</th><th>tok/s/user</th><th>tok/s/chip</th><th>tok/s per $/h</th><th>tok/s per MW</th><th>TTFT p99 ms</th><th>TPOT p99 ms</th><th>Pareto</th></tr>${rows}</table>`;
    })
    .join('\n');
}

export function frontierHtml(r: FrontierResult): string {
  const body = `<h1>Throughput–interactivity frontier</h1>
<p class="note">phasewise frontier: each point is one simulated load; ● marks the Pareto frontier (no other point of the deployment has both more tokens/s per user and more throughput).</p>
<div class="chart" id="frontier"><canvas id="frontier-canvas"></canvas></div>
${frontierTables(r)}`;
  return page('phasewise frontier', body, { frontier: r });
}

function figureRow(device: Device, name: string, f: Figure): string {
  const src = esc(f.source).replace(/(https?:\/\/[^\s;,)]+)/g, (u) => `<a href="${u}">${u}</a>`);
  return `<tr><td>${esc(device.id)}</td><td>${esc(name)}</td><td class="n">${f.value === null ? 'unknown' : n(f.value, 4)}</td><td>${src}${f.note ? `<br><span class="note">${esc(f.note)}</span>` : ''}</td></tr>`;
}

export interface ReportInput {
  readonly source: string;
  readonly result: RunResult;
  readonly devices: readonly Device[];
  readonly modelSummary: Readonly<Record<string, string>>;
  readonly scenarioYaml: string;
  readonly frontier: FrontierResult | null;
  readonly version: string;
}

/** The latency CDF as numbers (what the chart plots): one row per quantile the simulator reports. */
function cdfTable(m: RunResult['metrics']): string {
  const cdf = (m as Partial<RunResult['metrics']>).cdf;
  if (!cdf || cdf.ttftS.length === 0) return '';
  const at = (pairs: readonly (readonly [number, number])[], q: number): string => {
    const p = pairs.find(([x]) => x === q);
    return p ? n(p[1] * 1e3) : '—';
  };
  const rows = cdf.ttftS
    .map(([q]) => `<tr><td class="n">${(q * 100).toPrecision(3).replace(/\.?0+$/, '')} %</td><td class="n">${at(cdf.ttftS, q)}</td><td class="n">${at(cdf.tpotS, q)}</td><td class="n">${at(cdf.itlS, q)}</td><td class="n">${at(cdf.e2eS, q)}</td></tr>`)
    .join('');
  return `<details><summary>Latency CDF as numbers (ms at each quantile)</summary><table><tr><th>quantile</th><th>TTFT</th><th>TPOT</th><th>ITL</th><th>E2E</th></tr>${rows}</table></details>`;
}

export function reportHtml(r: ReportInput): string {
  const m = r.result.metrics;
  const s = r.result.scenario;
  const lat = (name: string, x: { mean: number; p50: number; p90: number; p99: number } | null) =>
    `<tr><td>${name}</td>${x ? [x.mean, x.p50, x.p90, x.p99].map((v) => `<td class="n">${n(v)}</td>`).join('') : '<td colspan="4">—</td>'}</tr>`;
  const kv = (k: string, v: string) => `<tr><td>${esc(k)}</td><td class="n">${esc(v)}</td></tr>`;
  const pools = m.pools
    .map(
      (p) =>
        `<tr><td>${esc(p.role)}</td><td>${esc(p.device)}</td><td class="n">${p.replicas} × ${p.chipsPerReplica}</td><td class="n">${p.parallelism.tp}/${p.parallelism.pp}/${p.parallelism.ep}/${p.parallelism.dp}</td><td class="n">${n(p.weightBytesPerChip / 1e9)} GB ${esc(p.weightTier)}</td><td class="n">${n(p.kvCapacityTokens)}</td><td class="n">${(p.utilisation * 100).toFixed(1)}%</td><td class="n">${(p.kvOccupancyMean * 100).toFixed(1)}%</td></tr>`,
    )
    .join('');
  const figures = r.devices
    .flatMap((d) => [
      figureRow(d, 'dense BF16 FLOP/s', d.flopsPerS.bf16),
      figureRow(d, 'dense FP8 FLOP/s', d.flopsPerS.fp8),
      figureRow(d, 'HBM capacity (bytes)', d.memory.hbm.capacityBytes),
      figureRow(d, 'HBM bandwidth (bytes/s)', d.memory.hbm.bandwidthBytesPerS),
      figureRow(d, 'SRAM capacity (bytes)', d.memory.sram.capacityBytes),
      figureRow(d, 'SRAM bandwidth (bytes/s)', d.memory.sram.bandwidthBytesPerS),
      figureRow(d, 'scale-up bandwidth (bytes/s, per direction)', d.scaleUp.bandwidthBytesPerS),
      ...(d.scaleUp.pointToPointLinks ? [figureRow(d, 'scale-up mesh links per chip (point to point)', d.scaleUp.pointToPointLinks)] : []),
      figureRow(d, 'scale-out bandwidth (bytes/s, per direction)', d.scaleOut.bandwidthBytesPerS),
      figureRow(d, 'power (W)', d.powerW),
      figureRow(d, 'rental price ($/hour)', d.priceUsdPerHour),
    ])
    .join('');
  const body = `<h1>${esc(s.name)}</h1>
<p class="note">phasewise ${esc(r.version)} report of <code>${esc(r.source)}</code> · model ${esc(s.model)} · backend ${esc(s.backend)} · ${r.result.chips} chips · seed ${s.seed} ·
${m.finished}/${m.requests} requests finished${m.rejected > 0 ? `, ${m.rejected} rejected` : ''} in ${n(m.durationS)} s simulated. Re-run: <code>phasewise simulate ${esc(r.source)}</code>.</p>
${r.result.warnings.map((w) => `<p class="warn">warning: ${esc(w)}</p>`).join('')}
<h2>Latency (ms)</h2>
<table><tr><th></th><th>mean</th><th>p50</th><th>p90</th><th>p99</th></tr>${lat('TTFT', m.ttftMs)}${lat('TPOT', m.tpotMs)}${lat('ITL', m.itlMs)}${lat('E2E', m.e2eMs)}</table>
<div class="chart" id="cdf"><canvas id="cdf-canvas"></canvas></div>
${cdfTable(m)}
<h2>Throughput and cost</h2>
<table>${kv('output tokens/s', n(m.outputTokensPerS))}${kv('total tokens/s', n(m.totalTokensPerS))}${kv('tokens/s per user', n(m.tokensPerSPerUser))}${kv('tokens/s per chip', n(m.tokensPerSPerChip))}${kv('$ per hour', n(m.usdPerHour))}${kv('$ per million output tokens', n(m.usdPerMTok))}${kv('joules per output token', n(m.joulesPerToken))}${kv('output tokens/s per MW', n(m.tokensPerSPerMW))}${kv(`SLO attainment (TTFT ≤ ${s.slo.ttftMs ?? '∞'} ms, TPOT ≤ ${s.slo.tpotMs ?? '∞'} ms)`, `${(m.sloAttainment * 100).toFixed(1)}%`)}${kv('goodput (requests/s meeting SLO)', n(m.goodputRequestsPerS))}</table>
<h2>Pools</h2>
<table><tr><th>pool</th><th>device</th><th>replicas × chips</th><th>tp/pp/ep/dp</th><th>weights/chip</th><th>KV tokens</th><th>busy</th><th>KV mean</th></tr>${pools}</table>
<div class="chart" style="height:${120 + 40 * m.pools.length}px"><canvas id="util-canvas"></canvas></div>
${r.frontier ? `<h2>Frontier</h2><div class="chart" id="frontier"><canvas id="frontier-canvas"></canvas></div>${frontierTables(r.frontier)}` : ''}
<h2>Assumptions</h2>
<p>Model (from its Hugging Face config.json, <a href="https://huggingface.co/${esc(s.model)}">${esc(s.model)}</a>):</p>
<table>${Object.entries(r.modelSummary).map(([k, v]) => kv(k, v)).join('')}</table>
<p>Device figures used, with their sources (docs/hardware.md explains how the catalog was compiled):</p>
<table><tr><th>device</th><th>figure</th><th>value</th><th>source</th></tr>${figures}</table>
<p>How times are computed: operator rooflines with efficiencies calibrated on measured tables (docs/perf.md); scheduling as vLLM v1 (docs/scheduler.md); metrics as defined in docs/scenario.md. Latency quantiles come from a DDSketch with 0.5% relative accuracy.</p>
<p>The scenario, every default filled in (feed it back to <code>phasewise simulate</code>):</p>
<pre>${esc(r.scenarioYaml)}</pre>`;
  return page(`phasewise report: ${s.name}`, body, { runs: [{ label: s.name, metrics: m }], frontier: r.frontier });
}
