/**
 * Shape and type inference over the lazy model: walks each graph in node order (ONNX requires a
 * topological order), gives every value an element type and dims (`Sym`: number, symbolic
 * expression, or null), and folds small integer tensors (Shape → Gather → Unsqueeze → Concat chains
 * that build Reshape targets) so their values are known too.
 *
 * Rules, per op, follow the ONNX operator specs for opsets 7–23 (attributes that became inputs are read
 * from wherever the model's opset puts them). Where a result cannot be written exactly it is null.
 * Two documented assumptions, as ONNX Runtime's symbolic shape inference makes them: a symbolic dim is
 * at least as large as the constant bounds a Slice takes from it, and broadcasting a symbolic dim
 * against a fixed size > 1 gives that size (anything else would be an invalid model).
 */
import { AttributeType, DataType, type Attribute, type Graph, type Node, type OnnxModel, type TensorInfo, type TypeInfo } from '../onnx/types';
import { OnnxError } from '../onnx/errors';
import { add, bcast, ceilDiv, floorDiv, min, mul, product, same, sub, symbol, type Sym } from './expr';
import type { TensorValueReader } from './tensor-values';

export type D = Sym | null;

/** Known element values of a small tensor (shape arithmetic); entries may be null. */
export interface Val {
  readonly dims: readonly number[];
  readonly data: readonly D[];
}

export interface Info {
  readonly elem: number | null;
  /** null: rank unknown. */
  readonly shape: readonly D[] | null;
  /** Initializer or Constant-node tensor (a weight). */
  readonly tensor?: TensorInfo;
  /** Values, when small and known (lazily read for constants: see Engine.valueOf). */
  value?: Val | null;
  /** Not a tensor (sequence, map, optional): no shape. */
  readonly nonTensor?: boolean;
}

export interface NodeRecord {
  readonly graphPath: string;
  readonly index: number;
  readonly node: Node;
  readonly inputs: readonly (Info | undefined)[];
  readonly outputs: readonly (Info | undefined)[];
  /** Whether the op has a shape rule here. */
  readonly supported: boolean;
  /** Values from enclosing graphs that the node's subgraphs read (they stay alive until the node runs). */
  readonly outerReads: readonly string[];
}

export interface GraphRecord {
  readonly path: string;
  readonly graph: Graph;
  readonly values: Map<string, Info>;
  readonly depth: number;
}

export class Scope {
  readonly own = new Map<string, Info>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Info | undefined {
    return this.own.get(name) ?? this.parent?.get(name);
  }
  /** Whether `name` is defined in an enclosing scope rather than here. */
  isOuter(name: string): boolean {
    return !this.own.has(name) && this.parent?.get(name) !== undefined;
  }
}

const MAX_VAL = 1024;
/** Float constants are read only when this small (scales, a scalar): weights are never folded. */
const MAX_FLOAT_VAL = 64;

function mayFold(t: TensorInfo): boolean {
  let n = 1;
  for (const d of t.dims) n *= d;
  return n <= (FLOATS.has(t.dataType) ? MAX_FLOAT_VAL : MAX_VAL);
}
/** Slice bounds at least this large mean "to the end" (exporters write INT64_MAX, INT32_MAX or 2^53). */
const BIG = 2 ** 31 - 1;

const FLOATS = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);

export function isFloatType(t: number | null): boolean {
  return t !== null && FLOATS.has(t);
}

function dimOf(d: { kind: string; value?: number; param?: string }): D {
  if (d.kind === 'value') return d.value! >= 0 ? d.value! : null;
  if (d.kind === 'param') return d.param ? symbol(d.param) : null;
  return null;
}

export function infoFromType(t: TypeInfo | undefined): Info {
  if (!t || t.kind === 'unknown') return { elem: null, shape: null };
  if (t.kind === 'tensor' || t.kind === 'sparse_tensor') return { elem: t.elemType || null, shape: t.shape ? t.shape.map(dimOf) : null };
  return { elem: null, shape: null, nonTensor: true };
}

/** The more precise of two descriptions of one value (inferred first; the declared fills gaps). */
function fillFrom(inferred: Info, declared: Info, warn: (m: string) => void, name: string): Info {
  if (declared.nonTensor) return inferred;
  const elem = inferred.elem ?? declared.elem;
  if (inferred.elem !== null && declared.elem !== null && inferred.elem !== declared.elem) warn(`'${name}': inferred element type ${inferred.elem}, the model declares ${declared.elem}.`);
  let shape = inferred.shape;
  if (declared.shape) {
    if (!shape) shape = declared.shape;
    else if (shape.length === declared.shape.length) {
      shape = shape.map((d, i) => {
        const e = declared.shape![i]!;
        if (d === null) return e;
        if (typeof d === 'number' && typeof e === 'number' && d !== e) warn(`'${name}': inferred dim ${i} = ${d}, the model declares ${e}.`);
        return d;
      });
    } else warn(`'${name}': inferred rank ${shape.length}, the model declares ${declared.shape.length}.`);
  }
  return { ...inferred, elem, shape };
}

function attr(n: Node, name: string): Attribute | undefined {
  return n.attributes.find((a) => a.name === name);
}

function normAxis(a: number, r: number): number | null {
  const x = a < 0 ? a + r : a;
  return x >= 0 && x < r ? x : null;
}

/** One dim of a broadcast. */
function bdim(a: D, b: D): D {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === null || b === null) {
    const other = a === null ? b : a;
    return typeof other === 'number' && other > 1 ? other : null;
  }
  if (same(a, b)) return a;
  if (typeof a === 'number' && typeof b === 'number') return null; // incompatible: invalid model
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return bcast(a, b);
}

export function broadcast(shapes: readonly (readonly D[] | null)[]): D[] | null {
  if (shapes.some((s) => s === null)) return null;
  const r = Math.max(0, ...shapes.map((s) => s!.length));
  const out: D[] = [];
  for (let i = 0; i < r; i++) {
    let d: D = 1;
    let first = true;
    for (const s of shapes) {
      const j = i - (r - s!.length);
      if (j < 0) continue;
      d = first ? s![j]! : bdim(d, s![j]!);
      first = false;
    }
    out.push(d);
  }
  return out;
}

function numelOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Elementwise op on small known tensors with numpy broadcasting. */
function valMap(vals: readonly Val[], f: (xs: D[]) => D): Val | null {
  const r = Math.max(...vals.map((v) => v.dims.length));
  const dims: number[] = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    for (const v of vals) {
      const j = i - (r - v.dims.length);
      if (j < 0) continue;
      const x = v.dims[j]!;
      if (x === d || x === 1) continue;
      if (d !== 1) return null;
      d = x;
    }
    dims.push(d);
  }
  const n = numelOf(dims);
  if (n > MAX_VAL) return null;
  const data: D[] = [];
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    let rem = k;
    for (let i = r - 1; i >= 0; i--) {
      idx[i] = rem % dims[i]!;
      rem = Math.floor(rem / dims[i]!);
    }
    const xs = vals.map((v) => {
      let off = 0;
      for (let i = 0; i < v.dims.length; i++) {
        const di = v.dims[i]!;
        off = off * di + (di === 1 ? 0 : idx[i + (r - v.dims.length)]!);
      }
      return v.data[off] ?? null;
    });
    data.push(f(xs));
  }
  return { dims, data };
}

const UNARY_SAME = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BatchNormalization', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'CumSum',
  'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'GroupNormalization',
  'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'LRN', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Reciprocal', 'Relu', 'Round',
  'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu',
  'Trilu', 'ReverseSequence', 'ScatterND', 'ScatterElements', 'Scatter', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike', 'BitwiseNot',
  'Det', 'Swish',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'PRelu', 'Max', 'Min', 'Sum', 'Mean']);
const COMPARE = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const BOOL_UNARY = new Set(['Not', 'IsNaN', 'IsInf']);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
/** com.microsoft contrib ops whose first output has the first input's shape and type. */
const MS_SAME = new Set(['Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu', 'BiasAdd', 'RotaryEmbedding', 'SkipLayerNormalization', 'SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization', 'LayerNormalization', 'BiasSoftmax', 'Softmax']);

/** Ops the inference knows, for the coverage report ('' domain unless qualified). */
export function isKnownOp(domain: string, op: string): boolean {
  if (domain === 'com.microsoft') return MS_SAME.has(op) || op === 'FusedMatMul' || op === 'MatMulNBits';
  if (domain !== '' && domain !== 'ai.onnx') return false;
  return UNARY_SAME.has(op) || BINARY.has(op) || COMPARE.has(op) || BOOL_UNARY.has(op) || REDUCE.has(op) || HANDLED.has(op);
}

