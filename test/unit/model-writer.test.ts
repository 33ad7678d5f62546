/**
 * The model writer on real models: what it writes decodes (protobufjs, independently) to the same
 * ModelProto as the source, ONNX Runtime gives identical outputs, external data is laid out as
 * onnx's save_model does (and past 2 GiB is used), and a failure or cancel leaves nothing behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { readModel } from '../../src/core/onnx';
import { ModelWriteError, writeModel } from '../../src/core/onnx/model-writer';
import { ProtoWriter } from '../../src/core/onnx/proto-writer';
import { DataType, type TensorInfo } from '../../src/core/onnx/types';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';
import { controlFlowModel, f32, mlpModel, tinyDecoderModel, transformerModel } from '../helpers/models';
import { feedsFor, fixtureFeeds, listDir, runOrt, sha256, writeModelFile, type Feeds } from '../helpers/optimize';

/** The ModelProto as protobufjs decodes it; the default domain's '' written or not means the same. */
function decoded(file: string): unknown {
  const m = onnx.ModelProto.toObject(onnx.ModelProto.decode(fs.readFileSync(file)), { longs: String, bytes: String });
  const fix = (o: unknown): unknown => {
    if (Array.isArray(o)) return o.map(fix);
    if (o && typeof o === 'object') {
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) r[k] = k === 'opsetImport' || k === 'opset_import' ? (v as { domain?: string; version: string }[]).map((x) => ({ domain: x.domain ?? '', version: x.version })) : fix(v);
      return r;
    }
    return o;
  };
  return fix(m);
}

async function assertSameOutputs(a: string, b: string, feeds: Feeds): Promise<void> {
  const [ra, rb] = [await runOrt(a, feeds), await runOrt(b, feeds)];
  assert.deepEqual(Object.keys(rb), Object.keys(ra));
  for (const k of Object.keys(ra)) {
    assert.equal(rb[k]!.type, ra[k]!.type, k);
    assert.deepEqual(rb[k]!.dims, ra[k]!.dims, k);
    assert.deepEqual(Array.from(rb[k]!.data as ArrayLike<number>), Array.from(ra[k]!.data as ArrayLike<number>), `${k}: identical values`);
  }
}

