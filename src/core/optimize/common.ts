/**
 * What every transformation shares: reading the source, checking the output name early, writing
 * through the model writer, building the report; and graph-editing helpers (unique names, constant
 * lookup through nested scopes, use counts, applying node replacements in every graph).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isOnnxError, readModel } from '../onnx';
import { ModelWriteError, sourceFiles, writeModel, type TensorPayload } from '../onnx/model-writer';
import { AttributeType, dataTypeInfo, type Attribute, type Graph, type Node, type OnnxModel, type TensorInfo } from '../onnx/types';
import { OptimizeError } from './errors';
import type { TransformChange, TransformKind, TransformReport, TransformRunOptions } from './types';

export interface TransformResult {
  readonly model: OnnxModel;
  readonly payloads: ReadonlyMap<TensorInfo, TensorPayload>;
  readonly changes: readonly TransformChange[];
  readonly warnings: readonly string[];
  /** Kind-specific totals; a function when they are only known after writing (payloads computed then). */
  readonly summary: Pick<TransformReport, 'int8' | 'fp16' | 'dims'> | (() => Pick<TransformReport, 'int8' | 'fp16' | 'dims'>);
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Reads `src`, applies `transform`, writes `dst`, reports. */
export async function runTransform(
  kind: TransformKind,
  src: string,
  dst: string,
  run: TransformRunOptions,
  transform: (model: OnnxModel) => Promise<TransformResult> | TransformResult,
): Promise<TransformReport> {
  const t0 = performance.now();
  const source = path.resolve(src);
  const output = path.resolve(dst);
  // Cheap checks first, before any work.
  if (real(output) === real(source)) throw new OptimizeError('same-file', `The output ${output} is the source model`);
  if (fs.existsSync(output) && !run.overwrite) throw new OptimizeError('exists', `${output} already exists`);
  run.onProgress?.({ stage: 'read', doneBytes: 0, totalBytes: 0 });
  let model: OnnxModel;
  try {
    model = await readModel(source, run.signal ? { signal: run.signal } : {});
  } catch (e) {
    if (isOnnxError(e) && e.code === 'cancelled') throw new OptimizeError('cancelled', 'Cancelled.');
    throw e;
  }
  if (run.signal?.aborted) throw new OptimizeError('cancelled', 'Cancelled.');
  const result = await transform(model);
  const ext = run.externalData ?? 'auto';
  let written;
  try {
    written = await writeModel(result.model, output, {
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.overwrite ? { overwrite: true } : {}),
      payloads: result.payloads,
      // The source's files, not only the ones the result still references: a converted weight's
      // payload is read from the source's external data while the output is written.
      sourceFiles: sourceFiles(model),
      ...(typeof ext === 'string'
        ? { externalData: ext }
        : {
            externalData: ext.mode,
            ...(ext.minBytes !== undefined ? { externalMinBytes: ext.minBytes } : {}),
            ...(ext.maxInlineBytes !== undefined ? { maxInlineBytes: ext.maxInlineBytes } : {}),
          }),
      onProgress: (p) => run.onProgress?.({ stage: 'write', doneBytes: p.doneBytes, totalBytes: p.totalBytes, ...(p.tensor !== undefined ? { tensor: p.tensor } : {}) }),
    });
  } catch (e) {
    if (e instanceof ModelWriteError) throw new OptimizeError(e.code === 'too-large' ? 'unsupported' : e.code, e.message);
    if (isOnnxError(e)) throw new OptimizeError('io', e.message);
    throw e;
  }
  const summary = typeof result.summary === 'function' ? result.summary() : result.summary;
  const bytesBefore = sourceFiles(model).reduce((a, f) => {
    try {
      return a + fs.statSync(f).size;
    } catch {
      return a;
    }
  }, 0);
  run.onProgress?.({ stage: 'done', doneBytes: written.bytes + (written.externalData?.bytes ?? 0), totalBytes: written.bytes + (written.externalData?.bytes ?? 0) });
  return {
    schemaVersion: 1,
    kind,
    source,
    output: written.path,
    externalDataFiles: written.externalData ? [written.externalData.path] : [],
    bytesBefore,
    bytesAfter: written.bytes + (written.externalData?.bytes ?? 0),
    weightsBefore: weightBytes(model),
    weightsAfter: weightBytes(result.model),
    nodesBefore: nodeCount(model),
    nodesAfter: nodeCount(result.model),
    changes: result.changes,
    warnings: result.warnings,
    durationMs: performance.now() - t0,
    ...summary,
  };
}

// ---- measuring ---------------------------------------------------------------------------------

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function tensorBytes(t: TensorInfo): number {
  return Math.ceil((numel(t.dims) * dataTypeInfo(t.dataType).bits) / 8);
}

