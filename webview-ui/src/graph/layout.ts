/**
 * Hierarchical layout of the graph view, run in the layout worker (./layout-worker.ts). Pure: no DOM.
 *
 * Each expanded group is laid out on its own with dagre: its children (nodes, collapsed groups as
 * boxes, expanded groups at the size of their own layout) and one small port per value that enters
 * or leaves it, input ports above everything and output ports below. So a layout never sees more
 * boxes than a group has children (the model builder chunks groups to at most 40), and the cost of a
 * model is the sum of small layouts instead of one huge one. Two groups with the same structure
 * (every layer of a transformer) share one layout: a group's layout is cached by a signature of
 * its children's sizes, its ports and its edges. Expanding or collapsing a group changes only its
 * own signature and its ancestors', so only those are laid out again.
 *
 * Edges between visible boxes are routed by composing the routes of the groups they cross: out of
 * the groups around the source through their output ports, along the route in the innermost group
 * holding both ends, into the groups around the target through their input ports.
 */
import dagre from '@dagrejs/dagre';

/** The structure the worker keeps (sent once). Items: nodes `0…nodeCount-1`, then groups. */
export interface LayoutGraph {
  readonly nodeCount: number;
  readonly groupCount: number;
  /** Group of each item (the parent group for groups); -1 for the root group's item. */
  readonly parent: Int32Array;
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Box size of each node, and of each group when collapsed (an expanded group is at least this wide). */
  readonly width: Float32Array;
  readonly height: Float32Array;
  /** Node-level edges: producer node → consumer node, and the value that flows. */
  readonly edgeFrom: Int32Array;
  readonly edgeTo: Int32Array;
  readonly edgeValue: Int32Array;
}

export interface LayoutResult {
  /** Visible items in preorder (a group before its children). */
  readonly items: Int32Array;
  /** For visible item k: the index in `items` just past its subtree. */
  readonly end: Int32Array;
  /** Top-left corner and size of each visible item. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly w: Float32Array;
  readonly h: Float32Array;
  /** Whether each visible item is an expanded group. */
  readonly open: Uint8Array;
  /** Edges between visible items (values between the same two boxes drawn once, `count` of them). */
  readonly edgeFrom: Int32Array;
  readonly edgeTo: Int32Array;
  readonly edgeCount: Int32Array;
  readonly edgeValue: Int32Array;
  /** Polyline of edge e: points `pointStart[e] … pointStart[e+1]-1` as x,y pairs in `points`. */
  readonly pointStart: Int32Array;
  readonly points: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly stats: LayoutStats;
}

export interface LayoutStats {
  /** Expanded groups whose layout changed with this request (looked up in the cache or computed). */
  readonly groups: number;
  /** Layouts computed with dagre in this request (the others came from the cache). */
  readonly computed: number;
  /** Boxes (children and ports) dagre placed in this request. */
  readonly boxes: number;
  readonly millis: number;
}

export const GROUP_PAD = 10;
export const GROUP_HEADER = 24;
const PORT = 6;
/** Local indices (children, then ports) stay below this; edge keys are src * LOCAL + dst. */
const LOCAL = 1 << 22;
const DAGRE = { rankdir: 'TB', nodesep: 16, ranksep: 26, edgesep: 8, marginx: 0, marginy: 0 } as const;

/** A group's layout relative to its box: children's and ports' top-left corners, routes of its local edges. */
interface Inner {
  readonly width: number;
  readonly height: number;
  readonly childX: Float64Array;
  readonly childY: Float64Array;
  /** Centers of ports, by local port index (inputs then outputs). */
  readonly portX: Float64Array;
  readonly portY: Float64Array;
  readonly routes: readonly Float32Array[];
}

/** What never changes for a group: its children, ports and local edges. */
interface GroupStatic {
  readonly item: number;
  readonly children: number[];
  /** Value → port index; inputs are 0…in-1, outputs follow. */
  readonly inPorts: Map<number, number>;
  readonly outPorts: Map<number, number>;
  /** Local edge endpoints: a child index, or `children.length + port`. */
  readonly edgeSrc: number[];
  readonly edgeDst: number[];
  readonly edgeIndex: Map<number, number>;
}

