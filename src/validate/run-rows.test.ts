import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../core/errors.js';
import { b200 } from '../perf/fixtures-for-tests.js';
import type { ReplayDeps } from './deployment.js';
import { validationRow } from './fixtures-for-tests.js';
import { predictRow } from './run-rows.js';

const depsWhoseModel = (fail: () => never): ReplayDeps => ({
  device: (s) => (s === 'b200_sxm' ? b200() : null),
  model: () => fail(),
  memoryPlan: () => {
    throw new Error('not reached');
  },
  makeStepCost: () => {
    throw new Error('not reached');
  },
});

test('a row whose model phasewise refuses is reported as unsupported with the reason, a bug as an internal error', () => {
  const row = validationRow({ modelPath: 'org/refused' });
  const refused = predictRow(row, depsWhoseModel(() => {
    throw new UsageError('org/refused config.json field "x"', 7, 'absent');
  }));
  assert.equal(refused.predTtftMs, null);
  assert.match(refused.reason, /^unsupported: org\/refused config\.json field "x"/);
  const bug = predictRow(row, depsWhoseModel(() => {
    throw new TypeError('boom');
  }));
  assert.equal(bug.predTtftMs, null);
  assert.equal(bug.reason, 'internal error: boom');
});
