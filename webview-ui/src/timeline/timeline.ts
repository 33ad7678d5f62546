/**
 * A canvas timeline of a Profile: tracks grouped by process (collapsible), slices by depth colored
 * by name, a time ruler, flows of the selection, search, a tooltip and an aggregate of the
 * selection. Browser-only; themed by VS Code's CSS variables; nothing inline that a strict CSP
 * refuses (styles come from timeline.css, positions are set through `element.style`).
 *
 * The timeline fills its host element, which must have a height (the canvas follows the host's size).
 *
 * Navigation follows Perfetto and chrome://tracing: W/S zoom in/out around the mouse, A/D pan
 * (smoothly, accelerating while held), Ctrl/⌘+wheel or a pinch zooms, the wheel scrolls the tracks,
 * Shift+wheel pans, dragging pans, a click selects a slice, Shift+drag selects every slice on the
 * tracks and in the time range of the box, Escape clears the selection, arrow keys walk from the
 * selected slice to its neighbours, parent and first child, F fits the selection.
 */
import { sliceArgs, sliceKind, type Profile } from '../../../src/core/profile/types';
import { DEPTH_PITCH, GUTTER_W, HEADER_H, RULER_H, SLICE_H, TRACK_PAD, computeLayout, depthY, processGroups, rowAt, trackDescription, type Layout, type ProcessGroup } from './layout';
import { TimelineModel, firstReaching, firstStartingAfter } from './model';
import { Renderer, scrollbarGeometry, type FrameStats } from './render';
import { readTheme, type TimelineTheme } from './theme';
import { formatDuration, formatTimestamp } from './time';

export interface TimelineOptions {
  /** Called when the selected slices change by user action (click, box select, keyboard). */
  onSelectionChange?(slices: readonly number[]): void;
}

/** Introspection for tests and tooling; positions are CSS pixels relative to the canvas. */
export interface TimelineDebug {
  /** The slice under a point of the canvas, or -1. */
  hitTest(x: number, y: number): number;
  /** Where slice `i` is drawn (unclipped), or undefined when its process is collapsed. */
  sliceRect(i: number): { x: number; y: number; w: number; h: number } | undefined;
  /** The band of a track (unclipped), or undefined when its process is collapsed. */
  trackBand(track: number): { y: number; h: number } | undefined;
  /** The header row of process group `g` (groups in display order). */
  groupHeader(g: number): { y: number; h: number; label: string; tracks: readonly number[]; collapsed: boolean } | undefined;
  readonly geometry: { readonly gutterWidth: number; readonly rulerHeight: number; readonly headerHeight: number; readonly trackPad: number; readonly depthPitch: number; readonly sliceHeight: number; readonly width: number; readonly height: number };
  /** The last frame's numbers. */
  readonly stats: Readonly<FrameStats>;
  /** Frames drawn so far. */
  readonly frames: number;
  scrollTop: number;
  readonly contentHeight: number;
  /** Draws now (synchronously) instead of on the next animation frame. */
  drawNow(): void;
}

const MIN_SPAN = 0.01; // µs: 10 ns across the view
const ZOOM_KEY_RATE = 2.6; // e-folds per second at full speed
const PAN_KEY_RATE = 1.1; // view widths per second at full speed
const DRAG_THRESHOLD = 4;
const TOOLTIP_ARGS = 8;
/** Args shown first in the tooltip when present (PyTorch and ONNX Runtime). */
const PREFERRED_ARGS = ['op_name', 'provider', 'Input Dims', 'input_type_shape', 'output_type_shape', 'Input type', 'node_index', 'activation_size', 'parameter_size', 'output_size', 'grid', 'block', 'stream', 'device'];
/** Bookkeeping args shown only when there is room. */
const NOISY_ARGS = new Set(['Ev Idx', 'Sequence number', 'Fwd thread id', 'Record function id', 'Call stack']);

type Drag =
  | { kind: 'pending'; x: number; y: number; pointer: number }
  | { kind: 'pan'; x: number; y: number; pointer: number }
  | { kind: 'box'; t0: number; y0: number; t1: number; y1: number; pointer: number }
  | { kind: 'scrollbar'; y: number; scrollTop: number; pointer: number };

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

export class Timeline {
  private readonly root: HTMLDivElement;
  private readonly main: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tooltip: HTMLDivElement;
  private readonly aggregate: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private readonly model: TimelineModel;
  private readonly renderer: Renderer;
  private readonly groups: readonly ProcessGroup[];
  private readonly collapsed = new Set<number>();
  private layout: Layout;
  private theme: TimelineTheme;
  private readonly opts: TimelineOptions;
  private readonly abort = new AbortController();
  private readonly observers: { disconnect(): void }[] = [];

