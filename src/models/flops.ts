import { gqaShape, layerPlan, slidingWindowTokens } from './layer-plan.js';
import { layerParams } from './params.js';
import type { LayerSpec, ModelArch } from './types.js';

/** FLOPs (2 per multiply-add) by where they go. */
export interface FlopsBreakdown {
  /** Every weight matmul of the layers a token passes through (active experts only). */
  readonly linear: number;
  /** Attention scores and weighted values (grows with context), indexer scoring, linear-attention state updates. */
  readonly attention: number;
  readonly lmHead: number;
  readonly total: number;
}

export interface FlopsOptions {
  /**
   * MLA in absorbed form (what decode kernels run: scores and values against the 512-wide latent,
   * 2·heads·(2·kv_lora + rope) per context token) instead of the expanded form prefill uses
   * (2·heads·(qk_nope + qk_rope + v_head)). Default false.
   */
  readonly mlaAbsorbed?: boolean;
}

/** Per-layer attention FLOPs as a · (tokens attended) + b, with the attended count capped at `cap`. */
export interface AttnCost {
  readonly perContextToken: number;
  readonly cap: number;
  /** Indexer scoring: per context token, never capped. */
  readonly indexerPerContextToken: number;
  /** Context-independent FLOPs per token (linear-attention state updates). */
  readonly fixed: number;
  /**
   * DeepSeek-V4 compressed layers: besides the window (`perContextToken` up to `cap`), one entry per `ratio`
   * context tokens at `perEntry` FLOPs each, at most `entryCap` of them (the indexer's top-k on sparse layers).
   */
  readonly compressed?: { readonly perEntry: number; readonly ratio: number; readonly entryCap: number };
}

export function attnCost(arch: ModelArch, layer: LayerSpec, opts: FlopsOptions): AttnCost {
  const a = arch.attention;
  const none = { perContextToken: 0, cap: Number.POSITIVE_INFINITY, indexerPerContextToken: 0, fixed: 0 };
  if (layer.mixer === 'none') return none;
  if (layer.mixer === 'linear' && arch.linearAttention) {
    // Recurrent update ≈ three state-sized multiply-adds per token (decay+update, delta read, output read).
    const l = arch.linearAttention;
    const state =
      l.kind === 'gated-deltanet' ? l.numValueHeads * l.keyHeadDim * l.valueHeadDim
      : l.kind === 'mamba2' ? l.numHeads * l.headDim * l.stateSize
      : l.numHeads * l.headDim * l.headDim;
    return { ...none, fixed: 6 * state };
  }
  const sparse = layer.sparse === true && a.indexer !== undefined;
  const ownIndexer = sparse && layer.sharedIndexer !== true && a.indexer !== undefined;
  const indexerPerContextToken = ownIndexer && a.indexer ? 2 * a.indexer.numHeads * a.indexer.headDim : 0;
  let cap = layer.mixer === 'sliding' ? slidingWindowTokens(arch) : Number.POSITIVE_INFINITY;
  if (sparse && a.indexer) cap = Math.min(cap, a.indexer.topKTokens);
  let perContextToken: number;
  if (a.kind === 'mla') {
    // DeepSeek-V4's heads score and sum the latent itself: the expanded shape is what its kernels run.
    perContextToken = opts.mlaAbsorbed && !a.sharedLatentKv
      ? 2 * a.numHeads * (2 * a.kvLoraRank + a.qkRopeHeadDim)
      : 2 * a.numHeads * (a.qkNopeHeadDim + a.qkRopeHeadDim + a.vHeadDim);
  } else {
    const s = gqaShape(arch, layer.mixer === 'linear' ? { ...layer, mixer: 'full' } : layer);
    perContextToken = s ? 2 * s.numHeads * (s.headDim + s.vHeadDim) : 0;
  }
  const r = layer.kvCompression;
  if (r !== undefined) {
    const entryCap = sparse && a.indexer ? a.indexer.topKTokens : Number.POSITIVE_INFINITY;
    const window = slidingWindowTokens(arch);
    return { perContextToken, cap: window, indexerPerContextToken: indexerPerContextToken / r, fixed: 0, compressed: { perEntry: perContextToken, ratio: r, entryCap } };
  }
  return { perContextToken, cap, indexerPerContextToken, fixed: 0 };
}

