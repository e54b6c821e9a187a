#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { isUsageError } from '../core/errors.js';
import { DEFAULT_COMPARE_OPTIONS } from '../compare/compare.js';
import { listCommand, showCommand } from './catalog-commands.js';
import { compareCommand, type CompareFlags } from './compare-command.js';
import { registerPlanningCommands } from './planning-commands.js';
import { scenarioFromArgs, type ScenarioFlags } from './scenario-input.js';
import { LIMIT_DEFAULTS, runAsyncCommand, serveCommand, type ServeFlags } from './serve-command.js';
import { benchEngine, benchTable, type BenchFlags } from './bench-engine-command.js';
import { calibrate, calibrationTable, type CalibrateFlags } from './calibrate-command.js';
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
    .command('compare')
    .description('compare scenarios on one workload: speed per user, throughput per chip, $ and MW at 100/400/1000 tok/s per user, bounds, public claims')
    .argument('[scenario...]', 'scenario files or library names (default: every scenario in examples/)')
    .option('--json', 'print a JSON array, one object per scenario', false)
    .option('--isl <tokens>', `prompt tokens of the common workload (default ${DEFAULT_COMPARE_OPTIONS.inputTokens})`)
    .option('--osl <tokens>', `output tokens of the common workload (default ${DEFAULT_COMPARE_OPTIONS.outputTokens})`)
    .addHelpText(
      'after',
      '\nEach scenario runs a closed loop of c clients with fixed lengths, c = ' +
        `${DEFAULT_COMPARE_OPTIONS.concurrencies.join(', ')} (up to its decode slots, stopping below ` +
        `${Math.min(...DEFAULT_COMPARE_OPTIONS.thresholds)} tok/s per user), ${DEFAULT_COMPARE_OPTIONS.requestsPerClient} requests per client, seed ${DEFAULT_COMPARE_OPTIONS.seed}.\n` +
        'Claims: data/claims/public-claims.json. Method: docs/heterogeneous.md.',
    )
    .action((scenarios: string[], opts: CompareFlags) => {
      process.stdout.write(`${compareCommand(scenarios, opts)}\n`);
    });

  program
    .command('validate')
    .description('replay measured deployments and report the median / p90 absolute percentage error of TTFT and TPOT')
    .option('--data <file>', 'CSV in the schema of silicon_dev.csv (default: the shipped data/validation/silicon_dev.csv)')
    .option('--out <file>', 'write one line per row: id,pred_ttft_ms,pred_tpot_ms,… with a reason for rows not predicted')
    .option('--json', 'print the summary as JSON', false)
    .option('--limit <n>', 'only the first n rows (for a quick look)')
    .option('--jobs <n>', 'worker threads (default: every core); results do not depend on it')
    .option('--public', 'compare against published results instead (MLPerf Server/Interactive, TensorRT-LLM throughput tables; vendor claims printed beside predictions); --data defaults to data/measurements/public_measurements.json', false)
    .option('--evidence <pred.csv>', 'no replay: print the per-group evidence (median pred/measured ratios by system, backend, mode and concurrency band) of a CSV written by --out')
    .action((opts: ValidateOptions) => runAsyncCommand(() => validateCommand(opts)));

  program
    .command('serve')
    .description('serve a model on CPU workers behind an OpenAI-compatible API (the built-in random-weight demo model without --model)')
    .option('--model <dir>', 'Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json); Llama / Mistral / Qwen2 / Qwen3 dense')
    .addOption(new Option('--topology <name>', 'how the model is split over workers').choices(['colocated', 'pd', 'afd']).default('colocated'))
    .option('--draft <dir>', 'draft model for speculative decoding, in its own worker (same tokenizer; colocated topology)')
    .option('--num-speculative-tokens <k>', 'draft tokens verified per step with --draft', '4')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0: any free port)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--kv-blocks <n>', 'KV-cache blocks per worker', '512')
    .option('--block-size <tokens>', 'tokens per KV block', '16')
    .option('--max-batch-tokens <n>', 'token budget of one step (chunked prefill beyond it)', '512')
    .option('--max-seqs <n>', 'most requests running at once per worker', '32')
    .addOption(new Option('--quantize <mode>', 'weight format in memory').choices(['none', 'int8']).default('none'))
    .option('--tp <n>', 'tensor-parallel threads of the colocated worker', '1')
    .option('--no-threads', 'run every worker in the main thread')
    .option('--no-prefix-caching', 'disable the prefix cache')
    .option('--served-model-name <id>', 'model id in the API (default: the directory name)')
    .option('--max-queue <n>', 'requests that may wait beyond the batch slots (--max-seqs per pool); more get 429 + Retry-After', LIMIT_DEFAULTS.maxQueue)
    .option('--request-timeout <s>', 'seconds from arrival to the last token before a request is stopped (0: none)', LIMIT_DEFAULTS.requestTimeout)
    .option('--max-body-bytes <n>', 'largest request body (413 beyond)', LIMIT_DEFAULTS.maxBodyBytes)
    .option('--max-prompt-tokens <n>', "longest prompt in tokens (400 beyond; default: the model's context length − 1)")
    .option('--drain-timeout <s>', 'seconds SIGTERM waits for requests in flight before stopping them', LIMIT_DEFAULTS.drainTimeout)
    .action((opts: ServeFlags) => runAsyncCommand(() => serveCommand(opts)));

  registerPlanningCommands(program);

  program
    .command('bench-engine')
    .description('measure the real engine: decode tokens/s at batch 1 and 16, prefill tokens/s, beside the memory-bandwidth floor')
    .option('--model <dir>', 'Hugging Face checkpoint directory')
    .option('--synthetic <name>', 'a Llama-shaped random-weight model written to the temp directory: tiny, 110m or 1b')
    .addOption(new Option('--topology <name>', 'how the model is split over workers').choices(['colocated', 'pd', 'afd']).default('colocated'))
    .option('--tp <n>', 'tensor-parallel threads of the colocated worker', '1')
    .addOption(new Option('--quantize <mode>', 'weight format in memory').choices(['none', 'int8']).default('none'))
    .option('--prompt-tokens <n>', 'prompt length of the prefill measurement', '128')
    .option('--decode-tokens <n>', 'tokens generated per decode measurement', '32')
    .option('--llama-cpp <gguf>', 'also run llama.cpp (node-llama-cpp, if installed) on this GGUF of the same weights (scripts/write-gguf.ts)')
    .option('--llama-cpp-threads <n>', 'llama.cpp threads', '2')
    .option('--json', 'print one JSON object', false)
    .action((opts: BenchFlags) =>
      runAsyncCommand(async () => {
        const r = await benchEngine(opts);
        process.stdout.write(`${opts.json ? JSON.stringify(r, null, 2) : benchTable(r)}\n`);
      }),
    );

  program
    .command('calibrate')
    .description('measure this machine into a device entry, fit it to the engine, then compare the twin\'s TTFT/TPOT with the engine\'s per topology')
    .option('--model <dir>', 'Hugging Face checkpoint directory')
    .option('--synthetic <name>', 'a Llama-shaped random-weight model written to the temp directory: tiny, 110m or 1b')
    .addOption(new Option('--topology <name>', 'topologies to compare').choices(['all', 'colocated', 'pd', 'afd']).default('all'))
    .option('--concurrency <n>', 'closed-loop clients of the comparison workload', '4')
    .option('--isl <tokens>', 'prompt tokens per request', '64')
    .option('--osl <tokens>', 'output tokens per request', '32')
    .option('--requests <n>', 'requests per topology', '16')
    .option('--out <file>', 'write the fitted device entry (hardware-file format, for simulate --hardware)')
    .option('--no-shared-cores', 'treat the pd/afd workers as separate devices (default: scale their entry to the measured share of this machine\'s cores that each of two busy threads gets)')
    .option('--json', 'print one JSON object', false)
    .action((opts: CalibrateFlags) =>
      runAsyncCommand(async () => {
        const r = await calibrate(opts, (s) => process.stderr.write(`${s}\n`));
        process.stdout.write(`${opts.json ? JSON.stringify(r, null, 2) : calibrationTable(r)}\n`);
      }),
    );

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
