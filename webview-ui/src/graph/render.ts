/**
 * Draws a laid-out graph on a canvas: group frames, edges (smoothed along the layout's routes, with
 * arrowheads and value shapes when zoomed in), then the boxes. Only what intersects the viewport is
 * visited; an open group smaller than a few pixels on screen is drawn as one block and its subtree
 * skipped (semantic zoom), so a frame costs about what fits on the screen whatever the model's size.
 */
import type { LayoutResult } from './layout';
import { GROUP_HEADER } from './layout';
import type { GraphModel, OverlayValues } from './model';
import { heatColor, opFamily, rgbCss, textOn, type GraphTheme } from './theme';

export const NODE_H = 28;
export const LINE_H = 14;
export const FONT_PX = 12;
export const SMALL_PX = 10.5;
/** Below these on-screen sizes an open group is drawn as a block. */
const BLOCK_W = 36;
const BLOCK_H = 22;

export interface Viewport {
  /** Screen = world * scale + (tx, ty), in CSS pixels. */
  scale: number;
  tx: number;
  ty: number;
  width: number;
  height: number;
}

/** A LayoutResult with what drawing and hit testing need. */
export class Scene {
  /** Visible index of each item, -1 when hidden. */
  readonly index: Int32Array;
  readonly depth: Uint8Array;
  readonly edgeBox: Float32Array;
  /** Items hidden in the last frame by a block (semantic zoom). */
  readonly blocked: Uint8Array;
  private readonly grid = new Map<number, number[]>();
  private static readonly CELL = 512;

  constructor(
    readonly layout: LayoutResult,
    itemCount: number,
  ) {
    const n = layout.items.length;
    this.index = new Int32Array(itemCount).fill(-1);
    layout.items.forEach((item, k) => (this.index[item] = k));
    this.depth = new Uint8Array(n);
    const stack: number[] = [];
    for (let k = 0; k < n; k++) {
      while (stack.length && layout.end[stack[stack.length - 1]!]! <= k) stack.pop();
      this.depth[k] = Math.min(255, stack.length);
      stack.push(k);
    }
    this.blocked = new Uint8Array(n);
    const E = layout.edgeFrom.length;
    this.edgeBox = new Float32Array(E * 4);
    for (let e = 0; e < E; e++) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      for (let p = layout.pointStart[e]!; p < layout.pointStart[e + 1]!; p++) {
        const x = layout.points[2 * p]!;
        const y = layout.points[2 * p + 1]!;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      this.edgeBox.set([x0, y0, x1, y1], e * 4);
    }
    const C = Scene.CELL;
    for (let k = 1; k < n; k++) {
      const cx0 = Math.floor(layout.x[k]! / C);
      const cx1 = Math.floor((layout.x[k]! + layout.w[k]!) / C);
      const cy0 = Math.floor(layout.y[k]! / C);
      const cy1 = Math.floor((layout.y[k]! + layout.h[k]!) / C);
      // Big open groups are found through their children; index only their header band.
      const open = layout.open[k] === 1;
      for (let cy = cy0; cy <= (open ? Math.floor((layout.y[k]! + GROUP_HEADER) / C) : cy1); cy++) {
        for (let cx = cx0; cx <= cx1; cx++) {
          const key = cy * 1e6 + cx;
          const cell = this.grid.get(key);
          if (cell) cell.push(k);
          else this.grid.set(key, [k]);
        }
      }
    }
  }

  /**
   * The visible index of the box at world point (x, y): the innermost drawn item containing it.
   * An open group is hit only on its header band (its body belongs to its children), unless the
   * last frame drew it as a block.
   */
  hit(x: number, y: number): number {
    const C = Scene.CELL;
    const cell = this.grid.get(Math.floor(y / C) * 1e6 + Math.floor(x / C));
    const L = this.layout;
    let best = -1;
    for (const k of cell ?? []) {
      if (this.blocked[k]) continue;
      if (x < L.x[k]! || x > L.x[k]! + L.w[k]! || y < L.y[k]! || y > L.y[k]! + L.h[k]!) continue;
      if (L.open[k] && y > L.y[k]! + GROUP_HEADER && !this.isBlock(k)) continue;
      if (k > best) best = k;
    }
    // Inside an open group's body with nothing under the point: the group itself.
    if (best === -1) {
      for (let k = L.items.length - 1; k > 0; k--) {
        if (this.blocked[k] || !L.open[k]) continue;
        if (x >= L.x[k]! && x <= L.x[k]! + L.w[k]! && y >= L.y[k]! && y <= L.y[k]! + L.h[k]!) return k;
      }
    }
    return best;
  }