  private t0: number;
  private t1: number;
  private top = 0;
  private width = 0;
  private height = 0;
  private dpr = 1;

  private sel: number[] = [];
  private selMask: Uint8Array | undefined;
  private nameMask: Uint8Array | undefined;
  private matches: Uint32Array = new Uint32Array(0);
  private matchIdx = -1;
  private hover = -1;
  private mouse: { x: number; y: number } | undefined;
  private drag: Drag | undefined;
  private readonly keys = new Map<string, number>();
  private keyLast = 0;
  private keyRaf = 0;
  private raf = 0;
  private frameCount = 0;
  private disposed = false;

  readonly debug: TimelineDebug;

  constructor(host: HTMLElement, profile: Profile, options: TimelineOptions = {}) {
    this.opts = options;
    this.model = new TimelineModel(profile);
    this.renderer = new Renderer(profile);
    this.groups = processGroups(profile);
    this.layout = computeLayout(profile, this.groups, this.collapsed);
    const [lo, hi] = this.bounds();
    this.t0 = Math.max(lo, 0);
    this.t1 = Math.min(hi, Math.max(profile.duration, MIN_SPAN));

    this.root = el('div', 'il-timeline');
    this.root.dataset.testid = 'timeline';
    this.main = el('div', 'il-tl-main');
    this.canvas = el('canvas', 'il-tl-canvas');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-roledescription', 'timeline');
    this.canvas.setAttribute(
      'aria-label',
      `Timeline of ${profile.slices.count.toLocaleString('en-US')} slices on ${profile.tracks.length} tracks in ${this.groups.length} processes. ` +
        'W and S zoom, A and D pan, click selects a slice, Shift and drag selects a range, arrow keys move the selection, F fits it, Escape clears it.',
    );
    this.tooltip = el('div', 'il-tl-tooltip');
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    this.live = el('div', 'il-tl-sr');
    this.live.setAttribute('aria-live', 'polite');
    this.aggregate = el('div', 'il-tl-aggregate');
    this.aggregate.dataset.testid = 'timeline-aggregate';
    this.aggregate.hidden = true;
    this.main.append(this.canvas, this.tooltip);
    this.root.append(this.main, this.live, this.aggregate);
    host.append(this.root);

    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('timeline: no 2D canvas context');
    this.ctx = ctx;
    this.theme = readTheme(this.root);

    this.listen();
    this.resize();
    this.debug = this.makeDebug();
    this.requestDraw();
  }

  // ---------------------------------------------------------------- public API

  /** Visible time range, µs from profile origin. */
  get visibleRange(): { start: number; end: number } {
    return { start: this.t0, end: this.t1 };
  }

  setVisibleRange(start: number, end: number): void {
    if (!Number.isFinite(start) || !Number.isFinite(end)) return;
    this.setRange(Math.min(start, end), Math.max(start, end));
  }

  /** Select slices (e.g. from a table); scrolls/zooms so the first is visible; does not call onSelectionChange. */
  select(slices: readonly number[]): void {
    this.setSelection(slices, false);
    if (this.sel.length) this.reveal(this.sel[0]!, false);
  }

  get selection(): readonly number[] {
    return this.sel;
  }

  /** Case-insensitive substring search over slice names; highlights matches; returns the match count. */
  search(text: string): number {
    const { nameMask, matches } = this.model.search(text);
    this.nameMask = text ? nameMask : undefined;
    this.matches = matches;
    this.matchIdx = -1;
    this.requestDraw();
    return matches.length;
  }

  /** Moves to the next match (centers it and selects it); returns its index in the match list, or -1. */
  nextMatch(): number {
    return this.gotoMatch(+1);
  }

  prevMatch(): number {
    return this.gotoMatch(-1);
  }

  /** Re-reads theme colors from CSS variables (call on theme change); also done automatically via a MutationObserver on body class. */
  refreshTheme(): void {
    this.theme = readTheme(this.root);
    this.renderer.resetText();
    this.requestDraw();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort();
    for (const o of this.observers) o.disconnect();
    cancelAnimationFrame(this.raf);
    cancelAnimationFrame(this.keyRaf);
    this.keys.clear();
    this.root.remove();
  }

  // ---------------------------------------------------------------- view state

  private get profile(): Profile {
    return this.model.profile;
  }

  private get trackWidth(): number {
    return Math.max(1, this.width - GUTTER_W);
  }

  private get viewHeight(): number {
    return Math.max(0, this.height - RULER_H);
  }

