/**
 * Element types of every value in a model (not shapes): declared types (graph inputs/outputs,
 * value_info, initializers, subgraph outputs) first, then per-op rules in node order. What the
 * FP16 conversion needs to know which values are float32. Unknown ops follow their first input.
 */
import { DataType, type Graph, type Node, type OnnxModel, type TypeInfo } from '../onnx/types';
import { subgraphs } from './common';

function elemOf(t: TypeInfo | undefined): number | undefined {
  return t && (t.kind === 'tensor' || t.kind === 'sparse_tensor') && t.elemType ? t.elemType : undefined;
}

const BOOL_OUT = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);

/** Global map value name → element type (names are unique across a model's graphs in valid ONNX). */
export function inferElemTypes(m: OnnxModel): Map<string, number> {
  const types = new Map<string, number>();
  const declare = (name: string, t: number | undefined) => {
    if (name && t && !types.has(name)) types.set(name, t);
  };
  const visit = (g: Graph) => {
    for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) declare(v.name, elemOf(v.type));
    for (const t of g.initializers) declare(t.name, t.dataType);
    for (const n of g.nodes) {
      for (const sg of subgraphs(n)) visit(sg);
      const outs = outputTypes(n, (x) => types.get(x));
      n.outputs.forEach((o, i) => declare(o, outs[i]));
    }
  };
  visit(m.graph);
  return types;
}

function attr(n: Node, name: string) {
  return n.attributes.find((a) => a.name === name);
}

/** Output element types of a node from its inputs' types and attributes (undefined: unknown). */
export function outputTypes(n: Node, typeOf: (name: string) => number | undefined): (number | undefined)[] {
  const inType = (i: number) => (n.inputs[i] ? typeOf(n.inputs[i]!) : undefined);
  const all = (t: number | undefined) => n.outputs.map(() => t);
  const op = n.opType;
  const ms = n.domain === 'com.microsoft';
  if (n.domain && n.domain !== 'ai.onnx' && !ms) return all(inType(0));
  if (BOOL_OUT.has(op)) return all(DataType.BOOL);
  if (INT64_OUT.has(op)) return all(DataType.INT64);
  switch (op) {
    case 'Cast':
      return all(attr(n, 'to')?.i);
    case 'CastLike':
      return all(inType(1));
    case 'Constant': {
      const a = n.attributes[0];
      if (!a) return all(undefined);
      if (a.t) return all(a.t.dataType);
      if (a.name === 'value_float' || a.name === 'value_floats') return all(DataType.FLOAT);
      if (a.name === 'value_int' || a.name === 'value_ints') return all(DataType.INT64);
      if (a.name === 'value_string' || a.name === 'value_strings') return all(DataType.STRING);
      return all(undefined);
    }
    case 'ConstantOfShape':
      return all(attr(n, 'value')?.t?.dataType ?? DataType.FLOAT);
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return all(attr(n, 'dtype')?.i ?? inType(0));
    case 'RandomNormal':
    case 'RandomUniform':
      return all(attr(n, 'dtype')?.i ?? DataType.FLOAT);
    case 'Multinomial':
      return all(attr(n, 'dtype')?.i ?? DataType.INT32);
    case 'TopK':
      return [inType(0), DataType.INT64];
    case 'Unique':
      return [inType(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'Where':
      return all(inType(1));
    case 'OneHot':
      return all(inType(2));
    case 'QuantizeLinear':
      return all(n.inputs[2] ? inType(2) : DataType.UINT8);
    case 'DequantizeLinear':
      return all(inType(1));
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return all(DataType.INT32);
    case 'QLinearMatMul':
    case 'QLinearConv':
      return all(inType(7));
    case 'If': {
      const g = attr(n, 'then_branch')?.g ?? attr(n, 'else_branch')?.g;
      return n.outputs.map((_, i) => elemOf(g?.outputs[i]?.type));
    }
    case 'Loop': {
      const body = attr(n, 'body')?.g;
      // Body outputs: cond, carried values..., scan outputs...
      return n.outputs.map((_, i) => elemOf(body?.outputs[i + 1]?.type) ?? inType(i + 2));
    }
    case 'Scan': {
      const body = attr(n, 'body')?.g;
      return n.outputs.map((_, i) => elemOf(body?.outputs[i]?.type));
    }
    case 'LayerNormalization':
      return [inType(0), DataType.FLOAT, DataType.FLOAT];
    case 'DynamicQuantizeMatMul':
    case 'MatMulIntegerToFloat':
      return all(DataType.FLOAT);
    default:
      return all(inType(0));
  }
}
