/**
 * Vertical layout of the timeline: one collapsible header row per process, then one band per track
 * with `depthCount` slice rows. Positions are in CSS pixels from the top of the scrolled content
 * (below the ruler).
 */
import type { Profile, Track } from '../../../src/core/profile/types';

export const RULER_H = 26;
export const HEADER_H = 24;
export const SLICE_H = 16;
export const DEPTH_PITCH = 19;
export const TRACK_PAD = 4;
export const GUTTER_W = 230;

export interface ProcessGroup {
  readonly index: number;
  readonly key: string;
  readonly label: string;
  readonly tracks: readonly number[];
}

export type Row =
  | { readonly type: 'process'; readonly y: number; readonly h: number; readonly group: number }
  | { readonly type: 'track'; readonly y: number; readonly h: number; readonly group: number; readonly track: number };

export interface Layout {
  readonly rows: readonly Row[];
  /** Row index of each track, -1 when its process is collapsed. */
  readonly trackRow: Int32Array;
  /** Row index of each group's header. */
  readonly groupRow: Int32Array;
  readonly contentHeight: number;
}

/** Groups tracks by process (pid and process name), in the order tracks come (display order). */
export function processGroups(p: Profile): ProcessGroup[] {
  const byKey = new Map<string, number[]>();
  for (const t of p.tracks) {
    const key = `${t.pid}\u0000${t.processName}`;
    const g = byKey.get(key);
    if (g) g.push(t.id);
    else byKey.set(key, [t.id]);
  }
  return [...byKey].map(([key, tracks], index) => ({ index, key, label: processLabel(p.tracks[tracks[0]!]!, tracks.some((id) => p.tracks[id]!.kind === 'cpu-thread')), tracks }));
}

/** The process name, with the pid for host processes (two runs of `python` are told apart). */
function processLabel(t: Track, host: boolean): string {
  if (!t.processName) return t.pid ? `Process ${t.pid}` : '(no process)';
  return host && /^\d+$/.test(t.pid) && !t.processName.includes(t.pid) ? `${t.processName} · pid ${t.pid}` : t.processName;
}

/** Short kind badge for the gutter. */
export function trackBadge(t: Track): string {
  switch (t.kind) {
    case 'gpu-stream':
      return 'GPU';
    case 'ep':
      return 'EP';
    case 'cpu-thread':
      return 'CPU';
    default:
      return '';
  }
}

/** What the gutter says for a track: GPU streams by device and stream, providers by name. */
export function trackLabel(t: Track): string {
  switch (t.kind) {
    case 'gpu-stream':
      return t.stream >= 0 ? `GPU ${t.device >= 0 ? t.device : '?'} · stream ${t.stream}` : t.name || `GPU ${t.device}`;
    case 'ep':
      return t.name ? `${t.name}` : 'execution provider';
    default:
      return t.name || (t.tid ? `thread ${t.tid}` : '(unnamed)');
  }
}

/** A long form for tooltips and screen readers. */
export function trackDescription(t: Track): string {
  switch (t.kind) {
    case 'gpu-stream':
      return `GPU stream: ${trackLabel(t)}`;
    case 'ep':
      return `ONNX Runtime execution provider: ${trackLabel(t)}`;
    case 'cpu-thread':
      return `CPU thread: ${trackLabel(t)}`;
    default:
      return trackLabel(t);
  }
}

export function trackHeight(t: Track): number {
  return Math.max(1, t.depthCount) * DEPTH_PITCH + 2 * TRACK_PAD - (DEPTH_PITCH - SLICE_H);
}

export function computeLayout(p: Profile, groups: readonly ProcessGroup[], collapsed: ReadonlySet<number>): Layout {
  const rows: Row[] = [];
  const trackRow = new Int32Array(p.tracks.length).fill(-1);
  const groupRow = new Int32Array(groups.length).fill(-1);
  let y = 0;
  for (const g of groups) {
    groupRow[g.index] = rows.length;
    rows.push({ type: 'process', y, h: HEADER_H, group: g.index });
    y += HEADER_H;
    if (collapsed.has(g.index)) continue;
    for (const id of g.tracks) {
      const h = trackHeight(p.tracks[id]!);
      trackRow[id] = rows.length;
      rows.push({ type: 'track', y, h, group: g.index, track: id });
      y += h;
    }
  }
  return { rows, trackRow, groupRow, contentHeight: y };
}

/** Index of the row containing content-y `y`, or -1. */
export function rowAt(layout: Layout, y: number): number {
  const rows = layout.rows;
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0 || y < 0 || y >= layout.contentHeight) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (rows[mid]!.y <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Content-y of the top of depth row `depth` in a track row starting at `rowY`. */
export function depthY(rowY: number, depth: number): number {
  return rowY + TRACK_PAD + depth * DEPTH_PITCH;
}
