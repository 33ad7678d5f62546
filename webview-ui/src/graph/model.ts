/**
 * What the graph view derives from a ModelGraph once, in the webview: node-level edges (from each
 * value's producer to its consumers), ancestors, box labels, the default expansion, search, and
 * the per-node and per-group numbers of the heat-map overlays. Pure: no DOM.
 */
import { GROUP_KINDS, NODE_KINDS, splitLines, type GraphCost, type GraphTiming, type GroupKind, type ModelGraph, type NodeKind } from '../../../src/core/graph/types';

export type OverlayKind = 'none' | 'time' | 'macs' | 'params';

export interface NodeEdges {
  readonly from: Int32Array;
  readonly to: Int32Array;
  readonly value: Int32Array;
}

export class GraphModel {
  readonly N: number;
  readonly G: number;
  /** Parent group of each item (item ids: nodes, then groups); -1 for the root. */
  readonly parent: Int32Array;
  readonly edges: NodeEdges;
  /** Consumers of each value (node ids), for the properties panel. */
  private readonly consumerStart: Int32Array;
  private readonly consumerList: Int32Array;

  constructor(readonly graph: ModelGraph) {
    this.N = graph.nodes.count;
    this.G = graph.groups.count;
    this.parent = new Int32Array(this.N + this.G);
    this.parent.set(graph.nodes.group, 0);
    this.parent.set(graph.groups.parent, this.N);
    this.edges = nodeEdges(graph);
    // Consumers by value, counting sort.
    const V = graph.values.count;
    const count = new Int32Array(V + 1);
    for (const v of graph.nodes.inputs) if (v >= 0) count[v + 1]!++;
    for (let v = 0; v < V; v++) count[v + 1]! += count[v]!;
    this.consumerStart = count;
    const fill = count.slice(0, V);
    this.consumerList = new Int32Array(count[V]!);
    for (let i = 0; i < this.N; i++) {
      for (let k = graph.nodes.inputStart[i]!; k < graph.nodes.inputStart[i + 1]!; k++) {
        const v = graph.nodes.inputs[k]!;
        if (v >= 0) this.consumerList[fill[v]!++] = i;
      }
    }
  }

  str(i: number): string {
    return this.graph.strings[i] ?? '';
  }

  isGroup(item: number): boolean {
    return item >= this.N;
  }

  nodeKind(i: number): NodeKind {
    return NODE_KINDS[this.graph.nodes.kind[i]!]!;
  }

  groupKind(g: number): GroupKind {
    return GROUP_KINDS[this.graph.groups.kind[g]!]!;
  }

  nodeName(i: number): string {
    return this.str(this.graph.nodes.name[i]!);
  }

  opType(i: number): string {
    return this.str(this.graph.nodes.op[i]!);
  }

  /** What a box shows as its title: the op type (graph inputs/outputs: the value name), or the group's label. */
  title(item: number): string {
    if (item >= this.N) return this.str(this.graph.groups.label[item - this.N]!) || 'model';
    return this.nodeKind(item) === 'op' ? this.opType(item) : this.nodeName(item);
  }

  /** The group's children (item ids). */
  children(g: number): Int32Array {
    return this.graph.groups.children.subarray(this.graph.groups.childStart[g]!, this.graph.groups.childStart[g + 1]!);
  }

  inputs(i: number): Int32Array {
    return this.graph.nodes.inputs.subarray(this.graph.nodes.inputStart[i]!, this.graph.nodes.inputStart[i + 1]!);
  }

  outputs(i: number): Int32Array {
    return this.graph.nodes.outputs.subarray(this.graph.nodes.outputStart[i]!, this.graph.nodes.outputStart[i + 1]!);
  }

  consumers(v: number): Int32Array {
    return this.consumerList.subarray(this.consumerStart[v]!, this.consumerStart[v + 1]!);
  }

  /** Groups holding item, innermost first (the root last). */
  ancestors(item: number): number[] {
    const out: number[] = [];
    for (let p = this.parent[item]!; p >= 0; p = this.parent[this.N + p]!) out.push(p);
    return out;
  }

  /** `encoder › layer.0 › attention` (root left out). */
  scopePath(item: number): string {
    return this.ancestors(item)
      .filter((g) => g > 0)
      .reverse()
      .map((g) => this.str(this.graph.groups.label[g]!))
      .join(' › ');
  }

  private readonly lines: (readonly string[] | undefined)[] = [];

  /** Lines of a node's initializer inputs shown in its box: `W ⟨768×768⟩`, at most two (computed once). */
  weightLines(i: number): readonly string[] {
    return (this.lines[i] ??= this.computeWeightLines(i, 2));
  }

