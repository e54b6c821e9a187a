/**
 * Attention–FFN disaggregation: the attention worker holds the embedding, attention weights, KV cache and
 * lm_head; the FFN worker holds the FFN weights. Per layer the residual stream crosses to the FFN worker and
 * back (two hops). The step's sequences are split into micro-batches that ping-pong: while the FFN worker
 * runs micro-batch 0 of layer l, the attention worker runs micro-batch 1 of layer l.
 */
import type { ModelShard, SeqSlice } from './shard.js';
import { sampleRows, type StepInput, type StepOutput, type StepSeq } from './step.js';

export interface FfnRequest {
  readonly mb: number;
  readonly layer: number;
  readonly numTokens: number;
  readonly x: Float32Array;
}

export interface FfnReply {
  readonly mb: number;
  readonly x: Float32Array;
  /** Seconds the FFN worker computed for this request. */
  readonly computeS: number;
}

/** The attention worker's side of the link to the FFN worker. */
export interface FfnLink {
  send(req: FfnRequest): void;
  /** The next reply (replies come in the order requests were sent). */
  next(): Promise<FfnReply>;
}

interface MicroBatch {
  readonly seqs: StepSeq[];
  readonly positions: Int32Array;
  readonly tokens: Int32Array;
  readonly numTokens: number;
}

/** Splits the step's sequences into up to m contiguous groups of about equal token counts. */
export function splitMicroBatches(input: StepInput, m: number): MicroBatch[] {
  const T = input.tokens.length;
  const k = Math.max(1, Math.min(m, input.seqs.length));
  const groups: StepSeq[][] = Array.from({ length: k }, () => []);
  let g = 0;
  let acc = 0;
  input.seqs.forEach((s, i) => {
    // Move on once this group has its share, keeping at least one sequence for each later group.
    if (g < k - 1 && groups[g]!.length > 0 && (acc >= ((g + 1) * T) / k || input.seqs.length - i <= k - 1 - g)) g++;
    groups[g]!.push(s);
    acc += s.numTokens;
  });
  return groups.filter((gr) => gr.length > 0).map((gr) => {
    const first = gr[0]!.row;
    const n = gr.reduce((a, s) => a + s.numTokens, 0);
    return {
      seqs: gr.map((s) => ({ ...s, row: s.row - first })),
      positions: input.positions.subarray(first, first + n),
      tokens: input.tokens.subarray(first, first + n),
      numTokens: n,
    };
  });
}

/** The attention worker's part of one step (shard.holdsAttention, numMicroBatches ≥ the split). */
export async function runAfdAttentionStep(shard: ModelShard, input: StepInput, link: FfnLink, now: () => number): Promise<StepOutput> {
  const t0 = now();
  for (const imp of input.kvImports ?? []) shard.importKv(input.seqs[imp.seq]!.blockIds, imp.from, imp.to, imp.data);
  const mbs = splitMicroBatches(input, Math.min(input.numMicroBatches ?? 2, shard.plan.numMicroBatches));
  mbs.forEach((mb, i) => shard.embedTokens(mb.tokens, i));
  let attnS = 0;
  let ffnS = 0;
  let waitS = 0;
  const L = shard.cfg.numLayers;
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < mbs.length; i++) {
      const mb = mbs[i]!;
      if (l > 0) {
        const tw = now();
        const rep = await link.next();
        waitS += now() - tw;
        if (rep.mb !== i) throw new Error(`AFD: expected micro-batch ${i}, got ${rep.mb}`);
        ffnS += rep.computeS;
        shard.writeX(i, rep.x);
      }
      const ta = now();
      shard.attentionBlock(l, i, mb.numTokens, mb.positions, mb.seqs as readonly SeqSlice[]);
      attnS += now() - ta;
      link.send({ mb: i, layer: l, numTokens: mb.numTokens, x: shard.readX(i, mb.numTokens) });
    }
  }
  const parts: Float32Array[] = [];
  for (let i = 0; i < mbs.length; i++) {
    const tw = now();
    const rep = await link.next();
    waitS += now() - tw;
    ffnS += rep.computeS;
    shard.writeX(i, rep.x);
    const rows = sampleRows(mbs[i]!.seqs);
    if (rows.length > 0) parts.push(shard.logits(i, rows));
  }
  const logits = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    logits.set(p, off);
    off += p.length;
  }
  const kvExports = (input.kvExports ?? []).map((e) => shard.exportKv(input.seqs[e.seq]!.blockIds, e.from, e.to));
  return { logits, kvExports, phaseTimesS: { forward: now() - t0, attention: attnS, ffn: ffnS, ffnWait: waitS, microBatches: mbs.length } };
}

/** The FFN worker's answer to one request. */
export function serveFfn(shard: ModelShard, req: FfnRequest, now: () => number): FfnReply {
  const t0 = now();
  shard.writeX(0, req.x);
  shard.ffnBlock(req.layer, 0, req.numTokens);
  return { mb: req.mb, x: shard.readX(0, req.numTokens), computeS: now() - t0 };
}

/** An FFN link to a shard in the same thread (tests, and the reference for the threaded link). */
export function localFfnLink(ffn: ModelShard, now: () => number): FfnLink {
  const queue: FfnReply[] = [];
  return {
    send: (req) => void queue.push(serveFfn(ffn, req, now)),
    next: () => {
      const r = queue.shift();
      return r ? Promise.resolve(r) : Promise.reject(new Error('AFD: no reply pending'));
    },
  };
}
