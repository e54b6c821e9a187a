import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../core/errors.js';
import { parseTraceCsv } from './trace.js';

const HEADER = 'arrived_at,num_prefill_tokens,num_decode_tokens';

function parseOrUsage(text: string): 'ok' | 'usage' {
  try {
    const t = parseTraceCsv(text, 'fuzz');
    for (const r of t.rows) {
      assert.ok(Number.isInteger(r.promptTokens) && r.promptTokens >= 1);
      assert.ok(Number.isInteger(r.outputTokens) && r.outputTokens >= 1);
    }
    return 'ok';
  } catch (e) {
    if (e instanceof UsageError) return 'usage';
    throw e;
  }
}

test('10,000 random texts: the trace reader parses or gives a UsageError, never another exception', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      parseOrUsage(s);
      parseOrUsage(`${HEADER}\n${s}`);
    }),
    { numRuns: 10_000, seed: 11 },
  );
});

test('10,000 mutated traces: a corrupted cell is rejected with its line number', () => {
  const row = fc.tuple(fc.float({ min: 0, max: 1000, noNaN: true }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 2000 }));
  fc.assert(
    fc.property(
      fc.array(row, { minLength: 1, maxLength: 20 }),
      fc.nat(),
      fc.nat(2),
      fc.constantFrom('', '-1', 'abc', '1e400', '0', '2.5', 'NaN', ' ', '"7"'),
      (rows, at, col, bad) => {
        rows.sort((a, b) => a[0] - b[0]);
        const cells = rows.map((r) => [String(r[0]), String(r[1]), String(r[2])]);
        const line = at % cells.length;
        cells[line]![col] = bad;
        const text = `${HEADER}\n${cells.map((c) => c.join(',')).join('\n')}\n`;
        try {
          parseTraceCsv(text, 'fuzz');
          // Some replacements are still valid values (e.g. '0' or '2.5' as an arrival time).
        } catch (e) {
          assert.ok(e instanceof UsageError, String(e));
          // A bad arrival time may instead surface as the next row going back in time.
          const lines = col === 0 ? `(${line + 2}|${line + 3})` : `${line + 2}`;
          assert.match(e.where, new RegExp(`line ${lines}\\b`));
        }
      },
    ),
    { numRuns: 10_000, seed: 12 },
  );
});
