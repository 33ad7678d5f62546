/**
 * The comparison view in headless Chromium, served as the extension serves it, with REAL comparison
 * files: `compareModels` checks an encoder against the model ONNX Runtime optimizes it into and
 * profiles both (in the ORT worker), checks two linear classifiers that disagree, and an MLP
 * against a variant with every kind of structural change.
 * Screenshots in light, dark and high-contrast themes go to test-results/webview/compare-*.png.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ComparisonFile } from '../../src/core/compare/comparison';
import { compareModelFiles } from '../../src/core/onnx';
import { diffHeadline } from '../../src/core/onnx/diff-report';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import type { ComparisonToWebview } from '../../src/protocol/messages';
import { compareModels } from '../../src/runner/compare-models';
import { optimizeGraphWithOrt } from '../../src/runner/ort-client';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { f32, mlpModel, mlpVariantModel, transformerModel } from '../helpers/models';
import { assertReadyHandshake, SHOTS, startWebviewHost, THEMES, type Harness, type Theme, type WebviewHost } from '../helpers/webview';

let host: WebviewHost;
const openWebview = (theme?: Theme): Promise<Harness> => host.open(theme, { width: 1100, height: 900 });
let optimized: { file: ComparisonFile; filePath: string };
let differs: { file: ComparisonFile; filePath: string };
/** mlpModel against mlpVariantModel: every kind of structural change (opset, ops, dtype, shape, an output only in B). */
let variant: { file: ComparisonFile; filePath: string };

function linear(weights: readonly number[]): Uint8Array {
  return encodeModel({
    irVersion: 10,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'linear',
      nodes: [{ name: 'fc', opType: 'MatMul', inputs: ['x', 'W'], outputs: ['logits'] }],
      initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [4, 3], raw: f32(weights) }],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 3] }],
    },
  });
}

before(async () => {
  const { worker } = await bundles();
  const dir = tmpDir('compare-webview');
  const src = path.join(dir, 'encoder.onnx');
  fs.writeFileSync(src, transformerModel({ layers: 2, hidden: 64, ffn: 256 }).model);
  const out = path.join(dir, 'encoder.opt.onnx');
  await optimizeGraphWithOrt({ modelPath: src, outPath: out, level: 'extended', ep: 'cpu' }, { workerPath: worker });
  const verify = { ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: 'basic', enableCpuMemArena: true, intraOpNumThreads: 1 }, dims: { batch: 1, sequence: 16 } } as const;
  optimized = await compareModels(
    { modelA: src, modelB: out, verify, profile: { warmupRuns: 2, timedRuns: 20, profiledRuns: 2, decode: 'off' }, transform: { kind: 'optimize-graph', title: 'Optimize graph (extended)', changes: ['nodes 61 → 46'], warnings: ['A note from the transform.'] } },
    { workerPath: worker, outDir: path.join(dir, 'runs') },
  );
  const w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => v / 10);
  fs.writeFileSync(path.join(dir, 'a.onnx'), linear(w));
  fs.writeFileSync(path.join(dir, 'b.onnx'), linear(w.map((_, i) => w[i - (i % 3) + (2 - (i % 3))]!)));
  differs = await compareModels({ modelA: path.join(dir, 'a.onnx'), modelB: path.join(dir, 'b.onnx'), verify: { ...verify, dims: { batch: 16 } } }, { workerPath: worker, outDir: path.join(dir, 'runs') });
  fs.writeFileSync(path.join(dir, 'mlp.onnx'), mlpModel().model);
  fs.writeFileSync(path.join(dir, 'mlp-v2.onnx'), mlpVariantModel());
  variant = await compareModels({ modelA: path.join(dir, 'mlp.onnx'), modelB: path.join(dir, 'mlp-v2.onnx'), verify: { ...verify, dims: {} } }, { workerPath: worker, outDir: path.join(dir, 'runs') });
  host = await startWebviewHost('compare');
});

after(async () => {
  await host?.close();
});

const message = (c: { file: ComparisonFile; filePath: string }): ComparisonToWebview => ({ type: 'comparison', filePath: c.filePath, comparison: c.file });

async function rows(page: Page, testid: string, attrs: readonly string[]): Promise<Record<string, string | null>[]> {
  return page.locator(`[data-testid="${testid}"]`).evaluateAll((els, names) => els.map((e) => Object.fromEntries(names.map((n) => [n, e.getAttribute(`data-${n}`)]))), attrs);
}

test('the real comparisons are what the view is tested with', () => {
  assert.equal(optimized.file.verify.verdict, 'pass');
  assert.ok(optimized.file.comparison && optimized.file.comparison.operators.length > 3);
  assert.equal(differs.file.verify.verdict, 'fail');
  assert.equal(differs.file.comparison, undefined);
});

test('the webview posts ready first and shows the loading state until data arrives', () => assertReadyHandshake(host));

