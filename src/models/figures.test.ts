import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseConfigText } from './config-text.js';
import {
  activeParamCount,
  flopsPerToken,
  kvBytesForContext,
  kvBytesPerToken,
  linearStateBytesPerSequence,
  modelSummary,
  paramBreakdown,
  paramCount,
  prefillFlops,
  slidingKvBytesPerToken,
  sumCappedContext,
  weightBytes,
  weightBytesPerLayer,
} from './figures.js';
import { parseHfConfig } from './parse-config.js';
import type { ModelArch } from './types.js';

// From dist/src/models/: ../../../ is the project root.
const MODELS = new URL('../../../data/models/', import.meta.url);

function readJson(id: string, suffix: string): unknown {
  const file = new URL(`${id.replace('/', '--')}${suffix}`, MODELS);
  return existsSync(file) ? parseConfigText(readFileSync(file, 'utf8'), id) : undefined;
}

function load(id: string): ModelArch {
  return parseHfConfig(readJson(id, '_config.json'), id, readJson(id, '_hf_quant_config.json'));
}

const llama70b = load('meta-llama/Llama-3.1-70B');
const llama8b = load('meta-llama/Llama-3.1-8B-Instruct');
const dsv3 = load('deepseek-ai/DeepSeek-V3');
const mixtral = load('mistralai/Mixtral-8x7B-v0.1');
const qwen30b = load('Qwen/Qwen3-30B-A3B');
const gptOss = load('openai/gpt-oss-120b');

