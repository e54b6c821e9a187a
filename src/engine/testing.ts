/** Helpers shared by the engine's and server's tests (not used at run time). */
import type { Engine, FinishReason, SubmitRequest } from './engine.js';
import { GREEDY } from './sampler.js';
import type { SyntheticSpec } from './synthetic.js';

export const TINY_SPEC: SyntheticSpec = { arch: 'llama', hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, tieWordEmbeddings: false, dtype: 'F32', numShards: 1 };

export interface Collected {
  tokens: number[];
  reason: FinishReason | null;
  detail?: string;
}

/** Submits a request and resolves with its tokens when it finishes. */
export function collect(engine: Engine, req: Partial<SubmitRequest> & { promptIds: readonly number[] }): { id: number; done: Promise<Collected> } {
  const c: Collected = { tokens: [], reason: null };
  let resolve!: (v: Collected) => void;
  const done = new Promise<Collected>((r) => (resolve = r));
  const res = engine.submit({ maxTokens: 8, sampling: GREEDY, seed: 1, stopTokenIds: [], ...req }, {
    onToken: (t) => {
      c.tokens.push(t);
      return false;
    },
    onFinish: (reason, detail) => {
      c.reason = reason;
      if (detail !== undefined) c.detail = detail;
      resolve(c);
    },
  });
  if (!res.ok) throw new Error(`submit refused: ${res.reason}`);
  return { id: res.id, done };
}

/** max |a − b| / max |b| over a row. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}
