import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isUsageError, UsageError } from '../core/errors.js';
import { parseConfigText } from './config-text.js';
import { modelSummary } from './figures.js';
import { parseHfConfig } from './parse-config.js';
import { nasIntermediateSize } from './parse-nemotron.js';
import type { ModelArch } from './types.js';

// From dist/src/models/: ../../../ is the project root, ../../../../ the folder holding shared/.
const PROJECT_MODELS = new URL('../../../data/models/', import.meta.url);
const SHARED_MODELS = new URL('../../../../shared/data/models/', import.meta.url);

function configIds(dir: URL): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('_config.json') && !f.endsWith('_hf_quant_config.json'))
    .map((f) => f.slice(0, -'_config.json'.length).replace('--', '/'))
    .sort();
}

function readJson(dir: URL, id: string, suffix: string): unknown {
  const file = new URL(`${id.replace('/', '--')}${suffix}`, dir);
  return existsSync(file) ? parseConfigText(readFileSync(file, 'utf8'), id) : undefined;
}

function load(id: string, dir = PROJECT_MODELS): ModelArch {
  return parseHfConfig(readJson(dir, id, '_config.json'), id, readJson(dir, id, '_hf_quant_config.json'));
}

/** Run `f` and return the UsageError it throws; fail on any other outcome. */
function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    if (isUsageError(e)) return e;
    throw e;
  }
  assert.fail('expected a UsageError');
}

const LLAMA_70B = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 8192,
  intermediate_size: 28672,
  max_position_embeddings: 131072,
  num_attention_heads: 64,
  num_hidden_layers: 80,
  num_key_value_heads: 8,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};

describe('parseHfConfig on the shipped configs', () => {
  for (const [name, dir] of [
    ['data/models', PROJECT_MODELS],
    ['../shared/data/models', SHARED_MODELS],
  ] as const) {
    it(`every config in ${name} parses or gives a UsageError, and parsed ones give finite figures`, (t) => {
      if (!existsSync(dir)) return t.skip(`${name} not present`);
      const ids = configIds(dir);
      assert.ok(ids.length >= 96, `found ${ids.length} configs`);
      const refused: string[] = [];
      for (const id of ids) {
        try {
          const arch = load(id, dir);
          const s = modelSummary(arch);
          for (const v of [s.params, s.activeParams, s.kvBytesPerToken, s.weightBytes.total, s.matmulFlopsPerToken]) {
            assert.ok(Number.isFinite(v) && v >= 0, `${id}: ${v}`);
          }
          assert.ok(s.activeParams <= s.params, id);
        } catch (e) {
          if (!isUsageError(e)) throw new Error(`${id}: not a UsageError: ${String(e)}`);
          refused.push(id);
        }
      }
      assert.deepEqual(refused, []);
    });
  }
});

