/**
 * Draws one frame of the timeline on a 2D canvas. No DOM per slice: for each visible (track, depth)
 * row the first slice reaching into the view is binary-searched, then slices are walked left to
 * right; slices narrower than a pixel are merged into buckets aligned to a power-of-two time quantum
 * (so a bucket does not flicker while panning), so a frame fills at most about one rectangle per
 * pixel column per row whatever the slice count. Rectangles are batched per color and filled with
 * one path each (as chrome://tracing's FastRectRenderer and Perfetto do).
 */
import type { Profile } from '../../../src/core/profile/types';
import { DEPTH_PITCH, GUTTER_W, HEADER_H, RULER_H, SLICE_H, depthY, rowAt, trackBadge, trackLabel, type Layout, type ProcessGroup } from './layout';
import { firstReaching, type TimelineModel } from './model';
import { PALETTE_SIZE, type TimelineTheme } from './theme';
import { computeTicks, formatDuration, formatTimestamp, tickLabel } from './time';

/** Everything a frame depends on. */
export interface FrameState {
  readonly model: TimelineModel;
  readonly layout: Layout;
  readonly groups: readonly ProcessGroup[];
  readonly collapsed: ReadonlySet<number>;
  readonly theme: TimelineTheme;
  /** CSS pixels. */
  readonly width: number;
  readonly height: number;
  readonly t0: number;
  readonly t1: number;
  readonly scrollTop: number;
  readonly selection: readonly number[];
  /** 1 for selected slices (same length as the slice columns), or undefined when nothing is selected. */
  readonly selectedMask: Uint8Array | undefined;
  /** Per string id: 1 when the name matches the search; undefined when not searching. */
  readonly nameMask: Uint8Array | undefined;
  readonly currentMatch: number;
  readonly hover: number;
  /** Box selection being dragged: times and content-y. */
  readonly box: { readonly t0: number; readonly t1: number; readonly y0: number; readonly y1: number } | undefined;
}

export interface FrameStats {
  /** Filled rectangles (slices and merged buckets). */
  rects: number;
  /** Of which merged buckets. */
  buckets: number;
  labels: number;
  /** Slices looked at. */
  visited: number;
  /** (track, depth) rows drawn. */
  rows: number;
  flows: number;
  drawMs: number;
}

/** Slices narrower than this (CSS px) are merged. */
const MIN_SLICE_PX = 1;
const LABEL_MIN_PX = 22;
const MAX_FLOW_SLICES = 2000;

/** A growable list of x, y, w, h. */
class Rects {
  data = new Float32Array(4 * 256);
  n = 0;
  push(x: number, y: number, w: number, h: number): void {
    if ((this.n + 1) * 4 > this.data.length) {
      const d = new Float32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    const o = this.n++ * 4;
    const d = this.data;
    d[o] = x;
    d[o + 1] = y;
    d[o + 2] = w;
    d[o + 3] = h;
  }
  /** Fills every rectangle with one path, edges snapped to whole pixels (crisp, and no antialiasing work). */
  fill(ctx: CanvasRenderingContext2D, style: string): void {
    if (!this.n) return;
    ctx.fillStyle = style;
    ctx.beginPath();
    const d = this.data;
    for (let k = 0, o = 0; k < this.n; k++, o += 4) {
      const x = Math.round(d[o]!);
      ctx.rect(x, d[o + 1]!, Math.max(1, Math.round(d[o]! + d[o + 2]!) - x), d[o + 3]!);
    }
    ctx.fill();
  }
  stroke(ctx: CanvasRenderingContext2D, style: string, lineWidth: number): void {
    if (!this.n) return;
    ctx.strokeStyle = style;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    const d = this.data;
    const inset = lineWidth / 2;
    for (let k = 0, o = 0; k < this.n; k++, o += 4) ctx.rect(d[o]! + inset, d[o + 1]! + inset, Math.max(0, d[o + 2]! - lineWidth), Math.max(0, d[o + 3]! - lineWidth));
    ctx.stroke();
  }
}

/** Labels to draw after the rectangles: position, available width, name id, text color slot. */
class Labels {
  x = new Float32Array(256);
  y = new Float32Array(256);
  w = new Float32Array(256);
  name = new Uint32Array(256);
  color = new Uint8Array(256);
  n = 0;
  push(x: number, y: number, w: number, name: number, color: number): void {
    if (this.n === this.x.length) {
      const grow = <T extends Float32Array | Uint32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.x = grow(this.x);
      this.y = grow(this.y);
      this.w = grow(this.w);
      this.name = grow(this.name);
      this.color = grow(this.color);
    }
    const k = this.n++;
    this.x[k] = x;
    this.y[k] = y;
    this.w[k] = w;
    this.name[k] = name;
    this.color[k] = color;
  }
}

export class Renderer {
  private readonly fills = Array.from({ length: 2 * PALETTE_SIZE }, () => new Rects());
  private readonly borders = new Rects();
  private readonly selected = new Rects();
  private readonly matched = new Rects();
  private readonly current = new Rects();
  private readonly hovered = new Rects();
  private readonly labels = new Labels();
  /** Label widths per string id at the slice font (NaN = not measured yet). */
  private widths: Float32Array;
  private font = '';
  readonly stats: FrameStats = { rects: 0, buckets: 0, labels: 0, visited: 0, rows: 0, flows: 0, drawMs: 0 };