const HANDLED = new Set([
  'Cast', 'CastLike', 'Where', 'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Reshape', 'Flatten', 'Transpose', 'Concat', 'Split', 'Slice',
  'Gather', 'GatherElements', 'GatherND', 'Squeeze', 'Unsqueeze', 'Expand', 'Tile', 'Range', 'Pad', 'Resize', 'Upsample', 'ArgMax', 'ArgMin',
  'LayerNormalization', 'Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv', 'MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool',
  'GlobalMaxPool', 'GlobalLpPool', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'Gemm', 'Einsum', 'Dropout', 'TopK', 'NonZero',
  'NonMaxSuppression', 'OneHot', 'DepthToSpace', 'SpaceToDepth', 'If', 'Loop', 'Scan', 'LSTM', 'GRU', 'RNN', 'QuantizeLinear',
  'DequantizeLinear', 'DynamicQuantizeLinear', 'RandomNormal', 'RandomUniform', 'GridSample', 'Compress', 'Attention', 'RotaryEmbedding',
  'RMSNormalization', 'SequenceConstruct', 'SequenceEmpty', 'SplitToSequence', 'SequenceAt', 'SequenceInsert', 'ConcatFromSequence',
]);

interface Ctx {
  readonly node: Node;
  readonly index: number;
  readonly ins: readonly (Info | undefined)[];
  readonly opset: number;
  readonly scope: Scope;
  readonly path: string;
}

export interface EngineOptions {
  readonly useValueInfo: boolean;
  readonly signal?: AbortSignal;
}

export class Engine {
  readonly records: NodeRecord[] = [];
  readonly graphs: GraphRecord[] = [];
  readonly warnings: string[] = [];
  private readonly opsets = new Map<string, number>();
  private nodesSeen = 0;

  constructor(
    private readonly model: OnnxModel,
    private readonly reader: TensorValueReader,
    private readonly opts: EngineOptions,
  ) {
    for (const o of model.opsetImports) this.opsets.set(o.domain === 'ai.onnx' ? '' : o.domain, o.version);
  }

  warn(m: string): void {
    if (this.warnings.length < 200) this.warnings.push(m);
  }

  run(): void {
    this.inferGraph(this.model.graph, new Scope(), '', 0, this.records, this.graphs);
  }

  /** Values of a tensor: folded, or read from a small constant. */
  valueOf(info: Info | undefined): Val | null {
    if (!info) return null;
    if (info.value !== undefined) return info.value;
    let v: Val | null = null;
    if (info.tensor && mayFold(info.tensor)) {
      const data = this.reader.read(info.tensor, MAX_VAL);
      if (data) v = { dims: [...info.tensor.dims], data };
    }
    info.value = v;
    return v;
  }

  /** Whether valueOf may give values (already folded, or a constant small enough to read). */
  private hasValue(info: Info | undefined): boolean {
    if (!info) return false;
    if (info.value !== undefined) return info.value !== null;
    return info.tensor !== undefined && mayFold(info.tensor);
  }

  private inferGraph(g: Graph, scope: Scope, path: string, depth: number, records: NodeRecord[], graphs: GraphRecord[], preset?: Map<string, Info>): void {
    const rec: GraphRecord = { path, graph: g, values: scope.own, depth };
    graphs.push(rec);
    for (const t of g.initializers) scope.own.set(t.name, { elem: t.dataType, shape: [...t.dims], tensor: t });
    for (const v of g.inputs) {
      if (scope.own.has(v.name)) continue;
      const declared = infoFromType(v.type);
      const given = preset?.get(v.name);
      scope.own.set(v.name, given ? fillFrom(given, declared, () => {}, v.name) : declared);
    }
    const declared = new Map<string, Info>();
    if (this.opts.useValueInfo) for (const v of [...g.valueInfo, ...g.outputs]) declared.set(v.name, infoFromType(v.type));
    for (let i = 0; i < g.nodes.length; i++) {
      if (++this.nodesSeen % 256 === 0 && this.opts.signal?.aborted) throw new OnnxError('cancelled', 'The analysis was cancelled.');
      const node = g.nodes[i]!;
      const ins = node.inputs.map((n) => (n === '' ? undefined : scope.get(n)));
      const opset = this.opsets.get(node.domain === 'ai.onnx' ? '' : node.domain) ?? 0;
      const ctx: Ctx = { node, index: i, ins, opset, scope, path };
      const subRecords: NodeRecord[] = [];
      const subGraphs: GraphRecord[] = [];
      let outs: (Info | undefined)[];
      let supported = true;
      try {
        const r = this.inferNode(ctx, depth, subRecords, subGraphs);
        supported = r !== null;
        outs = r ?? [];
      } catch (e) {
        if (e instanceof OnnxError && e.code === 'cancelled') throw e;
        this.warn(`${node.opType} '${node.name}': ${(e as Error).message}`);
        outs = [];
      }
      const outInfos: (Info | undefined)[] = node.outputs.map((name, k) => {
        if (name === '') return undefined;
        let info = outs[k] ?? { elem: null, shape: null };
        const decl = declared.get(name);
        if (decl) info = fillFrom(info, decl, (m) => this.warn(m), name);
        scope.own.set(name, info);
        return info;
      });
      const outerReads: string[] = [];
      if (subGraphs.length) {
        const mine = new Set(subGraphs.flatMap((sg) => [...sg.values.keys()]));
        const seen = new Set<string>();
        for (const sr of subRecords) for (const n of sr.node.inputs) {
          if (n && !mine.has(n) && !seen.has(n) && scope.get(n)) {
            seen.add(n);
            outerReads.push(n);
          }
        }
      }
      records.push({ graphPath: path, index: i, node, inputs: ins, outputs: outInfos, supported, outerReads });
      records.push(...subRecords);
      graphs.push(...subGraphs);
    }
    for (const o of g.outputs) if (!scope.get(o.name)) scope.own.set(o.name, infoFromType(o.type));
  }

