/**
 * FP16 conversion: float32 weights, constants and compute become float16; graph inputs and outputs
 * stay float32 (a Cast after each float input and before each float output) unless keepIoFp32 is
 * false. Ops in the keep list (and named nodes) stay float32 with Casts around them.
 * Constants outside float16's range: a fill value (one or two distinct out-of-range values, as
 * attention masks' -1e9 or float32's lowest) is clamped to ±65504 (±Inf and NaN stay); a weight with
 * varied out-of-range values (a BatchNormalization variance of 1e5) would change the math if
 * clamped, so the nodes reading it stay float32 instead. Non-zero values below float16's smallest
 * subnormal (2^-24) become 0. Clamps and flushes are counted. Casts that cancel out (float16 → float32 →
 * float16, or a Cast to the type a value already has) are removed. Subgraphs (If/Loop/Scan) are
 * converted with their node; their inputs and outputs follow it.
 */
import { floatToHalf } from '../float16';
import { readFloat32, type TensorPayload } from '../onnx/model-writer';
import { AttributeType, DataType, type Attribute, type Graph, type Node, type OnnxModel, type TensorInfo, type TypeInfo, type ValueInfo } from '../onnx/types';
import { Names, attrInt, forEachGraph, newTensor, nodeLabel, nodeNameSet, numel, opName, runTransform, subgraphs, type TransformResult } from './common';
import { inferElemTypes } from './elem-types';
import { OptimizeError } from './errors';
import type { Fp16Options, TransformChange, TransformReport, TransformRunOptions } from './types';

/**
 * Op types kept in float32 by default: onnxconverter-common's float16 block list (ML ops without
 * float16 kernels, and ops whose float16 forms are missing or unreliable: TopK, NonMaxSuppression,
 * RoiAlign, Resize, Range, CumSum, Min, Max, Upsample, RandomUniformLike), plus the quantization ops,
 * whose scales must be float32.
 */
export const DEFAULT_KEEP_FP32_OPS: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Resize',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'MatMulInteger',
  'QLinearMatMul',
  'QLinearConv',
];

/** Inputs that stay float32 in a converted node (they are not of the node's float type T). */
const FP32_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [2],
  Upsample: [1],
};

const F16 = DataType.FLOAT16;
const F32 = DataType.FLOAT;
export const FLOAT16_MAX = 65504;
/** float32 values from here on round to Inf in float16. */
const FLOAT16_INF = 65520;

export async function convertFp16(src: string, dst: string, opts: Fp16Options = {}, run: TransformRunOptions = {}): Promise<TransformReport> {
  return runTransform('fp16', src, dst, run, (model) => planFp16(model, opts, run.signal));
}

// ---- float32 → float16 ---------------------------------------------------------------------------

/** Converts float32 values to float16 bits (round to nearest even), clamping finite values to ±65504. */
export function toFloat16(src: Float32Array, stats = { clamped: 0, flushed: 0 }): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (Number.isFinite(v) && Math.abs(v) >= FLOAT16_INF) {
      // 65520 and beyond would round to Inf: clamp to 65504.
      out[i] = v < 0 ? 0xfbff : 0x7bff;
      stats.clamped++;
      continue;
    }
    const h = floatToHalf(v);
    if (v !== 0 && (h & 0x7fff) === 0) stats.flushed++;
    out[i] = h;
  }
  return out;
}

// ---- the plan ------------------------------------------------------------------------------------------

