/**
 * Before/after comparison of two profile runs (`.ilprof.json`): deployment metrics with their
 * change and whether it is better or worse, per-operator time per run with deltas, and notes when
 * the runs were not measured the same way. Pure: takes the two run files, returns plain data.
 */
import { formatBytes, formatMs, formatRate } from '../format';
import type { OrtRunFile } from '../results/ort-run';

export type MetricUnit = 'ms' | 'per-s' | 'tokens-per-s' | 'bytes';

export interface MetricDelta {
  readonly key: string;
  readonly label: string;
  readonly unit: MetricUnit;
  readonly a: number;
  readonly b: number;
  /** b - a. */
  readonly delta: number;
  /** b / a - 1; null when a is 0. */
  readonly change: number | null;
  readonly better: 'lower' | 'higher';
  /** Changes within the noise threshold are 'same'. */
  readonly verdict: 'better' | 'worse' | 'same';
}

export interface OpDelta {
  readonly opType: string;
  readonly provider: string;
  /** Time per profiled run, µs, and calls per run; absent when the op does not run in that model. */
  readonly a?: { readonly us: number; readonly calls: number };
  readonly b?: { readonly us: number; readonly calls: number };
  /** b.us - a.us (a missing side counts as 0). */
  readonly deltaUs: number;
}

export interface RunComparison {
  readonly metrics: readonly MetricDelta[];
  /** Worst-first by |deltaUs|: what got faster or slower, and ops that appeared or went away. */
  readonly operators: readonly OpDelta[];
  /** Node time per profiled run, µs (absent without ORT profiles). */
  readonly nodeTimeUs?: { readonly a: number; readonly b: number };
  /** a.p50 / b.p50: above 1 B is faster. */
  readonly speedup: number;
  /** Differences in how the runs were made, which make the comparison less fair. */
  readonly notes: readonly string[];
}

export interface CompareOptions {
  /** Relative change treated as noise (default 0.03: 3%). */
  readonly noise?: number;
  /** Model sizes on disk including external data, when known (else the .onnx file sizes). */
  readonly sizes?: { readonly a: number; readonly b: number };
}

function metric(key: string, label: string, unit: MetricUnit, better: 'lower' | 'higher', a: number, b: number, noise: number): MetricDelta {
  const change = a !== 0 ? b / a - 1 : null;
  const rel = change ?? (b === 0 ? 0 : Infinity);
  const improved = better === 'lower' ? rel < 0 : rel > 0;
  const verdict = Math.abs(rel) <= noise ? 'same' : improved ? 'better' : 'worse';
  return { key, label, unit, a, b, delta: b - a, change, better, verdict };
}

