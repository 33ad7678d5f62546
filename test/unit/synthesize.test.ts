import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { inferVocabSize, InputSynthesisError, synthesizeInputs, unknownDims } from '../../src/core/inputs/synthesize';
import { readModel, summarizeModel, type IoSummary } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';
import { f32, transformerModel } from '../helpers/models';

async function runWith(file: string, dims: Record<string, number> = {}) {
  const s = await summarizeModel(file);
  const { tensors, notes } = synthesizeInputs(s.inputs, { dims, vocabSize: inferVocabSize(await readModel(file)) });
  const session = await ort.InferenceSession.create(file);
  const feeds = Object.fromEntries(tensors.map((t) => [t.name, new ort.Tensor(t.dtype, t.data as never, t.dims)]));
  const out = await session.run(feeds);
  await session.release();
  return { out, tensors, notes };
}

test('synthesized inputs run a real model in ONNX Runtime, with the user\'s dims', async () => {
  const file = fixturePath(manifest.models.find((m) => m.id === 'ppocr-cls')!.path);
  const { out, tensors, notes } = await runWith(file, { 'p2o.DynamicDimension.0': 2, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 });
  assert.deepEqual(tensors[0]!.dims, [2, 3, 48, 192]);
  assert.deepEqual(out['softmax_0.tmp_0']!.dims, [2, 2]);
  assert.deepEqual(notes, []);
});

test('defaults for symbolic dims are named in the notes; one name gets one value', async () => {
  const dir = tmpDir('synth');
  const file = path.join(dir, 'enc.onnx');
  fs.writeFileSync(file, transformerModel({ layers: 1, hidden: 32, ffn: 64 }).model);
  const { out, tensors, notes } = await runWith(file);
  assert.deepEqual(tensors[0]!.dims, [1, 128, 32]);
  assert.deepEqual(out.last_hidden_state!.dims, [1, 128, 32]);
  assert.deepEqual(notes, ['batch = 1 (batch 1)', 'sequence = 128 (sequence 128)']);
});

test('token ids stay inside the vocabulary inferred from the embedding table; masks are ones', async () => {
  const vocab = 37;
  const dir = tmpDir('synth-ids');
  const file = path.join(dir, 'emb.onnx');
  fs.writeFileSync(
    file,
    encodeModel({
      graph: {
        nodes: [
          { opType: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['h'] },
          { opType: 'Cast', inputs: ['attention_mask'], outputs: ['m'], attributes: { to: { i: DataType.FLOAT } } },
          { opType: 'Unsqueeze', inputs: ['m', 'axis'], outputs: ['m3'] },
          { opType: 'Mul', inputs: ['h', 'm3'], outputs: ['y'] },
        ],
        initializers: [
          { name: 'embeddings', dataType: DataType.FLOAT, dims: [vocab, 4], raw: f32(Array.from({ length: vocab * 4 }, (_, i) => i)) },
          { name: 'axis', dataType: DataType.INT64, dims: [1], raw: new Uint8Array(new BigInt64Array([2n]).buffer) },
        ],
        inputs: [
          { name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
          { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch', 'sequence'] },
        ],
        outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 'sequence', 4] }],
      },
    }),
  );
  assert.equal(inferVocabSize(await readModel(file)), vocab);
  const { tensors, out, notes } = await runWith(file, { sequence: 512 });
  const ids = tensors[0]!.data as BigInt64Array;
  assert.equal(ids.length, 512);
  assert.ok([...ids].every((v) => v >= 0n && v < BigInt(vocab)));
  assert.ok(new Set(ids).size > 10, 'ids vary');
  assert.ok([...(tensors[1]!.data as BigInt64Array)].every((v) => v === 1n));
  assert.deepEqual(out.y!.dims, [1, 512, 4]);
  assert.ok(notes.some((n) => n.includes('[0, 37)')));
});

test('absurd or missing shapes give a clear error instead of an allocation', () => {
  const io = (shape: IoSummary['shape'], dtype = 'float'): IoSummary => ({ name: 'x', kind: 'tensor', dtype, shape, text: '' });
  assert.throws(() => synthesizeInputs([io([100000, 100000, 100000])]), (e: unknown) => e instanceof InputSynthesisError && /GiB/.test(e.message));
  assert.throws(() => synthesizeInputs([io(null)]), /declares no shape/);
  assert.throws(() => synthesizeInputs([io(['n'])], { dims: { n: -3 } }), /non-negative/);
  assert.throws(() => synthesizeInputs([io([2], 'string')]), /cannot be synthesized/);
});

test('dims that name nothing in the inputs are reported with the names that would', () => {
  const inputs = [
    { name: 'input_ids', kind: 'tensor', dtype: 'int64', shape: ['batch', 'sequence'], text: '' },
    { name: 'pixel', kind: 'tensor', dtype: 'float32', shape: [1, 3, null, 'width'], text: '' },
  ] as unknown as IoSummary[];
  assert.deepEqual(unknownDims(inputs, { batch: 1, sequence: 8, 'pixel:2': 32, width: 64 }), { unknown: [], known: ['batch', 'sequence', 'width'] });
  assert.deepEqual(unknownDims(inputs, { btach: 1, 'pixel:7': 2, 'nope:0': 1 }).unknown, ['btach', 'pixel:7', 'nope:0']);
});
