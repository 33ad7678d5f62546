/**
 * Time formatting and ruler ticks for the timeline. Times are microseconds (as in the Profile);
 * units adapt (ns, µs, ms, s) and tick steps are "nice" (1, 2 or 5 × 10^k).
 */
import { TIME_UNITS, unitFor, type TimeUnit } from '../../../src/core/format';

export { formatDuration, unitFor, type TimeUnit } from '../../../src/core/format';

const { ns: NS, us: US, ms: MS } = TIME_UNITS;

/** A point in time (µs from the profile's origin) with enough precision to tell neighbours apart. */
export function formatTimestamp(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  const u = unitFor(us);
  const v = us / u.us;
  // Keep sub-microsecond precision visible: 3 decimals in ms and s, ns for tiny values.
  const digits = u === NS ? 0 : u === US ? 3 : u === MS ? 3 : 6;
  return `${v.toFixed(digits)} ${u.name}`;
}

/** The smallest 1/2/5 × 10^k (µs) that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const k = Math.floor(Math.log10(raw));
  const base = 10 ** k;
  for (const m of [1, 2, 5, 10]) {
    const s = m * base;
    if (s >= raw * (1 - 1e-9)) return s;
  }
  return 10 * base;
}

export interface Ticks {
  /** Step between major ticks, µs. */
  readonly step: number;
  /** Times of the major ticks in [start, end], µs. */
  readonly times: readonly number[];
  /** Labels are `time - anchor`, shown in `unit`; the anchor is shown once when it is not 0. */
  readonly anchor: number;
  readonly unit: TimeUnit;
  readonly decimals: number;
}

/**
 * Major ticks for [start, end] drawn over `widthPx`, about `minGapPx` apart. Labels stay short:
 * when the view is deep inside a long trace, they are offsets from an anchor (a round time
 * left of the view) rather than 12-digit absolute values.
 */
export function computeTicks(start: number, end: number, widthPx: number, minGapPx = 90): Ticks {
  const span = Math.max(end - start, 1e-9);
  const step = niceStep((span * minGapPx) / Math.max(widthPx, 1));
  // Absolute labels, in the unit of the times shown (200.5 ms rather than 200500 µs), while they
  // stay short (under ~10^4 steps from 0); deeper inside a long trace, offsets from a round anchor
  // in the unit of the step.
  let anchor = 0;
  let unit = unitFor(Math.max(Math.abs(start), Math.abs(end), step));
  if (Math.max(Math.abs(start), Math.abs(end)) / step >= 1e4) {
    const big = niceStep(step * 1e3);
    anchor = Math.floor(start / big) * big;
    unit = unitFor(step);
  }
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step / unit.us) + 1e-9)));
  const times: number[] = [];
  const first = Math.ceil(start / step);
  for (let k = first; k * step <= end + step * 1e-9 && times.length < 1000; k++) times.push(k * step);
  return { step, times, anchor, unit, decimals };
}

export function tickLabel(t: number, ticks: Ticks): string {
  const v = (t - ticks.anchor) / ticks.unit.us;
  // Avoid "-0".
  const s = Math.abs(v) < 10 ** -(ticks.decimals + 1) ? (0).toFixed(ticks.decimals) : v.toFixed(ticks.decimals);
  return `${ticks.anchor ? '+' : ''}${s} ${ticks.unit.name}`;
}
