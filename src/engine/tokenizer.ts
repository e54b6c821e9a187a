/**
 * Tokenizer and chat template of a checkpoint, through Hugging Face's own JavaScript libraries:
 * @huggingface/tokenizers reads tokenizer.json (BPE, SentencePiece-style, byte-level …), @huggingface/jinja
 * renders the `chat_template` of tokenizer_config.json. Plus an incremental detokenizer for streaming.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { UsageError } from '../core/errors.js';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

export class TextCodec {
  private readonly tok: Tokenizer;
  private readonly template: Template | null;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  /** Ids the tokenizer marks special (skipped in decoded text). */
  readonly eosTokenId: number | undefined;

  constructor(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>, where: string) {
    try {
      this.tok = new Tokenizer(tokenizerJson as object, tokenizerConfig);
    } catch (e) {
      throw new UsageError(`${where}/tokenizer.json`, e instanceof Error ? e.message : String(e), 'a tokenizer.json the Hugging Face tokenizers library can load');
    }
    this.bosToken = tokenText(tokenizerConfig['bos_token']);
    this.eosToken = tokenText(tokenizerConfig['eos_token']);
    this.eosTokenId = this.eosToken === undefined ? undefined : this.tok.token_to_id(this.eosToken);
    let tpl = tokenizerConfig['chat_template'];
    if (Array.isArray(tpl)) tpl = (tpl.find((t: { name?: string }) => t.name === 'default') as { template?: unknown } | undefined)?.template;
    if (typeof tpl === 'string') {
      try {
        this.template = new Template(tpl);
      } catch (e) {
        throw new UsageError(`${where}/tokenizer_config.json: chat_template`, e instanceof Error ? e.message : String(e), 'a Jinja template');
      }
    } else {
      this.template = null;
    }
  }

  get hasChatTemplate(): boolean {
    return this.template !== null;
  }

  /** Token ids of a plain prompt (special tokens the tokenizer adds, e.g. BOS, included). */
  encode(text: string): number[] {
    return this.tok.encode(text).ids;
  }

  /** Token ids of a templated chat prompt (the template adds any BOS itself). */
  encodeChat(messages: readonly ChatMessage[]): number[] {
    if (!this.template) throw new UsageError('messages', 'a chat request', 'a model whose tokenizer_config.json has a chat_template', 'Use /v1/completions with a plain prompt instead.');
    const text = this.template.render({ messages, add_generation_prompt: true, bos_token: this.bosToken ?? '', eos_token: this.eosToken ?? '' });
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: true });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}

/**
 * Turns a growing list of token ids into text deltas (vLLM's prefix/read offsets): decodes a short window so
 * merges across token boundaries come out right, and holds back text ending in an incomplete UTF-8 sequence.
 */
export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;
  text = '';

  constructor(private readonly codec: TextCodec) {}

  /** Adds one token; returns the new text it completes (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.codec.decode(this.ids.slice(this.prefixOffset));
    if (full.length > prefix.length && !full.endsWith('\uFFFD')) {
      const delta = full.slice(prefix.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      this.text += delta;
      return delta;
    }
    return '';
  }

  /** Whatever is still held back (at the end of generation). */
  flush(): string {
    const prefix = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.codec.decode(this.ids.slice(this.prefixOffset));
    const delta = full.length > prefix.length ? full.slice(prefix.length) : '';
    this.readOffset = this.ids.length;
    this.prefixOffset = this.readOffset;
    this.text += delta;
    return delta;
  }
}
