/**
 * Builds the graph view's `ModelGraph` (./types.ts) from a lazily read model: every node of the main
 * graph, of If/Loop/Scan bodies and of instantiated model-local functions, the values between them
 * with their types, the initializers' dtypes and shapes (never their data), and the hierarchy:
 *
 * - module scopes from the insight analysis (which reads the exporter's name-scope metadata) or, for
 *   nodes it does not cover, from node names (`/encoder/layer.0/attention/MatMul`);
 * - a node with subgraphs becomes a `control` group holding the node and one `subgraph` group per body;
 * - a call of a model-local function becomes a `function` group holding the body, instantiated with
 *   the call's values (up to a node budget; beyond it the call stays one node);
 * - a scope with a single child is folded into its parent (`attention/self` when `attention` holds
 *   only `self`); a group with more than `maxChildren` children is split into `chunk` groups of
 *   consecutive children, so no layout ever sees more than that many boxes at once.
 */
import type { ModelInsight, NodeCost, ValueShape } from '../insight/types';
import { dataTypeInfo, dataTypeName, type Attribute, type FunctionProto, type Graph, type Node, type OnnxModel, type TensorInfo, type TypeInfo } from '../onnx/types';
import { OnnxError } from '../onnx/errors';
import { typeText } from '../onnx/summary';
import { GROUP_KINDS, MODEL_GRAPH_SCHEMA_VERSION, NODE_KINDS, type GraphCost, type GroupKind, type ModelGraph, type NodeKind } from './types';

export interface BuildOptions {
  /** Shapes, costs, scopes and sources from `analyzeModel`; without it the model's own value_info and node names are used. */
  readonly insight?: ModelInsight;
  /** Function bodies are instantiated while the graph stays under this many nodes (default 250 000). */
  readonly nodeBudget?: number;
  /** Groups with more children are chunked (default 40). */
  readonly maxChildren?: number;
  readonly signal?: AbortSignal;
}

export interface BuiltGraph {
  readonly graph: ModelGraph;
  /** The tensors behind `graph.tensors`, by index: where their bytes are, for statistics on demand. */
  readonly tensors: readonly TensorInfo[];
  /** Per-node static cost (undefined without insight data). */
  readonly cost: GraphCost | undefined;
}

const MAX_TEXT = 400;
const MAX_META = 4000;
const MAX_LIST = 16;
const MAX_FRAMES = 12;

/** `/encoder/layer.0/attention/MatMul` → scope ['encoder', 'layer.0', 'attention'], leaf 'MatMul'. */
export function scopeOfName(name: string): { scope: string[]; leaf: string } {
  if (!name.includes('/')) return { scope: [], leaf: name };
  const parts = name.split('/').filter((p) => p.length > 0);
  const leaf = parts.pop() ?? name;
  return { scope: parts, leaf };
}

const clip = (s: string, n = MAX_TEXT): string => (s.length > n ? `${s.slice(0, n)}…` : s);
const oneLine = (s: string): string => s.replace(/[\t\n\r]+/g, ' ');

function listText(xs: readonly (number | string)[], fmt: (x: number | string) => string = String): string {
  const shown = xs.slice(0, MAX_LIST).map(fmt).join(', ');
  return `[${shown}${xs.length > MAX_LIST ? `, … (${xs.length})` : ''}]`;
}

const num = (x: number | string): string => (typeof x === 'number' && !Number.isInteger(x) ? String(+x.toPrecision(6)) : String(x));

function tensorText(t: TensorInfo): string {
  return `tensor ${dataTypeName(t.dataType)}[${t.dims.join(',')}]${t.name ? ` '${t.name}'` : ''}`;
}

/** An attribute's value in one line, lists and strings shortened. */
export function attributeText(a: Attribute): string {
  if (a.refAttrName) return `ref → ${a.refAttrName}`;
  if (a.g) return `graph '${a.g.name}' (${a.g.nodes.length} nodes)`;
  if (a.graphs) return listText(a.graphs.map((g) => `graph '${g.name}'`));
  if (a.t) return tensorText(a.t);
  if (a.tensors) return listText(a.tensors.map(tensorText));
  if (a.floats) return listText(a.floats, num);
  if (a.ints) return listText(a.ints);
  if (a.strings) return listText(a.strings.map((s) => JSON.stringify(clip(s, 80))));
  if (a.tp) return typeText(a.tp);
  if (a.typeProtos) return listText(a.typeProtos.map(typeText));
  if (a.sparseTensor) return `sparse tensor [${a.sparseTensor.dims.join(',')}]`;
  if (a.s !== undefined) return a.sRange ? `<${a.sRange.length} bytes>` : JSON.stringify(clip(a.s));
  if (a.iBig !== undefined) return a.iBig.toString();
  if (a.i !== undefined) return String(a.i);
  if (a.f !== undefined) return num(a.f);
  return '';
}

