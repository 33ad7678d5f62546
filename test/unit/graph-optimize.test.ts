/**
 * The ORT worker's graph optimization and verification messages: real onnxruntime-node in the
 * bundled worker process, on models the tests build; the results checked with onnxruntime-node in
 * this process, independently of the worker.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { summarizeModel } from '../../src/core/onnx';
import { encodeModel, type NodeSpec } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { OrtRunError, optimizeGraphWithOrt, verifyWithOrt } from '../../src/runner/ort-client';
import type { VerifyRequest } from '../../src/runner/ort-protocol';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { f32, mlpModel, transformerModel } from '../helpers/models';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function expectRunError(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof OrtRunError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** y = x @ W (+ a Cast from float16 first when `fp16Input`), W 4x3; classifier-like output [batch, 3]. */
function linear(opts: { weights: readonly number[]; fp16Input?: boolean }): Uint8Array {
  const nodes: NodeSpec[] = [];
  let x = 'x';
  if (opts.fp16Input) {
    nodes.push({ name: 'cast', opType: 'Cast', inputs: ['x'], outputs: ['x32'], attributes: { to: { i: DataType.FLOAT } } });
    x = 'x32';
  }
  nodes.push({ name: 'fc', opType: 'MatMul', inputs: [x, 'W'], outputs: ['logits'] });
  return encodeModel({
    irVersion: 10,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'linear',
      nodes,
      initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [4, 3], raw: f32(opts.weights) }],
      inputs: [{ name: 'x', elemType: opts.fp16Input ? DataType.FLOAT16 : DataType.FLOAT, shape: ['batch', 4] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 3] }],
    },
  });
}