describe('parameter counts', () => {
  it('Llama-3.1-70B: 70,553,706,496 (HF reports 70.55B)', () => {
    // embeddings, untied: 128256 × 8192 × 2                              =  2,101,346,304
    // per layer: attention 8192 × (8192 + 2 × 1024) + 8192 × 8192        =    150,994,944
    //            FFN 3 × 8192 × 28672                                     =    704,643,072
    //            2 norms × 8192                                           =         16,384
    //            → 855,654,400 × 80 layers                               = 68,452,352,000
    // final norm                                                         =          8,192
    assert.equal(paramCount(llama70b), 2_101_346_304 + 68_452_352_000 + 8_192);
    assert.equal(activeParamCount(llama70b), paramCount(llama70b)); // dense: every weight every token
  });

  it('Llama-3.1-8B: 8,030,261,248 (≈ 8.03e9)', () => {
    // embeddings 128256 × 4096 × 2 = 1,050,673,152; per layer 4096 × (4096 + 2 × 1024) + 4096² + 3 × 4096 × 14336
    // + 2 × 4096 = 218,112,000, × 32 = 6,979,584,000; final norm 4,096.
    assert.equal(paramCount(llama8b), 1_050_673_152 + 6_979_584_000 + 4_096);
  });

  it('DeepSeek-V3: 671.03e9 total, 37.55e9 active (DeepSeek: 671B / 37B, MTP layer excluded)', () => {
    // MLA per layer: q_a 7168×1536 + q_b 1536×128×192 + kv_a 7168×576 + kv_b 512×128×256 + o 128×128×7168
    //   = 187,105,280 matrices + 2,048 (q_a, kv_a norms) + 14,336 (2 × 7168 layer norms) = 187,121,664; × 61.
    // 3 dense FFN layers: 3 × 7168 × 18432 = 396,361,728 each.
    // 58 MoE layers: 257 experts (256 routed + 1 shared) × 3 × 7168 × 2048 = 44,040,192 each, router 7168 × 256.
    // embeddings 129280 × 7168 × 2 + final norm 7168.
    const attention = 61 * 187_121_664;
    const dense = 3 * 396_361_728;
    const expert = 44_040_192;
    const router = 7168 * 256;
    const embeddings = 129_280 * 7168 * 2 + 7168;
    assert.equal(paramCount(dsv3), attention + dense + 58 * (257 * expert + router) + embeddings); // 671,026,404,352
    assert.equal(activeParamCount(dsv3), attention + dense + 58 * ((8 + 1) * expert + router) + embeddings); // 37,552,282,624
    assert.ok(paramCount(dsv3) > 670e9 && paramCount(dsv3) < 672e9);
    assert.ok(activeParamCount(dsv3) > 37e9 && activeParamCount(dsv3) < 38e9);
  });

  it('Mixtral-8x7B: 46.70e9 total, 12.88e9 active (Mistral: 46.7B / 12.9B)', () => {
    // per layer: attention 4096 × (4096 + 2 × 1024) + 4096² = 41,943,040; experts 3 × 4096 × 14336 = 176,160,768 each;
    // router 4096 × 8 = 32,768; norms 8,192. Embeddings 32000 × 4096 × 2 + 4,096.
    const emb = 32_000 * 4096 * 2 + 4096;
    assert.equal(paramCount(mixtral), 32 * (41_943_040 + 8 * 176_160_768 + 32_768 + 8_192) + emb); // 46,702,792,704
    assert.equal(activeParamCount(mixtral), 32 * (41_943_040 + 2 * 176_160_768 + 32_768 + 8_192) + emb); // 12,879,925,248
  });

  it('Qwen3-30B-A3B: 30.53e9 total, 3.35e9 active (Qwen: 30.5B / 3.3B)', () => {
    // per layer: attention 2048 × 32×128 + 2 × 2048 × 4×128 + 32×128 × 2048 = 18,874,368; experts 3 × 2048 × 768 =
    // 4,718,592 each (128, top 8); router 2048 × 128 = 262,144; norms 4,096. Embeddings 151936 × 2048 × 2 + 2,048.
    // (HF's count is 12,288 higher: the 48 × 2 × 128 q/k-norm weights, which phasewise leaves out.)
    const emb = 151_936 * 2048 * 2 + 2048;
    assert.equal(paramCount(qwen30b), 48 * (18_874_368 + 128 * 4_718_592 + 262_144 + 4_096) + emb); // 30,532,110,336
    assert.equal(activeParamCount(qwen30b), 48 * (18_874_368 + 8 * 4_718_592 + 262_144 + 4_096) + emb); // 3,353,020,416
  });

  it('gpt-oss-120b: 116.8e9 total (OpenAI: 116.83B; biases and sinks are not counted)', () => {
    // experts 36 × 128 × 3 × 2880 × 2880 = 114,661,785,600; attention 36 × (2880 × (4096 + 2 × 512) + 4096 × 2880)
    // = 955,514,880; embeddings 2 × 201088 × 2880 = 1,158,266,880; router 36 × 2880 × 128; norms.
    assert.ok(Math.abs(paramCount(gptOss) - 116.83e9) < 0.1e9, String(paramCount(gptOss)));
    // OpenAI's 5.13B active leaves out the input embedding (201088 × 2880 = 579,133,440); phasewise counts it.
    assert.ok(Math.abs(activeParamCount(gptOss) - 579_133_440 - 5.13e9) < 0.01e9, String(activeParamCount(gptOss)));
  });

  it('published totals of other families within 1.5%', () => {
    const published: [string, number, number][] = [
      // id, total, active (publisher's model card)
      ['meta-llama/Llama-4-Maverick-17B-128E-Instruct', 400e9, 17e9],
      ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 109e9, 17e9],
      ['Qwen/Qwen3.5-397B-A17B', 397e9, 17e9],
      ['Qwen/Qwen3-235B-A22B', 235e9, 22e9],
      ['moonshotai/Kimi-K2-Instruct', 1.04e12, 32.9e9],
      ['nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16', 31.6e9, 3.6e9], // 3.6B active with embeddings
      ['nvidia/Llama-3_3-Nemotron-Super-49B-v1', 49.9e9, 49.9e9],
      ['google/gemma-4-26B-A4B', 25.2e9, 3.8e9],
      ['XiaomiMiMo/MiMo-V2-Flash', 309e9, 15e9],
    ];
    for (const [id, total, active] of published) {
      const a = load(id);
      assert.ok(Math.abs(paramCount(a) / total - 1) < 0.015, `${id}: ${paramCount(a)} vs ${total}`);
      assert.ok(Math.abs(activeParamCount(a) / active - 1) < 0.04, `${id}: ${activeParamCount(a)} vs ${active}`);
    }
  });
});

