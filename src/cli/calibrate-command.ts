/**
 * `phasewise calibrate`: makes the digital twin predict the real engine on this machine.
 *
 * 1. Measure: read bandwidth and matmul FLOP/s of the engine's kernels (1 thread), and the one-way time of a
 *    message between worker threads. These are the device entry's raw figures.
 * 2. Fit: run two single-request probes on the engine — a batch-1 decode (its time per token) and one prefill
 *    of the workload's prompt length (its time to first token) — and scale the entry's bandwidth and FLOP/s
 *    until the twin's step-cost model gives those two times (the twin applies its own efficiency curves and
 *    per-step overheads, so the entry holds "what the twin must believe" rather than the raw probe).
 *    The pd and afd workers' entry is scaled to what one of two busy threads gets, as measured in step 1: the
 *    workers share this machine's cores while the twin's pools are separate chips (--no-shared-cores: unscaled).
 * 3. Validate on a different workload: a closed loop of `--concurrency` clients with fixed prompt and output
 *    lengths, simulated by the twin (runScenario) and run on the engine, per topology. Printed: predicted and
 *    measured mean TTFT and TPOT and their error. Nothing of step 3 feeds back into the fit.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { openCheckpoint } from '../engine/checkpoint.js';
import { TOPOLOGIES, type Engine, type Topology } from '../engine/engine.js';
import { DEFAULT_SIZING, type EngineSizing } from '../engine/local.js';
import { GREEDY } from '../engine/sampler.js';
import { Catalog } from '../hardware/catalog.js';
import type { Device } from '../hardware/types.js';
import type { ModelArch } from '../models/types.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { uniformDecodeShape } from '../perf/decode-shape.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { StepShape } from '../perf/types.js';
import { ScenarioSchema, type Scenario } from '../scenario/schema.js';
import { probeHop, probeMachine } from '../server/measure.js';
import { sourceOf, type ModelLocation } from '../server/model-location.js';
import { createThreadedEngine } from '../server/threads.js';
import { runScenario } from '../sim/run.js';
import { syntheticModelDir } from './bench-engine-command.js';
import { loadModel } from './load.js';
import { intFlag } from './serve-command.js';

export interface CalibrateFlags {
  model?: string;
  synthetic?: string;
  topology: string;
  concurrency: string;
  isl: string;
  osl: string;
  requests: string;
  out?: string;
  json: boolean;
  sharedCores: boolean;
}

export const DEVICE_ID = 'this-cpu';

interface Raw {
  readonly readBandwidthBytesPerS: number;
  readonly matmulFlopsPerS: number;
  readonly hopLatencyS: number;
  /**
   * What one of two threads busy at once gets, relative to one thread alone (bandwidth, FLOP/s): the pd and afd
   * workers run on this machine's cores, not on separate chips as the twin assumes, so their device entry is a
   * worker's share of the machine when both workers are busy.
   */
  readonly sharedBandwidthFactor: number;
  readonly sharedFlopsFactor: number;
}

/** A device entry (hardware-file format, see docs/hardware.md) with these figures. */
export function deviceEntry(bandwidthBytesPerS: number, flopsPerS: number, raw: Raw, totalMemBytes: number): Record<string, unknown> {
  const src = `phasewise calibrate on ${os.hostname()} (${os.cpus()[0]?.model ?? 'cpu'}), ${new Date().toISOString().slice(0, 10)}`;
  return {
    id: DEVICE_ID,
    name: 'This machine (one engine worker thread)',
    vendor: 'measured',
    kind: 'asic',
    flopsPerS: { bf16: { value: flopsPerS, source: src, note: `fitted; raw f32 matmul probe ${(raw.matmulFlopsPerS / 1e9).toFixed(1)} GFLOP/s` } },
    memory: { hbm: { capacityBytes: { value: totalMemBytes, source: 'os.totalmem()' }, bandwidthBytesPerS: { value: bandwidthBytesPerS, source: src, note: `fitted; raw read probe ${(raw.readBandwidthBytesPerS / 1e9).toFixed(1)} GB/s` } } },
    scaleUp: { bandwidthBytesPerS: { value: raw.readBandwidthBytesPerS, source: src, note: 'threads share memory' }, latencyS: { value: raw.hopLatencyS, source: src, note: 'one-way postMessage between worker threads' }, domainChips: { value: os.availableParallelism(), source: 'os.availableParallelism()' } },
    scaleOut: { bandwidthBytesPerS: { value: raw.readBandwidthBytesPerS, source: src }, latencyS: { value: raw.hopLatencyS, source: src } },
  };
}

