import type { Rng } from '../core/rng.js';
import type { RouterContext } from '../sched/router.js';
import type { ReplicaLoad } from '../sched/types.js';
import { WorkloadDriver, promptBlockHashes, uniquePromptBlocks } from '../workload/driver.js';
import type { WorkloadRequest, WorkloadSpec } from '../workload/types.js';
import { DecodeCostCache, DecodeShape, planDecodeRun } from './decode-run.js';
import { EventQueue } from './event-queue.js';
import { MetricsCollector } from './metrics.js';
import type { PoolRuntime, ReplicaRuntime } from './pool.js';
import { stepShapeOf } from './step-shape.js';

/** How a request crosses from the prefill pool to the decode pool. */
export interface KvLink {
  readonly bandwidthBytesPerS: number;
  readonly latencyS: number;
  readonly layerwise: boolean;
  readonly kvBytesPerToken: number;
  readonly numLayers: number;
}

export type Deployment =
  | { readonly kind: 'colocated'; readonly pool: PoolRuntime }
  | { readonly kind: 'pd'; readonly prefill: PoolRuntime; readonly decode: PoolRuntime; readonly link: KvLink };

export interface SimOptions {
  readonly workload: WorkloadSpec;
  readonly rng: Rng;
  readonly slo: { readonly ttftS: number | null; readonly tpotS: number | null };
  /**
   * Decode fast-forward (default true): advance a replica whose batch is all decode through many steps at once
   * (docs/performance.md). False: every step is an event — the reference the fast path is tested against.
   */
  readonly fastForward?: boolean;
  /** Called as each request finishes (tests compare runs request by request). */
  readonly onFinished?: (requestId: number, firstTokenS: number, finishS: number, numOutputs: number) => void;
}

/** Events, in the order simultaneous ones are handled: completions free resources before arrivals ask for them. */
type EventKind = 'step-done' | 'kv-arrived' | 'arrival';
const RANK: Record<EventKind, number> = { 'step-done': 0, 'kv-arrived': 1, arrival: 2 };

interface InFlight {
  readonly req: WorkloadRequest;
  firstTokenS: number;
  lastTokenS: number;
  numOutputs: number;
  prefillStartS: number;
  decodeReplica: number;
}

/** ITL samples of a run are grouped into chunks whose step times differ by at most this (relative): well inside the sketch's 0.5%. */
const ITL_GROUP_TOLERANCE = 1e-3;

/**
 * A replica's load as routers see it, read when asked: a replica in a decode run has the KV usage of the step
 * in flight at the current time without its scheduler being advanced. One per replica, reused (no allocation).
 */
class LiveLoad implements ReplicaLoad {
  constructor(
    private readonly replica: ReplicaRuntime,
    private readonly clock: { nowS: number },
  ) {}

  get numWaiting(): number {
    return this.replica.sched.numWaiting;
  }

  get numRunning(): number {
    return this.replica.sched.numRunning;
  }

  get kvUsage(): number {
    const { sched, run } = this.replica;
    if (!run.active) return sched.numUsedBlocks / sched.numKvBlocks;
    const inFlightStep = Math.min(run.stepsDoneBy(this.clock.nowS) + 1, run.numSteps);
    return (sched.numUsedBlocks + sched.decodeRunNewBlocks(inFlightStep)) / sched.numKvBlocks;
  }
}

export interface SimOutcome {
  readonly metrics: MetricsCollector;
  readonly endS: number;
  readonly numIssued: number;
}

/**
 * Run the discrete-event simulation of one deployment under one workload. Pure: the clock is simulated, the
 * randomness comes from `opts.rng`, nothing is read or written outside the arguments.
 */
