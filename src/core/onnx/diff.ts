/**
 * Structural difference of two ONNX models: what "Compare Models" shows beside the text diff and
 * what `inference-lens compare` prints. Graph-level only (ops, dtypes, shapes, sizes, opsets): the
 * weights stay on disk, so two models whose weights differ but whose structure is the same compare
 * as structurally identical. Pure over the lazy models (plus a stat of the external data files).
 */
import { readModel, walkGraphs, type ReadOptions } from './reader';
import { summarize } from './summary';
import type { IoSummary, ModelSummary } from './summary-types';
import { dataTypeName, type OnnxModel, type TensorInfo } from './types';

export const MODEL_DIFF_SCHEMA_VERSION = 1;

export interface DiffSide {
  readonly path: string;
  readonly name: string;
  /** The .onnx file. */
  readonly fileBytes: number;
  /** External data files the model names that exist (each counted once). */
  readonly externalDataBytes: number;
  /** fileBytes + externalDataBytes: what the model takes on disk. */
  readonly totalBytes: number;
  readonly producer: string;
  readonly irVersion: number;
  /** Nodes of the main graph. */
  readonly nodeCount: number;
  /** Nodes including subgraphs and local functions. */
  readonly nodeCountTotal: number;
  readonly initializerCount: number;
  /** Bytes of the initializers' data (from dtype and shape). */
  readonly initializerBytes: number;
  readonly parameterCount: number;
}

export interface CountChange {
  readonly a: number;
  readonly b: number;
  /** b - a. */
  readonly delta: number;
}

export interface OpChange {
  /** Domain-qualified as in the overview: "Conv", "com.microsoft.Attention". */
  readonly op: string;
  readonly domain: string;
  readonly opType: string;
  /** Nodes with this op in A and in B (main graph and subgraphs, as the overview's histogram counts). */
  readonly a: number;
  readonly b: number;
  readonly delta: number;
}

export type ValueKind = 'input' | 'output' | 'initializer' | 'constant';

export interface DtypeChange {
  readonly kind: ValueKind;
  readonly name: string;
  readonly a: string;
  readonly b: string;
}

export interface ShapeChange {
  readonly kind: ValueKind;
  readonly name: string;
  /** Type text, e.g. "float[batch,3]" (inputs/outputs) or dims "float[4,3]" (initializers). */
  readonly a: string;
  readonly b: string;
}

export interface ModelDiff {
  readonly schemaVersion: typeof MODEL_DIFF_SCHEMA_VERSION;
  readonly a: DiffSide;
  readonly b: DiffSide;
  /** True when nothing below differs (the weights themselves are not compared). */
  readonly structurallyIdentical: boolean;
  /** Total bytes on disk, external data included. */
  readonly size: CountChange;
  readonly irVersion: { readonly a: number; readonly b: number };
  /** Opset imports that differ; null where the side does not import the domain. */
  readonly opsets: readonly { readonly domain: string; readonly a: number | null; readonly b: number | null }[];
  readonly nodes: CountChange;
  readonly nodesTotal: CountChange;
  /** Op types whose count differs, largest change first. */
  readonly ops: readonly OpChange[];
  /** Op types only B has / only A has (also in `ops`). */
  readonly opsAdded: readonly string[];
  readonly opsRemoved: readonly string[];
  /** Inputs, outputs, initializers and Constant outputs present in both under the same name, with another dtype. */
  readonly dtypeChanges: readonly DtypeChange[];
  /** Same name and dtype, other shape. */
  readonly shapeChanges: readonly ShapeChange[];
  readonly inputs: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly outputs: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly initializers: {
    readonly count: CountChange;
    readonly bytes: CountChange;
    /** Names only B has / only A has. */
    readonly added: number;
    readonly removed: number;
    /** Weight bytes per dtype where they differ. */
    readonly byDtype: readonly { readonly dtype: string; readonly a: number; readonly b: number }[];
  };
  /** Weight bytes: initializers plus Constant-node tensors (exporters like Paddle2ONNX keep weights in Constants). */
  readonly weights: CountChange;
  readonly parameters: CountChange;
}

