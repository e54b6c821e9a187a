/**
 * Deterministic at scale (issue 7): a sweep split across worker threads prints byte-identical JSON to the same
 * sweep on one thread — each simulation is deterministic and results are assembled in job order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

test('frontier --json on 1 and on 2 worker threads: byte-identical output', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phasewise-sweep-'));
  const scenario = path.join(dir, 's.yaml');
  // Random lengths and Poisson arrivals, so every point exercises the decode fast-forward and its cut-offs.
  fs.writeFileSync(
    scenario,
    'name: sweep\nmodel: meta-llama/Llama-3.1-8B-Instruct\ntopology: {kind: colocated, pool: {device: h100, replicas: 2}}\n' +
      'workload: {input: {kind: uniform, min: 64, max: 1024}, output: {kind: uniform, min: 8, max: 256}, arrival: {kind: poisson, ratePerS: 5}}\n',
  );
  const out = [1, 2].map((jobs) => {
    const r = spawnSync(process.execPath, [MAIN, 'frontier', scenario, '--points', '1,4,16,64', '--requests', '200', '--json', '--jobs', String(jobs)], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.equal(JSON.parse(out[0]!).frontiers[0].points.length, 4);
  assert.equal(out[1], out[0]);
});
