import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afdMicroBatchesToHide, afdStepFormulaS, afdTimeline, type AfdStage } from './afd-timeline.js';

const US = 1e-6;
const stage = (o: Partial<AfdStage>): AfdStage => ({
  attentionS: 10 * US,
  ffnS: 20 * US,
  hopLatencyS: 5 * US,
  hopTransferS: 0,
  microBatches: 1,
  layers: 4,
  ...o,
});
const near = (a: number, b: number, rel = 1e-12): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

test('one micro-batch: every layer is a full round trip, L·(T_a + T_e + 2·T_c) (hand-checked)', () => {
  // 4 layers × (10 + 20 + 2 × 5) µs = 160 µs.
  const s = stage({});
  assert.ok(near(afdStepFormulaS(s), 160 * US));
  assert.ok(near(afdTimeline(s).totalS, 160 * US), `${afdTimeline(s).totalS}`);
});

test('enough micro-batches hide the hops: R + T_f·(m·L − 1) (hand-checked)', () => {
  // m = 3: m·T_f = 60 µs ≥ R = 40 µs → 40 + 20 × (12 − 1) = 260 µs; the FFN is busy m·L·T_e = 240 µs of it.
  const s = stage({ microBatches: 3 });
  assert.ok(near(afdStepFormulaS(s), 260 * US));
  const tl = afdTimeline(s);
  assert.ok(near(tl.totalS, 260 * US), `${tl.totalS}`);
  assert.ok(near(tl.ffnBusyS, 240 * US));
  assert.ok(near(tl.ffnBubbleS, 20 * US), 'the FFN waits only for the first attention and hop, and the last hop back');
});

test('the operation-by-operation timeline equals the closed form over a grid of stages', () => {
  let cases = 0;
  for (const ta of [3, 10, 40]) {
    for (const te of [3, 10, 40]) {
      for (const tc of [0, 1, 5, 30]) {
        for (const m of [1, 2, 3, 4, 8]) {
          for (const L of [1, 2, 7, 80]) {
            const s = stage({ attentionS: ta * US, ffnS: te * US, hopLatencyS: tc * US, microBatches: m, layers: L });
            const f = afdStepFormulaS(s);
            const t = afdTimeline(s).totalS;
            assert.ok(near(f, t, 1e-9), `Ta ${ta} Te ${te} Tc ${tc} m ${m} L ${L}: formula ${f}, timeline ${t}`);
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 3 * 3 * 4 * 5 * 4);
});

test('the hops are hidden exactly from m = 2(1 + T_c/T_f) when attention and FFN are balanced', () => {
  // T_a = T_e = 10 µs, T_c = 5 µs: m* = 2 × 1.5 = 3. Below it the attention side idles between layers.
  const base = { attentionS: 10 * US, ffnS: 10 * US, hopLatencyS: 5 * US, hopTransferS: 0, layers: 20 };
  assert.equal(afdMicroBatchesToHide(base), 3);
  const perMicroBatch = (m: number): number => afdTimeline({ ...base, microBatches: m }).totalS / m;
  const bubbles = (m: number): number => afdTimeline({ ...base, microBatches: m }).attentionBubbleS;
  // From m* on, the attention side is busy all but the last round trip's tail (T_c + T_e + T_c = 20 µs).
  assert.ok(near(bubbles(3), 20 * US, 1e-9), `${bubbles(3)}`);
  assert.ok(near(bubbles(4), 20 * US, 1e-9));
  assert.ok(bubbles(2) > 20 * US * 5, `exposed hops at m = 2: ${bubbles(2)}`);
  assert.ok(perMicroBatch(3) < perMicroBatch(2) && perMicroBatch(2) < perMicroBatch(1));
});

test('an FFN pool holding different layers on different chips overlaps the layers\' FFN work', () => {
  // FFN-bound: T_e = 3·T_a. One FFN resource runs all m·L FFN ops in a row (R + T_f·(m·L − 1) = 972 µs); with
  // one resource per layer only the m micro-batches of a layer queue on it, and layers overlap.
  const s = stage({ attentionS: 10 * US, ffnS: 30 * US, hopLatencyS: 1 * US, microBatches: 4, layers: 8 });
  const shared = afdTimeline(s).totalS;
  assert.ok(near(shared, (42 + 30 * 31) * US, 1e-9));
  const staged = afdTimeline({ ...s, ffnStages: 8 });
  assert.ok(staged.totalS < shared * 0.7, `staged ${staged.totalS} vs shared ${shared}`);
  // Still bounded below by one micro-batch's L round trips and by any one layer's m FFN ops.
  assert.ok(staged.totalS >= 8 * 42 * US && staged.totalS >= 4 * 30 * US);
  assert.ok(near(staged.ffnBusyS, 4 * 30 * US), 'the busiest FFN resource is one layer\'s');
});

test('hop serialisation on the link adds up when the link, not the latency, is the bottleneck', () => {
  // Each hop occupies the link 30 µs; 4 micro-batches per layer need 120 µs of link per direction per layer.
  const s = stage({ attentionS: 5 * US, ffnS: 5 * US, hopLatencyS: 0, hopTransferS: 30 * US, microBatches: 4, layers: 10 });
  assert.ok(afdTimeline(s).totalS >= 10 * 4 * 30 * US);
});