  /** Output infos, or null when the op has no rule. */
  private inferNode(c: Ctx, depth: number, subRecords: NodeRecord[], subGraphs: GraphRecord[]): (Info | undefined)[] | null {
    const { node } = c;
    const op = node.opType;
    const domain = node.domain === 'ai.onnx' ? '' : node.domain;
    if (domain === 'com.microsoft') return this.inferMs(c);
    if (domain !== '') return null;
    const i0 = c.ins[0];
    const same0 = (): Info => ({ elem: i0?.elem ?? null, shape: i0?.shape ?? null });
    if (UNARY_SAME.has(op)) {
      const out: Info[] = [same0()];
      if (op === 'BatchNormalization' && node.outputs.length > 1) {
        const ch = i0?.shape && i0.shape.length > 1 ? i0.shape[1]! : null;
        for (let k = 1; k < node.outputs.length; k++) out.push({ elem: c.ins[1]?.elem ?? i0?.elem ?? null, shape: [ch] });
      }
      if (op === 'Identity' && i0) out[0] = { ...same0(), value: this.valueOf(i0) };
      else if ((op === 'Neg' || op === 'Floor' || op === 'Ceil' || op === 'Round' || op === 'Abs' || op === 'Sqrt' || op === 'Relu') && i0) {
        const v = this.valueOf(i0);
        if (v) out[0] = { ...same0(), value: valMap([v], ([x]) => unaryValue(op, x!)) };
      }
      return out;
    }
    if (BINARY.has(op) || COMPARE.has(op)) {
      const present = c.ins.filter((x): x is Info => x !== undefined);
      const shape = broadcast(present.map((x) => x.shape));
      const elem = COMPARE.has(op) ? DataType.BOOL : i0?.elem ?? null;
      let value: Val | null = null;
      const vals = present.every((x) => this.hasValue(x)) ? present.map((x) => this.valueOf(x)) : [];
      if (vals.length >= 1 && vals.every((v) => v !== null)) {
        const fmod = attr(node, 'fmod')?.i ?? 0;
        value = valMap(vals as Val[], (xs) => binaryValue(op, xs, i0?.elem ?? null, fmod));
      }
      return [{ elem, shape, value }];
    }
    if (BOOL_UNARY.has(op)) {
      const v = op === 'Not' ? this.valueOf(i0) : null;
      return [{ elem: DataType.BOOL, shape: i0?.shape ?? null, value: v ? valMap([v], ([x]) => (typeof x === 'number' ? (x ? 0 : 1) : null)) : null }];
    }
    if (REDUCE.has(op)) return [this.reduce(c)];
    switch (op) {
      case 'Cast':
      case 'CastLike': {
        const to = op === 'Cast' ? attr(node, 'to')?.i ?? null : c.ins[1]?.elem ?? null;
        const v = this.valueOf(i0);
        return [{ elem: to, shape: i0?.shape ?? null, value: v && to !== null ? valMap([v], ([x]) => castValue(x!, to)) : null }];
      }
      case 'Where': {
        const shape = broadcast(c.ins.map((x) => x?.shape ?? null));
        const vals = c.ins.every((x) => this.hasValue(x)) ? c.ins.map((x) => this.valueOf(x)) : [null];
        const value = vals.every((v) => v) ? valMap(vals as Val[], ([cond, a, b]) => (typeof cond === 'number' ? (cond ? a! : b!) : same(a, b) ? a! : null)) : null;
        return [{ elem: c.ins[1]?.elem ?? c.ins[2]?.elem ?? null, shape, value }];
      }
      case 'Shape': {
        const s = i0?.shape;
        if (!s) return [{ elem: DataType.INT64, shape: [null] }];
        const r = s.length;
        const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
        const start = c.opset >= 15 ? clamp(attr(node, 'start')?.i ?? 0) : 0;
        const endA = attr(node, 'end');
        const end = c.opset >= 15 && endA ? clamp(endA.i ?? r) : r;
        const data = s.slice(start, Math.max(start, end));
        return [{ elem: DataType.INT64, shape: [data.length], value: { dims: [data.length], data } }];
      }
      case 'Size': {
        const n = i0?.shape ? product(i0.shape) : null;
        return [{ elem: DataType.INT64, shape: [], value: { dims: [], data: [n] } }];
      }
      case 'Constant':
        return [this.constant(node)];
      case 'ConstantOfShape': {
        const v = this.valueOf(i0);
        const t = attr(node, 'value')?.t;
        const elem = t ? t.dataType : DataType.FLOAT;
        const shape = v && v.dims.length === 1 ? [...v.data] : i0?.shape && typeof i0.shape[0] === 'number' ? new Array<D>(i0.shape[0]).fill(null) : null;
        let value: Val | null = null;
        if (shape && shape.every((d) => typeof d === 'number') && numelOf(shape as number[]) <= 64) {
          const fill = t ? this.reader.read(t, 1)?.[0] : 0;
          if (fill !== undefined) value = { dims: shape as number[], data: new Array<D>(numelOf(shape as number[])).fill(fill) };
        }
        return [{ elem, shape, value }];
      }
      case 'Reshape':
        return [this.reshape(c)];
      case 'Flatten': {
        const s = i0?.shape;
        if (!s) return [{ elem: i0?.elem ?? null, shape: [null, null] }];
        let axis = attr(node, 'axis')?.i ?? 1;
        if (axis < 0) axis += s.length;
        return [{ elem: i0!.elem, shape: [product(s.slice(0, axis)), product(s.slice(axis))] }];
      }
      case 'Transpose': {
        const s = i0?.shape;
        if (!s) return [same0()];
        const perm = attr(node, 'perm')?.ints ?? s.map((_, k) => s.length - 1 - k);
        if (perm.length !== s.length) throw new Error(`perm has ${perm.length} entries for rank ${s.length}`);
        const v = this.valueOf(i0);
        const value = v && v.dims.length <= 1 ? v : null;
        return [{ elem: i0!.elem, shape: perm.map((p) => s[p] ?? null), value }];
      }
      case 'Concat':
        return [this.concat(c)];
      case 'Split':
        return this.split(c);
      case 'Slice':
        return [this.slice(c)];
      case 'Gather':
        return [this.gather(c)];
      case 'GatherElements':
        return [{ elem: i0?.elem ?? null, shape: c.ins[1]?.shape ?? null }];
      case 'GatherND': {
        const ds = i0?.shape;
        const is = c.ins[1]?.shape;
        const b = attr(node, 'batch_dims')?.i ?? 0;
        if (!ds || !is) return [{ elem: i0?.elem ?? null, shape: null }];
        const last = is[is.length - 1];
        if (typeof last !== 'number') return [{ elem: i0!.elem, shape: null }];
        return [{ elem: i0!.elem, shape: [...is.slice(0, -1), ...ds.slice(b + last)] }];
      }
      case 'Squeeze':
      case 'Unsqueeze':
        return [this.squeeze(c, op === 'Unsqueeze')];
      case 'Expand': {
        const v = this.valueOf(c.ins[1]);
        let target: D[] | null = v && v.dims.length === 1 ? [...v.data] : null;
        if (!target && c.ins[1]?.shape && typeof c.ins[1].shape[0] === 'number') target = new Array<D>(c.ins[1].shape[0]).fill(null);
        const shape = target ? broadcast([i0?.shape ?? null, target]) : null;
        return [{ elem: i0?.elem ?? null, shape }];
      }
      case 'Tile': {
        const s = i0?.shape;
        const v = this.valueOf(c.ins[1]);
        if (!s) return [same0()];
        return [{ elem: i0!.elem, shape: s.map((d, k) => (v ? mul(d, v.data[k] ?? null) : null)) }];
      }
      case 'Range': {
        const [a, b, d] = [0, 1, 2].map((k) => this.valueOf(c.ins[k])?.data[0] ?? null);
        let len: D = null;
        if (typeof d === 'number' && d !== 0 && a !== null && b !== null) {
          const span = sub(b!, a!);
          if (typeof span === 'number') len = Math.max(Math.ceil(span / d), 0);
          else if (d > 0 && Number.isInteger(d)) len = ceilDiv(span, d);
        }
        let value: Val | null = null;
        if (typeof len === 'number' && len <= 64 && typeof a === 'number' && typeof d === 'number') value = { dims: [len], data: Array.from({ length: len }, (_, k) => a + k * d) };
        return [{ elem: i0?.elem ?? null, shape: [len], value }];
      }
      case 'Pad':
        return [this.pad(c)];
      case 'Resize':
      case 'Upsample':
        return [this.resize(c)];
      case 'ArgMax':
      case 'ArgMin': {
        const s = i0?.shape;
        if (!s) return [{ elem: DataType.INT64, shape: null }];
        const axis = normAxis(attr(node, 'axis')?.i ?? 0, s.length);
        const keep = (attr(node, 'keepdims')?.i ?? 1) !== 0;
        const shape = s.flatMap((d, k) => (k === axis ? (keep ? [1] : []) : [d]));
        return [{ elem: DataType.INT64, shape }];
      }
      case 'LayerNormalization':
      case 'RMSNormalization': {
        const s = i0?.shape ?? null;
        const out: Info[] = [same0()];
        if (s) {
          const axis = normAxis(attr(node, 'axis')?.i ?? -1, s.length);
          const stash = attr(node, 'stash_type')?.i ?? DataType.FLOAT;
          const red = axis === null ? null : s.map((d, k) => (k < axis ? d : 1));
          out.push({ elem: stash, shape: red }, { elem: stash, shape: red });
        }
        return out;
      }
      case 'Conv':
      case 'ConvInteger':
      case 'QLinearConv':
        return [this.conv(c)];
      case 'ConvTranspose':
        return [this.convTranspose(c)];
      case 'MaxPool':
      case 'AveragePool':
      case 'LpPool': {
        const out = this.pool(c);
        return op === 'MaxPool' ? [out, { elem: DataType.INT64, shape: out.shape }] : [out];
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
      case 'GlobalLpPool': {
        const s = i0?.shape;
        return [{ elem: i0?.elem ?? null, shape: s ? s.map((d, k) => (k < 2 ? d : 1)) : null }];
      }
      case 'MatMul':
      case 'MatMulInteger':
      case 'QLinearMatMul': {
        const b = op === 'QLinearMatMul' ? c.ins[3] : c.ins[1];
        const elem = op === 'MatMul' ? i0?.elem ?? null : op === 'MatMulInteger' ? DataType.INT32 : c.ins[7]?.elem ?? null;
        return [{ elem, shape: matmulShape(i0?.shape ?? null, b?.shape ?? null) }];
      }
      case 'Gemm': {
        const a = i0?.shape;
        const b = c.ins[1]?.shape;
        const ta = (attr(node, 'transA')?.i ?? 0) !== 0;
        const tb = (attr(node, 'transB')?.i ?? 0) !== 0;
        const m = a && a.length === 2 ? a[ta ? 1 : 0]! : null;
        const n = b && b.length === 2 ? b[tb ? 0 : 1]! : null;
        return [{ elem: i0?.elem ?? null, shape: [m, n] }];
      }
      case 'Einsum':
        return [{ elem: i0?.elem ?? null, shape: einsumShape(attr(node, 'equation')?.s ?? '', c.ins.map((x) => x?.shape ?? null)) }];
      case 'Dropout': {
        const out: Info[] = [{ ...same0(), value: this.valueOf(i0) }];
        if (node.outputs.length > 1) out.push({ elem: DataType.BOOL, shape: i0?.shape ?? null });
        return out;
      }
      case 'TopK': {
        const s = i0?.shape;
        const k = c.opset >= 10 ? this.valueOf(c.ins[1])?.data[0] ?? null : attr(node, 'k')?.i ?? null;
        const axis = s ? normAxis(attr(node, 'axis')?.i ?? -1, s.length) : null;
        const shape = s ? s.map((d, j) => (j === axis ? k : d)) : null;
        return [{ elem: i0?.elem ?? null, shape }, { elem: DataType.INT64, shape }];
      }
      case 'NonZero':
        return [{ elem: DataType.INT64, shape: [i0?.shape ? i0.shape.length : null, null] }];
      case 'NonMaxSuppression':
        return [{ elem: DataType.INT64, shape: [null, 3] }];
      case 'Compress': {
        const axisA = attr(node, 'axis');
        const s = i0?.shape;
        if (!axisA) return [{ elem: i0?.elem ?? null, shape: [null] }];
        const axis = s ? normAxis(axisA.i ?? 0, s.length) : null;
        return [{ elem: i0?.elem ?? null, shape: s ? s.map((d, k) => (k === axis ? null : d)) : null }];
      }
      case 'OneHot': {
        const s = c.ins[0]?.shape;
        const depth = this.valueOf(c.ins[1])?.data[0] ?? null;
        const depthInt = typeof depth === 'number' ? Math.floor(depth) : depth;
        if (!s) return [{ elem: c.ins[2]?.elem ?? null, shape: null }];
        const r = s.length + 1;
        const axis = normAxis(attr(node, 'axis')?.i ?? -1, r);
        const shape = axis === null ? null : [...s.slice(0, axis), depthInt, ...s.slice(axis)];
        return [{ elem: c.ins[2]?.elem ?? null, shape }];
      }
      case 'DepthToSpace':
      case 'SpaceToDepth': {
        const s = i0?.shape;
        const b = attr(node, 'blocksize')?.i ?? 1;
        if (!s || s.length !== 4) return [same0()];
        const [n, ch, h, w] = s;
        const shape = op === 'DepthToSpace' ? [n!, floorDiv(ch!, b * b), mul(h!, b), mul(w!, b)] : [n!, mul(ch!, b * b), floorDiv(h!, b), floorDiv(w!, b)];
        return [{ elem: i0!.elem, shape }];
      }
      case 'GridSample': {
        const s = i0?.shape;
        const g = c.ins[1]?.shape;
        if (!s || !g) return [{ elem: i0?.elem ?? null, shape: null }];
        return [{ elem: i0!.elem, shape: [s[0]!, s[1]!, ...g.slice(1, -1)] }];
      }
      case 'QuantizeLinear': {
        const to = attr(node, 'output_dtype')?.i || c.ins[2]?.elem || DataType.UINT8;
        return [{ elem: to, shape: i0?.shape ?? null }];
      }
      case 'DequantizeLinear': {
        const to = attr(node, 'output_dtype')?.i || c.ins[1]?.elem || DataType.FLOAT;
        return [{ elem: to, shape: i0?.shape ?? null }];
      }
      case 'DynamicQuantizeLinear':
        return [
          { elem: DataType.UINT8, shape: i0?.shape ?? null },
          { elem: DataType.FLOAT, shape: [] },
          { elem: DataType.UINT8, shape: [] },
        ];
      case 'RandomNormal':
      case 'RandomUniform': {
        const shape = attr(node, 'shape')?.ints ?? null;
        return [{ elem: attr(node, 'dtype')?.i ?? DataType.FLOAT, shape }];
      }
      case 'LSTM':
      case 'GRU':
      case 'RNN':
        return this.rnn(c);
      case 'Attention':
        return this.attention(c);
      case 'RotaryEmbedding':
        return [same0()];
      case 'If':
        return this.ifNode(c, depth, subRecords, subGraphs);
      case 'Loop':
        return this.loop(c, depth, subRecords, subGraphs);
      case 'Scan':
        return this.scan(c, depth, subRecords, subGraphs);
      case 'SequenceConstruct':
      case 'SequenceEmpty':
      case 'SplitToSequence':
      case 'SequenceInsert':
        return [{ elem: null, shape: null, nonTensor: true }];
      case 'SequenceAt':
      case 'ConcatFromSequence':
        return [{ elem: null, shape: null }];
    }
    return null;
  }

  private inferMs(c: Ctx): (Info | undefined)[] | null {
    const { node } = c;
    const i0 = c.ins[0];
    if (MS_SAME.has(node.opType)) return [{ elem: i0?.elem ?? null, shape: i0?.shape ?? null }];
    if (node.opType === 'FusedMatMul') {
      const ta = (attr(node, 'transA')?.i ?? 0) !== 0;
      const tb = (attr(node, 'transB')?.i ?? 0) !== 0;
      const t = (s: readonly D[] | null, on: boolean) => (s && on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s);
      return [{ elem: i0?.elem ?? null, shape: matmulShape(t(i0?.shape ?? null, ta), t(c.ins[1]?.shape ?? null, tb)) }];
    }
    if (node.opType === 'MatMulNBits') {
      const s = i0?.shape;
      const n = attr(node, 'N')?.i ?? null;
      return [{ elem: i0?.elem ?? null, shape: s ? [...s.slice(0, -1), n] : null }];
    }
    return null;
  }

  private constant(node: Node): Info {
    const t = attr(node, 'value')?.t;
    if (t) return { elem: t.dataType, shape: [...t.dims], tensor: t };
    const a = node.attributes[0];
    if (!a) return { elem: null, shape: null };
    switch (a.name) {
      case 'value_float':
        return { elem: DataType.FLOAT, shape: [], value: { dims: [], data: [a.f ?? 0] } };
      case 'value_floats':
        return { elem: DataType.FLOAT, shape: [a.floats?.length ?? 0], value: { dims: [a.floats?.length ?? 0], data: [...(a.floats ?? [])] } };
      case 'value_int':
        return { elem: DataType.INT64, shape: [], value: { dims: [], data: [a.i ?? 0] } };
      case 'value_ints':
        return { elem: DataType.INT64, shape: [a.ints?.length ?? 0], value: { dims: [a.ints?.length ?? 0], data: [...(a.ints ?? [])] } };
      case 'value_string':
        return { elem: DataType.STRING, shape: [] };
      case 'value_strings':
        return { elem: DataType.STRING, shape: [a.strings?.length ?? 0] };
      case 'sparse_value':
        return { elem: a.sparseTensor?.values?.dataType ?? null, shape: a.sparseTensor ? [...a.sparseTensor.dims] : null };
    }
    return { elem: null, shape: null };
  }

  /** axes from the attribute (older opsets) or the given input (newer ones); undefined when absent. */
  private axesOf(c: Ctx, inputIndex: number, fromOpset: number): readonly number[] | null | undefined {
    if (c.opset >= fromOpset) {
      if (!c.ins[inputIndex]) return undefined;
      const v = this.valueOf(c.ins[inputIndex]);
      if (!v || v.data.some((x) => typeof x !== 'number')) return null;
      return v.data as number[];
    }
    return attr(c.node, 'axes')?.ints;
  }

  private reduce(c: Ctx): Info {
    const i0 = c.ins[0];
    const s = i0?.shape;
    const keep = (attr(c.node, 'keepdims')?.i ?? 1) !== 0;
    const fromOpset = c.node.opType === 'ReduceSum' ? 13 : 18;
    const axes = this.axesOf(c, 1, fromOpset);
    const noop = (attr(c.node, 'noop_with_empty_axes')?.i ?? 0) !== 0;
    if (!s) return { elem: i0?.elem ?? null, shape: null };
    if (axes === null) return { elem: i0!.elem, shape: keep ? s.map(() => null) : null };
    if ((axes === undefined || axes.length === 0) && noop) return { elem: i0!.elem, shape: s, value: this.valueOf(i0) };
    const set = new Set((axes === undefined || axes.length === 0 ? s.map((_, k) => k) : axes.map((a) => normAxis(a, s.length))) as (number | null)[]);
    if (set.has(null)) throw new Error('axis out of range');
    const shape = s.flatMap((d, k) => (set.has(k) ? (keep ? [1] : []) : [d]));
    let value: Val | null = null;
    const v = this.valueOf(i0);
    if (v && v.dims.length === 1 && (c.node.opType === 'ReduceProd' || c.node.opType === 'ReduceSum' || c.node.opType === 'ReduceMax' || c.node.opType === 'ReduceMin')) {
      let acc: D;
      if (c.node.opType === 'ReduceProd') acc = product(v.data);
      else if (c.node.opType === 'ReduceSum') acc = v.data.reduce<D>((p, x) => add(p, x), 0);
      else acc = v.data.every((x) => typeof x === 'number') ? (c.node.opType === 'ReduceMax' ? Math.max(...(v.data as number[])) : Math.min(...(v.data as number[]))) : null;
      value = { dims: keep ? [1] : [], data: [acc] };
    }
    return { elem: i0!.elem, shape, value };
  }

  private reshape(c: Ctx): Info {
    const i0 = c.ins[0];
    const elem = i0?.elem ?? null;
    let target: readonly D[] | null = null;
    let rank: number | null = null;
    if (c.opset < 5) {
      const sh = attr(c.node, 'shape')?.ints;
      if (sh) target = sh;
    } else {
      const v = this.valueOf(c.ins[1]);
      if (v && v.dims.length === 1) target = v.data;
      else if (c.ins[1]?.shape && typeof c.ins[1].shape[0] === 'number') rank = c.ins[1].shape[0];
    }
    if (!target) return { elem, shape: rank === null ? null : new Array<D>(rank).fill(null) };
    const allowZero = (attr(c.node, 'allowzero')?.i ?? 0) !== 0;
    const s = i0?.shape ?? null;
    let inferAt = -1;
    const out: D[] = target.map((t, k) => {
      if (t === 0 && !allowZero) return s && k < s.length ? s[k]! : null;
      if (t === -1) {
        inferAt = k;
        return null;
      }
      if (typeof t === 'number' && t < 0) return null;
      return t;
    });
    if (inferAt >= 0 && s) {
      const total = product(s);
      const rest = product(out.filter((_, k) => k !== inferAt));
      if (total !== null && rest !== null) {
        const q = floorDiv(total, rest);
        // Only an exact quotient: the product of the others must divide the total.
        if (q !== null && same(mul(q, rest), total)) out[inferAt] = q;
        else if (typeof q === 'number' && typeof total === 'number' && typeof rest === 'number' && rest !== 0 && total % rest === 0) out[inferAt] = q;
      }
    }
    const v = this.valueOf(i0);
    const value = v && out.every((d) => typeof d === 'number') && numelOf(out as number[]) === v.data.length ? { dims: out as number[], data: v.data } : null;
    return { elem, shape: out, value };
  }

  private concat(c: Ctx): Info {
    const present = c.ins.filter((x): x is Info => x !== undefined);
    const elem = present.find((x) => x.elem !== null)?.elem ?? null;
    const known = present.filter((x) => x.shape !== null);
    if (known.length === 0) return { elem, shape: null };
    const r = known[0]!.shape!.length;
    const axis = normAxis(attr(c.node, 'axis')?.i ?? 0, r);
    if (axis === null) throw new Error('axis out of range');
    const shape: D[] = [];
    for (let k = 0; k < r; k++) {
      if (k === axis) {
        shape.push(known.length === present.length ? known.reduce<D>((acc, x) => add(acc, x.shape![k] ?? null), 0) : null);
      } else {
        let d: D = null;
        for (const x of known) if (x.shape![k] !== null && x.shape![k] !== undefined) d = d === null ? x.shape![k]! : d;
        shape.push(d);
      }
    }
    let value: Val | null = null;
    if (r === 1) {
      const vals = present.map((x) => this.valueOf(x));
      if (vals.every((v) => v && v.dims.length === 1)) {
        const data = vals.flatMap((v) => v!.data);
        if (data.length <= MAX_VAL) value = { dims: [data.length], data };
      }
    }
    return { elem, shape, value };
  }

  private split(c: Ctx): Info[] {
    const i0 = c.ins[0];
    const n = c.node.outputs.length;
    const s = i0?.shape;
    const elem = i0?.elem ?? null;
    if (!s) return c.node.outputs.map(() => ({ elem, shape: null }));
    const axis = normAxis(attr(c.node, 'axis')?.i ?? 0, s.length);
    if (axis === null) throw new Error('axis out of range');
    let sizes: D[] | null = null;
    if (c.opset >= 13 && c.ins[1]) {
      const v = this.valueOf(c.ins[1]);
      sizes = v ? [...v.data] : null;
    } else if (c.opset < 13 && attr(c.node, 'split')?.ints) sizes = [...attr(c.node, 'split')!.ints!];
    else {
      const d = s[axis]!;
      const numOut = c.opset >= 18 ? attr(c.node, 'num_outputs')?.i ?? n : n;
      if (typeof d === 'number') {
        const each = Math.ceil(d / numOut);
        sizes = Array.from({ length: numOut }, (_, k) => Math.max(0, Math.min(each, d - k * each)));
      } else if (d !== null) {
        const q = floorDiv(d, numOut);
        // Uneven splits of a symbolic dim are unknown; an even one is exact.
        sizes = q !== null && same(mul(q, numOut), d) ? new Array<D>(numOut).fill(q) : null;
      }
    }
    const v = this.valueOf(i0);
    let offset = 0;
    return c.node.outputs.map((_, k) => {
      const size = sizes ? sizes[k] ?? null : null;
      const shape = s.map((d, j) => (j === axis ? size : d));
      let value: Val | null = null;
      if (v && v.dims.length === 1 && typeof size === 'number') {
        value = { dims: [size], data: v.data.slice(offset, offset + size) };
        offset += size;
      }
      return { elem, shape, value };
    });
  }

  private slice(c: Ctx): Info {
    const i0 = c.ins[0];
    const s = i0?.shape;
    const elem = i0?.elem ?? null;
    if (!s) return { elem, shape: null };
    const r = s.length;
    let starts: readonly D[] | null;
    let ends: readonly D[] | null;
    let axes: readonly D[] | null;
    let steps: readonly D[] | null;
    if (c.opset < 10) {
      starts = attr(c.node, 'starts')?.ints ?? null;
      ends = attr(c.node, 'ends')?.ints ?? null;
      axes = attr(c.node, 'axes')?.ints ?? null;
      steps = null;
    } else {
      starts = this.valueOf(c.ins[1])?.data ?? null;
      ends = this.valueOf(c.ins[2])?.data ?? null;
      axes = c.ins[3] ? this.valueOf(c.ins[3])?.data ?? [] : null;
      steps = c.ins[4] ? this.valueOf(c.ins[4])?.data ?? [] : null;
      if (c.ins[3] && axes!.length === 0) return { elem, shape: s.map(() => null) };
    }
    if (!starts || !ends) {
      // Unknown bounds: the axes sliced (when known) have unknown sizes.
      if (axes && axes.length) {
        const set = new Set(axes.map((a) => (typeof a === 'number' ? normAxis(a, r) : null)));
        if (set.has(null)) return { elem, shape: s.map(() => null) };
        return { elem, shape: s.map((d, k) => (set.has(k) ? null : d)) };
      }
      return { elem, shape: s.map(() => null) };
    }
    const axisList = axes && axes.length ? axes : starts.map((_, k) => k);
    const out = [...s];
    const v = this.valueOf(i0);
    let valueSlice: { start: number; step: number; len: number } | null = null;
    for (let j = 0; j < axisList.length; j++) {
      const a = axisList[j];
      const ax = typeof a === 'number' ? normAxis(a, r) : null;
      if (ax === null) return { elem, shape: s.map(() => null) };
      const step = steps && steps.length ? steps[j] ?? null : 1;
      const st = starts[j] ?? null;
      const en = ends[j] ?? null;
      const r1 = sliceLen(s[ax]!, st, en, step);
      out[ax] = r1.len;
      if (v && v.dims.length === 1 && ax === 0 && r1.numeric) valueSlice = r1.numeric;
    }
    let value: Val | null = null;
    if (v && v.dims.length === 1 && valueSlice) {
      const data: D[] = [];
      for (let k = 0; k < valueSlice.len; k++) data.push(v.data[valueSlice.start + k * valueSlice.step] ?? null);
      value = { dims: [data.length], data };
    }
    return { elem, shape: out, value };
  }

  private gather(c: Ctx): Info {
    const i0 = c.ins[0];
    const ind = c.ins[1];
    const ds = i0?.shape;
    const is = ind?.shape;
    const elem = i0?.elem ?? null;
    if (!ds || !is) return { elem, shape: null };
    const axis = normAxis(attr(c.node, 'axis')?.i ?? 0, ds.length);
    if (axis === null) throw new Error('axis out of range');
    const shape = [...ds.slice(0, axis), ...is, ...ds.slice(axis + 1)];
    let value: Val | null = null;
    const v = this.valueOf(i0);
    const iv = this.valueOf(ind);
    if (v && iv && v.dims.length === 1 && iv.data.every((x) => typeof x === 'number')) {
      const n = v.dims[0]!;
      value = { dims: [...iv.dims], data: (iv.data as number[]).map((k) => v.data[k < 0 ? k + n : k] ?? null) };
    }
    return { elem, shape, value };
  }

  private squeeze(c: Ctx, unsqueeze: boolean): Info {
    const i0 = c.ins[0];
    const s = i0?.shape;
    const elem = i0?.elem ?? null;
    const axes = this.axesOf(c, 1, 13);
    const v = this.valueOf(i0);
    if (!s) return { elem, shape: null };
    if (axes === null) return { elem, shape: null };
    let shape: D[] | null;
    if (unsqueeze) {
      const r = s.length + (axes?.length ?? 0);
      const set = new Set((axes ?? []).map((a) => normAxis(a, r)));
      if (set.has(null)) throw new Error('axis out of range');
      shape = [];
      let k = 0;
      for (let j = 0; j < r; j++) shape.push(set.has(j) ? 1 : s[k++] ?? null);
    } else if (axes === undefined || axes.length === 0) {
      shape = s.every((d) => d !== null && (typeof d === 'number' || !same(d, 1))) && s.every((d) => typeof d === 'number') ? s.filter((d) => d !== 1) : null;
    } else {
      const set = new Set(axes.map((a) => normAxis(a, s.length)));
      if (set.has(null)) throw new Error('axis out of range');
      shape = s.filter((_, k) => !set.has(k));
    }
    const value = v && shape && shape.every((d) => typeof d === 'number') ? { dims: shape as number[], data: v.data } : null;
    return { elem, shape, value };
  }

  private pad(c: Ctx): Info {
    const i0 = c.ins[0];
    const s = i0?.shape;
    const elem = i0?.elem ?? null;
    if (!s) return { elem, shape: null };
    const r = s.length;
    let pads: readonly D[] | null;
    if (c.opset < 11) pads = attr(c.node, 'pads')?.ints ?? attr(c.node, 'paddings')?.ints ?? null;
    else pads = this.valueOf(c.ins[1])?.data ?? null;
    let axes: readonly number[] | null = s.map((_, k) => k);
    if (c.opset >= 18 && c.ins[3]) {
      const av = this.valueOf(c.ins[3]);
      axes = av && av.data.every((x) => typeof x === 'number') ? (av.data as number[]).map((a) => (a < 0 ? a + r : a)) : null;
    }
    if (!pads || !axes || pads.length !== 2 * axes.length) return { elem, shape: s.map(() => null) };
    const out = [...s];
    axes.forEach((a, j) => {
      out[a] = add(add(s[a]!, pads![j]!), pads![j + axes!.length]!);
    });
    return { elem, shape: out };
  }

  private resize(c: Ctx): Info {
    const i0 = c.ins[0];
    const s = i0?.shape;
    const elem = i0?.elem ?? null;
    if (!s) return { elem, shape: null };
    const r = s.length;
    let scales: readonly D[] | null = null;
    let sizes: readonly D[] | null = null;
    if (c.node.opType === 'Upsample') {
      scales = c.opset >= 9 ? this.valueOf(c.ins[1])?.data ?? null : attr(c.node, 'scales')?.floats ?? null;
    } else if (c.opset < 11) {
      scales = this.valueOf(c.ins[1])?.data ?? null;
    } else {
      const sc = this.valueOf(c.ins[2]);
      const sz = this.valueOf(c.ins[3]);
      if (c.ins[3] && sz && sz.data.length > 0) sizes = sz.data;
      else if (c.ins[2] && sc && sc.data.length > 0) scales = sc.data;
      else if (c.ins[3] && !sz) return { elem, shape: s.map(() => null) };
      else if (c.ins[2] && !sc) return { elem, shape: s.map(() => null) };
    }
    let axes: number[] = s.map((_, k) => k);
    const axesAttr = c.opset >= 18 ? attr(c.node, 'axes')?.ints : undefined;
    if (axesAttr) axes = axesAttr.map((a) => (a < 0 ? a + r : a));
    const policy = attr(c.node, 'keep_aspect_ratio_policy')?.s ?? 'stretch';
    const out = [...s];
    if (sizes) {
      if (policy !== 'stretch') return { elem, shape: s.map((d, k) => (axes.includes(k) ? null : d)) };
      axes.forEach((a, j) => (out[a] = sizes![j] ?? null));
      return { elem, shape: out };
    }
    if (!scales) return { elem, shape: s.map(() => null) };
    axes.forEach((a, j) => {
      const f = scales![j];
      const d = s[a]!;
      if (typeof f !== 'number') out[a] = null;
      else if (typeof d === 'number') out[a] = Math.floor(d * f);
      else if (d === null) out[a] = null;
      else if (Number.isInteger(f)) out[a] = mul(d, f);
      else if (f > 0 && Number.isInteger(1 / f)) out[a] = floorDiv(d, 1 / f);
      else out[a] = null;
    });
    return { elem, shape: out };
  }

  private convGeometry(c: Ctx, spatial: number, kernel: readonly D[] | null): { strides: number[]; dil: number[]; pads: number[]; autoPad: string; kernel: readonly D[] | null } {
    const n = c.node;
    const strides = attr(n, 'strides')?.ints?.slice() ?? new Array<number>(spatial).fill(1);
    const dil = attr(n, 'dilations')?.ints?.slice() ?? new Array<number>(spatial).fill(1);
    const pads = attr(n, 'pads')?.ints?.slice() ?? new Array<number>(2 * spatial).fill(0);
    const autoPad = attr(n, 'auto_pad')?.s ?? 'NOTSET';
    const ks = attr(n, 'kernel_shape')?.ints ?? kernel;
    return { strides, dil, pads, autoPad, kernel: ks };
  }

  private conv(c: Ctx): Info {
    const q = c.node.opType === 'QLinearConv';
    const x = c.ins[0];
    const w = q ? c.ins[3] : c.ins[1];
    const elem = c.node.opType === 'ConvInteger' ? DataType.INT32 : q ? c.ins[7]?.elem ?? null : x?.elem ?? null;
    const xs = x?.shape;
    const ws = w?.shape;
    if (!xs || xs.length < 3) return { elem, shape: xs ? xs.map(() => null) : ws ? new Array<D>(ws.length).fill(null) : null };
    const sp = xs.length - 2;
    const g = this.convGeometry(c, sp, ws ? ws.slice(2) : null);
    const out: D[] = [xs[0]!, ws ? ws[0]! : null];
    for (let k = 0; k < sp; k++) {
      const kk = g.kernel ? g.kernel[k] ?? null : null;
      out.push(convOut(xs[k + 2]!, kk, g.strides[k] ?? 1, g.dil[k] ?? 1, g.pads[k] ?? 0, g.pads[k + sp] ?? 0, g.autoPad, false));
    }
    return { elem, shape: out };
  }

  private convTranspose(c: Ctx): Info {
    const x = c.ins[0];
    const w = c.ins[1];
    const xs = x?.shape;
    const ws = w?.shape;
    const elem = x?.elem ?? null;
    if (!xs || xs.length < 3) return { elem, shape: null };
    const sp = xs.length - 2;
    const g = this.convGeometry(c, sp, ws ? ws.slice(2) : null);
    const group = attr(c.node, 'group')?.i ?? 1;
    const outPad = attr(c.node, 'output_padding')?.ints ?? new Array<number>(sp).fill(0);
    const outShape = attr(c.node, 'output_shape')?.ints;
    const out: D[] = [xs[0]!, ws ? mul(ws[1]!, group) : null];
    for (let k = 0; k < sp; k++) {
      if (outShape) {
        out.push(outShape[outShape.length - sp + k] ?? null);
        continue;
      }
      const kk = g.kernel ? g.kernel[k] ?? null : null;
      const st = g.strides[k] ?? 1;
      const d = xs[k + 2]!;
      if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
        out.push(mul(d, st));
        continue;
      }
      const pb = g.autoPad === 'VALID' ? 0 : g.pads[k] ?? 0;
      const pe = g.autoPad === 'VALID' ? 0 : g.pads[k + sp] ?? 0;
      // stride*(in-1) + output_padding + (kernel-1)*dilation + 1 - pad_begin - pad_end
      const eff = typeof kk === 'number' ? (kk - 1) * (g.dil[k] ?? 1) + 1 : null;
      out.push(eff === null ? null : add(mul(sub(d, 1), st), (outPad[k] ?? 0) + eff - pb - pe));
    }
    return { elem, shape: out };
  }

