/** Number formatting shared by the CLI, the extension and the webviews (pure, no Node APIs). */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". Binary units, as memory tools report them. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s} ${BYTE_UNITS[u]}`;
}

/** 1234567 → "1.23M"; small numbers as they are. */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a < 10_000) return String(n);
  if (a < 1e6) return `${(n / 1e3).toFixed(1)}K`;
  if (a < 1e9) return `${(n / 1e6).toFixed(2)}M`;
  return `${(n / 1e9).toFixed(2)}B`;
}

/** 12_300_000_000 → "12.3 G": decimal SI prefixes with about three significant digits (FLOPs, MACs). */
export function formatSi(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  const units: [number, string][] = [
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [f, u] of units) if (a >= f) return `${formatMs(n / f)} ${u}`;
  return String(n);
}

/** A measured value with about three significant digits, as the metrics show it: 123, 12.3, 1.23. */
export function formatMs(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A rate (inferences/s, tokens/s): whole above 100, one decimal below. */
export function formatRate(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** A share in [0, 1] as a percentage: 0.123 → "12.3%". */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export interface TimeUnit {
  readonly name: string;
  /** Microseconds per unit. */
  readonly us: number;
}

export const TIME_UNITS = {
  ns: { name: 'ns', us: 1e-3 },
  us: { name: 'µs', us: 1 },
  ms: { name: 'ms', us: 1e3 },
  s: { name: 's', us: 1e6 },
} as const satisfies Record<string, TimeUnit>;

/** The unit a magnitude (µs) reads best in: 850 ns, 12.3 µs, 4.56 ms, 1.23 s. */
export function unitFor(us: number): TimeUnit {
  const a = Math.abs(us);
  if (a < 1) return TIME_UNITS.ns;
  if (a < 1e3) return TIME_UNITS.us;
  if (a < 1e6) return TIME_UNITS.ms;
  return TIME_UNITS.s;
}

/** A duration (µs) with three significant digits: `1.23 ms`, `850 ns`, `0 µs`. */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us === 0) return '0 µs';
  const u = unitFor(us);
  const v = us / u.us;
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${u.name}`;
}

/** "What went wrong. What to do.": the message closed with a period, then the hint when there is one. */
export function withHint(message: string, hint: string | undefined): string {
  // "(100 bytes)" still needs its period; "(see the log.)" does not.
  const m = /[.!?]\)?$/.test(message) ? message : `${message}.`;
  return hint ? `${m} ${hint}` : m;
}