function shapeText(v: ValueShape): string {
  const dtype = v.elemType === null ? '?' : dataTypeName(v.elemType);
  return v.shape === null ? dtype : `${dtype}[${v.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d >= 0 && Number.isFinite(d) ? d : 0;
  return n;
}

function tensorBytes(t: TensorInfo): number {
  const bits = dataTypeInfo(t.dataType).bits;
  if (bits > 0) return Math.ceil((numel(t.dims) * bits) / 8);
  if (t.data.kind === 'inline') return t.data.range.length;
  if (t.data.kind === 'external') return t.data.length ?? 0;
  return 0;
}

/** A group while building: a tree of objects, flattened into columns at the end. */
interface Group {
  kind: GroupKind;
  label: string;
  path: string;
  parent: Group | null;
  children: (Group | number)[];
  info: string;
  /** Scope children by segment (scope lookups). */
  scopes?: Map<string, Group>;
  /** The first and last leaf labels (chunk labels). */
  first?: string;
  last?: string;
}

/** Name → value index, with the enclosing graph's names visible (subgraphs see outer values). */
class Env {
  private readonly map = new Map<string, number>();
  constructor(private readonly outer: Env | null) {}
  get(name: string): number | undefined {
    return this.map.get(name) ?? this.outer?.get(name);
  }
  set(name: string, v: number): void {
    this.map.set(name, v);
  }
}

class Builder {
  readonly strings: string[] = [''];
  private readonly stringIndex = new Map<string, number>([['', 0]]);
  // nodes
  readonly nName: number[] = [];
  readonly nLabel: number[] = [];
  readonly nOp: number[] = [];
  readonly nDomain: number[] = [];
  readonly nKind: number[] = [];
  readonly nGroup: Group[] = [];
  readonly nInputs: number[][] = [];
  readonly nOutputs: number[][] = [];
  readonly nAttrs: number[] = [];
  readonly nSource: number[] = [];
  readonly nMeta: number[] = [];
  opNodes = 0;
  // values
  readonly vName: number[] = [];
  readonly vType: number[] = [];
  readonly vProducer: number[] = [];
  readonly vTensor: number[] = [];
  // tensors
  readonly tensors: TensorInfo[] = [];
  readonly notes: string[] = [];
  readonly costOf = new Map<number, NodeCost>();
  readonly root: Group = { kind: 'root', label: '', path: '', parent: null, children: [], info: '' };
  private readonly insightCost = new Map<string, NodeCost>();
  private readonly insightValues = new Map<string, ReadonlyMap<string, ValueShape>>();
  private readonly functions = new Map<string, FunctionProto>();
  private steps = 0;

  constructor(
    model: OnnxModel,
    private readonly opts: BuildOptions,
  ) {
    for (const c of opts.insight?.nodes ?? []) this.insightCost.set(`${c.graph}\u0000${c.index}`, c);
    for (const g of opts.insight?.graphs ?? []) this.insightValues.set(g.path, g.values);
    for (const f of model.functions) this.functions.set(`${f.domain}\u0000${f.name}`, f);
  }

  str(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  private tick(): void {
    if ((++this.steps & 1023) === 0 && this.opts.signal?.aborted) throw new OnnxError('cancelled', 'Building the graph was cancelled.');
  }

  private newValue(name: string, type: string, producer: number, tensor = -1): number {
    const v = this.vName.length;
    this.vName.push(this.str(name));
    this.vType.push(this.str(type));
    this.vProducer.push(producer);
    this.vTensor.push(tensor);
    return v;
  }

  private newTensor(t: TensorInfo, name: string): number {
    this.tensors.push(name === t.name ? t : { ...t, name });
    return this.tensors.length - 1;
  }

  private newNode(kind: NodeKind, name: string, label: string, op: string, domain: string, group: Group): number {
    const i = this.nName.length;
    this.nName.push(this.str(name));
    this.nLabel.push(this.str(label));
    this.nOp.push(this.str(op));
    this.nDomain.push(this.str(domain));
    this.nKind.push(NODE_KINDS.indexOf(kind));
    this.nGroup.push(group);
    this.nInputs.push([]);
    this.nOutputs.push([]);
    this.nAttrs.push(0);
    this.nSource.push(0);
    this.nMeta.push(0);
    group.children.push(i);
    if (kind === 'op') this.opNodes++;
    return i;
  }

  private child(parent: Group, kind: GroupKind, label: string, path: string, info = ''): Group {
    const g: Group = { kind, label, path, parent, children: [], info };
    parent.children.push(g);
    return g;
  }

  /** The scope group for `segments` under `container`, created on first use. */
  private scopeGroup(container: Group, segments: readonly string[]): Group {
    let g = container;
    for (let k = 0; k < segments.length; k++) {
      const seg = segments[k]!;
      g.scopes ??= new Map();
      let next = g.scopes.get(seg);
      if (!next) {
        next = this.child(g, 'scope', seg, [container.path, ...segments.slice(0, k + 1)].filter(Boolean).join('/'));
        g.scopes.set(seg, next);
      }
      g = next;
    }
    return g;
  }

  /** The declared type of every value a graph names (inputs, outputs, value_info). */
  private declared(g: Graph): Map<string, TypeInfo> {
    const m = new Map<string, TypeInfo>();
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) m.set(v.name, v.type);
    return m;
  }

  private typeOf(name: string, insightPath: string, declared: ReadonlyMap<string, TypeInfo>): string {
    const inferred = this.insightValues.get(insightPath)?.get(name);
    if (inferred && (inferred.elemType !== null || inferred.shape !== null)) return shapeText(inferred);
    const t = declared.get(name);
    return t && t.kind !== 'unknown' ? typeText(t) : '';
  }

  addGraph(g: Graph, container: Group, insightPath: string, outer: Env | null): void {
    const env = new Env(outer);
    const declared = this.declared(g);
    const initNames = new Set<string>();
    for (const t of g.initializers) {
      initNames.add(t.name);
      const tensor = this.newTensor(t, t.name);
      env.set(t.name, this.newValue(t.name, `${dataTypeName(t.dataType)}[${t.dims.join(',')}]`, -1, tensor));
    }
    for (const sp of g.sparseInitializers) {
      if (!sp.values) continue;
      const name = sp.values.name;
      initNames.add(name);
      const tensor = this.newTensor({ ...sp.values, dims: sp.dims }, name);
      env.set(name, this.newValue(name, `sparse ${dataTypeName(sp.values.dataType)}[${sp.dims.join(',')}]`, -1, tensor));
    }
    for (const input of g.inputs) {
      if (initNames.has(input.name)) continue; // old exporters list initializers as inputs too
      const node = this.newNode('input', input.name, input.name, '', '', container);
      const v = this.newValue(input.name, this.typeOf(input.name, insightPath, declared), node);
      this.nOutputs[node]!.push(v);
      env.set(input.name, v);
    }
    g.nodes.forEach((n, index) => this.addNode(n, index, container, insightPath, env, declared, 0, undefined));
    for (const output of g.outputs) {
      const node = this.newNode('output', output.name, output.name, '', '', container);
      this.nInputs[node]!.push(this.use(output.name, env, insightPath, declared));
    }
  }

  /** The value a node input names: defined earlier, in an enclosing graph, or dangling (created once). */
  private use(name: string, env: Env, insightPath: string, declared: ReadonlyMap<string, TypeInfo>): number {
    if (name === '') return -1;
    const v = env.get(name);
    if (v !== undefined) return v;
    const dangling = this.newValue(name, this.typeOf(name, insightPath, declared), -1);
    env.set(name, dangling);
    return dangling;
  }

  /**
   * One node of a graph (or of a function body, `fnDepth` > 0, whose formal outputs are `bound` to
   * the call's values) in its scope group under `container`.
   */
  private addNode(n: Node, index: number, container: Group, insightPath: string, env: Env, declared: ReadonlyMap<string, TypeInfo>, fnDepth: number, bound: ReadonlyMap<string, number> | undefined): void {
    this.tick();
    const cost = fnDepth === 0 ? this.insightCost.get(`${insightPath}\u0000${index}`) : undefined;
    const byName = scopeOfName(n.name);
    const scope = cost && cost.scope.length ? cost.scope : byName.scope;
    const leaf = byName.leaf || n.opType;
    const home = this.scopeGroup(container, scope);
    const inputs = n.inputs.map((name) => this.use(name, env, insightPath, declared));

    const fn = this.functions.get(`${n.domain}\u0000${n.opType}`);
    if (fn && fnDepth < 8 && this.nName.length + fn.nodes.length <= (this.opts.nodeBudget ?? 250_000)) {
      const attrs = n.attributes.map((a) => `${a.name}\t${oneLine(attributeText(a))}`);
      const group = this.child(home, 'function', leaf && leaf !== n.opType ? `${n.opType} · ${leaf}` : n.opType, [container.path, ...scope, leaf || n.opType].filter(Boolean).join('/'), [`function\t${n.domain ? `${n.domain}.` : ''}${n.opType}`, `call\t${n.name}`, ...attrs].join('\n'));
      this.instantiate(fn, n, inputs, group, env, fnDepth + 1);
      // The call's outputs are typed in the calling graph.
      for (const name of n.outputs) {
        const v = name ? env.get(name) : undefined;
        if (v !== undefined && !this.vType[v]) this.vType[v] = this.str(this.typeOf(name, insightPath, declared));
      }
      return;
    }
    if (fn && fnDepth < 8) this.notes.push(`Function ${fn.name} is shown as one node where calling it would exceed the node budget.`);

    const sub = n.attributes.filter((a) => a.g || a.graphs);
    const group = sub.length ? this.child(home, 'control', leaf !== n.opType ? `${n.opType} · ${leaf}` : n.opType, [container.path, ...scope, `${leaf}:${n.opType}`].filter(Boolean).join('/')) : home;
    const i = this.newNode('op', n.name, leaf, n.opType, n.domain === 'ai.onnx' ? '' : n.domain, group);
    if (cost) this.costOf.set(i, cost);
    this.nInputs[i] = inputs;
    this.describe(i, n, cost);
    const constant = n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx') ? n.attributes.find((a) => a.name === 'value' && a.t)?.t : undefined;
    for (const name of n.outputs) {
      if (name === '') {
        this.nOutputs[i]!.push(-1);
        continue;
      }
      const tensor = constant ? this.newTensor(constant, name) : -1;
      const type = this.typeOf(name, insightPath, declared) || (constant ? `${dataTypeName(constant.dataType)}[${constant.dims.join(',')}]` : '');
      const b = bound?.get(name);
      let v: number;
      if (b !== undefined && this.vProducer[b] === -1) {
        v = b;
        this.vProducer[b] = i;
        this.vTensor[b] = tensor;
        if (!this.vType[b] && type) this.vType[b] = this.str(type);
      } else v = this.newValue(name, type, i, tensor);
      this.nOutputs[i]!.push(v);
      env.set(name, v);
    }
    if (!sub.length) return;
    const ref = n.name || `#${index}`;
    for (const a of sub) {
      const graphs = a.g ? [a.g] : (a.graphs ?? []);
      graphs.forEach((sg, k) => {
        const path = `${insightPath ? `${insightPath}/` : ''}${ref}:${a.name}${a.g ? '' : `[${k}]`}`;
        const body = this.child(group, 'subgraph', a.g ? a.name : `${a.name}[${k}]`, path, `graph\t${sg.name}`);
        this.addGraph(sg, body, path, env);
      });
    }
  }

  /** A function call's body as nodes of `group`: formal inputs and outputs bound to the call's values. */
  private instantiate(fn: FunctionProto, call: Node, inputs: readonly number[], group: Group, outer: Env, depth: number): void {
    const env = new Env(null);
    fn.inputs.forEach((formal, k) => {
      const v = inputs[k];
      if (v !== undefined && v >= 0) env.set(formal, v);
    });
    // The call's outputs exist outside; the body node that computes each one becomes its producer.
    const bound = new Map<string, number>();
    fn.outputs.forEach((formal, k) => {
      const actual = call.outputs[k];
      if (!actual) return;
      const v = this.newValue(actual, '', -1);
      outer.set(actual, v);
      bound.set(formal, v);
    });
    const declared = new Map<string, TypeInfo>();
    for (const v of fn.valueInfo) declared.set(v.name, v.type);
    fn.nodes.forEach((n, index) => this.addNode(n, index, group, '\u0001fn', env, declared, depth, bound));
  }

  private describe(i: number, n: Node, cost: NodeCost | undefined): void {
    if (n.attributes.length) this.nAttrs[i] = this.str(n.attributes.map((a) => `${a.name}\t${oneLine(attributeText(a))}`).join('\n'));
    const frames = cost?.source?.frames ?? [];
    if (frames.length) this.nSource[i] = this.str(frames.slice(0, MAX_FRAMES).map((f) => `${oneLine(f.file)}\t${f.line}\t${oneLine(f.func)}`).join('\n'));
    const meta: string[] = [];
    if (n.docString) meta.push(`doc_string\t${oneLine(clip(n.docString, MAX_META))}`);
    for (const e of n.metadataProps ?? []) meta.push(`${oneLine(e.key)}\t${oneLine(clip(e.value, MAX_META))}`);
    if (meta.length) this.nMeta[i] = this.str(meta.join('\n'));
  }
}