  private computeWeightLines(i: number, max: number): string[] {
    const out: string[] = [];
    for (const v of this.inputs(i)) {
      if (v < 0) continue;
      const t = this.graph.values.tensor[v]!;
      if (t < 0 || this.graph.values.producer[v]! >= 0) continue;
      if (out.length === max) {
        out[max - 1] = `${out[max - 1]} …`;
        break;
      }
      const dims = this.str(this.graph.tensors.dims[t]!).slice(1, -1).split(',').filter(Boolean);
      out.push(`${shortName(this.str(this.graph.tensors.name[t]!))} ⟨${dims.length ? dims.join('×') : 'scalar'}⟩`);
    }
    return out;
  }

  /**
   * Which groups start open: everything for small models; for large ones, whole levels of the
   * hierarchy while the number of visible boxes stays within `budget`.
   */
  defaultExpansion(budget = 150): Uint8Array {
    const open = new Uint8Array(this.G);
    open[0] = 1;
    let level = [0];
    let visible = this.children(0).length;
    while (level.length) {
      const next: number[] = [];
      for (const g of level) for (const c of this.children(g)) if (c >= this.N) next.push(c - this.N);
      if (!next.length) break;
      const added = next.reduce((s, g) => s + this.children(g).length - 1, 0);
      if (visible + added > budget && this.graph.groups.nodeCount[0]! > budget) break;
      for (const g of next) open[g] = 1;
      visible += added;
      level = next;
    }
    return open;
  }

  /** Node ids whose name, op type or an input/output value name contains `text` (case-insensitive), in model order. */
  search(text: string): number[] {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    const g = this.graph;
    const hit = new Uint8Array(g.strings.length);
    g.strings.forEach((s, i) => {
      if (i > 0 && s.toLowerCase().includes(q)) hit[i] = 1;
    });
    const out: number[] = [];
    for (let i = 0; i < this.N; i++) {
      let m = hit[g.nodes.name[i]!]! || hit[g.nodes.op[i]!]!;
      if (!m) for (const v of this.inputs(i)) if (v >= 0 && hit[g.values.name[v]!]) m = 1;
      if (!m) for (const v of this.outputs(i)) if (v >= 0 && hit[g.values.name[v]!]) m = 1;
      if (m) out.push(i);
    }
    return out;
  }

  /** The op node with this exact name (ORT's node names are the model's). */
  findNode(name: string): number {
    for (let i = 0; i < this.N; i++) if (this.nodeKind(i) === 'op' && this.nodeName(i) === name) return i;
    return -1;
  }

  attributes(i: number): string[][] {
    return splitLines(this.str(this.graph.nodes.attrs[i]!));
  }
}

function shortName(s: string): string {
  const last = s.split(/[./]/).filter(Boolean).pop() ?? s;
  return last.length > 14 ? `${last.slice(0, 13)}…` : last;
}

/** One edge per (producer, consumer, value): what the layout and the drawing connect. */
export function nodeEdges(graph: ModelGraph): NodeEdges {
  const from: number[] = [];
  const to: number[] = [];
  const value: number[] = [];
  const { inputStart, inputs } = graph.nodes;
  for (let i = 0; i < graph.nodes.count; i++) {
    for (let k = inputStart[i]!; k < inputStart[i + 1]!; k++) {
      const v = inputs[k]!;
      if (v < 0) continue;
      const p = graph.values.producer[v]!;
      if (p < 0 || p === i) continue;
      // A node reading the same value twice (Add(a, a)) is one edge.
      let dup = false;
      for (let j = inputStart[i]!; j < k; j++) if (inputs[j] === v) dup = true;
      if (dup) continue;
      from.push(p);
      to.push(i);
      value.push(v);
    }
  }
  return { from: Int32Array.from(from), to: Int32Array.from(to), value: Int32Array.from(value) };
}

/** Per-node overlay values (NaN: no data) and their sums per group. */
export interface OverlayValues {
  readonly kind: Exclude<OverlayKind, 'none'>;
  readonly node: Float64Array;
  readonly group: Float64Array;
  /** Nodes with a value. */
  readonly known: number;
}

export function overlayValues(model: GraphModel, kind: Exclude<OverlayKind, 'none'>, cost: GraphCost | undefined, timing: GraphTiming | undefined): OverlayValues | undefined {
  const node = kind === 'time' ? timing?.nodeUs : kind === 'macs' ? cost?.macs : cost?.paramBytes;
  if (!node) return undefined;
  const group = new Float64Array(model.G).fill(NaN);
  let known = 0;
  for (let i = 0; i < model.N; i++) {
    const v = node[i]!;
    if (Number.isNaN(v)) continue;
    known++;
    for (let p = model.parent[i]!; p >= 0; p = model.parent[model.N + p]!) group[p] = (Number.isNaN(group[p]!) ? 0 : group[p]!) + v;
  }
  return known ? { kind, node, group, known } : undefined;
}
