/** Output agreement statistics and input alignment, checked by hand on small arrays. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SynthTensor } from '../../src/core/inputs/synthesize';
import type { IoSummary } from '../../src/core/onnx/summary-types';
import {
  argmax,
  compareOutput,
  compareOutputs,
  floatToHalf,
  halfToFloat,
  looksLikeClasses,
  overallVerdict,
  type OutputAgreement,
  type OutputTensor,
} from '../../src/core/verify/agreement';
import { alignDims, castTensor, feedsForB } from '../../src/core/verify/inputs';

const f32 = (dims: number[], values: number[]): OutputTensor => ({ dtype: 'float32', dims, data: Float32Array.from(values) });
const close = (x: number, y: number, eps = 1e-9) => assert.ok(Math.abs(x - y) <= eps, `${x} ≈ ${y}`);

describe('compareOutput', () => {
  test('identical outputs', () => {
    const r = compareOutput('y', f32([2, 2], [1, -2, 3, 0]), f32([2, 2], [1, -2, 3, 0]));
    assert.equal(r.verdict, 'identical');
    assert.equal(r.maxAbsError, 0);
    assert.equal(r.maxRelError, 0);
    assert.equal(r.cosine, 1);
    assert.equal(r.equalShare, 1);
    assert.equal(r.elements, 4);
    assert.equal(r.worst, undefined);
  });

  test('max abs, mean abs, max rel and cosine on known values (float64, no rounding)', () => {
    const a: OutputTensor = { dtype: 'float64', dims: [4], data: Float64Array.of(1, 2, 4, 8) };
    const b: OutputTensor = { dtype: 'float64', dims: [4], data: Float64Array.of(1.5, 2, 4, 7) };
    const r = compareOutput('out', a, b, { epsilon: 0, cosineClose: 0.999, cosineDrift: 0.99, top1Close: 0.99, top1Drift: 0.9 });
    assert.equal(r.maxAbsError, 1);
    assert.equal(r.meanAbsError, 1.5 / 4);
    // |1 - 1.5| / 1 = 0.5 beats |8 - 7| / 8 = 0.125
    assert.equal(r.maxRelError, 0.5);
    // cos = (1.5 + 4 + 16 + 56) / sqrt((1 + 4 + 16 + 64) * (2.25 + 4 + 16 + 49))
    close(r.cosine, 77.5 / Math.sqrt(85 * 71.25), 1e-12);
    assert.deepEqual(r.worst, { index: 3, a: 8, b: 7 });
    assert.equal(r.equalShare, 0.5);
    // cosine 0.99586: below 0.999, above 0.99 → drift
    assert.equal(r.verdict, 'drift');
    assert.match(r.reason, /cosine 0\.995863 < 0\.999/);
  });

  test('epsilon keeps the relative error finite next to zeros', () => {
    const r = compareOutput('out', f32([2], [0, 1]), f32([2], [1e-3, 1]));
    close(r.maxRelError, 1e-3 / 1e-6, 1e-2);
    assert.ok(Number.isFinite(r.maxRelError));
  });

  test('drift and differs by cosine', () => {
    // cos([1,0], [1, 0.1]) = 1/sqrt(1.01) = 0.99504 → drift; [1,0] vs [1, 1] = 0.707 → differs
    const drift = compareOutput('h', f32([2], [1, 0]), f32([2], [1, 0.1]));
    assert.equal(drift.verdict, 'drift');
    assert.match(drift.reason, /cosine 0\.995/);
    const differs = compareOutput('h', f32([2], [1, 0]), f32([2], [1, 1]));
    assert.equal(differs.verdict, 'differs');
  });

  test('NaN and Inf: counted per side; new ones in B fail the output; stats use elements finite in both', () => {
    const r = compareOutput('y', f32([4], [1, NaN, 3, Infinity]), f32([4], [1, NaN, NaN, Infinity]));
    assert.deepEqual([r.nanA, r.nanB, r.infA, r.infB], [1, 2, 1, 1]);
    assert.equal(r.verdict, 'differs');
    assert.match(r.reason, /1 more NaN/);
    assert.equal(r.maxAbsError, 0);
    const same = compareOutput('y', f32([2], [NaN, 2]), f32([2], [NaN, 2]));
    assert.equal(same.verdict, 'identical');
  });

  test('shape, type and missing outputs', () => {
    assert.equal(compareOutput('y', f32([2, 2], [1, 2, 3, 4]), f32([4], [1, 2, 3, 4])).verdict, 'mismatch');
    const t = compareOutput('y', f32([2], [1, 2]), { dtype: 'int64', dims: [2], data: BigInt64Array.of(1n, 2n) });
    assert.equal(t.verdict, 'mismatch');
    assert.match(t.reason, /float32.*int64/);
    const m = compareOutput('y', f32([1], [1]), undefined);
    assert.equal(m.verdict, 'missing');
    assert.match(m.reason, /only model A/);
  });

  test('integer outputs match exactly or not; float16 and float32 compare as numbers', () => {
    const ids = (v: bigint[]): OutputTensor => ({ dtype: 'int64', dims: [v.length], data: BigInt64Array.from(v) });
    assert.equal(compareOutput('ids', ids([1n, 2n, 3n]), ids([1n, 2n, 3n])).verdict, 'identical');
    const off = compareOutput('ids', ids([1n, 2n, 3n, 4n]), ids([1n, 2n, 3n, 5n]));
    assert.equal(off.verdict, 'differs');
    assert.equal(off.equalShare, 0.75);
    assert.equal(off.maxAbsError, 1);
    const half: OutputTensor = { dtype: 'float16', dims: [2], data: Float32Array.of(halfToFloat(floatToHalf(0.1)), 1) };
    const r = compareOutput('y', f32([2], [0.1, 1]), half);
    assert.equal(r.verdict, 'close');
    assert.ok(r.maxAbsError > 0 && r.maxAbsError < 1e-4, String(r.maxAbsError));
  });

  test('top-1 agreement on classifier-like outputs, per row', () => {
    // Row 0: argmax 2 in both; row 1: argmax 0 vs 1.
    const a = f32([2, 3], [0.1, 0.2, 10, 0.5, 0.49, 0.1]);
    const b = f32([2, 3], [0.1, 0.2, 10, 0.49, 0.5, 0.1]);
    const r = compareOutput('logits', a, b);
    assert.deepEqual(r.top1, { agreement: 0.5, rows: 2, classes: 3 });
    // cosine is high but half the predictions flipped: differs (0.5 < 0.9)
    assert.ok(r.cosine > 0.999);
    assert.equal(r.verdict, 'differs');
    assert.match(r.reason, /top-1 50\.0%/);
    assert.equal(compareOutput('last_hidden_state', f32([1, 2, 3], [1, 2, 3, 4, 5, 6]), f32([1, 2, 3], [1, 2, 3, 4, 5, 6])).top1, undefined);
  });

  test('looksLikeClasses and argmax', () => {
    assert.ok(looksLikeClasses('logits', [1, 128, 32000]));
    assert.ok(looksLikeClasses('output', [8, 1000]));
    assert.ok(looksLikeClasses('probabilities', [1, 2]));
    assert.ok(!looksLikeClasses('last_hidden_state', [1, 128, 768]));
    assert.ok(!looksLikeClasses('present.0.key', [1, 12, 8, 64]));
    assert.ok(!looksLikeClasses('y', [1, 1]));
    assert.ok(!looksLikeClasses('y', [5]));
    assert.equal(argmax(Float32Array.of(NaN, 1, 3, 2), 0, 4), 2);
    assert.equal(argmax(Float32Array.of(9, 1, 3, 2), 1, 3), 1);
  });

  test('overall verdict and compareOutputs order', () => {
    const v = (verdict: OutputAgreement['verdict']) => ({ verdict }) as OutputAgreement;
    assert.equal(overallVerdict([v('identical'), v('close')]), 'pass');
    assert.equal(overallVerdict([v('close'), v('drift')]), 'warn');
    assert.equal(overallVerdict([v('drift'), v('missing')]), 'fail');
    assert.equal(overallVerdict([]), 'pass');
    const r = compareOutputs(new Map([['a', f32([1], [1])], ['b', f32([1], [2])]]), new Map([['b', f32([1], [2])], ['c', f32([1], [3])]]));
    assert.deepEqual(r.outputs.map((o) => [o.name, o.verdict]), [['a', 'missing'], ['b', 'identical'], ['c', 'missing']]);
    assert.equal(r.verdict, 'fail');
  });
});

describe('float16', () => {
  test('bit patterns both ways', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [0.5, 0x3800],
      [0, 0],
    ];
    for (const [v, bits] of cases) {
      assert.equal(floatToHalf(v), bits, `floatToHalf(${v})`);
      assert.equal(halfToFloat(bits), v, `halfToFloat(0x${bits.toString(16)})`);
    }
    assert.equal(floatToHalf(0.1), 0x2e66);
    assert.equal(floatToHalf(1e6), 0x7c00);
    assert.equal(floatToHalf(-Infinity), 0xfc00);
    assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
    assert.equal(halfToFloat(0x7c00), Infinity);
    // Ties go to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00);
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  });
});

describe('inputs for two models', () => {
  const io = (name: string, dtype: string, shape: (number | string)[]): IoSummary => ({ name, kind: 'tensor', dtype, shape, text: '' });

  test('alignDims fixes the axes one model fixes and the other leaves symbolic; user values win', () => {
    const a = [io('x', 'float', ['batch', 3, 'h', 'w']), io('m', 'int64', ['batch', 'seq'])];
    const b = [io('x', 'float', [1, 3, 'height', 224]), io('m', 'int64', ['batch', 'seq'])];
    assert.deepEqual(alignDims(a, b, {}), { 'x:0': 1, 'x:3': 224 });
    assert.deepEqual(alignDims(a, b, { batch: 4 }), { batch: 4, 'x:3': 224 });
    assert.deepEqual(alignDims(a, b, { 'x:3': 100 }), { 'x:3': 100, 'x:0': 1 });
  });

  test('castTensor float32 → float16 → float32 and int64 → int32', () => {
    const t: SynthTensor = { name: 'x', dtype: 'float32', dims: [3], data: Float32Array.of(1, -0.5, 0.1) };
    const h = castTensor(t, 'float16');
    assert.equal(h.dtype, 'float16');
    assert.deepEqual([...(h.data as Uint16Array)], [0x3c00, 0xb800, 0x2e66]);
    const back = castTensor(h, 'float32');
    assert.deepEqual([...(back.data as Float32Array)].map((v) => Number(v.toFixed(4))), [1, -0.5, 0.1]);
    const ids: SynthTensor = { name: 'ids', dtype: 'int64', dims: [2], data: BigInt64Array.of(7n, 9n) };
    assert.deepEqual([...(castTensor(ids, 'int32').data as Int32Array)], [7, 9]);
    assert.equal(castTensor(t, 'float32'), t);
  });

  test('feedsForB: shared inputs, cast where B differs, own tensors for B-only inputs', () => {
    const a: SynthTensor[] = [{ name: 'x', dtype: 'float32', dims: [1], data: Float32Array.of(1) }, { name: 'gone', dtype: 'float32', dims: [1], data: Float32Array.of(2) }];
    const own: SynthTensor[] = [{ name: 'extra', dtype: 'int64', dims: [1], data: BigInt64Array.of(0n) }];
    const r = feedsForB(a, [io('x', 'float16', [1]), io('extra', 'int64', [1])], own);
    assert.deepEqual(r.tensors.map((t) => [t.name, t.dtype]), [['x', 'float16'], ['extra', 'int64']]);
    assert.equal(r.notes.length, 2);
    assert.throws(() => feedsForB(a, [io('other', 'float', [1])], []), /no tensor for model B's input 'other'/);
  });
});
