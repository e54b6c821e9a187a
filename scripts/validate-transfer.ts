/**
 * How well the performance model carries over to a GPU without operator tables (issue 3's hidden set includes a GPU
 * generation with none): each measured system's fully given dev rows are replayed with that system's tables
 * withheld — its chips then borrow the nearest measured system's tables at their own peaks, as any NVIDIA chip
 * without tables does (perf/calibration.ts nearestSystem) — and, for comparison, with the transfer curves alone.
 * The transfer curves were fitted on every system, the withheld one included, so their column flatters them.
 * Where the borrowed neighbour shares the withheld system's links, a second table checks how collective tables carry
 * to links of another bandwidth: the neighbour's are swapped for another system's (read at scaled bytes) or removed.
 *
 *   npm run bench:transfer [-- --data FILE] [-- --jobs N]   (≈ 5 × a validate run)
 */
import { Piscina } from 'piscina';
import { BUILTIN_CALIBRATION, devicePeaks, findSystem, nearestSystem, referencePeaks } from '../src/perf/calibration.js';
import type { SystemCalibration } from '../src/perf/calibration-types.js';
import { Catalog } from '../src/hardware/catalog.js';
import type { ValidationRow } from '../src/validate/rows.js';
import type { RowPrediction } from '../src/validate/run-rows.js';
import { quantile } from '../src/validate/stats.js';
import { studyInput } from './dev-rows.js';
import type { TransferTask } from './validate-transfer-worker.js';

const { jobs, known } = studyInput();
const catalog = Catalog.builtin();
const pool = new Piscina({ filename: new URL('./validate-transfer-worker.js', import.meta.url).href, minThreads: jobs, maxThreads: jobs });

async function predict(subset: readonly ValidationRow[], task: Omit<TransferTask, 'rows'>): Promise<RowPrediction[]> {
  const chunks: ValidationRow[][] = [];
  for (let i = 0; i < subset.length; i += 16) chunks.push(subset.slice(i, i + 16));
  const parts = await Promise.all(chunks.map((c) => pool.run({ ...task, rows: c } satisfies TransferTask) as Promise<RowPrediction[]>));
  return parts.flat();
}

const ape = (pred: number | null, measured: number | null): number | null =>
  pred !== null && measured !== null && measured > 0 ? Math.abs(pred - measured) / measured : null;
const stats = (preds: readonly RowPrediction[], which: 'ttft' | 'tpot'): string => {
  const v = preds
    .map((p) => (which === 'ttft' ? ape(p.predTtftMs, p.measuredTtftMs) : ape(p.predTpotMs, p.measuredTpotMs)))
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
  return `${pct(quantile(v, 0.5))} / ${pct(quantile(v, 0.9))}`;
};

const col = (p: RowPrediction[]): string => `${stats(p, 'ttft').padEnd(16)} ${stats(p, 'tpot').padEnd(16)}`;
const linkChecks: { system: string; withheld: string; subset: ValidationRow[]; neighbour: SystemCalibration; borrowed: RowPrediction[] }[] = [];
console.log("TTFT and TPOT APE, median / p90, of each system's fully given dev rows");
console.log('system    rows  borrows            own tables: TTFT     TPOT             withheld, borrowed: TTFT  TPOT             transfer curves: TTFT     TPOT');
for (const system of [...new Set(known.map((r) => r.system))].sort()) {
  const subset = known.filter((r) => r.system === system);
  const device = catalog.has(system) ? catalog.get(system) : null;
  const own = device ? findSystem(device, BUILTIN_CALIBRATION) : null;
  if (!device || !own) continue;
  const others = { ...BUILTIN_CALIBRATION, systems: BUILTIN_CALIBRATION.systems.filter((s) => s.id !== own.id) };
  const nearest = nearestSystem(devicePeaks(device), others);
  const [shipped, borrowed, curves] = [
    await predict(subset, { withhold: '', variant: 'nearest' }),
    await predict(subset, { withhold: own.id, variant: 'nearest' }),
    await predict(subset, { withhold: own.id, variant: 'curves' }),
  ];
  console.log(
    `${system.padEnd(9)} ${String(subset.length).padStart(4)}  ${`${nearest?.system.id ?? '—'}${nearest?.sibling ? ' (sibling)' : ''}`.padEnd(18)} ${col(shipped)}    ${col(borrowed)}    ${col(curves)}`,
  );
  if (nearest && !nearest.sibling && nearest.system.ref.scaleUpBytesPerS === own.ref.scaleUpBytesPerS) linkChecks.push({ system, withheld: own.id, subset, neighbour: nearest.system, borrowed });
}

// Collective tables on other links: the neighbour's collectives swapped for those of the system nearest to it in peaks
// whose links have another bandwidth (read at scaled bytes, as for a chip on other links), or removed (alpha–beta).
console.log('\nwithheld, borrowed kernels; collectives from: TTFT / TPOT median APE (p90)');
console.log('system    rows  neighbour  its own links (same bandwidth)      another system\'s, scaled bytes             the alpha–beta model');
for (const { system, withheld, subset, neighbour, borrowed } of linkChecks) {
  const rest = { ...BUILTIN_CALIBRATION, systems: BUILTIN_CALIBRATION.systems.filter((s) => s.ref.scaleUpBytesPerS !== neighbour.ref.scaleUpBytesPerS) };
  const other = nearestSystem(referencePeaks(neighbour.ref), rest)?.system;
  if (!other) continue;
  const base = { withhold: withheld, variant: 'nearest' as const, neighbour: neighbour.id };
  const [scaled, alphaBeta] = [await predict(subset, { ...base, linksFrom: other.id }), await predict(subset, { ...base, linksFrom: null })];
  console.log(`${system.padEnd(9)} ${String(subset.length).padStart(4)}  ${neighbour.id.padEnd(9)}  ${col(borrowed)}    ${`${other.id}: `.padEnd(10)}${col(scaled)}    ${col(alphaBeta)}`);
}
await pool.destroy();