  /** How far the view may go: the profile with a margin on each side. */
  private bounds(): [number, number] {
    const d = Math.max(this.profile.duration, MIN_SPAN);
    return [-0.05 * d, 1.05 * d];
  }

  private setRange(t0: number, t1: number): void {
    const [lo, hi] = this.bounds();
    let span = Math.min(Math.max(t1 - t0, MIN_SPAN), hi - lo);
    if (!(span > 0)) span = MIN_SPAN;
    let s = t0;
    if (s < lo) s = lo;
    if (s + span > hi) s = hi - span;
    if (s === this.t0 && s + span === this.t1) return;
    this.t0 = s;
    this.t1 = s + span;
    this.requestDraw();
  }

  /** Zooms by `factor` (<1 zooms in) keeping the time under canvas-x `x` where it is. */
  private zoomAt(x: number, factor: number): void {
    const frac = Math.min(1, Math.max(0, (x - GUTTER_W) / this.trackWidth));
    const span = this.t1 - this.t0;
    const anchor = this.t0 + frac * span;
    const [lo, hi] = this.bounds();
    const next = Math.min(Math.max(span * factor, MIN_SPAN), hi - lo);
    this.setRange(anchor - frac * next, anchor - frac * next + next);
  }

  private panPx(dx: number): void {
    const dt = (dx * (this.t1 - this.t0)) / this.trackWidth;
    this.setRange(this.t0 + dt, this.t1 + dt);
  }

  private setScrollTop(v: number): boolean {
    const max = Math.max(0, this.layout.contentHeight - this.viewHeight);
    const next = Math.round(Math.min(max, Math.max(0, v)));
    if (next === this.top) return false;
    this.top = next;
    this.requestDraw();
    return true;
  }

  private relayout(): void {
    this.layout = computeLayout(this.profile, this.groups, this.collapsed);
    this.setScrollTop(this.top);
    this.requestDraw();
  }

  private toggleGroup(g: number): void {
    if (this.collapsed.has(g)) this.collapsed.delete(g);
    else this.collapsed.add(g);
    this.relayout();
  }

  private groupOfTrack(track: number): number {
    return this.groups.findIndex((g) => g.tracks.includes(track));
  }

  /** Brings slice `i` into view: expands its process, scrolls to its row, and centers it in time when `center` or when it is out of view. */
  private reveal(i: number, center: boolean): void {
    const p = this.profile;
    if (i < 0 || i >= p.slices.count) return;
    const track = p.slices.track[i]!;
    const g = this.groupOfTrack(track);
    if (g >= 0 && this.collapsed.has(g)) {
      this.collapsed.delete(g);
      this.relayout();
    }
    const r = this.layout.trackRow[track]!;
    if (r >= 0) {
      const row = this.layout.rows[r]!;
      const y = depthY(row.y, p.slices.depth[i]!);
      if (y < this.top || y + SLICE_H > this.top + this.viewHeight) this.setScrollTop(y - this.viewHeight / 2);
    }
    const s = p.slices.start[i]!;
    const e = s + p.slices.dur[i]!;
    if (!center && s >= this.t0 && e <= this.t1) return;
    let span = this.t1 - this.t0;
    if (e - s > span * 0.9) span = (e - s) / 0.8;
    const mid = (s + e) / 2;
    this.setRange(mid - span / 2, mid + span / 2);
  }

  private gotoMatch(step: number): number {
    const n = this.matches.length;
    if (!n) return -1;
    this.matchIdx = this.matchIdx < 0 ? (step > 0 ? 0 : n - 1) : (this.matchIdx + step + n) % n;
    const i = this.matches[this.matchIdx]!;
    this.setSelection([i], false);
    this.reveal(i, true);
    return this.matchIdx;
  }

  private setSelection(slices: readonly number[], byUser: boolean): void {
    const count = this.profile.slices.count;
    const next = slices.filter((i) => Number.isInteger(i) && i >= 0 && i < count);
    const same = next.length === this.sel.length && next.every((v, k) => v === this.sel[k]);
    if (same) return;
    this.sel = next;
    if (next.length) {
      if (!this.selMask || this.selMask.length !== count) this.selMask = new Uint8Array(count);
      else this.selMask.fill(0);
      for (const i of next) this.selMask[i] = 1;
    } else this.selMask = undefined;
    this.renderAggregate();
    this.announce();
    this.requestDraw();
    if (byUser) this.opts.onSelectionChange?.(this.sel.slice());
  }

  // ---------------------------------------------------------------- geometry

  /** Content-y → canvas-y. */
  private cy(y: number): number {
    return RULER_H + y - this.top;
  }

  private timeAt(x: number): number {
    return this.t0 + ((x - GUTTER_W) / this.trackWidth) * (this.t1 - this.t0);
  }

