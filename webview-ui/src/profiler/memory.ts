/**
 * The memory view of the profiler panel: memory over time (uPlot charts, one per memory device of
 * the profile, the ONNX Runtime arena from the profile's node events, and the worker's resident set
 * from the run file) with the peak marked, and what makes up the peak.
 *
 *   - PyTorch `[memory]` samples: allocated bytes (`memoryCurve`) and, when the trace has the
 *     allocator's totals, reserved bytes; under the chart the allocations live at the peak grouped
 *     by allocating operator (`liveAtPeak`).
 *   - ONNX Runtime profile: the arena's bytes in use and held after each node (`mem_bytes_in_use`,
 *     `mem_arena_held` on the node events), on the timeline's clock.
 *   - ONNX Runtime run file: the worker's RSS samples (`result.memory.rssSamples`) with the ORT arena
 *     peak (`operators.arenaPeakBytes`) as a horizontal line labelled with the node running then.
 *
 * Charts on the profile's clock call `onSelectTime` with the time of the sample clicked (the sample
 * nearest the pointer on screen). The RSS samples are on the worker's own clock, which the profile
 * does not share, so that chart only shows. Drag to zoom (device charts zoom together), double-click
 * to reset. Colors come from VS Code's theme variables, read at mount and again when the theme
 * changes. Strict-CSP safe: uPlot only sets style properties from script; its stylesheet is bundled
 * (memory.css imports it).
 */
import { cssColorParser, type Rgb } from '../timeline/theme';
import uPlot from 'uplot';
import { formatBytes, formatCount } from '../../../src/core/format';
import { liveAtPeak, memoryCurve, type LiveAtPeakRow } from '../../../src/core/profile/analyses';
import { SLICE_KINDS, type Profile } from '../../../src/core/profile/types';
import type { ProfileRun } from '../../../src/protocol/messages';
import { h } from '../shared/dom';
import { dataTable } from '../shared/table';
import { formatDuration, formatTimestamp, unitFor } from '../timeline/time';

export interface MemoryView {
  readonly element: HTMLElement;
  /** call after the element is in the document */
  mount(): void;
  dispose(): void;
}

export interface MemoryViewOptions {
  /** A point of a chart on the profile's clock was clicked: its time, µs from the profile's origin. */
  onSelectTime?(tUs: number): void;
}

const ORT_NODE = SLICE_KINDS.indexOf('ort_node');
const PLOT_HEIGHT = 220;
/** How far (CSS px) from the pointer a click still picks a sample. */
const PICK_RADIUS = 12;

// ---------------------------------------------------------------- what is charted

type SeriesRole = 'allocated' | 'reserved' | 'highWater';

interface SeriesSpec {
  readonly label: string;
  readonly role: SeriesRole;
  readonly values: Float64Array | (number | null)[];
}

interface ChartSpec {
  readonly kind: 'device' | 'arena' | 'rss';
  /** Device name, `ort-arena` or `rss`. */
  readonly key: string;
  readonly title: string;
  readonly note: string;
  /** Sample times, µs (from the profile's origin, or from the worker's start for RSS). */
  readonly xs: Float64Array;
  readonly series: readonly SeriesSpec[];
  /** The peak: sample `index` of series `series` (an index into `series`). */
  readonly peak?: { readonly index: number; readonly series: number; readonly tUs: number; readonly bytes: number };
  /** A horizontal line (the ORT arena peak). */
  readonly line?: { readonly bytes: number; readonly label: string };
  /** On the profile's clock: clicks select a time, zoom is shared. */
  readonly profileClock: boolean;
  /** The x range shown at first (the whole profile for charts on its clock). */
  readonly xRange: readonly [number, number];
}

function peakOf(values: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[k]!) k = i;
  return k;
}

/** [a, b] with 1.5% more on each side, so a peak at either end is drawn whole. */
function padded(a: number, b: number): [number, number] {
  const pad = Math.max((b - a) * 0.015, 1);
  return [a - pad, b + pad];
}

function peakLabel(bytes: number, tUs: number): string {
  return `peak ${formatBytes(bytes)} at ${formatDuration(tUs)}`;
}

