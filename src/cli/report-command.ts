import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../core/errors.js';
import { Catalog } from '../hardware/catalog.js';
import type { Device } from '../hardware/types.js';
import { activeParamCount, paramCount } from '../models/params.js';
import { kvBytesPerToken, weightBytes } from '../models/figures.js';
import { sweepFrontiers, type FrontierResult } from '../plan/frontier.js';
import { makeEvaluator, parseJobs } from './evaluator.js';
import { FRONTIER_DEFAULTS } from './frontier-command.js';
import { reportHtml } from './html-pages.js';
import { loadModel, loadStructuredFile } from './load.js';
import { dataDir } from './paths.js';
import { scenarioFromArgs } from './scenario-input.js';
import { runScenarioFromFiles } from './simulate-command.js';

export interface ReportFlags {
  out: string;
  frontier: boolean;
  jobs?: string;
}

/** `phasewise report SCENARIO --out report.html`: one run's figures, charts and assumptions in one HTML file. */
export async function reportCommand(file: string, f: ReportFlags): Promise<void> {
  const { scenario } = scenarioFromArgs(file, {});
  const result = runScenarioFromFiles(scenario);
  const s = result.scenario;
  let catalog = Catalog.builtin();
  if (s.hardware !== undefined) {
    const entries = typeof s.hardware === 'string' ? loadStructuredFile(s.hardware, 'hardware file') : s.hardware;
    catalog = catalog.withOverrides(entries, typeof s.hardware === 'string' ? s.hardware : 'scenario field hardware');
  }
  const ids = [...new Set([...JSON.stringify(s.topology).matchAll(/"device":"([^"]+)"/g)].map((m) => m[1]!))];
  const devices: Device[] = ids.map((id) => catalog.get(id));
  const arch = loadModel(s.model, 'model');
  const weights = s.precision.weights!;
  const kv = s.precision.kv!;
  const modelSummary: Record<string, string> = {
    architecture: arch.architecture,
    layers: String(arch.numLayers),
    'hidden size': String(arch.hiddenSize),
    attention: arch.attention.kind === 'gqa' ? `GQA, ${arch.attention.numHeads} heads, ${arch.attention.numKvHeads} KV heads × ${arch.attention.headDim}` : `MLA, ${arch.attention.numHeads} heads, KV rank ${arch.attention.kvLoraRank}`,
    MoE: arch.moe ? `${arch.moe.numExperts} experts, top-${arch.moe.topK}` : 'dense',
    parameters: `${(paramCount(arch) / 1e9).toFixed(2)} B (${(activeParamCount(arch) / 1e9).toFixed(2)} B active)`,
    [`weight bytes at ${weights}`]: `${(weightBytes(arch, { weight: weights, moe: s.precision.moe ?? weights }).total / 1e9).toFixed(1)} GB`,
    [`KV bytes per token at ${kv}`]: String(kvBytesPerToken(arch, kv)),
  };
  let frontier: FrontierResult | null = null;
  if (f.frontier) {
    const evaluator = makeEvaluator(parseJobs(f.jobs));
    try {
      frontier = await sweepFrontiers(
        [{ source: file, scenario: s }],
        { load: FRONTIER_DEFAULTS.load, points: null, minRequests: Number(FRONTIER_DEFAULTS.requests), requestsPerClient: Number(FRONTIER_DEFAULTS.requestsPerClient), per: FRONTIER_DEFAULTS.per, shard: null },
        evaluator.evaluate,
      );
    } finally {
      await evaluator.close();
    }
  }
  const html = reportHtml({ source: file, result, devices, modelSummary, scenarioYaml: YAML.stringify(s), frontier, version: version() });
  try {
    fs.mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
    fs.writeFileSync(f.out, html);
  } catch (e) {
    throw new UsageError('--out', f.out, `a writable file path (${(e as Error).message})`);
  }
  process.stdout.write(`wrote ${f.out} (${(Buffer.byteLength(html) / 1e3).toFixed(0)} kB): self-contained, opens without network\n`);
}

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir(), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}