export class HierarchicalLayout {
  private readonly G: number;
  private readonly N: number;
  /** Index of each item among its parent's children. */
  private readonly local: Int32Array;
  private readonly depth: Int32Array;
  private readonly groups: GroupStatic[] = [];
  /** Layout signature id per group (-1: not computed for the current expansion). */
  private readonly sigOf: Int32Array;
  private readonly expanded: Uint8Array;
  private readonly sigIds = new Map<string, number>();
  private readonly cache = new Map<number, Inner>();

  constructor(private readonly g: LayoutGraph) {
    this.N = g.nodeCount;
    this.G = g.groupCount;
    const items = this.N + this.G;
    this.local = new Int32Array(items);
    this.depth = new Int32Array(items);
    this.sigOf = new Int32Array(this.G).fill(-1);
    this.expanded = new Uint8Array(this.G);
    for (let k = 0; k < this.G; k++) {
      const children = Array.from(g.children.subarray(g.childStart[k]!, g.childStart[k + 1]!));
      children.forEach((c, i) => (this.local[c] = i));
      this.groups.push({ item: this.N + k, children, inPorts: new Map(), outPorts: new Map(), edgeSrc: [], edgeDst: [], edgeIndex: new Map() });
    }
    // Depth top-down: groups are numbered parent first, so one pass over groups then nodes.
    for (let k = 1; k < this.G; k++) this.depth[this.N + k] = this.depth[this.N + g.parent[this.N + k]!]! + 1;
    for (let i = 0; i < this.N; i++) this.depth[i] = this.depth[this.N + g.parent[i]!]! + 1;
    // One walk over the edges records ports and local edges; port endpoints are kept symbolic
    // (in-port p: -1 - 2p, out-port p: -2 - 2p) until each group's port counts are known.
    const E = g.edgeFrom.length;
    const upGroup = new Int32Array(64);
    const upChild = new Int32Array(64);
    const downGroup = new Int32Array(64);
    const downChild = new Int32Array(64);
    const pending: { src: number[]; dst: number[]; seen: Set<number> }[] = [];
    const add = (grp: number, src: number, dst: number): void => {
      const l = (pending[grp] ??= { src: [], dst: [], seen: new Set() });
      const key = (src + 2 * LOCAL) * 4 * LOCAL + (dst + 2 * LOCAL);
      if (l.seen.has(key)) return;
      l.seen.add(key);
      l.src.push(src);
      l.dst.push(dst);
    };
    const port = (ports: Map<number, number>, value: number): number => {
      let p = ports.get(value);
      if (p === undefined) {
        p = ports.size;
        ports.set(value, p);
      }
      return p;
    };
    for (let e = 0; e < E; e++) {
      const value = g.edgeValue[e]!;
      let u = g.edgeFrom[e]!;
      let w = g.edgeTo[e]!;
      if (u === w) continue;
      let nu = 0;
      let nd = 0;
      while (this.depth[u]! > this.depth[w]! && nu < 64) {
        upGroup[nu] = g.parent[u]!;
        upChild[nu++] = u;
        u = this.N + g.parent[u]!;
      }
      while (this.depth[w]! > this.depth[u]! && nd < 64) {
        downGroup[nd] = g.parent[w]!;
        downChild[nd++] = w;
        w = this.N + g.parent[w]!;
      }
      while (g.parent[u] !== g.parent[w] && nu < 64 && nd < 64) {
        upGroup[nu] = g.parent[u]!;
        upChild[nu++] = u;
        downGroup[nd] = g.parent[w]!;
        downChild[nd++] = w;
        u = this.N + g.parent[u]!;
        w = this.N + g.parent[w]!;
      }
      if (u === w || g.parent[u] !== g.parent[w]) continue; // one end contains the other (or nesting past 64)
      for (let k = 0; k < nu; k++) {
        const grp = upGroup[k]!;
        const p = port(this.groups[grp]!.outPorts, value);
        add(grp, this.local[upChild[k]!]!, -2 - 2 * p);
      }
      add(g.parent[u]!, this.local[u]!, this.local[w]!);
      for (let k = 0; k < nd; k++) {
        const grp = downGroup[k]!;
        const p = port(this.groups[grp]!.inPorts, value);
        add(grp, -1 - 2 * p, this.local[downChild[k]!]!);
      }
    }
    // Final local numbering: children, then input ports, then output ports.
    pending.forEach((l, grp) => {
      const gs = this.groups[grp]!;
      const C = gs.children.length;
      const inP = gs.inPorts.size;
      const resolve = (x: number): number => (x >= 0 ? x : (-x - 1) % 2 === 0 ? C + (-x - 1) / 2 : C + inP + (-x - 2) / 2);
      for (let k = 0; k < l.src.length; k++) {
        const src = resolve(l.src[k]!);
        const dst = resolve(l.dst[k]!);
        gs.edgeIndex.set(src * LOCAL + dst, gs.edgeSrc.length);
        gs.edgeSrc.push(src);
        gs.edgeDst.push(dst);
      }
    });
  }

