import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asDisaggregated, GB200_MULTINODE_ENTRIES, multinodeEntryOf } from './multinode-exports.js';
import type { ValidationRow } from './rows.js';

const exportRow = (over: Partial<ValidationRow> & { gpus: number }): ValidationRow => {
  const { gpus, ...rest } = over;
  return {
    id: 'x',
    line: 2,
    backend: 'trtllm',
    backendVersion: '',
    modelPath: 'deepseek-ai/DeepSeek-R1',
    system: 'gb200',
    precision: 'fp4',
    mode: 'agg',
    isl: 1024,
    osl: 1024,
    gemmQuantMode: 'nvfp4',
    moeQuantMode: 'nvfp4',
    concurrency: 4,
    source: 'source_file=2026-04-06.csv; model=DeepSeek-R1; silicon_concurrency=4',
    numGpus: null,
    agg: { batch: 4, workers: null, tp: gpus, pp: 1, dp: 1, moeTp: gpus, ep: 1 },
    prefill: null,
    decode: null,
    measuredTtftMs: 1,
    measuredTpotMs: 1,
    ...rest,
  };
};

test('every entry adds up to a whole number of 4-GPU GB200 trays', () => {
  for (const e of GB200_MULTINODE_ENTRIES) {
    const gpus = e.prefill.workers * e.prefill.gpus + e.decode.workers * e.decode.gpus;
    assert.equal(gpus % 4, 0, JSON.stringify(e));
  }
});

test('36 GPUs at 1k: four TEP8 decode workers at low concurrency, one DEP32 worker at 1075 clients', () => {
  const low = multinodeEntryOf(exportRow({ gpus: 36, concurrency: 564 }))!;
  assert.deepEqual([low.decode.workers, low.decode.gpus, low.decode.dpAttention, low.mtpDraftTokens], [4, 8, false, 0]);
  const high = multinodeEntryOf(exportRow({ gpus: 36, concurrency: 1075 }))!;
  assert.deepEqual([high.decode.workers, high.decode.gpus, high.decode.dpAttention], [1, 32, true]);
  // 512 clients is only listed by the MTP variant of the DEP32 entry.
  assert.equal(multinodeEntryOf(exportRow({ gpus: 36, concurrency: 512 }))!.mtpDraftTokens, 3);
  // 16 clients is listed by both TEP8 variants: the rows do not say MTP, so the plain one.
  assert.equal(multinodeEntryOf(exportRow({ gpus: 36, concurrency: 16 }))!.mtpDraftTokens, 0);
});

test('a concurrency no entry lists takes the nearest entry of the same shape', () => {
  const e = multinodeEntryOf(exportRow({ gpus: 48, isl: 8192, concurrency: 300 }))!;
  assert.deepEqual([e.prefill.workers, e.decode.gpus], [4, 32]);
});

test('only GB200 agg DeepSeek-R1 rows with a multi-tray tp_size and no EP are read as multi-node exports', () => {
  assert.equal(multinodeEntryOf(exportRow({ gpus: 8 })), null);
  assert.equal(multinodeEntryOf(exportRow({ gpus: 36, system: 'b200_sxm' })), null);
  assert.equal(multinodeEntryOf(exportRow({ gpus: 36, source: 'source_file=/x/aic-auto-gap-analysis/y.csv' })), null);
  assert.equal(multinodeEntryOf(exportRow({ gpus: 36, agg: { batch: 4, workers: null, tp: 36, pp: 1, dp: 1, moeTp: 4, ep: 9 } })), null);
  // A shape no entry has (GPU count) is left alone.
  assert.equal(multinodeEntryOf(exportRow({ gpus: 44 })), null);
});

test('the SGLang FP8 72-GPU export at 8k is six DEP8 prefill workers and one DEP24 decode worker', () => {
  const row = exportRow({ gpus: 72, backend: 'sglang', precision: 'fp8', isl: 8192, concurrency: 448 });
  const e = multinodeEntryOf(row)!;
  const { row: d, note } = asDisaggregated(row, e, 256);
  assert.equal(d.mode, 'disagg');
  assert.equal(d.agg, null);
  assert.deepEqual(d.prefill, { batch: null, workers: 6, tp: 1, pp: 1, dp: 8, moeTp: 1, ep: 8 });
  assert.deepEqual(d.decode, { batch: null, workers: 1, tp: 1, pp: 1, dp: 24, moeTp: 1, ep: 24 });
  assert.match(note, /72 GPUs/);
});

test('TEP decode workers keep attention TP with the experts over the worker', () => {
  const row = exportRow({ gpus: 28, isl: 8192, concurrency: 48 });
  const { row: d } = asDisaggregated(row, multinodeEntryOf(row)!, 256);
  assert.deepEqual(d.decode, { batch: 32, workers: 3, tp: 8, pp: 1, dp: 1, moeTp: 1, ep: 8 });
  assert.deepEqual(d.prefill, { batch: 1, workers: 1, tp: 1, pp: 1, dp: 4, moeTp: 1, ep: 4 });
});

test('the same results exported as disagg rows whose two roles carry the world size are read the same way', () => {
  const world = { batch: null, workers: null, tp: 28, pp: 1, dp: 1, moeTp: 28, ep: 1 };
  const row = exportRow({ gpus: 28, isl: 8192, concurrency: 2150, mode: 'disagg', agg: null, prefill: world, decode: world });
  const e = multinodeEntryOf(row)!;
  assert.deepEqual([e.prefill.workers, e.decode.workers, e.decode.gpus], [5, 1, 8]);
  // With worker counts given, or roles of different sizes, the row is not such an export.
  assert.equal(multinodeEntryOf({ ...row, prefill: { ...world, workers: 1 } }), null);
  assert.equal(multinodeEntryOf({ ...row, decode: { ...world, tp: 24, moeTp: 24 } }), null);
});