interface Ctx {
  readonly model: OnnxModel;
  readonly keepOps: ReadonlySet<string>;
  readonly keepNodes: ReadonlySet<string>;
  readonly keepIo: boolean;
  /** Original element types. */
  readonly types: Map<string, number>;
  /** Element types in the converted model, for values whose type changed or was decided (float values). */
  readonly now: Map<string, number>;
  readonly names: Names;
  readonly payloads: Map<TensorInfo, TensorPayload>;
  readonly changes: TransformChange[];
  readonly stats: { clamped: number; flushed: number; converted: number; castsInserted: number; castsRemoved: number; kept: number };
  readonly clampedIn: string[];
  /** Names of the Casts this conversion added (to tell them from the model's own when removing). */
  readonly ours: Set<string>;
  /** Consumers of each value (node and input slot), in every graph. */
  readonly consumers: Map<string, { node: Node; slot: number }[]>;
  /** Nodes kept in float32 because a weight they read has values beyond float16's range, and why. */
  readonly autoKeep: Map<Node, string>;
}

export async function planFp16(model: OnnxModel, opts: Fp16Options, signal?: AbortSignal): Promise<TransformResult> {
  const keepNodes = nodeNameSet(model, opts.keepFp32Nodes, '--keep-fp32 node');
  const types = inferElemTypes(model);
  const consumers = new Map<string, { node: Node; slot: number }[]>();
  forEachGraph(model.graph, (g) => {
    for (const n of g.nodes) {
      n.inputs.forEach((x, slot) => {
        if (!x) return;
        const list = consumers.get(x) ?? [];
        list.push({ node: n, slot });
        consumers.set(x, list);
      });
    }
  });
  const ctx: Ctx = {
    model,
    keepOps: new Set(opts.keepFp32Ops ?? DEFAULT_KEEP_FP32_OPS),
    keepNodes,
    keepIo: opts.keepIoFp32 ?? true,
    types,
    now: new Map(),
    names: new Names(model),
    payloads: new Map(),
    changes: [],
    stats: { clamped: 0, flushed: 0, converted: 0, castsInserted: 0, castsRemoved: 0, kept: 0 },
    clampedIn: [],
    ours: new Set(),
    consumers,
    autoKeep: new Map(),
  };
  let anyFloat = false;
  for (const t of types.values()) if (t === F32) anyFloat = true;
  if (!anyFloat) throw new OptimizeError('unsupported', 'Nothing to convert: the model has no float32 values');
  await findOutOfRangeWeights(ctx, signal);
  const graph = convertGraph(ctx, model.graph, { main: true, converted: true });
  const warnings: string[] = [];
  const out: TransformResult = {
    model: { ...model, graph },
    payloads: ctx.payloads,
    changes: ctx.changes,
    warnings,
    summary: () => {
      if (ctx.stats.clamped) {
        warnings.push(
          `${ctx.stats.clamped} value${ctx.stats.clamped > 1 ? 's' : ''} outside float16's range clamped to ±${FLOAT16_MAX} in ${ctx.clampedIn.slice(0, 5).join(', ')}${ctx.clampedIn.length > 5 ? ', ...' : ''}`,
        );
      }
      if (ctx.stats.flushed) warnings.push(`${ctx.stats.flushed} non-zero value${ctx.stats.flushed > 1 ? 's' : ''} below float16's smallest (5.96e-8) became 0`);
      return {
        fp16: {
          tensorsConverted: ctx.stats.converted,
          valuesClamped: ctx.stats.clamped,
          valuesFlushed: ctx.stats.flushed,
          nodesKeptFp32: ctx.stats.kept,
          castsInserted: ctx.stats.castsInserted,
          castsRemoved: ctx.stats.castsRemoved,
        },
      };
    },
  };
  return out;
}

/**
 * Reads every float32 weight a converted node would read as float16 (one at a time) and keeps the
 * readers of those with varied values beyond ±65504 in float32.
 */