export function compareRuns(a: OrtRunFile, b: OrtRunFile, opts: CompareOptions = {}): RunComparison {
  const noise = opts.noise ?? 0.03;
  const ra = a.result;
  const rb = b.result;
  const m: MetricDelta[] = [
    metric('latency-p50', 'Latency p50', 'ms', 'lower', ra.latencyMs.p50, rb.latencyMs.p50, noise),
    metric('latency-p90', 'Latency p90', 'ms', 'lower', ra.latencyMs.p90, rb.latencyMs.p90, noise),
    metric('latency-p99', 'Latency p99', 'ms', 'lower', ra.latencyMs.p99, rb.latencyMs.p99, noise),
    metric('throughput', 'Throughput', 'per-s', 'higher', ra.throughput.inferencesPerSec, rb.throughput.inferencesPerSec, noise),
  ];
  if (ra.decode && rb.decode) {
    m.push(
      metric('ttft', 'Time to first token', 'ms', 'lower', ra.decode.timeToFirstTokenMs, rb.decode.timeToFirstTokenMs, noise),
      metric('tokens-per-sec', 'Decode throughput', 'tokens-per-s', 'higher', ra.decode.tokensPerSec, rb.decode.tokensPerSec, noise),
      metric('per-token-p50', 'Per token p50', 'ms', 'lower', ra.decode.perTokenMs.p50, rb.decode.perTokenMs.p50, noise),
    );
  }
  m.push(
    metric('session-create', 'Session creation', 'ms', 'lower', ra.sessionCreateMs, rb.sessionCreateMs, noise),
    metric('first-run', 'First run (cold)', 'ms', 'lower', ra.firstRunMs, rb.firstRunMs, noise),
    metric('peak-rss', 'Peak memory (RSS)', 'bytes', 'lower', ra.memory.peakRssBytes, rb.memory.peakRssBytes, noise),
  );
  if (ra.memory.gpuPeakBytes !== undefined && rb.memory.gpuPeakBytes !== undefined) {
    m.push(metric('gpu-peak', 'Peak GPU memory', 'bytes', 'lower', ra.memory.gpuPeakBytes, rb.memory.gpuPeakBytes, noise));
  }
  if (a.operators?.arenaPeakBytes && b.operators?.arenaPeakBytes) {
    m.push(metric('arena-peak', 'ORT arena peak', 'bytes', 'lower', a.operators.arenaPeakBytes, b.operators.arenaPeakBytes, noise));
  }
  const sizes = opts.sizes ?? { a: a.model.sizeBytes, b: b.model.sizeBytes };
  // Sizes are exact: any change counts.
  m.push(metric('file-size', 'Model size on disk', 'bytes', 'lower', sizes.a, sizes.b, 0));

  const operators: OpDelta[] = [];
  let nodeTimeUs: RunComparison['nodeTimeUs'];
  const oa = a.operators;
  const ob = b.operators;
  if (oa && ob && oa.runs > 0 && ob.runs > 0) {
    const rows = new Map<string, { opType: string; provider: string; a?: { us: number; calls: number }; b?: { us: number; calls: number } }>();
    const add = (side: 'a' | 'b', list: typeof oa.byOpType, runs: number) => {
      for (const o of list) {
        const key = `${o.opType}\u0000${o.provider}`;
        const row = rows.get(key) ?? { opType: o.opType, provider: o.provider };
        row[side] = { us: o.totalUs / runs, calls: o.count / runs };
        rows.set(key, row);
      }
    };
    add('a', oa.byOpType, oa.runs);
    add('b', ob.byOpType, ob.runs);
    for (const r of rows.values()) operators.push({ ...r, deltaUs: (r.b?.us ?? 0) - (r.a?.us ?? 0) });
    operators.sort((x, y) => Math.abs(y.deltaUs) - Math.abs(x.deltaUs) || x.opType.localeCompare(y.opType));
    nodeTimeUs = { a: oa.totalNodeUs / oa.runs, b: ob.totalNodeUs / ob.runs };
  }

  const notes: string[] = [];
  if (ra.ep !== rb.ep) notes.push(`A ran on ${ra.ep.toUpperCase()}, B on ${rb.ep.toUpperCase()}.`);
  const shapes = (r: typeof ra) => r.inputs.map((i) => `${i.name}[${i.dims.join(',')}]`).join(' ');
  if (shapes(ra) !== shapes(rb)) notes.push(`The inputs differ: A ${shapes(ra)}; B ${shapes(rb)}.`);
  if (ra.machine.cpu !== rb.machine.cpu || ra.machine.cores !== rb.machine.cores) notes.push(`Measured on different machines: A ${ra.machine.cpu} × ${ra.machine.cores}, B ${rb.machine.cpu} × ${rb.machine.cores}.`);
  const sa = a.settings.session;
  const sb = b.settings.session;
  if (sa.graphOptimizationLevel !== sb.graphOptimizationLevel) notes.push(`Graph optimization: A ${sa.graphOptimizationLevel}, B ${sb.graphOptimizationLevel}.`);
  if ((sa.intraOpNumThreads ?? 0) !== (sb.intraOpNumThreads ?? 0)) notes.push(`Intra-op threads: A ${sa.intraOpNumThreads ?? 'default'}, B ${sb.intraOpNumThreads ?? 'default'}.`);
  if (a.settings.timedRuns !== b.settings.timedRuns) notes.push(`Timed runs: A ${a.settings.timedRuns}, B ${b.settings.timedRuns}.`);
  if (!operators.length) notes.push('No per-operator deltas: one of the runs has no ORT profile (0 profiled runs).');

  return { metrics: m, operators, ...(nodeTimeUs ? { nodeTimeUs } : {}), speedup: rb.latencyMs.p50 > 0 ? ra.latencyMs.p50 / rb.latencyMs.p50 : 0, notes };
}

/** A value of this metric as people read it (`12.3 ms`, `76.0/s`, `41.2 tokens/s`, `139 MiB`). */
export function formatMetricValue(m: Pick<MetricDelta, 'unit'>, v: number): string {
  switch (m.unit) {
    case 'ms':
      return `${formatMs(v)} ms`;
    case 'per-s':
      return `${formatRate(v)}/s`;
    case 'tokens-per-s':
      return `${formatRate(v)} tokens/s`;
    case 'bytes':
      return formatBytes(v);
  }
}