  /** The group item holding item `i`. */
  private parentGroup(i: number): number {
    return this.g.parent[i]!;
  }

  /** Lays out the graph with the groups whose flag is set in `expanded` open (the root always is). */
  layout(expanded: Uint8Array): LayoutResult {
    const t0 = performance.now();
    // Groups whose openness changed invalidate their signature and their ancestors'.
    for (let k = 0; k < this.G; k++) {
      const open = k === 0 || expanded[k] ? 1 : 0;
      if (open !== this.expanded[k]) {
        this.expanded[k] = open;
        for (let p = k; p >= 0; p = this.g.parent[this.N + p]!) this.sigOf[p] = -1;
      }
    }
    const stats = { groups: 0, computed: 0, boxes: 0 };
    this.innerOf(0, stats);
    const result = this.assemble();
    return { ...result, stats: { ...stats, millis: performance.now() - t0 } };
  }

  private sizeOf(item: number, stats: { groups: number; computed: number; boxes: number }): [number, number] {
    if (item >= this.N && this.expanded[item - this.N]) {
      const inner = this.innerOf(item - this.N, stats);
      return [inner.width, inner.height];
    }
    return [Math.round(this.g.width[item]!), Math.round(this.g.height[item]!)];
  }

  /** The layout of expanded group k (from the cache when a group of the same structure was laid out). */
  private innerOf(k: number, stats: { groups: number; computed: number; boxes: number }): Inner {
    const valid = this.sigOf[k] !== -1 ? this.cache.get(this.sigOf[k]!) : undefined;
    if (valid) return valid;
    stats.groups++;
    const gs = this.groups[k]!;
    let sig = -1;
    const sizes: [number, number][] = gs.children.map((c) => this.sizeOf(c, stats));
    {
      const parts: string[] = [String(Math.round(this.g.width[gs.item]!))];
      gs.children.forEach((c, i) => {
        const [w, h] = sizes[i]!;
        parts.push(c >= this.N && this.expanded[c - this.N] ? `e${this.sigOf[c - this.N]}` : `${w}x${h}`);
      });
      parts.push(`|${gs.inPorts.size}|${gs.outPorts.size}|`);
      for (let e = 0; e < gs.edgeSrc.length; e++) parts.push(`${gs.edgeSrc[e]}>${gs.edgeDst[e]}`);
      const key = parts.join(',');
      sig = this.sigIds.get(key) ?? this.sigIds.size;
      this.sigIds.set(key, sig);
      this.sigOf[k] = sig;
    }
    let inner = this.cache.get(sig);
    if (!inner) {
      inner = this.compute(gs, sizes, stats);
      this.cache.set(sig, inner);
    }
    return inner;
  }