async function findOutOfRangeWeights(ctx: Ctx, signal: AbortSignal | undefined): Promise<void> {
  const weights: { name: string; t: TensorInfo }[] = [];
  forEachGraph(ctx.model.graph, (g) => {
    for (const t of g.initializers) if (t.dataType === F32) weights.push({ name: t.name, t });
    for (const n of g.nodes) {
      const a = n.opType === 'Constant' ? n.attributes.find((x) => x.name === 'value' && x.t) : undefined;
      if (a?.t && a.t.dataType === F32 && n.outputs[0]) weights.push({ name: n.outputs[0], t: a.t });
    }
  });
  for (const { name, t } of weights) {
    if (signal?.aborted) throw new OptimizeError('cancelled', 'Cancelled.');
    if (!readAsFp16(ctx, name)) continue;
    const v = await readFloat32(ctx.model, t);
    const outside = new Set<number>();
    let max = 0;
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]!);
      if (a >= FLOAT16_INF && a !== Infinity) {
        if (outside.size <= 2) outside.add(v[i]!);
        if (a > max) max = a;
      }
    }
    if (outside.size <= 2) continue; // nothing, or a fill value: clamped when written
    for (const c of ctx.consumers.get(name) ?? []) {
      if (!isKept(ctx, c.node) && wantsFp16(c.node, c.slot)) ctx.autoKeep.set(c.node, `reads ${name}, whose values reach ${max.toExponential(2)} (float16 ends at ±${FLOAT16_MAX})`);
    }
  }
}

function isKept(ctx: Ctx, n: Node): boolean {
  if (ctx.keepOps.has(n.opType) || (n.name && ctx.keepNodes.has(n.name)) || ctx.autoKeep.has(n)) return true;
  // Constants given as value_float(s) stay float32 (Casts follow where needed).
  if (n.opType === 'Constant' && n.attributes.some((a) => a.name === 'value_float' || a.name === 'value_floats')) return true;
  return false;
}

/** Whether a converted node reads input `slot` as float16 (float32 inputs that are not of its type T stay). */
function wantsFp16(n: Node, slot: number): boolean {
  return !(FP32_INPUTS[n.opType]?.includes(slot) ?? false);
}

/** A float32 tensor converted to float16: payload computed while writing, counting clamps. */
function convertTensor(ctx: Ctx, t: TensorInfo, label: string): TensorInfo {
  const nt: TensorInfo = { ...newTensor(t.name, F16, t.dims), ...(t.docString !== undefined ? { docString: t.docString } : {}), ...(t.metadataProps ? { metadataProps: t.metadataProps } : {}) };
  const count = numel(t.dims);
  ctx.payloads.set(nt, {
    kind: 'computed',
    byteLength: count * 2,
    compute: async () => {
      const before = ctx.stats.clamped;
      const h = toFloat16(await readFloat32(ctx.model, t), ctx.stats);
      if (ctx.stats.clamped > before) ctx.clampedIn.push(label);
      return new Uint8Array(h.buffer);
    },
  });
  ctx.stats.converted++;
  ctx.changes.push({ action: 'converted', target: 'tensor', name: label, detail: `float32 → float16 [${t.dims.join(', ')}]`, bytesBefore: count * 4, bytesAfter: count * 2 });
  return nt;
}

/** Does anything read `name` as float16 (a converted node's float input)? */
function readAsFp16(ctx: Ctx, name: string): boolean {
  return (ctx.consumers.get(name) ?? []).some((c) => !isKept(ctx, c.node) && wantsFp16(c.node, c.slot));
}

function withElem(t: TypeInfo, elem: number): TypeInfo {
  if (t.kind === 'tensor' || t.kind === 'sparse_tensor') return { ...t, elemType: elem };
  return t;
}

function elemOf(t: TypeInfo): number | undefined {
  return t.kind === 'tensor' || t.kind === 'sparse_tensor' ? t.elemType : undefined;
}

/**
 * Converts one graph. `main`: the model's graph (inputs/outputs follow keepIo); otherwise a
 * subgraph whose float inputs/outputs are float16 when its node is `converted`.
 */
