/**
 * Prometheus metrics of the engine (prom-client, a registry of our own): TTFT, TPOT, end-to-end latency,
 * tokens, finished requests by reason, requests refused by error code, and per pool the queue depth, running
 * requests, KV-cache blocks in use (and usage ratio) and the time each worker phase took (prefill/decode/…).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, EngineObserver } from '../engine/engine.js';

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class EngineMetrics {
  readonly registry = new Registry();
  private readonly ttft = new Histogram({ name: 'phasewise_time_to_first_token_seconds', help: 'Time from arrival to the first output token', buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  private readonly tpot = new Histogram({ name: 'phasewise_time_per_output_token_seconds', help: 'Mean time between output tokens of a request, after the first', buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  private readonly e2e = new Histogram({ name: 'phasewise_e2e_request_latency_seconds', help: 'Time from arrival to the end of a request', buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  private readonly promptTokens = new Counter({ name: 'phasewise_prompt_tokens_total', help: 'Prompt tokens of finished requests', registers: [this.registry] });
  private readonly genTokens = new Counter({ name: 'phasewise_generation_tokens_total', help: 'Output tokens of finished requests', registers: [this.registry] });
  private readonly finished = new Counter({ name: 'phasewise_requests_finished_total', help: 'Finished requests by reason', labelNames: ['reason'], registers: [this.registry] });
  private readonly stageSeconds = new Counter({ name: 'phasewise_stage_seconds_total', help: 'Seconds spent per pool and worker phase', labelNames: ['pool', 'phase'], registers: [this.registry] });
  private readonly steps = new Counter({ name: 'phasewise_steps_total', help: 'Model steps run per pool', labelNames: ['pool'], registers: [this.registry] });
  private readonly stepTokens = new Counter({ name: 'phasewise_step_tokens_total', help: 'Tokens computed per pool', labelNames: ['pool'], registers: [this.registry] });
  private readonly rejected = new Counter({ name: 'phasewise_requests_rejected_total', help: 'Requests answered with an error before or instead of generating, by HTTP status and error code', labelNames: ['status', 'code'], registers: [this.registry] });

  constructor(engine: () => Engine | null) {
    const queue = new Gauge({ name: 'phasewise_num_requests_waiting', help: 'Requests waiting in each pool\'s queue', labelNames: ['pool'], registers: [this.registry] });
    const running = new Gauge({ name: 'phasewise_num_requests_running', help: 'Requests running in each pool', labelNames: ['pool'], registers: [this.registry] });
    const kv = new Gauge({ name: 'phasewise_kv_cache_usage_ratio', help: 'KV-cache blocks in use / capacity, per pool', labelNames: ['pool'], registers: [this.registry] });
    // Cached prefix blocks no request holds are evictable, so not "in use": the gauge returns to 0 when idle.
    const kvUsed = new Gauge({ name: 'phasewise_kv_blocks_in_use', help: 'KV-cache blocks held by live requests, per pool', labelNames: ['pool'], registers: [this.registry] });
    const kvTotal = new Gauge({ name: 'phasewise_kv_blocks_total', help: 'KV-cache blocks per pool', labelNames: ['pool'], registers: [this.registry] });
    const live = new Gauge({ name: 'phasewise_num_requests_live', help: 'Requests admitted and not yet finished (the admission queue counts these)', registers: [this.registry] });
    // Gauges are read from the schedulers at scrape time.
    const collect = (): void => {
      const e = engine();
      if (!e) return;
      for (const { name, scheduler } of e.schedulers) {
        const l = scheduler.load();
        queue.set({ pool: name }, l.numWaiting);
        running.set({ pool: name }, l.numRunning);
        kv.set({ pool: name }, l.kvUsage);
        kvUsed.set({ pool: name }, scheduler.numUsedBlocks);
        kvTotal.set({ pool: name }, scheduler.numKvBlocks);
      }
      live.set(e.numLive);
    };
    this.collectNow = collect;
  }

  private readonly collectNow: () => void;

  readonly observer: EngineObserver = {
    onStep: (pool, info) => {
      this.steps.inc({ pool });
      this.stepTokens.inc({ pool }, info.numTokens);
      for (const [phase, s] of Object.entries(info.phaseTimesS)) if (phase !== 'microBatches' && s > 0) this.stageSeconds.inc({ pool, phase }, s);
    },
    onRequestDone: (info) => {
      if (info.ttftS !== null) this.ttft.observe(info.ttftS);
      if (info.tpotS !== null) this.tpot.observe(info.tpotS);
      this.e2e.observe(info.e2eS);
      this.promptTokens.inc(info.numPromptTokens);
      this.genTokens.inc(info.numOutputTokens);
      this.finished.inc({ reason: info.reason });
    },
  };

  /** An error answer (4xx/5xx) to a request; `code` is one of the server's fixed error codes. */
  countRejected(status: number, code: string | null): void {
    this.rejected.inc({ status: String(status), code: code ?? 'none' });
  }

  async text(): Promise<string> {
    this.collectNow();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
