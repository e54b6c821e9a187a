import type { PerWhat } from '../../plan/frontier.js';
import type { PlanResult } from '../../plan/types.js';
import { drawAfd, drawCdf, drawFrontier, drawUtilisation, frontierSeries } from './charts.js';
import type { DeviceInfo, FromWorker, ToWorker, UiDeployment, UiPlanRequest, UiRunRequest, UiWorkload } from './protocol.js';

/**
 * The page: a form, four charts, a planner panel. Every simulation runs in the Web Worker whose source is
 * embedded in the page (so the page works from a file, with no server); a setting change cancels the run in
 * flight by replacing the worker. `body[data-state]` is `running`, `ready` or `error`; `#frontier[data-series]`
 * holds the plotted series (what the browser test compares).
 */

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page element #${id} missing`);
  return e as T;
};

const workerUrl = URL.createObjectURL(new Blob([$('worker-src').textContent ?? ''], { type: 'text/javascript' }));
let worker: Worker | null = null;
let runId = 0;
let models: readonly string[] = [];
let devices: readonly DeviceInfo[] = [];
let lastPlan: PlanResult | null = null;

function newWorker(onMessage: (m: FromWorker) => void): Worker {
  worker?.terminate();
  const w = new Worker(workerUrl);
  w.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  w.onerror = (e) => fail(`The simulation worker stopped: ${e.message}`);
  worker = w;
  return w;
}

function setState(state: 'running' | 'ready' | 'error'): void {
  document.body.dataset.state = state;
}

function message(text: string | null, kind: 'error' | 'info' = 'error'): void {
  const m = $('message');
  m.textContent = text ?? '';
  m.className = text ? kind : '';
}

function fail(text: string): void {
  message(text, 'error');
  setState('error');
}

function status(text: string): void {
  $('status').textContent = text;
}

const value = (id: string): string => ($<HTMLInputElement | HTMLSelectElement>(id).value ?? '').trim();

/** A positive number from a field, or an error naming the field and what it accepts. */
function positive(id: string, what: string, errors: string[], opts: { integer?: boolean; optional?: boolean } = {}): number {
  const raw = value(id);
  if (raw === '' && opts.optional) return NaN;
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n))) {
    errors.push(`${what}: got "${raw}"; accepted: ${opts.integer ? 'an integer' : 'a number'} greater than 0.`);
  }
  return n;
}

interface FormValues {
  model: string;
  workload: UiWorkload;
  slo: { ttftMs: number; tpotMs: number };
  per: PerWhat;
  budget: number | null;
}

function readForm(errors: string[]): FormValues {
  const model = value('model');
  if (!models.includes(model)) errors.push(`Model: "${model}" is not a built-in model; pick one from the list (${models.length} models).`);
  const trace = value('trace');
  const workload: UiWorkload = {
    trace: trace === 'fixed' ? null : trace,
    isl: positive('isl', 'Input tokens', errors, { integer: true }),
    osl: positive('osl', 'Output tokens', errors, { integer: true }),
    ratePerS: positive('rate', 'Rate (requests/s)', errors),
  };
  const slo = { ttftMs: positive('ttft', 'SLO TTFT p99 (ms)', errors), tpotMs: positive('tpot', 'SLO TPOT p99 (ms)', errors) };
  const budget = positive('budget', 'Budget ($/hour)', errors, { optional: true });
  return { model, workload, slo, per: value('per') as PerWhat, budget: Number.isNaN(budget) ? null : budget };
}

const tpOf = (id: string): number => Number(value(id)) || 1;

function deploymentsFromForm(): UiDeployment[] {
  const pool = (device: string, tp: number) => ({ device, replicas: 1, parallelism: { tp } });
  const out: UiDeployment[] = [
    { label: `colocated ${value('colocated-device')} tp${tpOf('colocated-tp')}`, topology: { kind: 'colocated', pool: pool(value('colocated-device'), tpOf('colocated-tp')) } },
    {
      label: `pd ${value('prefill-device')} tp${tpOf('prefill-tp')} → ${value('decode-device')} tp${tpOf('decode-tp')}`,
      topology: { kind: 'pd', prefill: pool(value('prefill-device'), tpOf('prefill-tp')), decode: pool(value('decode-device'), tpOf('decode-tp')) },
    },
  ];
  if ($<HTMLInputElement>('afd-on').checked) {
    out.push({
      label: `afd ${value('attention-device')} tp${tpOf('attention-tp')} ↔ ${value('ffn-device')}`,
      topology: { kind: 'afd', attention: pool(value('attention-device'), tpOf('attention-tp')), ffn: { device: value('ffn-device'), replicas: 1 } } as never,
    });
  }
  for (const b of lastPlan?.best ?? []) out.push({ label: `plan #${b.rank}: ${b.label}`, topology: b.scenario.topology as never });
  return out;
}

