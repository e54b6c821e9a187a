/**
 * `npm run bench [-- --json] [--requests N] [--scenario FILE]`: simulator speed on a fixed heavy scenario —
 * simulated requests per second of wall time and peak memory. Not a test: nothing here asserts a time.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioFromArgs } from '../src/cli/scenario-input.js';
import { runScenarioFromFiles } from '../src/cli/simulate-command.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = opt('--scenario') ?? path.join(root, 'bench', 'sim-heavy.yaml');
const requests = opt('--requests');
const { scenario } = scenarioFromArgs(file, requests ? { requests } : {});

const startNs = process.hrtime.bigint();
const result = runScenarioFromFiles(scenario);
const wallS = Number(process.hrtime.bigint() - startNs) / 1e9;
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const simulatedRequestsPerS = result.metrics.finished / wallS;
const out = {
  scenario: scenario.name,
  requests: result.metrics.requests,
  finished: result.metrics.finished,
  wallS,
  simulatedRequestsPerS,
  peakRssBytes,
  simulatedDurationS: result.metrics.durationS,
  outputTokensPerS: result.metrics.outputTokensPerS,
  ttftMsP99: result.metrics.ttftMs?.p99 ?? null,
};
if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  process.stdout.write(
    `${out.finished} requests simulated in ${wallS.toFixed(1)} s wall: ${Math.round(simulatedRequestsPerS)} simulated requests/s, ` +
      `peak RSS ${(peakRssBytes / 1e9).toFixed(2)} GB (simulated ${out.simulatedDurationS.toFixed(0)} s, ${Math.round(out.outputTokensPerS)} output tokens/s)\n`,
  );
}
