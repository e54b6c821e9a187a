import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseValidationCsv, type ValidationRow } from '../validate/rows.js';
import { summariseValidation } from '../validate/run-rows.js';
import { predictRows } from './validate-worker.js';

/**
 * Accuracy regression on a fixed sample of the dev rows: for every (system, backend, mode) of
 * data/validation/silicon_dev.csv, the rows at a third and two thirds of the group (ordered by id) among those
 * with at most 256 clients (cheap to replay). The sample is chosen by position, not by error. The bounds are
 * the errors this sample had when the replay rules were last changed, rounded up to the next 5 points: a change
 * that makes the model worse on it fails here (docs/validation.md lists the full-run figures).
 */
const DEV = fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url));

function sample(): ValidationRow[] {
  const groups = new Map<string, ValidationRow[]>();
  for (const p of parseValidationCsv(fs.readFileSync(DEV, 'utf8'), DEV)) {
    if (!p.ok || p.row.concurrency > 256) continue;
    const k = `${p.row.system}/${p.row.backend}/${p.row.mode}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(p.row);
  }
  const out = new Set<ValidationRow>();
  for (const k of [...groups.keys()].sort()) {
    const g = groups.get(k)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const f of [1 / 3, 2 / 3]) out.add(g[Math.floor(g.length * f)]!);
  }
  return [...out];
}

test('dev sample: the median errors stay within the reached bounds', () => {
  const rows = sample();
  assert.equal(rows.length, 46);
  const s = summariseValidation(predictRows(rows));
  // Every row is predicted since inferred workers too small for the model are widened (deployment.ts widerWorkers).
  assert.equal(s.predicted, s.rows, `predicted ${s.predicted}/${s.rows}`);
  const known = s.by.configKnown['true']!;
  const inferred = s.by.configKnown['false']!;
  const check = (what: string, value: number | null, bound: number): void => assert.ok(value !== null && value <= bound, `${what} median APE ${value} > ${bound}`);
  check('fully given TTFT', known.ttft.medianApe, KNOWN_TTFT);
  check('fully given TPOT', known.tpot.medianApe, KNOWN_TPOT);
  check('inferred disagg TTFT', inferred.ttft.medianApe, INFERRED_TTFT);
  check('inferred disagg TPOT', inferred.tpot.medianApe, INFERRED_TPOT);
});

const KNOWN_TTFT = 0.35;
const KNOWN_TPOT = 0.15;
const INFERRED_TTFT = 0.55;
const INFERRED_TPOT = 0.35;
