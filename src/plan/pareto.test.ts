import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoIndices } from './pareto.js';

test('Pareto frontier: keeps the points nothing beats on both axes, in increasing x', () => {
  // (1,10) (2,8) (3,9) (4,2) (3,9 dup) (0,1): (2,8) is beaten by (3,9); the duplicate and (0,1) too.
  const pts: Array<[number, number]> = [[1, 10], [2, 8], [3, 9], [4, 2], [3, 9], [0, 1]];
  assert.deepEqual(paretoIndices(pts, (p) => p[0], (p) => p[1]), [0, 2, 3]);
});

test('Pareto frontier: null or non-finite coordinates are never on it', () => {
  const pts: Array<[number | null, number]> = [[null, 100], [1, 1], [Infinity, 5]];
  assert.deepEqual(paretoIndices(pts, (p) => p[0], (p) => p[1]), [1]);
});
