/**
 * Structural comparison of two models (src/core/onnx/diff.ts): on mlpModel against
 * mlpVariantModel, whose differences are known exactly (test/helpers/models.ts), on inline vs
 * external weights, and on the fixtures' real models. The CLI: compare-cli.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { compareModelFiles, modelTextOfFile, summarizeModel } from '../../src/core/onnx';
import { diffHeadline, diffMarkdown } from '../../src/core/onnx/diff-report';
import { fixturePath, independentOpCounts, manifest, tmpDir } from '../helpers/fixtures';
import { mlpModel, mlpVariantModel } from '../helpers/models';

let dir = '';
let a = '';
let b = '';

before(() => {
  dir = tmpDir('compare');
  a = path.join(dir, 'mlp.onnx');
  b = path.join(dir, 'mlp-v2.onnx');
  fs.writeFileSync(a, mlpModel().model);
  fs.writeFileSync(b, mlpVariantModel());
});

describe('structural diff', () => {
  test('mlp → variant: exactly the known changes', async () => {
    const d = await compareModelFiles(a, b);
    assert.equal(d.schemaVersion, 1);
    assert.equal(d.structurallyIdentical, false);
    assert.deepEqual(d.size, { a: fs.statSync(a).size, b: fs.statSync(b).size, delta: fs.statSync(b).size - fs.statSync(a).size });
    assert.deepEqual(d.opsets, [{ domain: 'ai.onnx', a: 17, b: 18 }]);
    assert.deepEqual(d.nodes, { a: 3, b: 5, delta: 2 });
    assert.deepEqual(
      d.ops.map((o) => [o.op, o.a, o.b, o.delta]).sort(),
      [
        ['Cast', 0, 1, 1],
        ['Mul', 0, 1, 1],
        ['Relu', 1, 0, -1],
        ['Sigmoid', 0, 1, 1],
      ],
    );
    assert.deepEqual(d.opsAdded, ['Cast', 'Mul', 'Sigmoid']);
    assert.deepEqual(d.opsRemoved, ['Relu']);
    assert.deepEqual(d.dtypeChanges, [{ kind: 'initializer', name: 'W', a: 'float', b: 'float16' }]);
    assert.deepEqual(d.shapeChanges, [
      { kind: 'input', name: 'x', a: 'float[batch,4]', b: 'float[1,4]' },
      { kind: 'output', name: 'y', a: 'float[batch,3]', b: 'float[1,3]' },
    ]);
    assert.deepEqual(d.inputs, { added: [], removed: [] });
    assert.deepEqual(d.outputs, { added: ['xw'], removed: [] });
    assert.deepEqual(d.initializers.count, { a: 2, b: 3, delta: 1 });
    assert.equal(d.initializers.added, 1);
    assert.equal(d.initializers.removed, 0);
    // W 12 floats (48 B) + b 3 floats (12 B) → W 12 halves (24 B) + b (12 B) + scale (4 B).
    assert.deepEqual(d.initializers.bytes, { a: 60, b: 40, delta: -20 });
    assert.deepEqual(d.weights, { a: 60, b: 40, delta: -20 });
    assert.deepEqual(
      [...d.initializers.byDtype].sort((x, y) => x.dtype.localeCompare(y.dtype)),
      [
        { dtype: 'float', a: 60, b: 16 },
        { dtype: 'float16', a: 0, b: 24 },
      ],
    );
    assert.deepEqual(d.parameters, { a: 15, b: 16, delta: 1 });
    assert.match(diffHeadline(d), /^3 → 5 nodes \(\+2\) · op types \+3 −1 · 1 dtype change · 2 shape changes · 1 input\/output added or removed · opsets ai\.onnx 17 → 18 · size /);
    const md = diffMarkdown(d);
    assert.match(md, /^# mlp\.onnx ↔ mlp-v2\.onnx\n/);
    assert.match(md, /\n\| initializer \| `W` \| float \| float16 \|\n/);
    assert.match(md, /\n\| Relu \| 1 \| 0 \| removed \|\n/);
  });

  test('the same model twice is structurally identical; the text diff is empty', async () => {
    const d = await compareModelFiles(a, a);
    assert.equal(d.structurallyIdentical, true);
    assert.equal(d.size.delta, 0);
    assert.match(diffHeadline(d), /^structurally identical/);
    assert.equal((await modelTextOfFile(a)).text, (await modelTextOfFile(a)).text);
  });

  test('inline vs external weights: same structure, size counts the data file', async () => {
    const ext = path.join(dir, 'ext');
    fs.mkdirSync(ext);
    const { model, data } = mlpModel({ external: 'mlp.data' });
    fs.writeFileSync(path.join(ext, 'mlp.onnx'), model);
    fs.writeFileSync(path.join(ext, 'mlp.data'), data!);
    const d = await compareModelFiles(a, path.join(ext, 'mlp.onnx'));
    assert.equal(d.structurallyIdentical, true, JSON.stringify(d.ops));
    assert.equal(d.b.externalDataBytes, fs.statSync(path.join(ext, 'mlp.data')).size);
    assert.equal(d.b.totalBytes, fs.statSync(path.join(ext, 'mlp.onnx')).size + fs.statSync(path.join(ext, 'mlp.data')).size);
    assert.equal(d.size.b, d.b.totalBytes);
  });

  test('the text diff of mlp → variant shows the changed lines and only those', async () => {
    const ta = new Set((await modelTextOfFile(a)).text.split('\n'));
    const tb = new Set((await modelTextOfFile(b)).text.split('\n'));
    const onlyB = [...tb].filter((l) => !ta.has(l));
    const onlyA = [...ta].filter((l) => !tb.has(l));
    assert.deepEqual(onlyA, [
      '   opset_import: ["" : 17],',
      '   producer_version: "1",',
      '   metadata_props: ["purpose": "unit test", "unicode ✓": "ünïcödé"]',
      'mlp (float[batch,4] x) => (float[batch,3] y)',
      '      float[4,3] W = ...,',
      '      float[3] b = ...',
      '   ["/fc/MatMul"] xw = MatMul (x, W)',
      '   ["/act/Relu"] y = Relu (xwb)',
    ]);
    assert.deepEqual(onlyB, [
      '   opset_import: ["" : 18],',
      '   producer_version: "2"',
      'mlp (float[1,4] x) => (float[1,3] y, float[1,3] xw)',
      '      float16[4,3] W = ...,',
      '      float[3] b = ...,',
      '      float scale = {2}',
      '   ["/fc/Cast"] W32 = Cast <to: int = 1> (W)',
      '   ["/fc/MatMul"] xw = MatMul (x, W32)',
      '   ["/act/Sigmoid"] act = Sigmoid (xwb)',
      '   ["/scale/Mul"] y = Mul (act, scale)',
    ]);
  });

  test('real models: op changes equal independent op counts', async () => {
    const det = fixturePath(manifest.models.find((m) => m.id === 'ppocr-det')!.path);
    const rec = fixturePath(manifest.models.find((m) => m.id === 'ppocr-rec')!.path);
    const d = await compareModelFiles(det, rec);
    const ca = independentOpCounts(det);
    const cb = independentOpCounts(rec);
    const expected = [...new Set([...ca.keys(), ...cb.keys()])]
      .map((op) => [op, ca.get(op) ?? 0, cb.get(op) ?? 0] as const)
      .filter(([, x, y]) => x !== y)
      .sort();
    assert.deepEqual(d.ops.map((o) => [o.op, o.a, o.b] as const).sort(), expected);
    const [sa, sb] = [await summarizeModel(det), await summarizeModel(rec)];
    assert.deepEqual(d.outputs, { added: sb.outputs.map((o) => o.name), removed: sa.outputs.map((o) => o.name) });
    // Paddle2ONNX keeps weights in Constant nodes: compared by output name.
    assert.ok(d.shapeChanges.some((c) => c.kind === 'constant'), 'Constant weights with other shapes are listed');
    assert.deepEqual(d.weights, { a: sa.constants.bytes, b: sb.constants.bytes, delta: sb.constants.bytes - sa.constants.bytes });
  });
});
