import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../core/errors.js';
import { memorySource, openCheckpoint, readTensorF32 } from './checkpoint.js';
import { decodeToF32, encodeSafetensors } from './safetensors.js';
import { syntheticCheckpointFiles } from './synthetic.js';
import { TINY_SPEC } from './testing.js';

const files = (): Map<string, Uint8Array | string> => syntheticCheckpointFiles(TINY_SPEC, 3);

function refused(f: Map<string, Uint8Array | string>, pattern: RegExp): void {
  assert.throws(() => openCheckpoint(memorySource('ck', f)), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
}

describe('openCheckpoint refuses bad checkpoints with a UsageError naming what is wrong', () => {
  it('a missing tensor', () => {
    const f = files();
    const st = f.get('model.safetensors') as Uint8Array;
    // Rebuild the file without one tensor.
    const ck = openCheckpoint(memorySource('ck', f));
    const keep = new Map([...ck.tensors.keys()].filter((n) => n !== 'model.layers.1.mlp.up_proj.weight').map((n) => [n, { shape: ck.tensors.get(n)!.shape, data: readTensorF32(ck, n) }] as const));
    f.set('model.safetensors', encodeSafetensors(keep));
    assert.ok(st.length > 0);
    refused(f, /weights: got "missing model\.layers\.1\.mlp\.up_proj\.weight"/);
  });
  it('a tensor of the wrong shape', () => {
    const f = files();
    const cfg = JSON.parse(f.get('config.json') as string);
    f.set('config.json', JSON.stringify({ ...cfg, intermediate_size: cfg.intermediate_size + 1 }));
    refused(f, /mlp\.gate_proj\.weight: got "shape \[96,64\]"; accepted: shape \[97,64\]/);
  });
  it('an unsupported architecture', () => {
    const f = files();
    const cfg = JSON.parse(f.get('config.json') as string);
    f.set('config.json', JSON.stringify({ ...cfg, architectures: ['DeepseekV3ForCausalLM'] }));
    refused(f, /architectures: got \["DeepseekV3ForCausalLM"\]; accepted: LlamaForCausalLM/);
  });
  it('an unsupported RoPE scaling, and a truncated weight file', () => {
    const f = files();
    const cfg = JSON.parse(f.get('config.json') as string);
    f.set('config.json', JSON.stringify({ ...cfg, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
    refused(f, /rope_type/);
    const g = files();
    const st = g.get('model.safetensors') as Uint8Array;
    g.set('model.safetensors', st.subarray(0, st.length - 100));
    refused(g, /truncated/);
  });
  it('no config.json, and no weights', () => {
    const f = files();
    f.delete('config.json');
    refused(f, /config\.json: got "no such file"/);
    const g = files();
    g.delete('model.safetensors');
    refused(g, /no \*\.safetensors file/);
  });
});

describe('safetensors dtypes', () => {
  it('bf16 and f16 decode to the f32 values they encode', () => {
    const data = Float32Array.from([1, -2.5, 0.15625, 65504, -0.0009765625]);
    for (const dtype of ['BF16', 'F16'] as const) {
      const bytes = encodeSafetensors(new Map([['t', { shape: [5], data }]]), dtype);
      const hl = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const out = new Float32Array(5);
      decodeToF32(bytes.subarray(8 + hl), dtype, out);
      // bf16 keeps 8 mantissa bits: 65504 rounds to 65280 (truncation); f16 represents all of these exactly.
      assert.deepEqual(Array.from(out), dtype === 'F16' ? Array.from(data) : [1, -2.5, 0.15625, 65280, -0.0009765625]);
    }
  });
});
