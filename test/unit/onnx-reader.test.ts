import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { OnnxError, readModel, resolveExternalDataPath, summarizeModel, parseModelBuffer } from '../../src/core/onnx';
import { AttributeType } from '../../src/core/onnx/types';
import { fixturePath, independentInitializerCount, independentOpCounts, manifest, ORT_TYPE, tmpDir } from '../helpers/fixtures';
import { allDtypesModel, controlFlowModel, mlpModel } from '../helpers/models';

function ortDims(shape: readonly (number | string | null)[] | null): readonly (number | string)[] {
  // ORT reports unknown dims as '' (no name) or -1 depending on version; we report null.
  return (shape ?? []).map((d) => (d === null ? '?' : d));
}

function normalizeOrtShape(shape: readonly (number | string)[]): readonly (number | string)[] {
  return shape.map((d) => (d === '' || d === -1 ? '?' : d));
}

async function assertMatchesOrt(file: string): Promise<void> {
  const s = await summarizeModel(file);
  const session = await ort.InferenceSession.create(file);
  try {
    const ortInputs = session.inputMetadata;
    const ortOutputs = session.outputMetadata;
    assert.deepEqual(
      s.inputs.map((i) => i.name),
      ortInputs.map((m) => m.name),
      'input names (in order) equal ORT inputMetadata',
    );
    assert.deepEqual(
      s.outputs.map((o) => o.name),
      ortOutputs.map((m) => m.name),
    );
    const check = (ours: (typeof s.inputs)[number], theirs: ort.InferenceSession.ValueMetadata) => {
      assert.equal(theirs.isTensor, ours.kind === 'tensor', `${ours.name} is tensor`);
      if (!theirs.isTensor) return;
      assert.equal(ORT_TYPE[ours.dtype], theirs.type, `${ours.name} dtype`);
      assert.deepEqual(ortDims(ours.shape), normalizeOrtShape(theirs.shape), `${ours.name} shape`);
    };
    s.inputs.forEach((i, k) => check(i, ortInputs[k]!));
    s.outputs.forEach((o, k) => check(o, ortOutputs[k]!));
  } finally {
    await session.release();
  }
}

describe('lazy ONNX reader on real models (fixtures manifest)', () => {
  for (const fx of manifest.models) {
    const file = fixturePath(fx.path);
    test(`${fx.id}: inputs/outputs match ONNX Runtime's metadata`, async () => {
      await assertMatchesOrt(file);
    });

    test(`${fx.id}: op histogram equals an independent full decode`, async () => {
      const s = await summarizeModel(file);
      const independent = independentOpCounts(file);
      const ours = new Map(s.opHistogram.map((o) => [o.op, o.count]));
      assert.deepEqual(Object.fromEntries([...ours].sort()), Object.fromEntries([...independent].sort()));
      assert.equal(s.initializers.count, independentInitializerCount(file));
      // Sorted most frequent first.
      for (let i = 1; i < s.opHistogram.length; i++) assert.ok(s.opHistogram[i - 1]!.count >= s.opHistogram[i]!.count);
    });

    test(`${fx.id}: manifest expectations`, async () => {
      const s = await summarizeModel(file);
      const e = fx.expect;
      if (e.producer !== undefined) assert.equal(s.producer.name, e.producer);
      if (e.irVersion !== undefined) assert.equal(s.irVersion, e.irVersion);
      if (e.mainGraphNodes !== undefined) assert.equal(s.nodeCount, e.mainGraphNodes);
      if (e.hasSubgraphs !== undefined) assert.equal(s.subgraphCount > 0, e.hasSubgraphs);
      if (e.inputs) assert.deepEqual(s.inputs.map((i) => i.name), e.inputs);
      if (e.outputs) assert.deepEqual(s.outputs.map((o) => o.name), e.outputs);
      if (e.weightsInConstants) {
        assert.equal(s.initializers.count, 0);
        assert.ok(s.constants.count > 0 && s.constants.bytes > 100_000, 'weights found in Constant nodes');
        assert.ok(s.parameterCount > 0);
      }
      assert.deepEqual(s.warnings, []);
    });

    test(`${fx.id}: the walk reads no more than the file and the structure equals a full decode`, async () => {
      const m = await readModel(file);
      const full = onnx.ModelProto.decode(fs.readFileSync(file));
      assert.equal(m.graph.nodes.length, full.graph!.node!.length);
      assert.equal(m.irVersion, Number(full.irVersion));
      assert.deepEqual(
        m.opsetImports.map((o) => [o.domain, o.version]),
        full.opsetImport!.map((o) => [o.domain ?? '', Number(o.version)]),
      );
      // Each node's inputs, outputs and attribute names equal the full decode.
      m.graph.nodes.forEach((n, i) => {
        const f = full.graph!.node![i]!;
        assert.deepEqual(n.inputs, f.input);
        assert.deepEqual(n.outputs, f.output);
        assert.equal(n.opType, f.opType);
        assert.deepEqual(n.attributes.map((a) => a.name), (f.attribute ?? []).map((a) => a.name));
      });
      // Inline tensor payload ranges point at exactly the bytes protobufjs decoded.
      const bytes = fs.readFileSync(file);
      const fullInits = full.graph!.initializer ?? [];
      m.graph.initializers.forEach((t, i) => {
        const f = fullInits[i]!;
        assert.equal(t.name, f.name);
        if (t.data.kind === 'inline' && t.data.field === 'raw_data') {
          const slice = bytes.subarray(t.data.range.offset, t.data.range.offset + t.data.range.length);
          assert.ok(Buffer.from(f.rawData!).equals(slice), `raw_data range of ${t.name}`);
        }
      });
    });
  }
});