  private xAt(t: number): number {
    return GUTTER_W + ((t - this.t0) / (this.t1 - this.t0)) * this.trackWidth;
  }

  private hitTest(x: number, y: number): number {
    if (x < GUTTER_W || y < RULER_H || x > this.width || y > this.height) return -1;
    const r = rowAt(this.layout, y - RULER_H + this.top);
    if (r < 0) return -1;
    const row = this.layout.rows[r]!;
    if (row.type !== 'track') return -1;
    const inRow = y - RULER_H + this.top - row.y - TRACK_PAD;
    const depth = Math.floor(inRow / DEPTH_PITCH);
    if (inRow < 0 || depth >= this.profile.tracks[row.track]!.depthCount || inRow - depth * DEPTH_PITCH > SLICE_H) return -1;
    const lv = this.model.level(row.track, depth);
    const t = this.timeAt(x);
    const tol = (2 * (this.t1 - this.t0)) / this.trackWidth;
    let best = -1;
    let bestDist = Infinity;
    let bestDur = Infinity;
    const n = lv.idx.length;
    for (let k = firstReaching(lv, t - tol), seen = 0; k < n && lv.start[k]! <= t + tol && seen < 100_000; k++, seen++) {
      const s = lv.start[k]!;
      const e = lv.end[k]!;
      const dist = t < s ? s - t : t > e ? t - e : 0;
      if (dist > tol) continue;
      // Inside beats near; among those inside, the shortest (partial overlaps at one depth).
      if (dist < bestDist || (dist === 0 && bestDist === 0 && e - s < bestDur)) {
        best = lv.idx[k]!;
        bestDist = dist;
        bestDur = e - s;
      }
    }
    return best;
  }

  private sliceRect(i: number): { x: number; y: number; w: number; h: number } | undefined {
    const p = this.profile;
    if (i < 0 || i >= p.slices.count) return undefined;
    const r = this.layout.trackRow[p.slices.track[i]!]!;
    if (r < 0) return undefined;
    const x0 = this.xAt(p.slices.start[i]!);
    const x1 = this.xAt(p.slices.start[i]! + p.slices.dur[i]!);
    return { x: x0, y: this.cy(depthY(this.layout.rows[r]!.y, p.slices.depth[i]!)), w: x1 - x0, h: SLICE_H };
  }

  /** Slices on the tracks whose bands meet content-y [y0, y1] that overlap [ta, tb] in time. */
  private boxSelection(ta: number, tb: number, y0: number, y1: number): number[] {
    const tracks: number[] = [];
    for (const row of this.layout.rows) {
      if (row.y + row.h <= y0 || row.y >= y1) continue;
      if (row.type === 'track') tracks.push(row.track);
      else if (this.collapsed.has(row.group)) tracks.push(...this.groups[row.group]!.tracks);
    }
    const out: number[] = [];
    for (const track of tracks) {
      for (const lv of this.model.levels(track)) {
        const n = lv.idx.length;
        for (let k = firstReaching(lv, ta); k < n && lv.start[k]! <= tb; k++) {
          const s = lv.start[k]!;
          const e = lv.end[k]!;
          // Overlap with the box; an instant counts when it lies inside it.
          if (e > s ? s < tb && e > ta : s >= ta) out.push(lv.idx[k]!);
        }
      }
    }
    return out.sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- drawing

  private requestDraw(): void {
    if (this.raf || this.disposed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.drawNow();
    });
  }

  private drawNow(): void {
    if (this.disposed) return;
    if (this.raf) {
      cancelAnimationFrame(this.raf);
      this.raf = 0;
    }
    if (this.width <= 0 || this.height <= 0) return;
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const box = this.drag?.kind === 'box' ? this.drag : undefined;
    this.renderer.draw(ctx, {
      model: this.model,
      layout: this.layout,
      groups: this.groups,
      collapsed: this.collapsed,
      theme: this.theme,
      width: this.width,
      height: this.height,
      t0: this.t0,
      t1: this.t1,
      scrollTop: this.top,
      selection: this.sel,
      selectedMask: this.selMask,
      nameMask: this.nameMask,
      currentMatch: this.matchIdx >= 0 ? this.matches[this.matchIdx]! : -1,
      hover: this.hover,
      box: box ? { t0: box.t0, t1: box.t1, y0: box.y0, y1: box.y1 } : undefined,
    });
    this.frameCount++;
    this.canvas.dataset.frames = String(this.frameCount);
  }

  private resize(): void {
    const r = this.main.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(0, Math.floor(r.width));
    const h = Math.max(0, Math.floor(r.height));
    if (w === this.width && h === this.height && dpr === this.dpr) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.setScrollTop(this.top);
    this.requestDraw();
  }

