import type { FrontierResult } from '../../plan/frontier.js';
import type { Metrics } from '../../sim/metrics.js';
import { drawCdf, drawFrontier, drawUtilisation, frontierSeries } from './charts.js';

/**
 * The script inlined into `phasewise report` and `phasewise frontier --out` pages: it reads the page's embedded
 * JSON (`<script type="application/json" id="phasewise-data">`) and draws whatever charts the page has a canvas
 * for. No network: Chart.js is part of this bundle.
 */
interface PageData {
  readonly frontier?: FrontierResult;
  readonly runs?: ReadonlyArray<{ label: string; metrics: Metrics }>;
}

function draw(): void {
  const el = document.getElementById('phasewise-data');
  if (!el) return;
  const data = JSON.parse(el.textContent ?? '{}') as PageData;
  const canvas = (id: string): HTMLCanvasElement | null => document.getElementById(id) as HTMLCanvasElement | null;
  const f = canvas('frontier-canvas');
  if (f && data.frontier) {
    drawFrontier(f, data.frontier);
    f.parentElement?.setAttribute('data-series', JSON.stringify(frontierSeries(data.frontier)));
  }
  const c = canvas('cdf-canvas');
  if (c && data.runs) c.parentElement?.setAttribute('data-series', JSON.stringify(drawCdf(c, data.runs)));
  const u = canvas('util-canvas');
  if (u && data.runs) drawUtilisation(u, data.runs);
  document.body.dataset.state = 'ready';
}

draw();
