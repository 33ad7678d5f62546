/**
 * analyzeModel: shape inference, per-node cost, scope aggregates, coverage and the static memory plan.
 */
import { dataTypeInfo, type Graph, type OnnxModel, type TensorInfo } from '../onnx/types';
import { subgraphsOf, walkGraphs } from '../onnx/reader';
import { dimText, evaluate, symbolsOf, type Sym } from './expr';
import { bytesOf, nodeCost } from './cost';
import { Engine, subgraphPath, type D, type Info, type NodeRecord } from './infer';
import { nodeSource, scopeOf } from './source';
import { TensorValueReader } from './tensor-values';
import type {
  AnalyzeOptions,
  CostTotals,
  Coverage,
  DimValues,
  GraphInsight,
  LiveTensor,
  MemoryPlan,
  ModelInsight,
  NodeCost,
  ScopeCost,
  ValueShape,
} from './types';

function valueShape(x: Info): ValueShape {
  return { elemType: x.nonTensor ? null : x.elem, shape: x.nonTensor || !x.shape ? null : x.shape.map(dimText) };
}

function ev(x: D, dims: DimValues): number | null {
  return evaluate(x, dims);
}

function sumKnown(xs: readonly D[], dims: DimValues): number | null {
  let t = 0;
  for (const x of xs) {
    const v = ev(x, dims);
    if (v === null) return null;
    t += v;
  }
  return t;
}

function tensorBytes(t: TensorInfo): number {
  const bits = dataTypeInfo(t.dataType).bits;
  let n = 1;
  for (const d of t.dims) n *= d;
  if (bits > 0) return Math.ceil((n * bits) / 8);
  if (t.data.kind === 'inline') return t.data.range.length;
  if (t.data.kind === 'external') return t.data.length ?? 0;
  return 0;
}

/** Every initializer and Constant-node tensor of every graph, each once. */
function allWeights(model: OnnxModel): TensorInfo[] {
  const out: TensorInfo[] = [];
  const visit = (g: Graph) => {
    out.push(...g.initializers);
    for (const n of g.nodes) if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx')) for (const a of n.attributes) if (a.t) out.push(a.t);
  };
  walkGraphs(model.graph, visit);
  for (const f of model.functions) for (const n of f.nodes) for (const sg of subgraphsOf(n)) walkGraphs(sg, visit);
  return out;
}

interface Agg {
  path: string[];
  flops: number | null;
  macs: number | null;
  knownFlops: number;
  knownMacs: number;
  params: Map<string, number>;
  nodes: number;
  unknownNodes: number;
}

function newAgg(path: string[]): Agg {
  return { path, flops: 0, macs: 0, knownFlops: 0, knownMacs: 0, params: new Map(), nodes: 0, unknownNodes: 0 };
}

function addTo(a: Agg, n: NodeCost, weights: readonly { name: string; bytes: number }[]): void {
  // Weights exist whichever branch runs; compute counts only for counted nodes.
  for (const w of weights) a.params.set(w.name, w.bytes);
  if (!n.counted) return;
  a.nodes++;
  if (n.flops === null) {
    a.unknownNodes++;
    a.flops = null;
  } else {
    a.knownFlops += n.flops;
    if (a.flops !== null) a.flops += n.flops;
  }
  if (n.macs === null) a.macs = null;
  else {
    a.knownMacs += n.macs;
    if (a.macs !== null) a.macs += n.macs;
  }
}

function totalsOf(a: Agg): CostTotals {
  let paramBytes = 0;
  for (const b of a.params.values()) paramBytes += b;
  return { flops: a.flops, macs: a.macs, paramBytes, nodes: a.nodes, unknownNodes: a.unknownNodes, knownFlops: a.knownFlops, knownMacs: a.knownMacs };
}

