/**
 * Shape rules op by op, against ONNX Runtime: one model with the ops real exports use, in the forms
 * opset 13 and opset 18 give them (axes as attributes or inputs, Split by sizes or num_outputs, Pad
 * with axes, Resize by scales or sizes, negative-step Slice, ceil-mode pooling, a Loop with scan
 * outputs...), on symbolic input dims. Every value is exposed and run in ORT at two input sizes;
 * every inferred dim must equal ORT's (unknown is allowed only where the size depends on data).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeModel, evalDim } from '../../src/core/insight';
import { readModel, summarize } from '../../src/core/onnx';
import { encodeModel, type NodeSpec, type TensorSpec } from '../../src/core/onnx/proto-writer';
import { DataType, dataTypeName } from '../../src/core/onnx/types';
import { synthesizeInputs } from '../../src/core/inputs/synthesize';
import { ORT_TYPE, tmpDir } from '../helpers/fixtures';
import { f32 } from '../helpers/models';
import { observeValues } from '../helpers/ort-truth';

const BIG = 9223372036854775807n;

function zooModel(opset: 13 | 18): Uint8Array {
  const inits: TensorSpec[] = [];
  const ints = (name: string, v: (number | bigint)[], dims = [v.length]) => {
    inits.push({ name, dataType: DataType.INT64, dims, raw: new Uint8Array(new BigInt64Array(v.map((x) => BigInt(x))).buffer) });
    return name;
  };
  const floats = (name: string, dims: number[], fill = 0.1) => {
    inits.push({ name, dataType: DataType.FLOAT, dims, raw: f32(new Array(dims.reduce((a, b) => a * b, 1)).fill(fill)) });
    return name;
  };
  const nodes: NodeSpec[] = [];
  const n = (opType: string, inputs: string[], outputs: string[] | number = 1, attributes?: NodeSpec['attributes']) => {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, k) => `${opType.toLowerCase()}_${nodes.length}_${k}`) : outputs;
    nodes.push({ name: `/zoo/${opType}_${nodes.length}`, opType, inputs, outputs: outs, ...(attributes ? { attributes } : {}) });
    return outs;
  };
  const axesArg = (name: string, axes: number[]) => (opset >= 18 ? { input: ints(name, axes) } : { attr: { axes: { ints: axes } } });
  const x = 'x';
  const [shape] = n('Shape', [x]);
  // Split: equal parts (num_outputs in 18, by count of outputs in 13) and by sizes.
  if (opset >= 18) n('Split', [x], 3, { axis: { i: 1 }, num_outputs: { i: 3 } });
  else n('Split', [x], 3, { axis: { i: 1 } });
  n('Split', [x, ints('split_sizes', [1, 5])], 2, { axis: { i: 1 } });
  // Reductions: axes as input (18) or attribute (13); ReduceSum takes an input from 13.
  const rmAxes = axesArg('rm_axes', [2, 3]);
  const [rm] = n('ReduceMean', rmAxes.input ? [x, rmAxes.input] : [x], 1, { keepdims: { i: 1 }, ...(rmAxes.attr ?? {}) });
  const [rs] = n('ReduceSum', [x, ints('rs_axes', [1])], 1, { keepdims: { i: 0 } });
  n('ReduceMax', [x], 1, { keepdims: { i: 0 } });
  // Pad: with axes (18) or all axes (13).
  if (opset >= 18) n('Pad', [x, ints('pads_axes_vals', [1, 2, 3, 4]), '', ints('pad_axes', [2, 3])]);
  else n('Pad', [x, ints('pads_all', [0, 0, 1, 2, 0, 0, 3, 4])]);
  // Resize by scales, and by sizes built from the input's shape.
  n('Resize', [x, '', floats('scales', [4], 2)].map((v, k) => (k === 2 ? 'scales_v' : v)), 1, { mode: { s: 'nearest' } });
  inits.pop();
  inits.push({ name: 'scales_v', dataType: DataType.FLOAT, dims: [4], raw: f32([1, 1, 2, 0.5]) });
  const [bc] = n('Slice', [shape, ints('s0', [0]), ints('s2', [2])]);
  const [sizes] = n('Concat', [bc, ints('hw', [5, 7])], 1, { axis: { i: 0 } });
  n('Resize', [x, '', '', sizes], 1, { mode: { s: 'linear' } });
  // Slices: negative step from the end, INT64_MAX ends, a symbolic end from Shape.
  n('Slice', [x, ints('neg1', [-1]), ints('minbig', [-BIG]), ints('ax3', [3]), ints('stepm2', [-2])]);
  n('Slice', [x, ints('one', [1]), ints('maxbig', [BIG]), ints('ax2', [2])]);
  const [hEnd] = n('Gather', [shape, ints('idx2', [2], [])], 1, { axis: { i: 0 } });
  const [hEnd1] = n('Unsqueeze', [hEnd, ints('unsq0', [0])]);
  n('Slice', [x, ints('zero', [0]), hEnd1, ints('ax3b', [3])]);
  // Layout and matrix products.
  const [tr] = n('Transpose', [x], 1, { perm: { ints: [0, 2, 3, 1] } });
  const [rsh] = n('Reshape', [tr, ints('target', [0, -1, 6])]);
  n('MatMul', [rsh, floats('W64', [6, 4])]);
  n('Einsum', [rsh, 'W64'], 1, { equation: { s: 'bnc,cd->bdn' } });
  n('Gemm', [floats('A', [3, 6]), 'W64'], 1, {});
  n('Gather', [x, ints('gidx', [0, 2])], 1, { axis: { i: 1 } });
  n('Flatten', [x], 1, { axis: { i: 2 } });
  n('TopK', [rsh, ints('k3', [3])], 2, { axis: { i: -1 } });
  n('ArgMax', [x], 1, { axis: { i: 1 }, keepdims: { i: 0 } });
  n('LayerNormalization', [rsh, floats('ln_s', [6], 1), floats('ln_b', [6])], 1, { axis: { i: -1 } });
  n('Softmax', [x], 1, { axis: { i: 1 } });
  // Convolutions and pooling.
  const [cv] = n('Conv', [x, floats('cw', [8, 6, 3, 3])], 1, { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } });
  n('ConvTranspose', [cv, floats('ctw', [8, 3, 3, 3])], 1, { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, output_padding: { ints: [1, 1] } });
  n('Conv', [x, floats('dw', [6, 1, 3, 3])], 1, { group: { i: 6 }, auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } });
  n('AveragePool', [x], 1, { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } });
  n('MaxPool', [x], 2, { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } });
  n('GlobalAveragePool', [x]);
  n('SpaceToDepth', [x], 1, { blocksize: { i: 2 } });
  // Shape-driven ops.
  n('Expand', [rm, shape]);
  n('Tile', [rm, ints('reps', [1, 1, 2, 3])]);
  n('Range', [ints('r0', [0], []), hEnd, ints('r1', [1], [])]);
  const [hw] = n('Slice', [shape, ints('s2b', [2]), ints('s4', [4])]);
  n('ConstantOfShape', [hw], 1, { value: { t: { dataType: DataType.FLOAT, dims: [1], raw: f32([1]) } } });
  const [gt] = n('Greater', [x, floats('zero_f', [], 0)]);
  n('Where', [gt, x, rm]);
  const [u] = n('Unsqueeze', [rs, ints('us1', [1])]);
  n('Squeeze', [u, ints('sq1', [1])]);
  n('Concat', [x, x], 1, { axis: { i: 1 } });
  n('Cast', [shape], 1, { to: { i: DataType.FLOAT } });
  n('CumSum', [x, ints('cs_axis', [1], [])]);
  if (opset >= 14) n('Trilu', [rsh]);
  // Token ids: embedding lookup, one-hot, a data-dependent NonZero.
  n('Gather', [floats('emb', [10, 4]), 'ids']);
  n('OneHot', ['ids', ints('depth', [10], []), floats('onoff', [2])]);
  n('NonZero', ['ids']);
  // A Loop: 3 iterations, one carried value, one scan output.
  n('Loop', [ints('trip', [3], []), '', rm], ['loop_v', 'loop_scan'], {
    body: {
      g: {
        name: 'body',
        nodes: [
          { name: 'b/add', opType: 'Add', inputs: ['v_in', 'one_f'], outputs: ['v_out'] },
          { name: 'b/id', opType: 'Identity', inputs: ['v_in'], outputs: ['scan_out'] },
          { name: 'b/cond', opType: 'Identity', inputs: ['c_in'], outputs: ['c_out'] },
        ],
        initializers: [{ name: 'one_f', dataType: DataType.FLOAT, dims: [], raw: f32([1]) }],
        inputs: [
          { name: 'i', elemType: DataType.INT64, shape: [] },
          { name: 'c_in', elemType: DataType.BOOL, shape: [] },
          { name: 'v_in', elemType: DataType.FLOAT },
        ],
        outputs: [
          { name: 'c_out', elemType: DataType.BOOL, shape: [] },
          { name: 'v_out', elemType: DataType.FLOAT },
          { name: 'scan_out', elemType: DataType.FLOAT },
        ],
      },
    },
  });
  return encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: opset }],
    graph: {
      name: `zoo${opset}`,
      nodes,
      initializers: inits,
      inputs: [
        { name: 'x', elemType: DataType.FLOAT, shape: ['batch', 6, 'h', 'w'] },
        { name: 'ids', elemType: DataType.INT64, shape: ['batch', 'seq'] },
      ],
      outputs: [{ name: 'loop_scan', elemType: DataType.FLOAT }],
    },
  });
}

describe('op shape rules match ONNX Runtime', () => {
  for (const opset of [13, 18] as const) {
    test(`opset ${opset}: every value of the op zoo, two input sizes`, async (t) => {
      const file = path.join(tmpDir('insight-ops'), `zoo${opset}.onnx`);
      const bytes = zooModel(opset);
      fs.writeFileSync(file, bytes);
      const model = await readModel(file);
      const insight = analyzeModel(model, { useValueInfo: false });
      assert.deepEqual(insight.coverage.unsupportedOps, []);
      assert.deepEqual(insight.warnings, []);
      const names = model.graph.nodes.flatMap((nd) => nd.outputs).filter((o) => o !== 'loop_scan');
      for (const dims of [{ batch: 2, h: 8, w: 10, seq: 5 }, { batch: 1, h: 12, w: 6, seq: 3 }]) {
        const feeds = synthesizeInputs(summarize(model).inputs, { dims, vocabSize: 10 }).tensors;
        const seen = await observeValues(bytes, names, feeds);
        const wrong: string[] = [];
        const unknown: string[] = [];
        for (const [name, got] of seen) {
          const ours = insight.values.get(name)!;
          assert.ok(ours, name);
          if (ours.elemType === null || ORT_TYPE[dataTypeName(ours.elemType)] !== got.type) wrong.push(`${name}: type ${ours.elemType} vs ${got.type}`);
          if (!ours.shape || ours.shape.length !== got.dims.length) {
            wrong.push(`${name}: [${ours.shape?.join(',')}] vs ORT [${got.dims.join(',')}]`);
            continue;
          }
          ours.shape.forEach((d, k) => {
            const v = evalDim(d, dims);
            if (v === null) unknown.push(`${name}[${k}]`);
            else if (v !== got.dims[k]) wrong.push(`${name}[${k}] = ${d} → ${v}, ORT ${got.dims[k]}`);
          });
        }
        t.diagnostic(`opset ${opset} ${JSON.stringify(dims)}: ${seen.size} values, unknown dims: ${unknown.join(', ') || 'none'}`);
        assert.deepEqual(wrong, []);
        // Only NonZero's count depends on the data.
        assert.deepEqual(unknown, [names.find((o) => o.startsWith('nonzero'))! + '[1]']);
      }
      assert.deepEqual(insight.values.get('loop_scan')!.shape, [3, 'batch', 6, 1, 1]);
    });
  }
});
