/**
 * What one model step computes, as plain data that crosses to workers (structured-clone friendly), and the
 * in-process execution of it on shards. Built from the scheduler's step: for each scheduled sequence, the
 * tokens at positions [numComputedTokens, numComputedTokens + numNewTokens) of its stream, its block table,
 * and whether it samples.
 */
import type { ModelShard, SeqSlice } from './shard.js';

export interface StepSeq extends SeqSlice {
  readonly blockIds: Int32Array;
  /** Produce logits for this sequence's last token. */
  readonly sample: boolean;
  /**
   * Logits for this many trailing tokens when sampling (default 1). Speculative verification asks for
   * 1 + drafts: the target's distribution after each draft token and after the last one.
   */
  readonly logitRows?: number;
}

export interface KvImport {
  /** Index into StepInput.seqs. */
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  /** As ModelShard.exportKv lays it out. */
  readonly data: Float32Array;
}

export interface KvExportRequest {
  readonly seq: number;
  readonly from: number;
  readonly to: number;
}

export interface StepInput {
  /** Token ids of all rows, sequences back to back. */
  readonly tokens: Int32Array;
  readonly positions: Int32Array;
  readonly seqs: readonly StepSeq[];
  /** KV to write before computing (transferred from a prefill worker). */
  readonly kvImports?: readonly KvImport[];
  /** KV to read after computing (to hand to a decode worker). */
  readonly kvExports?: readonly KvExportRequest[];
  /** Split into this many micro-batches where the topology pipelines them (AFD); 1 otherwise. */
  readonly numMicroBatches?: number;
}

/** Wall time spent per phase in a worker, seconds. */
export type PhaseTimes = Record<string, number>;

export interface StepOutput {
  /** [Σ logit rows of the sampling seqs, vocab], in the order of the sampling seqs (see sampleRows). */
  readonly logits: Float32Array;
  readonly kvExports: readonly Float32Array[];
  readonly phaseTimesS: PhaseTimes;
}

/** Rows of the sampling sequences' last tokens. */
export function sampleRows(seqs: readonly StepSeq[]): number[] {
  const rows: number[] = [];
  for (const s of seqs) {
    if (!s.sample) continue;
    const n = s.logitRows ?? 1;
    for (let i = n; i >= 1; i--) rows.push(s.row + s.numTokens - i);
  }
  return rows;
}

/** Builds a StepInput from per-sequence token slices. */
export function buildStepInput(parts: readonly { tokens: ArrayLike<number>; startPos: number; blockIds: ArrayLike<number>; sample: boolean; logitRows?: number }[]): StepInput {
  const T = parts.reduce((a, p) => a + p.tokens.length, 0);
  const tokens = new Int32Array(T);
  const positions = new Int32Array(T);
  const seqs: StepSeq[] = [];
  let row = 0;
  for (const p of parts) {
    for (let i = 0; i < p.tokens.length; i++) {
      tokens[row + i] = p.tokens[i]!;
      positions[row + i] = p.startPos + i;
    }
    seqs.push({ row, numTokens: p.tokens.length, startPos: p.startPos, blockIds: Int32Array.from(p.blockIds), sample: p.sample, ...(p.logitRows !== undefined ? { logitRows: p.logitRows } : {}) });
    row += p.tokens.length;
  }
  return { tokens, positions, seqs };
}

/** Runs a whole step on one shard that holds every weight (colocated, or one tensor-parallel rank of it). */
export function runFullStep(shard: ModelShard, input: StepInput, now: () => number = () => 0): StepOutput {
  const t0 = now();
  for (const imp of input.kvImports ?? []) shard.importKv(input.seqs[imp.seq]!.blockIds, imp.from, imp.to, imp.data);
  const T = input.tokens.length;
  shard.embedTokens(input.tokens, 0);
  const L = shard.cfg.numLayers;
  for (let l = 0; l < L; l++) {
    shard.attentionBlock(l, 0, T, input.positions, input.seqs);
    shard.ffnBlock(l, 0, T);
  }
  const rows = sampleRows(input.seqs);
  const logits = rows.length > 0 ? shard.logits(0, rows) : new Float32Array(0);
  const kvExports = (input.kvExports ?? []).map((e) => shard.exportKv(input.seqs[e.seq]!.blockIds, e.from, e.to));
  return { logits, kvExports, phaseTimesS: { forward: (now() - t0) } };
}
