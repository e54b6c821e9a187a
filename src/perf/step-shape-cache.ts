import type { StepShape } from './types.js';

/** The eight numbers of a StepShape, in one order. */
const FIELDS = 8;

/**
 * A bounded cache of step times by step shape: direct-mapped (a shape has one slot; a newcomer overwrites it),
 * keyed on the shape's eight numbers. Replaces a Map keyed by a string of them: building that string cost more
 * than most lookups saved — in the simulator's heavy benchmark 98 % of shapes (each step with a prefill) are new —
 * and the map kept every entry alive until it was cleared. Here a lookup hashes eight numbers, a miss allocates
 * nothing but the value, and memory is fixed.
 */
export class StepShapeCache<T> {
  private readonly keys: Float64Array;
  private readonly values: (T | undefined)[];
  private readonly mask: number;
  private readonly scratch = new Float64Array(1);
  private readonly scratchBits = new Uint32Array(this.scratch.buffer);

  /** `slots`: rounded up to a power of two. */
  constructor(slots = 8192) {
    let cap = 1;
    while (cap < slots) cap *= 2;
    this.mask = cap - 1;
    this.keys = new Float64Array(cap * FIELDS).fill(Number.NaN); // NaN equals nothing: every slot starts empty
    this.values = new Array<T | undefined>(cap).fill(undefined);
  }

  get(s: StepShape): T | undefined {
    const slot = this.slotOf(s);
    return this.matches(slot, s) ? this.values[slot] : undefined;
  }

  set(s: StepShape, value: T): void {
    const slot = this.slotOf(s);
    const k = this.keys;
    const o = slot * FIELDS;
    k[o] = s.numTokens;
    k[o + 1] = s.numSeqs;
    k[o + 2] = s.numPrefillSeqs;
    k[o + 3] = s.prefillTokens;
    k[o + 4] = s.prefillAttnPairs;
    k[o + 5] = s.prefillKvTokens;
    k[o + 6] = s.numDecodeSeqs;
    k[o + 7] = s.decodeKvTokens;
    this.values[slot] = value;
  }

  private matches(slot: number, s: StepShape): boolean {
    const k = this.keys;
    const o = slot * FIELDS;
    return (
      k[o] === s.numTokens &&
      k[o + 1] === s.numSeqs &&
      k[o + 2] === s.numPrefillSeqs &&
      k[o + 3] === s.prefillTokens &&
      k[o + 4] === s.prefillAttnPairs &&
      k[o + 5] === s.prefillKvTokens &&
      k[o + 6] === s.numDecodeSeqs &&
      k[o + 7] === s.decodeKvTokens
    );
  }

  private slotOf(s: StepShape): number {
    let h = this.mix(0x9e3779b9, s.numTokens);
    h = this.mix(h, s.numSeqs);
    h = this.mix(h, s.numPrefillSeqs);
    h = this.mix(h, s.prefillTokens);
    h = this.mix(h, s.prefillAttnPairs);
    h = this.mix(h, s.prefillKvTokens);
    h = this.mix(h, s.numDecodeSeqs);
    h = this.mix(h, s.decodeKvTokens);
    return (h ^ (h >>> 15)) & this.mask;
  }

  /** Fold a number's 64 bits into the hash (murmur3-style rounds). */
  private mix(h: number, x: number): number {
    this.scratch[0] = x + 0; // -0 and 0 are one key
    h = Math.imul(h ^ this.scratchBits[0]!, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
    h = Math.imul(h ^ this.scratchBits[1]!, 0x85ebca6b);
    return (h << 13) | (h >>> 19);
  }
}
