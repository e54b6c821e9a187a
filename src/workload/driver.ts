import type { Rng } from '../core/rng.js';
import { sampleLength } from './lengths.js';
import type { WorkloadRequest, WorkloadSpec } from './types.js';

interface SessionState {
  readonly sessionId: number;
  turn: number;
  /** Tokens of the conversation so far (prompt + answer of the last turn). */
  historyTokens: number;
}

/**
 * Issues the requests of a workload to the simulator, lazily: the simulator holds at most one pending open-loop
 * arrival, so memory does not grow with the number of requests. Follow-ups (next turn of a conversation, next
 * request of a closed-loop client) are issued when the simulator reports a request finished.
 */
export class WorkloadDriver {
  private numIssued = 0;
  private nextSessionId = 0;
  private traceCursor = 0;
  private lastOpenArrivalS = 0;
  private readonly traceTimeScale: number;
  private readonly traceSpanS: number;
  private readonly sessionOf = new Map<number, SessionState>();

  constructor(
    private readonly spec: WorkloadSpec,
    private readonly rng: Rng,
  ) {
    const rows = spec.trace?.rows ?? [];
    const first = rows[0]?.arrivalS ?? 0;
    const last = rows[rows.length - 1]?.arrivalS ?? 0;
    this.traceSpanS = Math.max(0, last - first);
    const nativeRatePerS = rows.length > 1 && this.traceSpanS > 0 ? (rows.length - 1) / this.traceSpanS : 0;
    const target = spec.arrival.kind === 'trace' ? spec.arrival.ratePerS : null;
    this.traceTimeScale = target !== null && nativeRatePerS > 0 ? nativeRatePerS / target : 1;
  }

  get issued(): number {
    return this.numIssued;
  }

  /** The requests due at the start: one per closed-loop client, or the first open-loop arrival. */
  initial(): WorkloadRequest[] {
    if (this.spec.arrival.kind === 'closed') {
      const out: WorkloadRequest[] = [];
      for (let c = 0; c < this.spec.arrival.concurrency && this.numIssued < this.spec.numRequests; c++) {
        out.push(this.newSessionRequest(0));
      }
      return out;
    }
    const first = this.nextArrival();
    return first ? [first] : [];
  }

  /** The next open-loop arrival (new conversation), or null when the workload is exhausted or closed-loop. */
  nextArrival(): WorkloadRequest | null {
    if (this.spec.arrival.kind === 'closed' || this.numIssued >= this.spec.numRequests) return null;
    const arrivalS = this.nextOpenArrivalTime();
    this.lastOpenArrivalS = arrivalS;
    return this.newSessionRequest(arrivalS);
  }

  /** Called when a request finishes at `nowS`; returns its follow-up, if any. */
  onFinish(req: WorkloadRequest, nowS: number): WorkloadRequest | null {
    const session = this.sessionOf.get(req.id);
    this.sessionOf.delete(req.id);
    if (this.numIssued >= this.spec.numRequests) return null;
    const think = this.spec.arrival.kind === 'closed' ? this.spec.arrival.thinkTimeS : 0;
    if (session && session.turn < this.spec.sessions.turns) {
      session.historyTokens = req.promptTokens + req.outputTokens;
      session.turn += 1;
      return this.turnRequest(session, nowS + this.spec.sessions.thinkTimeS);
    }
    if (this.spec.arrival.kind === 'closed') return this.newSessionRequest(nowS + think);
    return null;
  }

  private nextOpenArrivalTime(): number {
    const a = this.spec.arrival;
    switch (a.kind) {
      case 'poisson':
        return this.lastOpenArrivalS + this.rng.exponential(1 / a.ratePerS);
      case 'gamma': {
        // Gamma with mean 1/rate and the given CV: shape = 1/cv², scale = mean·cv².
        const shape = 1 / (a.cv * a.cv);
        return this.lastOpenArrivalS + this.rng.gamma(shape, (1 / a.ratePerS) / shape);
      }
      case 'trace': {
        const rows = this.spec.trace!.rows;
        const lap = Math.floor(this.traceCursor / rows.length);
        const row = rows[this.traceCursor % rows.length]!;
        const first = rows[0]!.arrivalS ?? 0;
        // Replaying past the end wraps around, one mean gap after the last arrival.
        const lapS = this.traceSpanS + (rows.length > 1 ? this.traceSpanS / (rows.length - 1) : 1);
        return ((row.arrivalS ?? 0) - first + lap * lapS) * this.traceTimeScale;
      }
      case 'closed':
        return 0;
    }
  }

  private newSessionRequest(arrivalS: number): WorkloadRequest {
    const session: SessionState = { sessionId: this.nextSessionId++, turn: 1, historyTokens: this.spec.sessions.systemPromptTokens };
    return this.turnRequest(session, arrivalS);
  }

  private turnRequest(session: SessionState, arrivalS: number): WorkloadRequest {
    const rows = this.spec.trace?.rows;
    const row = rows && rows.length > 0 ? rows[this.traceCursor % rows.length] : undefined;
    if (rows) this.traceCursor++;
    const newInput = sampleLength(this.spec.input, this.rng, row?.promptTokens);
    const outputTokens = sampleLength(this.spec.output, this.rng, row?.outputTokens);
    const req: WorkloadRequest = {
      id: this.numIssued++,
      arrivalS,
      promptTokens: session.historyTokens + newInput,
      outputTokens,
      sessionId: session.sessionId,
      turn: session.turn,
      lastTurn: session.turn >= this.spec.sessions.turns,
      historyTokens: session.historyTokens,
      sharedPrefixTokens: this.spec.sessions.systemPromptTokens,
    };
    if (session.turn < this.spec.sessions.turns) this.sessionOf.set(req.id, session);
    else if (this.spec.arrival.kind === 'closed') this.sessionOf.set(req.id, session);
    return req;
  }
}

/**
 * Chained prefix-block hashes of a request's prompt for block size `blockSizeTokens`: the system-prompt blocks
 * are shared by all requests, the rest belong to the conversation (its tokens are append-only, so block i of
 * turn t equals block i of turn t+1). A conversation's last turn gets hashes only for the blocks its history
 * covers (what earlier requests may have cached): no request can ask for the rest, its unique blocks
 * (uniquePromptBlocks).
 */
export function promptBlockHashes(req: WorkloadRequest, blockSizeTokens: number): number[] {
  const numHashed = Math.floor(req.promptTokens / blockSizeTokens) - uniquePromptBlocks(req, blockSizeTokens);
  const numShared = Math.floor(req.sharedPrefixTokens / blockSizeTokens);
  const hashes = new Array<number>(numHashed);
  for (let i = 0; i < numHashed; i++) {
    hashes[i] = i < numShared ? -(i + 1) : req.sessionId * 4_194_304 + i;
  }
  return hashes;
}

/** Full prompt blocks after promptBlockHashes(req, blockSizeTokens): cached like the rest, never asked for again. */
export function uniquePromptBlocks(req: WorkloadRequest, blockSizeTokens: number): number {
  if (!req.lastTurn) return 0;
  const numFull = Math.floor(req.promptTokens / blockSizeTokens);
  return numFull - Math.min(numFull, Math.floor(Math.max(req.sharedPrefixTokens, req.historyTokens) / blockSizeTokens));
}