/** Reads both models lazily and compares them. Throws OnnxError when either cannot be read. */
export async function compareModelFiles(fileA: string, fileB: string, opts: ReadOptions = {}): Promise<ModelDiff> {
  const a = await readModel(fileA, opts);
  const b = await readModel(fileB, opts);
  return compareModels(a, b);
}

const change = (a: number, b: number): CountChange => ({ a, b, delta: b - a });

/** `summaries`: the models' summaries when the caller has them already (they are computed otherwise). */
export function compareModels(ma: OnnxModel, mb: OnnxModel, summaries?: { readonly a: ModelSummary; readonly b: ModelSummary }): ModelDiff {
  const sa = summaries?.a ?? summarize(ma);
  const sb = summaries?.b ?? summarize(mb);

  const ops = opChanges(sa, sb);
  const opsA = new Set(sa.opHistogram.map((o) => o.op));
  const opsB = new Set(sb.opHistogram.map((o) => o.op));

  const opsetsA = new Map(sa.opsets.map((o) => [o.domain, o.version]));
  const opsetsB = new Map(sb.opsets.map((o) => [o.domain, o.version]));
  const opsets = union(opsetsA.keys(), opsetsB.keys())
    .filter((d) => opsetsA.get(d) !== opsetsB.get(d))
    .map((domain) => ({ domain, a: opsetsA.get(domain) ?? null, b: opsetsB.get(domain) ?? null }));

  const dtypeChanges: DtypeChange[] = [];
  const shapeChanges: ShapeChange[] = [];
  const io = (kind: 'input' | 'output', xs: readonly IoSummary[], ys: readonly IoSummary[]) => {
    const mx = new Map(xs.map((v) => [v.name, v]));
    const my = new Map(ys.map((v) => [v.name, v]));
    for (const [name, x] of mx) {
      const y = my.get(name);
      if (!y) continue;
      if (x.dtype !== y.dtype || x.kind !== y.kind) dtypeChanges.push({ kind, name, a: x.dtype || x.text, b: y.dtype || y.text });
      else if (x.text !== y.text) shapeChanges.push({ kind, name, a: x.text, b: y.text });
    }
    return { added: ys.filter((v) => !mx.has(v.name)).map((v) => v.name), removed: xs.filter((v) => !my.has(v.name)).map((v) => v.name) };
  };
  const inputs = io('input', sa.inputs, sb.inputs);
  const outputs = io('output', sa.outputs, sb.outputs);

  const ta = namedTensors(ma);
  const tb = namedTensors(mb);
  let added = 0;
  let removed = 0;
  for (const [name, x] of ta) {
    const y = tb.get(name);
    if (!y) {
      if (x.kind === 'initializer') removed++;
      continue;
    }
    const kind: ValueKind = y.kind === x.kind ? x.kind : 'initializer';
    if (x.t.dataType !== y.t.dataType) dtypeChanges.push({ kind, name, a: dataTypeName(x.t.dataType), b: dataTypeName(y.t.dataType) });
    else if (!sameDims(x.t.dims, y.t.dims)) shapeChanges.push({ kind, name, a: tensorTypeText(x.t), b: tensorTypeText(y.t) });
  }
  for (const [name, y] of tb) if (y.kind === 'initializer' && !ta.has(name)) added++;

  const dtA = new Map(sa.initializers.byDtype.map((d) => [d.dtype, d.bytes]));
  const dtB = new Map(sb.initializers.byDtype.map((d) => [d.dtype, d.bytes]));
  const byDtype = union(dtA.keys(), dtB.keys())
    .map((dtype) => ({ dtype, a: dtA.get(dtype) ?? 0, b: dtB.get(dtype) ?? 0 }))
    .filter((d) => d.a !== d.b);

  const a = side(sa);
  const b = side(sb);
  const diff: Omit<ModelDiff, 'structurallyIdentical'> = {
    schemaVersion: MODEL_DIFF_SCHEMA_VERSION,
    a,
    b,
    size: change(a.totalBytes, b.totalBytes),
    irVersion: { a: sa.irVersion, b: sb.irVersion },
    opsets,
    nodes: change(sa.nodeCount, sb.nodeCount),
    nodesTotal: change(sa.nodeCountTotal, sb.nodeCountTotal),
    ops,
    opsAdded: [...opsB].filter((o) => !opsA.has(o)).sort(),
    opsRemoved: [...opsA].filter((o) => !opsB.has(o)).sort(),
    dtypeChanges,
    shapeChanges,
    inputs,
    outputs,
    initializers: {
      count: change(sa.initializers.count, sb.initializers.count),
      bytes: change(sa.initializers.bytes, sb.initializers.bytes),
      added,
      removed,
      byDtype,
    },
    weights: change(sa.initializers.bytes + sa.constants.bytes, sb.initializers.bytes + sb.constants.bytes),
    parameters: change(sa.parameterCount, sb.parameterCount),
  };
  const structurallyIdentical =
    diff.irVersion.a === diff.irVersion.b &&
    !opsets.length &&
    !diff.nodesTotal.delta &&
    !ops.length &&
    !dtypeChanges.length &&
    !shapeChanges.length &&
    !inputs.added.length &&
    !inputs.removed.length &&
    !outputs.added.length &&
    !outputs.removed.length &&
    !added &&
    !removed &&
    !diff.initializers.count.delta &&
    !diff.initializers.bytes.delta &&
    !diff.weights.delta;
  return { ...diff, structurallyIdentical };
}

