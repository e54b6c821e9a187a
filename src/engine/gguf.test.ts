import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memorySource, openCheckpoint } from './checkpoint.js';
import { ggufChunks, permuteRows } from './gguf.js';
import { syntheticCheckpointFiles } from './synthetic.js';
import { TINY_SPEC } from './testing.js';

describe('GGUF export', () => {
  it('permutes q/k rows from rotate-half pairs (i, i + d/2) to interleaved pairs (2i, 2i + 1)', () => {
    // One head of 8 rows, one column holding the row index: row 2i + j of the result is row j·4 + i.
    const w = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(permuteRows(w, 8, 1, 1)), [0, 4, 1, 5, 2, 6, 3, 7]);
  });
  it('writes a GGUF v3 header with every tensor, then 32-byte aligned data of the declared size', () => {
    const ck = openCheckpoint(memorySource('tiny', syntheticCheckpointFiles(TINY_SPEC, 3)));
    const chunks = [...ggufChunks(ck, 'f32')];
    const head = chunks[0]!;
    const dv = new DataView(head.buffer, head.byteOffset);
    assert.equal(new TextDecoder().decode(head.subarray(0, 4)), 'GGUF');
    assert.equal(dv.getUint32(4, true), 3);
    const numTensors = Number(dv.getBigUint64(8, true));
    assert.equal(numTensors, 2 + 9 * TINY_SPEC.numLayers + (TINY_SPEC.tieWordEmbeddings ? 0 : 1));
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const dataBytes = chunks.slice(2).reduce((a, c) => a + c.length, 0);
    assert.equal((head.length + chunks[1]!.length) % 32, 0);
    const c = ck.config;
    const params = c.vocabSize * c.hiddenSize * 2 + c.hiddenSize + c.numLayers * (2 * c.hiddenSize + c.hiddenSize * (c.numHeads + 2 * c.numKvHeads) * c.headDim + c.numHeads * c.headDim * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize);
    assert.ok(dataBytes >= params * 4 && dataBytes < params * 4 + 32 * numTensors, `${dataBytes} bytes for ${params} f32 params`);
    assert.ok(total > dataBytes);
  });
});
