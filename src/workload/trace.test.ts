import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { UsageError } from '../core/errors.js';
import { parseTraceCsv, traceMeanTokens } from './trace.js';

test('parses the shipped Splitwise conversation trace', () => {
  const text = fs.readFileSync(new URL('../../../data/traces/splitwise_conv.csv', import.meta.url), 'utf8');
  const t = parseTraceCsv(text, 'splitwise_conv');
  assert.equal(t.rows.length, 19366);
  assert.deepEqual(t.rows[0], { arrivalS: 0, promptTokens: 374, outputTokens: 44 });
  const mean = traceMeanTokens(t);
  assert.ok(mean.prompt > 500 && mean.prompt < 3000, `mean prompt ${mean.prompt}`);
});

test('a trace without arrival times (arXiv lengths) parses with null arrivals', () => {
  const t = parseTraceCsv('num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n3772,54,3826,69.8\n', 'a');
  assert.deepEqual(t.rows, [{ arrivalS: null, promptTokens: 3772, outputTokens: 54 }]);
});

for (const [name, text, where] of [
  ['negative length', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,-5,3\n', 'line 2 column num_prefill_tokens'],
  ['missing field', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,5\n', 'line 2'],
  ['text in a number', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,5,3\nx,5,3\n', 'line 3 column arrived_at'],
  ['time going back', 'arrived_at,num_prefill_tokens,num_decode_tokens\n5,5,3\n1,5,3\n', 'line 3 column arrived_at'],
  ['unknown header', 'a,b\n1,2\n', 'header'],
  ['no rows', 'arrived_at,num_prefill_tokens,num_decode_tokens\n', 'trace t'],
] as const) {
  test(`malformed trace: ${name} → UsageError naming ${where}`, () => {
    assert.throws(
      () => parseTraceCsv(text, 't'),
      (e: unknown) => e instanceof UsageError && e.where.includes(where),
    );
  });
}
