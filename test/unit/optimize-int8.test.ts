/**
 * INT8 quantization on real models, run in ONNX Runtime: the result loads, agrees with the float
 * model (cosine ≥ 0.99 on a transformer encoder with trained-like random weights), has no NaN/Inf,
 * MatMul weights shrink ~4x, and the source is byte-identical afterwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { OptimizeError, defaultOutputPath, quantizeInt8, uniqueOutputPath } from '../../src/core/optimize';
import { fixturePath, manifest, rng, tmpDir } from '../helpers/fixtures';
import { f32, tinyDecoderModel, transformerModel } from '../helpers/models';
import { agreement, feedsFor, fixtureFeeds, listDir, ortIo, runOrt, sha256, writeModelFile } from '../helpers/optimize';

const LAYERS = 2;
const HIDDEN = 256;

async function encoder(dir: string): Promise<{ src: string; feeds: Record<string, ort.Tensor> }> {
  const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: LAYERS, hidden: HIDDEN, ffn: 4 * HIDDEN, seed: 42 }).model);
  const r = rng(5);
  const x = Float32Array.from({ length: 2 * 32 * HIDDEN }, () => r() * 2 - 1);
  return { src, feeds: { hidden_states: new ort.Tensor('float32', x, [2, 32, HIDDEN]) } };
}

const isCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof OptimizeError && e.code === code && (!re || re.test(e.message));

describe('INT8 quantization: transformer encoder', () => {
  for (const format of ['dynamic', 'matmulinteger', 'qdq'] as const) {
    for (const perChannel of [false, true]) {
      test(`${format}, ${perChannel ? 'per-channel' : 'per-tensor'}: ORT runs it, cosine ≥ 0.99, weights ~4x smaller, source untouched`, async () => {
        const dir = tmpDir('int8');
        const { src, feeds } = await encoder(dir);
        const hash = sha256(src);
        const dst = defaultOutputPath(src, 'int8');
        const rep = await quantizeInt8(src, dst, { format, perChannel });
        assert.equal(rep.output, dst);
        assert.equal(path.basename(dst), 'encoder.int8.onnx');
        assert.equal(sha256(src), hash, 'source byte-identical');
        // 6 projections per layer; the two attention MatMuls multiply computed values.
        assert.equal(rep.int8!.nodesQuantized, 6 * LAYERS);
        assert.equal(rep.int8!.nodesSkipped, 0);
        const ratio = rep.int8!.weightBytesBefore / rep.int8!.weightBytesAfter;
        assert.ok(ratio > 3.9 && ratio <= 4, `MatMul weights ${ratio.toFixed(3)}x smaller`);
        assert.ok(rep.bytesAfter < rep.bytesBefore / 3.5, `file ${rep.bytesBefore} → ${rep.bytesAfter}`);
        assert.equal(rep.bytesAfter, fs.statSync(dst).size);
        assert.equal(rep.changes.filter((c) => c.action === 'quantized').length, 6 * LAYERS);
        // The float weights are gone from the file; the new ops are there.
        const m = await readModel(dst);
        const ops = new Set(m.graph.nodes.map((n) => n.opType));
        if (format === 'dynamic') assert.ok(ops.has('DynamicQuantizeMatMul') && m.opsetImports.some((o) => o.domain === 'com.microsoft'));
        if (format === 'matmulinteger') {
          assert.ok(ops.has('MatMulInteger') && ops.has('DynamicQuantizeLinear'));
          // Q, K and V read the same input: one DynamicQuantizeLinear for the three.
          assert.equal(m.graph.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear').length, 4 * LAYERS);
        }
        if (format === 'qdq') assert.equal(m.graph.nodes.filter((n) => n.opType === 'DequantizeLinear').length, 6 * LAYERS);
        const floatMatrices = m.graph.initializers.filter((t) => t.dataType === DataType.FLOAT && t.dims.length === 2);
        assert.equal(floatMatrices.length, 0, 'no float32 weight matrix left');
        assert.equal(m.graph.initializers.filter((t) => t.dataType === DataType.INT8).length, 6 * LAYERS);
        const [a, b] = [await runOrt(src, feeds), await runOrt(dst, feeds)];
        const g = agreement(a.last_hidden_state!.data as Float32Array, b.last_hidden_state!.data as Float32Array);
        assert.equal(g.nonFinite, 0);
        assert.ok(g.cosine >= 0.99, `cosine ${g.cosine}`);
        assert.deepEqual(b.last_hidden_state!.dims, [2, 32, HIDDEN]);
      });
    }
  }

  test('excluded nodes stay float32; an unknown node name is refused', async () => {
    const dir = tmpDir('int8-ex');
    const { src, feeds } = await encoder(dir);
    const keep = ['/encoder/layer.0/attention/self/query/MatMul', '/encoder/layer.1/output/dense/MatMul'];
    const dst = path.join(dir, 'ex.onnx');
    const rep = await quantizeInt8(src, dst, { exclude: keep });
    assert.equal(rep.int8!.nodesQuantized, 6 * LAYERS - 2);
    assert.equal(rep.int8!.nodesSkipped, 2);
    assert.deepEqual(
      rep.changes.filter((c) => c.action === 'skipped').map((c) => [c.name, c.detail]),
      keep.map((k) => [k, 'excluded']),
    );
    const m = await readModel(dst);
    for (const k of keep) {
      const n = m.graph.nodes.find((x) => x.name === k)!;
      assert.equal(n.opType, 'MatMul');
      assert.equal(m.graph.initializers.find((t) => t.name === n.inputs[1])!.dataType, DataType.FLOAT);
    }
    const g = agreement((await runOrt(src, feeds)).last_hidden_state!.data as Float32Array, (await runOrt(dst, feeds)).last_hidden_state!.data as Float32Array);
    assert.ok(g.cosine >= 0.99);
    await assert.rejects(quantizeInt8(src, path.join(dir, 'typo.onnx'), { exclude: ['/encoder/layer.0/attention/self/qeury/MatMul'] }), isCode('bad-option', /qeury/));
    assert.ok(!fs.existsSync(path.join(dir, 'typo.onnx')));
  });

  test('never overwrites: the source, an existing file without overwrite; a cancel leaves nothing', async () => {
    const dir = tmpDir('int8-guard');
    const { src } = await encoder(dir);
    await assert.rejects(quantizeInt8(src, src, {}, { overwrite: true }), isCode('same-file'));
    const taken = path.join(dir, 'taken.onnx');
    fs.writeFileSync(taken, 'mine');
    await assert.rejects(quantizeInt8(src, taken), isCode('exists'));
    assert.equal(fs.readFileSync(taken, 'utf8'), 'mine');
    const before = listDir(dir);
    const ac = new AbortController();
    await assert.rejects(
      quantizeInt8(src, path.join(dir, 'cancelled.onnx'), {}, { signal: ac.signal, onProgress: (p) => p.stage === 'write' && p.doneBytes > 0 && ac.abort() }),
      isCode('cancelled'),
    );
    assert.deepEqual(listDir(dir), before);
    const second = uniqueOutputPath(src, 'int8', fs.existsSync);
    assert.equal(path.basename(second), 'encoder.int8.onnx');
    await quantizeInt8(src, second);
    assert.equal(path.basename(uniqueOutputPath(src, 'int8', fs.existsSync)), 'encoder.int8-2.onnx');
  });
});

describe('INT8 quantization: Gemm, shared weights, real models', () => {
  test('Gemm with transB, alpha, beta and a bias: transposed int8 weight, alpha in the scales, beta × C as the bias', async () => {
    const dir = tmpDir('int8-gemm');
    const r = rng(9);
    const W = Array.from({ length: 16 * 32 }, () => r() * 2 - 1); // [N=16, K=32], transB = 1
    const C = Array.from({ length: 16 }, () => r());
    const W2 = Array.from({ length: 16 * 8 }, () => r() * 2 - 1); // [K=16, N=8]
    const src = writeModelFile(
      dir,
      'gemm.onnx',
      encodeModel({
        opsets: [{ domain: '', version: 17 }],
        graph: {
          nodes: [
            { name: 'fc1', opType: 'Gemm', inputs: ['x', 'W', 'C'], outputs: ['h'], attributes: { transB: { i: 1 }, alpha: { f: 0.5 }, beta: { f: 2 } } },
            { name: 'act', opType: 'Relu', inputs: ['h'], outputs: ['a'] },
            { name: 'fc2', opType: 'Gemm', inputs: ['a', 'W2'], outputs: ['y'] },
          ],
          initializers: [
            { name: 'W', dataType: DataType.FLOAT, dims: [16, 32], raw: f32(W) },
            { name: 'C', dataType: DataType.FLOAT, dims: [16], raw: f32(C) },
            { name: 'W2', dataType: DataType.FLOAT, dims: [16, 8], raw: f32(W2) },
          ],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n', 32] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 8] }],
        },
      }),
    );
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 4 * 32 }, () => r() * 2 - 1), [4, 32]) };
    const ref = (await runOrt(src, feeds)).y!.data as Float32Array;
    for (const format of ['dynamic', 'matmulinteger', 'qdq'] as const) {
      for (const perChannel of [false, true]) {
        const dst = path.join(dir, `gemm-${format}-${perChannel}.onnx`);
        const rep = await quantizeInt8(src, dst, { format, perChannel });
        assert.equal(rep.int8!.nodesQuantized, 2, format);
        const m = await readModel(dst);
        const q = m.graph.initializers.find((t) => t.name.startsWith('W_quantized'))!;
        assert.deepEqual(q.dims, format === 'qdq' ? [16, 32] : [32, 16], `${format}: transB weight ${format === 'qdq' ? 'kept' : 'transposed'}`);
        assert.ok(!m.graph.initializers.some((t) => t.name === 'W'), 'float W dropped');
        const g = agreement(ref, (await runOrt(dst, feeds)).y!.data as Float32Array);
        assert.ok(g.cosine >= 0.999 && g.relError < 0.05, `${format} ${perChannel}: cosine ${g.cosine}, rel ${g.relError}`);
      }
    }
  });

  test('KV-cache decoder: q, k, v and the LM head quantized per channel; logits agree, cache outputs unchanged', async () => {
    const dir = tmpDir('int8-decoder');
    const src = writeModelFile(dir, 'decoder.onnx', tinyDecoderModel({ layers: 2, vocab: 64, dim: 32 }));
    const m0 = await readModel(src);
    assert.ok(m0.graph.nodes.some((n) => n.opType === 'MatMul' && n.inputs[1] === 'lm_head'));
    const feeds = await feedsFor(src, { dims: { batch_size: 1, sequence_length: 5, past_sequence_length: 0, total_sequence_length: 5 } });
    const dst = path.join(dir, 'decoder.int8.onnx');
    const rep = await quantizeInt8(src, dst, { perChannel: true });
    assert.equal(rep.int8!.nodesQuantized, 3 * 2 + 1, 'q, k, v per layer and the LM head');
    const [a, b] = [await runOrt(src, feeds), await runOrt(dst, feeds)];
    const g = agreement(a.logits!.data as Float32Array, b.logits!.data as Float32Array);
    assert.ok(g.cosine >= 0.99 && g.nonFinite === 0, `cosine ${g.cosine}`);
    // The KV-cache outputs keep their names and types.
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  });

  test('shared weight read by a non-quantized node is kept, with a warning', async () => {
    const dir = tmpDir('int8-keep');
    const r = rng(3);
    const W = f32(Array.from({ length: 8 * 8 }, () => r() - 0.5));
    const src = writeModelFile(
      dir,
      'tied.onnx',
      encodeModel({
        opsets: [{ domain: '', version: 17 }],
        graph: {
          nodes: [
            { name: 'mm', opType: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
            { name: 'add', opType: 'Add', inputs: ['h', 'W'], outputs: ['y'] },
          ],
          initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [8, 8], raw: W }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [8, 8] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [8, 8] }],
        },
      }),
    );
    const dst = path.join(dir, 'tied.int8.onnx');
    const rep = await quantizeInt8(src, dst);
    assert.match(rep.warnings.join('\n'), /also read by other nodes and kept.*W/);
    const m = await readModel(dst);
    assert.ok(m.graph.initializers.some((t) => t.name === 'W' && t.dataType === DataType.FLOAT));
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 64 }, () => r()), [8, 8]) };
    const g = agreement((await runOrt(src, feeds)).y!.data as Float32Array, (await runOrt(dst, feeds)).y!.data as Float32Array);
    assert.ok(g.cosine >= 0.999);
  });

  test('PaddleOCR recognition: MatMul weights in Constant nodes are quantized, the Constants dropped; ORT runs it', async () => {
    const fx = manifest.models.find((m) => m.id === 'ppocr-rec')!;
    const src = fixturePath(fx.path);
    const hash = sha256(src);
    const dir = tmpDir('int8-rec');
    const dst = path.join(dir, 'rec.int8.onnx');
    const rep = await quantizeInt8(src, dst, { perChannel: true });
    assert.ok(rep.int8!.nodesQuantized >= 8, `${rep.int8!.nodesQuantized} MatMuls quantized`);
    const ratio = rep.int8!.weightBytesBefore / rep.int8!.weightBytesAfter;
    assert.ok(ratio > 3.8, `their weights ${ratio.toFixed(2)}x smaller`);
    const before = await readModel(src);
    const after = await readModel(dst);
    const constants = (m: typeof before) => m.graph.nodes.filter((n) => n.opType === 'Constant').length;
    assert.equal(constants(after), constants(before) - rep.int8!.nodesQuantized, 'one Constant dropped per quantized weight');
    const feeds = await fixtureFeeds(fx.id, src);
    const [a, b] = [await runOrt(src, feeds), await runOrt(dst, feeds)];
    const out = Object.keys(a)[0]!;
    const g = agreement(a[out]!.data as Float32Array, b[out]!.data as Float32Array);
    assert.equal(g.nonFinite, 0);
    assert.ok(g.cosine >= 0.99, `cosine ${g.cosine}`);
    assert.equal(sha256(src), hash);
    // Opset 9: the standard-ops forms need newer opsets, and say so.
    await assert.rejects(quantizeInt8(src, path.join(dir, 'mmi.onnx'), { format: 'matmulinteger' }), isCode('unsupported', /opset 9.*needs 11.*dynamic form/));
  });

  test('MatMuls inside If branches: weights from the enclosing graph and from the branch itself', async () => {
    const dir = tmpDir('int8-if');
    const r = rng(12);
    const mat = (n: number) => f32(Array.from({ length: n }, () => r() * 2 - 1));
    const branch = (name: string, w: string, local: boolean) => ({
      name,
      nodes: [{ name: `${name}/MatMul`, opType: 'MatMul', inputs: ['x', w], outputs: [`${name}_y`] }],
      inputs: [],
      outputs: [{ name: `${name}_y`, elemType: DataType.FLOAT, shape: ['n', 16] }],
      ...(local ? { initializers: [{ name: w, dataType: DataType.FLOAT, dims: [32, 16], raw: mat(512) }] } : {}),
    });
    const src = writeModelFile(
      dir,
      'if.onnx',
      encodeModel({
        opsets: [{ domain: '', version: 17 }],
        graph: {
          nodes: [{ name: 'if', opType: 'If', inputs: ['cond'], outputs: ['y'], attributes: { then_branch: { g: branch('then', 'W_outer', false) }, else_branch: { g: branch('else', 'W_local', true) } } }],
          initializers: [{ name: 'W_outer', dataType: DataType.FLOAT, dims: [32, 16], raw: mat(512) }],
          inputs: [
            { name: 'cond', elemType: DataType.BOOL, shape: [] },
            { name: 'x', elemType: DataType.FLOAT, shape: ['n', 32] },
          ],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 16] }],
        },
      }),
    );
    const dst = path.join(dir, 'if.int8.onnx');
    const rep = await quantizeInt8(src, dst, { perChannel: true });
    assert.equal(rep.int8!.nodesQuantized, 2);
    const m = await readModel(dst);
    assert.deepEqual(m.graph.initializers.map((t) => t.name).sort(), ['W_outer_quantized', 'W_outer_scale'], 'the outer weight is quantized where it is defined');
    const elseBranch = m.graph.nodes[0]!.attributes.find((a) => a.name === 'else_branch')!.g!;
    assert.deepEqual(elseBranch.initializers.map((t) => t.name).sort(), ['W_local_quantized', 'W_local_scale']);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 3 * 32 }, () => r() * 2 - 1), [3, 32]);
    for (const cond of [true, false]) {
      const feeds = { cond: new ort.Tensor('bool', [cond], []), x };
      const g = agreement((await runOrt(src, feeds)).y!.data as Float32Array, (await runOrt(dst, feeds)).y!.data as Float32Array);
      assert.ok(g.cosine >= 0.999, `${cond}: cosine ${g.cosine}`);
    }
  });

  test('a model without MatMul/Gemm weights: nothing to quantize, nothing written', async () => {
    const fx = manifest.models.find((m) => m.id === 'silero-vad')!;
    const dir = tmpDir('int8-none');
    await assert.rejects(quantizeInt8(fixturePath(fx.path), path.join(dir, 'vad.int8.onnx')), isCode('unsupported', /Nothing to quantize/));
    assert.deepEqual(listDir(dir), []);
  });

  test('quantized model inputs and outputs are unchanged for ORT', async () => {
    const dir = tmpDir('int8-io');
    const { src } = await encoder(dir);
    const dst = path.join(dir, 'q.onnx');
    await quantizeInt8(src, dst, { format: 'matmulinteger', perChannel: true });
    assert.deepEqual(await ortIo(dst), await ortIo(src));
  });
});
