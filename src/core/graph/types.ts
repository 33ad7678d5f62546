/**
 * The model graph as the graph view gets it: the structure of an ONNX model (no weights) in compact
 * columns — a string table and typed arrays — so a 50k-node model is posted to a webview once, in a
 * few megabytes, and checked in one pass. Built on the extension host by `buildModelGraph`
 * (./build.ts); this file is browser-safe (types, constants and the checker only).
 *
 * Items: nodes are `0 … nodes.count-1`, groups are `nodes.count + g`. A group is a module scope
 * derived from node names (`/encoder/layer.0/attention/MatMul` → encoder › layer.0 › attention), an
 * If/Loop/Scan node with its bodies (`control`, holding the node and one `subgraph` group per body),
 * a model-local function call with its body instantiated (`function`), or a run of consecutive
 * children of a group that had too many to show at once (`chunk`). Group 0 is the root; groups are
 * numbered so a parent comes before its children.
 */

export const MODEL_GRAPH_SCHEMA_VERSION = 1;

export const NODE_KINDS = ['op', 'input', 'output'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const GROUP_KINDS = ['root', 'scope', 'subgraph', 'function', 'control', 'chunk'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

/** Columns of one table: every array has `count` entries (ranges: `count + 1` offsets). */
export interface GraphNodes {
  readonly count: number;
  /** Full node name as written (string index; '' when unnamed). Graph inputs/outputs: the value name. */
  readonly name: Int32Array;
  /** Short label: the last part of the name after its scope. */
  readonly label: Int32Array;
  /** Op type ('' for graph inputs and outputs). */
  readonly op: Int32Array;
  /** Domain ('' = ai.onnx). */
  readonly domain: Int32Array;
  /** Index into NODE_KINDS. */
  readonly kind: Uint8Array;
  /** The innermost group holding the node. */
  readonly group: Int32Array;
  /** Inputs of node i: `inputs[inputStart[i] … inputStart[i+1]-1]`, value indices (-1: an omitted optional input). */
  readonly inputStart: Int32Array;
  readonly inputs: Int32Array;
  readonly outputStart: Int32Array;
  readonly outputs: Int32Array;
  /** Attributes, one `name\tvalue` line each (string index; 0 = none). */
  readonly attrs: Int32Array;
  /** Python frames the model records for the node, innermost first, one `file\tline\tfunc` line each (string index; 0 = none). */
  readonly source: Int32Array;
  /** doc_string and metadata_props, one `key\tvalue` line each (string index; 0 = none). */
  readonly meta: Int32Array;
}

export interface GraphValues {
  readonly count: number;
  readonly name: Int32Array;
  /** Type as text, `float[batch,128,768]` (string index; 0 = unknown). */
  readonly type: Int32Array;
  /** The node producing it (a graph input's value is produced by its input node); -1 for initializers and dangling names. */
  readonly producer: Int32Array;
  /** Index into `tensors` when the value is an initializer or a Constant node's output; -1 otherwise. */
  readonly tensor: Int32Array;
}

/** Initializers and Constant-node tensors: what the properties panel shows; statistics are read on demand by index. */
export interface GraphTensors {
  readonly count: number;
  readonly name: Int32Array;
  readonly dtype: Int32Array;
  /** `[768,768]` (string index). */
  readonly dims: Int32Array;
  readonly elements: Float64Array;
  readonly bytes: Float64Array;
  /** 1 when the data lives in an external file. */
  readonly external: Uint8Array;
}

export interface GraphGroups {
  readonly count: number;
  /** -1 for the root. */
  readonly parent: Int32Array;
  /** Index into GROUP_KINDS. */
  readonly kind: Uint8Array;
  readonly label: Int32Array;
  /** A stable key: the scope path (`encoder/layer.0/attention`), or the node and attribute for bodies. */
  readonly path: Int32Array;
  /** Children of group g: item ids `children[childStart[g] … childStart[g+1]-1]`, in model order. */
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Op nodes in the group's subtree. */
  readonly nodeCount: Int32Array;
  /** Extra lines for the properties panel (`key\tvalue`; a function call's attributes), string index. */
  readonly info: Int32Array;
}

export interface ModelGraph {
  readonly schemaVersion: typeof MODEL_GRAPH_SCHEMA_VERSION;
  /** Index 0 is ''. */
  readonly strings: readonly string[];
  readonly nodes: GraphNodes;
  readonly values: GraphValues;
  readonly tensors: GraphTensors;
  readonly groups: GraphGroups;
  /** What was left out or simplified, for the user (e.g. a function body not expanded). */
  readonly notes: readonly string[];
}

/** Static cost per node from the insight analysis (NaN: unknown), for the dims given. */
export interface GraphCost {
  readonly dims: Readonly<Record<string, number>>;
  readonly macs: Float64Array;
  readonly flops: Float64Array;
  readonly paramBytes: Float64Array;
}

/** Measured time per node from the latest ONNX Runtime profile run of the model. */
export interface GraphTiming {
  readonly runFile: string;
  readonly createdAt: string;
  readonly ep: string;
  /** Mean time per profiled run in µs; NaN where the node did not appear in the profile. */
  readonly nodeUs: Float64Array;
  /** Time of profile nodes that match no model node (nodes ORT added), µs per run. */
  readonly unmatchedUs: number;
  readonly unmatchedNodes: number;
  /** Model nodes that ORT fused, with the fused node's name (time split evenly among them). */
  readonly fusedInto: readonly { readonly node: number; readonly fused: string }[];
  readonly totalUs: number;
}

/** Weight statistics of one tensor, read from disk on demand. */
export interface WeightStats {
  readonly tensor: number;
  readonly dtype: string;
  readonly elements: number;
  /** Over the finite values; null when there are none. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Population standard deviation. */
  readonly std: number | null;
  readonly zeros: number;
  readonly nans: number;
  readonly infs: number;
  readonly bytesRead: number;
  readonly millis: number;
}

// ---- checking what arrives in a webview ----

type Table = Record<string, unknown>;

const isRecord = (x: unknown): x is Table => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function column<T extends ArrayLike<number>>(t: Table, key: string, ctor: new (n: number) => T, length: number): T | undefined {
  const c = t[key];
  return c instanceof ctor && (c as T).length === length ? (c as T) : undefined;
}

/** Every entry in [lo, hi). */
function inRange(a: ArrayLike<number>, lo: number, hi: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!(v >= lo && v < hi)) return false;
  }
  return true;
}

