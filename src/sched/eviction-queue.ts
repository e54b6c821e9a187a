/**
 * The evictable blocks in eviction order (least recently freed first): append at the back, take the oldest,
 * remove from anywhere (a prefix hit takes a block back). A ring of block ids with lazy removal — a removed
 * id's slot stays behind as a stale entry, skipped when it reaches the front — instead of a doubly linked list:
 * append and take touch the ring sequentially and one position per block, where the list touched three
 * scattered entries (prev, next, the neighbour's link). Order and contents are those of the list exactly.
 */

export class EvictionQueue {
  /** [capacity] block ids; slots head..tail−1 (mod capacity) are in use, live or stale. */
  private ring: Int32Array;
  private mask: number;
  /** Absolute positions (they only grow, until a compaction rebases them to 0; the slot is position & mask). */
  private head = 0;
  private tail = 0;
  /**
   * Position of each queued id at pos[id · stride], −1 when not queued: an entry is live iff that is its
   * position. The caller may lend an array holding other per-id fields between (one cache line per id).
   */
  private readonly pos: Int32Array;
  private readonly stride: number;
  private count = 0;

  /** `maxPosition`: positions are rebased to 0 before they reach it (int32 storage; small in tests). */
  constructor(
    numIds: number,
    pos: Int32Array = new Int32Array(numIds),
    stride = 1,
    private readonly maxPosition = 2 ** 30,
  ) {
    if (pos.length < numIds * stride) throw new Error(`EvictionQueue: ${pos.length} position slots for ${numIds} ids × stride ${stride}.`);
    let cap = 16;
    while (cap < 2 * numIds) cap *= 2;
    this.ring = new Int32Array(cap);
    this.mask = cap - 1;
    this.pos = pos;
    this.stride = stride;
    for (let id = 0; id < numIds; id++) pos[id * stride] = -1;
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.pos[id * this.stride]! >= 0;
  }

  /** Queue `id` at the back (it must not be queued). */
  append(id: number): void {
    if (this.tail - this.head > this.mask || this.tail >= this.maxPosition) this.compact();
    this.ring[this.tail & this.mask] = id;
    this.pos[id * this.stride] = this.tail++;
    this.count++;
  }

  /** Take `id` out wherever it is (it must be queued). */
  remove(id: number): void {
    this.pos[id * this.stride] = -1;
    this.count--;
  }

  /** The oldest id, left in; −1 when empty (drops the stale entries before it). */
  peekOldest(): number {
    if (this.count === 0) return -1;
    const { ring, pos, mask, stride } = this;
    for (;;) {
      const p = this.head;
      const id = ring[p & mask]!;
      if (pos[id * stride] === p) return id;
      this.head++;
    }
  }

  /** Take the oldest id out; −1 when empty. */
  popOldest(): number {
    if (this.count === 0) return -1;
    const { ring, pos, mask, stride } = this;
    for (;;) {
      const p = this.head++;
      const id = ring[p & mask]!;
      if (pos[id * stride] === p) {
        pos[id * stride] = -1;
        this.count--;
        return id;
      }
    }
  }

  /** The queued ids, oldest first (tests and invariant checks). */
  toArray(): number[] {
    const out: number[] = [];
    for (let p = this.head; p < this.tail; p++) {
      const id = this.ring[p & this.mask]!;
      if (this.pos[id * this.stride] === p) out.push(id);
    }
    return out;
  }

  /**
   * Drop the stale entries when the ring is full of them, or rebase the positions before they leave int32: live
   * ones move to the front, in order.
   */
  private compact(): void {
    const live = this.toArray();
    if (live.length > this.mask) {
      // Cannot happen with at most numIds live ids in a ring of ≥ 2·numIds slots; grow rather than corrupt.
      this.ring = new Int32Array(2 * (this.mask + 1));
      this.mask = 2 * (this.mask + 1) - 1;
    }
    this.head = 0;
    this.tail = 0;
    for (const id of live) {
      this.ring[this.tail] = id;
      this.pos[id * this.stride] = this.tail++;
    }
  }
}
