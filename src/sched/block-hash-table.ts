/**
 * Prefix-cache index: block hash (any finite number) → block id (an integer ≥ 0). Open addressing with linear
 * probing over one typed array of interleaved (key, value) slots — a probe touches one cache line — deletion by
 * backward shift (no tombstones), doubling at half full (see `home` for the probe start). It replaces a `Map<number, number>`: block hashes are
 * mostly not small integers, and V8 keys a Map on such numbers through heap numbers, several times slower; this
 * one allocates only when it grows.
 */
const EMPTY = -1;
const EMPTY_SLOT = 0; // meta[4i + 2] holds value + 1, so a zeroed buffer is all free slots
/** The table grows when more than 1 / MAX_LOAD_INVERSE of its slots are taken: short probe clusters, as homes come in runs of 8. */
const MAX_LOAD_INVERSE = 4;
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
  if (!Number.isSafeInteger(key)) return mix(key);
  // q's low and high 32 bits without a round trip through memory (the same mix as mix(q) needs not be kept).
  let h = Math.imul((q >>> 0) ^ Math.imul((q / 4294967296) >>> 0, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (((h ^ (h >>> 16)) >>> 0) + r) >>> 0;
}

export class BlockHashTable {
  /**
   * One 16-byte slot per entry, in one buffer seen two ways: keys[2i] = key (float64), meta[4i + 2] = value + 1
   * (0: a free slot, so a new table needs no fill and its untouched pages take no memory), meta[4i + 3] = the
   * key's home (unmasked), so a backward shift compares homes without re-hashing and a probe touches one line.
   */
  private keys: Float64Array;
  private meta: Uint32Array;
  private mask: number;
  private count = 0;

  /** `expectedEntries`: size the table so that this many never make it grow. */
  constructor(expectedEntries = 256) {
    let cap = 16;
    while (cap < expectedEntries * MAX_LOAD_INVERSE) cap *= 2;
    this.keys = new Float64Array(2 * cap);
    this.meta = new Uint32Array(this.keys.buffer);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The block id stored under `key`, or -1. */
  get(key: number): number {
    const { keys, meta, mask } = this;
    for (let i = home(key) & mask; ; i = (i + 1) & mask) {
      const v = meta[4 * i + 2]!;
      if (v === EMPTY_SLOT) return EMPTY;
      if (keys[2 * i] === key) return v - 1;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== EMPTY;
  }

  /** Store `key → value` (an integer block id, 0 ≤ value < 2^32 − 1), replacing any previous value. */
  set(key: number, value: number): void {
    this.put(key, value, true);
  }

  /** Store `key → value` unless `key` is present; true if stored. One probe for has + set. */
  setIfAbsent(key: number, value: number): boolean {
    return this.put(key, value, false);
  }

  delete(key: number): boolean {
    const { keys, meta, mask } = this;
    let i = home(key) & mask;
    for (; ; i = (i + 1) & mask) {
      if (meta[4 * i + 2] === EMPTY_SLOT) return false;
      if (keys[2 * i] === key) break;
    }
    // Backward shift: pull later entries of the probe chain into the hole if their home is not between them.
    let hole = i;
    for (let j = (hole + 1) & mask; meta[4 * j + 2] !== EMPTY_SLOT; j = (j + 1) & mask) {
      const h = meta[4 * j + 3]! & mask;
      const movable = hole <= j ? h <= hole || h > j : h <= hole && h > j;
      if (movable) {
        keys[2 * hole] = keys[2 * j]!;
        meta[4 * hole + 2] = meta[4 * j + 2]!;
        meta[4 * hole + 3] = meta[4 * j + 3]!;
        hole = j;
      }
    }
    meta[4 * hole + 2] = EMPTY_SLOT;
    this.count--;
    return true;
  }

  private put(key: number, value: number, replace: boolean): boolean {
    if (!(Number.isInteger(value) && value >= 0 && value < 0xffffffff))
      throw new Error(`BlockHashTable.set: value ${value}; accepted: a block id, an integer 0 ≤ id < 2^32 − 1.`);
    if ((this.count + 1) * MAX_LOAD_INVERSE > this.mask + 1) this.grow();
    const { keys, meta, mask } = this;
    const hk = home(key);
    for (let i = hk & mask; ; i = (i + 1) & mask) {
      if (meta[4 * i + 2] === EMPTY_SLOT) {
        keys[2 * i] = key + 0; // -0 and 0 are one key
        meta[4 * i + 2] = value + 1;
        meta[4 * i + 3] = hk;
        this.count++;
        return true;
      }
      if (keys[2 * i] === key) {
        if (replace) meta[4 * i + 2] = value + 1;
        return replace;
      }
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldMeta = this.meta;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(2 * cap);
    this.meta = new Uint32Array(this.keys.buffer);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldKeys.length / 2; i++) if (oldMeta[4 * i + 2] !== EMPTY_SLOT) this.put(oldKeys[2 * i]!, oldMeta[4 * i + 2]! - 1, true);
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
    // Fast path: one or two strictly monotone runs with disjoint ranges cannot repeat (the workload's chained
    // hashes are a shared-prefix run and a conversation run), checked in one pass without the table.
    const e1 = monotoneRunEnd(xs, 0);
    if (e1 === n) return false;
    const e2 = monotoneRunEnd(xs, e1);
    if (e2 === n) {
      const a = xs[0]!, b = xs[e1 - 1]!, c = xs[e1]!, d = xs[n - 1]!;
      if (Math.max(a, b) < Math.min(c, d) || Math.max(c, d) < Math.min(a, b)) return false;
    }
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

/** End (exclusive) of the strictly increasing or strictly decreasing run of xs starting at `start`. */
function monotoneRunEnd(xs: readonly number[], start: number): number {
  const n = xs.length;
  if (start + 1 >= n) return n;
  let i = start + 1;
  if (xs[i]! > xs[start]!) while (i < n && xs[i]! > xs[i - 1]!) i++;
  else if (xs[i]! < xs[start]!) while (i < n && xs[i]! < xs[i - 1]!) i++;
  return i;
}