describe('KV cache', () => {
  it('Llama-3.1-70B at bf16: 80 × 2 × 8 × 128 × 2 = 327,680 bytes/token', () => {
    assert.equal(kvBytesPerToken(llama70b, 'bf16'), 80 * 2 * 8 * 128 * 2);
    assert.equal(kvBytesPerToken(llama70b, 'fp8'), 163_840);
    assert.equal(kvBytesForContext(llama70b, 'bf16', 8192), 327_680 * 8192); // no sliding layers: linear in context
  });

  it('Llama-3.1-8B at bf16: 32 × 2 × 8 × 128 × 2 = 131,072 bytes/token', () => {
    assert.equal(kvBytesPerToken(llama8b, 'bf16'), 131_072);
  });

  it('DeepSeek-V3 MLA at bf16: 61 × (512 + 64) × 2 = 70,272 bytes/token', () => {
    assert.equal(kvBytesPerToken(dsv3, 'bf16'), 70_272);
  });

  it('DeepSeek-V3.2 adds the indexer key: 61 × (512 + 64 + 128) × 2 = 85,888 bytes/token', () => {
    assert.equal(kvBytesPerToken(load('deepseek-ai/DeepSeek-V3.2'), 'bf16'), 85_888);
  });

  it('gpt-oss-120b: 18 full layers grow, 18 sliding layers stop at 128 tokens', () => {
    // per layer 2 × 8 KV heads × 64 × 2 bytes = 2,048; × 18 = 36,864 for each kind.
    assert.equal(kvBytesPerToken(gptOss, 'bf16'), 36_864);
    assert.equal(slidingKvBytesPerToken(gptOss, 'bf16'), 36_864);
    // 100k tokens: 36,864 × 100,000 + 36,864 × 128 = 3,691,118,592.
    assert.equal(kvBytesForContext(gptOss, 'bf16', 100_000), 36_864 * 100_000 + 36_864 * 128);
    assert.equal(kvBytesForContext(gptOss, 'bf16', 100), 2 * 36_864 * 100); // below the window both grow
  });

  it('Qwen3.5-35B-A3B: 10 full layers hold KV; 30 DeltaNet layers hold a fixed state', () => {
    const a = load('Qwen/Qwen3.5-35B-A3B');
    // full layers: 10 × 2 KV heads × (256 + 256) × 2 bytes = 20,480.
    assert.equal(kvBytesPerToken(a, 'bf16'), 20_480);
    // per DeltaNet layer: fp32 state 32 heads × 128 × 128 × 4 = 2,097,152, conv tail 3 × (2 × 2048 + 4096) × 2 = 49,152.
    assert.equal(linearStateBytesPerSequence(a, 'bf16'), 30 * (2_097_152 + 49_152));
  });

  it('Gemma 4 26B: full layers 2 KV heads × 512, sliding layers 8 KV heads × 256 capped at 1024 tokens', () => {
    const a = load('google/gemma-4-26B-A4B');
    assert.equal(kvBytesPerToken(a, 'bf16'), 5 * 2 * (512 + 512) * 2);
    assert.equal(slidingKvBytesPerToken(a, 'bf16'), 25 * 8 * (256 + 256) * 2);
  });

  it('Nemotron-3 Nano: only its 6 attention blocks hold KV: 6 × 2 × 2 × 128 × 2 = 6,144', () => {
    assert.equal(kvBytesPerToken(load('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16'), 'bf16'), 6_144);
  });
});