  /** Whether visible item k was drawn as a block in the last frame. */
  isBlock(k: number): boolean {
    const L = this.layout;
    return L.open[k] === 1 && L.end[k]! > k + 1 && this.blocked[k + 1] === 1 && this.blocked[k] === 0;
  }
}

export interface DrawState {
  readonly selected: number;
  readonly matches: ReadonlySet<number>;
  readonly current: number;
  readonly overlay: OverlayValues | undefined;
  /** Overlay scale over the visible boxes: log10 of the smallest and largest positive values. */
  readonly scale: { readonly lo: number; readonly hi: number } | undefined;
}

export interface FrameStats {
  boxes: number;
  edges: number;
  blocks: number;
  millis: number;
}

/** `float[1,64,256]` → `1×64×256`; a scalar → `scalar`. */
export function shapeLabel(type: string): string {
  const m = /\[(.*)\]$/.exec(type);
  if (!m) return type;
  return m[1] ? m[1].split(',').join('×') : 'scalar';
}

export function overlayT(state: DrawState, v: number): number | undefined {
  if (!state.scale || !(v > 0)) return v === 0 ? 0 : undefined;
  const { lo, hi } = state.scale;
  return hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 1;
}

export function drawScene(ctx: CanvasRenderingContext2D, dpr: number, scene: Scene, model: GraphModel, vp: Viewport, theme: GraphTheme, state: DrawState): FrameStats {
  const t0 = performance.now();
  const L = scene.layout;
  const s = vp.scale;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, vp.width, vp.height);
  ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * vp.tx, dpr * vp.ty);
  const vx0 = -vp.tx / s;
  const vy0 = -vp.ty / s;
  const vx1 = (vp.width - vp.tx) / s;
  const vy1 = (vp.height - vp.ty) / s;
  const px = 1 / s;
  const stats: FrameStats = { boxes: 0, edges: 0, blocks: 0, millis: 0 };
  scene.blocked.fill(0);
  const boxes: number[] = [];
  const n = L.items.length;
  const textOk = FONT_PX * s >= 6;

  // 1. Group frames (outer first), collecting the boxes to draw on top.
  for (let k = 0; k < n; ) {
    const x = L.x[k]!;
    const y = L.y[k]!;
    const w = L.w[k]!;
    const h = L.h[k]!;
    if (x > vx1 || y > vy1 || x + w < vx0 || y + h < vy0) {
      k = L.end[k]!;
      continue;
    }
    if (L.open[k]) {
      if (k > 0 && (w * s < BLOCK_W || h * s < BLOCK_H)) {
        scene.blocked.fill(1, k + 1, L.end[k]!);
        stats.blocks++;
        boxes.push(k);
        k = L.end[k]!;
        continue;
      }
      if (k > 0) {
        ctx.fillStyle = theme.groupFill[(scene.depth[k]! - 1) % theme.groupFill.length]!;
        roundRect(ctx, x, y, w, h, 6);
        ctx.fill();
        ctx.lineWidth = px;
        ctx.strokeStyle = state.selected === k ? theme.selection : theme.groupStroke;
        if (state.selected === k) ctx.lineWidth = 2 * px;
        ctx.stroke();
        if (textOk) {
          ctx.fillStyle = theme.groupText;
          ctx.font = `600 ${FONT_PX}px ${theme.fontFamily}`;
          ctx.textBaseline = 'middle';
          ctx.textAlign = 'left';
          toggleGlyph(ctx, x + 8, y + GROUP_HEADER / 2, '−', theme, px);
          fitText(ctx, model.title(L.items[k]!), x + 22, y + GROUP_HEADER / 2, w - 30);
        }
      }
      k++;
      continue;
    }
    boxes.push(k);
    k++;
  }

  // 2. Edges between the frames and the boxes.
  const E = L.edgeFrom.length;
  const arrows = s >= 0.35;
  const labels = s >= 0.75;
  const hot: number[] = [];
  ctx.beginPath();
  const arrowPath = new Path2D();
  for (let e = 0; e < E; e++) {
    const b = e * 4;
    if (scene.edgeBox[b]! > vx1 || scene.edgeBox[b + 1]! > vy1 || scene.edgeBox[b + 2]! < vx0 || scene.edgeBox[b + 3]! < vy0) continue;
    const a = scene.index[L.edgeFrom[e]!]!;
    const z = scene.index[L.edgeTo[e]!]!;
    if (scene.blocked[a] && scene.blocked[z]) continue;
    if (state.selected >= 0 && (a === state.selected || z === state.selected)) hot.push(e);
    tracePolyline(ctx, L, e);
    if (arrows) arrowHead(arrowPath, L, e, 7 * Math.max(1, px));
    stats.edges++;
  }
  ctx.lineWidth = Math.max(px, 1.2 * px);
  ctx.strokeStyle = theme.edge;
  ctx.stroke();
  ctx.fillStyle = theme.edge;
  if (arrows) ctx.fill(arrowPath);
  if (hot.length) {
    ctx.beginPath();
    const hotArrows = new Path2D();
    for (const e of hot) {
      tracePolyline(ctx, L, e);
      arrowHead(hotArrows, L, e, 8 * Math.max(1, px));
    }
    ctx.lineWidth = 2.5 * px;
    ctx.strokeStyle = theme.selection;
    ctx.stroke();
    ctx.fillStyle = theme.selection;
    ctx.fill(hotArrows);
  }
  if (labels) {
    ctx.font = `${SMALL_PX}px ${theme.monoFamily}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.edgeLabel;
    for (let e = 0; e < E; e++) {
      const b = e * 4;
      if (scene.edgeBox[b]! > vx1 || scene.edgeBox[b + 1]! > vy1 || scene.edgeBox[b + 2]! < vx0 || scene.edgeBox[b + 3]! < vy0) continue;
      const p0 = L.pointStart[e]!;
      const p1 = L.pointStart[e + 1]!;
      if (p1 - p0 < 2) continue;
      const count = L.edgeCount[e]!;
      const text = count > 1 ? `×${count}` : shapeLabel(model.str(model.graph.values.type[L.edgeValue[e]!]!));
      if (!text || /^[?×]+$/.test(text)) continue;
      // Just below the source box, beside the line.
      const m = Math.min(p1 - 1, p0 + 1);
      const x = (L.points[2 * p0]! + L.points[2 * m]!) / 2;
      const y = (L.points[2 * p0 + 1]! + L.points[2 * m + 1]!) / 2;
      ctx.fillText(text, x + 4, Math.min(y, L.points[2 * p0 + 1]! + 12));
    }
  }

  // 3. Boxes: nodes, collapsed groups and blocks.
  for (const k of boxes) {
    drawBox(ctx, k, scene, model, theme, state, s, px, textOk);
    stats.boxes++;
  }
  stats.millis = performance.now() - t0;
  return stats;
}

function drawBox(ctx: CanvasRenderingContext2D, k: number, scene: Scene, model: GraphModel, theme: GraphTheme, state: DrawState, s: number, px: number, textOk: boolean): void {
  const L = scene.layout;
  const item = L.items[k]!;
  const x = L.x[k]!;
  const y = L.y[k]!;
  const w = L.w[k]!;
  const h = L.h[k]!;
  const tiny = w * s < 3 || h * s < 3;
  const isGroup = model.isGroup(item);
  const block = isGroup && L.open[k] === 1;
  let fill: string;
  let stroke: string;
  let text: string;
  const ov = state.overlay;
  const v = ov ? (isGroup ? ov.group[item - model.N]! : ov.node[item]!) : NaN;
  const isIo = !isGroup && model.nodeKind(item) !== 'op';
  if (ov && !isIo) {
    const t = overlayT(state, v);
    if (t === undefined || Number.isNaN(v)) {
      fill = theme.heatMissing;
      text = theme.muted;
    } else {
      const c = heatColor(theme, t);
      fill = rgbCss(c);
      text = textOn(c);
    }
    stroke = theme.hc ? theme.groupStroke : theme.collapsedStroke;
  } else if (isGroup) {
    fill = theme.collapsedFill;
    stroke = theme.collapsedStroke;
    text = theme.foreground;
  } else if (isIo) {
    fill = theme.io.fill;
    stroke = theme.io.stroke;
    text = theme.io.text;
  } else {
    const c = theme.node[opFamily(model.opType(item))];
    fill = c.fill;
    stroke = c.stroke;
    text = c.text;
  }
  ctx.fillStyle = fill;
  if (tiny) {
    ctx.fillRect(x, y, w, h);
    return;
  }
  if (isIo) roundRect(ctx, x, y, w, h, h / 2);
  else roundRect(ctx, x, y, w, h, isGroup ? 5 : 3);
  ctx.fill();
  const selected = state.selected === k;
  const match = state.matches.has(item);
  ctx.lineWidth = (selected || match ? 2.5 : isGroup ? 1.2 : 1) * px;
  ctx.strokeStyle = selected ? theme.selection : item === state.current ? theme.currentMatch : match ? theme.match : stroke;
  if (isGroup) ctx.setLineDash([4 * px, 3 * px]);
  ctx.stroke();
  if (isGroup) ctx.setLineDash([]);
  if (!textOk || w * s < 24) return;
  ctx.fillStyle = text;
  ctx.textBaseline = 'middle';
  if (isGroup) {
    ctx.font = `600 ${FONT_PX}px ${theme.fontFamily}`;
    ctx.textAlign = 'left';
    if (!block) toggleGlyph(ctx, x + 8, y + NODE_H / 2, '+', theme, px);
    fitText(ctx, model.title(item), x + 22, y + NODE_H / 2, w - 30);
    ctx.font = `${SMALL_PX}px ${theme.fontFamily}`;
    const g = item - model.N;
    const count = model.graph.groups.nodeCount[g]!;
    fitText(ctx, `${count.toLocaleString('en-US')} node${count === 1 ? '' : 's'}${block ? ' (zoom in)' : ''}`, x + 22, y + NODE_H / 2 + LINE_H, w - 30);
    return;
  }
  ctx.font = `${isIo ? '' : '600 '}${FONT_PX}px ${theme.fontFamily}`;
  ctx.textAlign = 'center';
  fitText(ctx, model.title(item), x + w / 2, y + NODE_H / 2, w - 10);
  if (!isIo && h > NODE_H && FONT_PX * s >= 8) {
    ctx.font = `${SMALL_PX}px ${theme.monoFamily}`;
    model.weightLines(item).forEach((line, i) => fitText(ctx, line, x + w / 2, y + NODE_H + i * LINE_H + LINE_H / 2 - 4, w - 10));
  }
}

function toggleGlyph(ctx: CanvasRenderingContext2D, cx: number, cy: number, glyph: string, theme: GraphTheme, px: number): void {
  const saved = ctx.fillStyle;
  ctx.strokeStyle = theme.groupStroke;
  ctx.lineWidth = px;
  ctx.strokeRect(cx - 5, cy - 5, 10, 10);
  ctx.beginPath();
  ctx.moveTo(cx - 3, cy);
  ctx.lineTo(cx + 3, cy);
  if (glyph === '+') {
    ctx.moveTo(cx, cy - 3);
    ctx.lineTo(cx, cy + 3);
  }
  ctx.strokeStyle = typeof saved === 'string' ? saved : theme.foreground;
  ctx.stroke();
  ctx.fillStyle = saved;
}

/** Text cut with an ellipsis to fit `max` world pixels. */
function fitText(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, max: number): void {
  if (max <= 4) return;
  if (ctx.measureText(text).width <= max) {
    ctx.fillText(text, x, y);
    return;
  }
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid;
    else hi = mid - 1;
  }
  if (lo > 0) ctx.fillText(`${text.slice(0, lo)}…`, x, y);
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  const rr = Math.min(r, w / 2, h / 2);
  ctx.beginPath();
  ctx.moveTo(x + rr, y);
  ctx.arcTo(x + w, y, x + w, y + h, rr);
  ctx.arcTo(x + w, y + h, x, y + h, rr);
  ctx.arcTo(x, y + h, x, y, rr);
  ctx.arcTo(x, y, x + w, y, rr);
  ctx.closePath();
}

/** A smooth line through the route's points (quadratic curves through the midpoints, as d3's basis curve looks). */
function tracePolyline(ctx: CanvasRenderingContext2D, L: LayoutResult, e: number): void {
  const p0 = L.pointStart[e]!;
  const p1 = L.pointStart[e + 1]!;
  if (p1 - p0 < 2) return;
  const P = L.points;
  ctx.moveTo(P[2 * p0]!, P[2 * p0 + 1]!);
  for (let p = p0 + 1; p < p1 - 1; p++) {
    const mx = (P[2 * p]! + P[2 * p + 2]!) / 2;
    const my = (P[2 * p + 1]! + P[2 * p + 3]!) / 2;
    ctx.quadraticCurveTo(P[2 * p]!, P[2 * p + 1]!, mx, my);
  }
  ctx.lineTo(P[2 * (p1 - 1)]!, P[2 * (p1 - 1) + 1]!);
}

function arrowHead(path: Path2D, L: LayoutResult, e: number, size: number): void {
  const p0 = L.pointStart[e]!;
  const p1 = L.pointStart[e + 1]!;
  if (p1 - p0 < 2) return;
  const P = L.points;
  const x = P[2 * (p1 - 1)]!;
  const y = P[2 * (p1 - 1) + 1]!;
  let dx = x - P[2 * (p1 - 2)]!;
  let dy = y - P[2 * (p1 - 2) + 1]!;
  const len = Math.hypot(dx, dy) || 1;
  dx /= len;
  dy /= len;
  path.moveTo(x, y);
  path.lineTo(x - dx * size - dy * size * 0.45, y - dy * size + dx * size * 0.45);
  path.lineTo(x - dx * size + dy * size * 0.45, y - dy * size - dx * size * 0.45);
  path.closePath();
}
