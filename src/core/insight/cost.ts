/**
 * Per-node cost from inferred shapes: FLOPs and MACs (symbolic, evaluated later for chosen dims) and
 * tensor bytes.
 *
 * Conventions (README "Model insight" repeats them):
 * - MatMul, Gemm, Conv, ConvTranspose, Einsum, LSTM/GRU/RNN, Attention: MACs are the multiply-accumulates
 *   of the products; FLOPs = 2·MACs, plus one per output element for a bias (Gemm C, Conv B).
 *   RNN gates' activations are not counted.
 * - Elementwise arithmetic and activation functions: 1 FLOP per output element (transcendentals count
 *   as one; variadic Sum/Max/Min: inputs−1 per element, Mean one more).
 * - Softmax/LogSoftmax: 5 per element (max, subtract, exp, sum, divide); LayerNormalization and
 *   Instance/GroupNormalization: 7 per element (6 without a bias); RMS norms: 4; BatchNormalization
 *   (inference): 2; reductions, ArgMax/ArgMin, TopK, global pooling: 1 per input element; pooling:
 *   kernel size per output element; Resize: 0 for nearest, 2·taps per output element otherwise
 *   (taps = 2 per resized axis for linear, 4 for cubic); Quantize/DequantizeLinear: 2 per element.
 * - Data movement (Reshape, Transpose, Gather, Concat, Slice, Cast, Pad, Where…) and control flow
 *   nodes themselves: 0. Nodes inside If/Loop/Scan bodies are counted once (per iteration).
 * - Unknown op or unknown shape: null.
 */
import { dataTypeInfo, type Node } from '../onnx/types';
import { add, ceilDiv, mul, product, same } from './expr';
import type { D, Info, NodeRecord } from './infer';

export interface SymCost {
  readonly flops: D;
  readonly macs: D;
}

const ZERO_COST = new Set([
  'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Gather', 'GatherElements', 'GatherND', 'Squeeze', 'Unsqueeze', 'Expand', 'Tile',
  'Flatten', 'Identity', 'Cast', 'CastLike', 'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'Pad', 'Dropout', 'Where',
  'DepthToSpace', 'SpaceToDepth', 'NonZero', 'Compress', 'OneHot', 'ScatterND', 'ScatterElements', 'Scatter', 'Trilu', 'EyeLike',
  'If', 'Loop', 'Scan', 'SequenceConstruct', 'SequenceEmpty', 'SplitToSequence', 'SequenceAt', 'SequenceInsert', 'ConcatFromSequence',
  'ReverseSequence', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'NonMaxSuppression', 'GridSample',
  'Optional', 'OptionalGetElement', 'OptionalHasElement',
]);

const ONE_PER_ELEMENT = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'PRelu', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'Equal', 'Less',
  'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf', 'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan',
  'Atanh', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Hardmax', 'LeakyRelu',
  'Log', 'Mish', 'Neg', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softplus', 'Softsign', 'Sqrt',
  'Tan', 'Tanh', 'ThresholdedRelu', 'CumSum', 'LpNormalization', 'LRN', 'MeanVarianceNormalization', 'Swish', 'Det',
  // com.microsoft
  'FastGelu', 'BiasGelu', 'QuickGelu', 'BiasAdd', 'RotaryEmbedding',
]);

const PER_ELEMENT: Record<string, number> = {
  Softmax: 5,
  LogSoftmax: 5,
  BatchNormalization: 2,
  QuantizeLinear: 2,
  DequantizeLinear: 2,
  DynamicQuantizeLinear: 2,
  RMSNormalization: 4,
  SimplifiedLayerNormalization: 4,
  SkipSimplifiedLayerNormalization: 5,
  BiasSoftmax: 6,
};

function shapeOf(x: Info | undefined): readonly D[] | null {
  return x?.shape ?? null;
}

const numelCache = new WeakMap<readonly D[], D>();

function numel(x: Info | undefined): D {
  const s = shapeOf(x);
  if (!s) return null;
  let n = numelCache.get(s);
  if (n === undefined) numelCache.set(s, (n = product(s)));
  return n;
}

const bytesCache = new WeakMap<Info, D>();

/** Bytes of a tensor value (sub-byte types round up); null when its type or shape is unknown. */
export function bytesOf(x: Info | undefined): D {
  if (!x) return null;
  const hit = bytesCache.get(x);
  if (hit !== undefined) return hit;
  const b = computeBytes(x);
  bytesCache.set(x, b);
  return b;
}

function computeBytes(x: Info): D {
  if (x.nonTensor || x.elem === null) return null;
  const bits = dataTypeInfo(x.elem).bits;
  if (bits === 0) return null;
  const n = numel(x);
  if (n === null) return null;
  return bits % 8 === 0 ? mul(n, bits / 8) : ceilDiv(mul(n, bits), 8);
}

function attrI(node: Node, name: string, def: number): number {
  return node.attributes.find((a) => a.name === name)?.i ?? def;
}

function kernelSize(node: Node, w: Info | undefined): D {
  const ks = node.attributes.find((a) => a.name === 'kernel_shape')?.ints;
  if (ks) return product(ks);
  const ws = shapeOf(w);
  return ws && ws.length > 2 ? product(ws.slice(2)) : null;
}

function withFlops(macs: D, extra: D = 0): SymCost {
  return { macs, flops: add(mul(macs, 2), extra) };
}

