/**
 * One decoder layer checked against values worked out by hand (closed forms below), through the WASM kernels.
 * Model: hidden 4, one head of 4 (q = k = v = o = gate = up = down = identity, norms = 1), RoPE θ = 10000 so
 * inv_freq = [1, 0.01]. Token 0 embeds to e0 = [1, 1, 1, 1], token 1 to e1 = [1, −1, 1, −1] (both of RMS 1,
 * so RMSNorm leaves them as they are).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memorySource, openCheckpoint } from './checkpoint.js';
import { encodeSafetensors } from './safetensors.js';
import { ModelShard } from './shard.js';
import { syntheticTokenizer } from './synthetic.js';

const I4 = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const ones = Float32Array.from([1, 1, 1, 1]);
const EPS = 1e-12;

function handCheckpoint() {
  const t = new Map<string, { shape: number[]; data: Float32Array }>();
  t.set('model.embed_tokens.weight', { shape: [2, 4], data: Float32Array.from([1, 1, 1, 1, 1, -1, 1, -1]) });
  const p = 'model.layers.0.';
  for (const n of ['input_layernorm', 'post_attention_layernorm']) t.set(`${p}${n}.weight`, { shape: [4], data: ones });
  for (const n of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) t.set(`${p}${n}.weight`, { shape: [4, 4], data: I4 });
  t.set('model.norm.weight', { shape: [4], data: ones });
  const tok = syntheticTokenizer();
  const config = { architectures: ['LlamaForCausalLM'], hidden_size: 4, intermediate_size: 4, num_hidden_layers: 1, num_attention_heads: 1, num_key_value_heads: 1, vocab_size: 2, rms_norm_eps: EPS, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: true };
  return openCheckpoint(memorySource('hand', new Map<string, Uint8Array | string>([['config.json', JSON.stringify(config)], ['model.safetensors', encodeSafetensors(t)], ['tokenizer.json', JSON.stringify(tok.tokenizerJson)]])));
}

const silu = (x: number): number => x / (1 + Math.exp(-x));

describe('one layer against hand-computed values', () => {
  it('tokens [0, 1] at positions 0, 1 give the residual stream worked out by hand', () => {
    const shard = new ModelShard(handCheckpoint(), { tpRank: 0, tpSize: 1, holdsAttention: true, holdsFfn: true, quant: 'none', maxBatchTokens: 4, maxSampleRows: 2, numKvBlocks: 2, blockSizeTokens: 4, numMicroBatches: 1 });
    shard.embedTokens([0, 1], 0);
    shard.attentionBlock(0, 0, 2, [0, 1], [{ row: 0, numTokens: 2, startPos: 0, blockIds: [1] }]);
    shard.ffnBlock(0, 0, 2);
    const x = shard.readX(0, 2);

    // Token 0 (position 0, no rotation) attends only to itself: attn = v0 = e0, x1 = 2·e0 = [2,2,2,2];
    // RMSNorm(x1) = [1,1,1,1]; gate = up = 1; x2 = x1 + silu(1)·1.
    const want0 = [2, 2, 2, 2].map((v) => v + silu(1));

    // Token 1 (position 1): q1 = k1 = rope(e1): pair (0,2) turns by 1 rad, pair (1,3) by 0.01 rad:
    // q1 = [c1 − s1, −c2 + s2, c1 + s1, −c2 − s2], k0 = e0 (unrotated).
    // Scores (× 1/√4): q1·k0 / 2 = (2c1 − 2c2)/2 = c1 − c2; q1·k1 / 2 = |e1|²/2 = 2.
    const c1 = Math.cos(1);
    const c2 = Math.cos(0.01);
    const p0 = Math.exp(c1 - c2) / (Math.exp(c1 - c2) + Math.exp(2));
    const p1 = 1 - p0;
    // attn = p0·e0 + p1·e1 = [1, p0 − p1, 1, p0 − p1]; x1 = e1 + attn.
    const x1 = [2, -1 + p0 - p1, 2, -1 + p0 - p1];
    const rms = Math.sqrt(x1.reduce((a, v) => a + v * v, 0) / 4 + EPS);
    const want1 = x1.map((v) => v + silu(v / rms) * (v / rms));

    const got = Array.from(x);
    [...want0, ...want1].forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5, `x[${i}] = ${got[i]}, by hand ${w}`));
    // And the logits of token 1 (tied embeddings): e·RMSNorm(x2).
    const r2 = Math.sqrt(want1.reduce((a, v) => a + v * v, 0) / 4 + EPS);
    const n2 = want1.map((v) => v / r2);
    const wantLogits = [n2[0]! + n2[1]! + n2[2]! + n2[3]!, n2[0]! - n2[1]! + n2[2]! - n2[3]!];
    const logits = shard.logits(0, [1]);
    wantLogits.forEach((w, i) => assert.ok(Math.abs(logits[i]! - w) < 1e-5, `logit ${i} = ${logits[i]}, by hand ${w}`));
  });
});
