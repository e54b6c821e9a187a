/**
 * Stop sequences over streamed text: holds back the last (longest stop − 1) characters, so no text that may
 * begin a stop sequence is sent before it is known not to; on a match, emits the text before it and stops.
 */
export class StopMatcher {
  private held = '';
  private readonly keep: number;

  constructor(private readonly stops: readonly string[]) {
    this.keep = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** New text in; the text that is safe to send out, and whether a stop sequence matched. */
  push(delta: string): { emit: string; stopped: boolean } {
    if (this.stops.length === 0) return { emit: delta, stopped: false };
    const buf = this.held + delta;
    let at = -1;
    for (const s of this.stops) {
      if (s.length === 0) continue;
      const i = buf.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      this.held = '';
      return { emit: buf.slice(0, at), stopped: true };
    }
    const cut = Math.max(0, buf.length - this.keep);
    this.held = buf.slice(cut);
    return { emit: buf.slice(0, cut), stopped: false };
  }

  /** At the end of generation (no stop matched): whatever was held back. */
  flush(): string {
    const h = this.held;
    this.held = '';
    return h;
  }
}