function side(s: ModelSummary): DiffSide {
  const externalDataBytes = s.externalData.files.reduce((t, f) => t + (f.sizeBytes ?? 0), 0);
  return {
    path: s.file.path,
    name: s.file.name,
    fileBytes: s.file.sizeBytes,
    externalDataBytes,
    totalBytes: s.file.sizeBytes + externalDataBytes,
    producer: [s.producer.name, s.producer.version].filter(Boolean).join(' '),
    irVersion: s.irVersion,
    nodeCount: s.nodeCount,
    nodeCountTotal: s.nodeCountTotal,
    initializerCount: s.initializers.count,
    initializerBytes: s.initializers.bytes,
    parameterCount: s.parameterCount,
  };
}

/** Op types whose count differs (the summaries' histograms: main graph and subgraphs). */
function opChanges(sa: ModelSummary, sb: ModelSummary): OpChange[] {
  const ca = new Map(sa.opHistogram.map((o) => [o.op, o]));
  const cb = new Map(sb.opHistogram.map((o) => [o.op, o]));
  return union(ca.keys(), cb.keys())
    .map((op) => {
      const x = ca.get(op);
      const y = cb.get(op);
      const ref = (x ?? y)!;
      return { op, domain: ref.domain, opType: ref.opType, a: x?.count ?? 0, b: y?.count ?? 0, delta: (y?.count ?? 0) - (x?.count ?? 0) };
    })
    .filter((o) => o.delta !== 0)
    .sort((p, q) => Math.abs(q.delta) - Math.abs(p.delta) || p.op.localeCompare(q.op));
}

/** Initializers (graph and subgraphs) and Constant-node outputs, by name; the first one wins. */
function namedTensors(m: OnnxModel): Map<string, { kind: 'initializer' | 'constant'; t: TensorInfo }> {
  const out = new Map<string, { kind: 'initializer' | 'constant'; t: TensorInfo }>();
  walkGraphs(m.graph, (g) => {
    for (const t of g.initializers) if (!out.has(t.name)) out.set(t.name, { kind: 'initializer', t });
    for (const n of g.nodes) {
      if (n.opType !== 'Constant' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
      const v = n.attributes.find((a) => a.name === 'value' && a.t);
      const name = n.outputs[0];
      if (v?.t && name && !out.has(name)) out.set(name, { kind: 'constant', t: v.t });
    }
  });
  return out;
}

function sameDims(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

function tensorTypeText(t: TensorInfo): string {
  return `${dataTypeName(t.dataType)}[${t.dims.join(',')}]`;
}

function union<T>(x: Iterable<T>, y: Iterable<T>): T[] {
  return [...new Set([...x, ...y])];
}
