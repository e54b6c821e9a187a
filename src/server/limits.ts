/**
 * What the server protects itself with, one place for the defaults `phasewise serve` shows in --help and
 * docs/server.md describes. Every limit answers with an OpenAI-style error naming the flag that sets it.
 */
export interface ServerLimits {
  /**
   * Requests that may wait for a batch slot: once the engine holds (batch slots + this many) requests, new
   * ones get 429 with Retry-After. Batch slots = --max-seqs per pool.
   */
  readonly maxQueuedRequests: number;
  /** Seconds from arrival to the last token; a request still running then is aborted (0 = no timeout). */
  readonly requestTimeoutS: number;
  /** Largest request body, bytes (413 beyond; checked against Content-Length before anything is read). */
  readonly maxBodyBytes: number;
  /** Longest prompt, tokens (400 beyond); null = the model's context length − 1. */
  readonly maxPromptTokens: number | null;
  /** Seconds a SIGTERM waits for in-flight requests to finish before aborting them. */
  readonly drainTimeoutS: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxQueuedRequests: 128,
  requestTimeoutS: 600,
  maxBodyBytes: 1024 * 1024,
  maxPromptTokens: null,
  drainTimeoutS: 30,
};

/** Seconds a 429 asks the client to wait: one step of a busy engine is milliseconds, a slot frees in seconds. */
export const RETRY_AFTER_S = 1;

/** Seconds a client may take to send its request headers, and its whole request (node answers 408 after). */
export const HEADERS_RECEIVE_TIMEOUT_S = 10;
export const REQUEST_RECEIVE_TIMEOUT_S = 30;
