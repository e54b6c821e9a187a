import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUsageError } from '../core/errors.js';
import { parseConfigText } from './config-text.js';

describe('parseConfigText', () => {
  it('accepts the Infinity and NaN Python writes (Nemotron-3 time_step_limit)', () => {
    assert.deepEqual(parseConfigText('{"time_step_limit": [0.0, Infinity], "a": -Infinity, "b": NaN}', 'x'), {
      time_step_limit: [0, Number.POSITIVE_INFINITY],
      a: Number.NEGATIVE_INFINITY,
      b: null,
    });
  });

  it('leaves the words alone inside strings, escaped quotes included', () => {
    assert.deepEqual(parseConfigText('{"s": "Infinity \\" NaN", "t": Infinity}', 'x'), { s: 'Infinity " NaN', t: Infinity });
  });

  it('gives a UsageError naming the model for text that is not JSON', () => {
    try {
      parseConfigText('{"hidden_size": 12,', 'org/model');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isUsageError(e));
      assert.equal(e.where, 'org/model config.json');
    }
  });
});
