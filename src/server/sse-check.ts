/**
 * A strict reader of one streamed completion, for the load and disconnect tests: every event must be a single
 * `data: ` line holding a well-formed chunk of the expected kind (or the usage chunk), nothing may follow
 * `data: [DONE]`, and the stream must end exactly after it. The requests it checks ask for ignore_eos and
 * include_usage, so a complete stream ends with finish_reason "length" and a usage chunk whose
 * completion_tokens equal max_tokens: a stream cut short anywhere cannot pass.
 */
export type StreamKind = 'chat' | 'completion';

export type StreamVerdict =
  | { readonly kind: 'ok'; readonly ttftS: number | null; readonly numTokens: number; readonly numEvents: number }
  | { readonly kind: 'malformed' | 'truncated'; readonly why: string };

export class SseChecker {
  private buf = '';
  private numEvents = 0;
  private done = false;
  private finishReason: string | null = null;
  private usageTokens: number | null = null;
  private firstTextS: number | null = null;
  private problem: string | null = null;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  /** @param startS when the request was sent (TTFT is measured from it) */
  constructor(
    private readonly kind: StreamKind,
    private readonly maxTokens: number,
    private readonly startS: number,
  ) {}

  /** Bytes as they arrive, with the time they arrived. */
  push(bytes: Uint8Array, atS: number): void {
    if (this.problem !== null) return;
    try {
      this.buf += this.decoder.decode(bytes, { stream: true });
    } catch {
      this.problem = 'the stream is not valid UTF-8';
      return;
    }
    for (let i = this.buf.indexOf('\n\n'); i >= 0 && this.problem === null; i = this.buf.indexOf('\n\n')) {
      const ev = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.event(ev, atS);
    }
  }

  private fail(why: string): void {
    this.problem ??= `event ${this.numEvents}: ${why}`;
  }

  private event(ev: string, atS: number): void {
    this.numEvents++;
    if (this.done) return this.fail('data after [DONE]');
    if (!ev.startsWith('data: ') || ev.includes('\n')) return this.fail(`not a single "data: " line: ${JSON.stringify(ev.slice(0, 80))}`);
    const payload = ev.slice(6);
    if (payload === '[DONE]') {
      this.done = true;
      return;
    }
    let o: unknown;
    try {
      o = JSON.parse(payload);
    } catch {
      return this.fail(`not JSON: ${JSON.stringify(payload.slice(0, 80))}`);
    }
    if (typeof o !== 'object' || o === null) return this.fail('not a JSON object');
    const chunk = o as { error?: { message?: unknown }; object?: unknown; choices?: unknown; usage?: { completion_tokens?: unknown } };
    if (chunk.error !== undefined) return this.fail(`error event: ${String(chunk.error.message)}`);
    const object = this.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    if (chunk.object !== object) return this.fail(`object ${JSON.stringify(chunk.object)}, expected ${object}`);
    if (!Array.isArray(chunk.choices)) return this.fail('no choices array');
    if (chunk.choices.length === 0) {
      if (typeof chunk.usage?.completion_tokens !== 'number') return this.fail('a chunk with no choices and no usage');
      if (this.usageTokens !== null) return this.fail('a second usage chunk');
      this.usageTokens = chunk.usage.completion_tokens;
      return;
    }
    if (this.usageTokens !== null) return this.fail('a choice after the usage chunk');
    if (this.finishReason !== null) return this.fail('a choice after the finish reason');
    const c = chunk.choices[0] as { text?: unknown; delta?: { content?: unknown; role?: unknown }; finish_reason?: unknown };
    const piece = this.kind === 'chat' ? c.delta?.content : c.text;
    if (this.kind === 'chat' && typeof c.delta !== 'object') return this.fail('a chat chunk without delta');
    if (piece !== undefined && typeof piece !== 'string') return this.fail('text that is not a string');
    if (typeof piece === 'string' && piece.length > 0 && this.firstTextS === null) this.firstTextS = atS;
    if (c.finish_reason !== null && c.finish_reason !== undefined) {
      if (typeof c.finish_reason !== 'string') return this.fail('finish_reason is not a string');
      this.finishReason = c.finish_reason;
    }
  }

  /** At the end of the response body. */
  verdict(): StreamVerdict {
    if (this.problem !== null) return { kind: 'malformed', why: this.problem };
    if (this.buf !== '') return { kind: 'truncated', why: `the stream ends inside an event: ${JSON.stringify(this.buf.slice(0, 80))}` };
    if (!this.done) return { kind: 'truncated', why: `no [DONE] after ${this.numEvents} events` };
    if (this.finishReason !== 'length') return { kind: 'malformed', why: `finish_reason ${JSON.stringify(this.finishReason)}, expected "length" (ignore_eos, no stop)` };
    if (this.usageTokens !== this.maxTokens) return { kind: 'truncated', why: `usage reports ${this.usageTokens} completion tokens of the ${this.maxTokens} asked` };
    return { kind: 'ok', ttftS: this.firstTextS === null ? null : this.firstTextS - this.startS, numTokens: this.usageTokens, numEvents: this.numEvents };
  }
}