/** Offsets: starts at 0, never decreasing, ends at `total`. */
function isRanges(a: Int32Array, total: number): boolean {
  if (a[0] !== 0 || a[a.length - 1] !== total) return false;
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return false;
  return true;
}

/**
 * The graph in a message, checked: typed columns of the stated lengths, every reference inside its
 * table, groups numbered parent first. Undefined when anything does not fit.
 */
export function checkModelGraph(x: unknown): ModelGraph | undefined {
  if (!isRecord(x) || x.schemaVersion !== MODEL_GRAPH_SCHEMA_VERSION) return undefined;
  const { strings, nodes: n, values: v, tensors: t, groups: g, notes } = x;
  if (!Array.isArray(strings) || strings[0] !== '' || !strings.every((s) => typeof s === 'string')) return undefined;
  if (!Array.isArray(notes) || !notes.every((s) => typeof s === 'string')) return undefined;
  if (!isRecord(n) || !isRecord(v) || !isRecord(t) || !isRecord(g)) return undefined;
  if (!isCount(n.count) || !isCount(v.count) || !isCount(t.count) || !isCount(g.count) || g.count < 1) return undefined;
  const S = strings.length;
  const N = n.count;
  const V = v.count;
  const G = g.count;
  const T = t.count;
  const I32 = Int32Array;
  for (const key of ['name', 'label', 'op', 'domain', 'attrs', 'source', 'meta']) {
    const c = column(n, key, I32, N);
    if (!c || !inRange(c, 0, S)) return undefined;
  }
  const kind = column(n, 'kind', Uint8Array, N);
  const group = column(n, 'group', I32, N);
  if (!kind || !inRange(kind, 0, NODE_KINDS.length) || !group || !inRange(group, 0, G)) return undefined;
  for (const [startKey, listKey] of [
    ['inputStart', 'inputs'],
    ['outputStart', 'outputs'],
  ] as const) {
    const list = n[listKey];
    if (!(list instanceof I32) || !inRange(list, -1, V)) return undefined;
    const start = column(n, startKey, I32, N + 1);
    if (!start || !isRanges(start, list.length)) return undefined;
  }
  for (const key of ['name', 'type']) {
    const c = column(v, key, I32, V);
    if (!c || !inRange(c, 0, S)) return undefined;
  }
  const producer = column(v, 'producer', I32, V);
  const tensor = column(v, 'tensor', I32, V);
  if (!producer || !inRange(producer, -1, N) || !tensor || !inRange(tensor, -1, T)) return undefined;
  for (const key of ['name', 'dtype', 'dims']) {
    const c = column(t, key, I32, T);
    if (!c || !inRange(c, 0, S)) return undefined;
  }
  if (!column(t, 'elements', Float64Array, T) || !column(t, 'bytes', Float64Array, T) || !column(t, 'external', Uint8Array, T)) return undefined;
  const parent = column(g, 'parent', I32, G);
  if (!parent || parent[0] !== -1) return undefined;
  for (let i = 1; i < G; i++) if (!(parent[i]! >= 0 && parent[i]! < i)) return undefined;
  const gkind = column(g, 'kind', Uint8Array, G);
  if (!gkind || !inRange(gkind, 0, GROUP_KINDS.length)) return undefined;
  for (const key of ['label', 'path', 'info']) {
    const c = column(g, key, I32, G);
    if (!c || !inRange(c, 0, S)) return undefined;
  }
  if (!column(g, 'nodeCount', I32, G)) return undefined;
  const children = g.children;
  if (!(children instanceof I32) || children.length !== N + G - 1 || !inRange(children, 0, N + G)) return undefined;
  const childStart = column(g, 'childStart', I32, G + 1);
  if (!childStart || !isRanges(childStart, children.length)) return undefined;
  // Each item is listed once, under its own parent.
  const seen = new Uint8Array(N + G);
  for (let p = 0; p < G; p++) {
    for (let k = childStart[p]!; k < childStart[p + 1]!; k++) {
      const item = children[k]!;
      if (seen[item] || item === N) return undefined;
      seen[item] = 1;
      if ((item < N ? group[item] : parent[item - N]) !== p) return undefined;
    }
  }
  return x as unknown as ModelGraph;
}