describe('parseHfConfig reads the architecture', () => {
  it('DeepSeek-V4-Flash: window, compressed sparse (CSA) and heavily compressed (HCA) layers over one shared latent', () => {
    const a = load('deepseek-ai/DeepSeek-V4-Flash');
    assert.equal(a.numLayers, 43);
    assert.deepEqual(a.attention, {
      kind: 'mla', numHeads: 64, qLoraRank: 1024, kvLoraRank: 448, qkNopeHeadDim: 448, qkRopeHeadDim: 64, vHeadDim: 512,
      sharedLatentKv: true, slidingWindowTokens: 128, oLora: { rank: 1024, groups: 8 },
      indexer: { numHeads: 64, headDim: 128, topKTokens: 512 },
    });
    const layers = a.layers ?? [];
    // compress_ratios [0, 0, 4, 128, 4, 128, …]: two window-only layers, then CSA and HCA alternating.
    assert.deepEqual(layers.slice(0, 4), [
      { mixer: 'sliding', ffn: 'moe' },
      { mixer: 'sliding', ffn: 'moe' },
      { mixer: 'full', ffn: 'moe', sparse: true, kvCompression: 4 },
      { mixer: 'full', ffn: 'moe', kvCompression: 128 },
    ]);
    assert.equal(layers.filter((l) => l.kvCompression === 4).length, 21);
    assert.equal(layers.filter((l) => l.kvCompression === 128).length, 20);
    assert.equal(a.residualStreams, 4);
    assert.equal(a.weightDtype, 'fp8');
    assert.equal(a.expertWeightDtype, 'fp4', 'expert_dtype: fp4');
    const s = modelSummary(a);
    // Per layer: q_a 4096·1024 + q_b 1024·64·512 + kv 4096·512 + grouped o 64·512·1024 + 8·1024·4096 (+ compressor,
    // indexer, norms); 256 experts of 3·4096·2048 in all 43 layers: ≈ 284 B in all, ≈ 13.7 B active.
    assert.ok(Math.abs(s.params / 284.2e9 - 1) < 0.005, `${s.params}`);
    assert.ok(Math.abs(s.activeParams / 13.7e9 - 1) < 0.01, `${s.activeParams}`);
  });

  it('Llama-3.1-70B: dense GQA', () => {
    const a = load('meta-llama/Llama-3.1-70B');
    assert.equal(a.numLayers, 80);
    assert.deepEqual(a.attention, { kind: 'gqa', numHeads: 64, numKvHeads: 8, headDim: 128, slidingWindowTokens: null, numSlidingLayers: 0 });
    assert.equal(a.moe, null);
    assert.equal(a.weightDtype, 'bf16');
    assert.equal(a.kvDtype, 'bf16');
    assert.equal(a.layers, undefined); // uniform stack: the counts say it all
  });

  it('head_dim defaults to hidden / heads (8192 / 64 = 128)', () => {
    const a = parseHfConfig(LLAMA_70B, 'test/llama');
    assert.equal(a.attention.kind === 'gqa' && a.attention.headDim, 128);
  });

  it('DeepSeek-V3: MLA, 256 routed + 1 shared expert, 3 dense layers, fp8 weights', () => {
    const a = load('deepseek-ai/DeepSeek-V3');
    assert.deepEqual(a.attention, {
      kind: 'mla', numHeads: 128, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128,
    });
    assert.deepEqual(a.moe, {
      numExperts: 256, topK: 8, expertIntermediateSize: 2048, numSharedExperts: 1, sharedIntermediateSize: 2048, numDenseLayers: 3,
    });
    assert.equal(a.weightDtype, 'fp8');
    assert.equal(a.numMtpLayers, 1);
  });

  it('Kimi-K2 and Kimi-K2.5 (text_config) read as DeepSeek-V3 architecture with 384 experts', () => {
    for (const id of ['moonshotai/Kimi-K2-Instruct', 'moonshotai/Kimi-K2.5']) {
      const a = load(id);
      assert.equal(a.attention.kind, 'mla', id);
      assert.equal(a.moe?.numExperts, 384, id);
      assert.equal(a.moe?.numDenseLayers, 1, id);
    }
    // K2.5 ships int4 (compressed-tensors, group 32) experts; attention and shared experts stay bf16.
    const k25 = load('moonshotai/Kimi-K2.5');
    assert.equal(k25.weightDtype, 'bf16');
    assert.equal(k25.expertWeightDtype, 'int4');
  });

  it('DeepSeek-V3.2 and GLM-5: MLA with the DSA indexer on every layer', () => {
    const v32 = load('deepseek-ai/DeepSeek-V3.2');
    assert.deepEqual(v32.attention.kind === 'mla' && v32.attention.indexer, { numHeads: 64, headDim: 128, topKTokens: 2048 });
    assert.ok(v32.layers?.every((l) => l.sparse === true));
    // GLM-5.2 shares one indexer across groups of layers: 21 own an indexer, 57 reuse one.
    const glm52 = load('zai-org/GLM-5.2');
    assert.equal(glm52.layers?.filter((l) => l.sparse && !l.sharedIndexer).length, 21);
  });

  it('Qwen3-MoE and Mixtral: all layers MoE, no shared expert', () => {
    const q = load('Qwen/Qwen3-30B-A3B');
    assert.deepEqual(q.moe, { numExperts: 128, topK: 8, expertIntermediateSize: 768, numSharedExperts: 0, sharedIntermediateSize: 0, numDenseLayers: 0 });
    const m = load('mistralai/Mixtral-8x7B-v0.1');
    assert.deepEqual(m.moe, { numExperts: 8, topK: 2, expertIntermediateSize: 14336, numSharedExperts: 0, sharedIntermediateSize: 0, numDenseLayers: 0 });
  });

  it('Llama 4: text_config; Maverick interleaves MoE every 2nd layer with a shared expert; 3 of 4 layers chunked', () => {
    const mav = load('meta-llama/Llama-4-Maverick-17B-128E-Instruct');
    assert.equal(mav.moe?.numDenseLayers, 24);
    assert.equal(mav.moe?.numSharedExperts, 1);
    assert.equal(mav.moe?.sharedIntermediateSize, 8192);
    assert.equal(mav.intermediateSize, 16384); // intermediate_size_mlp of the dense layers
    assert.equal(mav.layers?.[0]?.ffn, 'dense');
    assert.equal(mav.layers?.[1]?.ffn, 'moe');
    assert.equal(mav.attention.kind === 'gqa' && mav.attention.numSlidingLayers, 36);
    assert.equal(mav.attention.kind === 'gqa' && mav.attention.slidingWindowTokens, 8192);
    const scout = load('meta-llama/Llama-4-Scout-17B-16E-Instruct');
    assert.equal(scout.moe?.numDenseLayers, 0);
  });

  it('Qwen3.5: layer_types gives 3 gated-DeltaNet layers per full-attention layer', () => {
    const a = load('Qwen/Qwen3.5-397B-A17B');
    assert.equal(a.numLayers, 60);
    assert.equal(a.numLinearAttentionLayers, 45);
    assert.deepEqual(a.linearAttention, { kind: 'gated-deltanet', numKeyHeads: 16, keyHeadDim: 128, numValueHeads: 64, valueHeadDim: 128, convKernel: 4 });
    assert.equal(a.attention.kind === 'gqa' && a.attention.outputGate, true);
    assert.equal(a.moe?.numSharedExperts, 1);
  });

  it('query/key norm: per head for the Qwen3 and Gemma families, over all heads for MiniMax-M2 per_layer', () => {
    const qk = (a: ModelArch): string | undefined => (a.attention.kind === 'gqa' ? a.attention.qkNorm : 'mla');
    assert.equal(qk(load('Qwen/Qwen3-32B')), 'per-head');
    assert.equal(qk(load('Qwen/Qwen3-235B-A22B-FP8')), 'per-head');
    assert.equal(qk(load('Qwen/Qwen3.5-397B-A17B')), 'per-head');
    assert.equal(qk(load('MiniMaxAI/MiniMax-M2.5')), 'across-heads');
    assert.equal(qk(load('MiniMaxAI/MiniMax-M3')), 'per-head');
    assert.equal(qk(load('meta-llama/Llama-3.1-70B')), undefined);
    assert.equal(qk(load('openai/gpt-oss-120b')), undefined);
    // The config flag wins over the family: use_qk_norm false turns it off, true turns it on for any family.
    assert.equal(qk(parseHfConfig({ ...LLAMA_70B, model_type: 'qwen3', use_qk_norm: false }, 'x')), undefined);
    assert.equal(qk(parseHfConfig({ ...LLAMA_70B, use_qk_norm: true }, 'x')), 'per-head');
    assert.equal(qk(parseHfConfig({ ...LLAMA_70B, use_qk_norm: true, qk_norm_type: 'per_layer' }, 'x')), 'across-heads');
  });

  it('full_attention_interval alone marks every k-th layer full (Qwen3-Next style)', () => {
    const cfg = {
      ...LLAMA_70B, model_type: 'qwen3_next', num_hidden_layers: 8, full_attention_interval: 4,
      linear_num_key_heads: 16, linear_key_head_dim: 128, linear_num_value_heads: 32, linear_value_head_dim: 128,
    };
    const a = parseHfConfig(cfg, 'test/next');
    assert.equal(a.numLinearAttentionLayers, 6);
    assert.deepEqual(a.layers?.map((l) => l.mixer), ['linear', 'linear', 'linear', 'full', 'linear', 'linear', 'linear', 'full']);
  });

  it('gpt-oss: alternating sliding layers (window 128), mxfp4 experts over bf16 attention', () => {
    const a = load('openai/gpt-oss-120b');
    assert.equal(a.attention.kind === 'gqa' && a.attention.numSlidingLayers, 18);
    assert.equal(a.attention.kind === 'gqa' && a.attention.slidingWindowTokens, 128);
    assert.equal(a.weightDtype, 'bf16');
    assert.equal(a.expertWeightDtype, 'fp4');
    assert.equal(a.quantScaleBytesPerElement, 1 / 32); // MXFP4: one E8M0 scale per 32 elements
  });

  it('Gemma 4: sliding layers have their own head shape; full layers reuse K as V', () => {
    const a = load('google/gemma-4-26B-A4B');
    assert.ok(a.attention.kind === 'gqa');
    assert.equal(a.attention.headDim, 512);
    assert.equal(a.attention.numKvHeads, 2);
    assert.equal(a.attention.kEqualsV, true);
    assert.deepEqual(a.attention.sliding, { numHeads: 16, numKvHeads: 8, headDim: 256 });
    assert.equal(a.attention.numSlidingLayers, 25);
    assert.equal(a.tieEmbeddings, true);
  });

  it('MiniMax-M2: intermediate_size is the experts\' size; every layer MoE', () => {
    const a = load('MiniMaxAI/MiniMax-M2.5');
    assert.equal(a.moe?.expertIntermediateSize, 1536);
    assert.equal(a.moe?.numExperts, 256);
    assert.equal(a.moe?.numSharedExperts, 0);
    assert.equal(a.weightDtype, 'fp8');
  });

  it('Nemotron-H: the block pattern gives Mamba-2, attention and MoE blocks', () => {
    const a = load('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16');
    // "MEMEM*EMEMEM*…": 23 M, 6 *, 23 E.
    assert.equal(a.numLayers, 52);
    assert.equal(a.numLinearAttentionLayers, 23);
    assert.equal(a.layers?.filter((l) => l.mixer === 'full').length, 6);
    assert.equal(a.layers?.filter((l) => l.ffn === 'moe').length, 23);
    assert.equal(a.gatedFfn, false);
    assert.equal(a.linearAttention?.kind, 'mamba2');
    // Nemotron-3 Ultra has no num_hidden_layers: the block list gives 108.
    assert.equal(load('nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16').numLayers, 108);
    assert.equal(load('nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16').moe?.latentSize, 2048);
  });

  it('Nemotron-NAS: per-block attention (31 no-op) and FFN widths from ffn_mult', () => {
    const a = load('nvidia/Llama-3_3-Nemotron-Super-49B-v1');
    assert.equal(a.layers?.filter((l) => l.mixer === 'none').length, 31);
    // ffn_mult 5.25: 2/3 · 5.25 · 8192 = 28672, already a multiple of 256.
    assert.equal(a.intermediateSize, 28672);
  });

  it('DeciLM ffn_mult rounds 2/3 · mult · hidden up to a multiple of 256', () => {
    assert.equal(nasIntermediateSize(0.5, 8192), 2816); // 2730.67 → 2730 → 2816
    assert.equal(nasIntermediateSize(1.3125, 8192), 7168); // exact
  });

  it('Gemma 3 sliding_window_pattern: every 6th layer global', () => {
    const a = parseHfConfig({ ...LLAMA_70B, model_type: 'gemma3_text', num_hidden_layers: 12, sliding_window: 1024, sliding_window_pattern: 6 }, 'test/g3');
    assert.equal(a.attention.kind === 'gqa' && a.attention.numSlidingLayers, 10);
    assert.equal(a.tieEmbeddings, false); // explicit in the config
  });

  it('MiniMax attn_type_list: 0 marks lightning (linear) layers', () => {
    const a = parseHfConfig({ ...LLAMA_70B, num_hidden_layers: 4, attn_type_list: [0, 0, 0, 1] }, 'test/minimax01');
    assert.equal(a.numLinearAttentionLayers, 3);
    assert.deepEqual(a.linearAttention, { kind: 'lightning', numHeads: 64, headDim: 128 });
  });

  it('NVFP4 checkpoints: the hf_quant_config side file says experts fp4, attention bf16, KV fp8', () => {
    const a = load('nvidia/DeepSeek-V3.1-NVFP4');
    assert.equal(a.weightDtype, 'fp4'); // dense FFN and shared experts are quantized
    assert.equal(a.attentionWeightDtype, 'bf16'); // q_a/q_b/kv_a/kv_b are excluded
    assert.equal(a.expertWeightDtype, undefined); // same as weightDtype
    assert.equal(a.kvDtype, 'fp8');
    assert.equal(a.quantScaleBytesPerElement, 1 / 16);
    const m = load('nvidia/MiniMax-M2.5-NVFP4');
    assert.equal(m.weightDtype, 'bf16');
    assert.equal(m.expertWeightDtype, 'fp4');
  });

  it('MIXED_PRECISION quantized_layers: each part takes its most common format', () => {
    const a = load('nvidia/Qwen3.6-27B-NVFP4');
    assert.equal(a.weightDtype, 'fp4'); // MLPs: W4A16_NVFP4
    assert.equal(a.attentionWeightDtype, 'fp8'); // attention and DeltaNet projections: FP8
  });

  it('vision-language configs are read through text_config', () => {
    const a = load('Qwen/Qwen3-VL-30B-A3B-Instruct');
    assert.equal(a.numLayers, 48);
    assert.equal(a.moe?.numExperts, 128);
    assert.equal(a.tieEmbeddings, false); // from the root
  });
});