/** The fitted entry scaled to one worker's share of the machine while two workers are busy (pd, afd). */
function sharedEntry(entry: Record<string, unknown>, raw: Raw): Record<string, unknown> {
  const e = entry as { flopsPerS: { bf16: { value: number } }; memory: { hbm: { bandwidthBytesPerS: { value: number } } } };
  return deviceEntry(e.memory.hbm.bandwidthBytesPerS.value * raw.sharedBandwidthFactor, e.flopsPerS.bf16.value * raw.sharedFlopsFactor, raw, (entry as { memory: { hbm: { capacityBytes: { value: number } } } }).memory.hbm.capacityBytes.value);
}

function deviceOf(entry: Record<string, unknown>): { catalog: Catalog; device: Device } {
  const catalog = Catalog.builtin().withOverrides({ devices: [entry] }, 'calibrate');
  return { catalog, device: catalog.get(DEVICE_ID) };
}

const prefillShape = (p: number): StepShape => ({ numTokens: p, numSeqs: 1, numPrefillSeqs: 1, prefillTokens: p, prefillAttnPairs: (p * (p + 1)) / 2, prefillKvTokens: p, numDecodeSeqs: 0, decodeKvTokens: 0 });

function twinTimes(model: ModelArch, entry: Record<string, unknown>, isl: number): { decodeS: number; prefillS: number } {
  const { device } = deviceOf(entry);
  const cost = makeStepCost({ device, model, par: { tp: 1, pp: 1, ep: 1, moeTp: 1, dp: 1 }, weightDtype: 'fp32', moeDtype: 'fp32', kvDtype: 'fp32', backend: 'generic' });
  return { decodeS: cost(uniformDecodeShape(1, isl)).totalS, prefillS: cost(prefillShape(isl)).totalS };
}

/** Scales bandwidth and FLOP/s until the twin's batch-1 decode step and prefill match the measured ones. */
export function fitDevice(model: ModelArch, raw: Raw, measured: { decodeS: number; prefillS: number }, isl: number, mem: number): { entry: Record<string, unknown>; fitErr: number } {
  let bw = raw.readBandwidthBytesPerS;
  let fl = raw.matmulFlopsPerS;
  let entry = deviceEntry(bw, fl, raw, mem);
  let err = Infinity;
  for (let i = 0; i < 40; i++) {
    const t = twinTimes(model, entry, isl);
    err = Math.max(Math.abs(t.decodeS / measured.decodeS - 1), Math.abs(t.prefillS / measured.prefillS - 1));
    if (err < 0.005) break;
    // Decode is bound by bandwidth, prefill by FLOP/s; each ratio moves its own figure (damped).
    bw *= Math.pow(t.decodeS / measured.decodeS, 0.8);
    fl *= Math.pow(t.prefillS / measured.prefillS, 0.8);
    entry = deviceEntry(bw, fl, raw, mem);
  }
  return { entry, fitErr: err };
}

interface Lat {
  ttftS: number;
  tpotS: number;
}

function request(engine: Engine, prompt: number[], osl: number, now: () => number): Promise<Lat & { times: number[] }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const times: number[] = [];
    const r = engine.submit({ promptIds: prompt, maxTokens: osl, sampling: GREEDY, seed: 1, stopTokenIds: [] }, {
      onToken: () => {
        times.push(now());
        return false;
      },
      onFinish: (reason, detail) => {
        if (reason !== 'length') return reject(new Error(`calibration request ended: ${reason} ${detail ?? ''}`));
        resolve({ ttftS: times[0]! - t0, tpotS: times.length > 1 ? (times[times.length - 1]! - times[0]!) / (times.length - 1) : 0, times });
      },
    });
    if (!r.ok) reject(new UsageError('calibration request', r.reason, 'a request that fits the KV cache'));
  });
}

const promptOf = (n: number, salt: number): number[] => Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729 + 17) % 256);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A closed loop of c clients, n requests in all; mean TTFT and TPOT. */
async function closedLoop(engine: Engine, c: number, n: number, isl: number, osl: number, now: () => number): Promise<Lat> {
  const lats: Lat[] = [];
  let issued = 0;
  const client = async (): Promise<void> => {
    while (issued < n) {
      const k = issued++;
      lats.push(await request(engine, promptOf(isl, 100 + k), osl, now));
    }
  };
  await Promise.all(Array.from({ length: c }, client));
  return { ttftS: mean(lats.map((l) => l.ttftS)), tpotS: mean(lats.map((l) => l.tpotS)) };
}