test('a real optimized-model comparison: verdict, agreement rows, before/after rows, op deltas, graph changes; three themes', async () => {
  const c = optimized.file;
  for (const theme of Object.values(THEMES)) {
    const w = await openWebview(theme);
    try {
      await w.send(message(optimized));
      const root = w.page.locator('[data-testid="comparison"]');
      await root.waitFor();
      assert.equal(await root.getAttribute('data-verdict'), 'pass');
      assert.equal(await w.page.locator('[data-testid="title"]').textContent(), 'encoder.onnx → encoder.opt.onnx');
      assert.equal(await w.page.locator('[data-testid="transform"]').textContent(), 'Optimize graph (extended)');
      assert.match((await w.page.locator('[data-testid="verdict"]').textContent()) ?? '', /Outputs agree/);
      assert.deepEqual(
        await rows(w.page, 'agreement-row', ['output', 'verdict', 'max-abs', 'cosine']),
        c.verify.outputs.map((o) => ({ output: o.name, verdict: o.verdict, 'max-abs': String(o.maxAbsError), cosine: String(o.cosine) })),
      );
      assert.deepEqual(
        await rows(w.page, 'metric-row', ['key', 'a', 'b', 'verdict']),
        c.comparison!.metrics.map((m) => ({ key: m.key, a: String(m.a), b: String(m.b), verdict: m.verdict })),
        'every before/after metric with the exact numbers',
      );
      assert.equal(Number(await w.page.locator('[data-testid="speedup"]').getAttribute('data-value')), c.comparison!.speedup);
      assert.equal(await w.page.locator('[data-testid="op-delta-row"]').count(), c.comparison!.operators.length);
      // Largest change first; LayerNormalization went away (its row shows no "after" time).
      const first = c.comparison!.operators.reduce((x, y) => (Math.abs(y.deltaUs) > Math.abs(x.deltaUs) ? y : x));
      assert.equal(await w.page.locator('[data-testid="op-delta-row"]').first().getAttribute('data-key'), `${first.opType}@${first.provider}`);
      const ln = w.page.locator('[data-testid="op-delta-row"][data-key="LayerNormalization@CPUExecutionProvider"] td');
      assert.equal(await ln.nth(3).textContent(), '–');
      const structure = await rows(w.page, 'structure-row', ['key', 'kind', 'a', 'b']);
      const byKey = new Map(structure.map((r) => [r.key, r]));
      assert.deepEqual(byKey.get('nodes'), { key: 'nodes', kind: 'total', a: String(c.structure.nodes.a), b: String(c.structure.nodes.b) });
      assert.deepEqual(byKey.get('weights'), { key: 'weights', kind: 'total', a: String(c.structure.weights.a), b: String(c.structure.weights.b) });
      assert.deepEqual(
        structure.filter((r) => r.kind === 'op'),
        c.structure.ops.map((o) => ({ key: `op:${o.op}`, kind: 'op', a: String(o.a), b: String(o.b) })),
        'every op count that changed, largest change first',
      );
      assert.ok(structure.some((r) => r.key === 'op:LayerNormalization' && r.b === '0'));
      assert.deepEqual(byKey.get('opset:com.microsoft'), { key: 'opset:com.microsoft', kind: 'opset', a: '–', b: '1' }, 'the fusions import com.microsoft');
      assert.equal(await w.page.locator('[data-testid="structure-headline"]').textContent(), diffHeadline(c.structure));
      assert.match((await w.page.locator('[data-testid="transform-changes"]').textContent()) ?? '', /nodes 61 → 46.*A note from the transform\./s);
      assert.deepEqual(await w.state(), { filePath: optimized.filePath }, 'the file path is kept for the panel serializer');
      await w.page.evaluate(() => document.fonts.ready.then(() => undefined));
      const file = path.join(SHOTS, `compare-${theme.name}.png`);
      await w.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000);
      assert.deepEqual(w.problems, [], 'no console errors or CSP violations');
    } finally {
      await w.close();
    }
  }
});