function convertGraph(ctx: Ctx, g: Graph, where: { main: boolean; converted: boolean }): Graph {
  const ioType = where.main ? (ctx.keepIo ? F32 : F16) : where.converted ? F16 : F32;
  const nodes: Node[] = [];
  const casts = new Map<string, string>();
  /** A value of `name` in element type `to`, casting once per graph. */
  const castTo = (name: string, to: number): string => {
    const key = `${name}|${to}`;
    let y = casts.get(key);
    if (!y) {
      y = ctx.names.fresh(`${name}_${to === F16 ? 'fp16' : 'fp32'}`);
      casts.set(key, y);
      nodes.push(cast(ctx, name, y, to));
      if (where.main && g.inputs.some((i) => i.name === name)) {
        ctx.changes.push({ action: 'cast-inserted', target: 'input', name, detail: `float32 input cast to float16 for the converted nodes` });
      }
    }
    return y;
  };

  // Inputs.
  const inputs: ValueInfo[] = g.inputs.map((v) => {
    if (elemOf(v.type) !== F32) return v;
    ctx.now.set(v.name, ioType);
    return ioType === F32 ? v : { ...v, type: withElem(v.type, F16) };
  });
  // Initializers: float16 when a converted node reads them.
  const initializers = g.initializers.map((t) => {
    if (t.dataType !== F32 || g.inputs.some((i) => i.name === t.name)) return t;
    if (!readAsFp16(ctx, t.name)) {
      ctx.now.set(t.name, F32);
      return t;
    }
    ctx.now.set(t.name, F16);
    return convertTensor(ctx, t, t.name);
  });

  for (const n of g.nodes) {
    const kept = isKept(ctx, n);
    if (kept && (n.inputs.some((x) => ctx.types.get(x) === F32) || n.outputs.some((x) => ctx.types.get(x) === F32))) {
      ctx.stats.kept++;
      const why = ctx.autoKeep.get(n);
      ctx.changes.push({
        action: 'kept-fp32',
        target: 'node',
        name: nodeLabel(n),
        opType: opName(n),
        detail: why ? `kept in float32: ${why}` : ctx.keepNodes.has(n.name) ? 'node kept in float32' : `${n.opType} kept in float32`,
      });
    }
    // Constant nodes: decided like initializers, by their readers.
    if (n.opType === 'Constant' && !kept) {
      const a = n.attributes.find((x) => x.name === 'value' && x.t);
      const y = n.outputs[0];
      if (a?.t && a.t.dataType === F32 && y) {
        if (readAsFp16(ctx, y)) {
          const t = convertTensor(ctx, a.t, nodeLabel(n));
          ctx.now.set(y, F16);
          nodes.push({ ...n, attributes: n.attributes.map((x) => (x === a ? { ...x, t } : x)) });
        } else {
          ctx.now.set(y, F32);
          nodes.push(n);
        }
        continue;
      }
    }
    const inputsNew = n.inputs.map((x, slot) => {
      if (!x || ctx.types.get(x) !== F32) return x;
      const want = !kept && wantsFp16(n, slot) ? F16 : F32;
      const have = ctx.now.get(x) ?? F32;
      return have === want ? x : castTo(x, want);
    });
    let attributes: readonly Attribute[] = n.attributes;
    if (!kept) {
      attributes = n.attributes.map((a) => {
        if (a.g) return { ...a, g: convertGraph(ctx, a.g, { main: false, converted: true }) };
        if (a.graphs) return { ...a, graphs: a.graphs.map((x) => convertGraph(ctx, x, { main: false, converted: true })) };
        if (n.opType === 'Cast' && a.name === 'to' && a.i === F32) return { ...a, i: F16 };
        if (a.name === 'dtype' && a.i === F32 && ['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'EyeLike', 'Bernoulli'].includes(n.opType)) return { ...a, i: F16 };
        if (n.opType === 'ConstantOfShape' && a.name === 'value' && a.t?.dataType === F32) return { ...a, t: convertTensor(ctx, a.t, `${nodeLabel(n)}.value`) };
        return a;
      });
      if (n.opType === 'ConstantOfShape' && !n.attributes.some((a) => a.name === 'value')) {
        // The default value is float32 0: make it float16 0.
        const t = newTensor('', F16, [1]);
        ctx.payloads.set(t, { kind: 'bytes', bytes: new Uint8Array(2) });
        attributes = [...attributes, { name: 'value', type: AttributeType.TENSOR, t }];
      }
    } else if (subgraphs(n).length) {
      attributes = n.attributes.map((a) => {
        if (a.g) return { ...a, g: convertGraph(ctx, a.g, { main: false, converted: false }) };
        if (a.graphs) return { ...a, graphs: a.graphs.map((x) => convertGraph(ctx, x, { main: false, converted: false })) };
        return a;
      });
    }
    for (const y of n.outputs) if (y && ctx.types.get(y) === F32) ctx.now.set(y, kept ? F32 : F16);
    // Ops whose outputs' type comes from something other than the inputs: Cast to float stays a float16 output when converted.
    if (!kept && n.opType === 'Cast') for (const y of n.outputs) if (ctx.types.get(y) === F32) ctx.now.set(y, F16);
    nodes.push({ ...n, inputs: inputsNew, attributes });
  }

  // Outputs: the declared type; a producer of the other type gets its output renamed and a Cast.
  const outputs = g.outputs.map((v) => {
    if (elemOf(v.type) !== F32) return v;
    const have = ctx.now.get(v.name) ?? F32;
    if (have !== ioType) {
      const producer = nodes.findIndex((n) => n.outputs.includes(v.name));
      const typed = ioType === F32 ? v : { ...v, type: withElem(v.type, F16) };
      if (producer >= 0) {
        const renamed = ctx.names.fresh(`${v.name}_${have === F16 ? 'fp16' : 'fp32'}`);
        renameValue(nodes, v.name, renamed);
        ctx.now.set(renamed, have);
        nodes.push(cast(ctx, renamed, v.name, ioType));
        ctx.now.set(v.name, ioType);
        if (where.main) ctx.changes.push({ action: 'cast-inserted', target: 'output', name: v.name, detail: `computed in float16, cast to float32` });
        return typed;
      }
      if (!where.main) {
        // A subgraph output that is an outer value or an input: outputs match the node's by position, so a new name is fine.
        const y = ctx.names.fresh(`${v.name}_${ioType === F16 ? 'fp16' : 'fp32'}`);
        nodes.push(cast(ctx, v.name, y, ioType));
        return { ...typed, name: y };
      }
      throw new OptimizeError('unsupported', `Output '${v.name}' is not computed by a node (an input or a weight passed through); convert with float16 inputs and outputs, or keep it in float32`);
    }
    return ioType === F32 ? v : { ...v, type: withElem(v.type, F16) };
  });

  const cleaned = removeRedundantCasts(ctx, nodes, new Set(outputs.map((o) => o.name)));
  const valueInfo = g.valueInfo.map((v) => {
    const now = ctx.now.get(v.name);
    return elemOf(v.type) === F32 && now === F16 ? { ...v, type: withElem(v.type, F16) } : v;
  });
  return { ...g, nodes: cleaned, initializers, inputs, outputs, valueInfo };
}

function cast(ctx: Ctx, x: string, y: string, to: number): Node {
  const name = ctx.names.fresh(`${x}_cast_${to === F16 ? 'fp16' : 'fp32'}`);
  ctx.ours.add(name);
  ctx.now.set(y, to);
  ctx.stats.castsInserted++;
  return { name, opType: 'Cast', domain: '', inputs: [x], outputs: [y], attributes: [attrInt('to', to)] };
}

/** Renames a value produced in `nodes`: the producer's output and every reader in these nodes and their subgraphs. */
function renameValue(nodes: Node[], from: string, to: string): void {
  const fixGraph = (g: Graph): Graph => ({ ...g, nodes: g.nodes.map(fixNode) });
  const fixNode = (n: Node): Node => {
    const touches = n.inputs.includes(from) || n.outputs.includes(from);
    const hasSub = n.attributes.some((a) => a.g || a.graphs);
    if (!touches && !hasSub) return n;
    return {
      ...n,
      inputs: n.inputs.map((x) => (x === from ? to : x)),
      outputs: n.outputs.map((x) => (x === from ? to : x)),
      attributes: hasSub ? n.attributes.map((a) => (a.g ? { ...a, g: fixGraph(a.g) } : a.graphs ? { ...a, graphs: a.graphs.map(fixGraph) } : a)) : n.attributes,
    };
  };
  for (let i = 0; i < nodes.length; i++) nodes[i] = fixNode(nodes[i]!);
}

/**
 * Removes Casts to the type their input already has, and float16 → float32 → float16 pairs (exact:
 * the float16 value is read directly). Readers are rewired; graph outputs are never removed.
 */
function removeRedundantCasts(ctx: Ctx, nodes: Node[], graphOutputs: ReadonlySet<string>): Node[] {
  const typeOf = (x: string) => ctx.now.get(x) ?? ctx.types.get(x);
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const y of n.outputs) producer.set(y, n);
  const replace = new Map<string, string>();
  const resolve = (x: string): string => {
    let r = x;
    for (let i = 0; i < 64 && replace.has(r); i++) r = replace.get(r)!;
    return r;
  };
  const removed = new Set<Node>();
  for (const n of nodes) {
    if (n.opType !== 'Cast' || (n.domain && n.domain !== 'ai.onnx')) continue;
    const y = n.outputs[0]!;
    if (graphOutputs.has(y)) continue;
    const x = resolve(n.inputs[0]!);
    const to = n.attributes.find((a) => a.name === 'to')?.i;
    if (to === undefined) continue;
    if (typeOf(x) === to) {
      replace.set(y, x);
      removed.add(n);
      continue;
    }
    // x came from Cast(w: float16 → float32) and this casts back to float16: read w.
    const p = producer.get(x);
    if (to === F16 && typeOf(x) === F32 && p && p.opType === 'Cast' && !removed.has(p)) {
      const w = resolve(p.inputs[0]!);
      if (typeOf(w) === F16) {
        replace.set(y, w);
        removed.add(n);
      }
    }
  }
  if (!removed.size) return nodes;
  let out = nodes.filter((n) => !removed.has(n)).map((n) => (n.inputs.some((x) => replace.has(x)) || n.attributes.some((a) => a.g || a.graphs) ? rewire(n, resolve) : n));
  // Casts nobody reads any more (the first half of a removed pair).
  for (;;) {
    const read = new Set<string>(graphOutputs);
    const collect = (ns: readonly Node[]) => {
      for (const n of ns) {
        n.inputs.forEach((x) => read.add(x));
        for (const sg of subgraphs(n)) {
          collect(sg.nodes);
          sg.outputs.forEach((o) => read.add(o.name));
        }
      }
    };
    collect(out);
    const dead = out.filter((n) => n.opType === 'Cast' && !read.has(n.outputs[0]!));
    if (!dead.length) break;
    for (const d of dead) removed.add(d);
    out = out.filter((n) => !dead.includes(n));
  }
  for (const n of removed) {
    if (ctx.ours.has(n.name)) ctx.stats.castsInserted--;
    else {
      ctx.stats.castsRemoved++;
      ctx.changes.push({ action: 'cast-removed', target: 'node', name: nodeLabel(n), opType: 'Cast', detail: 'redundant after the conversion' });
    }
  }
  return out;
}

function rewire(n: Node, resolve: (x: string) => string): Node {
  const fixGraph = (g: Graph): Graph => ({ ...g, nodes: g.nodes.map((x) => rewire(x, resolve)), outputs: g.outputs });
  return {
    ...n,
    inputs: n.inputs.map((x) => (x ? resolve(x) : x)),
    attributes: n.attributes.map((a) => (a.g ? { ...a, g: fixGraph(a.g) } : a.graphs ? { ...a, graphs: a.graphs.map(fixGraph) } : a)),
  };
}