  private pool(c: Ctx): Info {
    const x = c.ins[0];
    const xs = x?.shape;
    const elem = x?.elem ?? null;
    if (!xs || xs.length < 3) return { elem, shape: null };
    const sp = xs.length - 2;
    const g = this.convGeometry(c, sp, null);
    const ceil = (attr(c.node, 'ceil_mode')?.i ?? 0) !== 0;
    const out: D[] = [xs[0]!, xs[1]!];
    for (let k = 0; k < sp; k++) out.push(convOut(xs[k + 2]!, g.kernel ? g.kernel[k] ?? null : null, g.strides[k] ?? 1, g.dil[k] ?? 1, g.pads[k] ?? 0, g.pads[k + sp] ?? 0, g.autoPad, ceil));
    return { elem, shape: out };
  }

  private rnn(c: Ctx): Info[] {
    const x = c.ins[0];
    const xs = x?.shape;
    const ws = c.ins[1]?.shape;
    const gates = c.node.opType === 'LSTM' ? 4 : c.node.opType === 'GRU' ? 3 : 1;
    const hAttr = attr(c.node, 'hidden_size')?.i;
    const hidden: D = hAttr ?? (ws && ws.length === 3 ? floorDiv(ws[1]!, gates) : null);
    const dir = attr(c.node, 'direction')?.s ?? 'forward';
    const dirs = dir === 'bidirectional' ? 2 : 1;
    const layout = attr(c.node, 'layout')?.i ?? 0;
    const elem = x?.elem ?? null;
    const seq = xs && xs.length === 3 ? xs[layout ? 1 : 0]! : null;
    const batch = xs && xs.length === 3 ? xs[layout ? 0 : 1]! : null;
    const y: Info = { elem, shape: layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden] };
    const h: Info = { elem, shape: layout ? [batch, dirs, hidden] : [dirs, batch, hidden] };
    return c.node.opType === 'LSTM' ? [y, h, h] : [y, h];
  }

  private attention(c: Ctx): Info[] {
    // ONNX Attention (opset 23): Q [B, Hq, S, D] or [B, S, Hq*D]; V gives the output head size.
    const q = c.ins[0]?.shape;
    const k = c.ins[1]?.shape;
    const v = c.ins[2]?.shape;
    const elem = c.ins[0]?.elem ?? null;
    if (!q || !v) return [{ elem, shape: null }];
    if (q.length === 4 && v.length === 4) return [{ elem, shape: [q[0]!, q[1]!, q[2]!, v[3]!] }];
    if (q.length === 3 && v.length === 3) {
      const qh = attr(c.node, 'q_num_heads')?.i;
      const kvh = attr(c.node, 'kv_num_heads')?.i;
      const headV = kvh ? floorDiv(v[2]!, kvh) : null;
      void k;
      return [{ elem, shape: [q[0]!, q[1]!, qh && headV !== null ? mul(headV, qh) : null] }];
    }
    return [{ elem, shape: null }];
  }

  private subgraph(node: Node, name: string): Graph | undefined {
    const a = attr(node, name);
    return a && a.type === AttributeType.GRAPH ? a.g : a?.g;
  }

  private subPath(c: Ctx, attrName: string): string {
    return subgraphPath(c.path, c.node, c.index, attrName);
  }

  private ifNode(c: Ctx, depth: number, subRecords: NodeRecord[], subGraphs: GraphRecord[]): Info[] {
    const branches = ['then_branch', 'else_branch'].map((name) => ({ name, g: this.subgraph(c.node, name) }));
    const results: Info[][] = [];
    for (const b of branches) {
      if (!b.g) continue;
      const scope = new Scope(c.scope);
      this.inferGraph(b.g, scope, this.subPath(c, b.name), depth + 1, subRecords, subGraphs);
      results.push(b.g.outputs.map((o) => scope.get(o.name) ?? { elem: null, shape: null }));
    }
    const cond = this.valueOf(c.ins[0])?.data[0];
    if (typeof cond === 'number' && results.length === 2) return results[cond ? 0 : 1]!;
    return c.node.outputs.map((_, k) => mergeInfos(results.map((r) => r[k] ?? { elem: null, shape: null })));
  }

  private loop(c: Ctx, depth: number, subRecords: NodeRecord[], subGraphs: GraphRecord[]): Info[] {
    const body = this.subgraph(c.node, 'body');
    const nCarried = Math.max(0, c.node.inputs.length - 2);
    const nScan = Math.max(0, c.node.outputs.length - nCarried);
    if (!body) return [];
    let carried: Info[] = c.ins.slice(2).map((x) => strip(x));
    let scope = new Scope(c.scope);
    let recs: NodeRecord[] = [];
    let gr: GraphRecord[] = [];
    for (let pass = 0; pass < 3; pass++) {
      scope = new Scope(c.scope);
      recs = [];
      gr = [];
      const preset = new Map<string, Info>();
      const bi = body.inputs;
      if (bi[0]) preset.set(bi[0].name, { elem: DataType.INT64, shape: [] });
      // The body only runs while the condition holds: inside it, the incoming condition is true.
      if (bi[1]) preset.set(bi[1].name, { elem: DataType.BOOL, shape: [], value: { dims: [], data: [1] } });
      carried.forEach((info, k) => bi[k + 2] && preset.set(bi[k + 2]!.name, info));
      this.inferGraph(body, scope, this.subPath(c, 'body'), depth + 1, recs, gr, preset);
      const outs = body.outputs.slice(1, 1 + nCarried).map((o) => strip(scope.get(o.name)));
      const merged = carried.map((info, k) => mergeInfos([info, outs[k] ?? { elem: null, shape: null }]));
      if (merged.every((m, k) => sameInfo(m, carried[k]!))) break;
      carried = merged;
    }
    subRecords.push(...recs);
    subGraphs.push(...gr);
    // Iterations: the trip count when the loop cannot stop early.
    const trip = this.valueOf(c.ins[0])?.data[0] ?? null;
    const condIn = c.ins[1];
    const condOutName = body.outputs[0]?.name;
    const condOut = condOutName ? scope.get(condOutName) : undefined;
    const condAlways = (!condIn || this.valueOf(condIn)?.data[0] === 1) && this.valueOf(condOut)?.data[0] === 1;
    const iterations: D = c.ins[0] && condAlways ? trip : null;
    const outs: Info[] = [...carried];
    for (let k = 0; k < nScan; k++) {
      const o = body.outputs[1 + nCarried + k];
      const info = o ? scope.get(o.name) : undefined;
      outs.push({ elem: info?.elem ?? null, shape: info?.shape ? [iterations, ...info.shape] : null });
    }
    return outs;
  }

  private scan(c: Ctx, depth: number, subRecords: NodeRecord[], subGraphs: GraphRecord[]): Info[] {
    const body = this.subgraph(c.node, 'body');
    if (!body || c.opset < 9) return [];
    const m = attr(c.node, 'num_scan_inputs')?.i ?? 0;
    const n = c.node.inputs.length - m;
    const inAxes = attr(c.node, 'scan_input_axes')?.ints ?? new Array<number>(m).fill(0);
    const outAxes = attr(c.node, 'scan_output_axes')?.ints;
    let seq: D = null;
    const scanIns: Info[] = c.ins.slice(n).map((x, k) => {
      const s = x?.shape;
      if (!s) return { elem: x?.elem ?? null, shape: null };
      const a = normAxis(inAxes[k] ?? 0, s.length);
      if (a === null) return { elem: x!.elem, shape: null };
      if (k === 0) seq = s[a]!;
      return { elem: x!.elem, shape: s.filter((_, j) => j !== a) };
    });
    let states: Info[] = c.ins.slice(0, n).map((x) => strip(x));
    let scope = new Scope(c.scope);
    let recs: NodeRecord[] = [];
    let gr: GraphRecord[] = [];
    for (let pass = 0; pass < 3; pass++) {
      scope = new Scope(c.scope);
      recs = [];
      gr = [];
      const preset = new Map<string, Info>();
      [...states, ...scanIns].forEach((info, k) => body.inputs[k] && preset.set(body.inputs[k]!.name, info));
      this.inferGraph(body, scope, this.subPath(c, 'body'), depth + 1, recs, gr, preset);
      const outs = body.outputs.slice(0, n).map((o) => strip(scope.get(o.name)));
      const merged = states.map((info, k) => mergeInfos([info, outs[k] ?? { elem: null, shape: null }]));
      if (merged.every((x, k) => sameInfo(x, states[k]!))) break;
      states = merged;
    }
    subRecords.push(...recs);
    subGraphs.push(...gr);
    const outs: Info[] = [...states];
    body.outputs.slice(n).forEach((o, k) => {
      const info = scope.get(o.name);
      if (!info?.shape) return outs.push({ elem: info?.elem ?? null, shape: null });
      const r = info.shape.length + 1;
      const a = normAxis(outAxes?.[k] ?? 0, r);
      const shape = a === null ? null : [...info.shape.slice(0, a), seq, ...info.shape.slice(a)];
      outs.push({ elem: info.elem, shape });
    });
    return outs;
  }
}

