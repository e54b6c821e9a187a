import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { checkShardSet, parseShard } from './shard.js';

test('parseShard reads I/N and rejects what a batch system would not mean', () => {
  assert.deepEqual(parseShard('0/4'), { index: 0, count: 4 });
  assert.deepEqual(parseShard(' 3 / 4 '), { index: 3, count: 4 });
  for (const bad of ['4/4', '-1/4', '1/0', 'a/b', '1', '']) assert.throws(() => parseShard(bad), UsageError, bad);
});

test('checkShardSet: every shard once, same request', () => {
  const part = (index: number, count = 3, key = 'k') => ({ kind: 'plan', requestKey: key, shard: { index, count } });
  assert.doesNotThrow(() => checkShardSet([part(2), part(0), part(1)], ['a', 'b', 'c']));
  assert.throws(() => checkShardSet([part(0), part(2)], ['a', 'c']), /Missing: 1\/3/);
  assert.throws(() => checkShardSet([part(0), part(0), part(1)], ['a', 'b', 'c']), /each shard once/);
  assert.throws(() => checkShardSet([part(0), part(1, 3, 'other'), part(2)], ['a', 'b', 'c']), /same run/);
  assert.throws(() => checkShardSet([part(0), { kind: 'frontier', requestKey: 'k', shard: { index: 1, count: 3 } }], ['a', 'b']), /same kind/);
});