  private compute(gs: GroupStatic, sizes: readonly [number, number][], stats: { computed: number; boxes: number }): Inner {
    stats.computed++;
    const C = gs.children.length;
    const P = gs.inPorts.size + gs.outPorts.size;
    stats.boxes += C + P;
    const dg = new dagre.graphlib.Graph();
    dg.setGraph({ ...DAGRE });
    dg.setDefaultEdgeLabel(() => ({}));
    for (let i = 0; i < C; i++) dg.setNode(String(i), { width: sizes[i]![0], height: sizes[i]![1] });
    for (let p = 0; p < P; p++) dg.setNode(String(C + p), { width: PORT, height: PORT });
    const hasIn = new Uint8Array(C);
    const hasOut = new Uint8Array(C);
    for (let e = 0; e < gs.edgeSrc.length; e++) {
      const s = gs.edgeSrc[e]!;
      const d = gs.edgeDst[e]!;
      dg.setEdge(String(s), String(d));
      if (d < C && s < C) hasIn[d] = 1;
      if (s < C && d < C) hasOut[s] = 1;
    }
    // Input ports above every child, output ports below: anchors that the local sources hang from
    // and the local sinks lead to (weight 0: they shape ranks, not the drawing).
    if (gs.inPorts.size) {
      dg.setNode('top', { width: 0, height: 0 });
      for (let p = 0; p < gs.inPorts.size; p++) dg.setEdge(String(C + p), 'top', { weight: 0 });
      for (let i = 0; i < C; i++) if (!hasIn[i]) dg.setEdge('top', String(i), { weight: 0 });
    }
    if (gs.outPorts.size) {
      dg.setNode('bottom', { width: 0, height: 0 });
      for (let p = gs.inPorts.size; p < P; p++) dg.setEdge('bottom', String(C + p), { weight: 0 });
      for (let i = 0; i < C; i++) if (!hasOut[i]) dg.setEdge(String(i), 'bottom', { weight: 0 });
    }
    if (C + P > 0) dagre.layout(dg);
    // Centers and sizes of children and ports, and the edge routes, as dagre placed them.
    const M = C + P;
    const nx = new Float64Array(M);
    const ny = new Float64Array(M);
    const nw = new Float64Array(M);
    const nh = new Float64Array(M);
    for (let i = 0; i < M; i++) {
      const n = dg.node(String(i)) as { x: number; y: number; width: number; height: number };
      nx[i] = n.x;
      ny[i] = n.y;
      nw[i] = n.width;
      nh[i] = n.height;
    }
    const raw: Float64Array[] = gs.edgeSrc.map((src, e) => {
      const pts = (dg.edge(String(src), String(gs.edgeDst[e])) as { points?: { x: number; y: number }[] } | undefined)?.points ?? [];
      const out = new Float64Array(pts.length * 2);
      pts.forEach((p, i) => {
        out[2 * i] = p.x;
        out[2 * i + 1] = p.y;
      });
      return out;
    });
    // The anchors cost two rank gaps each; close them: everything below the top anchor moves up to
    // just under the input ports, and the output ports (and what is below the bottom anchor) up to
    // just under the lowest child.
    const shiftBelow = (y0: number, dy: number, skip: (i: number) => boolean): void => {
      for (let i = 0; i < M; i++) if (!skip(i) && ny[i]! >= y0) ny[i]! -= dy;
      for (const r of raw) for (let k = 1; k < r.length; k += 2) if (r[k]! >= y0) r[k]! -= dy;
    };
    const inP = gs.inPorts.size;
    if (inP && C) {
      const anchor = (dg.node('top') as { y: number }).y;
      let portsBottom = -Infinity;
      for (let p = 0; p < inP; p++) portsBottom = Math.max(portsBottom, ny[C + p]! + PORT / 2);
      let childrenTop = Infinity;
      for (let i = 0; i < C; i++) childrenTop = Math.min(childrenTop, ny[i]! - nh[i]! / 2);
      const dy = childrenTop - (portsBottom + DAGRE.ranksep * 0.6);
      if (dy > 0) shiftBelow(anchor - 0.5, dy, (i) => i >= C && i < C + inP);
    }
    if (P > inP && C) {
      const anchor = (dg.node('bottom') as { y: number }).y - (inP && C ? 0 : 0);
      let childrenBottom = -Infinity;
      for (let i = 0; i < C; i++) childrenBottom = Math.max(childrenBottom, ny[i]! + nh[i]! / 2);
      let portsTop = Infinity;
      for (let p = inP; p < P; p++) portsTop = Math.min(portsTop, ny[C + p]! - PORT / 2);
      // The anchor moved with the top shift when there was one: find it from the ports instead.
      const bottomAnchor = Math.min(anchor, portsTop);
      const dy = portsTop - (childrenBottom + DAGRE.ranksep * 0.6);
      if (dy > 0) shiftBelow(Math.max(childrenBottom + 0.5, bottomAnchor - DAGRE.ranksep), dy, (i) => i < C);
    }
    // Route points left in the closed gaps (bends around the anchors) would make hooks: a route from
    // an input port goes straight down to its first point among the children, a route into an
    // output port straight from its last one.
    if (C) {
      let top = Infinity;
      let bottom = -Infinity;
      for (let i = 0; i < C; i++) {
        top = Math.min(top, ny[i]! - nh[i]! / 2);
        bottom = Math.max(bottom, ny[i]! + nh[i]! / 2);
      }
      raw.forEach((r, e) => {
        const fromIn = gs.edgeSrc[e]! >= C && gs.edgeSrc[e]! < C + inP;
        const toOut = gs.edgeDst[e]! >= C + inP;
        if (!fromIn && !toOut) return;
        const kept: number[] = [];
        const n = r.length / 2;
        for (let k = 0; k < n; k++) {
          const y = r[2 * k + 1]!;
          const inner = k > 0 && k < n - 1;
          if (inner && fromIn && y < top - 1) continue;
          if (inner && toOut && y > bottom + 1) continue;
          kept.push(r[2 * k]!, y);
        }
        raw[e] = Float64Array.from(kept);
      });
    }
    // Bounds of children and ports, then shift so the content starts below the header.
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < M; i++) {
      minX = Math.min(minX, nx[i]! - nw[i]! / 2);
      maxX = Math.max(maxX, nx[i]! + nw[i]! / 2);
      minY = Math.min(minY, ny[i]! - nh[i]! / 2);
      maxY = Math.max(maxY, ny[i]! + nh[i]! / 2);
    }
    if (M === 0) minX = minY = maxX = maxY = 0;
    const minWidth = Math.round(this.g.width[gs.item]!);
    const contentW = maxX - minX;
    const width = Math.max(minWidth, contentW + 2 * GROUP_PAD);
    const dx = (width - contentW) / 2 - minX;
    const dy = GROUP_HEADER - minY;
    const height = maxY - minY + GROUP_HEADER + GROUP_PAD;
    const childX = new Float64Array(C);
    const childY = new Float64Array(C);
    for (let i = 0; i < C; i++) {
      childX[i] = nx[i]! - nw[i]! / 2 + dx;
      childY[i] = ny[i]! - nh[i]! / 2 + dy;
    }
    // Ports sit on the group's border: inputs just under the header, outputs on the bottom edge.
    const portX = new Float64Array(P);
    const portY = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      portX[p] = nx[C + p]! + dx;
      portY[p] = p < inP ? GROUP_HEADER - 2 : height - 2;
    }
    const routes = raw.map((r, e) => {
      const out = new Float32Array(r.length);
      for (let k = 0; k < r.length; k += 2) {
        out[k] = r[k]! + dx;
        out[k + 1] = r[k + 1]! + dy;
      }
      // Snap the ends that touch a port to the port's place on the border.
      const src = gs.edgeSrc[e]!;
      const dst = gs.edgeDst[e]!;
      if (src >= C && out.length >= 2) {
        out[0] = portX[src - C]!;
        out[1] = portY[src - C]!;
      }
      if (dst >= C && out.length >= 2) {
        out[out.length - 2] = portX[dst - C]!;
        out[out.length - 1] = portY[dst - C]!;
      }
      return out;
    });
    return { width, height, childX, childY, portX, portY, routes };
  }

  /** Absolute boxes of the visible items and the routes of the edges between them. */
  private assemble(): Omit<LayoutResult, 'stats'> {
    const N = this.N;
    const items: number[] = [];
    const end: number[] = [];
    const xs: number[] = [];
    const ys: number[] = [];
    const ws: number[] = [];
    const hs: number[] = [];
    const open: number[] = [];
    /** Visible rep of each group: -1 when it is open (its children are visible), else the collapsed item standing for it. */
    const rep = new Int32Array(this.G).fill(-2);
    const gx = new Float64Array(this.G);
    const gy = new Float64Array(this.G);
    const visit = (item: number, x: number, y: number): void => {
      const k = items.length;
      items.push(item);
      end.push(0);
      xs.push(x);
      ys.push(y);
      const isOpenGroup = item >= N && this.expanded[item - N] === 1;
      open.push(isOpenGroup ? 1 : 0);
      if (isOpenGroup) {
        const grp = item - N;
        const inner = this.cache.get(this.sigOf[grp]!)!;
        ws.push(inner.width);
        hs.push(inner.height);
        rep[grp] = -1;
        gx[grp] = x;
        gy[grp] = y;
        const gs = this.groups[grp]!;
        gs.children.forEach((c, i) => visit(c, x + inner.childX[i]!, y + inner.childY[i]!));
      } else {
        ws.push(this.g.width[item]!);
        hs.push(this.g.height[item]!);
        if (item >= N) rep[item - N] = item;
      }
      end[k] = items.length;
    };
    visit(N, 0, 0);
    // Hidden groups stand for the collapsed ancestor that hides them (groups are numbered parent first).
    for (let k = 1; k < this.G; k++) if (rep[k] === -2) rep[k] = rep[this.g.parent[N + k]!]!;
    const repOf = (node: number): number => {
      const r = rep[this.g.parent[node]!]!;
      return r === -1 ? node : r;
    };

    // Aggregate node-level edges into edges between visible items.
    const E = this.g.edgeFrom.length;
    const byPair = new Map<number, number>();
    const seenValue = new Set<number>();
    const eFrom: number[] = [];
    const eTo: number[] = [];
    const eCount: number[] = [];
    const eValue: number[] = [];
    const eFirst: number[] = [];
    const total = N + this.G;
    for (let e = 0; e < E; e++) {
      const a = repOf(this.g.edgeFrom[e]!);
      const b = repOf(this.g.edgeTo[e]!);
      if (a === b) continue;
      const key = a * total + b;
      let idx = byPair.get(key);
      if (idx === undefined) {
        idx = eFrom.length;
        byPair.set(key, idx);
        eFrom.push(a);
        eTo.push(b);
        eCount.push(0);
        eValue.push(this.g.edgeValue[e]!);
        eFirst.push(e);
      }
      const vk = idx * 1e7 + this.g.edgeValue[e]!;
      if (!seenValue.has(vk)) {
        seenValue.add(vk);
        eCount[idx]!++;
      }
    }
    const pointStart = new Int32Array(eFrom.length + 1);
    const pts: number[] = [];
    for (let k = 0; k < eFrom.length; k++) {
      pointStart[k] = pts.length / 2;
      this.route(eFirst[k]!, eFrom[k]!, eTo[k]!, gx, gy, pts);
    }
    pointStart[eFrom.length] = pts.length / 2;
    const root = this.cache.get(this.sigOf[0]!)!;
    return {
      items: Int32Array.from(items),
      end: Int32Array.from(end),
      x: Float32Array.from(xs),
      y: Float32Array.from(ys),
      w: Float32Array.from(ws),
      h: Float32Array.from(hs),
      open: Uint8Array.from(open),
      edgeFrom: Int32Array.from(eFrom),
      edgeTo: Int32Array.from(eTo),
      edgeCount: Int32Array.from(eCount),
      edgeValue: Int32Array.from(eValue),
      pointStart,
      points: Float32Array.from(pts),
      width: root.width,
      height: root.height,
    };
  }

  /** Appends the polyline of node-level edge e drawn between visible items a and b. */
  private route(e: number, a: number, b: number, gx: Float64Array, gy: Float64Array, out: number[]): void {
    const value = this.g.edgeValue[e]!;
    // Climb from both visible ends to the lowest common group, collecting the groups crossed.
    let u = a;
    let w = b;
    const up: number[] = [];
    const down: number[] = [];
    while (this.depth[u]! > this.depth[w]!) {
      up.push(u);
      u = this.N + this.parentGroup(u);
    }
    while (this.depth[w]! > this.depth[u]!) {
      down.push(w);
      w = this.N + this.parentGroup(w);
    }
    while (this.parentGroup(u) !== this.parentGroup(w)) {
      up.push(u);
      down.push(w);
      u = this.N + this.parentGroup(u);
      w = this.N + this.parentGroup(w);
    }
    const segments: { grp: number; src: number; dst: number; dropFirst: boolean; dropLast: boolean }[] = [];
    for (const child of up) {
      const grp = this.parentGroup(child);
      const gs = this.groups[grp]!;
      const p = gs.outPorts.get(value)!;
      segments.push({ grp, src: this.local[child]!, dst: gs.children.length + gs.inPorts.size + p, dropFirst: child !== a, dropLast: false });
    }
    const lca = this.parentGroup(u);
    segments.push({ grp: lca, src: this.local[u]!, dst: this.local[w]!, dropFirst: u !== a, dropLast: w !== b });
    for (let k = down.length - 1; k >= 0; k--) {
      const child = down[k]!;
      const grp = this.parentGroup(child);
      const gs = this.groups[grp]!;
      const p = gs.inPorts.get(value)!;
      segments.push({ grp, src: gs.children.length + p, dst: this.local[child]!, dropFirst: false, dropLast: child !== b });
    }
    for (const s of segments) {
      const gs = this.groups[s.grp]!;
      const idx = gs.edgeIndex.get(s.src * LOCAL + s.dst);
      const inner = this.cache.get(this.sigOf[s.grp]!);
      if (idx === undefined || !inner) continue;
      const r = inner.routes[idx]!;
      const n = r.length / 2;
      // Where a route meets the border of a group it continues into, the path steps across the
      // group's header band to the port (both points kept: a short, straight join).
      const from = s.dropFirst && n > 2 ? 1 : 0;
      const to = n;
      for (let i = from; i < to; i++) out.push(gx[s.grp]! + r[2 * i]!, gy[s.grp]! + r[2 * i + 1]!);
    }
  }
}

