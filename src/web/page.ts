/** The UI page: markup and style; scripts are inlined by scripts/build-web.ts. */

export const PAGE_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1d2430;background:#f6f7f9}
header{padding:10px 18px;background:#1d2430;color:#fff;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}header span{opacity:.75}
#layout{display:grid;grid-template-columns:300px 1fr;gap:14px;padding:14px}
#controls{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px;align-self:start}
#controls fieldset{border:0;border-top:1px solid #e6e9ee;margin:8px 0 0;padding:8px 0 0}
#controls legend{font-weight:600;padding:0}
#controls label{display:grid;grid-template-columns:110px 1fr;align-items:center;gap:6px;margin:4px 0}
#controls input,#controls select{width:100%;padding:3px 4px;font:inherit}
.row{display:grid;grid-template-columns:1fr 64px;gap:6px}
button{padding:6px 10px;font:inherit;cursor:pointer;border-radius:6px;border:1px solid #1f77b4;background:#1f77b4;color:#fff}
#main{display:grid;grid-template-columns:1fr 1fr;gap:14px;align-content:start}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:10px}
.card.wide{grid-column:1/-1}.chart{position:relative;height:320px}
#message{grid-column:1/-1;min-height:0}#message.error{padding:10px;border-radius:8px;background:#fdecea;color:#8a1c12;border:1px solid #f3b6ae}
#message.info{padding:10px;border-radius:8px;background:#eaf3fb}
#status{grid-column:1/-1;color:#555}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
.note{color:#666;font-size:12px}
`;

const select = (id: string, label: string, tp?: string): string =>
  `<label>${label}<span class="row"><select id="${id}-device"></select>${tp !== undefined ? `<select id="${id}-tp" title="tensor parallel">${[1, 2, 4, 8].map((n) => `<option value="${n}"${String(n) === tp ? ' selected' : ''}>tp${n}</option>`).join('')}</select>` : ''}</span></label>`;

export const PAGE_BODY = `
<header><h1>phasewise</h1><span>plan and simulate heterogeneous, disaggregated LLM inference — every simulation runs in this page</span></header>
<div id="layout">
<form id="controls" onsubmit="return false">
  <label>Model<input id="model" list="model-list" value="meta-llama/Llama-3.1-8B-Instruct" autocomplete="off" spellcheck="false"></label>
  <datalist id="model-list"></datalist>
  <fieldset><legend>Workload</legend>
    <label>Lengths<select id="trace"></select></label>
    <label>Input tokens<input id="isl" type="number" value="1024" min="1"></label>
    <label>Output tokens<input id="osl" type="number" value="256" min="1"></label>
    <label>Rate (req/s)<input id="rate" type="number" value="2" min="0" step="any"></label>
    <label>Requests/run<input id="requests" type="number" value="120" min="10"></label>
  </fieldset>
  <fieldset><legend>SLO</legend>
    <label>TTFT p99 (ms)<input id="ttft" type="number" value="1000" step="any"></label>
    <label>TPOT p99 (ms)<input id="tpot" type="number" value="50" step="any"></label>
  </fieldset>
  <fieldset><legend>Hardware per role</legend>
    ${select('colocated', 'Colocated', '1')}
    ${select('prefill', 'Prefill', '1')}
    ${select('decode', 'Decode', '1')}
    <label>AFD deployment<input id="afd-on" type="checkbox" style="width:auto"></label>
    ${select('attention', 'AFD attention', '1')}
    ${select('ffn', 'AFD FFN')}
  </fieldset>
  <fieldset><legend>Chart</legend>
    <label>Throughput per<select id="per"><option value="chip">chip</option><option value="usd">$/hour</option><option value="mw">MW</option></select></label>
  </fieldset>
  <fieldset><legend>Planner</legend>
    <label>Budget ($/h)<input id="budget" type="number" placeholder="none" step="any" data-noauto></label>
    <label>Requests/sim<input id="plan-requests" type="number" value="400" data-noauto></label>
    <button id="plan-button" type="button">Find the cheapest deployment</button>
    <p class="note">Searches colocated, prefill/decode, attention/FFN-disaggregated and speculative-decoding deployments (draft: the smallest bundled model of the same family, α 0.8 assumed) over the three devices above at the workload and SLO; the best join the charts.</p>
  </fieldset>
</form>
<main id="main">
  <div id="message" role="alert" aria-live="polite"></div>
  <div id="status"></div>
  <section class="card wide" id="frontier"><div class="chart"><canvas id="frontier-canvas"></canvas></div>
    <p class="note">Each deployment at 1–128 closed-loop clients; tokens/s per chip from the simulated output rate and the deployment's chips; $ and MW from the catalog figures listed under Sources.</p></section>
  <section class="card" id="cdf"><div class="chart"><canvas id="cdf-canvas"></canvas></div>
    <p class="note">Each deployment's TTFT and TPOT distribution over the requests of one run at the workload's rate: the simulator's quantiles 0.1 %, 1 %, 5 %, 10 % … 99 %, 99.9 % (metrics.cdf; DDSketch, 0.5 % relative accuracy).</p></section>
  <section class="card"><div class="chart"><canvas id="util-canvas"></canvas></div></section>
  <section class="card wide"><div class="chart"><canvas id="afd-canvas"></canvas></div><p id="afd-note" class="note"></p></section>
  <section class="card wide"><h3>Planner</h3><div id="plan-result" class="note">Press “Find the cheapest deployment”.</div></section>
  <section class="card wide"><h3>Sources</h3><div id="sources"></div></section>
</main>
</div>`;

export function pageHtml(parts: { workerSource: string; appSource: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>phasewise</title><style>${PAGE_CSS}</style></head>
<body data-state="loading">${PAGE_BODY}
<script id="worker-src" type="text/plain">${parts.workerSource}</script>
<script>${parts.appSource}</script>
</body></html>
`;
}