describe('parseHfConfig refuses bad configs with a UsageError naming the field', () => {
  it('missing num_hidden_layers', () => {
    const { num_hidden_layers: _, ...cfg } = LLAMA_70B;
    const e = usageError(() => parseHfConfig(cfg, 'test/llama'));
    assert.equal(e.where, 'test/llama config.json field "num_hidden_layers"');
    assert.equal(e.value, undefined);
    assert.match(e.message, /num_hidden_layers.*got nothing; accepted: a positive integer up to 100000/);
  });

  it('a string for hidden_size', () => {
    const e = usageError(() => parseHfConfig({ ...LLAMA_70B, hidden_size: '8192' }, 'test/llama'));
    assert.equal(e.where, 'test/llama config.json field "hidden_size"');
    assert.equal(e.value, '8192');
    assert.equal(e.accepted, 'a positive integer below 2^31');
  });

  it('nested fields are named with their path', () => {
    const cfg = { architectures: ['X'], text_config: { ...LLAMA_70B, vocab_size: -1 } };
    const e = usageError(() => parseHfConfig(cfg, 'test/vl'));
    assert.equal(e.where, 'test/vl config.json field "text_config.vocab_size"');
  });

  it('not an object, an unknown dtype, an unknown quantization method, a short layer_types', () => {
    assert.equal(usageError(() => parseHfConfig([1, 2], 'test/x')).where, 'test/x config.json');
    assert.equal(usageError(() => parseHfConfig({ ...LLAMA_70B, torch_dtype: 'int7' }, 'test/x')).where, 'test/x config.json field "torch_dtype"');
    assert.equal(
      usageError(() => parseHfConfig({ ...LLAMA_70B, quantization_config: { quant_method: 'magic' } }, 'test/x')).where,
      'test/x config.json field "quantization_config.quant_method"',
    );
    assert.equal(
      usageError(() => parseHfConfig({ ...LLAMA_70B, layer_types: ['full_attention'] }, 'test/x')).where,
      'test/x config.json field "layer_types"',
    );
  });

  it('MoE with top-k above the expert count', () => {
    const e = usageError(() => parseHfConfig({ ...LLAMA_70B, num_local_experts: 4, num_experts_per_tok: 8 }, 'test/moe'));
    assert.equal(e.where, 'test/moe config.json field "num_experts_per_tok"');
  });

  it('a compress_ratios entry of 1 or a negative one is refused by name', () => {
    const v4 = readJson(PROJECT_MODELS, 'deepseek-ai/DeepSeek-V4-Flash', '_config.json') as Record<string, unknown>;
    const ratios = [...(v4['compress_ratios'] as number[])];
    ratios[5] = 1;
    const e = usageError(() => parseHfConfig({ ...v4, compress_ratios: ratios }, 'test/v4'));
    assert.equal(e.where, 'test/v4 config.json field "compress_ratios[5]"');
  });

  it('property: any mutation of a valid config parses or gives a UsageError, never another exception', () => {
    const bases = [
      'deepseek-ai/DeepSeek-V3', 'nvidia/Llama-3_3-Nemotron-Super-49B-v1', 'nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16',
      'Qwen/Qwen3.5-35B-A3B', 'openai/gpt-oss-120b', 'moonshotai/Kimi-K2.5', 'google/gemma-4-26B-A4B',
      'nvidia/Qwen3.5-397B-A17B-NVFP4', 'XiaomiMiMo/MiMo-V2-Flash', 'MiniMaxAI/MiniMax-M3',
    ].map((id) => readJson(PROJECT_MODELS, id, '_config.json') as Record<string, unknown>);
    const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: -3, max: 300 }), fc.string(), fc.boolean(),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.string()), { maxLength: 70 }), fc.double(), fc.dictionary(fc.string(), fc.integer()));
    const edit = fc.tuple(fc.nat(), fc.boolean(), value);
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        const base = bases[which] ?? {};
        const cfg: Record<string, unknown> = { ...base };
        const text = base['text_config'] !== undefined ? { ...(base['text_config'] as Record<string, unknown>) } : undefined;
        if (text) cfg['text_config'] = text;
        for (const [k, inText, v] of edits) {
          const target = inText && text ? text : cfg;
          const keys = Object.keys(target);
          target[keys[k % keys.length] ?? 'x'] = v;
        }
        try {
          const s = modelSummary(parseHfConfig(cfg, 'fuzz/x'));
          return [s.params, s.activeParams, s.kvBytesPerToken, s.weightBytes.total, s.kvBytesAtMaxContext].every(Number.isFinite);
        } catch (e) {
          return isUsageError(e);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
