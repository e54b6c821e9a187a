import type { AfdReport } from '../sim/afd.js';
import type { SpecReport } from '../sim/build-deployment.js';
import { num, pct, table } from './format.js';

const us = (s: number): string => `${num(s * 1e6)} µs`;

/** The AFD section of `simulate`: per-layer times at the mean decode batch and a two-layer timeline. */
export function afdSection(a: AfdReport): string {
  const out: string[] = [];
  out.push(
    `AFD: ${a.units} unit(s) of ${a.attentionReplicasPerUnit} attention replica(s) + 1 FFN replica; ${a.layers} layers → ${a.hopsPerToken} hops per token; ` +
      `mean decode batch ${num(a.meanBatchSeqs)} in ${a.microBatches} micro-batch(es)`,
  );
  out.push(
    table([
      ['per layer, per micro-batch', 'time'],
      ['attention (T_a)', us(a.perLayer.attentionS)],
      ['FFN (T_e)', us(a.perLayer.ffnS)],
      ['hop, one way (T_c)', us(a.perLayer.hopS)],
    ], { header: true }),
  );
  out.push(
    `decode step (layers only) ${num(a.stepS * 1e3)} ms; attention busy ${pct(a.attentionBusyShare)}, FFN busy ${pct(a.ffnBusyShare)} (the rest is bubbles); ` +
      `hops ${a.hopsHidden ? 'hidden' : 'exposed'}: m = ${a.microBatches}, hiding needs m ≥ 2(1 + T_c/T_f) = ${num(a.microBatchesToHide)}` +
      (a.balancedRatio !== null
        ? `; attention:FFN ratio balancing T_a ≤ T_e at this batch: ${a.balancedRatio}`
        : '; no attention:FFN ratio up to 64 brings T_a under T_e at this batch (the attention side is the bottleneck)'),
  );
  out.push(timelineChart(a));
  return out.join('\n');
}

/** A text Gantt chart of the first two layers: A attention, > send, F FFN, < return, one row per resource. */
function timelineChart(a: AfdReport): string {
  const ops = a.ops;
  if (ops.length === 0) return '';
  const end = Math.max(...ops.map((o) => o.endS));
  const width = 72;
  const col = (t: number): number => Math.min(width - 1, Math.floor((t / end) * width));
  const rows: Record<string, string[]> = { attention: Array(width).fill('.'), 'link →': Array(width).fill(' '), ffn: Array(width).fill('.'), 'link ←': Array(width).fill(' ') };
  const sym: Record<string, [string, string]> = { attention: ['attention', 'A'], send: ['link →', '>'], ffn: ['ffn', 'F'], return: ['link ←', '<'] };
  for (const o of ops) {
    const [row, c] = sym[o.kind]!;
    const label = String(o.microBatch % 10);
    for (let i = col(o.startS); i <= Math.max(col(o.startS), col(o.endS) - 1); i++) rows[row]![i] = i === col(o.startS) && o.kind !== 'send' && o.kind !== 'return' ? label : c;
  }
  const lines = [`first 2 layers, ${num(end * 1e6)} µs (digits: micro-batch starting; '.': idle)`];
  for (const [name, cells] of Object.entries(rows)) lines.push(`  ${name.padEnd(9)} |${cells.join('')}|`);
  return lines.join('\n');
}

export function specSection(s: SpecReport): string {
  return [
    `speculative decoding: ${s.draft}${s.draftModel ? ` (${s.draftModel})` : ''}, k = ${s.k === 'adaptive' ? `adaptive (mean ${num(s.meanDraftTokens)})` : s.k}`,
    table([
      ['verification rounds', num(s.rounds)],
      ['accepted drafts per round (measured)', num(s.meanAcceptedDrafts)],
      ['tokens per round (measured)', num(s.meanTokensPerRound)],
      ['tokens per round (expected, 1 + Σ Π α)', num(s.expectedTokensPerRound)],
      ['speed-up over plain decode steps', `${num(s.speedup)}×`],
      ['share of a round spent drafting', pct(s.draftShareOfRound)],
    ]),
  ].join('\n');
}
