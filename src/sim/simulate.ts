import type { Rng } from '../core/rng.js';
import type { ReplicaLoad } from '../sched/types.js';
import { WorkloadDriver, promptBlockHashes } from '../workload/driver.js';
import type { WorkloadRequest, WorkloadSpec } from '../workload/types.js';
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
  const entry = pools[0]!;
  const driver = new WorkloadDriver(opts.workload, opts.rng);
  const events = new EventQueue<EventKind>();
  const metrics = new MetricsCollector(pools, opts.slo);
  const inFlight = new Map<number, InFlight>();
  const pending = new Map<number, WorkloadRequest>();
  let nowS = 0;

  const enqueueArrival = (req: WorkloadRequest): void => {
    pending.set(req.id, req);
    events.push(req.arrivalS, RANK.arrival, 'arrival', req.id);
  };
  for (const req of driver.initial()) enqueueArrival(req);

  const loadsOf = (pool: PoolRuntime): ReplicaLoad[] => pool.replicas.map((r) => r.sched.load());

  const kick = (pool: PoolRuntime, poolIndex: number, replica: ReplicaRuntime): void => {
    if (replica.busy || !replica.sched.hasWork()) return;
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
    events.push(nowS + cost.totalS, RANK['step-done'], 'step-done', replica.index, poolIndex);
  };

  const admit = (pool: PoolRuntime, poolIndex: number, f: InFlight): void => {
    const hashes = pool.schedConfig.enablePrefixCaching ? promptBlockHashes(f.req, pool.schedConfig.blockSizeTokens) : [];
    const r = pool.route(loadsOf(pool), {
      blockHashes: hashes,
      prefixHits: (i) => pool.replicas[i]!.sched.cachedPrefixBlocks(hashes),
    });
    const replica = pool.replicas[r]!;
    const added = replica.sched.add({
      id: f.req.id,
      promptTokens: f.req.promptTokens,
      // A prefill pool stops each request at its first token; the decode pool takes it from there.
      maxOutputTokens: pool.role === 'prefill' ? 1 : f.req.outputTokens,
      blockHashes: hashes,
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
        const step = replica.step!;
        const durationS = nowS - replica.stepStartS;
        replica.busy = false;
        replica.step = null;
        replica.busyS += durationS;
        replica.numSteps++;
        const usage = replica.sched.load().kvUsage;
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
    kick(pool, 1, replica);
  }

  function startKvTransfer(d: Extract<Deployment, { kind: 'pd' }>, f: InFlight, q: EventQueue<EventKind>, now: number): void {
    const pool = d.decode;
    const r = pool.route(loadsOf(pool), {});
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