function scenarioFor(topology: Topology, configPath: string, entry: Record<string, unknown>, sizing: EngineSizing, c: number, n: number, isl: number, osl: number, hopS: number): Scenario {
  const pool = {
    device: DEVICE_ID,
    replicas: 1,
    parallelism: { tp: 1, pp: 1, ep: 1, dp: 1 },
    scheduler: { maxNumBatchedTokens: sizing.maxNumBatchedTokens, maxNumSeqs: sizing.maxNumSeqs, blockSizeTokens: sizing.blockSizeTokens, chunkedPrefill: true, prefixCaching: false },
  };
  const link = { class: 'custom', bandwidthBytesPerS: 1e12, latencyS: hopS };
  const topo =
    topology === 'colocated' ? { kind: 'colocated', pool }
    : topology === 'pd' ? { kind: 'pd', prefill: pool, decode: pool, link, kvTransfer: 'whole' }
    : { kind: 'afd', attention: pool, ffn: pool, microBatches: sizing.numMicroBatches, link };
  return ScenarioSchema.parse({
    name: `calibrate ${topology}`,
    model: configPath,
    precision: { weights: 'fp32', kv: 'fp32' },
    backend: 'generic',
    topology: topo,
    workload: { arrival: { kind: 'closed', concurrency: c }, input: { kind: 'fixed', tokens: isl }, output: { kind: 'fixed', tokens: osl }, requests: n },
    hardware: { devices: [entry] },
  });
}

export interface CalibrationRow {
  readonly topology: Topology;
  readonly predicted: Lat;
  readonly measured: Lat;
}

export interface CalibrationResult {
  readonly device: Record<string, unknown>;
  readonly fit: { readonly measuredDecodeS: number; readonly measuredPrefillS: number; readonly residual: number; readonly sharedBandwidthFactor: number; readonly sharedFlopsFactor: number; readonly sharedCoresApplied: boolean };
  readonly workload: { readonly concurrency: number; readonly isl: number; readonly osl: number; readonly requests: number };
  readonly rows: readonly CalibrationRow[];
}

export async function calibrate(f: CalibrateFlags, log: (s: string) => void): Promise<CalibrationResult> {
  if ((f.model === undefined) === (f.synthetic === undefined)) throw new UsageError('--model / --synthetic', 'both or neither', 'exactly one: a checkpoint directory, or a synthetic model name (tiny, 110m, 1b)');
  const dir = f.model ?? syntheticModelDir(f.synthetic!);
  const topologies: Topology[] = f.topology === 'all' ? [...TOPOLOGIES] : [f.topology as Topology];
  if (f.topology !== 'all' && !(TOPOLOGIES as readonly string[]).includes(f.topology)) throw new UsageError('--topology', f.topology, `all, ${TOPOLOGIES.join(', ')}`);
  const c = intFlag('--concurrency', f.concurrency, 1, 64);
  const isl = intFlag('--isl', f.isl, 1);
  const osl = intFlag('--osl', f.osl, 2);
  const n = intFlag('--requests', f.requests, 1);
  const loc: ModelLocation = { kind: 'dir', path: dir };
  const ck = openCheckpoint(sourceOf(loc));
  const model = loadModel(join(dir, 'config.json'), '--model');
  const blocksPerSeq = Math.ceil((isl + osl) / 16) + 1;
  const sizing: EngineSizing = { ...DEFAULT_SIZING, enablePrefixCaching: false, numKvBlocks: Math.max(64, 2 * c * blocksPerSeq), maxNumSeqs: Math.max(c, 4), maxNumBatchedTokens: Math.max(512, isl) };
  const now = (): number => performance.now() / 1000;

  log('measuring this machine (kernels, bandwidth, thread hops)…');
  const probe = await probeMachine(1);
  const probe2 = await probeMachine(2);
  const hop = await probeHop(4 * ck.config.hiddenSize * c);
  const raw: Raw = {
    readBandwidthBytesPerS: probe.readBandwidthBytesPerS,
    matmulFlopsPerS: probe.matmulFlopsPerS,
    hopLatencyS: hop.latencyS,
    sharedBandwidthFactor: Math.min(1, probe2.readBandwidthBytesPerS / 2 / probe.readBandwidthBytesPerS),
    sharedFlopsFactor: Math.min(1, probe2.matmulFlopsPerS / 2 / probe.matmulFlopsPerS),
  };

  log('fitting the device entry to a batch-1 decode and a single prefill on the engine…');
  const probeEngine = await createThreadedEngine(loc, ck, { ...sizing, topology: 'colocated' }, 1);
  let measuredDecodeS: number;
  let measuredPrefillS: number;
  try {
    await request(probeEngine, promptOf(8, 1), 4, now);
    const pre: number[] = [];
    for (let i = 0; i < 3; i++) pre.push((await request(probeEngine, promptOf(isl, 2 + i), 2, now)).ttftS);
    measuredPrefillS = [...pre].sort((a, b) => a - b)[1]!;
    measuredDecodeS = (await request(probeEngine, promptOf(isl, 9), Math.max(osl, 16), now)).tpotS;
  } finally {
    await probeEngine.close();
  }
  const fit = fitDevice(model, raw, { decodeS: measuredDecodeS, prefillS: measuredPrefillS }, isl, os.totalmem());
  if (f.out !== undefined) writeFileSync(f.out, `${JSON.stringify({ devices: [fit.entry] }, null, 2)}\n`);

  const rows: CalibrationRow[] = [];
  for (const topology of topologies) {
    log(`${topology}: simulating, then running ${n} requests (concurrency ${c}, ${isl} in / ${osl} out) on the engine…`);
    const entry = topology === 'colocated' || !f.sharedCores ? fit.entry : sharedEntry(fit.entry, raw);
    const scenario = scenarioFor(topology, join(dir, 'config.json'), entry, sizing, c, n, isl, osl, raw.hopLatencyS);
    const { catalog } = deviceOf(entry);
    const sim = runScenario(scenario, { catalog, model, trace: null, memoryPlan, makeStepCost });
    const predicted = { ttftS: (sim.metrics.ttftMs?.mean ?? NaN) / 1000, tpotS: (sim.metrics.tpotMs?.mean ?? NaN) / 1000 };
    const engine = await createThreadedEngine(loc, ck, { ...sizing, topology }, 1);
    try {
      await request(engine, promptOf(8, 3), 4, now);
      const measured = await closedLoop(engine, c, n, isl, osl, now);
      rows.push({ topology, predicted, measured });
    } finally {
      await engine.close();
    }
  }
  return { device: fit.entry, fit: { measuredDecodeS, measuredPrefillS, residual: fit.fitErr, sharedBandwidthFactor: raw.sharedBandwidthFactor, sharedFlopsFactor: raw.sharedFlopsFactor, sharedCoresApplied: f.sharedCores }, workload: { concurrency: c, isl, osl, requests: n }, rows };
}