describe('models the tests build', () => {
  test('every tensor type of the current schema (bfloat16, float8, int4, float4...) with exact byte counts', async () => {
    const { model, expected } = allDtypesModel();
    const dir = tmpDir('dtypes');
    const file = path.join(dir, 'dtypes.onnx');
    fs.writeFileSync(file, model);
    const s = await summarizeModel(file);
    assert.equal(s.irVersion, 11);
    const got = new Map(s.initializers.byDtype.map((d) => [d.dtype, { count: d.count, bytes: d.bytes, elements: d.elements }]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...expected].sort()));
    assert.deepEqual(s.inputs[0]!.shape, [null, 'seq', 8]);
    assert.equal(s.inputs[0]!.text, 'bfloat16[?,seq,8]');
    assert.equal(s.parameterCount, [...expected.values()].reduce((a, e) => a + e.elements, 0));
  });

  test('If/Loop subgraphs and local functions are read and counted', async () => {
    const dir = tmpDir('cf');
    const file = path.join(dir, 'control_flow.onnx');
    fs.writeFileSync(file, controlFlowModel());
    const s = await summarizeModel(file);
    assert.equal(s.nodeCount, 2);
    assert.equal(s.subgraphCount, 3, 'then, else, loop body');
    // main 2 + then 2 + loop body 2 + else 1 + function 1
    assert.equal(s.nodeCountTotal, 8);
    assert.deepEqual(s.functions, [{ domain: 'local', name: 'Double', nodeCount: 1 }]);
    const ops = Object.fromEntries(s.opHistogram.map((o) => [o.op, o.count]));
    assert.deepEqual(ops, { If: 1, 'local.Double': 1, Constant: 1, Loop: 1, Identity: 1, Add: 1, Mul: 1 });
    assert.equal(s.initializers.count, 2, 'initializers inside subgraphs count');
    const m = await readModel(file);
    const ifNode = m.graph.nodes[0]!;
    assert.deepEqual(ifNode.attributes.map((a) => [a.name, a.type]), [
      ['then_branch', AttributeType.GRAPH],
      ['else_branch', AttributeType.GRAPH],
    ]);
    // ORT runs it: the builder writes valid models, and we read what ORT reads.
    const session = await ort.InferenceSession.create(file);
    const x = new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]);
    const r1 = await session.run({ cond: new ort.Tensor('bool', [true], []), x });
    assert.deepEqual([...(r1.y!.data as Float32Array)], [4, 6, 8]);
    const r2 = await session.run({ cond: new ort.Tensor('bool', [false], []), x });
    assert.deepEqual([...(r2.y!.data as Float32Array)], [4, 8, 12]);
    await session.release();
    await assertMatchesOrt(file);
  });

  test('metadata_props, producer and UTF-8 strings', async () => {
    const dir = tmpDir('meta');
    const file = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(file, mlpModel().model);
    const s = await summarizeModel(file);
    assert.deepEqual(s.metadata, [
      { key: 'purpose', value: 'unit test' },
      { key: 'unicode ✓', value: 'ünïcödé' },
    ]);
    assert.deepEqual(s.producer, { name: 'inference-lens-tests', version: '1' });
    assert.equal(s.parameterCount, 15);
    assert.equal(s.initializers.bytes, 60);
    await assertMatchesOrt(file);
  });

  test('external data: tensors keep references, files are sized, ORT loads the same model', async () => {
    const dir = tmpDir('ext');
    const file = path.join(dir, 'mlp.onnx');
    const { model, data } = mlpModel({ external: 'mlp.onnx.data' });
    fs.writeFileSync(file, model);
    fs.writeFileSync(path.join(dir, 'mlp.onnx.data'), data!);
    const s = await summarizeModel(file);
    assert.equal(s.externalData.tensorCount, 2);
    assert.equal(s.externalData.bytes, 60);
    assert.deepEqual(s.externalData.files, [{ location: 'mlp.onnx.data', tensorCount: 2, referencedBytes: 60, sizeBytes: data!.byteLength }]);
    const m = await readModel(file);
    assert.deepEqual(m.graph.initializers[1]!.data, { kind: 'external', location: 'mlp.onnx.data', offset: 4096, length: 12 });
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 0, 0, 0]), [1, 4]) });
    assert.deepEqual([...(out.y!.data as Float32Array)].map((v) => Math.round(v * 100) / 100), [0.6, 0, 0.55]);
    await session.release();
  });

  test('external data: a missing or short file is reported, not fatal', async () => {
    const dir = tmpDir('ext-missing');
    const file = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(file, mlpModel({ external: 'weights.bin' }).model);
    let s = await summarizeModel(file);
    assert.match(s.externalData.files[0]!.problem!, /not found/);
    assert.equal(s.externalData.files[0]!.sizeBytes, null);
    fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(100));
    s = await summarizeModel(file);
    assert.match(s.externalData.files[0]!.problem!, /100 bytes but tensors reference up to byte 4108/);
    assert.ok(s.warnings.some((w) => w.includes('weights.bin')));
  });

  for (const [label, location] of [
    ['a parent-folder path', '../outside.bin'],
    ['an absolute path', '/etc/passwd'],
    ['a nested escape', 'sub/../../outside.bin'],
  ] as const) {
    test(`external data: ${label} is refused`, async () => {
      const root = tmpDir('ext-refuse');
      const dir = path.join(root, 'model');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(root, 'outside.bin'), new Uint8Array(8192));
      const file = path.join(dir, 'm.onnx');
      fs.writeFileSync(file, mlpModel({ external: location }).model);
      assert.throws(() => resolveExternalDataPath(file, location), (e: unknown) => e instanceof OnnxError && e.code === 'external-data-refused');
      const s = await summarizeModel(file);
      assert.equal(s.externalData.files[0]!.sizeBytes, null, 'never stat-ed');
      assert.match(s.externalData.files[0]!.problem!, /refused/);
    });
  }

  test('external data: a symlink inside the folder that leads outside is refused', async () => {
    const root = tmpDir('ext-link');
    const dir = path.join(root, 'model');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(root, 'secret.bin'), new Uint8Array(8192));
    fs.symlinkSync(path.join(root, 'secret.bin'), path.join(dir, 'w.bin'));
    const file = path.join(dir, 'm.onnx');
    fs.writeFileSync(file, mlpModel({ external: 'w.bin' }).model);
    assert.throws(() => resolveExternalDataPath(file, 'w.bin'), /link that leads outside/);
    // A file inside the folder is fine, also in a subfolder.
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'ok.bin'), new Uint8Array(1));
    assert.equal(resolveExternalDataPath(file, 'sub/ok.bin'), path.join(dir, 'sub', 'ok.bin'));
  });
});

