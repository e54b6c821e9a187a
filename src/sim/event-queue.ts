/**
 * Min-heap of simulation events ordered by time, then by kind rank (so that, at equal times, work that frees
 * resources is handled before work that asks for them), then by insertion sequence — which makes the order of
 * simultaneous events, and so the whole run, deterministic.
 */
export interface SimEvent<K extends string = string> {
  readonly timeS: number;
  readonly rank: number;
  readonly seq: number;
  readonly kind: K;
  /** Index of the replica, request or client the event is about. */
  readonly target: number;
  readonly pool: number;
}

export class EventQueue<K extends string = string> {
  private readonly heap: SimEvent<K>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Queue an event; returns its sequence number (unique), by which a caller can recognise a superseded one. */
  push(timeS: number, rank: number, kind: K, target: number, pool = 0): number {
    const seq = this.nextSeq++;
    const ev: SimEvent<K> = { timeS, rank, seq, kind, target, pool };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(ev, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = ev;
    return seq;
  }

  /** The next event, left in the queue. */
  peek(): SimEvent<K> | undefined {
    return this.heap[0];
  }

  pop(): SimEvent<K> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  if (a.timeS !== b.timeS) return a.timeS < b.timeS;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.seq < b.seq;
}
