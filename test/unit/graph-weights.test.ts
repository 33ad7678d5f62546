/**
 * Weight statistics read on demand (src/core/graph/weights.ts): real model files (inline and
 * external data) and standalone TensorProto files in each encoding, checked against statistics
 * computed directly from the values written.
 *
 *   node --import tsx --test test/unit/graph-weights.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { weightStatistics, WeightStatsError } from '../../src/core/graph/weights';
import { isOnnxError, parseTensorProtoBuffer, readModel } from '../../src/core/onnx';
import { ProtoWriter } from '../../src/core/onnx/proto-writer';
import { DataType, type TensorInfo } from '../../src/core/onnx/types';
import { rng, tmpDir } from '../helpers/fixtures';
import { mlpModel } from '../helpers/models';

function expected(values: readonly number[]) {
  const finite = values.filter((v) => Number.isFinite(v));
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const std = Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / finite.length);
  return {
    elements: values.length,
    min: Math.min(...finite),
    max: Math.max(...finite),
    mean,
    std,
    zeros: values.filter((v) => v === 0).length,
    nans: values.filter((v) => Number.isNaN(v)).length,
    infs: values.filter((v) => v === Infinity || v === -Infinity).length,
  };
}

function assertStats(actual: Awaited<ReturnType<typeof weightStatistics>>, values: readonly number[], tolerance = 1e-9): void {
  const e = expected(values);
  assert.equal(actual.elements, e.elements);
  assert.equal(actual.zeros, e.zeros);
  assert.equal(actual.nans, e.nans);
  assert.equal(actual.infs, e.infs);
  for (const k of ['min', 'max', 'mean', 'std'] as const) {
    const a = actual[k];
    assert.ok(a !== null && Math.abs(a - e[k]) <= tolerance * Math.max(1, Math.abs(e[k])), `${k}: ${a} vs ${e[k]}`);
  }
}

/** Writes a standalone TensorProto file and returns its path and parsed description. */
function tensorFile(dir: string, name: string, build: (w: ProtoWriter) => void): { file: string; t: TensorInfo } {
  const w = new ProtoWriter();
  build(w);
  const bytes = w.finish();
  const file = path.join(dir, `${name}.pb`);
  fs.writeFileSync(file, bytes);
  return { file, t: parseTensorProtoBuffer(bytes) };
}

const f32 = (xs: readonly number[]): number[] => [...new Float32Array(xs)];

test('inline and external float32 weights of a real model', async () => {
  const dir = tmpDir('weights');
  const inline = path.join(dir, 'mlp.onnx');
  fs.writeFileSync(inline, mlpModel().model);
  const ext = mlpModel({ external: 'mlp.data' });
  const external = path.join(dir, 'mlp-ext.onnx');
  fs.writeFileSync(external, ext.model);
  fs.writeFileSync(path.join(dir, 'mlp.data'), ext.data!);
  const W = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10));
  for (const file of [inline, external]) {
    const m = await readModel(file);
    const t = m.graph.initializers.find((x) => x.name === 'W')!;
    const s = await weightStatistics(file, t, 7);
    assert.equal(s.tensor, 7);
    assert.equal(s.dtype, 'float');
    assert.equal(s.bytesRead, 48);
    assertStats(s, W);
    const b = await weightStatistics(file, m.graph.initializers.find((x) => x.name === 'b')!, 0);
    assertStats(b, f32([0.5, -0.5, 0.25]));
  }
});

test('a 24 MiB tensor is streamed in chunks and merged exactly', async () => {
  const dir = tmpDir('weights-big');
  const random = rng(7);
  const n = 6 * 1024 * 1024 + 3;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (random() - 0.3) * 100;
  values[5] = 0;
  values[n - 1] = NaN;
  values[n - 2] = -Infinity;
  const { file, t } = tensorFile(dir, 'big', (w) => w.packedVarints(1, [n]).varint(2, DataType.FLOAT).string(8, 'big').bytes(9, new Uint8Array(values.buffer)));
  let progress = 0;
  const s = await weightStatistics(file, t, 0, { onProgress: (done, total) => (progress = done / total) });
  assert.equal(progress, 1);
  assert.equal(s.bytesRead, n * 4);
  // Direct two-pass statistics in float64 over the same values.
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) if (Number.isFinite(v)) {
    sum += v;
    count++;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / count;
  let m2 = 0;
  for (const v of values) if (Number.isFinite(v)) m2 += (v - mean) ** 2;
  assert.equal(s.min, min);
  assert.equal(s.max, max);
  assert.ok(Math.abs(s.mean! - mean) < 1e-9 * Math.abs(mean) + 1e-9);
  assert.ok(Math.abs(s.std! - Math.sqrt(m2 / count)) < 1e-9 * Math.sqrt(m2 / count));
  assert.equal(s.nans, 1);
  assert.equal(s.infs, 1);
  assert.ok(s.zeros >= 1);
});

