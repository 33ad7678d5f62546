/** Models the tests build: real ONNX files written with the core's encoder and loaded by ONNX Runtime. */
import { encodeModel, type ModelSpec, type TensorSpec } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';

export function f32(values: readonly number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function i64(values: readonly number[]): Uint8Array {
  return new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
}

/**
 * y = relu(x @ W + b), with x: float[batch, 4], W: 4x3, b: 3. Small, valid, runnable by ORT.
 * `external` moves W and b into a data file (`location`) next to the model.
 */
export function mlpModel(opts: { external?: string } = {}): { model: Uint8Array; data?: Uint8Array } {
  const W = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10));
  const b = f32([0.5, -0.5, 0.25]);
  let data: Uint8Array | undefined;
  let inits: TensorSpec[];
  if (opts.external) {
    // Weights aligned as onnx's save_model does (4 KiB here; any alignment is valid).
    data = new Uint8Array(4096 + b.byteLength);
    data.set(W, 0);
    data.set(b, 4096);
    inits = [
      { name: 'W', dataType: DataType.FLOAT, dims: [4, 3], external: { location: opts.external, offset: 0, length: W.byteLength } },
      { name: 'b', dataType: DataType.FLOAT, dims: [3], external: { location: opts.external, offset: 4096, length: b.byteLength } },
    ];
  } else {
    inits = [
      { name: 'W', dataType: DataType.FLOAT, dims: [4, 3], raw: W },
      { name: 'b', dataType: DataType.FLOAT, dims: [3], raw: b },
    ];
  }
  const spec: ModelSpec = {
    irVersion: 10,
    producerName: 'inference-lens-tests',
    producerVersion: '1',
    opsets: [{ domain: '', version: 17 }],
    metadata: { purpose: 'unit test', 'unicode ✓': 'ünïcödé' },
    graph: {
      name: 'mlp',
      nodes: [
        { name: '/fc/MatMul', opType: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
        { name: '/fc/Add', opType: 'Add', inputs: ['xw', 'b'], outputs: ['xwb'] },
        { name: '/act/Relu', opType: 'Relu', inputs: ['xwb'], outputs: ['y'] },
      ],
      initializers: inits,
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 3] }],
    },
  };
  return data ? { model: encodeModel(spec), data } : { model: encodeModel(spec) };
}

/**
 * A runnable model with an If whose branches hold a Loop body (nested subgraphs),
 * plus a local function: exercises subgraphs and functions.
 *   out = If(cond) { then: x + 1 (via Loop of 1 iteration) } else { x * 2 }
 */
export function controlFlowModel(): Uint8Array {
  const one = { name: 'one', dataType: DataType.FLOAT, dims: [], raw: f32([1]) };
  const two = { name: 'two', dataType: DataType.FLOAT, dims: [], raw: f32([2]) };
  const loopBody = {
    name: 'loop_body',
    nodes: [
      { opType: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'], name: 'body/Identity' },
      { opType: 'Add', inputs: ['v_in', 'one'], outputs: ['v_out'], name: 'body/Add' },
    ],
    initializers: [one],
    inputs: [
      { name: 'iter', elemType: DataType.INT64, shape: [] },
      { name: 'cond_in', elemType: DataType.BOOL, shape: [] },
      { name: 'v_in', elemType: DataType.FLOAT, shape: ['n'] },
    ],
    outputs: [
      { name: 'cond_out', elemType: DataType.BOOL, shape: [] },
      { name: 'v_out', elemType: DataType.FLOAT, shape: ['n'] },
    ],
  };
  const thenBranch = {
    name: 'then',
    nodes: [
      {
        opType: 'Constant',
        inputs: [],
        outputs: ['trip'],
        name: 'then/trip',
        attributes: { value: { t: { dataType: DataType.INT64, dims: [], raw: i64([1]) } } },
      },
      { opType: 'Loop', inputs: ['trip', '', 'x'], outputs: ['then_out'], name: 'then/Loop', attributes: { body: { g: loopBody } } },
    ],
    inputs: [],
    outputs: [{ name: 'then_out', elemType: DataType.FLOAT, shape: ['n'] }],
  };
  const elseBranch = {
    name: 'else',
    nodes: [{ opType: 'Mul', inputs: ['x', 'two'], outputs: ['else_out'], name: 'else/Mul' }],
    initializers: [two],
    inputs: [],
    outputs: [{ name: 'else_out', elemType: DataType.FLOAT, shape: ['n'] }],
  };
  return encodeModel({
    irVersion: 10,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'local', version: 1 },
    ],
    graph: {
      name: 'control_flow',
      nodes: [
        { opType: 'If', inputs: ['cond'], outputs: ['y0'], name: 'if', attributes: { then_branch: { g: thenBranch }, else_branch: { g: elseBranch } } },
        { opType: 'Double', domain: 'local', inputs: ['y0'], outputs: ['y'], name: 'double' },
      ],
      inputs: [
        { name: 'cond', elemType: DataType.BOOL, shape: [] },
        { name: 'x', elemType: DataType.FLOAT, shape: ['n'] },
      ],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n'] }],
    },
    functions: [
      {
        name: 'Double',
        domain: 'local',
        inputs: ['a'],
        outputs: ['b'],
        nodes: [{ opType: 'Add', inputs: ['a', 'a'], outputs: ['b'] }],
        opsets: [{ domain: '', version: 17 }],
      },
    ],
  });
}