/** Checks the optional overlays of a graph message against the graph's node count. */
export function checkGraphCost(x: unknown, nodeCount: number): GraphCost | undefined {
  if (!isRecord(x) || !isRecord(x.dims) || !Object.values(x.dims).every((d) => typeof d === 'number')) return undefined;
  for (const key of ['macs', 'flops', 'paramBytes']) if (!column(x, key, Float64Array, nodeCount)) return undefined;
  return x as unknown as GraphCost;
}

export function checkGraphTiming(x: unknown, nodeCount: number): GraphTiming | undefined {
  if (!isRecord(x) || typeof x.runFile !== 'string' || typeof x.createdAt !== 'string' || typeof x.ep !== 'string') return undefined;
  if (!column(x, 'nodeUs', Float64Array, nodeCount)) return undefined;
  if (typeof x.unmatchedUs !== 'number' || !isCount(x.unmatchedNodes) || typeof x.totalUs !== 'number') return undefined;
  if (!Array.isArray(x.fusedInto) || !x.fusedInto.every((f) => isRecord(f) && isCount(f.node) && f.node < nodeCount && typeof f.fused === 'string')) return undefined;
  return x as unknown as GraphTiming;
}

export function checkWeightStats(x: unknown): WeightStats | undefined {
  if (!isRecord(x) || typeof x.dtype !== 'string') return undefined;
  for (const key of ['tensor', 'elements', 'zeros', 'nans', 'infs', 'bytesRead']) if (!isCount(x[key])) return undefined;
  for (const key of ['min', 'max', 'mean', 'std']) if (x[key] !== null && typeof x[key] !== 'number') return undefined;
  if (typeof x.millis !== 'number') return undefined;
  return x as unknown as WeightStats;
}

/** `a\tb\nc\td` → [['a','b'],['c','d']]: the line tables (attributes, metadata, source frames). */
export function splitLines(s: string): string[][] {
  return s ? s.split('\n').map((line) => line.split('\t')) : [];
}

/** Item id of group g. */
export const groupItem = (graph: ModelGraph, g: number): number => graph.nodes.count + g;