export function nodeCost(r: NodeRecord): SymCost {
  const { node } = r;
  const op = node.opType;
  const ms = node.domain === 'com.microsoft';
  if (node.domain !== '' && node.domain !== 'ai.onnx' && !ms) return { flops: null, macs: null };
  if (!r.supported) return { flops: null, macs: null };
  const [i0, i1] = r.inputs;
  const o0 = r.outputs[0];
  const outN = numel(o0);
  const per = (k: number): SymCost => ({ flops: mul(outN, k), macs: 0 });
  if (ZERO_COST.has(op)) return { flops: 0, macs: 0 };
  switch (op) {
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul':
    case 'FusedMatMul':
    case 'MatMulNBits': {
      const a = shapeOf(i0);
      const trans = op === 'FusedMatMul' && attrI(node, 'transA', 0) !== 0;
      const k = a && a.length ? (trans && a.length >= 2 ? a[a.length - 2]! : a[a.length - 1]!) : null;
      return withFlops(mul(outN, k));
    }
    case 'Gemm': {
      const a = shapeOf(i0);
      const k = a && a.length === 2 ? a[attrI(node, 'transA', 0) ? 0 : 1]! : null;
      return withFlops(mul(outN, k), r.inputs[2] ? outN : 0);
    }
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv': {
      const w = op === 'QLinearConv' ? r.inputs[3] : i1;
      const ws = shapeOf(w);
      const cin = ws && ws.length > 1 ? ws[1]! : null;
      const bias = op === 'Conv' && r.inputs[2] ? outN : 0;
      return withFlops(mul(mul(outN, cin), kernelSize(node, w)), bias);
    }
    case 'ConvTranspose': {
      const ws = shapeOf(i1);
      const coutPerGroup = ws && ws.length > 1 ? ws[1]! : null;
      return withFlops(mul(mul(numel(i0), coutPerGroup), kernelSize(node, i1)), r.inputs[2] ? outN : 0);
    }
    case 'Einsum': {
      const eq = (node.attributes.find((a) => a.name === 'equation')?.s ?? '').replace(/\s+/g, '');
      if (eq.includes('...')) return { flops: null, macs: null };
      const lhs = eq.split('->')[0]!.split(',');
      const sizes = new Map<string, D>();
      lhs.forEach((t, k) => {
        const s = shapeOf(r.inputs[k]);
        [...t].forEach((l, j) => {
          const d = s ? s[j] ?? null : null;
          const prev = sizes.get(l);
          if (prev === undefined || prev === null || prev === 1) sizes.set(l, d);
        });
      });
      return withFlops(product([...sizes.values()]));
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const xs = shapeOf(i0);
      const ws = shapeOf(i1);
      const rs = shapeOf(r.inputs[2]);
      if (!xs || xs.length !== 3 || !ws || ws.length !== 3 || !rs || rs.length !== 3) return { flops: null, macs: null };
      const layout = attrI(node, 'layout', 0);
      const seq = xs[layout ? 1 : 0]!;
      const batch = xs[layout ? 0 : 1]!;
      // W: [dirs, gates*H, I], R: [dirs, gates*H, H] → per step and batch row: gates*H*(I+H) MACs per direction.
      const perStep = add(product([ws[0]!, ws[1]!, ws[2]!]), product([rs[0]!, rs[1]!, rs[2]!]));
      return withFlops(product([seq, batch, perStep]));
    }
    case 'Attention': {
      const q = shapeOf(i0);
      const k = shapeOf(i1);
      const v = shapeOf(r.inputs[2]);
      if (!q || !k || !v || q.length !== 4 || k.length !== 4 || v.length !== 4) return { flops: null, macs: null };
      const macs = product([q[0]!, q[1]!, q[2]!, k[2]!, add(q[3]!, v[3]!)]);
      return { macs, flops: add(mul(macs, 2), mul(product([q[0]!, q[1]!, q[2]!, k[2]!]), 5)) };
    }
    case 'Sum':
    case 'Max':
    case 'Min':
    case 'Mean': {
      const n = r.inputs.filter((x) => x !== undefined).length;
      return per(n - 1 + (op === 'Mean' ? 1 : 0));
    }
    case 'LayerNormalization':
    case 'InstanceNormalization':
    case 'GroupNormalization':
      return per(r.inputs[2] ? 7 : 6);
    case 'SkipLayerNormalization':
      return per(8 + (r.inputs[4] ? 1 : 0));
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool':
      return per1(mul(outN, kernelSize(node, undefined)));
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
    case 'ArgMax':
    case 'ArgMin':
    case 'TopK':
      return per1(numel(i0));
    case 'Resize':
    case 'Upsample': {
      const mode = node.attributes.find((a) => a.name === 'mode')?.s ?? 'nearest';
      if (mode === 'nearest') return { flops: 0, macs: 0 };
      const a = shapeOf(i0);
      const b = shapeOf(o0);
      if (!a || !b || a.length !== b.length) return { flops: null, macs: null };
      let taps = 1;
      for (let k = 0; k < a.length; k++) {
        if (a[k] === null || b[k] === null) return { flops: null, macs: null };
        if (!same(a[k], b[k])) taps *= mode === 'cubic' ? 4 : 2;
      }
      return per(2 * taps);
    }
  }
  if (op.startsWith('Reduce')) return per1(op === 'ReduceSumSquare' || op === 'ReduceL2' ? mul(numel(i0), 2) : numel(i0));
  if (ONE_PER_ELEMENT.has(op)) return per(1);
  const k = PER_ELEMENT[op];
  if (k !== undefined) return per(k);
  if (ms && (op === 'Gelu' || op === 'LayerNormalization')) return per(op === 'Gelu' ? 1 : 7);
  return { flops: null, macs: null };
}

function per1(n: D): SymCost {
  return { flops: n, macs: 0 };
}