/** Path of a node's subgraph: the graph's path, the node's name (or #index) and the attribute. */
export function subgraphPath(parent: string, node: Node, index: number, attrName: string): string {
  return `${parent ? `${parent}/` : ''}${node.name || `#${index}`}:${attrName}`;
}

function strip(x: Info | undefined): Info {
  return { elem: x?.elem ?? null, shape: x?.shape ?? null, ...(x?.nonTensor ? { nonTensor: true } : {}) };
}

function sameInfo(a: Info, b: Info): boolean {
  if (a.elem !== b.elem) return false;
  if (a.shape === null || b.shape === null) return a.shape === b.shape;
  return a.shape.length === b.shape.length && a.shape.every((d, k) => (d === null ? b.shape![k] === null : same(d, b.shape![k])));
}

/** What several possible values have in common (If branches, loop iterations). */
export function mergeInfos(xs: readonly Info[]): Info {
  if (xs.length === 0) return { elem: null, shape: null };
  const elem = xs.every((x) => x.elem === xs[0]!.elem) ? xs[0]!.elem : null;
  const r = xs[0]!.shape?.length;
  let shape: D[] | null = null;
  if (r !== undefined && xs.every((x) => x.shape && x.shape.length === r)) {
    shape = xs[0]!.shape!.map((d, k) => (xs.every((x) => same(x.shape![k], d)) ? d : null));
  }
  return { elem, shape, ...(xs.some((x) => x.nonTensor) ? { nonTensor: true } : {}) };
}

