import type { Dtype } from '../core/units.js';
import type { ConfigReader } from './config-reader.js';
import { detectPrecision } from './quant.js';
import type { AttentionSpec, FfnKind, LayerSpec, LinearAttentionSpec, MixerKind, ModelArch, MoeSpec } from './types.js';

/** What every family parser gets: the file's root, the language-model part of it, and what they share. */
export interface ParseContext {
  readonly id: string;
  readonly root: ConfigReader;
  /** `text_config` for vision-language configs, else the root. */
  readonly text: ConfigReader;
  readonly modelType: string;
  readonly architecture: string;
  /** Unquantized weight precision (torch_dtype / dtype), bf16 when the config names none. */
  readonly baseDtype: Dtype;
  readonly hfQuantConfig: unknown;
}

/** Fields every family parser produces; `assemble` adds precision and the derived counts. */
export interface ParsedStack {
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly tieEmbeddings: boolean;
  readonly attention: AttentionSpec;
  readonly moe: MoeSpec | null;
  readonly maxContextTokens: number;
  readonly layers: readonly LayerSpec[];
  readonly linearAttention?: LinearAttentionSpec;
  readonly gatedFfn?: boolean;
  readonly numMtpLayers?: number;
  readonly residualStreams?: number;
}

/** Read fields that mean the same across families. */
export function readMaxContextTokens(ctx: ParseContext): number {
  const fields = ['max_position_embeddings', 'max_sequence_length', 'seq_length', 'n_positions'];
  const n = ctx.text.firstPosInt(fields) ?? ctx.root.firstPosInt(fields);
  return n ?? ctx.text.posInt('max_position_embeddings');
}

export function readTieEmbeddings(ctx: ParseContext, fallback: boolean): boolean {
  return ctx.text.optBool('tie_word_embeddings') ?? ctx.root.optBool('tie_word_embeddings') ?? fallback;
}

export function readNumMtpLayers(ctx: ParseContext): number | undefined {
  const n = ctx.text.firstNonNegInt(['num_nextn_predict_layers', 'mtp_num_hidden_layers', 'num_mtp_modules']);
  return n !== undefined && n > 0 ? n : undefined;
}

/** head_dim, else attention_head_dim, else hidden / heads (which must divide). */
export function readHeadDim(r: ConfigReader, hiddenSize: number, numHeads: number): number {
  const explicit = r.firstPosInt(['head_dim', 'attention_head_dim']);
  if (explicit !== undefined) return explicit;
  if (hiddenSize % numHeads !== 0) {
    r.fail('head_dim', undefined, 'a positive integer', `It is needed because hidden_size (${hiddenSize}) is not a multiple of num_attention_heads (${numHeads}).`);
  }
  return hiddenSize / numHeads;
}

function isUniform(layers: readonly LayerSpec[]): boolean {
  const first = layers[0];
  if (!first) return true;
  return layers.every(
    (l) =>
      l.mixer === 'full' &&
      l.ffn === first.ffn &&
      l.intermediateSize === undefined &&
      l.numKvHeads === undefined &&
      l.sparse === first.sparse &&
      l.sharedIndexer === undefined &&
      l.kvCompression === undefined,
  );
}

function count<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  let n = 0;
  for (const x of xs) if (pred(x)) n++;
  return n;
}

/** Precision, KV dtype and the per-layer summary counts, then the finished ModelArch. */
export function assemble(ctx: ParseContext, s: ParsedStack): ModelArch {
  const prec = detectPrecision(ctx.root, ctx.text, ctx.baseDtype, ctx.hfQuantConfig);
  const hasDenseFfn = s.layers.some((l) => l.ffn === 'dense');
  const hasShared = s.moe !== null && s.moe.numSharedExperts > 0 && s.moe.sharedIntermediateSize > 0;
  const hasMixer = s.layers.some((l) => l.mixer !== 'none');
  // weightDtype names the non-expert matrices: the FFN side when there is a dense one, else the attention side.
  const weightDtype = hasDenseFfn || hasShared || !hasMixer ? prec.ffn : prec.attention;
  const uses4Bit = [prec.attention, prec.ffn, ...(s.moe ? [prec.experts] : [])].some((d) => d === 'fp4' || d === 'int4');
  const kvDtype: Dtype = prec.kv ?? (ctx.baseDtype === 'fp16' || ctx.baseDtype === 'fp32' ? ctx.baseDtype : 'bf16');
  return {
    id: ctx.id,
    architecture: ctx.architecture,
    numLayers: s.numLayers,
    hiddenSize: s.hiddenSize,
    intermediateSize: s.intermediateSize,
    vocabSize: s.vocabSize,
    tieEmbeddings: s.tieEmbeddings,
    attention: s.attention,
    numLinearAttentionLayers: count(s.layers, (l) => l.mixer === 'linear'),
    moe: s.moe,
    maxContextTokens: s.maxContextTokens,
    weightDtype,
    kvDtype,
    modelType: ctx.modelType,
    ...(isUniform(s.layers) ? {} : { layers: s.layers }),
    ...(s.linearAttention ? { linearAttention: s.linearAttention } : {}),
    ...(s.gatedFfn === false ? { gatedFfn: false } : {}),
    ...(s.moe && prec.experts !== weightDtype ? { expertWeightDtype: prec.experts } : {}),
    ...(hasMixer && prec.attention !== weightDtype ? { attentionWeightDtype: prec.attention } : {}),
    ...(uses4Bit && prec.scaleBytesPerElement !== undefined ? { quantScaleBytesPerElement: prec.scaleBytesPerElement } : {}),
    ...(s.numMtpLayers !== undefined ? { numMtpLayers: s.numMtpLayers } : {}),
    ...(s.residualStreams !== undefined ? { residualStreams: s.residualStreams } : {}),
  };
}

/** Counts for the AttentionSpec's summary fields. */
export function slidingCount(mixers: readonly MixerKind[]): number {
  return count(mixers, (m) => m === 'sliding');
}

/** MoeSpec.numDenseLayers from the per-layer FFN kinds. */
export function denseLayerCount(ffns: readonly FfnKind[]): number {
  return count(ffns, (f) => f === 'dense');
}