describe('model writer: round trip', () => {
  for (const fx of manifest.models) {
    test(`${fx.id}: same ModelProto (independent decode), identical ORT outputs, source untouched`, async () => {
      const src = fixturePath(fx.path);
      const before = sha256(src);
      const out = path.join(tmpDir('writer-rt'), 'copy.onnx');
      const r = await writeModel(await readModel(src), out);
      assert.equal(r.path, out);
      assert.equal(r.bytes, fs.statSync(out).size);
      assert.equal(r.externalData, undefined, 'a small model stays one file');
      assert.deepEqual(decoded(out), decoded(src));
      await assertSameOutputs(src, out, await fixtureFeeds(fx.id, src));
      assert.equal(sha256(src), before, 'the source is byte-identical afterwards');
    });
  }

  test('built models: subgraphs and a local function, a KV-cache decoder, an encoder', async () => {
    const dir = tmpDir('writer-built');
    const cases: [string, Uint8Array, Feeds | undefined][] = [
      ['control-flow.onnx', controlFlowModel(), undefined],
      ['decoder.onnx', tinyDecoderModel({ layers: 2, vocab: 50, dim: 16 }), undefined],
      ['encoder.onnx', transformerModel({ layers: 1, hidden: 64, ffn: 128, seed: 1 }).model, undefined],
    ];
    for (const [name, bytes] of cases) {
      const src = writeModelFile(dir, name, bytes);
      const out = path.join(dir, `out-${name}`);
      await writeModel(await readModel(src), out);
      assert.deepEqual(decoded(out), decoded(src), name);
      const feeds = name === 'control-flow.onnx' ? await feedsFor(src, { dims: { n: 5 } }) : await feedsFor(src, { dims: { sequence: 8, sequence_length: 4, past_sequence_length: 3, total_sequence_length: 7 } });
      await assertSameOutputs(src, out, feeds);
    }
  });

  test('keeps what the reader does not decode: unknown and training fields, quantization annotations, tensor segments, binary strings, INT64_MAX', async () => {
    const dir = tmpDir('writer-extras');
    // Slice (opset 9: attributes) with ends = INT64_MAX, a binary string attribute, and fields the
    // reader skips at every level, written as raw protobuf.
    const unknownVarint = (field: number, v: number) => new ProtoWriter().varint(field, v).finish();
    const binary = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    const build = (withBlob: boolean) => {
      const graph = new ProtoWriter();
      const node = new ProtoWriter().string(1, 'x').string(2, 'y').string(3, 'slice').string(4, 'Slice');
      node.message(5, new ProtoWriter().string(1, 'starts').packedVarints(8, [1]).varint(20, 7));
      node.message(5, new ProtoWriter().string(1, 'ends').packedVarints(8, [2n ** 63n - 1n]).varint(20, 7));
      node.message(5, new ProtoWriter().string(1, 'axes').packedVarints(8, [0]).varint(20, 7));
      node.raw(unknownVarint(77, 5)); // unknown NodeProto field
      graph.message(1, node);
      const node2 = new ProtoWriter().string(1, 'y').string(2, 'z').string(3, 'ident').string(4, 'Identity');
      if (withBlob) node2.message(5, new ProtoWriter().string(1, 'blob').bytes(4, binary).varint(20, 3).raw(unknownVarint(99, 1)));
      graph.message(1, node2);
      graph.string(2, 'extras');
      const seg = new ProtoWriter().varint(1, 0).varint(2, 4).finish();
      const w = new ProtoWriter().packedVarints(1, [4]).varint(2, DataType.FLOAT).bytes(3, seg).string(8, 'unused_w').bytes(9, f32([1, 2, 3, 4]));
      graph.message(5, w);
      const vi = (name: string) => new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, new ProtoWriter().varint(1, 1).message(2, new ProtoWriter().message(1, new ProtoWriter().string(2, 'n')))));
      graph.message(11, vi('x'));
      graph.message(12, vi('z'));
      graph.message(14, new ProtoWriter().string(1, 'y').message(2, new ProtoWriter().string(1, 'SCALE_TENSOR').string(2, 'unused_w')));
      const model = new ProtoWriter().varint(1, 7).string(2, 'hand-made').message(7, graph).message(8, new ProtoWriter().string(1, '').varint(2, 9));
      model.message(20, new ProtoWriter().message(1, new ProtoWriter().message(1, new ProtoWriter().string(1, 'nothing'))));
      model.raw(unknownVarint(1000, 42));
      return model.finish();
    };
    const src = writeModelFile(dir, 'extras.onnx', build(true));
    const m = await readModel(src);
    assert.equal(m.unknownFields?.length, 2, 'training_info and the unknown field');
    assert.equal(m.graph.unknownFields?.length, 1, 'quantization_annotation');
    assert.equal(m.graph.nodes[0]!.unknownFields?.length, 1);
    assert.equal(m.graph.initializers[0]!.unknownFields?.length, 1, 'segment');
    const out = path.join(dir, 'copy.onnx');
    await writeModel(m, out);
    assert.deepEqual(decoded(out), decoded(src));
    const m2 = await readModel(out);
    const bytesOf = (file: string, ranges: readonly { offset: number; length: number }[] | undefined) => (ranges ?? []).map((r) => fs.readFileSync(file).subarray(r.offset, r.offset + r.length).toString('hex'));
    assert.deepEqual(bytesOf(out, m2.unknownFields), bytesOf(src, m.unknownFields));
    assert.deepEqual(bytesOf(out, m2.graph.unknownFields), bytesOf(src, m.graph.unknownFields));
    assert.deepEqual(bytesOf(out, m2.graph.nodes[0]!.unknownFields), bytesOf(src, m.graph.nodes[0]!.unknownFields));
    assert.deepEqual(bytesOf(out, m2.graph.nodes[1]!.attributes[0]!.unknownFields), bytesOf(src, m.graph.nodes[1]!.attributes[0]!.unknownFields));
    const blob = m2.graph.nodes[1]!.attributes[0]!.sRange!;
    assert.deepEqual(fs.readFileSync(out).subarray(blob.offset, blob.offset + blob.length), Buffer.from(binary), 'binary string bytes unchanged');
    const ends = (decoded(out) as { graph: { node: { attribute: { name: string; ints?: string[] }[] }[] } }).graph.node[0]!.attribute.find((a) => a.name === 'ends')!;
    assert.deepEqual(ends.ints, ['9223372036854775807'], 'INT64_MAX stays exact');
    // ORT (which refuses the made-up attribute) agrees the Slice still slices to the end.
    const runnable = writeModelFile(dir, 'runnable.onnx', build(false));
    const out2 = path.join(dir, 'runnable-copy.onnx');
    await writeModel(await readModel(runnable), out2);
    const { Tensor } = await import('onnxruntime-node');
    await assertSameOutputs(runnable, out2, { x: new Tensor('float32', new Float32Array([1, 2, 3, 4, 5]), [5]) });
    assert.deepEqual(Array.from((await runOrt(out2, { x: new Tensor('float32', new Float32Array([1, 2, 3, 4, 5]), [5]) })).z!.data as Float32Array), [2, 3, 4, 5]);
  });
});