export function matmulShape(a: readonly D[] | null, b: readonly D[] | null): D[] | null {
  if (!a || !b || a.length === 0 || b.length === 0) return null;
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return null;
  const out = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

/** Output dims of an einsum equation (explicit `->` or implicit: sorted labels seen once); '...' broadcasts. */
export function einsumShape(eq: string, shapes: readonly (readonly D[] | null)[]): D[] | null {
  const clean = eq.replace(/\s+/g, '');
  const [lhs, rhs] = clean.split('->');
  if (lhs === undefined) return null;
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) return null;
  const sizes = new Map<string, D>();
  const counts = new Map<string, number>();
  let ell: D[] | null = [];
  for (let t = 0; t < terms.length; t++) {
    const s = shapes[t];
    if (!s) return null;
    const term = terms[t]!;
    const dot = term.indexOf('...');
    const labels = term.replace('...', '').split('');
    const ellRank = dot >= 0 ? s.length - labels.length : 0;
    if (ellRank < 0) return null;
    let k = 0;
    for (let j = 0; j < term.length; ) {
      if (term.startsWith('...', j)) {
        ell = broadcast([ell, s.slice(k, k + ellRank)]);
        k += ellRank;
        j += 3;
        continue;
      }
      const l = term[j]!;
      const d = s[k++]!;
      const prev = sizes.get(l);
      sizes.set(l, prev === undefined || prev === null || prev === 1 ? d : prev);
      counts.set(l, (counts.get(l) ?? 0) + 1);
      j++;
    }
  }
  const outLabels = rhs ?? [...counts.keys()].filter((l) => counts.get(l) === 1).sort().join('');
  const out: D[] = [];
  if (rhs === undefined && clean.includes('...')) out.push(...(ell ?? []));
  for (let j = 0; j < outLabels.length; ) {
    if (outLabels.startsWith('...', j)) {
      if (!ell) return null;
      out.push(...ell);
      j += 3;
      continue;
    }
    out.push(sizes.get(outLabels[j]!) ?? null);
    j++;
  }
  return out;
}

