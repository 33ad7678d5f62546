import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyStats, percentileSorted } from '../../src/core/metrics/stats';

test('percentiles match numpy.percentile (linear) on known samples', () => {
  // np.percentile([1,2,3,4,5,6,7,8,9,10], [50, 90, 99]) == [5.5, 9.1, 9.91]
  const xs = [7, 1, 10, 3, 5, 2, 9, 4, 8, 6];
  const s = latencyStats(xs);
  assert.equal(s.p50, 5.5);
  assert.ok(Math.abs(s.p90 - 9.1) < 1e-12);
  assert.ok(Math.abs(s.p99 - 9.91) < 1e-12);
  assert.equal(s.mean, 5.5);
  // np.std(xs, ddof=1) == 3.0276503540974917
  assert.ok(Math.abs(s.stdev - 3.0276503540974917) < 1e-12);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
});

test('edge cases: one sample, extremes, empty', () => {
  const one = latencyStats([4.2]);
  assert.deepEqual([one.p50, one.p99, one.stdev], [4.2, 4.2, 0]);
  assert.equal(percentileSorted([1, 2], 0), 1);
  assert.equal(percentileSorted([1, 2], 100), 2);
  assert.throws(() => latencyStats([]), RangeError);
});