describe('model writer: external data', () => {
  test('weights from an external data file are written inline when the result is small', async () => {
    const dir = tmpDir('writer-ext-in');
    const { model, data } = mlpModel({ external: 'mlp.weights' });
    const src = writeModelFile(dir, 'mlp.onnx', model);
    fs.writeFileSync(path.join(dir, 'mlp.weights'), data!);
    const out = path.join(dir, 'inline.onnx');
    const r = await writeModel(await readModel(src), out);
    assert.equal(r.externalData, undefined);
    const m = await readModel(out);
    assert.ok(m.graph.initializers.every((t) => t.data.kind === 'inline'));
    await assertSameOutputs(src, out, await feedsFor(src, { dims: { batch: 3 } }));
  });

  test("'always': tensors of 1 KiB and more go to <out>.data, 64 KiB-aligned from 1 MiB, as onnx's save_model does", async () => {
    const dir = tmpDir('writer-ext-out');
    const src = writeModelFile(dir, 'enc.onnx', transformerModel({ layers: 1, hidden: 512, ffn: 1024, seed: 2 }).model);
    const out = path.join(dir, 'enc.ext.onnx');
    const r = await writeModel(await readModel(src), out, { externalData: 'always' });
    assert.ok(r.externalData);
    assert.equal(r.externalData.path, `${out}.data`);
    assert.equal(r.externalData.bytes, fs.statSync(`${out}.data`).size);
    const m = await readModel(out);
    let big = 0;
    for (const t of m.graph.initializers) {
      const bytes = t.dims.reduce((a, b) => a * b, 1) * 4;
      if (bytes < 1024) {
        assert.equal(t.data.kind, 'inline', `${t.name} (${bytes} B) stays inline`);
        continue;
      }
      assert.equal(t.data.kind, 'external', t.name);
      if (t.data.kind !== 'external') continue;
      assert.equal(t.data.location, 'enc.ext.onnx.data');
      assert.equal(t.data.length, bytes);
      if (bytes >= 1 << 20) {
        big++;
        assert.equal(t.data.offset % 65536, 0, `${t.name} aligned`);
      }
    }
    assert.ok(big >= 2, 'the 1 MiB+ projections were checked');
    assert.ok(r.bytes < 64 << 10, 'the model file holds the graph only');
    await assertSameOutputs(src, out, await feedsFor(src, { dims: { sequence: 16 } }));
  });

  test('a lower inline limit switches to external data on its own (the >2 GiB rule, scaled down)', async () => {
    const dir = tmpDir('writer-ext-limit');
    const src = writeModelFile(dir, 'enc.onnx', transformerModel({ layers: 1, hidden: 128, ffn: 256, seed: 3 }).model);
    const out = path.join(dir, 'out.onnx');
    const r = await writeModel(await readModel(src), out, { maxInlineBytes: 100_000 });
    assert.ok(r.externalData && r.bytes <= 100_000, `model file ${r.bytes} bytes`);
    await assertSameOutputs(src, out, await feedsFor(src, { dims: { sequence: 4 } }));
    await assert.rejects(writeModel(await readModel(src), path.join(dir, 'never.onnx'), { maxInlineBytes: 100_000, externalData: 'never' }), (e: unknown) => e instanceof ModelWriteError && e.code === 'too-large');
    assert.ok(!fs.existsSync(path.join(dir, 'never.onnx')));
  });

  test('a model over 2 GiB (sparse external data) is written with external data, holes kept', async () => {
    const dir = tmpDir('writer-2gb');
    const { model, externalBytes, weightBytes } = transformerModel({ layers: 12, hidden: 2048, ffn: 8192, external: 'big.onnx.data' });
    assert.ok(weightBytes > 2 ** 31, 'over protobuf limit');
    const src = writeModelFile(dir, 'big.onnx', model);
    const fd = fs.openSync(path.join(dir, 'big.onnx.data'), 'w');
    fs.ftruncateSync(fd, externalBytes);
    fs.closeSync(fd);
    const out = path.join(dir, 'copy.onnx');
    const r = await writeModel(await readModel(src), out);
    assert.ok(r.externalData, 'auto mode chose external data');
    assert.ok(r.bytes < 1 << 20, `model file ${r.bytes} bytes`);
    const st = fs.statSync(`${out}.data`);
    assert.ok(st.size >= weightBytes, 'all weights are in the data file');
    assert.ok(st.blocks * 512 < 64 << 20, `zero runs left as holes (${st.blocks * 512} bytes allocated)`);
    const m = await readModel(out);
    assert.equal(m.graph.initializers.length, (await readModel(src)).graph.initializers.length);
    for (const t of m.graph.initializers) if (t.data.kind === 'external' && (t.data.length ?? 0) >= 1 << 20) assert.equal(t.data.offset % 65536, 0);
  });
});

