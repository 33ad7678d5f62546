/**
 * Latency statistics as deployment people quote them.
 * Percentiles use linear interpolation between closest ranks — numpy.percentile's default
 * ("linear"), which is what most Python benchmarking scripts report.
 */

export interface LatencyStats {
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1). 0 for a single sample. */
  readonly stdev: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** q in [0, 100]; `sorted` ascending, non-empty. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile of an empty sample');
  if (q <= 0) return sorted[0]!;
  if (q >= 100) return sorted[n - 1]!;
  const rank = (q / 100) * (n - 1);
  const lo = Math.floor(rank);
  const frac = rank - lo;
  const a = sorted[lo]!;
  return frac === 0 ? a : a + (sorted[lo + 1]! - a) * frac;
}

export function latencyStats(samples: ArrayLike<number>): LatencyStats {
  const n = samples.length;
  if (n === 0) throw new RangeError('no samples');
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) ** 2;
  return {
    count: n,
    mean,
    stdev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
  };
}