/** Payload bytes of initializers and Constant-node tensors, all graphs. */
export function weightBytes(m: OnnxModel): number {
  let n = 0;
  forEachGraph(m.graph, (g) => {
    for (const t of g.initializers) n += tensorBytes(t);
    for (const node of g.nodes) for (const a of node.attributes) if (a.t) n += tensorBytes(a.t);
  });
  return n;
}

export function nodeCount(m: OnnxModel): number {
  let n = 0;
  forEachGraph(m.graph, (g) => (n += g.nodes.length));
  for (const f of m.functions) n += f.nodes.length;
  return n;
}

/** Visits `g` and every graph nested in its nodes' attributes, outer first, with the chain of enclosing graphs. */
export function forEachGraph(g: Graph, visit: (g: Graph, outer: readonly Graph[]) => void, outer: readonly Graph[] = []): void {
  visit(g, outer);
  for (const n of g.nodes) for (const sg of subgraphs(n)) forEachGraph(sg, visit, [...outer, g]);
}

export function subgraphs(n: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of n.attributes) {
    if (a.g) out.push(a.g);
    if (a.graphs) out.push(...a.graphs);
  }
  return out;
}

/** "com.microsoft.DynamicQuantizeMatMul", or just the op type for ai.onnx. */
export function opName(n: { readonly opType: string; readonly domain: string }): string {
  return n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
}

/** How a node is named in reports: its name, else its first output. */
export function nodeLabel(n: Node): string {
  return n.name || `(${opName(n)} → ${n.outputs[0] ?? '?'})`;
}

// ---- names ---------------------------------------------------------------------------------------

/** Every name in the model (values, nodes, initializers, in all graphs and functions), to make new ones unique. */
export class Names {
  private readonly used = new Set<string>();

  constructor(m: OnnxModel) {
    const addGraph = (g: Graph) => {
      for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) this.used.add(v.name);
      for (const t of g.initializers) this.used.add(t.name);
      for (const n of g.nodes) {
        if (n.name) this.used.add(n.name);
        for (const x of [...n.inputs, ...n.outputs]) this.used.add(x);
      }
    };
    forEachGraph(m.graph, addGraph);
    for (const f of m.functions) for (const n of f.nodes) for (const x of [...n.inputs, ...n.outputs, n.name]) this.used.add(x);
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** How many times each value is read: node inputs in every graph (nested ones too) and graph outputs. */
export function useCounts(m: OnnxModel): Map<string, number> {
  const uses = new Map<string, number>();
  const add = (x: string) => x && uses.set(x, (uses.get(x) ?? 0) + 1);
  forEachGraph(m.graph, (g) => {
    for (const n of g.nodes) n.inputs.forEach(add);
    for (const o of g.outputs) add(o.name);
  });
  return uses;
}

// ---- constants through scopes -------------------------------------------------------------------

export interface ConstantDef {
  readonly tensor: TensorInfo;
  /** The graph whose initializer or Constant node defines it. */
  readonly graph: Graph;
  /** Set when a Constant node (attribute `value`) defines it. */
  readonly node?: Node;
}

/** Constant values visible in a graph: its own and its enclosing graphs' initializers and Constant nodes, minus graph inputs that override them. */
export class Scope {
  private readonly defs = new Map<string, ConstantDef>();
  private readonly hidden = new Set<string>();

  constructor(
    readonly graph: Graph,
    readonly parent?: Scope,
  ) {
    const inputs = new Set(graph.inputs.map((i) => i.name));
    for (const t of graph.initializers) {
      // An initializer that is also a graph input is only a default: callers may override it.
      if (inputs.has(t.name)) this.hidden.add(t.name);
      else this.defs.set(t.name, { tensor: t, graph });
    }
    for (const n of graph.nodes) {
      if (n.opType !== 'Constant' || (n.domain && n.domain !== 'ai.onnx') || !n.outputs[0]) continue;
      const v = n.attributes.find((a) => a.name === 'value' && a.t);
      if (v?.t) this.defs.set(n.outputs[0], { tensor: v.t, graph, node: n });
    }
    for (const i of inputs) if (!this.defs.has(i)) this.hidden.add(i);
    for (const n of graph.nodes) for (const o of n.outputs) if (!this.defs.has(o)) this.hidden.add(o);
  }

