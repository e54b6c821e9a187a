/**
 * FIFO with a cheap push to the front (a preempted request goes back to the head of the waiting queue, as in
 * vLLM). Ring buffer that doubles when full: O(1) amortised at both ends, no per-operation allocation.
 */
export class RequestQueue<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    this.buf = new Array<T | undefined>(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  pushBack(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) % this.buf.length] = item;
    this.size++;
  }

  pushFront(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.head = (this.head - 1 + this.buf.length) % this.buf.length;
    this.buf[this.head] = item;
    this.size++;
  }

  popFront(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined; // let the request be collected
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    return item;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}
