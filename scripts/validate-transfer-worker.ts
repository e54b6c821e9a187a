/**
 * Worker of scripts/validate-transfer.ts: replays validation rows with one system's operator tables withheld from
 * the calibration, so its chips run as a chip without tables would (the nearest measured system's tables at their
 * own peaks), or with every system's tables withheld (the transfer curves alone); and, to check how collective
 * tables carry to other links, with that neighbour's collective tables swapped for those of a system on links of
 * another bandwidth, or removed (the fitted alpha–beta model).
 */
import { replayDepsWith } from '../src/cli/validate-worker.js';
import { BUILTIN_CALIBRATION } from '../src/perf/calibration.js';
import type { SystemCalibration } from '../src/perf/calibration-types.js';
import type { ValidationRow } from '../src/validate/rows.js';
import { predictRow, type RowPrediction } from '../src/validate/run-rows.js';

export interface TransferTask {
  readonly rows: readonly ValidationRow[];
  /** The aiconfigurator system whose tables are withheld ('' for none). */
  readonly withhold: string;
  /**
   * 'nearest': only that system's tables are withheld; 'curves': every system's are. With `neighbour` set, that
   * system's collective tables are replaced by `linksFrom`'s (null: removed).
   */
  readonly variant: 'nearest' | 'curves';
  readonly neighbour?: string;
  readonly linksFrom?: string | null;
}

const byId = (id: string): SystemCalibration => BUILTIN_CALIBRATION.systems.find((s) => s.id === id)!;

/** `s` with the collective tables (NCCL, custom all-reduce) and link bandwidth of `from`, or none. */
function withLinksOf(s: SystemCalibration, from: SystemCalibration | null): SystemCalibration {
  const backends = Object.fromEntries(Object.entries(s.backends).map(([b, t]) => [b, { ...t, allreduce: from?.backends[b as keyof typeof s.backends]?.allreduce }]));
  return { ...s, nccl: from?.nccl ?? {}, ref: { ...s.ref, scaleUpBytesPerS: from?.ref.scaleUpBytesPerS ?? s.ref.scaleUpBytesPerS }, backends };
}

export default function (task: TransferTask): RowPrediction[] {
  let systems = task.variant === 'curves' ? [] : BUILTIN_CALIBRATION.systems.filter((s) => s.id !== task.withhold);
  if (task.neighbour !== undefined) {
    const from = task.linksFrom ? byId(task.linksFrom) : null;
    systems = systems.map((s) => (s.id === task.neighbour ? withLinksOf(s, from) : s));
  }
  const deps = replayDepsWith({ ...BUILTIN_CALIBRATION, systems });
  return task.rows.map((r) => predictRow(r, deps));
}
