#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { isUsageError } from '../core/errors.js';
import { listCommand, showCommand } from './catalog-commands.js';
import { scenarioFromArgs, type ScenarioFlags } from './scenario-input.js';
import { resultJson, resultTable, runScenarioFromFiles } from './simulate-command.js';
import { validateCommand, type ValidateOptions } from './validate-command.js';

/** Exit codes: 0 ok, 1 internal failure (a bug: report it), 2 the user's input was wrong. */
const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command();
  program
    .name('phasewise')
    .description('Plan, simulate and run heterogeneous, disaggregated LLM inference.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('simulate')
    .description('simulate a serving deployment under a workload (the embedded default scenario when none is given)')
    .argument('[scenario]', 'scenario file (YAML or JSON); see examples/ and docs/scenario.md')
    .option('--json', 'print one JSON object (metrics, chips, resolved scenario) instead of tables', false)
    .option('--model <id>', 'model id (phasewise list models) or path to a config.json')
    .option('--device <id>', 'device of every pool (phasewise list hardware)')
    .option('--replicas <n>', 'replicas of every pool')
    .option('--tp <n>', 'tensor parallel degree of every pool')
    .option('--pp <n>', 'pipeline parallel degree of every pool')
    .option('--ep <n>', 'expert parallel degree of every pool')
    .option('--dp <n>', 'attention data parallel degree of every pool')
    .addOption(new Option('--backend <name>', 'serving engine whose overheads to model').choices(['vllm', 'trtllm', 'sglang', 'generic']))
    .option('--rate <req/s>', 'Poisson arrivals at this rate')
    .option('--concurrency <n>', 'closed loop with n clients (how benchmarks run)')
    .option('--requests <n>', 'number of requests to simulate')
    .option('--isl <tokens>', 'fixed input length')
    .option('--osl <tokens>', 'fixed output length')
    .option('--trace <name|file>', 'take lengths (and arrival times, with workload.arrival.kind=trace) from a trace: splitwise_conv, splitwise_code, arxiv_summarization or a CSV')
    .option('--seed <n>', 'random seed')
    .option('--ttft-ms <ms>', 'TTFT target for SLO attainment')
    .option('--tpot-ms <ms>', 'TPOT target for SLO attainment')
    .option('--hardware <file>', 'YAML/JSON file adding or overriding devices')
    .option('--set <field=value>', 'set any scenario field, e.g. --set topology.pool.scheduler.maxNumSeqs=128 (repeatable)', collect, [])
    .addHelpText(
      'after',
      '\nDefaults: the embedded scenario is Llama-3.1-70B on 2 replicas of 4×H100 (vLLM), Poisson 4 req/s,\n' +
        'log-normal lengths (input mean 1024, output mean 256), 2000 requests, seed 1, SLO TTFT 1000 ms / TPOT 50 ms.\n' +
        'Scenario defaults: replicas 1, tp/pp/ep/dp 1, maxNumBatchedTokens 8192, maxNumSeqs 256, blockSizeTokens 16,\n' +
        'chunked prefill and prefix caching on, router least-loaded, memoryReserveFraction 0.1, backend vllm,\n' +
        'precision from the model config, requests 1000, seed 1. Full reference: docs/scenario.md.',
    )
    .action((file: string | undefined, opts: ScenarioFlags & { json: boolean; hardware?: string }) => {
      const { scenario } = scenarioFromArgs(file, opts);
      const result = runScenarioFromFiles(scenario, opts.hardware);
      process.stdout.write(`${opts.json ? resultJson(result) : resultTable(result)}\n`);
    });

  program
    .command('validate')
    .description('replay measured deployments and report the median / p90 absolute percentage error of TTFT and TPOT')
    .option('--data <file>', 'CSV in the schema of silicon_dev.csv (default: the shipped data/validation/silicon_dev.csv)')
    .option('--out <file>', 'write one line per row: id,pred_ttft_ms,pred_tpot_ms,… with a reason for rows not predicted')
    .option('--json', 'print the summary as JSON', false)
    .option('--limit <n>', 'only the first n rows (for a quick look)')
    .action((opts: ValidateOptions) => validateCommand(opts));

  const list = program.command('list').description('list the built-in catalogs');
  list
    .command('hardware')
    .description('devices in the hardware catalog')
    .option('--json', 'JSON output', false)
    .action((opts: { json: boolean }) => listCommand('hardware', opts.json));
  list
    .command('models')
    .description('model configs shipped with phasewise')
    .option('--json', 'JSON output', false)
    .action((opts: { json: boolean }) => listCommand('models', opts.json));

  const show = program.command('show').description('show one device or model with its derived figures');
  show
    .command('hardware')
    .argument('<id>', 'device id or alias')
    .option('--json', 'JSON output', false)
    .option('--hardware <file>', 'YAML/JSON file adding or overriding devices')
    .action((id: string, opts: { json: boolean; hardware?: string }) => showCommand('hardware', id, opts));
  show
    .command('model')
    .argument('<id>', 'model id or path to config.json')
    .option('--json', 'JSON output', false)
    .addOption(new Option('--weights <dtype>', 'weight precision (default: the config\'s)').choices(['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'fp4', 'int4']))
    .addOption(new Option('--kv <dtype>', 'KV-cache precision (default: the config\'s)').choices(['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'fp4', 'int4']))
    .action((id: string, opts: { json: boolean; weights?: string; kv?: string }) => showCommand('model', id, opts));
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function main(argv: readonly string[]): number {
  const program = buildProgram();
  try {
    program.parse([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message already; --help and --version are not errors.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isUsageError(e)) {
      process.stderr.write(`phasewise: error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`phasewise: internal error: ${msg}\nThis is a bug in phasewise; please report it with the command you ran.\n`);
    if (process.env.PHASEWISE_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
