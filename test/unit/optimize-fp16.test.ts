/**
 * FP16 conversion on real models, run in ONNX Runtime. Stated bound: on every float output,
 * max |float16 − float32| ≤ 2% of the output's largest magnitude and cosine ≥ 0.999, no NaN/Inf.
 * (PaddleOCR detection, a DBNet whose head multiplies differences by 50 before a sigmoid, is only
 * checked to load and run finite: its binary map flips on float16 rounding.)
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType, type OnnxModel } from '../../src/core/onnx/types';
import { OptimizeError, convertFp16, DEFAULT_KEEP_FP32_OPS } from '../../src/core/optimize';
import { forEachGraph } from '../../src/core/optimize/common';
import { inferElemTypes } from '../../src/core/optimize/elem-types';
import { toFloat16 } from '../../src/core/optimize/fp16';
import { fixturePath, manifest, rng, tmpDir } from '../helpers/fixtures';
import { controlFlowModel, f32, tinyDecoderModel, transformerModel } from '../helpers/models';
import { agreement, feedsFor, fixtureFeeds, listDir, ortIo, runOrt, sha256, writeModelFile, type Feeds } from '../helpers/optimize';

const BOUND = { relError: 0.02, cosine: 0.999 };

/** Casts that do nothing (to the type the value has) or undo each other (float16 → float32 → float16). */
function redundantCasts(m: OnnxModel): string[] {
  const types = inferElemTypes(m);
  const bad: string[] = [];
  forEachGraph(m.graph, (g) => {
    const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    for (const n of g.nodes) {
      if (n.opType !== 'Cast') continue;
      const to = n.attributes.find((a) => a.name === 'to')?.i;
      const x = n.inputs[0]!;
      if (types.get(x) === to) bad.push(`${n.name}: cast to its own type`);
      const p = producer.get(x);
      if (p?.opType === 'Cast' && to === DataType.FLOAT16 && types.get(x) === DataType.FLOAT && types.get(p.inputs[0]!) === DataType.FLOAT16) bad.push(`${p.name} + ${n.name}: float16 → float32 → float16`);
    }
  });
  return bad;
}

async function assertWithinBound(src: string, dst: string, feeds: Feeds, bound = BOUND): Promise<void> {
  const [a, b] = [await runOrt(src, feeds), await runOrt(dst, feeds)];
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const k of Object.keys(a)) {
    assert.equal(b[k]!.type, a[k]!.type, `${k} keeps its type`);
    assert.deepEqual(b[k]!.dims, a[k]!.dims);
    if (a[k]!.type !== 'float32') continue;
    const g = agreement(a[k]!.data as Float32Array, b[k]!.data as Float32Array);
    assert.equal(g.nonFinite, 0, `${k}: no NaN/Inf`);
    assert.ok(g.relError <= bound.relError && g.cosine >= bound.cosine, `${k}: rel ${g.relError.toExponential(2)}, cosine ${g.cosine}`);
  }
}

const isCode = (code: string, re?: RegExp) => (e: unknown) => e instanceof OptimizeError && e.code === code && (!re || re.test(e.message));

describe('FP16: float32 → float16 bits', () => {
  test('round to nearest even, subnormals, clamping at ±65504, Inf/NaN kept, counts', () => {
    const stats = { clamped: 0, flushed: 0 };
    const h = toFloat16(new Float32Array([0, -0, 1, -2, 0.1, 65504, 65519, 70000, -1e9, Infinity, -Infinity, NaN, 2 ** -24, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 6.1035156e-5]), stats);
    const hex = Array.from(h, (x) => x.toString(16).padStart(4, '0'));
    assert.deepEqual(hex, ['0000', '8000', '3c00', 'c000', '2e66', '7bff', '7bff', '7bff', 'fbff', '7c00', 'fc00', '7e00', '0001', '0000', '3c00', '3c02', '0400']);
    assert.equal(stats.clamped, 2, '70000 and -1e9 (65519 rounds to 65504 by itself)');
    assert.equal(stats.flushed, 1, '2^-26');
  });

  test("bit-identical to ONNX Runtime's Cast on 200k values across float16's range", async () => {
    const dir = tmpDir('fp16-bits');
    const cast = writeModelFile(
      dir,
      'cast.onnx',
      encodeModel({
        graph: {
          nodes: [{ opType: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: { i: DataType.FLOAT16 } } }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n'] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT16, shape: ['n'] }],
        },
      }),
    );
    const r = rng(1);
    // Magnitudes from 2^-30 to 2^16 (subnormals, normals, the top of the range), both signs.
    const x = Float32Array.from({ length: 200_000 }, () => (r() < 0.5 ? -1 : 1) * 2 ** (r() * 46 - 30));
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) >= 65520) x[i] = 0;
    const ours = toFloat16(x);
    const theirs = (await runOrt(cast, { x: new ort.Tensor('float32', x, [x.length]) })).y!.data as Uint16Array;
    let diff = 0;
    for (let i = 0; i < x.length; i++) if (ours[i] !== theirs[i]) diff++;
    assert.equal(diff, 0);
  });
});

