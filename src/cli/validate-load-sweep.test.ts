import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseValidationCsv, type RoleConfig, type ValidationRow } from '../validate/rows.js';
import { predictRows } from './validate-worker.js';

/**
 * The replay at concurrencies the file does not hold: more clients on the same deployment never make a request
 * faster. For every (system, backend, mode) of data/validation/silicon_dev.csv, the fully given row in the middle
 * of the group (ordered by id) is replayed at ½, 1, 2 and 4 times its clients, each role's per-rank batch scaled
 * with them (rounded up, as an engine sized for that load would be). A step of the twin, a recipe or a scheduler
 * rule that turned a load threshold into a speed-up would show here. No measurement is involved.
 */
const DEV = fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url));
const FACTORS = [0.5, 1, 2, 4];
/** Seeded arrival jitter moves a replay by well under this; a faster request at more load does not. */
const NOISE = 0.01;

function fullyGiven(r: ValidationRow): boolean {
  return r.mode === 'agg' || (r.prefill?.workers != null && r.decode?.workers != null);
}

function middleRows(): ValidationRow[] {
  const groups = new Map<string, ValidationRow[]>();
  for (const p of parseValidationCsv(fs.readFileSync(DEV, 'utf8'), DEV)) {
    if (!p.ok || !fullyGiven(p.row) || p.row.concurrency > 512) continue;
    const k = `${p.row.system}/${p.row.backend}/${p.row.mode}`;
    groups.set(k, [...(groups.get(k) ?? []), p.row]);
  }
  return [...groups.keys()].sort().map((k) => {
    const g = groups.get(k)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return g[Math.floor(g.length / 2)]!;
  });
}

function atLoad(r: ValidationRow, f: number): ValidationRow {
  const scale = (role: RoleConfig | null): RoleConfig | null =>
    role === null ? null : { ...role, batch: role.batch === null ? null : Math.max(1, Math.ceil(role.batch * f)) };
  const clients = Math.max(1, Math.round(r.concurrency * f));
  return {
    ...r,
    id: `${r.id}@${f}`,
    concurrency: clients,
    source: r.source.replace(/silicon_concurrency=\d+/, `silicon_concurrency=${clients}`),
    agg: scale(r.agg),
    decode: scale(r.decode),
  };
}

test('more clients on the same deployment never make TTFT or TPOT smaller', () => {
  const rows = middleRows();
  assert.ok(rows.length >= 15, `${rows.length} groups`);
  const preds = predictRows(rows.flatMap((r) => FACTORS.map((f) => atLoad(r, f))));
  for (let i = 0; i < rows.length; i++) {
    const sweep = preds.slice(i * FACTORS.length, (i + 1) * FACTORS.length);
    for (const p of sweep) assert.ok(p.predTtftMs !== null && p.predTpotMs !== null, `${p.id}: ${p.reason}`);
    for (let j = 1; j < sweep.length; j++) {
      const [lo, hi] = [sweep[j - 1]!, sweep[j]!];
      assert.ok(hi.predTpotMs! >= lo.predTpotMs! * (1 - NOISE), `${hi.id}: TPOT ${lo.predTpotMs} → ${hi.predTpotMs} ms`);
      assert.ok(hi.predTtftMs! >= lo.predTtftMs! * (1 - NOISE), `${hi.id}: TTFT ${lo.predTtftMs} → ${hi.predTtftMs} ms`);
    }
  }
});