test('the buttons ask the extension to open the models, the runs and the file; the op table sorts and filters', async () => {
  const w = await openWebview();
  try {
    await w.send(message(optimized));
    await w.page.locator('[data-testid="comparison"]').waitFor();
    for (const name of ['Open New Model', 'Open Original', 'Reveal in Explorer', 'Profile of A', 'Profile of B', 'Open Comparison File']) await w.page.getByRole('button', { name }).click();
    assert.deepEqual(await w.posted(), [
      { type: 'ready' },
      { type: 'openModel', which: 'b' },
      { type: 'openModel', which: 'a' },
      { type: 'revealModel', which: 'b' },
      { type: 'openRun', which: 'a' },
      { type: 'openRun', which: 'b' },
      { type: 'openComparisonFile' },
    ]);
    await w.page.locator('[data-testid="op-deltas-filter"]').fill('matmul');
    const keys = (await rows(w.page, 'op-delta-row', ['key'])).map((r) => r.key!);
    assert.ok(keys.length >= 1 && keys.every((k) => /matmul/i.test(k)), keys.join());
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('a failing check without profiles: FAIL, the differing output with its reason, no before/after', async () => {
  const w = await openWebview();
  try {
    await w.send(message(differs));
    await w.page.locator('[data-testid="comparison"]').waitFor();
    assert.equal(await w.page.locator('[data-testid="verdict"]').getAttribute('data-verdict'), 'fail');
    const row = w.page.locator('[data-testid="agreement-row"]');
    assert.equal(await row.getAttribute('data-verdict'), 'differs');
    const o = differs.file.verify.outputs[0]!;
    assert.match((await row.textContent()) ?? '', new RegExp(o.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match((await row.textContent()) ?? '', new RegExp(`${(o.top1!.agreement * 100).toFixed(1)}%`));
    assert.match((await w.page.locator('[data-testid="before-after"]').textContent()) ?? '', /not profiled/);
    assert.equal(await w.page.locator('[data-testid="op-delta-row"]').count(), 0);
    assert.equal(await w.page.getByRole('button', { name: 'Profile of A' }).isDisabled(), true);
    await w.page.screenshot({ path: path.join(SHOTS, 'compare-fail-dark.png'), fullPage: true });
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('graph changes: the same ModelDiff as Compare Models, every kind of change with its values; structurally identical models say so', async () => {
  const d = variant.file.structure;
  assert.deepEqual(JSON.parse(JSON.stringify(d)), JSON.parse(JSON.stringify(await compareModelFiles(variant.file.a.path, variant.file.b.path))), 'the comparison file holds the core diff');
  const w = await openWebview();
  try {
    await w.send(message(variant));
    await w.page.locator('[data-testid="comparison"]').waitFor();
    const got = new Map((await rows(w.page, 'structure-row', ['key', 'kind', 'a', 'b'])).map((r) => [r.key, r]));
    const expect = (key: string, kind: string, a: string, b: string) => assert.deepEqual(got.get(key), { key, kind, a, b }, key);
    expect('nodes', 'total', '3', '5');
    expect('opset:ai.onnx', 'opset', '17', '18');
    expect('op:Relu', 'op', '1', '0');
    expect('op:Sigmoid', 'op', '0', '1');
    expect('op:Cast', 'op', '0', '1');
    expect('dtype:initializer:W', 'dtype', 'float', 'float16');
    expect('shape:input:x', 'shape', 'float[batch,4]', 'float[1,4]');
    expect('outputs:xw', 'io', '–', 'present');
    expect('weights:float16', 'weights-by-dtype', '0', '24');
    expect('initializers', 'total', String(d.initializers.count.a), String(d.initializers.count.b));
    const text = (key: string) => w.page.locator(`[data-testid="structure-row"][data-key="${key}"]`).textContent();
    assert.equal(await text('op:Relu'), 'Relu10removed');
    assert.equal(await text('weights:float16'), 'float16 weights0 B24 B+24 B');
    assert.match((await w.page.locator('[data-testid="structure-headline"]').textContent()) ?? '', /^3 → 5 nodes \(\+2\) · op types \+3 −1 · 1 dtype change/);
    await w.page.locator('[data-testid="structure"]').screenshot({ path: path.join(SHOTS, 'compare-structure-dark.png') });
    await w.send(message(differs));
    await w.page.locator('[data-testid="structure-headline"][data-identical="true"]').waitFor();
    assert.match((await w.page.locator('[data-testid="structure-headline"]').textContent()) ?? '', /^Structurally identical/);
    assert.deepEqual([...new Set((await rows(w.page, 'structure-row', ['kind'])).map((r) => r.kind))], ['total'], 'only the totals');
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('junk messages are ignored; an error shows with its hint', async () => {
  const w = await openWebview();
  try {
    const bad = { ...optimized.file, verify: { ...optimized.file.verify, verdict: 'maybe' } };
    for (const junk of [null, {}, { type: 'comparison' }, { type: 'comparison', filePath: 'x', comparison: bad }, { type: 'comparison', filePath: 'x', comparison: { ...optimized.file, schemaVersion: 1 } },
      { type: 'comparison', filePath: 'x', comparison: { ...optimized.file, structure: { ...optimized.file.structure, ops: [{ op: 'Add', a: 1 }] } } }]) await w.send(junk);
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="loading"]').count(), 1, 'still loading after junk');
    await w.send({ type: 'error', message: 'The comparison file /tmp/x.ilcmp.json no longer exists.', hint: 'Run the comparison again.' } satisfies ComparisonToWebview);
    await w.page.locator('[data-testid="error"]').waitFor();
    assert.match((await w.page.locator('[data-testid="error"]').textContent()) ?? '', /no longer exists\..*Run the comparison again\./);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});