describe('bad input gets a typed error with a hint', () => {
  test('empty, text, missing and folder paths', async () => {
    const dir = tmpDir('bad');
    fs.writeFileSync(path.join(dir, 'empty.onnx'), '');
    fs.writeFileSync(path.join(dir, 'text.onnx'), 'this is a README, not a model\n'.repeat(10));
    const cases: [string, string][] = [
      [path.join(dir, 'empty.onnx'), 'not-onnx'],
      [path.join(dir, 'text.onnx'), 'not-onnx'],
      [path.join(dir, 'missing.onnx'), 'io'],
      [dir, 'io'],
    ];
    for (const [file, code] of cases) {
      await assert.rejects(summarizeModel(file), (e: unknown) => {
        assert.ok(e instanceof OnnxError, `${file}: OnnxError`);
        assert.equal(e.code, code, file);
        assert.ok(e.hint.length > 10);
        return true;
      });
    }
  });

  test('a truncated real model says truncated', async () => {
    const bytes = fs.readFileSync(fixturePath(manifest.models[0]!.path));
    assert.throws(() => parseModelBuffer(bytes.subarray(0, Math.floor(bytes.length * 0.6))), (e: unknown) => e instanceof OnnxError && e.code === 'truncated');
  });

  test('a length field of 2^40 fails fast without allocating', () => {
    // ModelProto { graph (field 7) with a length of 2^40 }
    const buf = Buffer.from([0x08, 0x08, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x0a, 0x00]);
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => parseModelBuffer(buf), (e: unknown) => e instanceof OnnxError && (e.code === 'truncated' || e.code === 'malformed'));
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20);
  });

  test('cancellation through an AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(readModel(fixturePath(manifest.models[0]!.path), { signal: ac.signal }), (e: unknown) => e instanceof OnnxError && e.code === 'cancelled');
  });
});
