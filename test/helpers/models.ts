/** Models the tests build: real ONNX files written with the core's encoder and loaded by ONNX Runtime. */
import { encodeModel, type GraphSpec, type ModelSpec, type NodeSpec, type TensorSpec } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { mulberry32 } from '../../src/core/inputs/synthesize';

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
  const loopBody: GraphSpec = {
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
  const thenBranch: GraphSpec = {
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
  const elseBranch: GraphSpec = {
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

/**
 * A BERT-like encoder (the structure exporters write: per-layer attention and FFN MatMuls with
 * module-scoped node names) with real float32 weights. `external` puts all weights in one data
 * file, written sparse, so multi-GB models cost no time to create. `seed` (inline weights only)
 * fills the weights with seeded random values as a trained model has them (projections with
 * variance 1/fan-in, LayerNorm scales near 1, small biases) instead of the constant 0.01, so that
 * numerical checks (quantization, float16) mean something.
 */
export function transformerModel(opts: { layers: number; hidden: number; ffn: number; external?: string; seed?: number }): {
  model: Uint8Array;
  /** Size of the external data file to create (sparse), when `external` is set. */
  externalBytes: number;
  weightBytes: number;
} {
  const { layers, hidden, ffn } = opts;
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let offset = 0;
  let weightBytes = 0;
  const rnd = opts.seed !== undefined ? mulberry32(opts.seed) : undefined;
  const weight = (name: string, dims: number[]) => {
    const bytes = dims.reduce((a, b) => a * b, 1) * 4;
    weightBytes += bytes;
    if (opts.external) {
      inits.push({ name, dataType: DataType.FLOAT, dims, external: { location: opts.external, offset, length: bytes } });
      offset += Math.ceil(bytes / 4096) * 4096;
    } else {
      const raw = new Uint8Array(bytes);
      const v = new Float32Array(raw.buffer);
      if (!rnd) v.fill(0.01);
      else if (dims.length === 2) {
        const a = Math.sqrt(3 / dims[0]!); // uniform(-a, a): variance 1/fan-in
        for (let i = 0; i < v.length; i++) v[i] = (rnd() * 2 - 1) * a;
      } else {
        const base = name.endsWith('LayerNorm.weight') ? 1 : 0;
        for (let i = 0; i < v.length; i++) v[i] = base + (rnd() * 2 - 1) * 0.05;
      }
      inits.push({ name, dataType: DataType.FLOAT, dims, raw });
    }
    return name;
  };
  const scalar = (name: string, v: number) => {
    inits.push({ name, dataType: DataType.FLOAT, dims: [], raw: f32([v]) });
    return name;
  };
  const shape = (name: string, v: number[]) => {
    inits.push({ name, dataType: DataType.INT64, dims: [v.length], raw: i64(v) });
    return name;
  };
  const heads = 8;
  const headShape = shape('head_shape', [0, 0, heads, hidden / heads]);
  const mergeShape = shape('merge_shape', [0, 0, hidden]);
  const scale = scalar('attn_scale', 1 / Math.sqrt(hidden / heads));
  let x = 'hidden_states';
  for (let l = 0; l < layers; l++) {
    const p = `/encoder/layer.${l}`;
    const n = (op: string, scope: string, inputs: string[], attributes?: NodeSpec['attributes']) => {
      const out = `${p}/${scope}/${op}_output_0`;
      nodes.push({ name: `${p}/${scope}/${op}`, opType: op, inputs, outputs: [out], ...(attributes ? { attributes } : {}) });
      return out;
    };
    const proj = (scope: string, input: string, din: number, dout: number) => {
      const mm = n('MatMul', scope, [input, weight(`encoder.layer.${l}.${scope.replace(/\//g, '.')}.weight`, [din, dout])]);
      return n('Add', scope, [mm, weight(`encoder.layer.${l}.${scope.replace(/\//g, '.')}.bias`, [dout])]);
    };
    const split = (t: string, scope: string) => n('Transpose', `${scope}/heads`, [n('Reshape', `${scope}/heads`, [t, headShape])], { perm: { ints: [0, 2, 1, 3] } });
    const q = split(proj('attention/self/query', x, hidden, hidden), 'attention/self/query');
    const k = split(proj('attention/self/key', x, hidden, hidden), 'attention/self/key');
    const v = split(proj('attention/self/value', x, hidden, hidden), 'attention/self/value');
    const kt = n('Transpose', 'attention/self/key_t', [k], { perm: { ints: [0, 1, 3, 2] } });
    const scores = n('Mul', 'attention/self', [n('MatMul', 'attention/self/scores', [q, kt]), scale]);
    const probs = n('Softmax', 'attention/self', [scores], { axis: { i: -1 } });
    const ctx = n('Reshape', 'attention/self/merge', [n('Transpose', 'attention/self/merge', [n('MatMul', 'attention/self/context', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }), mergeShape]);
    const attnOut = proj('attention/output/dense', ctx, hidden, hidden);
    const ln1 = n('LayerNormalization', 'attention/output/LayerNorm', [n('Add', 'attention/output/residual', [attnOut, x]), weight(`encoder.layer.${l}.attention.output.LayerNorm.weight`, [hidden]), weight(`encoder.layer.${l}.attention.output.LayerNorm.bias`, [hidden])], { axis: { i: -1 }, epsilon: { f: 1e-12 } });
    const inter = n('Gelu', 'intermediate', [proj('intermediate/dense', ln1, hidden, ffn)]);
    const out = proj('output/dense', inter, ffn, hidden);
    x = n('LayerNormalization', 'output/LayerNorm', [n('Add', 'output/residual', [out, ln1]), weight(`encoder.layer.${l}.output.LayerNorm.weight`, [hidden]), weight(`encoder.layer.${l}.output.LayerNorm.bias`, [hidden])], { axis: { i: -1 }, epsilon: { f: 1e-12 } });
  }
  nodes.push({ name: '/Identity', opType: 'Identity', inputs: [x], outputs: ['last_hidden_state'] });
  const model = encodeModel({
    irVersion: 10,
    producerName: 'inference-lens-bench',
    opsets: [{ domain: '', version: 20 }],
    graph: {
      name: 'encoder',
      nodes,
      initializers: inits,
      inputs: [{ name: 'hidden_states', elemType: DataType.FLOAT, shape: ['batch', 'sequence', hidden] }],
      outputs: [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['batch', 'sequence', hidden] }],
    },
  });
  return { model, externalBytes: offset, weightBytes };
}

/**
 * A tiny decoder-only language model with a KV cache in the Hugging Face Optimum layout
 * (input_ids, attention_mask, position_ids, past_key_values.N.key/value → logits, present.N.key/value),
 * one attention head per layer, random-but-fixed weights. Runs in ORT; greedy decoding is deterministic.
 */
export function tinyDecoderModel(opts: { layers: number; vocab: number; dim: number; maxPositions?: number }): Uint8Array {
  const { layers, vocab, dim } = opts;
  const maxPos = opts.maxPositions ?? 4096;
  let seed = 1;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647) * 2 - 1;
  };
  const mat = (name: string, r: number, c: number, scale = 0.2): TensorSpec => ({ name, dataType: DataType.FLOAT, dims: [r, c], raw: f32(Array.from({ length: r * c }, () => rnd() * scale)) });
  const inits: TensorSpec[] = [
    mat('embed_tokens', vocab, dim, 1),
    mat('embed_positions', maxPos, dim, 0.1),
    mat('lm_head', dim, vocab, 0.5),
    { name: 'axes_1', dataType: DataType.INT64, dims: [1], raw: i64([1]) },
  ];
  const nodes: NodeSpec[] = [
    { name: '/embed/Gather', opType: 'Gather', inputs: ['embed_tokens', 'input_ids'], outputs: ['tok'] },
    { name: '/embed/pos', opType: 'Gather', inputs: ['embed_positions', 'position_ids'], outputs: ['pos'] },
    { name: '/embed/Add', opType: 'Add', inputs: ['tok', 'pos'], outputs: ['h0'] },
    // The mask scales nothing (all ones) but is consumed, as real models do.
    { name: '/mask/Cast', opType: 'Cast', inputs: ['attention_mask'], outputs: ['mask_f'], attributes: { to: { i: DataType.FLOAT } } },
    { name: '/mask/ReduceMax', opType: 'ReduceMax', inputs: ['mask_f'], outputs: ['mask_max'], attributes: { keepdims: { i: 0 } } },
    { name: '/mask/Mul', opType: 'Mul', inputs: ['h0', 'mask_max'], outputs: ['h_in_0'] },
    // Causal mask [seq, total]: key j is visible to query i when j <= past + i.
    { name: '/causal/q_len', opType: 'Shape', inputs: ['input_ids'], outputs: ['q_len'], attributes: { start: { i: 1 }, end: { i: 2 } } },
    { name: '/causal/total_len', opType: 'Shape', inputs: ['attention_mask'], outputs: ['total_len'], attributes: { start: { i: 1 }, end: { i: 2 } } },
    { name: '/causal/past_len', opType: 'Sub', inputs: ['total_len', 'q_len'], outputs: ['past_len_1d'] },
    { name: '/causal/past_scalar', opType: 'Squeeze', inputs: ['past_len_1d'], outputs: ['past_len'] },
    { name: '/causal/shape', opType: 'Concat', inputs: ['q_len', 'total_len'], outputs: ['mask_shape'], attributes: { axis: { i: 0 } } },
    { name: '/causal/ones', opType: 'ConstantOfShape', inputs: ['mask_shape'], outputs: ['ones'], attributes: { value: { t: { dataType: DataType.FLOAT, dims: [1], raw: f32([1]) } } } },
    { name: '/causal/tril', opType: 'Trilu', inputs: ['ones', 'past_len'], outputs: ['visible'], attributes: { upper: { i: 0 } } },
    { name: '/causal/hidden', opType: 'Sub', inputs: ['one', 'visible'], outputs: ['hidden'] },
    { name: '/causal/bias', opType: 'Mul', inputs: ['hidden', 'neg_inf'], outputs: ['causal_bias'] },
  ];
  inits.push(
    { name: 'one', dataType: DataType.FLOAT, dims: [], raw: f32([1]) },
    { name: 'neg_inf', dataType: DataType.FLOAT, dims: [], raw: f32([-1e9]) },
  );
  const inputs: ValueSpecT[] = [
    { name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'total_sequence_length'] },
    { name: 'position_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
  ];
  const outputs: ValueSpecT[] = [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', 'sequence_length', vocab] }];
  let h = 'h_in_0';
  for (let l = 0; l < layers; l++) {
    const p = `/layers.${l}/attn`;
    inits.push(mat(`layers.${l}.q`, dim, dim), mat(`layers.${l}.k`, dim, dim), mat(`layers.${l}.v`, dim, dim));
    for (const kv of ['key', 'value']) {
      inputs.push({ name: `past_key_values.${l}.${kv}`, elemType: DataType.FLOAT, shape: ['batch_size', 1, 'past_sequence_length', dim] });
      outputs.push({ name: `present.${l}.${kv}`, elemType: DataType.FLOAT, shape: ['batch_size', 1, 'total_sequence_length', dim] });
    }
    nodes.push(
      { name: `${p}/q`, opType: 'MatMul', inputs: [h, `layers.${l}.q`], outputs: [`${p}/q_out`] },
      { name: `${p}/k`, opType: 'MatMul', inputs: [h, `layers.${l}.k`], outputs: [`${p}/k_out`] },
      { name: `${p}/v`, opType: 'MatMul', inputs: [h, `layers.${l}.v`], outputs: [`${p}/v_out`] },
      { name: `${p}/q4`, opType: 'Unsqueeze', inputs: [`${p}/q_out`, 'axes_1'], outputs: [`${p}/q4_out`] },
      { name: `${p}/k4`, opType: 'Unsqueeze', inputs: [`${p}/k_out`, 'axes_1'], outputs: [`${p}/k4_out`] },
      { name: `${p}/v4`, opType: 'Unsqueeze', inputs: [`${p}/v_out`, 'axes_1'], outputs: [`${p}/v4_out`] },
      { name: `${p}/cache_k`, opType: 'Concat', inputs: [`past_key_values.${l}.key`, `${p}/k4_out`], outputs: [`present.${l}.key`], attributes: { axis: { i: 2 } } },
      { name: `${p}/cache_v`, opType: 'Concat', inputs: [`past_key_values.${l}.value`, `${p}/v4_out`], outputs: [`present.${l}.value`], attributes: { axis: { i: 2 } } },
      { name: `${p}/kT`, opType: 'Transpose', inputs: [`present.${l}.key`], outputs: [`${p}/kT_out`], attributes: { perm: { ints: [0, 1, 3, 2] } } },
      { name: `${p}/scores`, opType: 'MatMul', inputs: [`${p}/q4_out`, `${p}/kT_out`], outputs: [`${p}/scores_out`] },
      { name: `${p}/mask`, opType: 'Add', inputs: [`${p}/scores_out`, 'causal_bias'], outputs: [`${p}/scores_masked`] },
      { name: `${p}/softmax`, opType: 'Softmax', inputs: [`${p}/scores_masked`], outputs: [`${p}/probs`], attributes: { axis: { i: -1 } } },
      { name: `${p}/ctx`, opType: 'MatMul', inputs: [`${p}/probs`, `present.${l}.value`], outputs: [`${p}/ctx_out`] },
      { name: `${p}/squeeze`, opType: 'Squeeze', inputs: [`${p}/ctx_out`, 'axes_1'], outputs: [`${p}/ctx3`] },
      { name: `${p}/residual`, opType: 'Add', inputs: [h, `${p}/ctx3`], outputs: [`h_in_${l + 1}`] },
    );
    h = `h_in_${l + 1}`;
  }
  nodes.push({ name: '/lm_head/MatMul', opType: 'MatMul', inputs: [h, 'lm_head'], outputs: ['logits'] });
  return encodeModel({
    irVersion: 10,
    producerName: 'inference-lens-tests',
    opsets: [{ domain: '', version: 17 }],
    graph: { name: 'tiny_decoder', nodes, initializers: inits, inputs, outputs },
  });
}

type ValueSpecT = { name: string; elemType: number; shape?: (number | string | null)[] };

/**
 * mlpModel changed in known ways, to test comparisons (text diff, structural diff):
 *   opset 17 → 18; input x float[batch,4] → float[1,4]; W float → float16 (48 → 24 bytes);
 *   Relu → Sigmoid; a new Mul by a new scalar initializer `scale`; a second output `xw`.
 * Runs in ORT (W is cast back to float by a Cast node, so Cast is new too).
 */
export function mlpVariantModel(): Uint8Array {
  const W16 = new Uint8Array(new Uint16Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => f16bits(v / 10))).buffer);
  return encodeModel({
    irVersion: 10,
    producerName: 'inference-lens-tests',
    producerVersion: '2',
    opsets: [{ domain: '', version: 18 }],
    graph: {
      name: 'mlp',
      nodes: [
        { name: '/fc/Cast', opType: 'Cast', inputs: ['W'], outputs: ['W32'], attributes: { to: { i: DataType.FLOAT } } },
        { name: '/fc/MatMul', opType: 'MatMul', inputs: ['x', 'W32'], outputs: ['xw'] },
        { name: '/fc/Add', opType: 'Add', inputs: ['xw', 'b'], outputs: ['xwb'] },
        { name: '/act/Sigmoid', opType: 'Sigmoid', inputs: ['xwb'], outputs: ['act'] },
        { name: '/scale/Mul', opType: 'Mul', inputs: ['act', 'scale'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'W', dataType: DataType.FLOAT16, dims: [4, 3], raw: W16 },
        { name: 'b', dataType: DataType.FLOAT, dims: [3], raw: f32([0.5, -0.5, 0.25]) },
        { name: 'scale', dataType: DataType.FLOAT, dims: [], raw: f32([2]) },
      ],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 4] }],
      outputs: [
        { name: 'y', elemType: DataType.FLOAT, shape: [1, 3] },
        { name: 'xw', elemType: DataType.FLOAT, shape: [1, 3] },
      ],
    },
  });
}