// ---- simplifying and chunking the group tree ----

const labelOf = (b: Builder, item: Group | number, end: 'first' | 'last'): string =>
  typeof item === 'number' ? b.strings[b.nLabel[item]!]! || b.strings[b.nOp[item]!]! : item.kind === 'chunk' ? item[end]! : item.label;

/** Folds scope groups with a single child into their parent (post-order, so chains fold into one label). */
function simplify(b: Builder, g: Group): void {
  for (const c of g.children) if (typeof c !== 'number') simplify(b, c);
  // A group holding nothing but one scope holds that scope's children (`then_branch · then`).
  const only = g.children.length === 1 ? g.children[0]! : undefined;
  if (only !== undefined && typeof only !== 'number' && only.kind === 'scope') {
    g.children = only.children;
    for (const c of g.children) {
      if (typeof c === 'number') b.nGroup[c] = g;
      else c.parent = g;
    }
    if (g.kind !== 'root') g.label = `${g.label} · ${only.label}`;
    return;
  }
  g.children = g.children.map((c) => {
    if (typeof c === 'number' || c.kind !== 'scope' || c.children.length !== 1) return c;
    const only = c.children[0]!;
    if (typeof only === 'number') {
      b.nGroup[only] = g;
      return only;
    }
    only.parent = g;
    if (only.kind === 'scope') only.label = `${c.label}/${only.label}`;
    return only;
  });
}