/** Linear-layer FLOPs per token (2 × active matrix params) and LM head FLOPs per token. */
export function matmulFlopsPerToken(arch: ModelArch): { linear: number; lmHead: number } {
  let mats = 0;
  for (const layer of layerPlan(arch)) {
    const p = layerParams(arch, layer);
    mats += p.attentionMatrix + p.denseFfn + p.activeExperts + p.sharedExperts + p.router;
  }
  return { linear: 2 * mats, lmHead: 2 * arch.hiddenSize * arch.vocabSize };
}

/**
 * FLOPs of one token that attends to `contextTokens` tokens (the cached ones plus itself): decode at
 * context c is flopsPerToken(arch, c + 1). Sliding layers attend to at most their window, DSA layers to at
 * most index_topk tokens (while their indexer scores all of them).
 */
export function flopsPerToken(arch: ModelArch, contextTokens: number, opts: FlopsOptions = {}): FlopsBreakdown {
  const { linear, lmHead } = matmulFlopsPerToken(arch);
  let attention = 0;
  for (const layer of layerPlan(arch)) {
    const c = attnCost(arch, layer, opts);
    attention += c.perContextToken * Math.min(contextTokens, c.cap) + c.indexerPerContextToken * contextTokens + c.fixed;
    if (c.compressed) attention += c.compressed.perEntry * Math.min(contextTokens / c.compressed.ratio, c.compressed.entryCap);
  }
  return { linear, attention, lmHead, total: linear + attention + lmHead };
}

/** Σ_{i=1..n} min(start + i, cap): the attended-token count summed over a prefill. */
export function sumCappedContext(startTokens: number, n: number, cap: number): number {
  if (n <= 0) return 0;
  if (startTokens >= cap) return n * cap;
  const k = Math.min(n, cap - startTokens); // tokens that are still under the cap
  const capped = n - k; // (0 × Infinity would be NaN)
  return k * startTokens + (k * (k + 1)) / 2 + (capped > 0 ? capped * cap : 0);
}

/**
 * FLOPs of prefilling `promptTokens` after `cachedTokens` already in the cache: Σ over the new tokens of
 * flopsPerToken at their context, in closed form. Logits are computed for the last token only, as serving
 * engines do (`allLogits` for every position, as a training-style forward would).
 */
export function prefillFlops(
  arch: ModelArch,
  promptTokens: number,
  cachedTokens = 0,
  opts: FlopsOptions & { readonly allLogits?: boolean } = {},
): FlopsBreakdown {
  const { linear, lmHead } = matmulFlopsPerToken(arch);
  let attention = 0;
  for (const layer of layerPlan(arch)) {
    const c = attnCost(arch, layer, opts);
    attention += c.perContextToken * sumCappedContext(cachedTokens, promptTokens, c.cap);
    attention += c.indexerPerContextToken * sumCappedContext(cachedTokens, promptTokens, Number.POSITIVE_INFINITY);
    attention += c.fixed * promptTokens;
    // Σ min((start + i)/ratio, entryCap) = Σ min(start + i, entryCap·ratio) / ratio.
    if (c.compressed) attention += (c.compressed.perEntry * sumCappedContext(cachedTokens, promptTokens, c.compressed.entryCap * c.compressed.ratio)) / c.compressed.ratio;
  }
  const head = promptTokens > 0 ? lmHead * (opts.allLogits ? promptTokens : 1) : 0;
  const lin = linear * promptTokens;
  return { linear: lin, attention, lmHead: head, total: lin + attention + head };
}
