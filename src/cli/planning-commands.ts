import { Option, type Command } from 'commander';
import { generatorKinds } from '../plan/generators/index.js';
import { runAsync } from './async-action.js';
import { frontierCommand, FRONTIER_DEFAULTS, type FrontierFlags } from './frontier-command.js';
import { mergeCommand, type MergeFlags } from './merge-command.js';
import { PLAN_DEFAULTS, planCommand, type PlanOptions } from './plan-command.js';
import { reportCommand, type ReportFlags } from './report-command.js';
import { uiCommand, type UiFlags } from './ui-command.js';

const DTYPE_CHOICES = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'fp4', 'int4'];

/** `plan`, `frontier`, `merge`, `report` and `ui` (issue 5): registered by main.ts in one call. */
export function registerPlanningCommands(program: Command): void {
  const plan = program
    .command('plan')
    .description('find the cheapest deployments that meet an SLO (searches topology, devices, counts, parallelism, batch caps)')
    .option('--model <id>', 'model id (phasewise list models) or path to a config.json')
    .option('--trace <name|file>', 'take prompt and output lengths from a trace: splitwise_conv, splitwise_code, arxiv_summarization or a CSV')
    .option('--trace-arrivals', "use the trace's arrival times (rescaled to --rate) instead of Poisson arrivals", false)
    .option('--rate <req/s>', 'open-loop arrival rate')
    .option('--isl <tokens>', 'fixed input length (without --trace; default log-normal, mean 1024)')
    .option('--osl <tokens>', 'fixed output length (without --trace; default log-normal, mean 256)')
    .option('--requests <n>', 'requests simulated per candidate deployment', PLAN_DEFAULTS.requests)
    .option('--seed <n>', 'random seed of every simulation', PLAN_DEFAULTS.seed)
    .addOption(new Option('--backend <name>', 'serving engine whose overheads to model (default vllm)').choices(['vllm', 'trtllm', 'sglang', 'generic']))
    .addOption(new Option('--weights <dtype>', "weight precision (default: the model config's)").choices(DTYPE_CHOICES))
    .addOption(new Option('--kv <dtype>', "KV-cache precision (default: the model config's)").choices(DTYPE_CHOICES));
  for (const metric of ['ttft', 'tpot'] as const) {
    for (const p of ['p50', 'p90', 'p99']) plan.option(`--${metric}-${p}-ms <ms>`, `SLO: ${metric.toUpperCase()} ${p} at most this`);
  }
  plan
    .option('--min-tokens-per-user <tok/s>', 'SLO: mean decode speed per user at least this')
    .option('--hardware <ids>', 'devices any role may use, comma-separated (phasewise list hardware)')
    .option('--colocated-hardware <ids>', 'devices for colocated pools (default: --hardware)')
    .option('--prefill-hardware <ids>', 'devices for prefill pools (default: --hardware)')
    .option('--decode-hardware <ids>', 'devices for decode pools (default: --hardware)')
    .option('--hardware-file <file>', 'YAML/JSON file adding or overriding devices (e.g. a price for a chip that has none)')
    .option('--topologies <kinds>', `deployment kinds to search (default all: ${generatorKinds().join(',')})`)
    .option('--spec-acceptance <alpha>', 'speculative decoding: per-token acceptance α the drafts are assumed to reach (an ASSUMPTION; measure yours)', PLAN_DEFAULTS.specAcceptance)
    .option('--spec-max-k <k>', 'speculative decoding: draft lengths tried, 1 … k', PLAN_DEFAULTS.specMaxK)
    .option('--draft-models <ids>', "speculative decoding: draft models, comma-separated (default: the smallest shipped model with the target's vocabulary and architecture, at most 1/8 of its size)")
    .option('--max-chips <n>', 'limit: chips in the whole deployment')
    .option('--max-usd-per-hour <usd>', 'limit: rental $ per hour')
    .option('--max-mw <MW>', 'limit: power at the chips’ rated TDP')
    .option('--top <n>', 'deployments to print, cheapest first', PLAN_DEFAULTS.top)
    .option('--max-sims-per-shape <n>', 'simulations at most per deployment shape', PLAN_DEFAULTS.maxSimsPerShape)
    .option('--jobs <n>', 'worker threads (default: every core)')
    .option('--shard <I/N>', 'run shard I of N (0-based) and print it for `phasewise merge`')
    .option('--cache <file>', 'reuse and save simulation results in this file')
    .option('--out <file>', 'also write the JSON result here')
    .option('--save-scenarios <dir>', 'write each recommended deployment as DIR/plan-RANK.json')
    .option('--json', 'print the result as JSON', false)
    .addHelpText(
      'after',
      `\nDefaults: ${PLAN_DEFAULTS.requests} requests per simulation, seed ${PLAN_DEFAULTS.seed}, top ${PLAN_DEFAULTS.top}, ` +
        `${PLAN_DEFAULTS.maxSimsPerShape} simulations at most per shape, shapes searched ${PLAN_DEFAULTS.waveSize} at a time.\n` +
        'Example: phasewise plan --model meta-llama/Llama-3.3-70B-Instruct --trace splitwise_conv --rate 100 \\\n' +
        '           --ttft-p99-ms 1000 --tpot-p99-ms 25 --hardware h100,b200,groq3-lpu,wse3\n' +
        'How the search works and what it trades off: docs/planner.md.',
    )
    .action((opts: PlanOptions) => runAsync(() => planCommand(opts)));

  program
    .command('frontier')
    .description('sweep the load of one or more deployments and print the Pareto frontier of throughput against tokens/s per user')
    .argument('<scenarios...>', 'scenario files (YAML or JSON)')
    .addOption(new Option('--load <kind>', 'what to sweep').choices(['concurrency', 'rate']).default(FRONTIER_DEFAULTS.load))
    .option('--points <list>', 'loads to simulate, comma-separated (default: clients 1, 2, 4 … up to twice the decode seats; or 0.25–2× the rate)')
    .option('--requests <n>', 'requests per point at least', FRONTIER_DEFAULTS.requests)
    .option('--requests-per-client <n>', 'closed loop: requests per point = clients × this, if more', FRONTIER_DEFAULTS.requestsPerClient)
    .addOption(new Option('--per <what>', 'y axis: tokens/s per chip, per $/hour or per MW').choices(['chip', 'usd', 'mw']).default(FRONTIER_DEFAULTS.per))
    .option('--jobs <n>', 'worker threads (default: every core)')
    .option('--shard <I/N>', 'run shard I of N (0-based) and print it for `phasewise merge`')
    .option('--out <prefix>', 'write PREFIX.csv, PREFIX.json and PREFIX.html (a self-contained chart)')
    .option('--json', 'print the result as JSON', false)
    .action((files: string[], opts: FrontierFlags) => runAsync(() => frontierCommand(files, opts)));

  program
    .command('merge')
    .description('combine the shard outputs of a plan or frontier run (--shard I/N) into the unsharded answer')
    .argument('<files...>', 'JSON files written by plan/frontier --shard … --json (or --out)')
    .option('--out <prefix>', 'frontier: write PREFIX.csv/.json/.html; plan: write PREFIX.json')
    .option('--json', 'print the merged result as JSON', false)
    .action((files: string[], opts: MergeFlags) => runAsync(() => mergeCommand(files, opts)));

  program
    .command('report')
    .description('simulate a scenario and write a self-contained HTML report (figures, charts, assumptions, sources)')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--frontier', 'also sweep the load and chart the frontier', false)
    .option('--jobs <n>', 'worker threads for --frontier (default: every core)')
    .action((file: string, opts: ReportFlags) => runAsync(() => reportCommand(file, opts)));

  program
    .command('ui')
    .description('start the interactive web UI on a local server and print its URL (simulations run in your browser)')
    .option('--port <n>', 'TCP port (0: any free port)', '8731')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--export <dir>', 'write the UI as a static site to DIR instead (open DIR/index.html; no server needed)')
    .action((opts: UiFlags) => runAsync(() => uiCommand(opts)));
}
