import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { syntheticCheckpointFiles } from '../engine/synthetic.js';
import { spawnServe } from '../server/spawn-serve.js';
import { TINY_SPEC } from '../engine/testing.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'phasewise-cli-'));
const write = (sub: string, mutate: (f: Map<string, Uint8Array | string>) => void): string => {
  const d = join(dir, sub);
  const f = syntheticCheckpointFiles(TINY_SPEC, 1);
  mutate(f);
  spawnSync('mkdir', ['-p', d]);
  for (const [n, data] of f) writeFileSync(join(d, n), data);
  return d;
};
after(() => rmSync(dir, { recursive: true, force: true }));

describe('phasewise serve / bench-engine: bad input exits 2 with one clear line', () => {
  it('a directory that does not exist', () => {
    const r = run('serve', '--model', join(dir, 'nope'), '--port', '0');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^phasewise: error: --model: got ".*nope"; accepted: a directory holding config\.json/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });
  it('an unsupported architecture', () => {
    const d = write('moe', (f) => f.set('config.json', JSON.stringify({ ...JSON.parse(f.get('config.json') as string), architectures: ['MixtralForCausalLM'] })));
    const r = run('serve', '--model', d, '--port', '0');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /architectures: got \["MixtralForCausalLM"\]/);
  });
  it('bad flags', () => {
    assert.equal(run('serve', '--port', 'eighty').status, 2);
    assert.equal(run('serve', '--topology', 'ring').status, 2);
    assert.equal(run('bench-engine').status, 2);
  });
});

describe('phasewise serve prints the contract line once ready', () => {
  it('listening on http://127.0.0.1:P, then answers /health', async () => {
    const d = write('ok', () => {});
    const server = await spawnServe(['--model', d, '--kv-blocks', '64']);
    try {
      assert.match(server.output(), /^listening on http:\/\/127\.0\.0\.1:\d+$/m);
      const h = await fetch(`${server.baseUrl}/health`);
      assert.equal(h.status, 200);
    } finally {
      await server.stop();
    }
  });
});
