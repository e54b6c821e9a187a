/**
 * What the validation study scripts (validate-holdout, validate-transfer) share: their `--data FILE` and `--jobs N`
 * options and the rows of the file, copied results given their original's serving image as `validate` does.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseValidationCsv, type ValidationRow } from '../src/validate/rows.js';
import { inheritTwinImages } from '../src/validate/twins.js';

export interface StudyInput {
  readonly file: string;
  readonly jobs: number;
  readonly rows: readonly ValidationRow[];
  /** The rows whose deployment is fully given (agg, or disagg with both worker counts). */
  readonly known: readonly ValidationRow[];
}

export function studyInput(argv: readonly string[] = process.argv.slice(2)): StudyInput {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const file = opt('--data') ?? new URL('../../data/validation/silicon_dev.csv', import.meta.url).pathname;
  const jobs = Number(opt('--jobs') ?? os.availableParallelism());
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`--jobs must be a whole number ≥ 1, got ${opt('--jobs')}`);
  const rows = inheritTwinImages(parseValidationCsv(fs.readFileSync(file, 'utf8'), file).flatMap((p) => (p.ok ? [p.row] : [])));
  const known = rows.filter((r) => r.mode === 'agg' || (r.prefill?.workers != null && r.decode?.workers != null));
  return { file, jobs, rows, known };
}
