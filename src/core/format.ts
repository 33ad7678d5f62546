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
