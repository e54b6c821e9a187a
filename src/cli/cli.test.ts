import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-cli-'));
const write = (name: string, text: string): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

const SMALL = ['--requests', '60', '--rate', '2'];

test('simulate --json prints the contract: metrics, chips and the resolved scenario', () => {
  const r = run(['simulate', '--json', ...SMALL]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['ttftMs', 'tpotMs', 'e2eMs']) {
    for (const q of ['mean', 'p50', 'p90', 'p99']) assert.equal(typeof out.metrics[k][q], 'number', `${k}.${q}`);
  }
  for (const k of ['outputTokensPerS', 'tokensPerSPerUser', 'tokensPerSPerChip', 'usdPerMTok', 'joulesPerToken', 'tokensPerSPerMW', 'sloAttainment']) {
    assert.equal(typeof out.metrics[k], 'number', k);
  }
  // Default: 2 replicas × TP4 of H100.
  assert.equal(out.chips, 8);
  assert.equal(out.scenario.topology.pool.device, 'h100');
  assert.equal(out.scenario.precision.weights, 'bf16');
  assert.equal(out.scenario.workload.requests, 60);
  assert.equal(out.metrics.finished, 60);
});

test('same seed, same scenario: byte-identical --json output; another seed differs', () => {
  const a = run(['simulate', '--json', ...SMALL, '--seed', '11']);
  const b = run(['simulate', '--json', ...SMALL, '--seed', '11']);
  const c = run(['simulate', '--json', ...SMALL, '--seed', '12']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(a.stdout, c.stdout);
});

test('simulate with no arguments prints the human table', () => {
  const r = run(['simulate', '--requests', '100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /TTFT/);
  assert.match(r.stdout, /\$ per million output tokens/);
  assert.match(r.stdout, /colocated\s+h100\s+2 × 4/);
});

test('every example scenario runs', () => {
  const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    const r = run(['simulate', path.join(dir, f), '--json', '--set', 'workload.requests=40']);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).metrics.finished + JSON.parse(r.stdout).metrics.rejected, 40, f);
  }
});

test('show model --json: Llama-3.1-70B params, KV bytes per token and weight bytes', () => {
  const r = run(['show', 'model', 'meta-llama/Meta-Llama-3.1-70B', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  // 80 layers × 2 (K,V) × 8 KV heads × 128 dims × 2 bytes (bf16).
  assert.equal(m.kvBytesPerToken, 327_680);
  assert.equal(m.params, 70_553_706_496);
  assert.equal(m.weightBytes, 70_553_706_496 * 2);
});

test('list hardware and show hardware', () => {
  const l = run(['list', 'hardware', '--json']);
  assert.equal(l.code, 0, l.stderr);
  const ids = JSON.parse(l.stdout).map((d: { id: string }) => d.id);
  for (const id of ['a100', 'h100', 'h200', 'b200', 'gb200', 'b300', 'gb300', 'rubin', 'mi300x', 'mi325x', 'mi355x', 'tpu-v6e', 'tpu7x', 'trn2', 'trn3', 'groq-lpu-v1', 'groq3-lpu', 'wse3', 'corsair', 'sn40l']) {
    assert.ok(ids.includes(id), id);
  }
  const s = run(['show', 'hardware', 'h100_sxm', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const d = JSON.parse(s.stdout);
  assert.equal(d.id, 'h100');
  assert.ok(d.derived, 'derived figures included');
});

function assertUsageError(r: { code: number; stderr: string; stdout: string }, mustMention: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, mustMention);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

test('bad input: unknown model, unknown device, bad flag values', () => {
  assertUsageError(run(['simulate', '--model', 'no/such-model', ...SMALL]), /model: got "no\/such-model"/);
  assertUsageError(run(['simulate', '--device', 'h1000', ...SMALL]), /topology\.pool\.device: got "h1000".*accepted/s);
  assertUsageError(run(['simulate', '--rate', '-3']), /--rate: got "-3"; accepted: a positive number/);
  assertUsageError(run(['simulate', '--set', 'workload.arrival.ratePerS=-1']), /workload\.arrival\.ratePerS: got -1; accepted: a number > 0/);
  assertUsageError(run(['simulate', '--tp', 'four']), /--tp/);
  assertUsageError(run(['simulate', '--bogus']), /unknown option/);
  assertUsageError(run(['show', 'hardware', 'nope']), /nope/);
});

test('bad input: scenario with wrong types, unknown fields, broken YAML', () => {
  assertUsageError(run(['simulate', write('types.yaml', 'model: meta-llama/Llama-3.1-8B-Instruct\ntopology: {kind: colocated, pool: {device: h100, replicas: "two"}}\n')]), /topology\.pool\.replicas: got "two"/);
  assertUsageError(run(['simulate', write('unknown.yaml', 'model: meta-llama/Llama-3.1-8B-Instruct\ntopolgy: {}\n')]), /unknown field/);
  assertUsageError(run(['simulate', write('broken.yaml', 'model: [unclosed\n')]), /line \d+/);
  assertUsageError(run(['simulate', path.join(tmp, 'missing.yaml')]), /scenario file: got ".*missing\.yaml"/);
});

test('bad input: a config.json missing fields names the field', () => {
  const cfg = write('config.json', JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 4096, num_attention_heads: 32, vocab_size: 32000, intermediate_size: 11008 }));
  assertUsageError(run(['simulate', '--model', cfg, ...SMALL]), /num_hidden_layers/);
});

test('bad input: malformed trace rows are named by line', () => {
  const trace = write('trace.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,100,10\n0.5,abc,10\n');
  assertUsageError(run(['simulate', '--trace', trace, ...SMALL]), /line 3 column num_prefill_tokens: got "abc"/);
});

test('bad input: a model that does not fit says how many chips it needs', () => {
  // Llama-3.1-70B at bf16 is 141 GB of weights: one 80 GB H100 cannot hold it.
  const r = run(['simulate', '--tp', '1', '--replicas', '1', ...SMALL]);
  assertUsageError(r, /at least 2 chips/);
});
