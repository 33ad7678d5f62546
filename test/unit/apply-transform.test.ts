/** applyTransform: a recommendation's fix (or a command's choice) into a new file next to the model, with what changed. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { summarizeModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { suggestDynamicAxes } from '../../src/core/recommend';
import { applyTransform, specOfFix, specTitle } from '../../src/runner/apply-transform';
import { verifyWithOrt } from '../../src/runner/ort-client';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { f32, transformerModel } from '../helpers/models';

describe('applyTransform', () => {
  let worker = '';
  let dir = '';
  let src = '';
  before(async () => {
    worker = (await bundles()).worker;
    dir = tmpDir('apply-transform');
    src = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(src, transformerModel({ layers: 1, hidden: 64, ffn: 128, seed: 1 }).model);
  });

  test('fixes map to transformations', () => {
    assert.deepEqual(specOfFix({ kind: 'optimize-graph', level: 'all' }), { kind: 'graph', level: 'all' });
    assert.deepEqual(specOfFix({ kind: 'int8' }), { kind: 'int8', options: {} });
    assert.deepEqual(specOfFix({ kind: 'dynamic-axes', axes: [{ value: 'x', axis: 0, name: 'batch' }] }), { kind: 'dims', changes: [{ value: 'x', axis: 0, to: 'batch' }] });
    assert.equal(specTitle({ kind: 'int8', options: { perChannel: true } }), 'Quantize to INT8 (per-channel)');
  });

  test('graph optimization: model.opt.onnx, then model.opt-2.onnx; the changes name the fused ops', async () => {
    const progress: string[] = [];
    const a = await applyTransform(src, { kind: 'graph', level: 'extended' }, { workerPath: worker, ep: 'cpu', onProgress: (_d, m) => progress.push(m) });
    assert.equal(a.outPath, path.join(dir, 'encoder.opt.onnx'));
    assert.equal(a.info.kind, 'optimize-graph');
    assert.equal(a.info.title, 'Optimize graph (extended)');
    const [sa, sb] = [await summarizeModel(src), await summarizeModel(a.outPath)];
    assert.ok(a.info.changes.includes(`nodes ${sa.nodeCount} → ${sb.nodeCount}`), a.info.changes.join('\n'));
    assert.ok(a.info.changes.some((c) => /^LayerNormalization \d+ → 0$/.test(c)), a.info.changes.join('\n'));
    assert.ok(progress.length > 0);
    const b = await applyTransform(src, { kind: 'graph', level: 'extended' }, { workerPath: worker, ep: 'cpu' });
    assert.equal(b.outPath, path.join(dir, 'encoder.opt-2.onnx'), 'never over an existing file');
  });

  test('INT8 through the core transformation: model.int8.onnx and its report as changes', async () => {
    const r = await applyTransform(src, specOfFix({ kind: 'int8' }), { workerPath: worker, ep: 'cpu' });
    assert.equal(r.outPath, path.join(dir, 'encoder.int8.onnx'));
    assert.equal(r.info.kind, 'int8');
    assert.match(r.info.changes.join('\n'), /6 MatMul\/Gemm quantized \(dynamic\)/);
    assert.ok(fs.statSync(r.outPath).size < fs.statSync(src).size / 2);
  });

  test('dynamic axes from the suggestion: the fixed batch of the input and the output become symbolic, and the model still runs', async () => {
    const fixed = path.join(dir, 'fixed.onnx');
    fs.writeFileSync(
      fixed,
      encodeModel({
        irVersion: 10,
        opsets: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          nodes: [{ name: 'fc', opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
          initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [4, 3], raw: f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 4] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1, 3] }],
        },
      }),
    );
    const axes = suggestDynamicAxes(await summarizeModel(fixed)).map(({ value, axis, name }) => ({ value, axis, name }));
    assert.deepEqual(axes, [{ value: 'x', axis: 0, name: 'batch' }, { value: 'y', axis: 0, name: 'batch' }]);
    const r = await applyTransform(fixed, specOfFix({ kind: 'dynamic-axes', axes }), { workerPath: worker, ep: 'cpu' });
    assert.equal(r.outPath, path.join(dir, 'fixed.dims.onnx'));
    const s = await summarizeModel(r.outPath);
    assert.deepEqual([s.inputs[0]!.shape, s.outputs[0]!.shape], [['batch', 4], ['batch', 3]]);
    // The same inputs through both: batch 1 fits both models and gives the same numbers.
    const v = await verifyWithOrt(
      { modelA: fixed, modelB: r.outPath, ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: 'all', enableCpuMemArena: true }, dims: {} },
      { workerPath: worker },
    );
    assert.equal(v.outputs[0]!.verdict, 'identical');
    assert.deepEqual(v.inputs[0]!.dims, [1, 4], 'the fixed size of A is used for the symbolic axis of B');
  });
});
