import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** plan, frontier, merge, report and ui --export through the command line, as a user runs them. */
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const WEB_BUILT = fs.existsSync(fileURLToPath(new URL('../../web/index.html', import.meta.url)));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-planning-'));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const PLAN = [
  'plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '20', '--isl', '512', '--osl', '128', '--requests', '300',
  '--ttft-p99-ms', '300', '--tpot-p99-ms', '15', '--hardware', 'h100,b200,wse3', '--top', '2', '--json',
];

test('plan --json: best sorted by cost, each scenario reproduced by simulate; same answer on 1 or 2 threads and sharded', () => {
  const dir = path.join(tmp, 'scenarios');
  const a = run([...PLAN, '--jobs', '2', '--save-scenarios', dir]);
  assert.equal(a.code, 0, a.stderr);
  const plan = JSON.parse(a.stdout);
  assert.equal(plan.kind, 'plan');
  assert.ok(plan.best.length > 0);
  for (let i = 0; i < plan.best.length; i++) {
    const b = plan.best[i];
    if (i > 0) assert.ok(plan.best[i - 1].usdPerHour <= b.usdPerHour);
    const sim = run(['simulate', path.join(dir, `plan-${b.rank}.json`), '--json']);
    assert.equal(sim.code, 0, sim.stderr);
    assert.deepEqual(JSON.parse(sim.stdout).metrics, b.metrics);
  }
  assert.match(plan.skipped.map((s: { what: string; reason: string }) => `${s.what}: ${s.reason}`).join('\n'), /wse3: .*FLOP/);
  const b = run([...PLAN, '--jobs', '1']);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(JSON.parse(b.stdout).best, plan.best);
  const files = [0, 1].map((i) => {
    const file = path.join(tmp, `plan-shard-${i}.json`);
    const r = run([...PLAN, '--jobs', '1', '--shard', `${i}/2`, '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    return file;
  });
  const merged = run(['merge', ...files, '--json']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(JSON.parse(merged.stdout).best, plan.best);
  const missing = run(['merge', files[0]!]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Missing: 1\/2/);
});

test('plan: the human table names the tightest bound and why no smaller deployment works', () => {
  const r = run(PLAN.filter((x) => x !== '--json'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tightest bound/);
  assert.match(r.stdout, /why not smaller/);
  assert.match(r.stdout, /skipped wse3/);
});

test('plan: bad input exits 2 with one readable line', () => {
  for (const [args, pattern] of [
    [['plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--ttft-p99-ms', '0', '--hardware', 'h100'], /--ttft-p99-ms: got "0"/],
    [['plan', '--model', 'nope/nope', '--rate', '1', '--ttft-p99-ms', '100', '--hardware', 'h100'], /list models/],
    [['plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--ttft-p99-ms', '100', '--hardware', 'h999'], /h999/],
    [['plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--ttft-p99-ms', '100', '--hardware', 'h100', '--shard', '2/2'], /--shard/],
    [['plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--ttft-p99-ms', '100', '--hardware', 'h100', '--spec-acceptance', '1.5'], /--spec-acceptance: got "1.5".*0 < α < 1/],
    // A draft must speak the target's vocabulary (Qwen3's 151,936 tokens are not Llama 3's 128,256).
    [['plan', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--rate', '1', '--ttft-p99-ms', '100', '--hardware', 'h100', '--draft-models', 'Qwen/Qwen3-0.6B'], /--draft-models.*vocabulary/],
  ] as const) {
    const r = run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('frontier --json and --out: points per scenario, CSV/JSON/HTML written; shards merge to the same', { skip: !WEB_BUILT && 'web bundle not built (npm run build)' }, () => {
  const scenario = path.join(tmp, 's.yaml');
  fs.writeFileSync(
    scenario,
    'name: small\nmodel: meta-llama/Llama-3.1-8B-Instruct\ntopology: {kind: colocated, pool: {device: h100}}\nworkload: {input: {kind: fixed, tokens: 256}, output: {kind: fixed, tokens: 64}}\n',
  );
  const args = ['frontier', scenario, '--points', '1,4,16', '--requests', '40', '--json', '--jobs', '1'];
  const r = run([...args, '--out', path.join(tmp, 'fr')]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const pts = out.frontiers[0].points;
  assert.equal(pts.length, 3);
  for (const k of ['tokensPerSPerUser', 'tokensPerSPerChip', 'tokensPerSPerUsdHour', 'tokensPerSPerMW']) assert.equal(typeof pts[0][k], 'number', k);
  assert.equal(fs.readFileSync(path.join(tmp, 'fr.csv'), 'utf8').trim().split('\n').length, 4);
  const html = fs.readFileSync(path.join(tmp, 'fr.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'no external scripts or styles');
  const shards = [0, 1].map((i) => {
    const f = path.join(tmp, `fr-shard-${i}.json`);
    const s = run([...args, '--shard', `${i}/2`]);
    assert.equal(s.code, 0, s.stderr);
    fs.writeFileSync(f, s.stdout);
    return f;
  });
  const merged = run(['merge', ...shards, '--json']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(JSON.parse(merged.stdout).frontiers, out.frontiers);
});

test('report and ui --export write self-contained pages', { skip: !WEB_BUILT && 'web bundle not built (npm run build)' }, () => {
  const example = fileURLToPath(new URL('../../../examples/llama70b-pd-h100.yaml', import.meta.url));
  const out = path.join(tmp, 'report.html');
  const r = run(['report', example, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = fs.readFileSync(out, 'utf8');
  assert.match(html, /TTFT/);
  assert.match(html, /rental price/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/);
  const dir = path.join(tmp, 'site');
  const u = run(['ui', '--export', dir]);
  assert.equal(u.code, 0, u.stderr);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'index.html'), 'utf8'), /<script[^>]+src=|<link[^>]+href=/);
});
