/**
 * Attention–FFN disaggregation (AFD): one decode step as m micro-batches ping-ponging between the attention
 * instances (which hold the KV cache) and the FFN instance (which holds the FFN / expert weights), two
 * activation hops per layer per micro-batch. See docs/heterogeneous.md.
 *
 * Per layer and micro-batch: attention T_a, hop T_c (latency + bytes / bandwidth), FFN T_e, hop T_c back.
 * With T_f = max(T_a, T_e) and the round trip R = T_a + T_e + 2·T_c:
 *
 *   step ≈ R + T_f·(m·L − 1)                       when m·T_f ≥ R (the pipeline hides the hops:
 *                                                   m ≥ 2(1 + T_c/T_f) when T_a = T_e)
 *   step ≈ L·R + (m − 1)·T_f                       otherwise (every round trip is exposed)
 *
 * i.e. step = L·max(R, m·T_f) + min(R, m·T_f) − T_f. `afdTimeline` schedules the same pipeline operation by
 * operation (resources busy one thing at a time, hops serialised on their link) and is what the simulator
 * uses; the closed form is what a reader checks it against.
 */

export interface AfdStage {
  /** Attention (and everything the attention side does per layer) for one micro-batch, seconds. */
  readonly attentionS: number;
  /** FFN / experts for one micro-batch, seconds. */
  readonly ffnS: number;
  /** One-way hop latency, seconds (pure delay: the link carries other micro-batches meanwhile). */
  readonly hopLatencyS: number;
  /** One-way hop serialisation (bytes / bandwidth), seconds: the link is busy for this long. */
  readonly hopTransferS: number;
  readonly microBatches: number;
  readonly layers: number;
  /**
   * Independent FFN resources: 1 when one FFN instance runs every layer (GPUs), the number of pipeline stages
   * when the FFN pool holds different layers on different chips (an SRAM pipeline): layer l uses stage
   * ⌊l·stages/L⌋, so micro-batches at different layers do not wait for each other there.
   */
  readonly ffnStages?: number;
}

/** The closed form of the header. */
export function afdStepFormulaS(s: AfdStage): number {
  const tc = s.hopLatencyS + s.hopTransferS;
  const tf = Math.max(s.attentionS, s.ffnS);
  const r = s.attentionS + s.ffnS + 2 * tc;
  const mtf = s.microBatches * tf;
  return s.layers * Math.max(r, mtf) + Math.min(r, mtf) - tf;
}

/** Micro-batches needed to hide the hops when attention and FFN are balanced: 2(1 + T_c/T_f). */
export function afdMicroBatchesToHide(s: Pick<AfdStage, 'attentionS' | 'ffnS' | 'hopLatencyS' | 'hopTransferS'>): number {
  const tf = Math.max(s.attentionS, s.ffnS);
  const tc = s.hopLatencyS + s.hopTransferS;
  return tf > 0 ? 2 * (1 + tc / tf) : Infinity;
}

export interface AfdTimelineResult {
  readonly totalS: number;
  /** Busy time of the attention side and of the (busiest) FFN resource over the step. */
  readonly attentionBusyS: number;
  readonly ffnBusyS: number;
  /** Σ hop time (latency + transfer) of every hop, both directions. */
  readonly hopS: number;
  /** Idle time inside the step on the attention side and on the busiest FFN resource (pipeline bubbles). */
  readonly attentionBubbleS: number;
  readonly ffnBubbleS: number;
  /** Start and end of every operation of the first `keepLayers` layers, for the printed timeline. */
  readonly ops: readonly AfdOp[];
}

export interface AfdOp {
  readonly kind: 'attention' | 'send' | 'ffn' | 'return';
  readonly layer: number;
  readonly microBatch: number;
  readonly startS: number;
  readonly endS: number;
}

/**
 * Schedule the step operation by operation, layer-major and micro-batch-minor (the ping-pong order): each
 * attention op starts when the attention side is free and its micro-batch is back; each hop when its link
 * direction is free; each FFN op when its FFN resource is free and the activations have arrived.
 */
export function afdTimeline(s: AfdStage, keepLayers = 0): AfdTimelineResult {
  const m = Math.max(1, Math.floor(s.microBatches));
  const L = Math.max(1, Math.floor(s.layers));
  const stages = Math.max(1, Math.min(L, Math.floor(s.ffnStages ?? 1)));
  const ready = new Float64Array(m);
  const ffnFree = new Float64Array(stages);
  const ffnBusy = new Float64Array(stages);
  let attnFree = 0;
  let sendFree = 0;
  let returnFree = 0;
  let hopS = 0;
  const ops: AfdOp[] = [];
  for (let l = 0; l < L; l++) {
    const stage = Math.min(stages - 1, Math.floor((l * stages) / L));
    for (let j = 0; j < m; j++) {
      const aStart = Math.max(attnFree, ready[j]!);
      const aEnd = aStart + s.attentionS;
      attnFree = aEnd;
      const sStart = Math.max(aEnd, sendFree);
      sendFree = sStart + s.hopTransferS;
      const arrive = sendFree + s.hopLatencyS;
      const fStart = Math.max(ffnFree[stage]!, arrive);
      const fEnd = fStart + s.ffnS;
      ffnFree[stage] = fEnd;
      ffnBusy[stage]! += s.ffnS;
      const rStart = Math.max(fEnd, returnFree);
      returnFree = rStart + s.hopTransferS;
      ready[j] = returnFree + s.hopLatencyS;
      hopS += 2 * (s.hopTransferS + s.hopLatencyS);
      if (l < keepLayers) {
        ops.push(
          { kind: 'attention', layer: l, microBatch: j, startS: aStart, endS: aEnd },
          { kind: 'send', layer: l, microBatch: j, startS: sStart, endS: arrive },
          { kind: 'ffn', layer: l, microBatch: j, startS: fStart, endS: fEnd },
          { kind: 'return', layer: l, microBatch: j, startS: rStart, endS: ready[j]! },
        );
      }
    }
  }
  let totalS = 0;
  for (let j = 0; j < m; j++) totalS = Math.max(totalS, ready[j]!);
  const attentionBusyS = m * L * s.attentionS;
  let ffnBusyS = 0;
  for (let i = 0; i < stages; i++) ffnBusyS = Math.max(ffnBusyS, ffnBusy[i]!);
  return {
    totalS,
    attentionBusyS,
    ffnBusyS,
    hopS,
    attentionBubbleS: Math.max(0, totalS - attentionBusyS),
    ffnBubbleS: Math.max(0, totalS - ffnBusyS),
    ops,
  };
}
