/**
 * The graph view of the model editor: a toolbar (search with previous/next, expand/collapse all,
 * fit, heat-map overlay), a canvas with the hierarchical graph (layout in a web worker), an overlay
 * legend and a properties panel. Browser-only; styles in graph.css, positions set through
 * `element.style` (allowed by the page's CSP).
 *
 * Mouse and keys: drag to pan, wheel to scroll, Ctrl/⌘+wheel (or a pinch) to zoom at the cursor,
 * click to select, double-click a group (or click its ± box) to expand or collapse it, Enter
 * toggles the selected group, F fits, +/- zoom, arrows pan, Escape clears the selection.
 */
import { formatBytes, formatCount, formatDuration } from '../../../src/core/format';
import type { GraphCost, GraphTiming, ModelGraph, WeightStats } from '../../../src/core/graph/types';
import { fusedOrigins } from '../../../src/core/results/ort-ops';
import type { WebviewToExtension } from '../../../src/protocol/messages';
import { h, icon } from '../shared/dom';
import type { LayoutGraph, LayoutResult } from './layout';
import { GROUP_HEADER } from './layout';
import { LayoutWorker } from './layout-client';
import { GraphModel, overlayValues, type OverlayKind, type OverlayValues } from './model';
import { renderProperties, type PanelContext } from './panel';
import { FONT_PX, LINE_H, NODE_H, SMALL_PX, Scene, drawScene, shapeLabel, type DrawState, type FrameStats, type Viewport } from './render';
import { heatColor, readGraphTheme, rgbCss, type GraphTheme } from './theme';

export interface GraphViewOptions {
  /** URL of dist/webview/graph-layout-worker.js. */
  readonly workerUrl: string;
  post(message: WebviewToExtension): void;
  /** The selected node's name changed (kept in the webview state). */
  onSelect?(nodeName: string | undefined): void;
}

/** Timings of the last graph load, in ms since the graph message arrived (before it was checked). */
export interface GraphTimings {
  /** Checked and derived (edges, consumers). */
  model: number;
  /** Boxes measured. */
  sizes: number;
  /** Layout worker fetched, started and given the structure. */
  worker: number;
  layout: number;
  firstPaint: number;
}

/** Introspection for tests and the benchmark (window.__graphView). */
export interface GraphDebug {
  readonly ready: boolean;
  readonly timings: GraphTimings | undefined;
  readonly lastLayout: { readonly millis: number; readonly groups: number; readonly computed: number; readonly roundTrip: number } | undefined;
  readonly frame: FrameStats | undefined;
  readonly frames: number;
  /** The layout ran in the web worker (not on the page's thread). */
  readonly worker: boolean;
  snapshot(): GraphSnapshot;
  /** Where an item is on screen (CSS pixels relative to the canvas), when visible. */
  screenRect(item: number): { x: number; y: number; w: number; h: number } | undefined;
  itemByName(name: string): number;
  groupByPath(path: string): number;
  idle(): Promise<void>;
  expandAll(): Promise<void>;
  collapseAll(): Promise<void>;
  /** Lays out every node in one flat dagre graph (the benchmark's baseline) and draws it. */
  flat(): Promise<{ layoutMs: number; paintMs: number }>;
  readonly viewport: Viewport;
}

export interface GraphSnapshot {
  readonly items: { id: number; group: boolean; open: boolean; title: string; name: string; x: number; y: number; w: number; h: number; parent: number }[];
  readonly edges: { from: number; to: number; count: number; points: number[] }[];
}

const PANEL_DEFAULT_OPEN = true;