/** One chart per memory device with samples, and what is live at each one's peak. */
function deviceCharts(p: Profile): { spec: ChartSpec; live: ReturnType<typeof liveAtPeak>; fromTotals: boolean }[] {
  const out: { spec: ChartSpec; live: ReturnType<typeof liveAtPeak>; fromTotals: boolean }[] = [];
  p.memoryDevices.forEach((dev, d) => {
    const c = memoryCurve(p, d);
    if (c.samples.length === 0) return;
    let fromTotals = false;
    let anyReserved = false;
    const reserved: (number | null)[] = [];
    for (const i of c.samples) {
      if (!Number.isNaN(p.memory.totalAllocated[i]!)) fromTotals = true;
      const r = p.memory.totalReserved[i]!;
      if (!Number.isNaN(r)) anyReserved = true;
      reserved.push(Number.isNaN(r) ? null : r);
    }
    const live = liveAtPeak(p, d);
    const series: SeriesSpec[] = [{ label: 'allocated', role: 'allocated', values: c.allocated }];
    if (anyReserved) series.push({ label: 'reserved', role: 'reserved', values: reserved });
    const index = peakOf(c.allocated);
    out.push({
      spec: {
        kind: 'device',
        key: dev.name,
        title: dev.name,
        note: `${formatCount(c.samples.length)} samples · ${
          fromTotals ? 'allocated and reserved as the allocator reports them' : 'allocated: the Bytes of every sample summed from the start of the trace (relative to what was allocated before it)'
        }`,
        xs: c.ts,
        series,
        peak: { index, series: 0, tUs: live.peakTimeUs, bytes: live.peakBytes },
        profileClock: true,
        xRange: [Math.min(0, c.ts[0]!), Math.max(p.duration, c.ts[c.ts.length - 1]!)],
      },
      live,
      fromTotals,
    });
  });
  return out;
}

interface ArenaSample {
  readonly t: number;
  readonly inUse: number;
  readonly held: number;
  /** The arena's highest bytes in use so far (`mem_in_use_peak`), which may be reached inside a node. */
  readonly highWater: number;
  readonly slice: number;
}

/** The ORT arena after each node execution, from the node events' args; empty when they carry none. */
function arenaSamples(p: Profile): ArenaSample[] {
  const out: ArenaSample[] = [];
  const parsed = new Map<number, { inUse: number; held: number; highWater: number } | null>();
  const { kind, start, dur, args } = p.slices;
  for (let i = 0; i < p.slices.count; i++) {
    if (kind[i] !== ORT_NODE) continue;
    const id = args[i]!;
    let v = parsed.get(id);
    if (v === undefined) {
      const a = JSON.parse(p.args[id] ?? '{}') as Record<string, unknown>;
      const inUse = Number(a.mem_bytes_in_use);
      const held = a.mem_arena_held === undefined ? NaN : Number(a.mem_arena_held);
      const highWater = a.mem_in_use_peak === undefined ? NaN : Number(a.mem_in_use_peak);
      v = a.mem_bytes_in_use !== undefined && Number.isFinite(inUse) ? { inUse, held, highWater } : null;
      parsed.set(id, v);
    }
    if (v) out.push({ t: start[i]! + dur[i]!, inUse: v.inUse, held: v.held, highWater: v.highWater, slice: i });
  }
  return out.sort((a, b) => a.t - b.t || a.slice - b.slice);
}