describe('graph optimization and verification in the ORT worker', () => {
  let worker = '';
  let dir = '';
  let encoder = '';
  const cpu = (over: Partial<VerifyRequest> = {}): VerifyRequest => ({
    modelA: '',
    modelB: '',
    ep: 'cpu',
    allowCpuFallback: false,
    session: { graphOptimizationLevel: 'disabled', enableCpuMemArena: true, intraOpNumThreads: 1 },
    dims: { batch: 2, sequence: 16 },
    ...over,
  });

  before(async () => {
    worker = (await bundles()).worker;
    dir = tmpDir('graph-opt');
    encoder = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(encoder, transformerModel({ layers: 2, hidden: 64, ffn: 128 }).model);
  });

  for (const level of ['basic', 'extended', 'all'] as const) {
    test(`level ${level}: a new model that loads and gives the same outputs; the source is byte-identical`, async () => {
      const before = sha(encoder);
      const out = path.join(dir, `encoder.${level}.onnx`);
      const r = await optimizeGraphWithOrt({ modelPath: encoder, outPath: out, level, ep: 'cpu' }, { workerPath: worker });
      assert.equal(sha(encoder), before, 'source unchanged');
      assert.equal(r.outPath, out);
      assert.equal(r.level, level);
      assert.equal(r.ep, 'cpu');
      assert.equal(r.sizeBytes, fs.statSync(out).size);
      assert.equal(r.externalDataPath, undefined);
      assert.equal(r.notes.some((n) => /same hardware/.test(n)), level === 'all', 'the hardware note comes with level all');
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.il-optimize-')), [], 'no temporary folder left');
      const [sa, sb] = [await summarizeModel(encoder), await summarizeModel(out)];
      if (level !== 'basic') {
        // Extended fusions replace LayerNormalization (+ residual Add) and Gelu with contrib ops.
        assert.ok(sb.nodeCount < sa.nodeCount, `${sb.nodeCount} < ${sa.nodeCount} nodes`);
        assert.ok(sb.opHistogram.some((o) => o.domain === 'com.microsoft'), sb.opHistogram.map((o) => o.op).join());
      }
      // Independent check in this process: the same input through both models.
      const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * 16 * 64 }, (_, i) => Math.sin(i)), [2, 16, 64]);
      const run = async (file: string) => {
        const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled' });
        const y = (await s.run({ hidden_states: x })).last_hidden_state!.data as Float32Array;
        await s.release();
        return y;
      };
      const [ya, yb] = [await run(encoder), await run(out)];
      let max = 0;
      for (let i = 0; i < ya.length; i++) max = Math.max(max, Math.abs(ya[i]! - yb[i]!));
      assert.ok(max < 1e-4, `max abs ${max}`);
      // And the worker's verification agrees.
      const v = await verifyWithOrt(cpu({ modelA: encoder, modelB: out }), { workerPath: worker });
      assert.equal(v.verdict, 'pass');
      assert.deepEqual(v.inputs, [{ name: 'hidden_states', dtype: 'float32', dims: [2, 16, 64] }]);
      assert.equal(v.outputs.length, 1);
      assert.ok(['identical', 'close'].includes(v.outputs[0]!.verdict));
      assert.ok(v.outputs[0]!.maxAbsError < 1e-4);
    });
  }

  test('refuses to overwrite an existing file or the source; overwrite replaces', async () => {
    const out = path.join(dir, 'taken.onnx');
    fs.writeFileSync(out, 'mine');
    await expectRunError(optimizeGraphWithOrt({ modelPath: encoder, outPath: out, level: 'basic', ep: 'cpu' }, { workerPath: worker }), 'bad-input', /already exists/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'mine');
    await expectRunError(optimizeGraphWithOrt({ modelPath: encoder, outPath: encoder, level: 'basic', ep: 'cpu', overwrite: true }, { workerPath: worker }), 'bad-input', /overwrite the source/);
    await optimizeGraphWithOrt({ modelPath: encoder, outPath: out, level: 'basic', ep: 'cpu', overwrite: true }, { workerPath: worker });
    assert.ok(fs.statSync(out).size > 1000);
  });

  test('a model with external data gets its optimized weights in <out>.data, and still runs', async () => {
    const sub = tmpDir('graph-opt-ext');
    const m = transformerModel({ layers: 1, hidden: 64, ffn: 128, external: 'weights.bin' });
    const src = path.join(sub, 'ext.onnx');
    fs.writeFileSync(src, m.model);
    // Real values (not a sparse file of zeros) so the check is not trivially equal.
    fs.writeFileSync(path.join(sub, 'weights.bin'), f32(Array.from({ length: m.externalBytes / 4 }, (_, i) => ((i * 7919) % 97) / 970 - 0.05)));
    const before = [sha(src), sha(path.join(sub, 'weights.bin'))];
    const out = path.join(sub, 'ext.opt.onnx');
    const r = await optimizeGraphWithOrt({ modelPath: src, outPath: out, level: 'extended', ep: 'cpu' }, { workerPath: worker });
    assert.equal(r.externalDataPath, `${out}.data`);
    assert.ok(fs.statSync(`${out}.data`).size > 100_000);
    assert.equal(r.sizeBytes, fs.statSync(out).size + fs.statSync(`${out}.data`).size);
    assert.deepEqual([sha(src), sha(path.join(sub, 'weights.bin'))], before);
    const s = await summarizeModel(out);
    assert.deepEqual(s.externalData.files.map((f) => [f.location, f.problem]), [['ext.opt.onnx.data', undefined]]);
    const v = await verifyWithOrt(cpu({ modelA: src, modelB: out, dims: { batch: 1, sequence: 8 } }), { workerPath: worker });
    assert.equal(v.verdict, 'pass');
    assert.ok(v.outputs[0]!.cosine > 0.9999);
  });

  test('a model ONNX Runtime cannot load fails with a message, and nothing is written', async () => {
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, Buffer.from('not a model at all'));
    const out = path.join(dir, 'bad.opt.onnx');
    await expectRunError(optimizeGraphWithOrt({ modelPath: bad, outPath: out, level: 'all', ep: 'cpu' }, { workerPath: worker }), 'model-load-failed');
    assert.ok(!fs.existsSync(out));
  });

  test('verification finds models that disagree: per-output stats and top-1 on a classifier-like output', async () => {
    const a = path.join(dir, 'lin-a.onnx');
    const b = path.join(dir, 'lin-b.onnx');
    const w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10);
    fs.writeFileSync(a, linear({ weights: w }));
    // Column 2 and column 0 swapped: the predicted class changes for most rows.
    fs.writeFileSync(b, linear({ weights: w.map((_, i) => w[i - (i % 3) + (2 - (i % 3))]!) }));
    const v = await verifyWithOrt(cpu({ modelA: a, modelB: b, dims: { batch: 64 } }), { workerPath: worker });
    assert.equal(v.verdict, 'fail');
    const o = v.outputs[0]!;
    assert.equal(o.name, 'logits');
    assert.equal(o.verdict, 'differs');
    assert.ok(o.top1, 'top-1 on [batch, classes]');
    assert.equal(o.top1.rows, 64);
    assert.ok(o.top1.agreement < 0.9, String(o.top1.agreement));
    assert.ok(o.maxAbsError > 0.1);
    // The same seed gives the same inputs: a second run reports the same numbers.
    const again = await verifyWithOrt(cpu({ modelA: a, modelB: b, dims: { batch: 64 } }), { workerPath: worker });
    assert.equal(again.outputs[0]!.maxAbsError, o.maxAbsError);
    const other = await verifyWithOrt(cpu({ modelA: a, modelB: b, dims: { batch: 64 }, seed: 7 }), { workerPath: worker });
    assert.notEqual(other.outputs[0]!.maxAbsError, o.maxAbsError);
  });

  test('a float16-input model gets the float32 inputs cast to float16', async () => {
    const w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10);
    const a = path.join(dir, 'f32.onnx');
    const b = path.join(dir, 'f16in.onnx');
    fs.writeFileSync(a, linear({ weights: w }));
    fs.writeFileSync(b, linear({ weights: w, fp16Input: true }));
    const v = await verifyWithOrt(cpu({ modelA: a, modelB: b, dims: { batch: 8 } }), { workerPath: worker });
    assert.ok(v.inputNotes.some((n) => /x: cast from float32 to float16/.test(n)), v.inputNotes.join('; '));
    const o = v.outputs[0]!;
    assert.ok(o.maxAbsError > 0 && o.maxAbsError < 5e-3, `float16 rounding only: ${o.maxAbsError}`);
    assert.equal(v.verdict, 'pass');
  });

  test('outputs of another shape are a mismatch, not a crash; a missing model B is a load error naming it', async () => {
    const a = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(a, mlpModel().model);
    const b = path.join(dir, 'fixed.onnx');
    // Same input, but the output keeps the 4 features where the MLP gives 3.
    fs.writeFileSync(
      b,
      encodeModel({
        irVersion: 10,
        opsets: [{ domain: '', version: 17 }],
        graph: {
          name: 'g',
          nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 5] }],
        },
      }),
    );
    const v = await verifyWithOrt(cpu({ modelA: a, modelB: b }), { workerPath: worker });
    // Relu(x) has shape [2, 4], not mlp's [2, 3]: a shape mismatch, not a crash.
    assert.equal(v.outputs[0]!.verdict, 'mismatch');
    assert.equal(v.verdict, 'fail');
    await expectRunError(verifyWithOrt(cpu({ modelA: a, modelB: path.join(dir, 'missing.onnx') }), { workerPath: worker }), 'model-load-failed', /missing\.onnx/);
  });
});