/**
 * The naive baseline: one dagre layout of every node, no groups (what a flat graph viewer does).
 * For the benchmark; `nodes` are the node indices to place.
 */
export function flatLayout(g: LayoutGraph): Omit<LayoutResult, 'stats'> & { millis: number } {
  const t0 = performance.now();
  const dg = new dagre.graphlib.Graph();
  dg.setGraph({ ...DAGRE });
  dg.setDefaultEdgeLabel(() => ({}));
  const N = g.nodeCount;
  for (let i = 0; i < N; i++) dg.setNode(String(i), { width: g.width[i]!, height: g.height[i]! });
  const pairs = new Map<string, number>();
  for (let e = 0; e < g.edgeFrom.length; e++) {
    const key = `${g.edgeFrom[e]},${g.edgeTo[e]}`;
    if (g.edgeFrom[e] === g.edgeTo[e] || pairs.has(key)) continue;
    pairs.set(key, e);
    dg.setEdge(String(g.edgeFrom[e]), String(g.edgeTo[e]));
  }
  dagre.layout(dg);
  const x = new Float32Array(N + 1);
  const y = new Float32Array(N + 1);
  const w = new Float32Array(N + 1);
  const h = new Float32Array(N + 1);
  const items = new Int32Array(N + 1);
  const end = new Int32Array(N + 1);
  const open = new Uint8Array(N + 1);
  const graphLabel = dg.graph() as { width?: number; height?: number };
  items[0] = N;
  end[0] = N + 1;
  open[0] = 1;
  w[0] = graphLabel.width ?? 0;
  h[0] = graphLabel.height ?? 0;
  for (let i = 0; i < N; i++) {
    const n = dg.node(String(i)) as { x: number; y: number; width: number; height: number };
    items[i + 1] = i;
    end[i + 1] = i + 2;
    x[i + 1] = n.x - n.width / 2;
    y[i + 1] = n.y - n.height / 2;
    w[i + 1] = n.width;
    h[i + 1] = n.height;
  }
  const edges = [...pairs.values()];
  const pointStart = new Int32Array(edges.length + 1);
  const pts: number[] = [];
  edges.forEach((e, k) => {
    pointStart[k] = pts.length / 2;
    for (const p of (dg.edge(String(g.edgeFrom[e]), String(g.edgeTo[e])) as { points?: { x: number; y: number }[] }).points ?? []) pts.push(p.x, p.y);
  });
  pointStart[edges.length] = pts.length / 2;
  return {
    items,
    end,
    x,
    y,
    w,
    h,
    open,
    edgeFrom: Int32Array.from(edges.map((e) => g.edgeFrom[e]!)),
    edgeTo: Int32Array.from(edges.map((e) => g.edgeTo[e]!)),
    edgeCount: new Int32Array(edges.length).fill(1),
    edgeValue: Int32Array.from(edges.map((e) => g.edgeValue[e]!)),
    pointStart,
    points: Float32Array.from(pts),
    width: w[0]!,
    height: h[0]!,
    millis: performance.now() - t0,
  };
}