/** IEEE half-precision bits of a float (round to nearest; normal range only, enough for test weights). */
function f16bits(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | Math.round(mant / 0x2000);
}

/**
 * A small conv net with hand-checkable costs: x float[batch,3,H,W] → Conv 3→4 (3x3, pad 1, bias) → Relu
 * → depthwise Conv (group 4, 3x3, stride 2, pad 1) → MaxPool 2x2/2 → GlobalAveragePool → Flatten →
 * Gemm 4→2 (bias). Node names carry module scopes (`/features/conv1/Conv`). Runs in ORT.
 */
export function convNetModel(): Uint8Array {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647) * 2 - 1;
  };
  const w = (name: string, dims: number[]): TensorSpec => ({ name, dataType: DataType.FLOAT, dims, raw: f32(Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 0.3)) });
  return encodeModel({
    irVersion: 9,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'convnet',
      nodes: [
        { name: '/features/conv1/Conv', opType: 'Conv', inputs: ['x', 'conv1.weight', 'conv1.bias'], outputs: ['c1'], attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } },
        { name: '/features/act/Relu', opType: 'Relu', inputs: ['c1'], outputs: ['r1'] },
        { name: '/features/dw/Conv', opType: 'Conv', inputs: ['r1', 'dw.weight'], outputs: ['c2'], attributes: { group: { i: 4 }, kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } },
        { name: '/features/pool/MaxPool', opType: 'MaxPool', inputs: ['c2'], outputs: ['p'], attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
        { name: '/head/gap/GlobalAveragePool', opType: 'GlobalAveragePool', inputs: ['p'], outputs: ['g'] },
        { name: '/head/Flatten', opType: 'Flatten', inputs: ['g'], outputs: ['f'] },
        { name: '/head/fc/Gemm', opType: 'Gemm', inputs: ['f', 'fc.weight', 'fc.bias'], outputs: ['logits'] },
      ],
      initializers: [w('conv1.weight', [4, 3, 3, 3]), w('conv1.bias', [4]), w('dw.weight', [4, 1, 3, 3]), w('fc.weight', [4, 2]), w('fc.bias', [2])],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 3, 'height', 'width'] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 2] }],
    },
  });
}
