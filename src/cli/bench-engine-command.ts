/**
 * `phasewise bench-engine`: decode tokens/s at batch 1 and 16 and prefill tokens/s of the real engine, for a
 * checkpoint (or a Llama-shaped random-weight model written on the fly) and a topology, with the
 * memory-bandwidth floor (weight bytes per token / measured read bandwidth) beside them; optionally llama.cpp
 * (node-llama-cpp, if installed) on a GGUF of the same weights (scripts/write-gguf.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { openCheckpoint, type Checkpoint } from '../engine/checkpoint.js';
import type { Engine } from '../engine/engine.js';
import { GREEDY } from '../engine/sampler.js';
import { BENCH_SPECS, syntheticCheckpointFiles } from '../engine/synthetic.js';
import { probeMachine } from '../server/measure.js';
import { sourceOf, type ModelLocation } from '../server/model-location.js';
import { createThreadedEngine } from '../server/threads.js';
import { intFlag, sizingFromFlags } from './serve-command.js';

export interface BenchFlags {
  model?: string;
  synthetic?: string;
  topology: string;
  tp: string;
  quantize: string;
  promptTokens: string;
  decodeTokens: string;
  llamaCpp?: string;
  llamaCppThreads?: string;
  json: boolean;
}

export interface BenchResult {
  readonly model: string;
  readonly topology: string;
  readonly tp: number;
  readonly weightFormat: string;
  readonly weightBytesPerToken: number;
  readonly readBandwidthBytesPerS: number;
  readonly bandwidthFloorTokensPerS: number;
  readonly decodeTokensPerSBatch1: number;
  readonly decodeTokensPerSBatch16: number;
  readonly prefillTokensPerS: number;
  readonly llamaCppDecodeTokensPerSBatch1?: number;
  readonly llamaCppPrefillTokensPerS?: number;
}

/** Writes (once) a random-weight benchmark model into the temp directory; returns its path. */
export function syntheticModelDir(name: string): string {
  const spec = BENCH_SPECS[name];
  if (!spec) throw new UsageError('--synthetic', name, Object.keys(BENCH_SPECS).join(', '));
  const dir = join(tmpdir(), 'phasewise-bench', `${name}-f32-seed1`);
  if (!existsSync(join(dir, 'config.json'))) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`writing the random-weight ${name} model to ${dir} (once)…\n`);
    const files = syntheticCheckpointFiles(spec, 1);
    for (const [f, data] of files) if (f !== 'config.json') writeFileSync(join(dir, f), data);
    writeFileSync(join(dir, 'config.json'), files.get('config.json')!);
  }
  return dir;
}

/** Bytes of weights streamed per decoded token: every linear layer and lm_head (one embedding row is noise). */
export function weightBytesPerToken(ck: Checkpoint, quant: 'none' | 'int8'): number {
  const c = ck.config;
  const H = c.hiddenSize;
  const perLayer = H * (c.numHeads + 2 * c.numKvHeads) * c.headDim + c.numHeads * c.headDim * H + 3 * H * c.intermediateSize;
  const params = c.numLayers * perLayer + c.vocabSize * H;
  return params * (quant === 'int8' ? 1 + 4 / 32 : 4);
}

interface Timed {
  firstS: number;
  times: number[];
}

function run(engine: Engine, prompt: number[], maxTokens: number, now: () => number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t: Timed = { firstS: now(), times: [] };
    const r = engine.submit({ promptIds: prompt, maxTokens, sampling: GREEDY, seed: 1, stopTokenIds: [] }, {
      onToken: () => {
        t.times.push(now());
        return false;
      },
      onFinish: (reason, detail) => (reason === 'length' ? resolve(t) : reject(new Error(`bench request ended: ${reason} ${detail ?? ''}`))),
    });
    if (!r.ok) reject(new UsageError('bench request', r.reason, 'a prompt that fits the KV cache'));
  });
}