export class GraphView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly stage: HTMLElement;
  private readonly status: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly searchCount: HTMLElement;
  private readonly overlaySelect: HTMLSelectElement;
  private readonly ctx: CanvasRenderingContext2D;
  private theme: GraphTheme;
  private dpr = 1;
  private model: GraphModel | undefined;
  private cost: GraphCost | undefined;
  private timing: GraphTiming | undefined;
  private timingNote = '';
  private worker: LayoutWorker | undefined;
  private expanded: Uint8Array = new Uint8Array(0);
  private scene: Scene | undefined;
  private vp: Viewport = { scale: 1, tx: 20, ty: 20, width: 0, height: 0 };
  private selected = -1;
  private matches: number[] = [];
  private matchSet = new Set<number>();
  private current = -1;
  private overlay: OverlayValues | undefined;
  private overlayKind: OverlayKind = 'none';
  private raf = 0;
  private layoutSeq = 0;
  private layoutBusy: Promise<void> = Promise.resolve();
  private pendingReveal: string | undefined;
  private readonly stats = new Map<number, WeightStats | { error: string } | 'pending'>();
  private t0 = 0;
  private debug: { timings?: GraphTimings; lastLayout?: GraphDebug['lastLayout']; frame?: FrameStats; frames: number; worker: boolean; ready: boolean } = { frames: 0, worker: false, ready: false };
  private readonly disposers: (() => void)[] = [];
  private drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
  private workerStart: Promise<LayoutWorker>;

  constructor(private readonly opts: GraphViewOptions) {
    this.workerStart = LayoutWorker.start(opts.workerUrl);
    this.workerStart.catch(() => undefined);
    this.canvas = h('canvas', { class: 'gv-canvas', tabindex: 0, role: 'img', 'aria-label': 'Model graph', data: { testid: 'graph-canvas' } });
    this.tooltip = h('div', { class: 'gv-tooltip', role: 'tooltip', hidden: 'true' });
    this.legend = h('div', { class: 'gv-legend', data: { testid: 'graph-legend' }, hidden: 'true' });
    this.status = h('span', { class: 'gv-status muted small', 'aria-live': 'polite', data: { testid: 'graph-status' } }, 'Loading the graph…');
    this.stage = h('div', { class: 'gv-stage' }, this.canvas, this.legend, this.tooltip);
    this.panel = h('aside', { class: 'gv-panel', 'aria-label': 'Properties', data: { testid: 'graph-panel' } });
    if (!PANEL_DEFAULT_OPEN) this.panel.hidden = true;
    this.searchInput = h('input', { type: 'search', class: 'filter', placeholder: 'Search nodes, ops, values', 'aria-label': 'Search nodes by name, op type or value name', data: { testid: 'graph-search' } });
    this.searchCount = h('span', { class: 'muted small gv-count', 'aria-live': 'polite', data: { testid: 'graph-matches' } });
    this.overlaySelect = h(
      'select',
      { class: 'gv-select', 'aria-label': 'Heat map', data: { testid: 'graph-overlay' } },
      h('option', { value: 'none' }, 'No heat map'),
      h('option', { value: 'time' }, 'Time (latest profile)'),
      h('option', { value: 'macs' }, 'MACs'),
      h('option', { value: 'params' }, 'Parameter bytes'),
    );
    const button = (iconName: string, label: string, testId: string, onClick: () => void, text?: string): HTMLButtonElement => {
      const b = h('button', { class: `button secondary ${text ? '' : 'icon-button'}`, type: 'button', title: label, 'aria-label': label, data: { testid: testId } }, icon(iconName), text ?? null);
      b.addEventListener('click', onClick);
      return b;
    };
    const toolbar = h(
      'div',
      { class: 'gv-toolbar', role: 'toolbar', 'aria-label': 'Graph' },
      this.searchInput,
      button('arrow-up', 'Previous match (Shift+Enter)', 'graph-prev', () => this.step(-1)),
      button('arrow-down', 'Next match (Enter)', 'graph-next', () => this.step(1)),
      this.searchCount,
      h('span', { class: 'gv-sep' }),
      button('expand-all', 'Expand all groups', 'graph-expand-all', () => void this.setAll(1), 'Expand all'),
      button('collapse-all', 'Collapse all groups', 'graph-collapse-all', () => void this.setAll(0), 'Collapse all'),
      button('screen-full', 'Fit to view (F)', 'graph-fit', () => this.fit()),
      h('span', { class: 'gv-sep' }),
      this.overlaySelect,
      button('layout-sidebar-right', 'Show or hide the properties', 'graph-panel-toggle', () => {
        this.panel.hidden = !this.panel.hidden;
        this.resize();
      }),
      this.status,
    );
    this.element = h('div', { class: 'graph-view', data: { testid: 'graph-view' } }, toolbar, h('div', { class: 'gv-body' }, this.stage, this.panel));
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('Canvas 2D is not available in this webview.');
    this.ctx = ctx;
    this.theme = readGraphTheme(document.documentElement);
    this.renderPanel();
    this.wire();
    (window as unknown as { __graphView?: GraphDebug }).__graphView = this.debugHook();
  }

  // ---- data ----

  /** Shows a graph: measures the boxes, starts the layout worker and draws the first layout. */
  async setGraph(graph: ModelGraph, cost: GraphCost | undefined, timing: GraphTiming | undefined, timingNote = '', receivedAt = performance.now()): Promise<void> {
    this.t0 = receivedAt;
    this.worker = undefined;
    this.debug = { frames: 0, worker: false, ready: false };
    const model = new GraphModel(graph);
    this.model = model;
    this.cost = cost;
    this.timing = timing;
    this.timingNote = timingNote;
    this.selected = -1;
    this.scene = undefined;
    this.stats.clear();
    this.setStatus(`${formatCount(model.graph.groups.nodeCount[0]!)} nodes · laying out…`);
    const tModel = performance.now() - this.t0;
    const layoutGraph = this.layoutGraph(model);
    const tSizes = performance.now() - this.t0;
    this.expanded = model.defaultExpansion();
    try {
      // Started when the view was made (while the extension built the graph); retried if that failed.
      const worker = await this.workerStart.catch(() => (this.workerStart = LayoutWorker.start(this.opts.workerUrl)));
      await worker.init(layoutGraph);
      this.worker = worker;
      this.debug.worker = true;
    } catch (e) {
      this.showError(e instanceof Error ? e.message : String(e), 'Reload the editor (close and reopen the model). If it persists, report it with the Inference Lens output channel’s log.');
      return;
    }
    const tWorker = performance.now() - this.t0;
    this.applyOverlay();
    await this.relayout({ fit: true });
    const tLayout = this.debug.lastLayout ? performance.now() - this.t0 : 0;
    this.drawNow();
    const tPaint = performance.now() - this.t0;
    this.debug.timings = { model: tModel, sizes: tSizes, worker: tWorker, layout: tLayout, firstPaint: tPaint };
    this.debug.ready = true;
    if (this.pendingReveal !== undefined) {
      const name = this.pendingReveal;
      this.pendingReveal = undefined;
      await this.reveal(name);
    }
  }

  /** New measured times (a profile run finished): the overlay changes, the layout and selection stay. */
  setTiming(timing: GraphTiming | undefined, timingNote = ''): void {
    if (!this.model || (timing && timing.nodeUs.length !== this.model.N)) return;
    this.timing = timing;
    this.timingNote = timingNote;
    this.applyOverlay();
    this.renderPanel();
  }

  showError(message: string, hint: string): void {
    this.setStatus('');
    this.stage.replaceChildren(
      h('div', { class: 'state error', role: 'alert', data: { testid: 'graph-error' } }, h('h2', null, icon('error'), 'Could not show the graph'), h('p', { class: 'error-message' }, message), hint ? h('p', { class: 'error-hint' }, icon('lightbulb'), h('span', null, hint)) : null),
    );
  }

  /** Selects the node named `name`, expanding the groups around it and centering it. */
  async reveal(name: string): Promise<boolean> {
    const model = this.model;
    if (!model || !this.debug.ready) {
      this.pendingReveal = name;
      return false;
    }
    let node = model.findNode(name);
    if (node < 0) {
      // A node ONNX Runtime fused from others: its name records the origins (`X/MatMulScaleFusion/`).
      node = (fusedOrigins(name) ?? []).map((n) => model.findNode(n)).find((i) => i >= 0) ?? -1;
      if (node < 0) {
        this.setStatus(`No node named “${name}” in this model.`);
        return false;
      }
      await this.showItem(node);
      this.setStatus(`“${name}” was fused by ONNX Runtime from this node.`);
      return true;
    }
    await this.showItem(node);
    return true;
  }

  weightStats(tensor: number, stats: WeightStats | undefined, error: string | undefined): void {
    this.stats.set(tensor, stats ?? { error: error ?? 'Could not read the tensor.' });
    this.renderPanel();
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    void this.workerStart.then((w) => w.terminate(), () => undefined);
    for (const d of this.disposers) d();
  }

  /** Called when the view becomes visible again (its size may have changed while hidden). */
  shown(): void {
    this.resize();
  }

  // ---- sizes, layout ----

  private layoutGraph(model: GraphModel): LayoutGraph {
    const ctx = this.ctx;
    const n = model.N + model.G;
    const width = new Float32Array(n);
    const height = new Float32Array(n);
    const cache = new Map<string, number>();
    const measure = (font: string, text: string): number => {
      const key = `${font}\u0000${text}`;
      let w = cache.get(key);
      if (w === undefined) {
        ctx.font = font;
        w = ctx.measureText(text).width;
        cache.set(key, w);
      }
      return w;
    };
    const bold = `600 ${FONT_PX}px ${this.theme.fontFamily}`;
    const plain = `${FONT_PX}px ${this.theme.fontFamily}`;
    const mono = `${SMALL_PX}px ${this.theme.monoFamily}`;
    const opWidth = new Map<number, number>();
    const opKind = model.graph.nodes.kind;
    for (let i = 0; i < model.N; i++) {
      if (opKind[i] !== 0) {
        width[i] = Math.min(220, Math.max(60, measure(plain, model.nodeName(i)) + 28));
        height[i] = NODE_H - 4;
        continue;
      }
      const lines = model.weightLines(i);
      const op = model.graph.nodes.op[i]!;
      let w = opWidth.get(op) ?? measure(bold, model.opType(i)) + 24;
      opWidth.set(op, w);
      for (const l of lines) w = Math.max(w, Math.min(220, measure(mono, l) + 16));
      width[i] = Math.ceil(Math.max(72, w));
      height[i] = NODE_H + (lines.length ? lines.length * LINE_H + 2 : 0);
    }
    for (let g = 0; g < model.G; g++) {
      const label = model.title(model.N + g);
      width[model.N + g] = Math.ceil(Math.min(300, Math.max(110, measure(bold, label) + 40)));
      height[model.N + g] = NODE_H + LINE_H + 6;
    }
    width[model.N] = 0; // the root is only as wide as its content
    return { nodeCount: model.N, groupCount: model.G, parent: model.parent, childStart: model.graph.groups.childStart, children: model.graph.groups.children, width, height, edgeFrom: model.edges.from, edgeTo: model.edges.to, edgeValue: model.edges.value };
  }

  /**
   * Lays out the current expansion in the worker and shows it. `anchor` keeps that item where it
   * is on screen (a toggled group does not jump); `fit` fits the view instead. Requests made while
   * one runs are serialized; only the latest result is drawn.
   */
  private relayout(o: { anchor?: number; fit?: boolean; flat?: boolean } = {}): Promise<void> {
    const seq = ++this.layoutSeq;
    const run = async (): Promise<void> => {
      if (!this.worker || !this.model || seq !== this.layoutSeq) return;
      const before = o.anchor !== undefined ? this.itemScreenPos(o.anchor) : undefined;
      const t = performance.now();
      // Large expansions of graphs without repeated structure take seconds (in the worker): say so.
      const slow = setTimeout(() => this.setStatus(`${this.model!.graph.groups.nodeCount[0]!.toLocaleString('en-US')} nodes · laying out…`), 200);
      let result: LayoutResult;
      try {
        result = await this.worker.layout(this.expanded, o.flat);
      } catch (e) {
        this.showError(e instanceof Error ? e.message : String(e), 'Reload the editor (close and reopen the model).');
        return;
      } finally {
        clearTimeout(slow);
      }
      if (seq !== this.layoutSeq) return;
      this.debug.lastLayout = { millis: result.stats.millis, groups: result.stats.groups, computed: result.stats.computed, roundTrip: performance.now() - t };
      const selectedItem = this.selected >= 0 && this.scene ? this.scene.layout.items[this.selected] : undefined;
      this.scene = new Scene(result, this.model.N + this.model.G);
      this.selected = selectedItem !== undefined ? this.scene.index[selectedItem]! : -1;
      if (o.fit) this.fit(false);
      else if (before && o.anchor !== undefined) {
        const k = this.scene.index[o.anchor]!;
        if (k >= 0) {
          this.vp.tx = before.x - this.scene.layout.x[k]! * this.vp.scale;
          this.vp.ty = before.y - this.scene.layout.y[k]! * this.vp.scale;
        }
      }
      this.updateOverlayScale();
      this.updateStatus();
      this.renderPanel();
      this.requestDraw();
    };
    this.layoutBusy = this.layoutBusy.then(run, run);
    return this.layoutBusy;
  }

  private itemScreenPos(item: number): { x: number; y: number } | undefined {
    const k = this.scene?.index[item] ?? -1;
    if (!this.scene || k < 0) return undefined;
    return { x: this.scene.layout.x[k]! * this.vp.scale + this.vp.tx, y: this.scene.layout.y[k]! * this.vp.scale + this.vp.ty };
  }

  private isOpen(g: number): boolean {
    return g === 0 || this.expanded[g] === 1;
  }

  private async toggle(g: number): Promise<void> {
    if (g === 0 || !this.model) return;
    this.expanded[g] = this.expanded[g] ? 0 : 1;
    await this.relayout({ anchor: this.model.N + g });
  }

  private async setAll(v: 0 | 1): Promise<void> {
    if (!this.model) return;
    this.expanded.fill(v);
    this.expanded[0] = 1;
    await this.relayout({ fit: true });
  }

  /** Expands the groups around item, selects it and centers it. */
  private async showItem(item: number): Promise<void> {
    const model = this.model;
    if (!model) return;
    let changed = false;
    for (const g of model.ancestors(item)) {
      if (!this.expanded[g]) {
        this.expanded[g] = 1;
        changed = true;
      }
    }
    if (changed) await this.relayout();
    else await this.layoutBusy;
    const scene = this.scene;
    if (!scene) return;
    const k = scene.index[item]!;
    if (k < 0) return;
    this.select(k);
    const L = scene.layout;
    const scale = Math.max(this.vp.scale, 1);
    this.vp.scale = scale;
    this.vp.tx = this.vp.width / 2 - (L.x[k]! + L.w[k]! / 2) * scale;
    this.vp.ty = this.vp.height / 2 - (L.y[k]! + L.h[k]! / 2) * scale;
    this.requestDraw();
  }

  private select(k: number): void {
    this.selected = k;
    const item = k >= 0 && this.scene ? this.scene.layout.items[k]! : undefined;
    this.renderPanel();
    this.requestDraw();
    const model = this.model;
    this.opts.onSelect?.(item !== undefined && model && !model.isGroup(item) ? model.nodeName(item) : undefined);
    if (item !== undefined && model) this.canvas.setAttribute('aria-label', `Model graph; selected ${model.isGroup(item) ? 'group' : 'node'} ${model.title(item)}${model.isGroup(item) ? '' : ` ${model.nodeName(item)}`}`);
  }

  // ---- search ----

  private search(text: string): void {
    const model = this.model;
    this.matches = model ? model.search(text) : [];
    this.matchSet = new Set(this.matches);
    this.current = -1;
    this.searchCount.textContent = text.trim() ? `${this.matches.length.toLocaleString('en-US')} match${this.matches.length === 1 ? '' : 'es'}` : '';
    this.requestDraw();
  }

  private async step(dir: 1 | -1): Promise<void> {
    if (!this.matches.length) return;
    const at = this.matches.indexOf(this.current);
    const next = at < 0 ? (dir === 1 ? 0 : this.matches.length - 1) : (at + dir + this.matches.length) % this.matches.length;
    this.current = this.matches[next]!;
    this.searchCount.textContent = `${next + 1} of ${this.matches.length.toLocaleString('en-US')}`;
    await this.showItem(this.current);
  }

  // ---- overlay ----

  private applyOverlay(): void {
    const kind = this.overlaySelect.value as OverlayKind;
    this.overlayKind = kind;
    this.overlay = this.model && kind !== 'none' ? overlayValues(this.model, kind, this.cost, this.timing) : undefined;
    this.updateOverlayScale();
    this.requestDraw();
  }

  private scaleCache: (NonNullable<DrawState['scale']> & { min: number; max: number }) | undefined;

  /** The overlay's color scale spans the visible boxes (log scale), so a zoomed-in group reads on its own terms. */
  private updateOverlayScale(): void {
    const ov = this.overlay;
    const scene = this.scene;
    const model = this.model;
    this.scaleCache = undefined;
    if (!ov || !scene || !model) {
      this.renderLegend();
      return;
    }
    let lo = Infinity;
    let hi = -Infinity;
    const L = scene.layout;
    for (let k = 1; k < L.items.length; k++) {
      if (L.open[k]) continue;
      const item = L.items[k]!;
      const v = model.isGroup(item) ? ov.group[item - model.N]! : ov.node[item]!;
      if (v > 0) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (hi > 0) this.scaleCache = { lo: Math.log10(lo), hi: Math.log10(hi), min: lo, max: hi };
    this.renderLegend();
  }

  private renderLegend(): void {
    const kind = this.overlayKind;
    if (kind === 'none') {
      this.legend.hidden = true;
      return;
    }
    this.legend.hidden = false;
    const fmt = (v: number): string => (kind === 'time' ? formatDuration(v) : kind === 'params' ? formatBytes(v) : formatCount(v));
    const title = kind === 'time' ? 'Time per run' : kind === 'macs' ? 'MACs' : 'Parameter bytes';
    if (!this.overlay || !this.scaleCache) {
      const why =
        kind === 'time'
          ? this.timingNote || 'No profile run of this model yet.'
          : kind === 'macs'
            ? 'The static analysis has no MAC counts for this model (shapes it could not infer, or ops it does not cost).'
            : 'No parameters.';
      const children: (Node | string)[] = [h('strong', null, title), h('p', { class: 'muted small', data: { testid: 'legend-note' } }, why)];
      if (kind === 'time') {
        const run = h('button', { class: 'button small', type: 'button', data: { testid: 'legend-profile' } }, icon('pulse'), 'Profile Model…');
        run.addEventListener('click', () => this.opts.post({ type: 'profileModel' }));
        children.push(run);
      }
      this.legend.replaceChildren(...children);
      return;
    }
    const { min, max } = this.scaleCache;
    const bar = h('div', { class: 'gv-legend-bar', 'aria-hidden': 'true' });
    const stops = Array.from({ length: 9 }, (_, i) => `${rgbCss(heatColor(this.theme, i / 8))} ${(i / 8) * 100}%`);
    bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
    const notes: string[] = [];
    if (kind === 'time' && this.timing) {
      notes.push(`From ${this.timing.runFile.split(/[\\/]/).pop()} (${this.timing.ep.toUpperCase()}, ${new Date(this.timing.createdAt).toLocaleString()}).`);
      if (this.timing.unmatchedNodes) notes.push(`${formatDuration(this.timing.unmatchedUs)} in ${this.timing.unmatchedNodes} node${this.timing.unmatchedNodes === 1 ? '' : 's'} ONNX Runtime created (fusions without a record of their origin, or inserted nodes): not shown.`);
    }
    notes.push(`${this.overlay.known.toLocaleString('en-US')} of ${this.model!.graph.groups.nodeCount[0]!.toLocaleString('en-US')} nodes have a value; log scale over the boxes in view.`);
    this.legend.replaceChildren(
      h('strong', null, title),
      bar,
      h('div', { class: 'gv-legend-scale small' }, h('span', { data: { testid: 'legend-min' } }, fmt(min)), h('span', { data: { testid: 'legend-max' } }, fmt(max))),
      ...notes.map((n) => h('p', { class: 'muted small' }, n)),
    );
  }

  // ---- panel ----

  private renderPanel(): void {
    const model = this.model;
    if (!model) {
      this.panel.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
      return;
    }
    const item = this.selected >= 0 && this.scene ? this.scene.layout.items[this.selected] : undefined;
    const ctx: PanelContext = {
      model,
      cost: this.cost,
      timing: this.timing,
      post: (m) => this.opts.post(m),
      select: (i) => void this.showItem(i),
      toggle: (g) => void this.toggle(g).then(() => this.renderPanel()),
      isOpen: (g) => this.isOpen(g),
      stats: this.stats,
    };
    this.panel.replaceChildren(renderProperties(ctx, item, () => this.renderPanel()));
  }

  // ---- drawing ----

  private setStatus(text: string): void {
    this.status.textContent = text;
  }

  private updateStatus(): void {
    const model = this.model;
    const scene = this.scene;
    if (!model || !scene) return;
    const L = scene.layout;
    let boxes = 0;
    for (let k = 1; k < L.items.length; k++) if (!L.open[k]) boxes++;
    const nodes = model.graph.groups.nodeCount[0]!;
    this.setStatus(`${nodes.toLocaleString('en-US')} nodes · ${boxes.toLocaleString('en-US')} boxes shown · layout ${Math.round(this.debug.lastLayout?.roundTrip ?? 0)} ms`);
    this.canvas.setAttribute('aria-label', `Model graph: ${nodes.toLocaleString('en-US')} nodes, ${boxes.toLocaleString('en-US')} boxes shown`);
  }

  private requestDraw(): void {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.drawNow();
    });
  }

  private drawNow(): void {
    if (!this.scene || !this.model) return;
    if (this.vp.width === 0) this.resize(false);
    const state: DrawState = { selected: this.selected, matches: this.matchSet, current: this.current, overlay: this.overlay, scale: this.scaleCache };
    this.debug.frame = drawScene(this.ctx, this.dpr, this.scene, this.model, this.vp, this.theme, state);
    this.debug.frames++;
  }

  private resize(draw = true): void {
    const r = this.stage.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.vp.width = Math.max(1, Math.floor(r.width));
    this.vp.height = Math.max(1, Math.floor(r.height));
    this.canvas.width = Math.round(this.vp.width * this.dpr);
    this.canvas.height = Math.round(this.vp.height * this.dpr);
    this.canvas.style.width = `${this.vp.width}px`;
    this.canvas.style.height = `${this.vp.height}px`;
    if (draw) this.drawNow();
  }

  /** Fits the graph; very tall graphs are fitted to their width and shown from the top. */
  private fit(draw = true): void {
    const scene = this.scene;
    if (!scene) return;
    if (this.vp.width === 0) this.resize(false);
    const L = scene.layout;
    const pad = 24;
    const sw = (this.vp.width - 2 * pad) / Math.max(1, L.width);
    const sh = (this.vp.height - 2 * pad) / Math.max(1, L.height);
    let scale = Math.min(sw, sh, 1.25);
    const tall = scale < 0.2 && sw > sh;
    if (tall) scale = Math.min(sw, 1);
    this.vp.scale = scale;
    this.vp.tx = (this.vp.width - L.width * scale) / 2;
    this.vp.ty = tall ? pad : (this.vp.height - L.height * scale) / 2;
    if (draw) this.requestDraw();
  }

  private zoomAt(factor: number, sx: number, sy: number): void {
    const s = Math.min(4, Math.max(0.0005, this.vp.scale * factor));
    const wx = (sx - this.vp.tx) / this.vp.scale;
    const wy = (sy - this.vp.ty) / this.vp.scale;
    this.vp.scale = s;
    this.vp.tx = sx - wx * s;
    this.vp.ty = sy - wy * s;
    this.requestDraw();
  }

  private hitAt(sx: number, sy: number): number {
    if (!this.scene) return -1;
    return this.scene.hit((sx - this.vp.tx) / this.vp.scale, (sy - this.vp.ty) / this.vp.scale);
  }

  /** Whether a screen point is on the ± box of group box k. */
  private onToggle(k: number, sx: number, sy: number): boolean {
    const L = this.scene!.layout;
    const s = this.vp.scale;
    const cx = (L.x[k]! + 8) * s + this.vp.tx;
    const cy = (L.y[k]! + (L.open[k] ? GROUP_HEADER : NODE_H) / 2) * s + this.vp.ty;
    return Math.abs(sx - cx) <= Math.max(7, 6 * s) && Math.abs(sy - cy) <= Math.max(7, 6 * s);
  }

  private showTooltip(k: number, sx: number, sy: number): void {
    const model = this.model;
    const scene = this.scene;
    if (!model || !scene || k < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const item = scene.layout.items[k]!;
    const lines: (Node | string)[] = [h('div', { class: 'gv-tip-title' }, model.title(item))];
    if (!model.isGroup(item)) {
      const name = model.nodeName(item);
      if (name && name !== model.title(item)) lines.push(h('div', { class: 'gv-tip-name' }, name));
      const outs = [...model.outputs(item)].filter((v) => v >= 0).map((v) => shapeLabel(model.str(model.graph.values.type[v]!))).filter(Boolean);
      if (outs.length) lines.push(h('div', { class: 'muted' }, `→ ${outs.join(', ')}`));
    } else lines.push(h('div', { class: 'muted' }, `${model.graph.groups.nodeCount[item - model.N]!.toLocaleString('en-US')} nodes · double-click to ${scene.layout.open[k] ? 'collapse' : 'expand'}`));
    const ov = this.overlay;
    if (ov) {
      const v = model.isGroup(item) ? ov.group[item - model.N]! : ov.node[item]!;
      if (!Number.isNaN(v)) lines.push(h('div', null, this.overlayKind === 'time' ? formatDuration(v) : this.overlayKind === 'params' ? formatBytes(v) : `${formatCount(v)} MACs`));
    }
    this.tooltip.replaceChildren(...lines);
    this.tooltip.hidden = false;
    const r = this.stage.getBoundingClientRect();
    this.tooltip.style.left = `${Math.min(sx + 14, r.width - 260)}px`;
    this.tooltip.style.top = `${Math.min(sy + 14, r.height - 60)}px`;
  }

  private wire(): void {
    const c = this.canvas;
    const pos = (e: MouseEvent): { x: number; y: number } => {
      const r = c.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const on = <K extends keyof HTMLElementEventMap>(el: HTMLElement | Window, type: K, fn: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions): void => {
      el.addEventListener(type, fn as EventListener, opts);
      this.disposers.push(() => el.removeEventListener(type, fn as EventListener));
    };
    on(c, 'mousedown', (e) => {
      if (e.button !== 0) return;
      const p = pos(e);
      this.drag = { x: p.x, y: p.y, tx: this.vp.tx, ty: this.vp.ty, moved: false };
      c.focus();
    });
    on(window, 'mousemove', (e) => {
      const p = pos(e);
      if (this.drag) {
        const dx = p.x - this.drag.x;
        const dy = p.y - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          this.vp.tx = this.drag.tx + dx;
          this.vp.ty = this.drag.ty + dy;
          this.tooltip.hidden = true;
          this.requestDraw();
        }
        return;
      }
      if (e.target === c) this.showTooltip(this.hitAt(p.x, p.y), p.x, p.y);
    });
    on(window, 'mouseup', (e) => {
      const d = this.drag;
      this.drag = undefined;
      if (!d || d.moved || e.target !== c) return;
      const p = pos(e);
      const k = this.hitAt(p.x, p.y);
      const item = k >= 0 ? this.scene!.layout.items[k]! : -1;
      if (k > 0 && this.model?.isGroup(item) && !this.scene!.isBlock(k) && this.onToggle(k, p.x, p.y)) {
        void this.toggle(item - this.model.N);
        return;
      }
      this.select(k > 0 ? k : -1);
    });
    on(c, 'dblclick', (e) => {
      const p = pos(e);
      const k = this.hitAt(p.x, p.y);
      const item = k >= 0 ? this.scene!.layout.items[k]! : -1;
      if (k > 0 && this.model?.isGroup(item)) {
        if (this.scene!.isBlock(k)) this.zoomAt(2.5, p.x, p.y);
        else void this.toggle(item - this.model.N);
      }
    });
    on(c, 'mouseleave', () => (this.tooltip.hidden = true));
    on(
      c,
      'wheel',
      (e) => {
        e.preventDefault();
        const p = pos(e);
        if (e.ctrlKey || e.metaKey) this.zoomAt(Math.exp(-e.deltaY * 0.0025), p.x, p.y);
        else {
          this.vp.tx -= e.shiftKey ? e.deltaY : e.deltaX;
          this.vp.ty -= e.shiftKey ? 0 : e.deltaY;
          this.requestDraw();
        }
      },
      { passive: false },
    );
    on(c, 'keydown', (e) => {
      const k = e.key;
      const step = 60;
      if (k === 'f' || k === 'F') this.fit();
      else if (k === '+' || k === '=') this.zoomAt(1.25, this.vp.width / 2, this.vp.height / 2);
      else if (k === '-' || k === '_') this.zoomAt(0.8, this.vp.width / 2, this.vp.height / 2);
      else if (k === 'ArrowLeft') this.vp.tx += step;
      else if (k === 'ArrowRight') this.vp.tx -= step;
      else if (k === 'ArrowUp') this.vp.ty += step;
      else if (k === 'ArrowDown') this.vp.ty -= step;
      else if (k === 'Escape') this.select(-1);
      else if (k === 'Enter' && this.selected > 0 && this.model && this.scene && this.model.isGroup(this.scene.layout.items[this.selected]!)) void this.toggle(this.scene.layout.items[this.selected]! - this.model.N);
      else return;
      e.preventDefault();
      this.requestDraw();
    });
    on(this.searchInput, 'input', () => this.search(this.searchInput.value));
    on(this.searchInput, 'keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.step(e.shiftKey ? -1 : 1);
      }
    });
    on(this.overlaySelect, 'change', () => this.applyOverlay());
    if (typeof ResizeObserver === 'function') {
      const ro = new ResizeObserver(() => this.resize());
      ro.observe(this.stage);
      this.disposers.push(() => ro.disconnect());
    }
    // VS Code rewrites the theme variables and the body class on a theme change.
    const mo = new MutationObserver(() => {
      this.theme = readGraphTheme(document.documentElement);
      this.renderLegend();
      this.requestDraw();
    });
    mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
    this.disposers.push(() => mo.disconnect());
  }

  // ---- tests and benchmarks ----

  private debugHook(): GraphDebug {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const view = this;
    return {
      get ready() {
        return view.debug.ready;
      },
      get timings() {
        return view.debug.timings;
      },
      get lastLayout() {
        return view.debug.lastLayout;
      },
      get frame() {
        return view.debug.frame;
      },
      get frames() {
        return view.debug.frames;
      },
      get worker() {
        return view.debug.worker;
      },
      get viewport() {
        return { ...view.vp };
      },
      snapshot() {
        const scene = view.scene;
        const model = view.model;
        if (!scene || !model) return { items: [], edges: [] };
        const L = scene.layout;
        const items = [...L.items].map((id, k) => ({
          id,
          group: model.isGroup(id),
          open: L.open[k] === 1,
          title: model.title(id),
          name: model.isGroup(id) ? model.str(model.graph.groups.path[id - model.N]!) : model.nodeName(id),
          x: L.x[k]!,
          y: L.y[k]!,
          w: L.w[k]!,
          h: L.h[k]!,
          parent: model.parent[id]!,
        }));
        const edges = [...L.edgeFrom].map((from, e) => ({ from, to: L.edgeTo[e]!, count: L.edgeCount[e]!, points: [...L.points.subarray(2 * L.pointStart[e]!, 2 * L.pointStart[e + 1]!)] }));
        return { items, edges };
      },
      screenRect(item) {
        const k = view.scene?.index[item] ?? -1;
        if (!view.scene || k < 0) return undefined;
        const L = view.scene.layout;
        const s = view.vp.scale;
        return { x: L.x[k]! * s + view.vp.tx, y: L.y[k]! * s + view.vp.ty, w: L.w[k]! * s, h: L.h[k]! * s };
      },
      itemByName(name) {
        return view.model?.findNode(name) ?? -1;
      },
      groupByPath(path) {
        const model = view.model;
        if (!model) return -1;
        for (let g = 0; g < model.G; g++) if (model.str(model.graph.groups.path[g]!) === path) return model.N + g;
        return -1;
      },
      async idle() {
        await view.layoutBusy;
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      },
      expandAll: () => view.setAll(1),
      collapseAll: () => view.setAll(0),
      async flat() {
        const t = performance.now();
        await view.relayout({ flat: true, fit: true });
        const layoutMs = performance.now() - t;
        const p = performance.now();
        view.drawNow();
        return { layoutMs, paintMs: performance.now() - p };
      },
    };
  }
}
