/** Input/output dims made symbolic or fixed, checked with ONNX Runtime's own view of the model. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { OptimizeError, defaultOutputPath, parseDimChange, setDims, uniqueOutputPath } from '../../src/core/optimize';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';
import { f32, transformerModel } from '../helpers/models';
import { fixtureFeeds, listDir, ortIo, runOrt, sha256, writeModelFile } from '../helpers/optimize';

const isCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof OptimizeError && e.code === code && (!re || re.test(e.message));

describe('dims', () => {
  test('parseDimChange: name:axis=label and name:axis=value', () => {
    assert.deepEqual(parseDimChange('input_ids:1=sequence', false), { value: 'input_ids', axis: 1, to: 'sequence' });
    assert.deepEqual(parseDimChange('x:-1=640', true), { value: 'x', axis: -1, to: 640 });
    assert.deepEqual(parseDimChange('serving_default:0:0=batch', false), { value: 'serving_default:0', axis: 0, to: 'batch' }, 'names with colons');
    for (const [t, fixed] of [['x=1', true], ['x:0=0', true], ['x:0=batch', true], ['x:0=1batch', false], ['x:a=1', true]] as const) {
      assert.throws(() => parseDimChange(t, fixed), isCode('bad-option'), t);
    }
  });

  test('default output names', () => {
    assert.equal(defaultOutputPath('/m/model.onnx', 'int8'), path.join('/m', 'model.int8.onnx'));
    assert.equal(defaultOutputPath('/m/model.ONNX', 'fp16'), path.join('/m', 'model.fp16.onnx'));
    assert.equal(defaultOutputPath('/m/weights.bin', 'dims'), path.join('/m', 'weights.bin.dims.onnx'));
    assert.equal(defaultOutputPath('/m/model.onnx', 'graph'), path.join('/m', 'model.opt.onnx'));
    const taken = new Set([path.join('/m', 'model.int8.onnx'), path.join('/m', 'model.int8-2.onnx.data')]);
    assert.equal(uniqueOutputPath('/m/model.onnx', 'int8', (p) => taken.has(p)), path.join('/m', 'model.int8-3.onnx'));
  });

  test('fixing a named dim fixes it everywhere (inputs and outputs); ORT sees fixed shapes and enforces them', async () => {
    const dir = tmpDir('dims-fix');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 64, ffn: 128, seed: 1 }).model);
    const hash = sha256(src);
    const dst = defaultOutputPath(src, 'dims');
    const rep = await setDims(src, dst, {
      changes: [
        { value: 'hidden_states', axis: 0, to: 1 },
        { value: 'hidden_states', axis: 1, to: 16 },
      ],
    });
    assert.equal(sha256(src), hash);
    assert.equal(rep.dims!.dimsChanged, 3);
    assert.deepEqual(
      rep.changes.map((c) => [c.target, c.name, c.detail]),
      [
        ['input', 'hidden_states', 'axis 0: batch → 1'],
        ['input', 'hidden_states', 'axis 1: sequence → 16'],
        ['output', 'last_hidden_state', '[batch, sequence, 64] → [1, 16, 64] (same dim name)'],
      ],
    );
    const io = await ortIo(dst);
    assert.deepEqual(io.inputShapes.hidden_states, [1, 16, 64]);
    assert.deepEqual(io.outputShapes.last_hidden_state, [1, 16, 64]);
    const ok = await runOrt(dst, { hidden_states: new ort.Tensor('float32', new Float32Array(16 * 64).fill(0.1), [1, 16, 64]) });
    assert.deepEqual(ok.last_hidden_state!.dims, [1, 16, 64]);
    await assert.rejects(runOrt(dst, { hidden_states: new ort.Tensor('float32', new Float32Array(2 * 16 * 64), [2, 16, 64]) }), /dimension|Got invalid dimensions/i);
    assert.equal(rep.bytesAfter, fs.statSync(dst).size);
    assert.equal(rep.bytesBefore, fs.statSync(src).size);
  });

  test('making a fixed dim symbolic: ORT accepts other sizes; value_info shapes that may depend on it are cleared', async () => {
    const dir = tmpDir('dims-dyn');
    // y = x * s, x: [1, 4] fixed, with value_info for the intermediate.
    const src = writeModelFile(
      dir,
      'fixed.onnx',
      encodeModel({
        opsets: [{ domain: '', version: 17 }],
        graph: {
          nodes: [
            { name: 'mul', opType: 'Mul', inputs: ['x', 's'], outputs: ['t'] },
            { name: 'relu', opType: 'Relu', inputs: ['t'], outputs: ['y'] },
          ],
          initializers: [{ name: 's', dataType: DataType.FLOAT, dims: [4], raw: f32([1, -2, 3, -4]) }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 4] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1, 4] }],
          valueInfo: [{ name: 't', elemType: DataType.FLOAT, shape: [1, 4] }],
        },
      }),
    );
    const dst = path.join(dir, 'dyn.onnx');
    const rep = await setDims(src, dst, { changes: [{ value: 'x', axis: 0, to: 'batch' }] });
    assert.equal(rep.dims!.valueInfoCleared, 1);
    assert.match(rep.warnings.join('\n'), /Outputs keep their fixed dims \(y\).*--dynamic y:0=batch/);
    const m = await readModel(dst);
    const t = m.graph.valueInfo[0]!;
    assert.equal(t.type.kind === 'tensor' && t.type.elemType, DataType.FLOAT, 'element type kept');
    assert.equal(t.type.kind === 'tensor' && t.type.shape, undefined, 'shape cleared');
    const dst2 = path.join(dir, 'dyn2.onnx');
    await setDims(src, dst2, {
      changes: [
        { value: 'x', axis: 0, to: 'batch' },
        { value: 'y', axis: -2, to: 'batch' },
      ],
    });
    const io = await ortIo(dst2);
    assert.deepEqual(io.inputShapes.x, ['batch', 4]);
    assert.deepEqual(io.outputShapes.y, ['batch', 4]);
    const r = await runOrt(dst2, { x: new ort.Tensor('float32', new Float32Array([1, 1, 1, 1, 2, 2, 2, 2, -1, -1, -1, -1]), [3, 4]) });
    assert.deepEqual(Array.from(r.y!.data as Float32Array), [1, 0, 3, 0, 2, 0, 6, 0, 0, 2, 0, 4]);
  });

  test('renaming a symbolic dim and fixing PaddleOCR image sizes', async () => {
    const fx = manifest.models.find((m) => m.id === 'ppocr-cls')!;
    const src = fixturePath(fx.path);
    const dir = tmpDir('dims-ocr');
    const dst = path.join(dir, 'cls.dims.onnx');
    const before = (await ortIo(src)).inputShapes.x!;
    assert.equal(typeof before[0], 'string');
    await setDims(src, dst, {
      changes: [
        { value: 'x', axis: 0, to: 'batch' },
        { value: 'x', axis: 2, to: 48 },
        { value: 'x', axis: 3, to: 192 },
      ],
    });
    const io = await ortIo(dst);
    assert.deepEqual(io.inputShapes.x, ['batch', 3, 48, 192]);
    const out = await runOrt(dst, await fixtureFeeds(fx.id, src));
    assert.deepEqual(out[Object.keys(out)[0]!]!.dims, [1, 2]);
  });

  test('bad requests are refused with what to do; nothing is written', async () => {
    const dir = tmpDir('dims-bad');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 64, ffn: 128 }).model);
    const out = path.join(dir, 'out.onnx');
    await assert.rejects(setDims(src, out, { changes: [] }), isCode('bad-option', /No dims/));
    await assert.rejects(setDims(src, out, { changes: [{ value: 'nope', axis: 0, to: 1 }] }), isCode('bad-option', /'nope' is not an input or output.*hidden_states/));
    await assert.rejects(setDims(src, out, { changes: [{ value: 'hidden_states', axis: 3, to: 1 }] }), isCode('bad-option', /3 dims; axis 3 is out of range/));
    await assert.rejects(setDims(src, out, { changes: [{ value: 'hidden_states', axis: 2, to: 64 }] }), isCode('bad-option', /already 64/));
    await assert.rejects(setDims(src, out, { changes: [{ value: 'hidden_states', axis: 0, to: 0 }] }), isCode('bad-option', /positive integer/));
    assert.deepEqual(listDir(dir), ['encoder.onnx']);
  });
});
