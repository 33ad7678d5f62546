/**
 * applyTransform: a recommendation's fix (or a command's choice) into a new file next to the model,
 * with what changed; INT8/FP16/dims in the transform worker, graph optimization in the ORT worker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { summarizeModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { suggestDynamicAxes } from '../../src/core/recommend';
import { quantizeInt8 } from '../../src/core/optimize';
import { applyTransform, describeReport, specOfFix, specTitle } from '../../src/runner/apply-transform';
import { OrtRunError, verifyWithOrt } from '../../src/runner/ort-client';
import { TransformRunError } from '../../src/runner/transform-client';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { f32, transformerModel } from '../helpers/models';

describe('applyTransform', () => {
  let worker = '';
  let transformWorker = '';
  let dir = '';
  let src = '';
  /** Both workers, as the extension passes them. */
  const workers = () => ({ workerPath: worker, transformWorkerPath: transformWorker, ep: 'cpu' as const });
  before(async () => {
    ({ worker, transformWorker } = await bundles());
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
    const a = await applyTransform(src, { kind: 'graph', level: 'extended' }, { ...workers(), onProgress: (_d, m) => progress.push(m) });
    assert.equal(a.outPath, path.join(dir, 'encoder.opt.onnx'));
    assert.equal(a.info.kind, 'optimize-graph');
    assert.equal(a.info.title, 'Optimize graph (extended)');
    const [sa, sb] = [await summarizeModel(src), await summarizeModel(a.outPath)];
    assert.ok(a.info.changes.includes(`nodes ${sa.nodeCount} → ${sb.nodeCount}`), a.info.changes.join('\n'));
    assert.ok(a.info.changes.some((c) => /^LayerNormalization \d+ → 0$/.test(c)), a.info.changes.join('\n'));
    assert.ok(progress.length > 0);
    const b = await applyTransform(src, { kind: 'graph', level: 'extended' }, workers());
    assert.equal(b.outPath, path.join(dir, 'encoder.opt-2.onnx'), 'never over an existing file');
  });

  test("INT8 in the transform worker: model.int8.onnx, the core's bytes, its report as changes, progress", async () => {
    const progress: [number, string][] = [];
    const r = await applyTransform(src, specOfFix({ kind: 'int8' }), { ...workers(), onProgress: (d, m) => progress.push([d, m]) });
    assert.equal(r.outPath, path.join(dir, 'encoder.int8.onnx'));
    assert.equal(r.info.kind, 'int8');
    assert.match(r.info.changes.join('\n'), /6 MatMul\/Gemm quantized \(dynamic\)/);
    assert.ok(fs.statSync(r.outPath).size < fs.statSync(src).size / 2);
    const local = await quantizeInt8(src, path.join(dir, 'local.int8.onnx'));
    assert.ok(fs.readFileSync(r.outPath).equals(fs.readFileSync(local.output)), 'what the core writes in process');
    assert.deepEqual(r.info.changes, describeReport(local));
    assert.equal(progress[0]![1], 'reading encoder.onnx…');
    assert.ok(progress.some(([d, m]) => d > 0 && d <= 1 && /^writing /.test(m)), progress.map((p) => p[1]).join());
    fs.rmSync(local.output);
  });

  test('cancel: the worker is stopped, a typed error, no file next to the model', async () => {
    const before = fs.readdirSync(dir).sort();
    const ac = new AbortController();
    const run = applyTransform(src, { kind: 'fp16', options: {} }, { ...workers(), signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(run, (e: unknown) => e instanceof TransformRunError && e.code === 'cancelled');
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
  });

  test("cancel during graph optimization removes the ORT worker's hidden folder", async () => {
    const big = tmpDir('apply-transform-graph-cancel');
    const model = path.join(big, 'big.onnx');
    fs.writeFileSync(model, transformerModel({ layers: 4, hidden: 512, ffn: 2048, seed: 3 }).model);
    const before = fs.readdirSync(big).sort();
    const ac = new AbortController();
    let seen = '';
    const poll = setInterval(() => {
      seen ||= fs.readdirSync(big).find((n) => n.startsWith('.il-optimize-')) ?? '';
      if (seen) ac.abort();
    }, 5);
    try {
      await assert.rejects(applyTransform(model, { kind: 'graph', level: 'all' }, { ...workers(), signal: ac.signal }), (e: unknown) => e instanceof OrtRunError && e.code === 'cancelled');
    } finally {
      clearInterval(poll);
    }
    assert.match(seen, /^\.il-optimize-\d+-/, 'cancelled while ONNX Runtime was saving');
    assert.deepEqual(fs.readdirSync(big).sort(), before, 'no hidden folder, no output');
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
    const r = await applyTransform(fixed, specOfFix({ kind: 'dynamic-axes', axes }), workers());
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
