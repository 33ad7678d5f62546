/** applyTransform: a recommendation's fix (or a command's choice) into a new file next to the model, with what changed. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { summarizeModel } from '../../src/core/onnx';
import { applyTransform, specOfFix, specTitle } from '../../src/runner/apply-transform';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';

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
});