function arenaChart(p: Profile): ChartSpec | undefined {
  const s = arenaSamples(p);
  if (s.length === 0) return undefined;
  const xs = Float64Array.from(s, (x) => x.t);
  const inUse = Float64Array.from(s, (x) => x.inUse);
  const series: SeriesSpec[] = [{ label: 'in use', role: 'allocated', values: inUse }];
  const optional = (label: string, role: SeriesRole, v: (x: ArenaSample) => number): void => {
    if (s.some((x) => !Number.isNaN(v(x)))) series.push({ label, role, values: s.map((x) => (Number.isNaN(v(x)) ? null : v(x))) });
  };
  optional('held', 'reserved', (x) => x.held);
  optional('highest in use', 'highWater', (x) => x.highWater);
  // The peak as ORT reports it (ortOpBreakdown's arena peak): the first node where the arena's
  // highest bytes in use reached their maximum; after-node bytes in use when the events lack it.
  const hw = series.findIndex((x) => x.role === 'highWater');
  const peakSeries = hw >= 0 ? hw : 0;
  const values = series[peakSeries]!.values;
  let index = -1;
  for (let k = 0; k < values.length; k++) if (values[k] != null && (index < 0 || values[k]! > values[index]!)) index = k;
  const node = p.strings[p.slices.name[s[index]!.slice]!]!.replace(/_kernel_time$/, '');
  return {
    kind: 'arena',
    key: 'ort-arena',
    title: 'ONNX Runtime arena',
    note: `${formatCount(s.length)} node executions of the profiled runs · bytes the CPU arena had in use and held after each node, and the highest in use so far; the peak was reached in ${node}`,
    xs,
    series,
    peak: { index, series: peakSeries, tUs: xs[index]!, bytes: values[index]! },
    profileClock: true,
    // Nodes run only after the session's setup: the nodes' extent (and a little), not the whole profile.
    xRange: padded(xs[0]!, xs[xs.length - 1]!),
  };
}

function rssChart(run: ProfileRun | undefined): ChartSpec | undefined {
  const samples = run?.result?.memory?.rssSamples;
  if (!Array.isArray(samples) || samples.length === 0) return undefined;
  const xs = Float64Array.from(samples, (s) => s.tMs * 1000);
  const rss = Float64Array.from(samples, (s) => s.rssBytes);
  const index = peakOf(rss);
  const ops = run!.operators;
  const arena = ops && ops.arenaPeakBytes > 0 ? ops.arenaPeakBytes : 0;
  const hwm = run!.result.memory.peakRssBytes;
  return {
    kind: 'rss',
    key: 'rss',
    title: 'Resident memory (RSS) of the ONNX Runtime worker',
    note: `${formatCount(samples.length)} sample${samples.length === 1 ? '' : 's'} over the whole run (session creation, runs, profiled runs), time since the worker started${
      Number.isFinite(hwm) ? ` · highest RSS the kernel recorded (VmHWM) ${formatBytes(hwm)}` : ''
    }`,
    xs,
    series: [{ label: 'RSS', role: 'allocated', values: rss }],
    peak: { index, series: 0, tUs: xs[index]!, bytes: rss[index]! },
    ...(arena ? { line: { bytes: arena, label: `ORT arena peak ${formatBytes(arena)}${ops!.arenaPeakNode ? ` · ${ops!.arenaPeakNode}` : ''}` } } : {}),
    profileClock: false,
    xRange: padded(Math.min(0, xs[0]!), xs[xs.length - 1]!),
  };
}

// ---------------------------------------------------------------- theme

interface Palette {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  readonly allocated: string;
  readonly allocatedFill: string;
  readonly reserved: string;
  /** Horizontal lines and the ORT arena's high-water mark. */
  readonly line: string;
  readonly font: string;
  readonly hc: boolean;
}

type Rgba = Rgb;

const rgba = ([r, g, b]: Rgba, a = 1): string => `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${a})`;

function readPalette(el: Element): Palette {
  const cs = getComputedStyle(el);
  const v = (name: string): string => cs.getPropertyValue(name).trim();
  const body = document.body.classList;
  const hc = body.contains('vscode-high-contrast') || body.contains('vscode-high-contrast-light');
  const dark = body.contains('vscode-dark') || (body.contains('vscode-high-contrast') && !body.contains('vscode-high-contrast-light'));
  const parse = cssColorParser();
  const fg = parse(v('--vscode-foreground'), dark ? [204, 204, 204, 1] : [59, 59, 59, 1]);
  const bg = parse(v('--vscode-editor-background'), dark ? [31, 31, 31, 1] : [255, 255, 255, 1]);
  const blue = parse(v('--vscode-charts-blue'), dark ? [55, 148, 255, 1] : [26, 133, 255, 1]);
  const orange = parse(v('--vscode-charts-orange'), dark ? [209, 134, 22, 1] : [209, 134, 22, 1]);
  const purple = parse(v('--vscode-charts-purple'), [177, 128, 215, 1]);
  const border = v('--vscode-panel-border') || v('--vscode-contrastBorder');
  return {
    foreground: rgba(fg),
    muted: rgba(parse(v('--vscode-descriptionForeground'), fg), 1),
    grid: hc ? rgba(parse(border, fg), 0.5) : rgba(fg, 0.1),
    background: rgba(bg),
    allocated: rgba(blue),
    allocatedFill: rgba(blue, hc ? 0.3 : 0.16),
    reserved: rgba(orange),
    line: rgba(hc ? orange : purple),
    font: v('--vscode-font-family') || 'system-ui, sans-serif',
    hc,
  };
}

