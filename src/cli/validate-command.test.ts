import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const DEV = fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-validate-'));
const devRecords = parse(fs.readFileSync(DEV, 'utf8'), { skip_empty_lines: true }) as string[][];
const header = devRecords[0]!;
const col = (name: string): number => header.indexOf(name);
const devRow = (id: string): string[] => {
  const r = devRecords.find((x) => x[0] === id);
  assert.ok(r, `dev row ${id}`);
  return [...r];
};
const csvLine = (cells: readonly string[]): string => cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
const edit = (cells: string[], changes: Record<string, string>): string[] => {
  for (const [k, v] of Object.entries(changes)) cells[col(k)] = v;
  return cells;
};

// Two good rows (a colocated and a fully given disaggregated deployment, both cheap to replay) and one bad row of
// each kind the issue names.
const GOOD_AGG = 'minimaxm2_5_b200_vllm_fp8_agg_1024x1024_c4_cfg633';
const GOOD_DISAGG = 'dsr1_gb200_sglang_fp4_disagg_1024x1024_c4_cfg486';
const lines = [
  csvLine(header),
  csvLine(devRow(GOOD_AGG)),
  csvLine(edit(devRow(GOOD_AGG), { id: 'bad-isl', isl: 'many' })),
  csvLine(devRow(GOOD_AGG).slice(0, 10)).replace(GOOD_AGG, 'bad-width'),
  csvLine(edit(devRow(GOOD_AGG), { id: 'bad-system', system: 'abacus_9000' })),
  csvLine(edit(devRow(GOOD_AGG), { id: 'bad-model', model_path: 'acme/no-such-model' })),
  csvLine(edit(devRow(GOOD_AGG), { id: 'bad-parallelism', tp_size: '8', attention_dp_size: '2', moe_tp_size: '1', moe_ep_size: '4' })),
  csvLine(devRow(GOOD_DISAGG)),
];
const fixture = path.join(tmp, 'fixture.csv');
fs.writeFileSync(fixture, `${lines.join('\n')}\n`);

test('validate: good rows are predicted, bad rows get a reason each, the run goes on', () => {
  const out = path.join(tmp, 'pred.csv');
  const r = run(['validate', '--data', fixture, '--out', out, '--json', '--jobs', '1']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.rows, 7);
  assert.equal(summary.predicted, 2);
  for (const k of ['medianApe', 'p90Ape']) {
    assert.equal(typeof summary.ttft[k], 'number');
    assert.equal(typeof summary.tpot[k], 'number');
  }
  assert.deepEqual(Object.keys(summary.by).sort(), ['backend', 'configKnown', 'mode', 'model', 'system']);
  assert.equal(summary.by.configKnown.true.rows, 7);
  assert.equal(summary.by.mode.disagg.predicted, 1);

  const preds = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    preds.map((p) => p.id),
    [GOOD_AGG, 'bad-isl', 'bad-width', 'bad-system', 'bad-model', 'bad-parallelism', GOOD_DISAGG],
  );
  const byId = new Map(preds.map((p) => [p.id, p]));
  for (const id of [GOOD_AGG, GOOD_DISAGG]) {
    const p = byId.get(id)!;
    assert.ok(Number(p.pred_ttft_ms) > 0 && Number(p.pred_tpot_ms) > 0, id);
    assert.equal(p.reason, '');
  }
  const reason = (id: string): string => {
    const p = byId.get(id)!;
    assert.equal(p.pred_ttft_ms, '', id);
    assert.equal(p.pred_tpot_ms, '', id);
    return p.reason!;
  };
  assert.match(reason('bad-isl'), /isl/);
  assert.match(reason('bad-width'), /wrong number of fields/);
  assert.match(reason('bad-system'), /unknown system "abacus_9000"/);
  assert.match(reason('bad-model'), /unknown model "acme\/no-such-model"/);
  assert.match(reason('bad-parallelism'), /moe_tp_size 1 × moe_ep_size 4 ≠ tp_size 8 × attention_dp_size 2/);
});

test('validate: the thread count does not change the predictions', () => {
  const one = path.join(tmp, 'one.csv');
  const two = path.join(tmp, 'two.csv');
  assert.equal(run(['validate', '--data', fixture, '--out', one, '--jobs', '1']).code, 0);
  assert.equal(run(['validate', '--data', fixture, '--out', two, '--jobs', '2']).code, 0);
  assert.equal(fs.readFileSync(one, 'utf8'), fs.readFileSync(two, 'utf8'));
});

test('validate: a file that cannot be read is exit 2 with a message, not a stack trace', () => {
  const missing = run(['validate', '--data', path.join(tmp, 'nope.csv')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--data/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const noColumns = path.join(tmp, 'columns.csv');
  fs.writeFileSync(noColumns, 'a,b\n1,2\n');
  const r = run(['validate', '--data', noColumns]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing: id/);
});
