import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { bandOf, groupEvidence, parsePredictionsCsv } from './evidence.js';

test('concurrency bands', () => {
  assert.deepEqual([1, 16, 17, 64, 65, 256, 257].map(bandOf), ['≤16', '≤16', '≤64', '≤64', '≤256', '≤256', '>256']);
});

test('evidence: medians of pred/measured per system, backend, mode and band, fully given rows only', () => {
  const csv = [
    'id,pred_ttft_ms,pred_tpot_ms,silicon_ttft_ms,silicon_tpot_ms,system,backend,mode,concurrency,config_known,reason',
    'a,100,10,200,10,h100_sxm,vllm,agg,4,true,',
    'b,300,12,200,10,h100_sxm,vllm,agg,8,true,',
    'c,150,9,100,10,h100_sxm,vllm,agg,16,true,',
    'd,100,10,100,10,h100_sxm,vllm,agg,64,true,',
    'e,999,99,100,10,h100_sxm,vllm,disagg,4,false,',
    'f,,,100,10,h100_sxm,vllm,agg,4,true,too big',
  ].join('\n');
  const rows = groupEvidence(parsePredictionsCsv(csv, 'x.csv'));
  assert.equal(rows.length, 2);
  const low = rows[0]!;
  assert.equal(low.band, '≤16');
  assert.equal(low.rows, 3);
  // TTFT ratios 0.5, 1.5, 1.5 → median 1.5; APEs 0.5, 0.5, 0.5. TPOT ratios 1.0, 1.2, 0.9 → 1.0; APEs 0, 0.2, 0.1 → 0.1.
  assert.equal(low.ttftRatio, 1.5);
  assert.equal(low.ttftMedianApe, 0.5);
  assert.equal(low.tpotRatio, 1);
  assert.ok(Math.abs(low.tpotMedianApe! - 0.1) < 1e-12);
  assert.equal(rows[1]!.band, '≤64');
});

test('evidence: a file without the prediction columns is a usage error', () => {
  assert.throws(() => parsePredictionsCsv('id,foo\n1,2\n', 'bad.csv'), UsageError);
});