/** Initializers of every tensor type the current ONNX schema has (for the reader's dtype table). */
export function allDtypesModel(): { model: Uint8Array; expected: Map<string, { count: number; bytes: number; elements: number }> } {
  const types: [DataType, string, number][] = [
    [DataType.FLOAT, 'float', 32],
    [DataType.UINT8, 'uint8', 8],
    [DataType.INT8, 'int8', 8],
    [DataType.UINT16, 'uint16', 16],
    [DataType.INT16, 'int16', 16],
    [DataType.INT32, 'int32', 32],
    [DataType.INT64, 'int64', 64],
    [DataType.BOOL, 'bool', 8],
    [DataType.FLOAT16, 'float16', 16],
    [DataType.DOUBLE, 'double', 64],
    [DataType.UINT32, 'uint32', 32],
    [DataType.UINT64, 'uint64', 64],
    [DataType.COMPLEX64, 'complex64', 64],
    [DataType.COMPLEX128, 'complex128', 128],
    [DataType.BFLOAT16, 'bfloat16', 16],
    [DataType.FLOAT8E4M3FN, 'float8e4m3fn', 8],
    [DataType.FLOAT8E4M3FNUZ, 'float8e4m3fnuz', 8],
    [DataType.FLOAT8E5M2, 'float8e5m2', 8],
    [DataType.FLOAT8E5M2FNUZ, 'float8e5m2fnuz', 8],
    [DataType.UINT4, 'uint4', 4],
    [DataType.INT4, 'int4', 4],
    [DataType.FLOAT4E2M1, 'float4e2m1', 4],
  ];
  const expected = new Map<string, { count: number; bytes: number; elements: number }>();
  const inits: TensorSpec[] = types.map(([dt, name, bits], i) => {
    const dims = [3, 5 + i]; // odd element counts: int4 rounds up to whole bytes
    const elements = dims[0]! * dims[1]!;
    const bytes = Math.ceil((elements * bits) / 8);
    expected.set(name, { count: 1, bytes, elements });
    return { name: `w_${name}`, dataType: dt, dims, raw: new Uint8Array(bytes) };
  });
  const model = encodeModel({
    irVersion: 11,
    opsets: [{ domain: '', version: 23 }],
    graph: {
      name: 'dtypes',
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      initializers: inits,
      inputs: [{ name: 'x', elemType: DataType.BFLOAT16, shape: [null, 'seq', 8] }],
      outputs: [{ name: 'y', elemType: DataType.BFLOAT16, shape: [null, 'seq', 8] }],
    },
  });
  return { model, expected };
}
