import { layerPlan } from '../models/layer-plan.js';
import type { ModelArch } from '../models/types.js';

/**
 * A model cut along attention–FFN disaggregation: the attention side (token mixers, norms, embedding and LM
 * head: what the attention instances hold and run) and the FFN side (dense FFN or experts of every layer, no
 * embeddings). `withoutLayers` keeps only what a step pays once (embedding, LM head, step overheads), so a
 * model's per-layer cost is (cost(model) − cost(withoutLayers(model))) / layers.
 */
export function attentionPart(arch: ModelArch): ModelArch {
  return { ...arch, id: `${arch.id} (attention)`, layers: layerPlan(arch).map((l) => ({ ...l, ffn: 'none' as const })) };
}

export function ffnPart(arch: ModelArch): ModelArch {
  return {
    ...arch,
    id: `${arch.id} (FFN)`,
    vocabSize: 0,
    tieEmbeddings: true,
    numLinearAttentionLayers: 0,
    layers: layerPlan(arch).map((l) => ({ ...l, mixer: 'none' as const, sparse: false })),
  };
}

export function withoutLayers(arch: ModelArch): ModelArch {
  return { ...arch, id: `${arch.id} (no layers)`, numLayers: 0, numLinearAttentionLayers: 0, layers: [] };
}