export function analyzeModel(model: OnnxModel, opts: AnalyzeOptions = {}): ModelInsight {
  const dims: DimValues = { ...(opts.dims ?? {}) };
  const reader = new TensorValueReader(model.path, opts.source);
  const engine = new Engine(model, reader, { useValueInfo: opts.useValueInfo ?? true, ...(opts.signal ? { signal: opts.signal } : {}) });
  try {
    engine.run();
  } finally {
    reader.close();
  }

  // ---- nodes ----
  const nodes: NodeCost[] = [];
  const nodeWeights: { name: string; bytes: number }[][] = [];
  for (const r of engine.records) {
    const cost = nodeCost(r);
    const source = nodeSource(r.node);
    const weights: { name: string; bytes: number }[] = [];
    const inputs: D[] = [];
    const seen = new Set<string>();
    r.node.inputs.forEach((name, k) => {
      if (!name || seen.has(name)) return;
      seen.add(name);
      const x = r.inputs[k];
      if (x?.tensor) weights.push({ name: x.tensor.name || name, bytes: tensorBytes(x.tensor) });
      else inputs.push(bytesOf(x));
    });
    const outputs = r.outputs.filter((x): x is Info => x !== undefined).map((x) => bytesOf(x));
    const tensorsKnown = [...r.inputs, ...r.outputs].every((x) => x === undefined || x.nonTensor || (x.elem !== null && x.shape !== null && x.shape.every((d) => d !== null)));
    nodeWeights.push(weights);
    nodes.push({
      graph: r.graphPath,
      index: r.index,
      name: r.node.name,
      opType: r.node.opType,
      domain: r.node.domain === 'ai.onnx' ? '' : r.node.domain,
      scope: scopeOf(r.node, source),
      flops: ev(cost.flops, dims),
      macs: ev(cost.macs, dims),
      paramBytes: weights.reduce((a, w) => a + w.bytes, 0),
      inputBytes: sumKnown(inputs, dims),
      outputBytes: sumKnown(outputs, dims),
      flopsExpr: dimTextOrNull(cost.flops),
      macsExpr: dimTextOrNull(cost.macs),
      shapesKnown: tensorsKnown,
      ...(source ? { source } : {}),
      counted: true,
    });
  }
  const excluded = uncountedBranches(engine.records, nodes);
  if (excluded.length) {
    const out = (g: string) => excluded.some((p) => g === p || g.startsWith(`${p}/`));
    nodes.forEach((n, k) => {
      if (out(n.graph)) nodes[k] = { ...n, counted: false };
    });
  }

  // ---- scopes ----
  const aggs = new Map<string, Agg>();
  nodes.forEach((n, k) => {
    for (let len = 0; len <= n.scope.length; len++) {
      const path = n.scope.slice(0, len);
      const key = path.join('/');
      let a = aggs.get(key);
      if (!a) aggs.set(key, (a = newAgg(path)));
      addTo(a, n, nodeWeights[k]!);
    }
  });
  if (!aggs.has('')) aggs.set('', newAgg([]));
  const scopes: ScopeCost[] = [...aggs.entries()].map(([key, a]) => ({ ...totalsOf(a), path: a.path, key }));
  const totals = totalsOf(aggs.get('')!);

  // ---- graphs and coverage ----
  const graphs: GraphInsight[] = engine.graphs.map((g) => ({ path: g.path, name: g.graph.name, values: new Map([...g.values].map(([k, v]) => [k, valueShape(v)])) }));
  let known = 0;
  let partial = 0;
  let total = 0;
  for (const g of engine.graphs) {
    const inits = new Set(g.graph.initializers.map((t) => t.name));
    const counted = new Set<string>();
    const count = (name: string) => {
      if (!name || counted.has(name)) return;
      counted.add(name);
      const x = g.values.get(name);
      if (!x || x.nonTensor) return;
      total++;
      if (x.shape && x.elem !== null && x.shape.every((d) => d !== null)) known++;
      else if (x.shape) partial++;
    };
    for (const v of g.graph.inputs) if (!inits.has(v.name)) count(v.name);
    for (const n of g.graph.nodes) if (n.opType !== 'Constant') n.outputs.forEach(count);
  }
  const unsupported = new Map<string, number>();
  for (const r of engine.records) {
    if (r.supported) continue;
    const d = r.node.domain === 'ai.onnx' ? '' : r.node.domain;
    const op = d ? `${d}.${r.node.opType}` : r.node.opType;
    unsupported.set(op, (unsupported.get(op) ?? 0) + 1);
  }
  const coverage: Coverage = {
    known,
    partial,
    total,
    ratio: total === 0 ? 1 : known / total,
    unsupportedOps: [...unsupported].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
  };

  // ---- symbols ----
  const symbols = new Set<string>();
  const main = engine.graphs[0]!;
  for (const v of model.graph.inputs) for (const d of main.values.get(v.name)?.shape ?? []) symbolsOf(d as Sym | null, symbols);
  for (const g of engine.graphs) for (const x of g.values.values()) for (const d of x.shape ?? []) symbolsOf(d as Sym | null, symbols);

  const planner = memoryPlanner(model, engine.records.filter((r) => r.graphPath === ''), main.values, engine.graphs.length > 1);
  const values = graphs[0]!.values;
  return {
    values,
    graphs,
    nodes,
    scopes,
    totals,
    coverage,
    symbols: [...symbols],
    dims,
    memoryPlan: (d?: DimValues) => planner(d ?? dims),
    warnings: engine.warnings,
  };
}

