/**
 * Read-side indexes over a Profile for the timeline, all built lazily and once:
 *
 * - per (track, depth) "levels": the slice ids at that depth in start order, with their start and
 *   end copied into contiguous arrays and a running maximum of the ends, so the first slice that
 *   reaches into a time window is one binary search away even when slices at one depth overlap;
 * - a color per name (string id), a search mask per name, the match list;
 * - self time (duration minus direct children), flows per slice.
 */
import type { Profile } from '../../../src/core/profile/types';
import { colorIndex } from './theme';

export interface Level {
  /** Slice ids at this depth, start-sorted. */
  readonly idx: Uint32Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** `maxEnd[k]` = max(end[0..k]): non-decreasing, so it can be binary-searched. */
  readonly maxEnd: Float64Array;
}

const EMPTY_LEVEL: Level = { idx: new Uint32Array(0), start: new Float64Array(0), end: new Float64Array(0), maxEnd: new Float64Array(0) };

export class TimelineModel {
  private readonly levelsByTrack: (readonly Level[] | undefined)[];
  private readonly colors: Uint8Array;
  private childDur: Float64Array | undefined;
  private flowsBySlice: Map<number, number[]> | undefined;
  private lowerNames: string[] | undefined;

  constructor(readonly profile: Profile) {
    this.levelsByTrack = new Array(profile.tracks.length);
    this.colors = new Uint8Array(profile.strings.length).fill(255);
  }

  /** The levels of a track (built on first use). */
  levels(track: number): readonly Level[] {
    let lv = this.levelsByTrack[track];
    if (!lv) {
      lv = buildLevels(this.profile, track);
      this.levelsByTrack[track] = lv;
    }
    return lv;
  }

  level(track: number, depth: number): Level {
    return this.levels(track)[depth] ?? EMPTY_LEVEL;
  }

  /** Palette index of a name (string id). */
  color(nameId: number): number {
    let c = this.colors[nameId]!;
    if (c === 255) {
      c = colorIndex(this.profile.strings[nameId] ?? '');
      this.colors[nameId] = c;
    }
    return c;
  }

  /** Duration minus the durations of the slice's direct children (never below 0). */
  selfTime(i: number): number {
    if (!this.childDur) {
      const { count, parent, dur } = this.profile.slices;
      const cd = new Float64Array(count);
      for (let k = 0; k < count; k++) {
        const p = parent[k]!;
        if (p >= 0) cd[p] += dur[k]!;
      }
      this.childDur = cd;
    }
    return Math.max(0, this.profile.slices.dur[i]! - this.childDur[i]!);
  }

  /** Flow ids that start or end at slice `i`. */
  flowsOf(i: number): readonly number[] {
    if (!this.flowsBySlice) {
      const m = new Map<number, number[]>();
      const { count, from, to } = this.profile.flows;
      const add = (s: number, f: number) => {
        if (s < 0) return;
        const l = m.get(s);
        if (l) l.push(f);
        else m.set(s, [f]);
      };
      for (let f = 0; f < count; f++) {
        add(from[f]!, f);
        if (to[f] !== from[f]) add(to[f]!, f);
      }
      this.flowsBySlice = m;
    }
    return this.flowsBySlice.get(i) ?? [];
  }

  /**
   * Case-insensitive substring search over slice names. Returns the per-name mask (1 = the name
   * matches) and the matching slices ordered by start time (then track).
   */
  search(text: string): { nameMask: Uint8Array; matches: Uint32Array } {
    const p = this.profile;
    const nameMask = new Uint8Array(p.strings.length);
    const needle = text.toLowerCase();
    if (!needle) return { nameMask, matches: new Uint32Array(0) };
    this.lowerNames ??= p.strings.map((s) => s.toLowerCase());
    let anyName = false;
    for (let s = 0; s < nameMask.length; s++) {
      if (this.lowerNames[s]!.includes(needle)) {
        nameMask[s] = 1;
        anyName = true;
      }
    }
    if (!anyName) return { nameMask, matches: new Uint32Array(0) };
    const { count, name, start } = p.slices;
    let n = 0;
    for (let i = 0; i < count; i++) n += nameMask[name[i]!]!;
    const matches = new Uint32Array(n);
    n = 0;
    for (let i = 0; i < count; i++) if (nameMask[name[i]!]) matches[n++] = i;
    // Slices are sorted by track then start; order the matches by time, as a reader scans.
    matches.sort((a, b) => start[a]! - start[b]! || a - b);
    return { nameMask, matches };
  }
}

function buildLevels(p: Profile, track: number): Level[] {
  const t = p.tracks[track]!;
  const { depth, start, dur } = p.slices;
  const lo = t.firstSlice;
  const hi = t.firstSlice + t.sliceCount;
  const nDepth = Math.max(t.depthCount, 0);
  const counts = new Uint32Array(nDepth);
  for (let i = lo; i < hi; i++) counts[depth[i]!]++;
  const levels: Level[] = [];
  for (let d = 0; d < nDepth; d++) {
    const n = counts[d]!;
    levels.push({ idx: new Uint32Array(n), start: new Float64Array(n), end: new Float64Array(n), maxEnd: new Float64Array(n) });
  }
  const fill = new Uint32Array(nDepth);
  for (let i = lo; i < hi; i++) {
    const d = depth[i]!;
    const lv = levels[d]!;
    const k = fill[d]!++;
    const s = start[i]!;
    const e = s + dur[i]!;
    lv.idx[k] = i;
    lv.start[k] = s;
    lv.end[k] = e;
    lv.maxEnd[k] = k > 0 && lv.maxEnd[k - 1]! > e ? lv.maxEnd[k - 1]! : e;
  }
  return levels;
}

/** The first k with `lv.maxEnd[k] >= t` (lv.idx.length when none): the first slice that can reach t. */
export function firstReaching(lv: Level, t: number): number {
  let lo = 0;
  let hi = lv.maxEnd.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lv.maxEnd[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first k with `lv.start[k] > t`. */
export function firstStartingAfter(lv: Level, t: number): number {
  let lo = 0;
  let hi = lv.start.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lv.start[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