export function simulate(dep: Deployment, opts: SimOptions): SimOutcome {
  const pools: PoolRuntime[] = dep.kind === 'colocated' ? [dep.pool] : [dep.prefill, dep.decode];
  const PD_DECODE_POOL = 1; // dep.decode's index in `pools`
  const entry = pools[0]!;
  const driver = new WorkloadDriver(opts.workload, opts.rng);
  const events = new EventQueue<EventKind>();
  const metrics = new MetricsCollector(pools, opts.slo);
  const inFlight = new Map<number, InFlight>();
  const pending = new Map<number, WorkloadRequest>();
  const clock = { nowS: 0 };
  let nowS = 0;
  const fastForward = opts.fastForward ?? true;
  // Scratch reused by every run: the shape costed, the running ids, the finished ids.
  const runShape = new DecodeShape();
  const runIds: number[] = [];
  const runFinished: number[] = [];
  const loads: ReplicaLoad[][] = pools.map((p) => p.replicas.map((r) => new LiveLoad(r, clock)));
  // Decode step times cached by batch shape, per pool (each pool has its own cost model).
  const decodeCosts = pools.map((p) => new DecodeCostCache(p.stepCost));
  // One router context per simulation, its hashes swapped per request: no closure per arrival.
  let routeHashes: readonly number[] = [];
  let routePool: PoolRuntime = entry;
  const routeCtx: { blockHashes: readonly number[]; readonly prefixHits: (i: number) => number } = {
    blockHashes: routeHashes,
    prefixHits: (i) => routePool.replicas[i]!.sched.cachedPrefixBlocks(routeHashes),
  };
  const noCtx: RouterContext = {};

  const enqueueArrival = (req: WorkloadRequest): void => {
    pending.set(req.id, req);
    events.push(req.arrivalS, RANK.arrival, 'arrival', req.id);
  };
  for (const req of driver.initial()) enqueueArrival(req);

  const canFastForward = (pool: PoolRuntime): boolean =>
    fastForward && pool.role !== 'prefill' && pool.spec === undefined && pool.stepCostOf === undefined;

  const kick = (pool: PoolRuntime, poolIndex: number, replica: ReplicaRuntime): void => {
    if (replica.busy || !replica.sched.hasWork()) return;
    if (canFastForward(pool)) {
      // A prefix-aware router asks replicas mid-run what they have cached: their runs must not evict.
      const m = replica.sched.decodeRunSteps(Number.MAX_SAFE_INTEGER, pool.config.router !== 'prefix-aware');
      if (m >= 2) {
        const run = replica.run;
        planDecodeRun(run, m, replica.sched.numRunning, replica.sched.decodeRunKvTokens(), nowS, pool.stepCost, runShape, decodeCosts[poolIndex]);
        replica.busy = true;
        replica.stepStartS = nowS;
        replica.eventSeq = events.push(run.endS(run.numSteps), RANK['step-done'], 'step-done', replica.index, poolIndex);
        return;
      }
    }
    const step = pool.spec ? replica.sched.schedule(pool.spec.draftTokens(replica)) : replica.sched.schedule();
    if (step.seqs.length === 0) return;
    const cost = pool.stepCostOf ? pool.stepCostOf(step) : pool.stepCost(stepShapeOf(step));
    replica.busy = true;
    replica.step = step;
    replica.stepStartS = nowS;
    for (const seq of step.seqs) {
      const f = inFlight.get(seq.id);
      if (f && f.prefillStartS < 0 && pool.role !== 'decode') f.prefillStartS = nowS;
    }
    replica.eventSeq = events.push(nowS + cost.totalS, RANK['step-done'], 'step-done', replica.index, poolIndex);
  };

  /**
   * Account for the first `k` steps of the replica's run as if each had been simulated: scheduler state, tokens,
   * ITL samples, busy time and KV occupancy; then finish the requests that reached their last output.
   */
  const applyRun = (replica: ReplicaRuntime, k: number): void => {
    const { run, sched } = replica;
    const endS = run.endS(k);
    const durationS = endS - run.startS;
    // KV occupancy after the first and the k-th step's allocation (what a step-by-step run samples at each
    // step's end); the run's time-weighted share uses their mean.
    const used = sched.numUsedBlocks;
    const u1 = (used + sched.decodeRunNewBlocks(1)) / sched.numKvBlocks;
    const uk = k === 1 ? u1 : (used + sched.decodeRunNewBlocks(k)) / sched.numKvBlocks;
    replica.busyS += durationS;
    replica.numSteps += k;
    replica.kvUsageWeightedS += ((u1 + uk) / 2) * durationS;
    if (uk > replica.maxKvUsage) replica.maxKvUsage = uk;
    const n = sched.runningIdsInto(runIds);
    sched.advanceDecode(k, runFinished);
    const firstEndS = run.endS(1);
    let numGapsOfT0 = 0;
    for (let i = 0; i < n; i++) {
      const f = inFlight.get(runIds[i]!);
      if (!f) continue;
      if (f.numOutputs === 0) f.firstTokenS = firstEndS;
      else if (f.lastTokenS === run.startS) numGapsOfT0++;
      else metrics.recordItl(firstEndS - f.lastTokenS);
      f.numOutputs += k;
      f.lastTokenS = endS;
    }
    metrics.recordItlMany(run.t0S, numGapsOfT0);
    // Gaps 2..k of every sequence are the step times t_1..t_(k-1): weighted samples, grouped so that the times
    // inside a group differ by less than ITL_GROUP_TOLERANCE; each group records its exact mean.
    if (k > 1) {
      const spreadS = Math.abs(run.slopeS) * (k - 2);
      const groups = Math.min(k - 1, 1 + Math.floor(spreadS / (ITL_GROUP_TOLERANCE * run.t0S)));
      for (let g = 0; g < groups; g++) {
        const ja = 1 + Math.floor((g * (k - 1)) / groups);
        const jb = Math.floor(((g + 1) * (k - 1)) / groups);
        metrics.recordItlMany(run.t0S + (run.slopeS * (ja + jb)) / 2, (jb - ja + 1) * n);
      }
    }
    for (const id of runFinished) {
      const f = inFlight.get(id);
      if (f) finish(f);
    }
  };

  /**
   * Something is about to change the replica (a request joins it): cut its run at the current time. The steps
   * that ended by now are applied; the one in flight stays, alone, as the run's last step: it was scheduled at
   * its start, before the newcomer existed, and ends where the run said.
   */
  const settle = (pool: PoolRuntime, poolIndex: number, replica: ReplicaRuntime): void => {
    const run = replica.run;
    if (!run.active || run.numSteps === 1) return;
    const k = Math.min(run.stepsDoneBy(nowS), run.numSteps - 1);
    if (k > 0) applyRun(replica, k);
    run.keepStep(k);
    replica.stepStartS = run.startS;
    replica.eventSeq = events.push(run.endS(1), RANK['step-done'], 'step-done', replica.index, poolIndex);
  };

  const admit = (pool: PoolRuntime, poolIndex: number, f: InFlight): void => {
    const hashes = pool.schedConfig.enablePrefixCaching ? promptBlockHashes(f.req, pool.schedConfig.blockSizeTokens) : [];
    routeHashes = hashes;
    routePool = pool;
    routeCtx.blockHashes = hashes;
    const r = pool.route(loads[poolIndex]!, routeCtx);
    const replica = pool.replicas[r]!;
    settle(pool, poolIndex, replica);
    const added = replica.sched.add({
      id: f.req.id,
      promptTokens: f.req.promptTokens,
      // A prefill pool stops each request at its first token; the decode pool takes it from there.
      maxOutputTokens: pool.role === 'prefill' ? 1 : f.req.outputTokens,
      blockHashes: hashes,
      numUniqueBlocks: pool.schedConfig.enablePrefixCaching ? uniquePromptBlocks(f.req, pool.schedConfig.blockSizeTokens) : 0,
    });
    if (!added.ok) {
      metrics.recordRejected(f.req, added.reason);
      inFlight.delete(f.req.id);
      followUp(f.req);
      return;
    }
    kick(pool, poolIndex, replica);
  };

  const followUp = (req: WorkloadRequest): void => {
    const next = driver.onFinish(req, nowS);
    if (next) enqueueArrival(next);
  };

  const finish = (f: InFlight): void => {
    inFlight.delete(f.req.id);
    metrics.recordFinished(f.req, f.firstTokenS, nowS, f.numOutputs);
    opts.onFinished?.(f.req.id, f.firstTokenS, nowS, f.numOutputs);
    followUp(f.req);
  };

  const onToken = (f: InFlight): void => {
    if (f.numOutputs === 0) f.firstTokenS = nowS;
    else metrics.recordItl(nowS - f.lastTokenS);
    f.lastTokenS = nowS;
    f.numOutputs++;
  };

  for (;;) {
    const ev = events.pop();
    if (!ev) break;
    nowS = ev.timeS;
    clock.nowS = nowS;
    switch (ev.kind) {
      case 'arrival': {
        const req = pending.get(ev.target)!;
        pending.delete(ev.target);
        const f: InFlight = { req, firstTokenS: -1, lastTokenS: -1, numOutputs: 0, prefillStartS: -1, decodeReplica: -1 };
        inFlight.set(req.id, f);
        admit(entry, 0, f);
        if (opts.workload.arrival.kind !== 'closed' && req.turn === 1) {
          const next = driver.nextArrival();
          if (next) enqueueArrival(next);
        }
        break;
      }
      case 'step-done': {
        const pool = pools[ev.pool]!;
        const replica = pool.replicas[ev.target]!;
        if (ev.seq !== replica.eventSeq) break; // superseded: its run was cut (settle)
        if (replica.run.active) {
          applyRun(replica, replica.run.numSteps);
          replica.run.numSteps = 0;
          replica.busy = false;
          kick(pool, ev.pool, replica);
          break;
        }
        const step = replica.step!;
        const durationS = nowS - replica.stepStartS;
        replica.busy = false;
        replica.step = null;
        replica.busyS += durationS;
        replica.numSteps++;
        const usage = replica.sched.numUsedBlocks / replica.sched.numKvBlocks;
        replica.kvUsageWeightedS += usage * durationS;
        if (usage > replica.maxKvUsage) replica.maxKvUsage = usage;
        // Speculative decoding: each verifying sequence keeps its accepted drafts plus the sampled token.
        const accepted = pool.spec ? pool.spec.sampleAccepted(step) : undefined;
        const outcome = replica.sched.complete(step, undefined, accepted);
        if (pool.role === 'prefill' && dep.kind === 'pd') {
          for (const id of outcome.finishedIds) startKvTransfer(dep, inFlight.get(id)!, events, nowS);
        } else {
          for (const id of outcome.sampledIds) {
            const f = inFlight.get(id);
            if (!f) continue;
            const n = 1 + (accepted?.get(id) ?? 0);
            for (let i = 0; i < n && f.numOutputs < f.req.outputTokens; i++) onToken(f);
          }
          for (const id of outcome.finishedIds) {
            const f = inFlight.get(id);
            if (f) finish(f);
          }
        }
        kick(pool, ev.pool, replica);
        break;
      }
      case 'kv-arrived': {
        if (dep.kind !== 'pd') break;
        const f = inFlight.get(ev.target)!;
        // The first token reaches the user with the decode worker, once the KV cache has arrived.
        onToken(f);
        if (f.numOutputs >= f.req.outputTokens) {
          finish(f);
          break;
        }
        admitToDecode(dep.decode, f);
        break;
      }
    }
  }

  function admitToDecode(pool: PoolRuntime, f: InFlight): void {
    const replica = pool.replicas[f.decodeReplica]!;
    settle(pool, PD_DECODE_POOL, replica);
    const added = replica.sched.add({
      id: f.req.id,
      promptTokens: f.req.promptTokens,
      maxOutputTokens: f.req.outputTokens,
      initialOutputTokens: 1,
      precomputedTokens: f.req.promptTokens,
    });
    if (!added.ok) {
      metrics.recordRejected(f.req, added.reason);
      inFlight.delete(f.req.id);
      followUp(f.req);
      return;
    }
    kick(pool, PD_DECODE_POOL, replica);
  }

  function startKvTransfer(d: Extract<Deployment, { kind: 'pd' }>, f: InFlight, q: EventQueue<EventKind>, now: number): void {
    const pool = d.decode;
    const r = pool.route(loads[PD_DECODE_POOL]!, noCtx);
    f.decodeReplica = r;
    const replica = pool.replicas[r]!;
    const transferS = kvTransferS(d.link, f.req.promptTokens, d.prefill.chipsPerReplica);
    const prefillS = f.prefillStartS >= 0 ? now - f.prefillStartS : 0;
    // Layer-wise: all but the part that could not overlap the prefill is hidden behind it; the last layer's
    // share always trails it.
    const exposedS = d.link.layerwise
      ? Math.max(transferS / d.link.numLayers, transferS - prefillS) + d.link.latencyS
      : transferS + d.link.latencyS;
    const startS = Math.max(now, replica.inboundLinkFreeS);
    const arriveS = startS + exposedS;
    replica.inboundLinkFreeS = arriveS;
    metrics.recordKvTransfer(f.req.promptTokens * d.link.kvBytesPerToken, arriveS - now);
    q.push(arriveS, RANK['kv-arrived'], 'kv-arrived', f.req.id);
  }

  return { metrics, endS: nowS, numIssued: driver.issued };
}

/** Seconds to move a prompt's KV cache: every chip of the prefill replica sends its own shard in parallel. */
export function kvTransferS(link: KvLink, promptTokens: number, senderChips: number): number {
  return (promptTokens * link.kvBytesPerToken) / (link.bandwidthBytesPerS * senderChips);
}
