/**
 * Hold-out check of the choices `phasewise validate` makes on the dev rows:
 *
 * 1. which of the two engine-loop settings each backend's InferenceX recipes use (deployment.ts ENGINE_TIMING vs
 *    ENGINE_TIMING_ALTERNATIVE). Every InferenceX row is replayed with both; then, per backend and per model, the
 *    setting is chosen on the other models' rows (lower median TTFT APE) and the held-out model's rows are scored
 *    with it. aiconfigurator rows run the engines' defaults (no choice) and enter the pooled figure as they are.
 * 2. the clients' mean send jitter (deployment.ts CLIENT_JITTER_S, chosen among JITTER_CHOICES_S): every fully
 *    given row is replayed with each value; per held-out model the value is chosen on the other models' rows.
 *
 *   npx tsc -p . && node dist/scripts/validate-holdout.js [--data FILE] [--jobs N]   (≈ 5 × a validate run)
 */
import { Piscina } from 'piscina';
import type { ValidationRow } from '../src/validate/rows.js';
import { studyInput } from './dev-rows.js';
import { CLIENT_JITTER_S, ENGINE_TIMING_ALTERNATIVE, type ReplayOverrides } from '../src/validate/deployment.js';
import { protocolOf } from '../src/validate/protocol.js';
import type { RowPrediction } from '../src/validate/run-rows.js';
import { quantile } from '../src/validate/stats.js';

const { jobs, known } = studyInput();
const alternative: ReplayOverrides = {
  timing: Object.fromEntries(Object.entries(ENGINE_TIMING_ALTERNATIVE).map(([b, t]) => [`${b}/inferencex`, t])),
};

const pool = new Piscina({ filename: new URL('../src/cli/validate-worker.js', import.meta.url).href, minThreads: jobs, maxThreads: jobs });
async function predict(subset: readonly ValidationRow[], overrides: ReplayOverrides): Promise<RowPrediction[]> {
  const order = subset.map((r, i) => [r, i] as const).sort(([a], [b]) => b.osl * Math.sqrt(b.concurrency) - a.osl * Math.sqrt(a.concurrency));
  const out = new Array<RowPrediction>(subset.length);
  await Promise.all(order.map(async ([r, i]) => (out[i] = ((await pool.run({ rows: [r], overrides })) as RowPrediction[])[0]!)));
  return out;
}

const ix = known.filter((r) => protocolOf(r).harness === 'inferencex');
const aic = known.filter((r) => protocolOf(r).harness !== 'inferencex');
const [byDefault, byAlternative, aicPreds] = [await predict(ix, {}), await predict(ix, alternative), await predict(aic, {})];
/** The values CLIENT_JITTER_S was chosen among (docs/validation.md, "Benchmark protocol"), and none. */
const JITTER_CHOICES_S = [0, 0.002, 0.005, 0.01, 0.02];
const byJitter: RowPrediction[][] = [];
for (const j of JITTER_CHOICES_S) {
  if (j === CLIENT_JITTER_S) byJitter.push([...byDefault, ...aicPreds]);
  else byJitter.push(await predict([...ix, ...aic], { clientJitterS: j }));
}
await pool.destroy();

const ttftApe = (p: RowPrediction): number | null =>
  p.predTtftMs !== null && p.measuredTtftMs !== null && p.measuredTtftMs > 0 ? Math.abs(p.predTtftMs - p.measuredTtftMs) / p.measuredTtftMs : null;
const median = (idx: readonly number[], preds: readonly RowPrediction[]): number => {
  const v = idx.flatMap((i) => {
    const a = ttftApe(preds[i]!);
    return a === null ? [] : [a];
  });
  return quantile(v.sort((a, b) => a - b), 0.5) ?? Number.NaN;
};
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const pooled: number[] = [];
const inSample: number[] = [];
console.log('backend  held-out model                                  rows  chosen on the others  held-out TTFT APE (default / alternative)');
for (const backend of ['vllm', 'trtllm', 'sglang']) {
  const idx = ix.flatMap((r, i) => (r.backend === backend ? [i] : []));
  const models = [...new Set(idx.map((i) => ix[i]!.modelPath))].sort();
  for (const model of models) {
    const train = idx.filter((i) => ix[i]!.modelPath !== model);
    const test = idx.filter((i) => ix[i]!.modelPath === model);
    const useDefault = train.length === 0 || median(train, byDefault) <= median(train, byAlternative);
    const chosen = useDefault ? byDefault : byAlternative;
    for (const i of test) {
      const a = ttftApe(chosen[i]!);
      if (a !== null) pooled.push(a);
    }
    console.log(
      `${backend.padEnd(8)} ${model.padEnd(46)} ${String(test.length).padStart(5)}  ${(useDefault ? 'default' : 'alternative').padEnd(20)}  ${pct(median(test, chosen))} (${pct(median(test, byDefault))} / ${pct(median(test, byAlternative))})`,
    );
  }
}
for (const p of byDefault) {
  const a = ttftApe(p);
  if (a !== null) inSample.push(a);
}
for (const p of aicPreds) {
  const a = ttftApe(p);
  if (a !== null) {
    pooled.push(a);
    inSample.push(a);
  }
}
pooled.sort((a, b) => a - b);
inSample.sort((a, b) => a - b);
console.log(
  `\nfully given rows (${pooled.length}): TTFT median APE held out by model ${pct(quantile(pooled, 0.5)!)} (p90 ${pct(quantile(pooled, 0.9)!)}); with the shipped choice ${pct(quantile(inSample, 0.5)!)} (p90 ${pct(quantile(inSample, 0.9)!)})`,
);

// 2. The client jitter, per held-out model over all fully given rows (InferenceX rows then aiconfigurator rows).
const all = [...ix, ...aic];
const jitterPooled: number[] = [];
console.log('\nclient jitter: held-out model                          rows  chosen on the others  held-out TTFT APE');
for (const model of [...new Set(all.map((r) => r.modelPath))].sort()) {
  const train = all.flatMap((r, i) => (r.modelPath !== model ? [i] : []));
  const test = all.flatMap((r, i) => (r.modelPath === model ? [i] : []));
  let best = 0;
  for (let k = 1; k < JITTER_CHOICES_S.length; k++) if (median(train, byJitter[k]!) < median(train, byJitter[best]!)) best = k;
  for (const i of test) {
    const a = ttftApe(byJitter[best]![i]!);
    if (a !== null) jitterPooled.push(a);
  }
  console.log(`              ${model.padEnd(42)} ${String(test.length).padStart(5)}  ${`${JITTER_CHOICES_S[best]! * 1e3} ms`.padEnd(20)}  ${pct(median(test, byJitter[best]!))}`);
}
jitterPooled.sort((a, b) => a - b);
const everyRow = all.map((_, i) => i);
console.log(`\nall fully given rows, TTFT median APE by jitter: ${JITTER_CHOICES_S.map((j, k) => `${j * 1e3} ms ${pct(median(everyRow, byJitter[k]!))}`).join(', ')}`);
console.log(
  `\nfully given rows (${jitterPooled.length}): TTFT median APE with the jitter held out by model ${pct(quantile(jitterPooled, 0.5)!)} (p90 ${pct(quantile(jitterPooled, 0.9)!)}); shipped ${CLIENT_JITTER_S * 1e3} ms: ${pct(quantile(inSample, 0.5)!)}`,
);
