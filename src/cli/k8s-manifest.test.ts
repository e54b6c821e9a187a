import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/**
 * docs/k8s/plan-indexed-job.yaml works: its container command, run here once per completion index exactly as
 * the Job runs it (the same shell, the same JOB_COMPLETION_INDEX and SHARDS), writes shards that the merge Job's
 * command combines — the acceptance plan (Llama-3.3-70B, splitwise conversation trace, 100 req/s, TTFT p99 ≤ 1 s,
 * TPOT p99 ≤ 25 ms, H100/B200/Groq 3 LPU/WSE-3) — and `simulate` on the merged answer's first deployment prints
 * its figures.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

function containerOf(doc: unknown): { env: Record<string, string>; script: string } {
  const spec = (doc as { spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }>; command: string[]; args: string[] }> } } } }).spec;
  const c = spec.template.spec.containers[0]!;
  assert.deepEqual(c.command, ['/bin/sh', '-c']);
  return { env: Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value])), script: c.args[0]! };
}

test('the Kubernetes Indexed Job manifest shards the acceptance plan and the merge Job combines it', { timeout: 600_000 }, async () => {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(ROOT, 'docs', 'k8s', 'plan-indexed-job.yaml'), 'utf8')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  const { env, script } = containerOf(job);
  assert.equal(Number(env.SHARDS), job.spec.completions, 'SHARDS must equal completions');
  assert.match(script, / > \/dev\/null$/);
  const mergeDoc = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs', 'k8s', 'plan-merge-job.yaml'), 'utf8'));
  const merge = containerOf(mergeDoc);

  // The image's `phasewise` is this build; its /results volume is a temporary folder.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-k8s-'));
  const bin = path.join(tmp, 'bin');
  const results = path.join(tmp, 'results');
  fs.mkdirSync(bin);
  fs.mkdirSync(results);
  fs.writeFileSync(path.join(bin, 'phasewise'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`, { mode: 0o755 });
  const local = (s: string): string => s.replaceAll('/results', results);
  const envFor = (index: number) => ({ ...process.env, ...env, JOB_COMPLETION_INDEX: String(index), PATH: `${bin}:${process.env.PATH}` });
  // Two pods at a time (this machine has two cores), one thread each. To keep the suite short the test appends
  // --top 1 --requests 1000 to the manifest's flags (commander takes the last value): the same search, smaller.
  const EXTRA = ' --jobs 1 --top 1 --requests 1000';
  const runShard = (index: number): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const p = spawn('/bin/sh', ['-c', local(script).replace(' > /dev/null', `${EXTRA} > /dev/null`)], { env: envFor(index) });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, stderr }));
    });
  const shards = Number(env.SHARDS);
  for (let i = 0; i < shards; i += 2) {
    const batch = await Promise.all([i, i + 1].filter((k) => k < shards).map(runShard));
    for (const r of batch) assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(fs.readdirSync(results).filter((f) => f.startsWith('plan-shard-')).length, shards);
  const merged = spawnSync('/bin/sh', ['-c', local(merge.script)], { env: envFor(0), encoding: 'utf8' });
  assert.equal(merged.status, 0, merged.stderr);
  const plan = JSON.parse(fs.readFileSync(path.join(results, 'plan.json'), 'utf8'));
  assert.ok(plan.best.length > 0, plan.message);
  const skipped = new Map<string, string>(plan.skipped.map((s: { what: string; reason: string }) => [s.what, s.reason]));
  assert.match(skipped.get('wse3') ?? '', /FLOP/);
  assert.match(skipped.get('groq3-lpu') ?? '', /no rental price/);
  const best = plan.best[0];
  assert.ok(best.metrics.ttftMs.p99 <= 1000 && best.metrics.tpotMs.p99 <= 25);
  const file = path.join(tmp, 'best.json');
  fs.writeFileSync(file, JSON.stringify(best.scenario));
  const sim = spawnSync(process.execPath, [MAIN, 'simulate', file, '--json'], { encoding: 'utf8' });
  assert.equal(sim.status, 0, sim.stderr);
  assert.deepEqual(JSON.parse(sim.stdout).metrics, best.metrics);
});