describe('weight bytes', () => {
  it('Llama-3.1-70B: 2 bytes per param at bf16', () => {
    assert.equal(weightBytes(llama70b, { weight: 'bf16' }).total, 2 * paramCount(llama70b));
  });

  it('fp4 adds the NVFP4 block scale (1 fp8 per 16 elements) and keeps embeddings and norms in bf16', () => {
    const w = weightBytes(llama70b, { weight: 'fp4' });
    // FFN: 80 × 704,643,072 × (0.5 + 1/16) = 31,708,938,240.
    assert.equal(w.denseFfn, 80 * 704_643_072 * (0.5 + 1 / 16));
    // attention: 80 × 150,994,944 × 0.5625 + 80 × 16,384 norm weights × 2.
    assert.equal(w.attention, 80 * 150_994_944 * 0.5625 + 80 * 16_384 * 2);
    assert.equal(w.embeddings, (2 * 128_256 * 8192 + 8192) * 2);
  });

  it('gpt-oss-120b as shipped: mxfp4 experts (0.5 + 1/32 bytes), bf16 rest ≈ 65.2 GB', () => {
    const w = weightBytes(gptOss);
    // 36 × 128 × 3 × 2880 × 2880 = 114,661,785,600 expert params × 0.53125.
    assert.equal(w.experts, 114_661_785_600 * (0.5 + 1 / 32));
    assert.ok(Math.abs(w.total - 65.2e9) < 0.1e9, String(w.total)); // the published checkpoint is 65.3 GB
  });

  it('parts left out keep the checkpoint precision only when weight is the checkpoint\'s own', () => {
    const a = load('nvidia/DeepSeek-V3.1-NVFP4'); // fp4 FFN/experts, bf16 attention (see parse tests)
    const p = paramBreakdown(a);
    const asShipped = weightBytes(a, { weight: 'fp4' });
    const allFp8 = weightBytes(a, { weight: 'fp8' });
    // Attention matrices at 2 bytes as shipped, at 1 byte when everything is fp8; vectors stay bf16 either way.
    assert.ok(asShipped.attention > 1.9 * allFp8.attention && asShipped.attention < 2 * allFp8.attention + 1);
    assert.equal(allFp8.experts, p.experts);
    assert.equal(asShipped.experts, p.experts * (0.5 + 1 / 16));
  });

  it('per-layer bytes add up to the total minus embeddings', () => {
    for (const a of [dsv3, gptOss, load('Qwen/Qwen3.5-397B-A17B'), load('nvidia/Llama-3_3-Nemotron-Super-49B-v1')]) {
      const layers = weightBytesPerLayer(a);
      assert.equal(layers.length, a.numLayers);
      const sum = layers.reduce((s, l) => s + l.total, 0);
      const w = weightBytes(a);
      assert.ok(Math.abs(sum - (w.total - w.embeddings)) < 1, a.id);
    }
    // DeepSeek-V3: first 3 layers dense, the rest MoE.
    const ds = weightBytesPerLayer(dsv3);
    assert.equal(ds[0]?.ffn, 'dense');
    assert.equal(ds[3]?.ffn, 'moe');
    assert.equal(ds[0]?.experts, 0);
  });
});

describe('FLOPs', () => {
  it('Llama-3.1-70B per token at 4096 context', () => {
    const f = flopsPerToken(llama70b, 4096);
    // linear: 2 × 80 × (150,994,944 + 704,643,072) = 136,902,082,560
    assert.equal(f.linear, 2 * 80 * (150_994_944 + 704_643_072));
    // attention: 80 layers × 2 × 64 heads × (128 + 128) × 4096 = 10,737,418,240
    assert.equal(f.attention, 80 * 2 * 64 * 256 * 4096);
    // LM head: 2 × 8192 × 128256
    assert.equal(f.lmHead, 2 * 8192 * 128_256);
    assert.equal(f.total, f.linear + f.attention + f.lmHead);
  });

  it('MoE linear FLOPs count only the active experts (2 × active matrix params)', () => {
    // Mixtral: 2 × 32 × (41,943,040 + 2 × 176,160,768 + 32,768) = 25,234,702,336
    assert.equal(flopsPerToken(mixtral, 1).linear, 2 * 32 * (41_943_040 + 2 * 176_160_768 + 32_768));
  });

  it('DeepSeek-V3.2 sparse attention reads at most 2048 tokens while its indexer scores all of them', () => {
    const f = flopsPerToken(load('deepseek-ai/DeepSeek-V3.2'), 100_000);
    // per layer: 2 × 128 × (128 + 64 + 128) × 2048 + 2 × 64 × 128 × 100,000; × 61
    assert.equal(f.attention, 61 * (2 * 128 * 320 * 2048 + 2 * 64 * 128 * 100_000));
    // absorbed MLA (decode kernels): 2 × 128 × (2 × 512 + 64) per attended token
    const abs = flopsPerToken(load('deepseek-ai/DeepSeek-V3.2'), 100_000, { mlaAbsorbed: true });
    assert.equal(abs.attention, 61 * (2 * 128 * 1088 * 2048 + 2 * 64 * 128 * 100_000));
  });

  it('prefill = Σ of per-token FLOPs (sliding and top-k caps included)', () => {
    for (const a of [llama8b, gptOss, load('deepseek-ai/DeepSeek-V3.2'), load('Qwen/Qwen3.5-35B-A3B')]) {
      for (const [prompt, cached] of [[300, 0], [200, 1950], [1, 5000]] as const) {
        let attention = 0;
        let linear = 0;
        for (let i = 1; i <= prompt; i++) {
          const f = flopsPerToken(a, cached + i);
          attention += f.attention;
          linear += f.linear;
        }
        const p = prefillFlops(a, prompt, cached, { allLogits: true });
        assert.ok(Math.abs(p.attention - attention) <= 1e-9 * attention, `${a.id} ${prompt}@${cached}`);
        assert.equal(p.linear, linear);
        assert.equal(p.lmHead, prompt * flopsPerToken(a, 1).lmHead);
      }
    }
    // By default only the last position's logits are computed.
    assert.equal(prefillFlops(llama8b, 100).lmHead, flopsPerToken(llama8b, 1).lmHead);
  });

  it('sumCappedContext: Σ min(start + i, cap)', () => {
    assert.equal(sumCappedContext(0, 4, Infinity), 1 + 2 + 3 + 4);
    assert.equal(sumCappedContext(0, 6, 3), 1 + 2 + 3 + 3 + 3 + 3);
    assert.equal(sumCappedContext(2, 3, 4), 3 + 4 + 4);
    assert.equal(sumCappedContext(10, 3, 4), 12);
    assert.equal(sumCappedContext(5, 0, 4), 0);
  });
});