function promptOf(n: number, salt: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729 + 17) % Math.min(vocab, 256));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchEngine(f: BenchFlags): Promise<BenchResult> {
  if ((f.model === undefined) === (f.synthetic === undefined)) throw new UsageError('--model / --synthetic', 'both or neither', `exactly one: a checkpoint directory, or one of ${Object.keys(BENCH_SPECS).join(', ')}`);
  const dir = f.model ?? syntheticModelDir(f.synthetic!);
  const loc: ModelLocation = { kind: 'dir', path: dir };
  const ck = openCheckpoint(sourceOf(loc));
  const P = intFlag('--prompt-tokens', f.promptTokens, 1);
  const D = intFlag('--decode-tokens', f.decodeTokens, 2);
  const tp = intFlag('--tp', f.tp, 1, 64);
  const blockSize = 16;
  const numKvBlocks = Math.ceil((16 * (16 + D) + P + D) / blockSize) + 16;
  const sizing = sizingFromFlags({ topology: f.topology, kvBlocks: String(numKvBlocks), blockSize: String(blockSize), maxBatchTokens: String(Math.max(512, P)), maxSeqs: '16', quantize: f.quantize, prefixCaching: false });
  const now = (): number => performance.now() / 1000;
  const engine = await createThreadedEngine(loc, ck, sizing, tp);
  const V = ck.config.vocabSize;
  try {
    await run(engine, promptOf(8, 0, V), 3, now); // warm-up
    const prefill: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await run(engine, promptOf(P, i + 1, V), 1, now);
      prefill.push(P / (t.times[0]! - t.firstS));
    }
    const one = await run(engine, promptOf(16, 9, V), D, now);
    const decode1 = (D - 1) / (one.times[D - 1]! - one.times[0]!);
    const many = await Promise.all(Array.from({ length: 16 }, (_, i) => run(engine, promptOf(16, 20 + i, V), D, now)));
    const start = Math.max(...many.map((t) => t.times[0]!));
    const end = Math.min(...many.map((t) => t.times[D - 1]!));
    const inWindow = many.reduce((a, t) => a + t.times.filter((x) => x > start && x <= end).length, 0);
    const decode16 = inWindow / (end - start);
    const workers = f.topology === 'colocated' ? tp : 2;
    const probe = await probeMachine(workers);
    const bytes = weightBytesPerToken(ck, sizing.quant);
    const result: BenchResult = {
      model: f.synthetic !== undefined ? `synthetic-${f.synthetic} (random weights)` : dir,
      topology: f.topology,
      tp,
      weightFormat: sizing.quant === 'int8' ? 'int8 (32-group scales)' : 'fp32',
      weightBytesPerToken: bytes,
      readBandwidthBytesPerS: probe.readBandwidthBytesPerS,
      bandwidthFloorTokensPerS: probe.readBandwidthBytesPerS / bytes,
      decodeTokensPerSBatch1: decode1,
      decodeTokensPerSBatch16: decode16,
      prefillTokensPerS: median(prefill),
    };
    if (f.llamaCpp === undefined) return result;
    const threads = intFlag('--llama-cpp-threads', f.llamaCppThreads ?? '2', 1, 256);
    const ll = await benchLlamaCpp(f.llamaCpp, P, D, threads, V);
    return { ...result, llamaCppDecodeTokensPerSBatch1: ll.decode1, llamaCppPrefillTokensPerS: ll.prefill };
  } finally {
    await engine.close();
  }
}

/** Decode tokens/s at batch 1 and prefill tokens/s of llama.cpp through node-llama-cpp (CPU only). */
async function benchLlamaCpp(gguf: string, P: number, D: number, threads: number, vocab: number): Promise<{ decode1: number; prefill: number }> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('node-llama-cpp' as string)) as Record<string, unknown>;
  } catch {
    throw new UsageError('--llama-cpp', gguf, 'a run with node-llama-cpp installed', 'Install it with `npm install --no-save node-llama-cpp` (its npm package ships prebuilt llama.cpp binaries).');
  }
  // Typed loosely: node-llama-cpp is an optional tool, not a dependency.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Any = any;
  const getLlama = mod['getLlama'] as (o: object) => Promise<Any>;
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({ contextSize: Math.max(512, P + D + 16), batchSize: Math.max(512, P), threads, sequences: 1 });
    const seq = ctx.getSequence();
    const prompt = promptOf(P, 1, vocab);
    let t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    const prefill = P / ((performance.now() - t0) / 1000);
    await seq.clearHistory();
    const times: number[] = [];
    for await (const tok of seq.evaluate(promptOf(16, 9, vocab), { temperature: 0 })) {
      times.push(performance.now());
      if (times.length >= D || tok === undefined) break;
    }
    t0 = times[0]!;
    const decode1 = (D - 1) / ((times[D - 1]! - t0) / 1000);
    await ctx.dispose();
    return { decode1, prefill };
  } finally {
    await model.dispose();
  }
}

export function benchTable(r: BenchResult): string {
  const f1 = (x: number): string => x.toFixed(1);
  const rows: [string, string][] = [
    ['model', r.model],
    ['topology', `${r.topology}${r.tp > 1 ? ` (tp ${r.tp})` : ''}`],
    ['weights', `${r.weightFormat}, ${(r.weightBytesPerToken / 1e6).toFixed(0)} MB read per decoded token`],
    ['read bandwidth (measured)', `${(r.readBandwidthBytesPerS / 1e9).toFixed(1)} GB/s`],
    ['bandwidth floor, tokens/s', f1(r.bandwidthFloorTokensPerS)],
    ['decode tokens/s, batch 1', f1(r.decodeTokensPerSBatch1)],
    ['decode tokens/s, batch 16', f1(r.decodeTokensPerSBatch16)],
    ['prefill tokens/s', f1(r.prefillTokensPerS)],
  ];
  if (r.llamaCppDecodeTokensPerSBatch1 !== undefined) {
    rows.push(['llama.cpp decode tokens/s, batch 1', f1(r.llamaCppDecodeTokensPerSBatch1)]);
    rows.push(['llama.cpp prefill tokens/s', f1(r.llamaCppPrefillTokensPerS ?? NaN)]);
    rows.push(['phasewise / llama.cpp, decode batch 1', `${((100 * r.decodeTokensPerSBatch1) / r.llamaCppDecodeTokensPerSBatch1).toFixed(0)}%`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