function run(): void {
  const errors: string[] = [];
  const f = readForm(errors);
  if (errors.length > 0) return fail(errors.join(' '));
  message(null);
  setState('running');
  const id = ++runId;
  const started = performance.now();
  const points = [1, 2, 4, 8, 16, 32, 64, 128];
  const request: UiRunRequest = {
    model: f.model,
    workload: f.workload,
    slo: f.slo,
    deployments: deploymentsFromForm(),
    per: f.per,
    points,
    requestsPerClient: 3,
    minRequests: Number(value('requests')) || 120,
    detailRequests: Number(value('requests')) || 120,
  };
  status('simulating…');
  const w = newWorker((m) => {
    if (m.type === 'progress' && m.id === id) status(`simulating… ${m.done}/${m.total} load points`);
    else if (m.type === 'error' && m.id === id) fail(m.message);
    else if (m.type === 'run-result' && m.id === id) {
      const ok = m.details.filter((d) => d.metrics !== null).map((d) => ({ label: d.label, metrics: d.metrics! }));
      if (m.frontiers) {
        drawFrontier($<HTMLCanvasElement>('frontier-canvas'), m.frontiers);
        $('frontier').dataset.series = JSON.stringify(frontierSeries(m.frontiers));
      }
      $('cdf').dataset.series = JSON.stringify(drawCdf($<HTMLCanvasElement>('cdf-canvas'), ok));
      drawUtilisation($<HTMLCanvasElement>('util-canvas'), ok);
      if (m.afd) {
        drawAfd($<HTMLCanvasElement>('afd-canvas'), m.afd);
        $('afd-note').textContent = '';
      } else {
        $('afd-note').textContent = $<HTMLInputElement>('afd-on').checked
          ? 'No AFD timeline: the AFD deployment did not run (see the message above) or the simulator reported no decode steps.'
          : 'Tick "AFD deployment" to add an attention/FFN-disaggregated deployment and see its per-layer timeline.';
      }
      drawSources(f.model, request.deployments);
      status(`done in ${((performance.now() - started) / 1e3).toFixed(1)} s · ${points.length} load points per deployment · ${request.minRequests}+ requests each`);
      if (m.errors.length > 0) fail(m.errors.join(' '));
      else setState('ready');
    }
  });
  w.postMessage({ type: 'run', id, request } satisfies ToWorker);
}

function plan(): void {
  const errors: string[] = [];
  const f = readForm(errors);
  const hardware = [...new Set([value('colocated-device'), value('prefill-device'), value('decode-device')])];
  if (errors.length > 0) return fail(errors.join(' '));
  message(null);
  setState('running');
  const id = ++runId;
  const request: UiPlanRequest = { model: f.model, workload: f.workload, slo: f.slo, hardware, maxUsdPerHour: f.budget, requests: Number(value('plan-requests')) || 400 };
  status(`planning over ${hardware.join(', ')}…`);
  const w = newWorker((m) => {
    if (m.type === 'progress' && m.id === id) status(`planning… ${m.done}/${m.total} shapes`);
    else if (m.type === 'error' && m.id === id) fail(m.message);
    else if (m.type === 'plan-result' && m.id === id) {
      lastPlan = m.plan;
      drawPlan(m.plan);
      if (m.plan.best.length === 0) {
        fail(m.plan.message ?? 'No deployment meets the SLO.');
        return;
      }
      run();
    }
  });
  w.postMessage({ type: 'plan', id, request } satisfies ToWorker);
}