describe('modelSummary', () => {
  it('reports the figures `show model` prints, at the checkpoint precision by default', () => {
    const s = modelSummary(gptOss);
    assert.equal(s.params, paramCount(gptOss));
    assert.equal(s.activeParams, activeParamCount(gptOss));
    assert.equal(s.kvBytesPerToken, 36_864);
    assert.equal(s.weightBytes.total, weightBytes(gptOss).total);
    assert.equal(s.expertWeightDtype, 'fp4');
    assert.equal(s.layers.slidingWindow, 18);
    const fp8 = modelSummary(llama70b, { weight: 'fp8', kv: 'fp8' });
    assert.equal(fp8.kvBytesPerToken, 163_840);
    assert.equal(fp8.weightBytes.denseFfn, 80 * 704_643_072);
  });
});

describe('DeepSeek-V4 compressed attention (hand arithmetic from the config)', () => {
  const v4 = load('deepseek-ai/DeepSeek-V4-Flash');
  // 43 layers: 2 window-only, 21 CSA (ratio 4, indexer keys of 128), 20 HCA (ratio 128); latent 448 + 64 = 512.

  it('KV: compressed entries grow with the context, every layer keeps a 128-token window', () => {
    // fp8: 21 · (512 + 128) / 4 + 20 · 512 / 128 = 3,360 + 80 bytes per context token.
    assert.equal(kvBytesPerToken(v4, 'fp8'), 3440);
    // The window: 43 layers · 512 bytes per token, held for at most 128 tokens.
    assert.equal(slidingKvBytesPerToken(v4, 'fp8'), 43 * 512);
    assert.equal(kvBytesForContext(v4, 'fp8', 8192), 3440 * 8192 + 43 * 512 * 128);
    // DeepSeek-V3 caches 61 · 576 bytes per token: V4-Flash holds ≈ 1/9 of it at 8k tokens.
    assert.ok(kvBytesForContext(v4, 'fp8', 8192) < kvBytesForContext(dsv3, 'fp8', 8192) / 8);
  });

  it('attention FLOPs per token: the window, the compressed entries (top-512 on CSA) and the CSA indexer', () => {
    // Per attended entry 2 · 64 heads · (512 scores + 512 values) = 131,072 FLOPs. At 8,192 tokens of context:
    // window layers 2 · 128; CSA 21 · (128 + min(2,048, 512)); HCA 20 · (128 + 64) entries. The indexer scores
    // every CSA entry: 2 · 64 · 128 FLOPs per entry, 2,048 entries, 21 layers.
    const entries = 2 * 128 + 21 * (128 + 512) + 20 * (128 + 64);
    const expected = 131072 * entries + 2 * 64 * 128 * 2048 * 21;
    const f = flopsPerToken(v4, 8192);
    assert.ok(Math.abs(f.attention / expected - 1) < 1e-12, `${f.attention} vs ${expected}`);
    // A prefill sums the same per-token figure over its positions.
    const direct = Array.from({ length: 300 }, (_, i) => flopsPerToken(v4, 1000 + i + 1).attention).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(prefillFlops(v4, 300, 1000).attention / direct - 1) < 1e-9);
  });
});