/** Splits groups with more than `max` children into chunks of consecutive children (nested when needed). */
function chunk(b: Builder, g: Group, max: number): void {
  for (const c of g.children) if (typeof c !== 'number') chunk(b, c, max);
  while (g.children.length > max) {
    const size = Math.max(2, Math.min(max, Math.ceil(g.children.length / Math.ceil(g.children.length / max))));
    const next: (Group | number)[] = [];
    for (let k = 0; k < g.children.length; k += size) {
      const slice = g.children.slice(k, k + size);
      if (slice.length === 1) {
        next.push(slice[0]!);
        continue;
      }
      const first = labelOf(b, slice[0]!, 'first');
      const last = labelOf(b, slice[slice.length - 1]!, 'last');
      const c: Group = { kind: 'chunk', label: `${first} … ${last}`, path: `${g.path}#${k}-${k + slice.length - 1}`, parent: g, children: slice, info: '', first, last };
      for (const item of slice) {
        if (typeof item === 'number') b.nGroup[item] = c;
        else item.parent = c;
      }
      next.push(c);
    }
    g.children = next;
  }
}

function int32(xs: readonly number[]): Int32Array {
  return Int32Array.from(xs);
}

/** The graph view's structure of `model` (see the file comment). */
export function buildModelGraph(model: OnnxModel, opts: BuildOptions = {}): BuiltGraph {
  const b = new Builder(model, opts);
  b.addGraph(model.graph, b.root, '', null);
  simplify(b, b.root);
  chunk(b, b.root, Math.max(4, opts.maxChildren ?? 40));

  // Number groups in preorder (parents first) and flatten.
  const groups: Group[] = [];
  const number = new Map<Group, number>();
  const stack: Group[] = [b.root];
  while (stack.length) {
    const g = stack.pop()!;
    number.set(g, groups.length);
    groups.push(g);
    for (let k = g.children.length - 1; k >= 0; k--) {
      const c = g.children[k]!;
      if (typeof c !== 'number') stack.push(c);
    }
  }
  const N = b.nName.length;
  const G = groups.length;
  const childStart = new Int32Array(G + 1);
  const children = new Int32Array(N + G - 1);
  const nodeCount = new Int32Array(G);
  let k = 0;
  groups.forEach((g, gi) => {
    childStart[gi] = k;
    for (const c of g.children) children[k++] = typeof c === 'number' ? c : N + number.get(c)!;
  });
  childStart[G] = k;
  const opKind = NODE_KINDS.indexOf('op');
  const nodeGroup = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const g = number.get(b.nGroup[i]!)!;
    nodeGroup[i] = g;
    if (b.nKind[i] === opKind) for (let p: Group | null = b.nGroup[i]!; p; p = p.parent) nodeCount[number.get(p)!]!++;
  }

  const flatten = (lists: number[][]): { start: Int32Array; items: Int32Array } => {
    const start = new Int32Array(lists.length + 1);
    let total = 0;
    lists.forEach((l, i) => {
      start[i] = total;
      total += l.length;
    });
    start[lists.length] = total;
    const items = new Int32Array(total);
    let at = 0;
    for (const l of lists) for (const v of l) items[at++] = v;
    return { start, items };
  };
  const ins = flatten(b.nInputs);
  const outs = flatten(b.nOutputs);

  const T = b.tensors.length;
  const tName = new Int32Array(T);
  const tDtype = new Int32Array(T);
  const tDims = new Int32Array(T);
  const tElements = new Float64Array(T);
  const tBytes = new Float64Array(T);
  const tExternal = new Uint8Array(T);
  b.tensors.forEach((t, i) => {
    tName[i] = b.str(t.name);
    tDtype[i] = b.str(dataTypeName(t.dataType));
    tDims[i] = b.str(`[${t.dims.join(',')}]`);
    tElements[i] = numel(t.dims);
    tBytes[i] = tensorBytes(t);
    tExternal[i] = t.data.kind === 'external' ? 1 : 0;
  });
  const gLabel = int32(groups.map((g) => b.str(g.label)));
  const gPath = int32(groups.map((g) => b.str(g.path)));
  const gInfo = int32(groups.map((g) => b.str(g.info)));

  const graph: ModelGraph = {
    schemaVersion: MODEL_GRAPH_SCHEMA_VERSION,
    strings: b.strings,
    nodes: {
      count: N,
      name: int32(b.nName),
      label: int32(b.nLabel),
      op: int32(b.nOp),
      domain: int32(b.nDomain),
      kind: Uint8Array.from(b.nKind),
      group: nodeGroup,
      inputStart: ins.start,
      inputs: ins.items,
      outputStart: outs.start,
      outputs: outs.items,
      attrs: int32(b.nAttrs),
      source: int32(b.nSource),
      meta: int32(b.nMeta),
    },
    values: { count: b.vName.length, name: int32(b.vName), type: int32(b.vType), producer: int32(b.vProducer), tensor: int32(b.vTensor) },
    tensors: { count: T, name: tName, dtype: tDtype, dims: tDims, elements: tElements, bytes: tBytes, external: tExternal },
    groups: {
      count: G,
      parent: int32(groups.map((g) => (g.parent ? number.get(g.parent)! : -1))),
      kind: Uint8Array.from(groups.map((g) => GROUP_KINDS.indexOf(g.kind))),
      label: gLabel,
      path: gPath,
      childStart,
      children,
      nodeCount,
      info: gInfo,
    },
    notes: [...new Set(b.notes)],
  };
  return { graph, tensors: b.tensors, cost: costColumns(b, graph, opts.insight) };
}

