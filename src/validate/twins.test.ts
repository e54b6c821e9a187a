import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { validationRow } from './fixtures-for-tests.js';
import { rowImageOf } from './inferred-recipes.js';
import { parseValidationCsv, type ValidationRow } from './rows.js';
import { inheritTwinImages } from './twins.js';

const row = (id: string, source: string, ttft: number, tpot: number, r: Partial<ValidationRow> = {}): ValidationRow =>
  validationRow({
    id,
    backend: 'sglang',
    modelPath: 'Qwen/Qwen3.5-397B-A17B',
    moeQuantMode: 'fp8_block',
    concurrency: 4,
    source,
    agg: { batch: 4, workers: null, tp: 4, pp: 1, dp: 1, moeTp: 4, ep: 1 },
    measuredTtftMs: ttft,
    measuredTpotMs: tpot,
    ...r,
  });

const original = row('orig', 'source_file=2026-03-25.csv; image=lmsysorg/sglang:v0.5.9-cu130', 338.3, 6.33);

test('a copied result takes the serving image of the row whose measurement it repeats', () => {
  const [, copy] = inheritTwinImages([original, row('copy', 'source_file=qwen3.5-397b-gap-analysis.csv', 338.31, 6.331)]);
  assert.deepEqual(copy!.twinImage, { image: 'sglang:v0.5.9-cu130', twinId: 'orig' });
  assert.equal(rowImageOf(copy!), 'sglang:v0.5.9-cu130');
});

test('no image is inherited from a different measurement, another shape, or twins that disagree', () => {
  const copy = (ttft: number, tpot: number, r: Partial<ValidationRow> = {}): ValidationRow => row('copy', 'source_file=x.csv', ttft, tpot, r);
  // 1 % apart: another run.
  assert.equal(inheritTwinImages([original, copy(341.7, 6.33)])[1]!.twinImage, undefined);
  // The same figures at another concurrency are a coincidence, not a copy.
  assert.equal(inheritTwinImages([original, copy(338.3, 6.33, { concurrency: 8 })])[1]!.twinImage, undefined);
  const other = row('other', 'source_file=y.csv; image=lmsysorg/sglang:v0.5.9-cu130-amd64', 338.3, 6.33);
  assert.equal(inheritTwinImages([original, other, copy(338.3, 6.33)])[2]!.twinImage, undefined);
  // A row naming its own image keeps it.
  assert.equal(inheritTwinImages([original, other])[1]!.twinImage, undefined);
});

test('dev rows: the gap-analysis copies of the Qwen3.5 TP 4 / EP 1 runs inherit the MTP recipe image', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../data/validation/silicon_dev.csv', import.meta.url)), 'utf8');
  const rows = inheritTwinImages(parseValidationCsv(text, 'silicon_dev.csv').flatMap((p) => (p.ok ? [p.row] : [])));
  const copies = rows.filter((r) => r.source.includes('qwen3.5-397b-gap-analysis') && r.agg?.tp === 4 && r.agg.ep === 1);
  assert.equal(copies.length, 16);
  assert.ok(copies.every((r) => r.twinImage?.image === 'sglang:v0.5.9-cu130'));
});