/**
 * If branches left out of the totals: of the two branches of an If only one runs, so the one with the
 * smaller known FLOPs (nested bodies included) is left out; a constant condition picks the branch.
 */
function uncountedBranches(records: readonly NodeRecord[], nodes: readonly NodeCost[]): string[] {
  const flopsUnder = (p: string) => nodes.reduce((a, n) => a + (n.graph === p || n.graph.startsWith(`${p}/`) ? n.flops ?? 0 : 0), 0);
  const out: string[] = [];
  for (const r of records) {
    if (r.node.opType !== 'If' || (r.node.domain !== '' && r.node.domain !== 'ai.onnx')) continue;
    const then = subgraphPath(r.graphPath, r.node, r.index, 'then_branch');
    const other = subgraphPath(r.graphPath, r.node, r.index, 'else_branch');
    const cond = r.inputs[0]?.value?.data[0];
    if (typeof cond === 'number') out.push(cond ? other : then);
    else out.push(flopsUnder(then) >= flopsUnder(other) ? other : then);
  }
  return out;
}

function dimTextOrNull(x: D): string | null {
  const t = dimText(x);
  return t === null ? null : String(t);
}

/**
 * Lifetimes in the main graph's node order: a value lives from the node that produces it (graph inputs
 * from the start) to the last node that reads it (graph outputs to the end; subgraph reads count for
 * their If/Loop/Scan node). Weights are left out of the activation sum.
 */
function memoryPlanner(model: OnnxModel, records: readonly NodeRecord[], values: ReadonlyMap<string, Info>, hasSubgraphs: boolean): (dims: DimValues) => MemoryPlan {
  const g = model.graph;
  const inits = new Set(g.initializers.map((t) => t.name));
  const n = records.length;
  interface Life { name: string; info: Info; start: number; end: number }
  const lives = new Map<string, Life>();
  for (const v of g.inputs) {
    if (inits.has(v.name)) continue;
    const info = values.get(v.name);
    if (info && !info.tensor) lives.set(v.name, { name: v.name, info, start: 0, end: 0 });
  }
  records.forEach((r, i) => {
    r.node.outputs.forEach((name, k) => {
      const info = r.outputs[k];
      if (!name || !info || info.tensor) return;
      lives.set(name, { name, info, start: i, end: i });
    });
  });
  records.forEach((r, i) => {
    for (const name of [...r.node.inputs, ...r.outerReads]) {
      const l = name ? lives.get(name) : undefined;
      if (l && i > l.end) l.end = i;
    }
  });
  for (const o of g.outputs) {
    const l = lives.get(o.name);
    if (l) l.end = Math.max(n - 1, 0);
  }
  const weightBytes = allWeights(model).reduce((a, t) => a + tensorBytes(t), 0);
  const list = [...lives.values()];

  return (dims: DimValues): MemoryPlan => {
    const size = new Map<Life, number>();
    let unknownTensors = 0;
    for (const l of list) {
      const b = evaluate(bytesOf(l.info), dims);
      if (b === null) unknownTensors++;
      else size.set(l, b);
    }
    // Sweep: +bytes at start, −bytes after end.
    const delta = new Array<number>(n + 1).fill(0);
    for (const [l, b] of size) {
      delta[l.start]! += b;
      delta[l.end + 1]! -= b;
    }
    let cur = 0;
    let peak = -1;
    let at = -1;
    for (let i = 0; i < Math.max(n, 1); i++) {
      cur += delta[i]!;
      if (cur > peak) {
        peak = cur;
        at = i;
      }
    }
    const liveAtPeak: LiveTensor[] = [];
    for (const [l, b] of size) {
      if (l.start <= at && at <= l.end) {
        const isInput = !records[l.start]?.node.outputs.includes(l.name);
        liveAtPeak.push({ name: l.name, bytes: b, producer: isInput ? -1 : l.start });
      }
    }
    liveAtPeak.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
    return {
      dims,
      peakActivationBytes: Math.max(peak, 0),
      peakAtNodeIndex: n === 0 ? -1 : records[at]!.index,
      peakAtNodeName: n === 0 ? '' : records[at]!.node.name,
      liveAtPeak,
      weightBytes,
      unknownTensors,
      subgraphsExcluded: hasSubgraphs,
    };
  };
}