describe('FP16: models in ONNX Runtime', () => {
  test('transformer encoder: within the bound, float32 inputs/outputs, weights halved, no redundant Casts, source untouched', async () => {
    const dir = tmpDir('fp16-enc');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 2, hidden: 256, ffn: 1024, seed: 8 }).model);
    const hash = sha256(src);
    const dst = path.join(dir, 'encoder.fp16.onnx');
    const rep = await convertFp16(src, dst);
    assert.equal(sha256(src), hash);
    const r = rng(2);
    const feeds = { hidden_states: new ort.Tensor('float32', Float32Array.from({ length: 32 * 256 }, () => r() * 2 - 1), [1, 32, 256]) };
    await assertWithinBound(src, dst, feeds);
    assert.deepEqual(await ortIo(dst), await ortIo(src), 'inputs and outputs stay float32 with the same shapes');
    assert.ok(Math.abs(rep.weightsAfter / rep.weightsBefore - 0.5) < 0.001, `weights ${rep.weightsBefore} → ${rep.weightsAfter}`);
    const f = rep.fp16!;
    assert.equal(f.castsInserted, 2, 'one Cast after the input, one before the output');
    assert.equal(f.nodesKeptFp32, 0);
    const m = await readModel(dst);
    assert.deepEqual(redundantCasts(m), []);
    assert.equal(m.graph.initializers.filter((t) => t.dataType === DataType.FLOAT).length, 0);
    assert.deepEqual(
      rep.changes.filter((c) => c.action === 'cast-inserted').map((c) => [c.target, c.name]),
      [
        ['input', 'hidden_states'],
        ['output', 'last_hidden_state'],
      ],
    );
  });

  test('float16 inputs and outputs on request; ops and nodes kept in float32 with Casts around them', async () => {
    const dir = tmpDir('fp16-io');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 2, hidden: 128, ffn: 256, seed: 9 }).model);
    const io16 = path.join(dir, 'io16.onnx');
    const rep = await convertFp16(src, io16, { keepIoFp32: false });
    assert.equal(rep.fp16!.castsInserted, 0);
    const io = await ortIo(io16);
    assert.deepEqual(io.inputs, { hidden_states: 'float16' });
    assert.deepEqual(io.outputs, { last_hidden_state: 'float16' });
    const r = rng(4);
    const x = Float32Array.from({ length: 8 * 128 }, () => r() * 2 - 1);
    const out16 = await runOrt(io16, { hidden_states: new ort.Tensor('float16', toFloat16(x), [1, 8, 128]) });
    assert.equal(out16.last_hidden_state!.type, 'float16');

    const kept = path.join(dir, 'kept.onnx');
    const keepNode = '/encoder/layer.0/intermediate/Gelu';
    const rep2 = await convertFp16(src, kept, { keepFp32Ops: [...DEFAULT_KEEP_FP32_OPS, 'LayerNormalization'], keepFp32Nodes: [keepNode] });
    assert.equal(rep2.fp16!.nodesKeptFp32, 2 * 2 + 1);
    const m = await readModel(kept);
    const ln = m.graph.nodes.find((n) => n.opType === 'LayerNormalization')!;
    const types = inferElemTypes(m);
    assert.equal(types.get(ln.inputs[0]!), DataType.FLOAT, 'LayerNormalization reads float32');
    assert.equal(m.graph.initializers.find((t) => t.name === ln.inputs[1])!.dataType, DataType.FLOAT, 'and its scale stays float32');
    const gelu = m.graph.nodes.find((n) => n.name === keepNode)!;
    assert.equal(types.get(gelu.outputs[0]!), DataType.FLOAT);
    assert.deepEqual(redundantCasts(m), []);
    await assertWithinBound(src, kept, { hidden_states: new ort.Tensor('float32', x, [1, 8, 128]) });
    await assert.rejects(convertFp16(src, path.join(dir, 'typo.onnx'), { keepFp32Nodes: ['/encoder/layer.0/Gelu'] }), isCode('bad-option', /no node named/));
  });

  for (const id of ['silero-vad', 'ppocr-rec', 'ppocr-cls']) {
    test(`${id}: within the bound${id === 'silero-vad' ? ' (If subgraphs converted with their node)' : ''}`, async () => {
      const fx = manifest.models.find((m) => m.id === id)!;
      const src = fixturePath(fx.path);
      const hash = sha256(src);
      const dst = path.join(tmpDir('fp16-fx'), `${id}.fp16.onnx`);
      const rep = await convertFp16(src, dst);
      assert.ok(rep.fp16!.tensorsConverted > 50);
      assert.ok(rep.bytesAfter < rep.bytesBefore * 0.55, `${rep.bytesBefore} → ${rep.bytesAfter}`);
      await assertWithinBound(src, dst, await fixtureFeeds(id, src));
      assert.deepEqual(redundantCasts(await readModel(dst)), []);
      assert.equal(sha256(src), hash);
    });
  }

  test('ppocr-det: weights with varied values beyond ±65504 keep their nodes in float32 (no clamping); ORT runs it finite', async () => {
    const fx = manifest.models.find((m) => m.id === 'ppocr-det')!;
    const src = fixturePath(fx.path);
    const dst = path.join(tmpDir('fp16-det'), 'det.fp16.onnx');
    const rep = await convertFp16(src, dst);
    assert.equal(rep.fp16!.valuesClamped, 0);
    const auto = rep.changes.filter((c) => c.action === 'kept-fp32' && /float16 ends at/.test(c.detail));
    assert.ok(auto.length >= 1 && auto.every((c) => c.opType === 'BatchNormalization'), JSON.stringify(auto));
    const out = await runOrt(dst, await fixtureFeeds(fx.id, src));
    for (const o of Object.values(out)) assert.ok(Array.from(o.data as Float32Array).every(Number.isFinite));
  });

  test('a fill value beyond float16 (an attention mask of -1e9) is clamped and counted; logits agree, same greedy token', async () => {
    const dir = tmpDir('fp16-clamp');
    const src = writeModelFile(dir, 'decoder.onnx', tinyDecoderModel({ layers: 2, vocab: 64, dim: 32 }));
    const dst = path.join(dir, 'decoder.fp16.onnx');
    const rep = await convertFp16(src, dst);
    assert.equal(rep.fp16!.valuesClamped, 1, 'neg_inf = -1e9');
    assert.match(rep.warnings.join('\n'), /1 value outside float16's range clamped to ±65504 in neg_inf/);
    const feeds = await feedsFor(src, { dims: { batch_size: 1, sequence_length: 6, past_sequence_length: 0, total_sequence_length: 6 } });
    await assertWithinBound(src, dst, feeds);
    const [a, b] = [await runOrt(src, feeds), await runOrt(dst, feeds)];
    const argmax = (d: Float32Array, row: number) => {
      let best = 0;
      for (let i = 1; i < 64; i++) if (d[row * 64 + i]! > d[row * 64 + best]!) best = i;
      return best;
    };
    for (let t = 0; t < 6; t++) assert.equal(argmax(b.logits!.data as Float32Array, t), argmax(a.logits!.data as Float32Array, t), `token ${t}`);
  });

  test('a varied weight beyond ±65504 keeps its MatMul in float32; Casts of the model that become redundant are removed', async () => {
    const dir = tmpDir('fp16-range');
    const r = rng(6);
    const W = Array.from({ length: 4 * 4 }, (_, i) => (i % 3 === 0 ? 7e4 + i * 1000 : r()));
    const src = writeModelFile(
      dir,
      'm.onnx',
      encodeModel({
        opsets: [{ domain: '', version: 17 }],
        graph: {
          nodes: [
            { name: 'relu', opType: 'Relu', inputs: ['x'], outputs: ['a'] },
            // A model partly converted by hand: to float16 and back.
            { name: 'to16', opType: 'Cast', inputs: ['a'], outputs: ['a16'], attributes: { to: { i: DataType.FLOAT16 } } },
            { name: 'to32', opType: 'Cast', inputs: ['a16'], outputs: ['a32'], attributes: { to: { i: DataType.FLOAT } } },
            { name: 'scale', opType: 'Mul', inputs: ['a32', 'half'], outputs: ['b'] },
            { name: 'big', opType: 'MatMul', inputs: ['b', 'W'], outputs: ['c'] },
            { name: 'out', opType: 'Sigmoid', inputs: ['c'], outputs: ['y'] },
          ],
          initializers: [
            { name: 'W', dataType: DataType.FLOAT, dims: [4, 4], raw: f32(W) },
            { name: 'half', dataType: DataType.FLOAT, dims: [], raw: f32([0.5]) },
          ],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n', 4] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 4] }],
        },
      }),
    );
    const dst = path.join(dir, 'm.fp16.onnx');
    const rep = await convertFp16(src, dst);
    assert.equal(rep.fp16!.valuesClamped, 0);
    assert.deepEqual(
      rep.changes.filter((c) => c.action === 'kept-fp32').map((c) => c.name),
      ['big'],
    );
    assert.deepEqual(rep.changes.filter((c) => c.action === 'cast-removed').map((c) => c.name).sort(), ['to16', 'to32']);
    assert.equal(rep.fp16!.castsRemoved, 2);
    const m = await readModel(dst);
    assert.equal(m.graph.initializers.find((t) => t.name === 'W')!.dataType, DataType.FLOAT);
    assert.deepEqual(redundantCasts(m), []);
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 12 }, () => r() * 1e-3), [3, 4]) };
    await assertWithinBound(src, dst, feeds);
  });

  test('If/Loop subgraphs and a local function', async () => {
    const dir = tmpDir('fp16-cf');
    const src = writeModelFile(dir, 'cf.onnx', controlFlowModel());
    const dst = path.join(dir, 'cf.fp16.onnx');
    await convertFp16(src, dst);
    for (const cond of [true, false]) {
      const feeds = { cond: new ort.Tensor('bool', [cond], []), x: new ort.Tensor('float32', new Float32Array([1.5, -2, 3.25]), [3]) };
      await assertWithinBound(src, dst, feeds);
    }
    const m = await readModel(dst);
    const iff = m.graph.nodes.find((n) => n.opType === 'If')!;
    for (const a of iff.attributes) assert.equal(a.g!.outputs[0]!.type.kind === 'tensor' && a.g!.outputs[0]!.type.elemType, DataType.FLOAT16, `${a.name} computes in float16`);
  });

  test('nothing written when the model has no float32 values, or on cancel', async () => {
    const dir = tmpDir('fp16-none');
    const src = writeModelFile(
      dir,
      'int.onnx',
      encodeModel({ graph: { nodes: [{ opType: 'Neg', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', elemType: DataType.INT32, shape: [2] }], outputs: [{ name: 'y', elemType: DataType.INT32, shape: [2] }] } }),
    );
    await assert.rejects(convertFp16(src, path.join(dir, 'out.onnx')), isCode('unsupported', /no float32/));
    const enc = writeModelFile(dir, 'enc.onnx', transformerModel({ layers: 2, hidden: 256, ffn: 1024, seed: 1 }).model);
    const before = listDir(dir);
    const ac = new AbortController();
    await assert.rejects(convertFp16(enc, path.join(dir, 'enc.fp16.onnx'), {}, { signal: ac.signal, onProgress: (p) => p.stage === 'write' && p.doneBytes > 0 && ac.abort() }), isCode('cancelled'));
    assert.deepEqual(listDir(dir), before);
  });
});