  constructor(private readonly profile: Profile) {
    this.widths = new Float32Array(profile.strings.length).fill(NaN);
  }

  /** Forget measured text widths (the font changed). */
  resetText(): void {
    this.widths.fill(NaN);
  }

  draw(ctx: CanvasRenderingContext2D, f: FrameState): void {
    const t = performance.now();
    const th = f.theme;
    const sliceFont = `11px ${th.fontFamily}`;
    if (sliceFont !== this.font) {
      this.font = sliceFont;
      this.resetText();
    }
    const st = this.stats;
    st.rects = st.buckets = st.labels = st.visited = st.rows = st.flows = 0;

    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, f.width, f.height);

    const left = GUTTER_W;
    const right = f.width;
    const top = RULER_H;
    const bottom = f.height;
    const trackW = Math.max(1, right - left);
    const ppu = trackW / (f.t1 - f.t0);
    const ticks = computeTicks(f.t0, f.t1, trackW);

    // ---- track area ----
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, trackW, bottom - top);
    ctx.clip();
    const firstRow = Math.max(0, rowAt(f.layout, f.scrollTop));
    const viewBottom = f.scrollTop + (bottom - top);
    const rows = f.layout.rows;
    // Backgrounds: process headers and alternate track stripes.
    for (let r = firstRow; r < rows.length && rows[r]!.y < viewBottom; r++) {
      const row = rows[r]!;
      const y = top + row.y - f.scrollTop;
      if (row.type === 'process') {
        ctx.fillStyle = th.headerBackground;
        ctx.fillRect(left, y, trackW, row.h);
      } else {
        if (row.track % 2 === 1) {
          ctx.fillStyle = th.stripe;
          ctx.fillRect(left, y, trackW, row.h);
        }
        ctx.fillStyle = th.grid;
        ctx.fillRect(left, y + row.h - 1, trackW, 1);
      }
    }
    // Grid lines under the slices.
    ctx.fillStyle = th.grid;
    for (const tt of ticks.times) ctx.fillRect(Math.round(left + (tt - f.t0) * ppu), top, 1, bottom - top);

    for (let r = firstRow; r < rows.length && rows[r]!.y < viewBottom; r++) {
      const row = rows[r]!;
      if (row.type !== 'track') continue;
      const track = this.profile.tracks[row.track]!;
      for (let d = 0; d < track.depthCount; d++) {
        const y = top + depthY(row.y, d) - f.scrollTop;
        if (y + SLICE_H < top || y > bottom) continue;
        this.drawLevel(f, row.track, d, y, left, right, ppu);
      }
    }
    this.flush(ctx, f);
    this.drawFlows(ctx, f, left, top, ppu);
    if (f.box) {
      const x0 = left + (Math.min(f.box.t0, f.box.t1) - f.t0) * ppu;
      const x1 = left + (Math.max(f.box.t0, f.box.t1) - f.t0) * ppu;
      const y0 = top + Math.min(f.box.y0, f.box.y1) - f.scrollTop;
      const y1 = top + Math.max(f.box.y0, f.box.y1) - f.scrollTop;
      ctx.fillStyle = th.boxFill;
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      ctx.strokeStyle = th.boxStroke;
      ctx.lineWidth = 1;
      ctx.strokeRect(Math.round(x0) + 0.5, Math.round(y0) + 0.5, Math.round(x1 - x0), Math.round(y1 - y0));
    }
    ctx.restore();