/** Output size along one spatial axis of a convolution or pooling. */
function convOut(d: D, k: D, stride: number, dil: number, pb: number, pe: number, autoPad: string, ceil: boolean): D {
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return ceilDiv(d, stride);
  if (typeof k !== 'number') return null;
  const eff = (k - 1) * dil + 1;
  if (autoPad === 'VALID') {
    pb = 0;
    pe = 0;
  }
  const span = add(d, pb + pe - eff);
  if (!ceil) return add(floorDiv(span, stride), 1);
  if (typeof span === 'number') {
    let o = Math.ceil(span / stride) + 1;
    // The last window must start inside the input or the left padding.
    if ((o - 1) * stride >= (d as number) + pb) o--;
    return o;
  }
  // Symbolic input: without padding and with kernel >= stride the correction never applies.
  if (pb === 0 && pe === 0 && eff >= stride) return add(ceilDiv(span, stride), 1);
  return null;
}

/**
 * Length of a Slice along one axis. Numeric bounds are clamped as the spec says; with a symbolic dim,
 * constant bounds are taken to lie inside it (INT64_MAX-like ends mean the end, negative ones count
 * from it); symbolic bounds are clamped with min() unless provably inside the dim.
 */
function sliceLen(d: D, st: D, en: D, step: D): { len: D; numeric?: { start: number; step: number; len: number } } {
  if (typeof step !== 'number' || step === 0) return { len: null };
  if (typeof d === 'number' && typeof st === 'number' && typeof en === 'number') {
    let s = st < 0 ? st + d : st;
    let e = en < 0 ? en + d : en;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const len = Math.max(0, Math.ceil((e - s) / step));
    return { len, numeric: { start: s, step, len } };
  }
  if (d === null && (typeof st !== 'number' || typeof en !== 'number' || st < 0 || en < 0 || en >= BIG)) return { len: null };
  const norm = (x: D, isEnd: boolean): D => {
    // A symbolic bound is clamped to the dim exactly (min), unless it is provably inside it.
    if (typeof x !== 'number') return step > 0 ? min(x, d) : min(x, sub(d, 1));
    if (step > 0) {
      if (x >= BIG) return isEnd ? d : d; // start past the end: empty; end past the end: the end
      if (x <= -BIG) return 0;
      return x < 0 ? add(d, x) : x;
    }
    if (x >= BIG) return sub(d, 1);
    if (x <= -BIG) return -1;
    return x < 0 ? add(d, x) : x;
  };
  const s = norm(st, false);
  const e = norm(en, true);
  if (s === null || e === null) return { len: null };
  const span = step > 0 ? sub(e, s) : sub(s, e);
  const len = typeof span === 'number' ? Math.max(0, Math.ceil(span / Math.abs(step))) : ceilDiv(span, Math.abs(step));
  return { len };
}