// ---------------------------------------------------------------- axes

/** 1, 2, 5 × 1024^k bytes (and tens and hundreds of them): round values in binary units. */
const BYTE_INCRS: number[] = [];
for (let k = 0; k <= 4; k++) for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500]) BYTE_INCRS.push(m * 1024 ** k);

function timeTicks(splits: number[], incr: number): string[] {
  const top = Math.max(...splits.map((s) => Math.abs(s)), Math.abs(incr));
  const u = unitFor(top);
  const step = incr / u.us;
  const digits = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return splits.map((s) => `${(s / u.us).toFixed(digits)} ${u.name}`);
}

function lowerBound(xs: Float64Array, t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------- one chart

interface ChartGroup {
  /** Charts on the profile's clock zoom together. */
  readonly members: Chart[];
  syncing: boolean;
}

class Chart {
  private u: uPlot | undefined;
  private palette: Palette | undefined;
  private selected: number | undefined;
  private down: { x: number; y: number } | undefined;

  constructor(
    readonly spec: ChartSpec,
    private readonly root: HTMLElement,
    private readonly plot: HTMLElement,
    private readonly group: ChartGroup | undefined,
    private readonly onSelectTime: ((tUs: number) => void) | undefined,
  ) {}

  get xScale(): { min: number; max: number } | undefined {
    const s = this.u?.scales.x;
    return s && s.min != null && s.max != null ? { min: s.min, max: s.max } : undefined;
  }

  /** (Re)creates the uPlot chart with `palette`, keeping the zoom. */
  build(palette: Palette): void {
    const keep = this.xScale;
    this.u?.destroy();
    this.palette = palette;
    const spec = this.spec;
    const stepped = uPlot.paths.stepped!({ align: 1 });
    const xs = spec.xs;
    const n = xs.length;
    const lineBytes = spec.line?.bytes ?? 0;
    const width = 2 * (palette.hc ? 1.25 : 0.75);
    const peakIdx = spec.peak?.index;
    const at = (v: number | null, idx: number | null | undefined, values: ArrayLike<number | null>, f: (x: number) => string): string => {
      const x = idx == null ? (peakIdx === undefined ? null : values[peakIdx]) : v;
      return x == null ? '—' : f(x);
    };
    const opts: uPlot.Options = {
      width: this.width(),
      height: PLOT_HEIGHT,
      pxAlign: 0,
      legend: { show: true, live: true },
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 7, width: 2 },
        ...(spec.profileClock ? { sync: { key: 'il-memory' } } : {}),
      },
      scales: {
        x: {
          time: false,
          range: (_u, min, max) => {
            // The whole range at first and on reset (uPlot passes the data's extent); a zoom as asked.
            if (min === xs[0] && max === xs[n - 1]) {
              const [a, b] = spec.xRange;
              return b > a ? [a, b] : [a - 1000, a + 1000];
            }
            return [min, max];
          },
        },
        y: {
          range: (_u, min, max) => {
            const hi = Math.max(max, lineBytes, 1);
            return [Math.min(0, min), hi * 1.12];
          },
        },
      },
      axes: [
        {
          stroke: palette.muted,
          font: `11px ${palette.font}`,
          grid: { stroke: palette.grid, width: 1 },
          ticks: { stroke: palette.grid, width: 1, size: 4 },
          size: 30,
          space: 70,
          values: (_u, splits, _i, _space, incr) => timeTicks(splits, incr),
        },
        {
          stroke: palette.muted,
          font: `11px ${palette.font}`,
          grid: { stroke: palette.grid, width: 1 },
          ticks: { stroke: palette.grid, width: 1, size: 4 },
          size: 72,
          space: 36,
          incrs: BYTE_INCRS,
          values: (_u, splits) => splits.map((s) => formatBytes(s).replace(/\.0+ /, ' ')),
        },
      ],
      series: [
        // Away from the chart, the legend shows the values at the peak.
        { label: spec.kind === 'rss' ? 'since start' : 'time', value: (_u, v, _s, idx) => at(v, idx, xs, formatTimestamp) },
        ...spec.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.role === 'allocated' ? palette.allocated : s.role === 'reserved' ? palette.reserved : palette.line,
            width: s.role === 'highWater' ? width * 0.75 : width,
            paths: stepped,
            spanGaps: true,
            points: { show: false },
            ...(s.role === 'allocated' ? { fill: palette.allocatedFill } : s.role === 'reserved' ? { dash: [6, 3] } : { dash: [2, 3] }),
            value: (_u, v, _s, idx) => at(v, idx, s.values, formatBytes),
          }),
        ),
      ],
      hooks: {
        draw: [(u) => this.annotate(u)],
        setScale: [(u, key) => key === 'x' && this.shareZoom(u)],
      },
    };
    const data = [xs, ...spec.series.map((s) => s.values)] as uPlot.AlignedData;
    this.u = new uPlot(opts, data, this.plot);
    if (keep) this.u.setScale('x', keep);
    this.root.dataset.points = String(this.u.data[0].length);
    this.wire(this.u);
  }

  private width(): number {
    const w = Math.floor(this.plot.getBoundingClientRect().width);
    return w > 0 ? w : 640;
  }

  resize(): void {
    const u = this.u;
    if (!u) return;
    const w = this.width();
    if (Math.abs(u.width - w) >= 1) u.setSize({ width: w, height: PLOT_HEIGHT });
  }

  /** The peak point, the arena line and the selected time, on top of the series. */
  private annotate(u: uPlot): void {
    const palette = this.palette!;
    const spec = this.spec;
    const ctx = u.ctx;
    const dpr = uPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.font = `${Math.round(11 * dpr)}px ${palette.font}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const label = (text: string, x: number, y: number, color: string, alignRight: boolean): void => {
      const pad = 4 * dpr;
      const w = ctx.measureText(text).width;
      let lx = alignRight ? x - w - pad * 2 : x;
      lx = Math.max(left + 2 * dpr, Math.min(lx, left + width - w - pad * 2 - 2 * dpr));
      const ly = Math.max(top + 9 * dpr, Math.min(y, top + height - 9 * dpr));
      ctx.fillStyle = palette.background;
      ctx.globalAlpha = 0.85;
      ctx.fillRect(lx, ly - 8 * dpr, w + pad * 2, 16 * dpr);
      ctx.globalAlpha = 1;
      if (palette.hc) {
        ctx.strokeStyle = color;
        ctx.lineWidth = dpr;
        ctx.setLineDash([]);
        ctx.strokeRect(lx, ly - 8 * dpr, w + pad * 2, 16 * dpr);
      }
      ctx.fillStyle = color;
      ctx.fillText(text, lx + pad, ly);
    };
    delete this.root.dataset.lineY;
    if (spec.line) {
      const y = u.valToPos(spec.line.bytes, 'y', true);
      ctx.strokeStyle = palette.line;
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash([8 * dpr, 4 * dpr]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      label(spec.line.label, left + width - 4 * dpr, y - 11 * dpr, palette.line, true);
      this.root.dataset.lineY = String(u.valToPos(spec.line.bytes, 'y'));
    }
    if (this.selected !== undefined) {
      const x = u.valToPos(this.selected, 'x', true);
      ctx.strokeStyle = palette.foreground;
      ctx.lineWidth = dpr;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    const sx = u.scales.x;
    if (sx.min != null && sx.max != null) {
      this.root.dataset.xMin = String(sx.min);
      this.root.dataset.xMax = String(sx.max);
    }
    delete this.root.dataset.peakX;
    delete this.root.dataset.peakY;
    const peak = spec.peak;
    if (peak) {
      const x = u.valToPos(peak.tUs, 'x', true);
      const y = u.valToPos(peak.bytes, 'y', true);
      if (x >= left - 1 && x <= left + width + 1) {
        ctx.strokeStyle = palette.muted;
        ctx.lineWidth = dpr;
        ctx.setLineDash([3 * dpr, 3 * dpr]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.arc(x, y, 4.5 * dpr, 0, 2 * Math.PI);
        const role = spec.series[peak.series]!.role;
        ctx.fillStyle = role === 'allocated' ? palette.allocated : role === 'reserved' ? palette.reserved : palette.line;
        ctx.fill();
        ctx.lineWidth = 1.5 * dpr;
        ctx.strokeStyle = palette.foreground;
        ctx.stroke();
        const text = peakLabel(peak.bytes, peak.tUs);
        const right = x - left > width * 0.6;
        label(text, right ? x - 8 * dpr : x + 8 * dpr, y - 4 * dpr, palette.foreground, right);
        // Where the peak is drawn, in CSS px from the plot area's top left (for tests and tools).
        this.root.dataset.peakX = String(u.valToPos(peak.tUs, 'x'));
        this.root.dataset.peakY = String(u.valToPos(peak.bytes, 'y'));
      }
    }
    ctx.restore();
  }

  /** A zoom on one chart on the profile's clock zooms the others the same way. */
  private shareZoom(u: uPlot): void {
    const g = this.group;
    if (!g || g.syncing) return;
    const { min, max } = u.scales.x;
    if (min == null || max == null) return;
    g.syncing = true;
    try {
      for (const c of g.members) if (c !== this && c.u) c.u.setScale('x', { min, max });
    } finally {
      g.syncing = false;
    }
  }

  private wire(u: uPlot): void {
    if (!this.spec.profileClock || !this.onSelectTime) return;
    const over = u.over;
    over.classList.add('il-mem-clickable');
    over.addEventListener('mousedown', (e) => (this.down = { x: e.clientX, y: e.clientY }));
    over.addEventListener('click', (e) => {
      const d = this.down;
      this.down = undefined;
      // The end of a drag (a zoom) is not a click.
      if (d && Math.hypot(e.clientX - d.x, e.clientY - d.y) > 4) return;
      const r = over.getBoundingClientRect();
      const k = this.pick(u, e.clientX - r.left, e.clientY - r.top);
      if (k < 0) return;
      this.select(this.spec.xs[k]!);
    });
  }

  /** The sample drawn nearest (cx, cy) (CSS px in the plot area), within PICK_RADIUS in x; else the nearest in x; -1 for none. */
  private pick(u: uPlot, cx: number, cy: number): number {
    const xs = this.spec.xs;
    if (xs.length === 0) return -1;
    const a = lowerBound(xs, u.posToVal(cx - PICK_RADIUS, 'x'));
    const b = lowerBound(xs, u.posToVal(cx + PICK_RADIUS, 'x') + 1e-9);
    let best = -1;
    let bestD = Infinity;
    for (let k = a; k < b; k++) {
      const px = u.valToPos(xs[k]!, 'x') - cx;
      for (let s = 0; s < this.spec.series.length; s++) {
        if (!u.series[s + 1]!.show) continue;
        const v = this.spec.series[s]!.values[k];
        if (v == null) continue;
        const py = u.valToPos(v, 'y') - cy;
        const dd = px * px + py * py;
        if (dd < bestD) {
          bestD = dd;
          best = k;
        }
      }
    }
    if (best >= 0) return best;
    const t = u.posToVal(cx, 'x');
    const k = lowerBound(xs, t);
    if (k >= xs.length) return xs.length - 1;
    return k > 0 && t - xs[k - 1]! < xs[k]! - t ? k - 1 : k;
  }

  private select(tUs: number): void {
    this.selected = tUs;
    this.root.dataset.selectedUs = String(tUs);
    this.u?.redraw(false, false);
    this.onSelectTime?.(tUs);
  }

  destroy(): void {
    this.u?.destroy();
    this.u = undefined;
  }
}

// ---------------------------------------------------------------- DOM

function chartSection(spec: ChartSpec, head: Node[], below: Node | null): { section: HTMLElement; plot: HTMLElement } {
  const peak = spec.peak ? `, ${peakLabel(spec.peak.bytes, spec.peak.tUs)}` : '';
  const plot = h('div', { class: 'memory-plot', role: 'img', 'aria-label': `${spec.title}: memory over time${peak}`, data: { testid: 'memory-plot' } });
  const section = h(
    'section',
    { class: 'memory-chart', data: { testid: 'memory-chart', kind: spec.kind, key: spec.key } },
    h('div', { class: 'memory-chart-head' }, h('h3', null, spec.title), ...head),
    h('p', { class: 'muted small memory-note' }, spec.note),
    plot,
    below,
  );
  return { section, plot };
}

function peakChip(spec: ChartSpec): HTMLElement | null {
  const p = spec.peak;
  if (!p) return null;
  return h('span', { class: 'memory-peak num', data: { testid: 'memory-peak', bytes: p.bytes, timeUs: p.tUs } }, peakLabel(p.bytes, p.tUs));
}

function liveTable(live: ReturnType<typeof liveAtPeak>, fromTotals: boolean): HTMLElement {
  const denominator = Math.max(live.peakBytes, live.liveBytes);
  const share = (r: LiveAtPeakRow): number => (denominator > 0 ? r.bytes / denominator : 0);
  const address = live.method === 'address';
  const before = live.peakBytes - live.liveBytes;
  const explain = address
    ? `Allocations not freed by the peak (matched to frees by address), by the operator that made them${
        fromTotals && before > 0 ? `; the other ${formatBytes(before)} of the peak was allocated before the trace began` : ''
      }.`
    : 'This trace records no allocation addresses (PyTorch before 1.10): each operator’s allocations minus its frees up to the peak.';
  const table = dataTable<LiveAtPeakRow>({
    testId: 'memory-live',
    rowTestId: 'live-row',
    columns: [
      { key: 'name', label: 'Operator', value: (r) => r.name },
      { key: 'bytes', label: address ? 'Live bytes' : 'Net bytes', numeric: true, value: (r) => r.bytes, render: (r) => formatBytes(r.bytes), title: 'Bytes' },
      { key: 'allocations', label: address ? 'Allocations' : 'Allocations made', numeric: true, value: (r) => r.allocations },
      { key: 'share', label: 'Share', numeric: true, value: share, share, render: (r) => `${(share(r) * 100).toFixed(1)}%`, title: address ? 'Of the peak' : 'Of the operators’ net total' },
    ],
    rows: live.rows,
    rowKey: (r) => r.name,
    sort: { key: 'bytes', descending: true },
    filterPlaceholder: 'Filter operators',
    limit: 100,
  });
  return h(
    'div',
    { class: 'memory-breakdown', data: { testid: 'memory-breakdown', method: live.method, liveBytes: live.liveBytes } },
    h('h4', null, address ? 'Live at the peak' : 'Allocated up to the peak'),
    h('p', { class: 'muted small' }, explain),
    live.rows.length ? table.element : h('p', { class: 'muted' }, 'No allocation is charged to an operator up to the peak.'),
  );
}

function ortBreakdown(run: ProfileRun): HTMLElement | null {
  const ops = run.operators;
  const rows: [string, string, Node | string, Record<string, string | number>][] = [];
  if (ops && ops.arenaPeakBytes > 0) {
    rows.push(['ORT arena peak (bytes in use)', 'ort-arena-peak', h('span', { class: 'num' }, formatBytes(ops.arenaPeakBytes)), { bytes: ops.arenaPeakBytes }]);
    if (ops.arenaPeakNode) {
      const n = ops.byNode.find((x) => x.node === ops.arenaPeakNode);
      rows.push([
        'Node running at the peak',
        'ort-arena-node',
        h(
          'span',
          null,
          h('code', null, ops.arenaPeakNode),
          n ? h('span', { class: 'muted' }, ` · ${[n.opType !== ops.arenaPeakNode ? n.opType : '', n.provider, n.outputBytes ? `output ${formatBytes(n.outputBytes)}` : ''].filter(Boolean).join(' · ')}`) : null,
        ),
        { node: ops.arenaPeakNode },
      ]);
    }
  }
  const m = run.result.memory;
  if (Number.isFinite(m.peakRssBytes)) rows.push(['Peak RSS (VmHWM)', 'ort-peak-rss', h('span', { class: 'num' }, formatBytes(m.peakRssBytes)), { bytes: m.peakRssBytes }]);
  if (ops && ops.arenaPeakBytes > 0 && m.peakRssBytes > 0) {
    rows.push(['Arena peak / peak RSS', 'ort-arena-share', h('span', { class: 'num' }, `${((ops.arenaPeakBytes / m.peakRssBytes) * 100).toFixed(1)}%`), {}]);
  }
  if (m.gpuPeakBytes !== undefined) rows.push(['Peak GPU memory (nvidia-smi)', 'ort-gpu-peak', h('span', { class: 'num' }, formatBytes(m.gpuPeakBytes)), { bytes: m.gpuPeakBytes }]);
  if (rows.length === 0) return null;
  return h(
    'div',
    { class: 'memory-breakdown', data: { testid: 'memory-breakdown', method: 'ort' } },
    h('h4', null, 'At the peak'),
    h('table', { class: 'memory-facts' }, h('tbody', null, ...rows.map(([k, id, v, data]) => h('tr', { data: { testid: id, ...data } }, h('th', { scope: 'row' }, k), h('td', null, v))))),
  );
}

// ---------------------------------------------------------------- the view

/**
 * The memory view of `profile` (and of `run`, the ONNX Runtime run it came from, if any); undefined
 * when there is no memory information at all: no `[memory]` samples, no ORT arena figures on the
 * node events, no RSS samples in the run.
 */
export function renderMemory(profile: Profile, run: ProfileRun | undefined, opts: MemoryViewOptions = {}): MemoryView | undefined {
  const devices = deviceCharts(profile);
  const arena = arenaChart(profile);
  const rss = rssChart(run);
  if (devices.length === 0 && !arena && !rss) return undefined;

  const element = h('div', { class: 'memory-view', data: { testid: 'memory-view' } });
  const group: ChartGroup = { members: [], syncing: false };
  const charts: Chart[] = [];
  const add = (spec: ChartSpec, head: Node[], below: Node | null): void => {
    const { section, plot } = chartSection(spec, head, below);
    element.append(section);
    const c = new Chart(spec, section, plot, spec.profileClock ? group : undefined, opts.onSelectTime);
    if (spec.profileClock) group.members.push(c);
    charts.push(c);
  };
  for (const d of devices) add(d.spec, [peakChip(d.spec)!], liveTable(d.live, d.fromTotals));
  if (arena) add(arena, [peakChip(arena)!], null);
  if (rss) {
    const line = rss.line ? h('span', { class: 'memory-line-label', data: { testid: 'memory-line', bytes: run!.operators!.arenaPeakBytes, node: run!.operators!.arenaPeakNode ?? '' } }, rss.line.label) : null;
    add(rss, [peakChip(rss)!, ...(line ? [line] : [])], ortBreakdown(run!));
  }

  let mounted = false;
  let disposed = false;
  const observers: { disconnect(): void }[] = [];
  let paletteKey = '';
  const rebuild = (force: boolean): void => {
    const palette = readPalette(element);
    const key = JSON.stringify(palette);
    if (!force && key === paletteKey) return;
    paletteKey = key;
    for (const c of charts) c.build(palette);
  };
  let resizeQueued = false;
  const onResize = (): void => {
    if (resizeQueued) return;
    resizeQueued = true;
    // Next frame: resizing inside the observer's callback would loop.
    requestAnimationFrame(() => {
      resizeQueued = false;
      if (!disposed) for (const c of charts) c.resize();
    });
  };

  return {
    element,
    mount() {
      if (mounted || disposed) return;
      mounted = true;
      rebuild(true);
      const mo = new MutationObserver(() => rebuild(false));
      mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
      // VS Code also rewrites the variables on <html> when the theme changes.
      mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
      observers.push(mo);
      if (typeof ResizeObserver === 'function') {
        const ro = new ResizeObserver(onResize);
        ro.observe(element);
        observers.push(ro);
      } else {
        window.addEventListener('resize', onResize);
        observers.push({ disconnect: () => window.removeEventListener('resize', onResize) });
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const o of observers) o.disconnect();
      for (const c of charts) c.destroy();
      element.remove();
    },
  };
}