export function calibrationTable(r: CalibrationResult): string {
  const ms = (s: number): string => (s * 1000).toFixed(1);
  const err = (p: number, m: number): string => `${p >= m ? '+' : ''}${((100 * (p - m)) / m).toFixed(0)}%`;
  const dev = r.device as { flopsPerS: { bf16: { value: number } }; memory: { hbm: { bandwidthBytesPerS: { value: number } } } };
  const lines = [
    `device ${DEVICE_ID}: ${(dev.memory.hbm.bandwidthBytesPerS.value / 1e9).toFixed(1)} GB/s, ${(dev.flopsPerS.bf16.value / 1e9).toFixed(1)} GFLOP/s (fitted to a batch-1 decode of ${ms(r.fit.measuredDecodeS)} ms/token and a prefill of ${ms(r.fit.measuredPrefillS)} ms; residual ${(100 * r.fit.residual).toFixed(1)}%)`,
    `two threads busy at once each get ${(100 * r.fit.sharedBandwidthFactor).toFixed(0)}% of the bandwidth and ${(100 * r.fit.sharedFlopsFactor).toFixed(0)}% of the FLOP/s of one thread alone; ${r.fit.sharedCoresApplied ? 'applied to the pd and afd workers (--no-shared-cores: not applied)' : 'not applied (--no-shared-cores): the twin treats the pd and afd workers as separate devices'}`,
    `workload: closed loop, concurrency ${r.workload.concurrency}, ${r.workload.isl} tokens in, ${r.workload.osl} out, ${r.workload.requests} requests`,
    '',
  ];
  const rows = [['topology', 'TTFT pred ms', 'TTFT meas ms', 'TTFT err', 'TPOT pred ms', 'TPOT meas ms', 'TPOT err']];
  for (const x of r.rows) rows.push([x.topology, ms(x.predicted.ttftS), ms(x.measured.ttftS), err(x.predicted.ttftS, x.measured.ttftS), ms(x.predicted.tpotS), ms(x.measured.tpotS), err(x.predicted.tpotS, x.measured.tpotS)]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r2) => r2[i]!.length)));
  for (const row of rows) lines.push(row.map((cell, i) => (i === 0 ? cell.padEnd(w[i]!) : cell.padStart(w[i]!))).join('  '));
  return lines.join('\n');
}