  lookup(name: string): ConstantDef | undefined {
    const d = this.defs.get(name);
    if (d) return d;
    if (this.hidden.has(name)) return undefined;
    return this.parent?.lookup(name);
  }
}

/** Visits every graph with its constant scope. */
export function forEachScope(g: Graph, visit: (s: Scope) => void, parent?: Scope): void {
  const s = new Scope(g, parent);
  visit(s);
  for (const n of g.nodes) for (const sg of subgraphs(n)) forEachScope(sg, visit, s);
}

// ---- applying edits ---------------------------------------------------------------------------------

/** Node replacements and initializer changes, keyed by the reader's objects, applied to every graph. */
export class GraphEdits {
  /** A node → what stands in its place (empty: removed). */
  readonly replace = new Map<Node, readonly Node[]>();
  /** Initializers appended to a graph. */
  readonly addInitializers = new Map<Graph, TensorInfo[]>();
  /** Initializers replaced (same position) or removed (undefined). */
  readonly replaceInitializer = new Map<TensorInfo, TensorInfo | undefined>();
  /** Tensors inside attributes (Constant values) replaced. */
  readonly replaceAttributeTensor = new Map<TensorInfo, TensorInfo>();
  /** Whole graph rewrites (inputs, outputs, value_info), applied after the rest. */
  readonly rewriteGraph = new Map<Graph, (g: Graph) => Graph>();

  addInitializer(g: Graph, t: TensorInfo): void {
    const list = this.addInitializers.get(g) ?? [];
    list.push(t);
    this.addInitializers.set(g, list);
  }

  apply(m: OnnxModel): OnnxModel {
    return { ...m, graph: this.graph(m.graph) };
  }

  private graph(g: Graph): Graph {
    const nodes: Node[] = [];
    for (const n of g.nodes) {
      const r = this.replace.get(n);
      if (r) nodes.push(...r.map((x) => this.node(x)));
      else nodes.push(this.node(n));
    }
    const initializers: TensorInfo[] = [];
    for (const t of g.initializers) {
      if (!this.replaceInitializer.has(t)) initializers.push(t);
      else {
        const r = this.replaceInitializer.get(t);
        if (r) initializers.push(r);
      }
    }
    initializers.push(...(this.addInitializers.get(g) ?? []));
    const out: Graph = { ...g, nodes, initializers };
    const rw = this.rewriteGraph.get(g);
    return rw ? rw(out) : out;
  }

  private node(n: Node): Node {
    if (!n.attributes.some((a) => a.g || a.graphs || a.t)) return n;
    let changed = false;
    const attributes = n.attributes.map((a): Attribute => {
      if (a.g || a.graphs) {
        changed = true;
        return { ...a, ...(a.g ? { g: this.graph(a.g) } : {}), ...(a.graphs ? { graphs: a.graphs.map((x) => this.graph(x)) } : {}) };
      }
      const t = a.t && this.replaceAttributeTensor.get(a.t);
      if (t) {
        changed = true;
        return { ...a, t };
      }
      return a;
    });
    return changed ? { ...n, attributes } : n;
  }
}

// ---- building nodes and tensors ---------------------------------------------------------------------

export function attrInt(name: string, i: number): Attribute {
  return { name, type: AttributeType.INT, i };
}

export function attrFloat(name: string, f: number): Attribute {
  return { name, type: AttributeType.FLOAT, f };
}

export function getInt(n: Node, name: string, dflt: number): number {
  const a = n.attributes.find((x) => x.name === name);
  return a?.i ?? dflt;
}

export function getFloat(n: Node, name: string, dflt: number): number {
  const a = n.attributes.find((x) => x.name === name);
  return a?.f ?? dflt;
}

/** A new tensor whose payload the writer takes from the payloads map. */
export function newTensor(name: string, dataType: number, dims: readonly number[]): TensorInfo {
  return { name, dataType, dims, data: { kind: 'none' }, protoRange: { offset: 0, length: 0 } };
}

/** Ensures an opset import for `domain` (at least `version`). */
export function withOpset(m: OnnxModel, domain: string, version: number): OnnxModel {
  const have = m.opsetImports.find((o) => o.domain === domain);
  if (have && have.version >= version) return m;
  return { ...m, opsetImports: [...m.opsetImports.filter((o) => o.domain !== domain), { domain, version }] };
}

/** The model's ai.onnx opset version. */
export function defaultOpset(m: OnnxModel): number {
  return m.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/** Checks that every name in `names` is a node in the model; returns the set. */
export function nodeNameSet(m: OnnxModel, names: readonly string[] | undefined, what: string): Set<string> {
  const set = new Set(names ?? []);
  if (!set.size) return set;
  const all = new Set<string>();
  forEachGraph(m.graph, (g) => g.nodes.forEach((n) => n.name && all.add(n.name)));
  const unknown = [...set].filter((n) => !all.has(n));
  if (unknown.length) {
    throw new OptimizeError('bad-option', `${what}: no node named ${unknown.map((u) => `'${u}'`).join(', ')} in the model`);
  }
  return set;
}