describe('model writer: never the source, nothing left behind', () => {
  test('an existing output is refused unless overwrite; the source and its data file are always refused', async () => {
    const dir = tmpDir('writer-guard');
    const { model, data } = mlpModel({ external: 'out.onnx.data' });
    const src = writeModelFile(dir, 'mlp.onnx', model);
    fs.writeFileSync(path.join(dir, 'out.onnx.data'), data!);
    const m = await readModel(src);
    const code = (c: string) => (e: unknown) => e instanceof ModelWriteError && e.code === c;
    await assert.rejects(writeModel(m, src, { overwrite: true }), code('same-file'));
    fs.symlinkSync(src, path.join(dir, 'link.onnx'));
    await assert.rejects(writeModel(m, path.join(dir, 'link.onnx'), { overwrite: true }), code('same-file'));
    // Writing out.onnx with external data would replace out.onnx.data, which the source reads.
    await assert.rejects(writeModel(m, path.join(dir, 'out.onnx'), { externalData: 'always', externalMinBytes: 0, overwrite: true }), code('same-file'));
    fs.writeFileSync(path.join(dir, 'taken.onnx'), 'keep me');
    await assert.rejects(writeModel(m, path.join(dir, 'taken.onnx')), code('exists'));
    assert.equal(fs.readFileSync(path.join(dir, 'taken.onnx'), 'utf8'), 'keep me');
    await writeModel(m, path.join(dir, 'taken.onnx'), { overwrite: true });
    assert.equal((await readModel(path.join(dir, 'taken.onnx'))).graph.nodes.length, 3);
    assert.deepEqual(listDir(dir), ['link.onnx', 'mlp.onnx', 'out.onnx.data', 'taken.onnx']);
  });

  test('cancel in the middle of writing removes the temp files (model and data)', async () => {
    const dir = tmpDir('writer-cancel');
    const src = writeModelFile(dir, 'enc.onnx', transformerModel({ layers: 2, hidden: 512, ffn: 2048, seed: 4 }).model);
    const before = listDir(dir);
    const ac = new AbortController();
    let calls = 0;
    let sawTemp = false;
    await assert.rejects(
      writeModel(await readModel(src), path.join(dir, 'out.onnx'), {
        externalData: 'always',
        signal: ac.signal,
        onProgress: (p) => {
          calls++;
          sawTemp ||= listDir(dir).some((f) => f.endsWith('.tmp'));
          if (p.doneBytes > 4 << 20) ac.abort();
        },
      }),
      (e: unknown) => e instanceof ModelWriteError && e.code === 'cancelled',
    );
    assert.ok(calls > 1 && sawTemp, 'it was cancelled mid-write, with temp files on disk');
    assert.deepEqual(listDir(dir), before, 'nothing left: no output, no temp files');
  });

  test('a source that changes under the writer (data file cut short mid-write) fails with nothing left', async () => {
    const dir = tmpDir('writer-fail');
    const { model, externalBytes } = transformerModel({ layers: 2, hidden: 512, ffn: 2048, external: 'enc.data' });
    const src = writeModelFile(dir, 'enc.onnx', model);
    fs.writeFileSync(path.join(dir, 'enc.data'), Buffer.alloc(externalBytes, 1));
    const before = listDir(dir);
    let cut = false;
    await assert.rejects(
      writeModel(await readModel(src), path.join(dir, 'out.onnx'), {
        onProgress: (p) => {
          if (!cut && p.doneBytes > 2 << 20) {
            fs.truncateSync(path.join(dir, 'enc.data'), 3 << 20);
            cut = true;
          }
        },
      }),
      (e: unknown) => e instanceof ModelWriteError && e.code === 'io' && /ended at byte/.test(e.message),
    );
    assert.ok(cut);
    assert.deepEqual(listDir(dir), before);
  });

  test('a missing external data file is reported before anything is written', async () => {
    const dir = tmpDir('writer-missing');
    const src = writeModelFile(dir, 'mlp.onnx', mlpModel({ external: 'gone.bin' }).model);
    await assert.rejects(writeModel(await readModel(src), path.join(dir, 'out.onnx')), (e: unknown) => e instanceof ModelWriteError && e.code === 'io' && /gone\.bin/.test(e.message));
    assert.deepEqual(listDir(dir), ['mlp.onnx']);
  });

  test('new payloads from the caller replace tensors (bytes and computed)', async () => {
    const dir = tmpDir('writer-payloads');
    const src = writeModelFile(dir, 'mlp.onnx', mlpModel().model);
    const m = await readModel(src);
    const [w, b] = m.graph.initializers as [TensorInfo, TensorInfo];
    const w2: TensorInfo = { ...w };
    const b2: TensorInfo = { ...b };
    const payloads = new Map([
      [w2, { kind: 'bytes' as const, bytes: f32(Array.from({ length: 12 }, () => 0)) }],
      [b2, { kind: 'computed' as const, byteLength: 12, compute: async () => f32([1, 2, 3]) }],
    ]);
    const out = path.join(dir, 'out.onnx');
    await writeModel({ ...m, graph: { ...m.graph, initializers: [w2, b2] } }, out, { payloads });
    const r = await runOrt(out, await feedsFor(src, { dims: { batch: 2 } }));
    assert.deepEqual(Array.from(r.y!.data as Float32Array), [1, 2, 3, 1, 2, 3], 'relu(x·0 + [1,2,3])');
    // A computed payload of the wrong size is an error, and leaves nothing.
    const bad = new Map([[b2, { kind: 'computed' as const, byteLength: 12, compute: async () => f32([1]) }]]);
    await assert.rejects(writeModel({ ...m, graph: { ...m.graph, initializers: [w, b2] } }, path.join(dir, 'bad.onnx'), { payloads: bad }));
    assert.deepEqual(listDir(dir), ['mlp.onnx', 'out.onnx']);
  });
});