/** MACs, FLOPs and parameter bytes per node; parameter bytes are counted here when the analysis has no entry for a node. */
function costColumns(b: Builder, graph: ModelGraph, insight: ModelInsight | undefined): GraphCost | undefined {
  const N = graph.nodes.count;
  const macs = new Float64Array(N).fill(NaN);
  const flops = new Float64Array(N).fill(NaN);
  const paramBytes = new Float64Array(N).fill(NaN);
  const opKind = NODE_KINDS.indexOf('op');
  for (let i = 0; i < N; i++) {
    if (graph.nodes.kind[i] !== opKind) continue;
    const c = b.costOf.get(i);
    if (c) {
      if (c.macs !== null) macs[i] = c.macs;
      if (c.flops !== null) flops[i] = c.flops;
      if (c.paramBytes !== null) paramBytes[i] = c.paramBytes;
    }
    if (Number.isNaN(paramBytes[i]!)) {
      let bytes = 0;
      for (let k = graph.nodes.inputStart[i]!; k < graph.nodes.inputStart[i + 1]!; k++) {
        const v = graph.nodes.inputs[k]!;
        const t = v >= 0 ? graph.values.tensor[v]! : -1;
        if (t >= 0) bytes += graph.tensors.bytes[t]!;
      }
      paramBytes[i] = bytes;
    }
  }
  return { dims: insight?.dims ?? {}, macs, flops, paramBytes };
}