test('every encoding: float16 and bfloat16 raw, int8, int4, int32_data varints, int64_data, double_data, float_data', async () => {
  const dir = tmpDir('weights-dtypes');
  const cases: [string, number[], (w: ProtoWriter) => void][] = [];
  // float16: 1, -2, 0.5, 0, 65504 (max half), inf.
  const halves = [0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x7c00];
  cases.push(['float16 raw', [1, -2, 0.5, 0, 65504, Infinity], (w) => w.packedVarints(1, [6]).varint(2, DataType.FLOAT16).bytes(9, new Uint8Array(new Uint16Array(halves).buffer))]);
  cases.push(['float16 in int32_data', [1, -2, 0.5, 0, 65504, Infinity], (w) => w.packedVarints(1, [6]).varint(2, DataType.FLOAT16).packedVarints(5, halves)]);
  // bfloat16: the top halves of float32 1.5, -3, 0.
  const bf = [0x3fc0, 0xc040, 0x0000];
  cases.push(['bfloat16 raw', [1.5, -3, 0], (w) => w.packedVarints(1, [3]).varint(2, DataType.BFLOAT16).bytes(9, new Uint8Array(new Uint16Array(bf).buffer))]);
  cases.push(['int8 raw', [-128, 0, 0, 5, 127], (w) => w.packedVarints(1, [5]).varint(2, DataType.INT8).bytes(9, new Uint8Array(new Int8Array([-128, 0, 0, 5, 127]).buffer))]);
  // int4: two per byte, low nibble first; 5 values → 3 bytes.
  cases.push(['int4 raw', [-8, 7, 0, -1, 3], (w) => w.packedVarints(1, [5]).varint(2, DataType.INT4).bytes(9, Uint8Array.from([0x78, 0xf0, 0x03]))]);
  cases.push(['int32_data with negatives', [-5, 0, 1 << 30, -(2 ** 31)], (w) => w.packedVarints(1, [2, 2]).varint(2, DataType.INT32).packedVarints(5, [-5, 0, 1 << 30, -(2 ** 31)])]);
  cases.push(['int64_data', [-(2 ** 40), 3, 0], (w) => w.packedVarints(1, [3]).varint(2, DataType.INT64).packedVarints(7, [-(2 ** 40), 3, 0])]);
  cases.push(['double_data', [0.1, -1e30, 2.5], (w) => {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    [0.1, -1e30, 2.5].forEach((v, i) => dv.setFloat64(i * 8, v, true));
    w.packedVarints(1, [3]).varint(2, DataType.DOUBLE).bytes(10, b);
  }]);
  cases.push(['float_data', f32([0.25, -7, 3.5]), (w) => w.packedVarints(1, [3]).varint(2, DataType.FLOAT).packedFloats(4, [0.25, -7, 3.5])]);
  for (const [label, values, build] of cases) {
    const { file, t } = tensorFile(dir, label.replace(/\W+/g, '_'), build);
    const s = await weightStatistics(file, t, 0);
    try {
      assertStats(s, values, 1e-12);
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}`);
    }
  }
});

test('clear errors: missing external data, data shorter than the shape, strings; cancellation', async () => {
  const dir = tmpDir('weights-errors');
  const ext = mlpModel({ external: 'gone.data' });
  const file = path.join(dir, 'mlp.onnx');
  fs.writeFileSync(file, ext.model);
  const m = await readModel(file);
  await assert.rejects(weightStatistics(file, m.graph.initializers[0]!, 0), (e: unknown) => e instanceof WeightStatsError && /gone\.data/.test(e.message) && /Could not open/.test(e.message));

  const short = tensorFile(dir, 'short', (w) => w.packedVarints(1, [10]).varint(2, DataType.FLOAT).bytes(9, new Uint8Array(8)));
  await assert.rejects(weightStatistics(short.file, short.t, 0), (e: unknown) => e instanceof WeightStatsError && /holds 8 bytes of data, its shape \[10\] needs 40/.test(e.message));

  const strings = tensorFile(dir, 'strings', (w) => w.packedVarints(1, [1]).varint(2, DataType.STRING).string(6, 'hello'));
  await assert.rejects(weightStatistics(strings.file, strings.t, 0), (e: unknown) => e instanceof WeightStatsError && /string/.test(e.message));

  const abort = new AbortController();
  abort.abort();
  const big = tensorFile(dir, 'big', (w) => w.packedVarints(1, [1024]).varint(2, DataType.FLOAT).bytes(9, new Uint8Array(4096)));
  await assert.rejects(weightStatistics(big.file, big.t, 0, { signal: abort.signal }), (e: unknown) => isOnnxError(e) && e.code === 'cancelled');
});

test('all-NaN tensors report no range instead of infinities', async () => {
  const dir = tmpDir('weights-nan');
  const { file, t } = tensorFile(dir, 'nan', (w) => w.packedVarints(1, [2]).varint(2, DataType.FLOAT).bytes(9, new Uint8Array(new Float32Array([NaN, NaN]).buffer)));
  const s = await weightStatistics(file, t, 0);
  assert.deepEqual([s.min, s.max, s.mean, s.std, s.nans], [null, null, null, null, 2]);
});
