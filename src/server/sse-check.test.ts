import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseChecker, type StreamKind } from './sse-check.js';

const enc = new TextEncoder();
const ev = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;
const text = (t: string, finish: string | null = null): string => ev({ object: 'text_completion', choices: [{ index: 0, text: t, finish_reason: finish }] });
const usage = (n: number): string => ev({ object: 'text_completion', choices: [], usage: { completion_tokens: n } });
const DONE = 'data: [DONE]\n\n';

function check(kind: StreamKind, maxTokens: number, parts: readonly string[]): ReturnType<SseChecker['verdict']> {
  const c = new SseChecker(kind, maxTokens, 10);
  parts.forEach((p, i) => c.push(enc.encode(p), 10 + i));
  return c.verdict();
}

describe('SseChecker', () => {
  it('passes a complete stream, even split inside events, and measures TTFT from the first text', () => {
    const whole = text('') + text('ab') + text('c') + text('', 'length') + usage(3) + DONE;
    const first = text('').length; // the empty-text event ends inside part 1; 'ab' arrives with part 2, at t = 12
    const v = check('completion', 3, [whole.slice(0, 7), whole.slice(7, first + 5), whole.slice(first + 5)]);
    assert.deepEqual(v, { kind: 'ok', ttftS: 2, numTokens: 3, numEvents: 6 });
  });
  it('passes a chat stream whose first chunk carries only the role', () => {
    const chunk = (delta: object, finish: string | null = null): string => ev({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
    const u = ev({ object: 'chat.completion.chunk', choices: [], usage: { completion_tokens: 1 } });
    assert.equal(check('chat', 1, [chunk({ role: 'assistant', content: '' }), chunk({ content: 'x' }), chunk({}, 'length'), u, DONE]).kind, 'ok');
  });
  const bad: [string, string[], 'malformed' | 'truncated'][] = [
    ['no [DONE]', [text('a'), text('', 'length'), usage(1)], 'truncated'],
    ['ends inside an event', [text('a', 'length'), usage(1), 'data: [DO'], 'truncated'],
    ['fewer tokens than asked', [text('a', 'length'), usage(1), DONE], 'truncated'],
    ['data after [DONE]', [text('a', 'length'), usage(2), DONE, text('b')], 'malformed'],
    ['an error event', [text('a'), ev({ error: { message: 'boom' } }), DONE], 'malformed'],
    ['a line that is not data', [': comment\n\n', text('a', 'length'), usage(2), DONE], 'malformed'],
    ['invalid JSON', ['data: {"object":\n\n', DONE], 'malformed'],
    ['the wrong object', [ev({ object: 'chat.completion.chunk', choices: [] }), DONE], 'malformed'],
    ['finish reason stop', [text('a', 'stop'), usage(2), DONE], 'malformed'],
    ['a choice after the finish', [text('a', 'length'), text('b'), usage(2), DONE], 'malformed'],
  ];
  for (const [what, parts, kind] of bad) {
    it(`flags ${what} as ${kind}`, () => assert.equal(check('completion', 2, parts).kind, kind));
  }
  it('flags invalid UTF-8', () => {
    const c = new SseChecker('completion', 1, 0);
    c.push(new Uint8Array([0x64, 0x61, 0xff, 0x0a, 0x0a]), 1);
    assert.equal(c.verdict().kind, 'malformed');
  });
});
