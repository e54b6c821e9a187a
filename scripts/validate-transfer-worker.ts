/**
 * Worker of scripts/validate-transfer.ts: replays validation rows with one system's operator tables withheld from
 * the calibration, so its chips run as a chip without tables would (the nearest measured system's tables at their
 * own peaks), or with every system's tables withheld (the transfer curves alone).
 */
import { replayDepsWith } from '../src/cli/validate-worker.js';
import { BUILTIN_CALIBRATION } from '../src/perf/calibration.js';
import type { ValidationRow } from '../src/validate/rows.js';
import { predictRow, type RowPrediction } from '../src/validate/run-rows.js';

export interface TransferTask {
  readonly rows: readonly ValidationRow[];
  /** The aiconfigurator system whose tables are withheld. */
  readonly withhold: string;
  /** 'nearest': only that system's tables are withheld; 'curves': every system's are. */
  readonly variant: 'nearest' | 'curves';
}

export default function (task: TransferTask): RowPrediction[] {
  const systems = task.variant === 'curves' ? [] : BUILTIN_CALIBRATION.systems.filter((s) => s.id !== task.withhold);
  const deps = replayDepsWith({ ...BUILTIN_CALIBRATION, systems });
  return task.rows.map((r) => predictRow(r, deps));
}
