/**
 * Prefix-cache index: block hash (any finite number) → block id (an integer ≥ 0). Open addressing with linear
 * probing over one typed array of interleaved (key, value) slots — a probe touches one cache line — deletion by
 * backward shift (no tombstones), doubling at half full (see `home` for the probe start). It replaces a `Map<number, number>`: block hashes are
 * mostly not small integers, and V8 keys a Map on such numbers through heap numbers, several times slower; this
 * one allocates only when it grows.
 */
const EMPTY = -1;
const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

function mix(key: number): number {
  scratch[0] = key + 0; // -0 and 0 are one key
  let h = Math.imul(scratchBits[0]! ^ Math.imul(scratchBits[1]!, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Home slot of a key: integer keys that differ only in their last 3 bits get adjacent homes (one mixed hash of
 * key / 8, plus key mod 8). A request's chained block hashes are often consecutive integers (the workload
 * driver numbers a session's blocks), so its blocks share cache lines; any other key is mixed whole.
 */
function home(key: number): number {
  const q = Math.floor(key / 8);
  const r = key - q * 8;
  return Number.isSafeInteger(key) ? (mix(q) + r) >>> 0 : mix(key);
}

export class BlockHashTable {
  /** slots[2i] = key, slots[2i + 1] = value (EMPTY: a free slot). */
  private slots: Float64Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.slots = BlockHashTable.emptySlots(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The block id stored under `key`, or -1. */
  get(key: number): number {
    const { slots, mask } = this;
    for (let i = home(key) & mask; ; i = (i + 1) & mask) {
      const v = slots[2 * i + 1]!;
      if (v === EMPTY) return EMPTY;
      if (slots[2 * i] === key) return v;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== EMPTY;
  }

  /** Store `key → value` (value ≥ 0), replacing any previous value. */
  set(key: number, value: number): void {
    this.put(key, value, true);
  }

  /** Store `key → value` unless `key` is present; true if stored. One probe for has + set. */
  setIfAbsent(key: number, value: number): boolean {
    return this.put(key, value, false);
  }

  delete(key: number): boolean {
    const { slots, mask } = this;
    let i = home(key) & mask;
    for (; ; i = (i + 1) & mask) {
      if (slots[2 * i + 1] === EMPTY) return false;
      if (slots[2 * i] === key) break;
    }
    // Backward shift: pull later entries of the probe chain into the hole if their home is not between them.
    let hole = i;
    for (let j = (hole + 1) & mask; slots[2 * j + 1] !== EMPTY; j = (j + 1) & mask) {
      const h = home(slots[2 * j]!) & mask;
      const movable = hole <= j ? h <= hole || h > j : h <= hole && h > j;
      if (movable) {
        slots[2 * hole] = slots[2 * j]!;
        slots[2 * hole + 1] = slots[2 * j + 1]!;
        hole = j;
      }
    }
    slots[2 * hole + 1] = EMPTY;
    this.count--;
    return true;
  }

  /**
   * Drop every entry for which `keep(key, value)` is false, at the same capacity (one pass, then the kept entries
   * are re-inserted). For lazy deletion: an owner that lets entries go stale instead of deleting them (a
   * delete's backward shift probes a cluster, a stale entry costs nothing until here) purges them in bulk.
   */
  retain(keep: (key: number, value: number) => boolean): void {
    const slots = this.slots;
    let n = 0;
    const kept = new Float64Array(2 * this.count);
    for (let i = 0; i < slots.length; i += 2) {
      const v = slots[i + 1]!;
      if (v !== EMPTY && keep(slots[i]!, v)) {
        kept[n++] = slots[i]!;
        kept[n++] = v;
      }
    }
    for (let i = 1; i < slots.length; i += 2) slots[i] = EMPTY;
    this.count = 0;
    for (let i = 0; i < n; i += 2) this.put(kept[i]!, kept[i + 1]!, true);
  }

  private put(key: number, value: number, replace: boolean): boolean {
    if (!(value >= 0)) throw new Error(`BlockHashTable.set: value ${value}; accepted: a block id ≥ 0.`);
    if ((this.count + 1) * 4 > this.mask + 1) this.grow();
    const { slots, mask } = this;
    for (let i = home(key) & mask; ; i = (i + 1) & mask) {
      if (slots[2 * i + 1] === EMPTY) {
        slots[2 * i] = key;
        slots[2 * i + 1] = value;
        this.count++;
        return true;
      }
      if (slots[2 * i] === key) {
        if (replace) slots[2 * i + 1] = value;
        return replace;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = BlockHashTable.emptySlots(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.put(old[i]!, old[i + 1]!, true);
  }

  private static emptySlots(cap: number): Float64Array {
    const s = new Float64Array(2 * cap);
    for (let i = 1; i < s.length; i += 2) s[i] = EMPTY;
    return s;
  }
}

/**
 * Whether a list of numbers repeats one (as `new Set(xs).size !== xs.length` would say, NaN aside), with one
 * reused stamped table instead of a Set per call: the scheduler checks every request's block hashes.
 */
export class RepeatFinder {
  private keys = new Float64Array(64);
  private stamps = new Uint32Array(64);
  private stamp = 0;

  hasRepeat(xs: readonly number[]): boolean {
    const n = xs.length;
    if (n < 2) return false;
    if (this.keys.length < 2 * n) {
      let cap = this.keys.length;
      while (cap < 4 * n) cap *= 2;
      this.keys = new Float64Array(cap);
      this.stamps = new Uint32Array(cap);
      this.stamp = 0;
    }
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    const { keys, stamps, stamp } = this;
    const mask = keys.length - 1;
    for (let j = 0; j < n; j++) {
      const x = xs[j]! + 0;
      let i = home(x) & mask;
      for (; stamps[i] === stamp; i = (i + 1) & mask) if (keys[i] === x) return true;
      keys[i] = x;
      stamps[i] = stamp;
    }
    return false;
  }
}
