/**
 * Ground truth for shape inference: the shapes and types ONNX Runtime actually produces for every
 * intermediate value of a model. A test copy of the model exposes the values as extra graph outputs
 * without re-encoding anything: protobuf merges repeated occurrences of an embedded message, so one
 * more ModelProto.graph field (tag 7) holding only `output` ValueInfoProtos (names only) appended to
 * the file's bytes adds outputs to the existing graph.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { ProtoWriter } from '../../src/core/onnx/proto-writer';
import type { SynthTensor } from '../../src/core/inputs/synthesize';

/** The model bytes with `names` appended as graph outputs (name only). */
export function exposeValues(model: Uint8Array, names: readonly string[]): Uint8Array {
  const g = new ProtoWriter();
  for (const n of names) g.message(12, new ProtoWriter().string(1, n));
  const extra = new ProtoWriter().message(7, g).finish();
  const out = new Uint8Array(model.byteLength + extra.byteLength);
  out.set(model, 0);
  out.set(extra, model.byteLength);
  return out;
}

export interface ObservedValue {
  /** onnxruntime's type name (float32, int64…). */
  readonly type: string;
  readonly dims: readonly number[];
}

export function ortTensor(t: SynthTensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as never, t.dims as number[]);
}

/**
 * Runs the model with every name in `names` exposed (basic graph optimizations are off so that no
 * value is fused away) and returns what ORT produced for each.
 */
export async function observeValues(model: Uint8Array, names: readonly string[], feeds: readonly SynthTensor[]): Promise<Map<string, ObservedValue>> {
  const session = await ort.InferenceSession.create(exposeValues(model, names), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const t of feeds) inputs[t.name] = ortTensor(t);
    const out = await session.run(inputs);
    const seen = new Map<string, ObservedValue>();
    for (const [name, t] of Object.entries(out)) seen.set(name, { type: t.type, dims: [...t.dims] });
    return seen;
  } finally {
    await session.release();
  }
}

/**
 * A model whose main graph is one If branch (or Loop body) of `model`: the branch's nodes and
 * initializers, with the values it reads from enclosing graphs as graph inputs (typed as `outer`
 * says). ORT cannot expose a subgraph's values, so a branch is checked as a model of its own.
 */
export function subgraphAsModel(model: Uint8Array, pick: (g: onnx.IGraphProto) => onnx.IGraphProto | undefined, outer: ReadonlyMap<string, onnx.IValueInfoProto>): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  const sub = pick(m.graph!);
  if (!sub) throw new Error('subgraph not found');
  const reads: string[] = [];
  const visit = (g: onnx.IGraphProto, outerDefined: ReadonlySet<string>) => {
    const defined = new Set<string>([...outerDefined, ...(g.initializer ?? []).map((t) => t.name!), ...(g.input ?? []).map((i) => i.name!)]);
    for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
    for (const n of g.node ?? []) {
      for (const i of n.input ?? []) if (i && !defined.has(i) && !reads.includes(i)) reads.push(i);
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g, defined);
        for (const sg of a.graphs ?? []) visit(sg, defined);
      }
    }
    for (const o of g.output ?? []) if (!defined.has(o.name!) && !reads.includes(o.name!)) reads.push(o.name!);
  };
  visit(sub, new Set());
  // Initializers of the enclosing graph travel along; other outer values become inputs.
  const outerInits = new Map((m.graph!.initializer ?? []).map((t) => [t.name!, t]));
  const inits = reads.filter((name) => outerInits.has(name)).map((name) => outerInits.get(name)!);
  const inputs = reads
    .filter((name) => !outerInits.has(name))
    .map((name) => {
      const vi = outer.get(name);
      if (!vi) throw new Error(`no type for outer value ${name}`);
      return onnx.ValueInfoProto.create({ ...vi, name });
    });
  const graph = onnx.GraphProto.create({ ...sub, input: [...(sub.input ?? []), ...inputs], initializer: [...(sub.initializer ?? []), ...inits] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...m, graph })).finish();
}
