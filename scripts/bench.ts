/**
 * `npm run bench [-- --json] [--requests N] [--scenario FILE] [--no-fast-forward]`: simulator speed on a fixed
 * heavy scenario — simulated requests per second of wall time and of CPU time, and peak memory. Not a test:
 * nothing here asserts a time. `--no-fast-forward` steps every decode (the reference the fast path is held to).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioFromArgs } from '../src/cli/scenario-input.js';
import { runDepsFor } from '../src/cli/simulate-command.js';
import { runScenario } from '../src/sim/run.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const fastForward = !args.includes('--no-fast-forward');
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = opt('--scenario') ?? path.join(root, 'bench', 'sim-heavy.yaml');
const requests = opt('--requests');
const { scenario } = scenarioFromArgs(file, requests ? { requests } : {});

// Loading the model, catalog and trace is not simulation: it is timed apart.
const loadStartNs = process.hrtime.bigint();
const deps = runDepsFor(scenario);
const loadS = Number(process.hrtime.bigint() - loadStartNs) / 1e9;
const cpu0 = process.cpuUsage();
const startNs = process.hrtime.bigint();
const result = runScenario(scenario, deps, { fastForward });
const wallS = Number(process.hrtime.bigint() - startNs) / 1e9;
const cpu = process.cpuUsage(cpu0);
// CPU time of this process (user + system): on a shared machine it is the fairer measure of one core's speed.
const cpuS = (cpu.user + cpu.system) / 1e6;
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const out = {
  scenario: scenario.name,
  fastForward,
  requests: result.metrics.requests,
  finished: result.metrics.finished,
  loadS,
  wallS,
  cpuS,
  simulatedRequestsPerS: result.metrics.finished / wallS,
  simulatedRequestsPerCpuS: result.metrics.finished / cpuS,
  peakRssBytes,
  simulatedDurationS: result.metrics.durationS,
  outputTokensPerS: result.metrics.outputTokensPerS,
  ttftMsP50: result.metrics.ttftMs?.p50 ?? null,
  ttftMsP99: result.metrics.ttftMs?.p99 ?? null,
  tpotMsP50: result.metrics.tpotMs?.p50 ?? null,
  tpotMsP99: result.metrics.tpotMs?.p99 ?? null,
  itlMsMean: result.metrics.itlMs?.mean ?? null,
  e2eMsMean: result.metrics.e2eMs?.mean ?? null,
};
if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  process.stdout.write(
    `${out.finished} requests simulated in ${wallS.toFixed(1)} s wall (${cpuS.toFixed(1)} s CPU): ` +
      `${Math.round(out.simulatedRequestsPerS)} simulated requests/s of wall time, ${Math.round(out.simulatedRequestsPerCpuS)} per CPU second; ` +
      `peak RSS ${(peakRssBytes / 1e9).toFixed(2)} GB (simulated ${out.simulatedDurationS.toFixed(0)} s, ${Math.round(out.outputTokensPerS)} output tokens/s${fastForward ? '' : ', no fast-forward'})\n`,
  );
}
