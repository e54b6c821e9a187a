/**
 * The OpenAI request bodies phasewise accepts, as strict zod schemas: an unknown parameter, a wrong type or a
 * value out of range is a 400 with an OpenAI-style error body naming the parameter. Fields OpenAI defines but
 * the engine cannot honour (n > 1, logprobs, tools, penalties ≠ 0) are refused the same way, never ignored.
 */
import { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: string = status >= 500 ? 'server_error' : 'invalid_request_error',
    /** Extra response headers (Retry-After on 429/503, Connection: close on 413). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

const stop = nullish(z.union([z.string(), z.array(z.string()).max(8)]));
const zeroPenalty = nullish(z.literal(0));

const common = {
  model: z.string(),
  max_tokens: nullish(z.number().int().min(1)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  top_k: nullish(z.number().int().min(-1)),
  stop,
  seed: nullish(z.number().int()),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.strictObject({ include_usage: nullish(z.boolean()) })),
  n: nullish(z.literal(1)),
  user: nullish(z.string()),
  presence_penalty: zeroPenalty,
  frequency_penalty: zeroPenalty,
  ignore_eos: nullish(z.boolean()),
};

export const CompletionRequest = z.strictObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1), z.array(z.number().int().min(0)).min(1)]),
  echo: nullish(z.literal(false)),
  logprobs: nullish(z.null()),
  best_of: nullish(z.literal(1)),
  suffix: nullish(z.null()),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart)]),
  name: nullish(z.string()),
});

export const ChatRequest = z.strictObject({
  ...common,
  messages: z.array(message).min(1),
  max_completion_tokens: nullish(z.number().int().min(1)),
  logprobs: nullish(z.literal(false)),
  response_format: nullish(z.strictObject({ type: z.literal('text') })),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

/** Parses a body against a schema, turning the first zod issue into a 400 naming the parameter. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'The request body must be a JSON object.', null, 'invalid_body');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const at = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
    throw new HttpError(400, `Unknown parameter${issue.keys.length > 1 ? 's' : ''}${at}: ${keys}. phasewise accepts the OpenAI parameters listed in docs/engine.md.`, issue.keys[0] ?? null, 'unknown_parameter');
  }
  const param = issue.path.join('.');
  let value: unknown = body;
  for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
  const shown = value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 80);
  throw new HttpError(400, `Invalid value for '${param}': got ${shown}; ${issue.message}.`, param || null, 'invalid_value');
}

/** A JSON string must be valid Unicode: lone surrogates (from \ud800 escapes) are not text. */
export function checkWellFormed(s: string, param: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      throw new HttpError(400, `'${param}' is not valid UTF-8 text (a lone surrogate at character ${i}).`, param, 'invalid_encoding');
    }
    if (c >= 0xdc00 && c <= 0xdfff) throw new HttpError(400, `'${param}' is not valid UTF-8 text (a lone surrogate at character ${i}).`, param, 'invalid_encoding');
  }
}