    this.drawGutter(ctx, f, firstRow, viewBottom);
    this.drawRuler(ctx, f, ticks, ppu);
    this.drawScrollbar(ctx, f);
    st.drawMs = performance.now() - t;
  }

  /** One (track, depth) row: slices left to right, sub-pixel ones merged into buckets. */
  private drawLevel(f: FrameState, track: number, depth: number, y: number, left: number, right: number, ppu: number): void {
    const lv = f.model.level(track, depth);
    const n = lv.idx.length;
    if (!n) return;
    this.stats.rows++;
    const { t0, t1, model, selectedMask, nameMask } = f;
    const names = this.profile.slices.name;
    const { idx, start, end } = lv;
    const tpp = 1 / ppu;
    // Bucket quantum: a power of two ≥ one pixel of time, aligned to absolute time.
    const q = 2 ** Math.ceil(Math.log2(tpp * MIN_SLICE_PX));
    const minDur = tpp * MIN_SLICE_PX;
    const dimming = nameMask !== undefined;
    let bActive = false;
    let bCell = 0;
    let bEnd = 0;
    let bLong = -1;
    let bName = 0;
    let bSel = 0;
    let bMatch = 0;
    let visited = 0;
    const flushBucket = () => {
      const x0 = left + (bCell * q - t0) * ppu;
      const x1 = left + (bEnd - t0) * ppu;
      const c = model.color(bName) + (dimming && !bMatch ? PALETTE_SIZE : 0);
      this.fills[c]!.push(x0, y, Math.max(MIN_SLICE_PX, x1 - x0), SLICE_H);
      this.stats.rects++;
      this.stats.buckets++;
      // A merged bucket shows a match by staying bright (no outline: dense matches would paint the row over).
      if (bSel) this.selected.push(x0 - 1, y - 1, Math.max(MIN_SLICE_PX, x1 - x0) + 2, SLICE_H + 2);
    };
    for (let k = firstReaching(lv, t0); k < n; k++) {
      const s = start[k]!;
      if (s > t1) break;
      visited++;
      const e = end[k]!;
      if (e - s < minDur) {
        const cell = Math.floor(s / q);
        if (bActive && (cell === bCell || s <= bEnd)) {
          if (e > bEnd) bEnd = e;
        } else {
          if (bActive) flushBucket();
          bActive = true;
          bCell = cell;
          bEnd = Math.max(e, (cell + 1) * q);
          bLong = -1;
          bSel = 0;
          bMatch = 0;
        }
        const i = idx[k]!;
        if (e - s > bLong) {
          bLong = e - s;
          bName = names[i]!;
        }
        if (selectedMask) bSel |= selectedMask[i]!;
        if (nameMask) bMatch |= nameMask[names[i]!]!;
        continue;
      }
      if (bActive) {
        flushBucket();
        bActive = false;
      }
      const i = idx[k]!;
      const name = names[i]!;
      // Clamp to just outside the view: huge coordinates make canvas paths slow and imprecise.
      const x0 = Math.max(left - 2, left + (s - t0) * ppu);
      const x1 = Math.min(right + 2, left + (e - t0) * ppu);
      const w = x1 - x0;
      const match = nameMask ? nameMask[name]! : 1;
      const color = model.color(name);
      this.fills[color + (dimming && !match ? PALETTE_SIZE : 0)]!.push(x0, y, w, SLICE_H);
      this.stats.rects++;
      if (f.theme.sliceBorder && w >= 3) this.borders.push(x0, y, w, SLICE_H);
      if (selectedMask && selectedMask[i]) this.selected.push(x0 - 1, y - 1, w + 2, SLICE_H + 2);
      else if (i === f.hover) this.hovered.push(x0, y, w, SLICE_H);
      if (dimming && match) (i === f.currentMatch ? this.current : this.matched).push(x0 - 1, y - 1, w + 2, SLICE_H + 2);
      // Labels in the visible part of the slice.
      const vx0 = Math.max(x0, left);
      const vw = Math.min(x1, right) - vx0;
      if (vw >= LABEL_MIN_PX) this.labels.push(vx0, y, vw, name, dimming && !match ? PALETTE_SIZE : color);
    }
    if (bActive) flushBucket();
    this.stats.visited += visited;
  }

  private flush(ctx: CanvasRenderingContext2D, f: FrameState): void {
    const th = f.theme;
    for (let c = 0; c < this.fills.length; c++) {
      const r = this.fills[c]!;
      r.fill(ctx, c < PALETTE_SIZE ? th.palette[c]! : th.paletteDim[c - PALETTE_SIZE]!);
      r.n = 0;
    }
    if (th.sliceBorder) this.borders.stroke(ctx, th.sliceBorder, 1);
    this.borders.n = 0;
    // Labels.
    const L = this.labels;
    if (L.n) {
      ctx.font = this.font;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'center';
      const strings = this.profile.strings;
      const ellipsisW = ctx.measureText('…').width;
      let lastColor = -1;
      for (let k = 0; k < L.n; k++) {
        const id = L.name[k]!;
        const text = strings[id]!;
        let tw = this.widths[id]!;
        if (tw !== tw) {
          tw = ctx.measureText(text).width;
          this.widths[id] = tw;
        }
        const avail = L.w[k]! - 6;
        let shown = text;
        if (tw > avail) {
          const chars = Math.floor(((avail - ellipsisW) / tw) * text.length);
          if (chars < 2) continue;
          shown = text.slice(0, chars) + '…';
        }
        const c = L.color[k]!;
        if (c !== lastColor) {
          ctx.fillStyle = c >= PALETTE_SIZE ? th.muted : th.paletteText[c]!;
          lastColor = c;
        }
        ctx.fillText(shown, L.x[k]! + L.w[k]! / 2, L.y[k]! + SLICE_H / 2 + 0.5, Math.max(1, avail));
        this.stats.labels++;
      }
      L.n = 0;
    }
    this.hovered.stroke(ctx, th.foreground, 1);
    this.matched.stroke(ctx, th.highlight, 1.5);
    this.current.stroke(ctx, th.currentMatch, 2.5);
    this.selected.stroke(ctx, th.selection, 2);
    this.hovered.n = this.matched.n = this.current.n = this.selected.n = 0;
  }

  /** Flow arrows from and to the selected slices, from the end of the source to the start of the target. */
  private drawFlows(ctx: CanvasRenderingContext2D, f: FrameState, left: number, top: number, ppu: number): void {
    if (!f.selection.length) return;
    const p = this.profile;
    const seen = new Set<number>();
    const n = Math.min(f.selection.length, MAX_FLOW_SLICES);
    for (let k = 0; k < n; k++) for (const fl of f.model.flowsOf(f.selection[k]!)) seen.add(fl);
    if (!seen.size) return;
    const yOf = (i: number): number | undefined => {
      const track = p.slices.track[i]!;
      const r = f.layout.trackRow[track]!;
      if (r >= 0) return top + depthY(f.layout.rows[r]!.y, p.slices.depth[i]!) + SLICE_H / 2 - f.scrollTop;
      const g = f.groups.findIndex((gr) => gr.tracks.includes(track));
      const gr = g >= 0 ? f.layout.groupRow[g]! : -1;
      return gr >= 0 ? top + f.layout.rows[gr]!.y + HEADER_H / 2 - f.scrollTop : undefined;
    };
    ctx.strokeStyle = f.theme.flow;
    ctx.fillStyle = f.theme.flow;
    ctx.lineWidth = 1.5;
    // Many arrows (a box selection): lighter, so the slices stay readable.
    ctx.globalAlpha = seen.size > 16 ? 0.45 : 1;
    for (const fl of seen) {
      const a = p.flows.from[fl]!;
      const b = p.flows.to[fl]!;
      if (a < 0 || b < 0) continue;
      const ya = yOf(a);
      const yb = yOf(b);
      if (ya === undefined || yb === undefined) continue;
      const clampX = (x: number) => Math.max(-1e5, Math.min(1e5, x));
      const xa = clampX(left + (p.slices.start[a]! + p.slices.dur[a]! - f.t0) * ppu);
      const xb = clampX(left + (p.slices.start[b]! - f.t0) * ppu);
      const bend = Math.max(12, Math.min(80, Math.abs(xb - xa) / 2));
      ctx.beginPath();
      ctx.moveTo(xa, ya);
      ctx.bezierCurveTo(xa + bend, ya, xb - bend, yb, xb - 5, yb);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(xb, yb);
      ctx.lineTo(xb - 7, yb - 4);
      ctx.lineTo(xb - 7, yb + 4);
      ctx.closePath();
      ctx.fill();
      ctx.beginPath();
      ctx.arc(xa, ya, 2.5, 0, Math.PI * 2);
      ctx.fill();
      this.stats.flows++;
    }
    ctx.globalAlpha = 1;
  }

  private drawGutter(ctx: CanvasRenderingContext2D, f: FrameState, firstRow: number, viewBottom: number): void {
    const th = f.theme;
    const top = RULER_H;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, top, GUTTER_W, f.height - top);
    ctx.clip();
    ctx.fillStyle = th.gutterBackground;
    ctx.fillRect(0, top, GUTTER_W, f.height - top);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    const rows = f.layout.rows;
    for (let r = firstRow; r < rows.length && rows[r]!.y < viewBottom; r++) {
      const row = rows[r]!;
      const y = top + row.y - f.scrollTop;
      if (row.type === 'process') {
        const g = f.groups[row.group]!;
        ctx.fillStyle = th.headerBackground;
        ctx.fillRect(0, y, GUTTER_W, row.h);
        ctx.fillStyle = th.foreground;
        ctx.font = `600 12px ${th.fontFamily}`;
        const open = !f.collapsed.has(g.index);
        drawChevron(ctx, 10, y + row.h / 2, open);
        const count = ` (${g.tracks.length})`;
        const cw = ctx.measureText(count).width;
        const label = ellipsize(ctx, g.label, GUTTER_W - 24 - cw - 6);
        const lw = ctx.measureText(label).width;
        ctx.fillText(label, 20, y + row.h / 2);
        ctx.fillStyle = th.muted;
        ctx.font = `12px ${th.fontFamily}`;
        ctx.fillText(count, 20 + lw, y + row.h / 2);
      } else {
        const t = this.profile.tracks[row.track]!;
        const badge = trackBadge(t);
        let x = 22;
        const cy = y + Math.min(row.h, DEPTH_PITCH + 6) / 2 + 1;
        ctx.font = `600 9px ${th.fontFamily}`;
        if (badge) {
          const bw = ctx.measureText(badge).width + 8;
          ctx.strokeStyle = t.kind === 'gpu-stream' || t.kind === 'ep' ? th.selection : th.muted;
          ctx.fillStyle = ctx.strokeStyle;
          ctx.lineWidth = 1;
          roundRect(ctx, x + 0.5, cy - 7.5, bw, 14, 3);
          ctx.stroke();
          ctx.fillText(badge, x + 4.5, cy + 0.5);
          x += bw + 6;
        }
        ctx.font = `12px ${th.fontFamily}`;
        ctx.fillStyle = th.foreground;
        ctx.fillText(ellipsize(ctx, trackLabel(t), GUTTER_W - x - 8), x, cy);
        ctx.fillStyle = th.grid;
        ctx.fillRect(0, y + row.h - 1, f.width, 1);
      }
    }
    ctx.restore();
    // The gutter's edge.
    ctx.fillStyle = th.border;
    ctx.fillRect(GUTTER_W - 1, top, 1, f.height - top);
  }

  private drawRuler(ctx: CanvasRenderingContext2D, f: FrameState, ticks: ReturnType<typeof computeTicks>, ppu: number): void {
    const th = f.theme;
    const left = GUTTER_W;
    ctx.fillStyle = th.gutterBackground;
    ctx.fillRect(0, 0, f.width, RULER_H);
    ctx.font = `11px ${th.fontFamily}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.fillStyle = th.muted;
    const span = f.t1 - f.t0;
    ctx.fillText(ellipsize(ctx, ticks.anchor ? `${formatTimestamp(ticks.anchor)} +` : `view ${formatDuration(span)}`, GUTTER_W - 16), 8, RULER_H / 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, 0, f.width - left, RULER_H);
    ctx.clip();
    if (f.box) {
      const x0 = left + (Math.min(f.box.t0, f.box.t1) - f.t0) * ppu;
      const x1 = left + (Math.max(f.box.t0, f.box.t1) - f.t0) * ppu;
      ctx.fillStyle = th.boxFill;
      ctx.fillRect(x0, 0, x1 - x0, RULER_H);
    }
    ctx.fillStyle = th.foreground;
    for (const t of ticks.times) {
      const x = Math.round(left + (t - f.t0) * ppu);
      ctx.fillRect(x, RULER_H - 8, 1, 8);
      const label = tickLabel(t, ticks);
      // A label cut by the right edge reads as another number: leave it out.
      if (x + 4 + ctx.measureText(label).width <= f.width - 2) ctx.fillText(label, x + 4, RULER_H / 2 - 2);
    }
    // Minor ticks: fifths of a step.
    ctx.fillStyle = th.muted;
    const minor = ticks.step / 5;
    if (minor * ppu >= 6) {
      for (let t = Math.ceil(f.t0 / minor) * minor; t <= f.t1; t += minor) ctx.fillRect(Math.round(left + (t - f.t0) * ppu), RULER_H - 4, 1, 4);
    }
    if (f.box) {
      const d = Math.abs(f.box.t1 - f.box.t0);
      const x = left + (Math.max(f.box.t0, f.box.t1) - f.t0) * ppu;
      const label = formatDuration(d);
      const w = ctx.measureText(label).width + 8;
      ctx.fillStyle = th.selection;
      ctx.fillRect(x - w, 2, w, RULER_H - 6);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(label, x - w + 4, RULER_H / 2 - 1);
    }
    ctx.restore();
    ctx.fillStyle = th.border;
    ctx.fillRect(0, RULER_H - 1, f.width, 1);
  }

  private drawScrollbar(ctx: CanvasRenderingContext2D, f: FrameState): void {
    const geo = scrollbarGeometry(f.layout.contentHeight, f.height, f.scrollTop, f.width);
    if (!geo) return;
    ctx.fillStyle = f.theme.scrollbar;
    roundRect(ctx, geo.x, geo.y, geo.w, geo.h, 3);
    ctx.fill();
  }
}

/** Where the vertical scrollbar thumb is (CSS px), or undefined when everything fits. */
export function scrollbarGeometry(contentHeight: number, height: number, scrollTop: number, width: number): { x: number; y: number; w: number; h: number; track: number } | undefined {
  const view = height - RULER_H;
  if (contentHeight <= view || view <= 0) return undefined;
  const h = Math.max(24, (view * view) / contentHeight);
  const y = RULER_H + ((view - h) * scrollTop) / (contentHeight - view);
  return { x: width - 9, y, w: 7, h, track: view - h };
}

function drawChevron(ctx: CanvasRenderingContext2D, x: number, y: number, open: boolean): void {
  ctx.beginPath();
  if (open) {
    ctx.moveTo(x - 4, y - 2);
    ctx.lineTo(x + 4, y - 2);
    ctx.lineTo(x, y + 3);
  } else {
    ctx.moveTo(x - 2, y - 4);
    ctx.lineTo(x + 3, y);
    ctx.lineTo(x - 2, y + 4);
  }
  ctx.closePath();
  ctx.fill();
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** `text`, cut with an ellipsis to fit `max` px at the current font. */
export function ellipsize(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo > 0 ? text.slice(0, lo) + '…' : '';
}