  // ---------------------------------------------------------------- DOM: tooltip, aggregate, live region

  private showTooltip(i: number, x: number, y: number): void {
    const tip = this.tooltip;
    if (i < 0) {
      tip.hidden = true;
      return;
    }
    const p = this.profile;
    const track = p.tracks[p.slices.track[i]!]!;
    const dur = p.slices.dur[i]!;
    const rows: [string, string][] = [
      ['kind', sliceKind(p, i)],
      ['duration', formatDuration(dur)],
      ['self', formatDuration(this.model.selfTime(i))],
      ['start', formatTimestamp(p.slices.start[i]!)],
      ['track', trackDescription(track)],
    ];
    let args: Record<string, unknown> = {};
    try {
      args = sliceArgs(p, i);
    } catch {
      // Args that are not JSON are not shown.
    }
    const keys = Object.keys(args);
    const rank = (k: string) => {
      const pi = PREFERRED_ARGS.indexOf(k);
      return pi >= 0 ? pi : NOISY_ARGS.has(k) ? 1000 : 100;
    };
    keys.sort((a, b) => rank(a) - rank(b));
    for (const k of keys.slice(0, TOOLTIP_ARGS)) rows.push([k, argText(args[k])]);
    const title = el('div', 'il-tl-tip-title', p.strings[p.slices.name[i]!] ?? '');
    const table = el('table', 'il-tl-tip-table');
    for (const [k, v] of rows) {
      const tr = el('tr', '');
      tr.append(el('th', '', k), el('td', '', v));
      table.append(tr);
    }
    if (keys.length > TOOLTIP_ARGS) {
      const tr = el('tr', 'il-tl-tip-more');
      tr.append(el('th', '', ''), el('td', '', `${keys.length - TOOLTIP_ARGS} more args`));
      table.append(tr);
    }
    tip.replaceChildren(title, table);
    tip.dataset.slice = String(i);
    tip.hidden = false;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    const left = x + 14 + tw > this.width ? Math.max(0, x - 14 - tw) : x + 14;
    const top = y + 16 + th > this.height ? Math.max(0, y - 12 - th) : y + 16;
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  private renderAggregate(): void {
    const agg = this.aggregate;
    const sel = this.sel;
    if (!sel.length) {
      agg.hidden = true;
      agg.replaceChildren();
      return;
    }
    const p = this.profile;
    const { dur, name } = p.slices;
    const byName = new Map<number, { count: number; total: number; self: number }>();
    let total = 0;
    let self = 0;
    for (const i of sel) {
      const d = dur[i]!;
      const sf = this.model.selfTime(i);
      total += d;
      self += sf;
      const g = byName.get(name[i]!);
      if (g) {
        g.count++;
        g.total += d;
        g.self += sf;
      } else byName.set(name[i]!, { count: 1, total: d, self: sf });
    }
    const groups = [...byName].sort((a, b) => b[1].total - a[1].total || b[1].count - a[1].count || a[0] - b[0]);
    const head = el('div', 'il-tl-agg-head');
    head.dataset.testid = 'timeline-aggregate-head';
    head.dataset.count = String(sel.length);
    head.dataset.total = String(total);
    head.dataset.self = String(self);
    head.append(
      el('strong', '', sel.length === 1 ? '1 slice' : `${sel.length.toLocaleString('en-US')} slices`),
      el('span', 'il-tl-muted', ` · total ${formatDuration(total)} · self ${formatDuration(self)} · ${byName.size} ${byName.size === 1 ? 'name' : 'names'}`),
    );
    const table = el('table', 'il-tl-agg-table');
    const thead = el('thead', '');
    const hr = el('tr', '');
    for (const [label, cls] of [['Name', ''], ['Count', 'num'], ['Total', 'num'], ['Self', 'num'], ['Average', 'num']] as const) hr.append(el('th', cls, label));
    thead.append(hr);
    const tbody = el('tbody', '');
    for (const [id, g] of groups.slice(0, 10)) {
      const tr = el('tr', '');
      tr.dataset.testid = 'timeline-aggregate-row';
      tr.dataset.name = p.strings[id] ?? '';
      tr.dataset.count = String(g.count);
      tr.dataset.total = String(g.total);
      tr.dataset.self = String(g.self);
      const nameCell = el('td', 'il-tl-agg-name', p.strings[id] ?? '');
      nameCell.title = p.strings[id] ?? '';
      tr.append(nameCell, el('td', 'num', g.count.toLocaleString('en-US')), el('td', 'num', formatDuration(g.total)), el('td', 'num', formatDuration(g.self)), el('td', 'num', formatDuration(g.total / g.count)));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    agg.replaceChildren(head, table);
    if (groups.length > 10) agg.append(el('div', 'il-tl-muted il-tl-agg-more', `and ${groups.length - 10} more names`));
    agg.hidden = false;
    // The canvas area shrank or grew.
    this.resize();
  }

  private announce(): void {
    const p = this.profile;
    const s = this.sel;
    this.live.textContent =
      s.length === 0
        ? 'Selection cleared'
        : s.length === 1
          ? `Selected ${p.strings[p.slices.name[s[0]!]!]}, ${formatDuration(p.slices.dur[s[0]!]!)}, on ${trackDescription(p.tracks[p.slices.track[s[0]!]!]!)}`
          : `Selected ${s.length} slices`;
  }

  // ---------------------------------------------------------------- input

  private listen(): void {
    const signal = this.abort.signal;
    const c = this.canvas;
    const local = (e: MouseEvent) => {
      const r = c.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    c.addEventListener('wheel', (e) => this.onWheel(e, local(e)), { passive: false, signal });
    c.addEventListener('pointerdown', (e) => this.onPointerDown(e, local(e)), { signal });
    c.addEventListener('pointermove', (e) => this.onPointerMove(local(e)), { signal });
    c.addEventListener('pointerup', (e) => this.onPointerUp(local(e)), { signal });
    c.addEventListener('pointercancel', () => this.endDrag(), { signal });
    c.addEventListener(
      'pointerleave',
      () => {
        if (this.drag) return;
        this.mouse = undefined;
        this.setHover(-1);
        this.tooltip.hidden = true;
      },
      { signal },
    );
    c.addEventListener('keydown', (e) => this.onKeyDown(e), { signal });
    c.addEventListener('keyup', (e) => this.keys.delete(e.key.toLowerCase()), { signal });
    c.addEventListener('blur', () => this.keys.clear(), { signal });

    if (typeof ResizeObserver === 'function') {
      const ro = new ResizeObserver(() => this.resize());
      ro.observe(this.main);
      this.observers.push(ro);
    } else window.addEventListener('resize', () => this.resize(), { signal });
    const mo = new MutationObserver(() => this.refreshTheme());
    mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    // VS Code also rewrites the variables on <html> when the theme changes.
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    this.observers.push(mo);
  }

  private onWheel(e: WheelEvent, at: { x: number; y: number }): void {
    const scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.viewHeight : 1;
    const dx = e.deltaX * scale;
    const dy = e.deltaY * scale;
    if (e.ctrlKey || e.metaKey) {
      // Ctrl/⌘ + wheel, and trackpad pinches (which arrive as wheel events with ctrlKey).
      e.preventDefault();
      this.zoomAt(at.x, Math.exp(Math.max(-300, Math.min(300, dy)) * 0.004));
    } else if (e.shiftKey) {
      e.preventDefault();
      this.panPx(dy || dx);
    } else if (Math.abs(dx) > Math.abs(dy)) {
      e.preventDefault();
      this.panPx(dx);
    } else if (this.setScrollTop(this.top + dy)) {
      e.preventDefault();
    } else return; // Nothing to scroll: let the page scroll.
    // Another slice may be under the pointer now.
    const i = this.hitTest(at.x, at.y);
    this.setHover(i);
    this.showTooltip(i, at.x, at.y);
  }

  private onPointerDown(e: PointerEvent, at: { x: number; y: number }): void {
    if (e.button !== 0) return;
    this.canvas.focus({ preventScroll: true });
    this.mouse = at;
    const bar = scrollbarGeometry(this.layout.contentHeight, this.height, this.top, this.width);
    if (bar && at.x >= bar.x - 3 && at.y >= RULER_H) {
      if (at.y >= bar.y && at.y <= bar.y + bar.h) this.drag = { kind: 'scrollbar', y: at.y, scrollTop: this.top, pointer: e.pointerId };
      else this.setScrollTop(this.top + (at.y < bar.y ? -1 : 1) * this.viewHeight * 0.9);
    } else if (at.x < GUTTER_W && at.y >= RULER_H) {
      const r = rowAt(this.layout, at.y - RULER_H + this.top);
      const row = r >= 0 ? this.layout.rows[r]! : undefined;
      if (row?.type === 'process') this.toggleGroup(row.group);
      return;
    } else if (e.shiftKey && at.y >= RULER_H) {
      const t = this.timeAt(Math.max(GUTTER_W, at.x));
      const y = at.y - RULER_H + this.top;
      this.drag = { kind: 'box', t0: t, t1: t, y0: y, y1: y, pointer: e.pointerId };
    } else {
      // A click or a drag; a click on a header row in the track area toggles its process too.
      this.drag = { kind: 'pending', x: at.x, y: at.y, pointer: e.pointerId };
    }
    if (this.drag) {
      e.preventDefault();
      try {
        this.canvas.setPointerCapture(e.pointerId);
      } catch {
        // Synthetic events have no active pointer to capture.
      }
    }
  }

  private onPointerMove(at: { x: number; y: number }): void {
    const prev = this.mouse;
    this.mouse = at;
    const d = this.drag;
    if (!d) {
      const i = this.hitTest(at.x, at.y);
      this.setHover(i);
      this.showTooltip(i, at.x, at.y);
      this.canvas.style.cursor = at.x < GUTTER_W && this.isHeaderAt(at.y) ? 'pointer' : 'default';
      return;
    }
    this.tooltip.hidden = true;
    switch (d.kind) {
      case 'pending':
        if (Math.hypot(at.x - d.x, at.y - d.y) < DRAG_THRESHOLD) return;
        this.drag = { kind: 'pan', x: d.x, y: d.y, pointer: d.pointer };
        this.canvas.style.cursor = 'grabbing';
        this.panPx(d.x - at.x);
        this.setScrollTop(this.top + d.y - at.y);
        return;
      case 'pan':
        if (prev) {
          this.panPx(prev.x - at.x);
          this.setScrollTop(this.top + prev.y - at.y);
        }
        return;
      case 'box':
        d.t1 = this.timeAt(Math.min(Math.max(at.x, GUTTER_W), this.width));
        d.y1 = Math.min(Math.max(at.y, RULER_H), this.height) - RULER_H + this.top;
        this.requestDraw();
        return;
      case 'scrollbar': {
        const bar = scrollbarGeometry(this.layout.contentHeight, this.height, d.scrollTop, this.width);
        if (bar && bar.track > 0) this.setScrollTop(d.scrollTop + ((at.y - d.y) * (this.layout.contentHeight - this.viewHeight)) / bar.track);
        return;
      }
    }
  }

  private onPointerUp(at: { x: number; y: number }): void {
    const d = this.drag;
    this.endDrag();
    if (!d) return;
    if (d.kind === 'pending') {
      const r = at.y >= RULER_H ? rowAt(this.layout, at.y - RULER_H + this.top) : -1;
      const row = r >= 0 ? this.layout.rows[r]! : undefined;
      if (row?.type === 'process') {
        this.toggleGroup(row.group);
        return;
      }
      const i = this.hitTest(at.x, at.y);
      if (i >= 0) this.setSelection([i], true);
      else if (this.sel.length) this.setSelection([], true);
    } else if (d.kind === 'box') {
      const ta = Math.min(d.t0, d.t1);
      const tb = Math.max(d.t0, d.t1);
      this.setSelection(this.boxSelection(ta, tb, Math.min(d.y0, d.y1), Math.max(d.y0, d.y1)), true);
    }
  }

  private endDrag(): void {
    const d = this.drag;
    this.drag = undefined;
    this.canvas.style.cursor = 'default';
    if (d) {
      try {
        if (this.canvas.hasPointerCapture(d.pointer)) this.canvas.releasePointerCapture(d.pointer);
      } catch {
        // Already released.
      }
      this.requestDraw();
    }
  }

  private isHeaderAt(y: number): boolean {
    const r = y >= RULER_H ? rowAt(this.layout, y - RULER_H + this.top) : -1;
    return r >= 0 && this.layout.rows[r]!.type === 'process';
  }

  private setHover(i: number): void {
    if (i === this.hover) return;
    this.hover = i;
    this.requestDraw();
  }

  private hideHover(): void {
    this.setHover(-1);
    this.tooltip.hidden = true;
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const key = e.key.toLowerCase();
    switch (key) {
      case 'w':
      case 's':
      case 'a':
      case 'd':
        e.preventDefault();
        if (!this.keys.has(key)) {
          const now = performance.now();
          this.keys.set(key, now);
          this.hideHover();
          // One step at once so a tap moves; then smoothly while held.
          this.keyStep(key, 1 / 60, 0);
          if (!this.keyRaf) {
            this.keyLast = now;
            this.keyRaf = requestAnimationFrame((t) => this.keyTick(t));
          }
        }
        return;
      case 'escape':
        if (this.sel.length) {
          e.preventDefault();
          this.setSelection([], true);
        }
        return;
      case 'f':
        if (this.sel.length) {
          e.preventDefault();
          this.fitSelection();
        }
        return;
      case 'arrowleft':
      case 'arrowright':
      case 'arrowup':
      case 'arrowdown': {
        if (!this.sel.length) return;
        e.preventDefault();
        const next = this.neighbour(this.sel[0]!, key);
        if (next >= 0) {
          this.setSelection([next], true);
          this.reveal(next, false);
        }
        return;
      }
    }
  }

  private keyTick(now: number): void {
    this.keyRaf = 0;
    if (!this.keys.size || this.disposed) return;
    const dt = Math.min(0.05, Math.max(0, (now - this.keyLast) / 1000));
    this.keyLast = now;
    for (const [key, since] of this.keys) this.keyStep(key, dt, now - since);
    this.keyRaf = requestAnimationFrame((t) => this.keyTick(t));
  }

  /** One step of a held navigation key over `dt` seconds; speeds up over the first half second. */
  private keyStep(key: string, dt: number, heldMs: number): void {
    const ramp = Math.min(1, 0.35 + heldMs / 700);
    const anchor = this.mouse && this.mouse.x >= GUTTER_W ? this.mouse.x : GUTTER_W + this.trackWidth / 2;
    if (key === 'w') this.zoomAt(anchor, Math.exp(-ZOOM_KEY_RATE * dt * ramp));
    else if (key === 's') this.zoomAt(anchor, Math.exp(ZOOM_KEY_RATE * dt * ramp));
    else if (key === 'a') this.panPx(-PAN_KEY_RATE * this.trackWidth * dt * ramp);
    else if (key === 'd') this.panPx(PAN_KEY_RATE * this.trackWidth * dt * ramp);
  }

  private fitSelection(): void {
    const p = this.profile;
    let s = Infinity;
    let e = -Infinity;
    for (const i of this.sel) {
      s = Math.min(s, p.slices.start[i]!);
      e = Math.max(e, p.slices.start[i]! + p.slices.dur[i]!);
    }
    const pad = Math.max((e - s) * 0.05, MIN_SPAN);
    this.setRange(s - pad, e + pad);
    this.reveal(this.sel[0]!, false);
  }

  /** The slice next to `i`: left/right on the same row, up to the parent, down to the first child. */
  private neighbour(i: number, key: string): number {
    const p = this.profile;
    const track = p.slices.track[i]!;
    const depth = p.slices.depth[i]!;
    if (key === 'arrowup') return p.slices.parent[i]!;
    if (key === 'arrowdown') {
      const lv = this.model.level(track, depth + 1);
      const k = firstReaching(lv, p.slices.start[i]!);
      const end = p.slices.start[i]! + p.slices.dur[i]!;
      for (let j = k; j < lv.idx.length && lv.start[j]! <= end; j++) if (p.slices.parent[lv.idx[j]!] === i) return lv.idx[j]!;
      return -1;
    }
    const lv = this.model.level(track, depth);
    const k = firstStartingAfter(lv, p.slices.start[i]!) - 1;
    // k is the last slice starting at or before i; find i itself around it.
    let at = k;
    while (at >= 0 && lv.idx[at] !== i) at--;
    if (at < 0) return -1;
    const j = key === 'arrowleft' ? at - 1 : at + 1;
    return j >= 0 && j < lv.idx.length ? lv.idx[j]! : -1;
  }

  // ---------------------------------------------------------------- debug

  private makeDebug(): TimelineDebug {
    const self = this; // for the getters below
    return {
      hitTest: (x, y) => self.hitTest(x, y),
      sliceRect: (i) => self.sliceRect(i),
      trackBand(track) {
        const r = self.layout.trackRow[track];
        if (r === undefined || r < 0) return undefined;
        const row = self.layout.rows[r]!;
        return { y: self.cy(row.y), h: row.h };
      },
      groupHeader(g) {
        const r = self.layout.groupRow[g];
        if (r === undefined || r < 0) return undefined;
        const row = self.layout.rows[r]!;
        const group = self.groups[g]!;
        return { y: self.cy(row.y), h: row.h, label: group.label, tracks: group.tracks, collapsed: self.collapsed.has(g) };
      },
      get geometry() {
        return { gutterWidth: GUTTER_W, rulerHeight: RULER_H, headerHeight: HEADER_H, trackPad: TRACK_PAD, depthPitch: DEPTH_PITCH, sliceHeight: SLICE_H, width: self.width, height: self.height };
      },
      get stats() {
        return self.renderer.stats;
      },
      get frames() {
        return self.frameCount;
      },
      get scrollTop() {
        return self.top;
      },
      set scrollTop(v: number) {
        self.setScrollTop(v);
      },
      get contentHeight() {
        return self.layout.contentHeight;
      },
      drawNow: () => self.drawNow(),
    };
  }
}

function argText(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