function unaryValue(op: string, x: D): D {
  if (x === null) return null;
  if (typeof x !== 'number') {
    // Dims are integers: rounding leaves them as they are.
    if (op === 'Floor' || op === 'Ceil' || op === 'Round') return x;
    if (op === 'Neg') return mul(x, -1);
    return null;
  }
  switch (op) {
    case 'Neg': return -x;
    case 'Floor': return Math.floor(x);
    case 'Ceil': return Math.ceil(x);
    case 'Round': return Math.round(x);
    case 'Abs': return Math.abs(x);
    case 'Sqrt': return Math.sqrt(x);
    case 'Relu': return Math.max(0, x);
  }
  return null;
}

function castValue(x: D, to: number): D {
  if (x === null) return null;
  if (to === DataType.BOOL) return typeof x === 'number' ? (x ? 1 : 0) : null;
  if (typeof x !== 'number') return x;
  if (isFloatType(to)) return to === DataType.FLOAT ? Math.fround(x) : x;
  if (to === DataType.STRING) return null;
  return Math.trunc(x);
}

function binaryValue(op: string, xs: readonly D[], elem: number | null, fmod: number): D {
  const [a, b] = xs;
  if (a === null || a === undefined) return null;
  if (op === 'Sum') return xs.reduce<D>((p, x) => add(p, x ?? null), 0);
  if (b === null || b === undefined) return null;
  const int = !isFloatType(elem);
  switch (op) {
    case 'Add': return add(a, b);
    case 'Sub': return sub(a, b);
    case 'Mul': return mul(a, b); // a symbolic dim times a non-integer is null
    case 'Div': {
      if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : int ? Math.trunc(a / b) : a / b;
      if (int) return floorDiv(a, b);
      const q = floorDiv(a, b);
      return q !== null && same(mul(q, b), a) ? q : null;
    }
    case 'Mod': {
      if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return null;
      if (fmod || !int) return a % b;
      const m = a % b;
      return m !== 0 && Math.sign(m) !== Math.sign(b) ? m + b : m;
    }
    case 'Max':
    case 'Min':
      if (typeof a === 'number' && typeof b === 'number') return op === 'Max' ? Math.max(a, b) : Math.min(a, b);
      return same(a, b) ? a : null;
    case 'Pow':
      return typeof a === 'number' && typeof b === 'number' ? a ** b : null;
    case 'Equal':
      if (typeof a === 'number' && typeof b === 'number') return a === b ? 1 : 0;
      return same(a, b) ? 1 : null;
    case 'Less': return typeof a === 'number' && typeof b === 'number' ? (a < b ? 1 : 0) : null;
    case 'Greater': return typeof a === 'number' && typeof b === 'number' ? (a > b ? 1 : 0) : null;
    case 'LessOrEqual': return typeof a === 'number' && typeof b === 'number' ? (a <= b ? 1 : 0) : same(a, b) ? 1 : null;
    case 'GreaterOrEqual': return typeof a === 'number' && typeof b === 'number' ? (a >= b ? 1 : 0) : same(a, b) ? 1 : null;
    case 'And': return typeof a === 'number' && typeof b === 'number' ? (a && b ? 1 : 0) : null;
    case 'Or': return typeof a === 'number' && typeof b === 'number' ? (a || b ? 1 : 0) : null;
    case 'Xor': return typeof a === 'number' && typeof b === 'number' ? (!!a !== !!b ? 1 : 0) : null;
  }
  return null;
}