function drawPlan(p: PlanResult): void {
  const box = $('plan-result');
  box.replaceChildren();
  const t = document.createElement('table');
  t.innerHTML = '<tr><th>#</th><th>deployment</th><th>chips</th><th>$/hour</th><th>TTFT p99 ms</th><th>TPOT p99 ms</th><th>tightest bound</th></tr>';
  for (const b of p.best) {
    const tr = document.createElement('tr');
    const tight = b.bounds[0];
    for (const c of [b.rank, b.label, b.chips, b.usdPerHour.toFixed(2), b.metrics.ttftMs?.p99.toFixed(0), b.metrics.tpotMs?.p99.toFixed(1), tight ? `${tight.name} ${Math.round(tight.ratio * 100)}%` : '']) {
      const td = document.createElement('td');
      td.textContent = String(c ?? '');
      tr.append(td);
    }
    t.append(tr);
  }
  const s = p.search;
  const note = document.createElement('p');
  note.textContent = `${s.shapes} shapes: ${s.infeasibleByBound} ruled out by bounds, ${s.prunedByBound} pruned, ${s.simulations} simulations of ${s.requestsPerSimulation} requests.${p.skipped.length > 0 ? ` Skipped: ${p.skipped.map((x) => `${x.what} (${x.reason})`).join('; ')}.` : ''}`;
  box.append(t, note);
}

/** Every catalog figure behind the charts, each linked to where it comes from. */
function drawSources(model: string, deps: readonly UiDeployment[]): void {
  const used = new Set<string>();
  for (const d of deps) for (const m of JSON.stringify(d.topology).matchAll(/"device":"([^"]+)"/g)) used.add(m[1]!);
  const box = $('sources');
  box.replaceChildren();
  const p = document.createElement('p');
  p.append('Model architecture: ');
  p.append(link(`https://huggingface.co/${model}`, `${model} config.json`));
  p.append(' · how each figure is computed: docs/perf.md, docs/scenario.md, docs/planner.md in the phasewise repository.');
  box.append(p);
  const t = document.createElement('table');
  t.innerHTML = '<tr><th>device</th><th>figure</th><th>value</th><th>source</th></tr>';
  for (const d of devices.filter((x) => used.has(x.id))) {
    for (const [name, fig] of Object.entries(d.figures)) {
      if (fig.value === null && !fig.source) continue;
      const tr = document.createElement('tr');
      const cells = [d.name, name, fig.value === null ? 'unknown' : fig.value.toPrecision(4)];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.append(td);
      }
      const td = document.createElement('td');
      for (const [i, part] of fig.source.split(/\s*[;,]\s+(?=https?:)|\s+(?=https?:)/).entries()) {
        if (i > 0) td.append(' ');
        td.append(/^https?:\/\//.test(part) ? link(part, part.replace(/^https?:\/\//, '').slice(0, 60)) : part);
      }
      if (fig.note) td.title = fig.note;
      tr.append(td);
      t.append(tr);
    }
  }
  box.append(t);
}

function link(href: string, text: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

function fillSelect(id: string, options: ReadonlyArray<{ value: string; text: string }>, selected: string): void {
  const s = $<HTMLSelectElement>(id);
  s.replaceChildren(...options.map((o) => new Option(o.text, o.value, false, o.value === selected)));
}

let timer: ReturnType<typeof setTimeout> | undefined;
function schedule(): void {
  clearTimeout(timer);
  timer = setTimeout(run, 250);
}

function init(): void {
  setState('running');
  status('loading the catalog…');
  const w = newWorker((m) => {
    if (m.type !== 'catalog') return;
    models = m.models;
    devices = m.devices;
    const list = $('model-list');
    list.replaceChildren(...models.map((id) => new Option(id, id)));
    const deviceOptions = devices.map((d) => ({ value: d.id, text: `${d.id} — ${d.name}` }));
    const defaults: Record<string, string> = {
      'colocated-device': 'h100',
      'prefill-device': 'h100',
      'decode-device': 'b200',
      'attention-device': 'h100',
      'ffn-device': 'b200',
    };
    for (const [id, d] of Object.entries(defaults)) fillSelect(id, deviceOptions, d);
    fillSelect('trace', [...m.traces.map((t) => ({ value: t, text: `${t} lengths` })), { value: 'fixed', text: 'fixed lengths (below)' }], m.traces[0] ?? 'fixed');
    for (const e of document.querySelectorAll('#controls input, #controls select')) {
      if ((e as HTMLElement).dataset.noauto === undefined) e.addEventListener('change', schedule);
    }
    $('plan-button').addEventListener('click', plan);
    run();
  });
  w.postMessage({ type: 'init' } satisfies ToWorker);
}

init();
