import fs from 'node:fs';
import path from 'node:path';
import { Catalog } from '../hardware/catalog.js';
import type { ModelArch } from '../models/types.js';
import { memoryPlan } from '../perf/memory-plan.js';
import { makeStepCost } from '../perf/step-cost.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { runScenario } from '../sim/run.js';
import { parseValidationCsv } from '../validate/rows.js';
import {
  parseScenario,
  predictionsCsv,
  predictRow,
  summariseValidation,
  unparsedPrediction,
  type RowPrediction,
  type ValidationSummary,
} from '../validate/run-rows.js';
import type { GroupSummary } from '../validate/stats.js';
import { num, pct, table } from './format.js';
import { builtinModelIds, loadModel, readUserFile } from './load.js';
import { dataDir } from './paths.js';

export interface ValidateOptions {
  readonly data?: string;
  readonly out?: string;
  readonly json: boolean;
  readonly limit?: string;
}

export function defaultValidationFile(): string {
  return path.join(dataDir(), 'validation', 'silicon_dev.csv');
}

/** `phasewise validate`: replay every measured deployment and report the error of the predictions. */
export function validateCommand(opts: ValidateOptions): void {
  const file = opts.data ?? defaultValidationFile();
  const parsed = parseValidationCsv(readUserFile(file, '--data'), file);
  const limit = opts.limit !== undefined ? Number(opts.limit) : Infinity;
  const catalog = Catalog.builtin();
  const modelIds = new Set(builtinModelIds().map((m) => m.toLowerCase()));
  const models = new Map<string, ModelArch>();
  const env = {
    device: (system: string) => (catalog.has(system) ? catalog.get(system) : null),
    hasModel: (id: string) => modelIds.has(id.toLowerCase()),
  };
  const run = (input: ScenarioInput) => {
    const scenario = parseScenario(input);
    let model = models.get(scenario.model);
    if (!model) models.set(scenario.model, (model = loadModel(scenario.model)));
    return runScenario(scenario, { catalog, model, trace: null, memoryPlan, makeStepCost });
  };
  const preds: RowPrediction[] = [];
  for (const p of parsed.slice(0, limit)) preds.push(p.ok ? predictRow(p.row, env, run) : unparsedPrediction(p));
  if (opts.out) fs.writeFileSync(opts.out, predictionsCsv(preds));
  const summary = summariseValidation(preds);
  process.stdout.write(`${opts.json ? JSON.stringify(summary, null, 2) : summaryTable(summary, file)}\n`);
}

function groupRows(title: string, groups: Record<string, GroupSummary>): string[][] {
  return Object.entries(groups).map(([k, g]) => [`${title} ${k}`, `${g.predicted}/${g.rows}`, pct(g.ttft.medianApe), pct(g.ttft.p90Ape), pct(g.tpot.medianApe), pct(g.tpot.p90Ape)]);
}

export function summaryTable(s: ValidationSummary, file: string): string {
  const rows: string[][] = [['group', 'predicted', 'TTFT med APE', 'TTFT p90', 'TPOT med APE', 'TPOT p90']];
  rows.push(['all', `${s.predicted}/${s.rows}`, pct(s.ttft.medianApe), pct(s.ttft.p90Ape), pct(s.tpot.medianApe), pct(s.tpot.p90Ape)]);
  rows.push(...groupRows('configKnown', s.by.configKnown), ...groupRows('mode', s.by.mode), ...groupRows('backend', s.by.backend), ...groupRows('system', s.by.system), ...groupRows('model', s.by.model));
  return `validation of ${file}: ${num(s.rows)} rows\n${table(rows, { header: true })}`;
}
