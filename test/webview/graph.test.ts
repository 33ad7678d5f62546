/**
 * The model editor's Graph tab in headless Chromium: the page the extension serves (same HTML and
 * CSP, with workers allowed as the extension allows them), the real layout worker bundle started from
 * a blob: URL, and graphs built by the real reader, insight analysis and graph builder from models
 * the tests write (up to a 10k-node encoder), an ONNX Runtime run for the time overlay, real weight
 * statistics. Layout correctness is checked on the layout the page exposes (window.__graphView):
 * boxes nested in their groups, no overlapping siblings, edges exactly between the boxes the model's
 * values connect. Screenshots in test-results/webview/.
 *
 *   node --import tsx --test test/webview/graph.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { formatBytes, formatDuration } from '../../src/core/format';
import { graphTiming } from '../../src/core/graph/timing';
import { NODE_KINDS } from '../../src/core/graph/types';
import { weightStatistics } from '../../src/core/graph/weights';
import { readModel } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { profileToJson } from '../../src/core/profile/json';
import type { ExtensionToWebview, ProfilerToWebview } from '../../src/protocol/messages';
import { tmpDir } from '../helpers/fixtures';
import { f32 } from '../helpers/models';
import { profiledEncoder, type EncoderRun } from '../helpers/ort-runs';
import { transformerModel } from '../helpers/models';
import { SHOTS, startWebviewHost, THEMES, type Harness, type Theme, type WebviewHost } from '../helpers/webview';
import type { GraphSnapshot } from '../../webview-ui/src/graph/view';
import { assertLayout, expectedMatches, graphDebug, graphIdle, graphMessage, sendTyped, waitGraphReady } from './graph-page';

type GraphMessage = Extract<ExtensionToWebview, { type: 'graph' }>;

let host: WebviewHost;
let small: GraphMessage;
let big: GraphMessage;
let ort: EncoderRun;

before(async () => {
  host = await startWebviewHost('overview', { workers: true });
  small = graphMessage(transformerModel({ layers: 2, hidden: 8, ffn: 16 }).model);
  big = graphMessage(transformerModel({ layers: 334, hidden: 8, ffn: 16 }).model);
  ort = await profiledEncoder({ hidden: 32, ffn: 64, sequence: 16, timedRuns: 3, profiledRuns: 3 });
});

after(async () => {
  await host?.close();
});

async function openGraph(msg: GraphMessage, theme: Theme = THEMES.dark, viewport = { width: 1400, height: 900 }): Promise<Harness> {
  const w = await host.open(theme, viewport);
  await w.page.locator('[data-testid="tab-graph"]').click();
  await sendTyped(w.page, msg);
  await waitGraphReady(w.page);
  return w;
}

const snapshot = (w: Harness): Promise<GraphSnapshot> => graphDebug(w.page, '(g) => g.snapshot()');

/** Times of the node boxes in view (every node is a box in these small models). */
const shownTimes = (s: GraphSnapshot, nodeUs: Float64Array): number[] => s.items.filter((it) => !it.open && !it.group).map((it) => nodeUs[it.id]!).filter((v) => v > 0);

// ---- tests ----

test('the Graph tab asks for the graph once, shows progress, and starts the layout worker under the page CSP', async () => {
  const w = await host.open();
  try {
    await w.page.locator('[data-testid="tab-graph"]').click();
    assert.match((await w.page.locator('[data-testid="graph-status"]').textContent()) ?? '', /Loading the graph/);
    await w.page.locator('[data-testid="tab-overview"]').click();
    await w.page.locator('[data-testid="tab-graph"]').click();
    assert.deepEqual(await w.posted(), [{ type: 'ready' }, { type: 'loadGraph' }], 'ready, then loadGraph once');
    assert.deepEqual(await w.state(), { view: 'graph' });
    await sendTyped(w.page, small);
    await waitGraphReady(w.page);
    assert.equal(await graphDebug(w.page, '(g) => g.worker'), true, 'the layout ran in the web worker');
    assert.deepEqual(w.problems, [], 'no console errors or CSP violations');
  } finally {
    await w.close();
  }
});

test('a 2-layer encoder opens fully expanded; boxes nest, never overlap, and edges join the right boxes (three themes)', async () => {
  for (const theme of [THEMES.dark, THEMES.light, THEMES.hc]) {
    const w = await openGraph(small, theme);
    try {
      const s = await snapshot(w);
      const nodes = s.items.filter((it) => !it.group);
      assert.equal(nodes.length, small.graph.nodes.count, 'small models show every node');
      assertLayout(small.graph, s);
      // Shapes from the insight analysis label the edges; the first MatMul's weight is in its box.
      assert.ok(s.items.some((it) => it.name === '/encoder/layer.0/attention/self/query/MatMul'));
      await w.page.screenshot({ path: path.join(SHOTS, `graph-encoder-${theme.name}.png`) });
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  }
});

test('10k-node encoder: collapsed by default; double-click expands a chunk in place, its ± box collapses it', async () => {
  const w = await openGraph(big);
  try {
    const timings = await graphDebug<{ firstPaint: number }>(w.page, '(g) => g.timings');
    let s = await snapshot(w);
    assert.ok(big.graph.groups.nodeCount[0]! >= 10_000);
    assert.ok(s.items.length <= 160, `${s.items.length} boxes at first`);
    assertLayout(big.graph, s);
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-10k-collapsed.png') });
    // The first chunk of layers, collapsed: double-click its box.
    const chunk = s.items.find((it) => it.group && !it.open && /^layer\.0 … /.test(it.title))!;
    assert.ok(chunk, 'a chunk of layers is shown collapsed');
    const before = (await graphDebug<{ x: number; y: number; w: number; h: number }>(w.page, `(g) => g.screenRect(${chunk.id})`))!;
    const canvas = await w.page.locator('[data-testid="graph-canvas"]').boundingBox();
    await w.page.mouse.dblclick(canvas!.x + before.x + before.w / 2, canvas!.y + before.y + before.h - 6);
    await graphIdle(w.page);
    s = await snapshot(w);
    const opened = s.items.find((it) => it.id === chunk.id)!;
    assert.ok(opened.open, 'the chunk is open');
    const layers = s.items.filter((it) => it.parent === chunk.id - big.graph.nodes.count);
    assert.equal(layers.length, 38, 'its 38 layers are shown');
    assert.ok(layers.every((l) => l.group && !l.open && /^layer\.\d+$/.test(l.title)));
    const after = (await graphDebug<{ x: number; y: number }>(w.page, `(g) => g.screenRect(${chunk.id})`))!;
    assert.ok(Math.abs(after.x - before.x) < 1 && Math.abs(after.y - before.y) < 1, 'the group did not move on screen');
    assertLayout(big.graph, s);
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-10k-chunk-open.png') });
    // Its ± box (left of the header) collapses it again.
    const r = (await graphDebug<{ x: number; y: number; w: number; h: number }>(w.page, `(g) => g.screenRect(${chunk.id})`))!;
    const scale = (await graphDebug<{ scale: number }>(w.page, '(g) => g.viewport')).scale;
    await w.page.mouse.click(canvas!.x + r.x + 8 * scale, canvas!.y + r.y + 12 * scale);
    await graphIdle(w.page);
    s = await snapshot(w);
    assert.equal(s.items.find((it) => it.id === chunk.id)!.open, false, 'collapsed again');
    assert.equal(s.items.filter((it) => it.parent === chunk.id - big.graph.nodes.count).length, 0);
    assert.ok(timings.firstPaint > 0);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('10k nodes stay responsive: Expand all is laid out in the worker while the page keeps drawing frames', async () => {
  const w = await openGraph(big);
  try {
    // Record animation frames while the whole graph (15k boxes) is laid out and drawn.
    await w.page.evaluate(`(() => { window.__gaps = []; let last = performance.now(); window.__frames = true; const tick = (t) => { window.__gaps.push(t - last); last = t; if (window.__frames) requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()`);
    await w.page.locator('[data-testid="graph-expand-all"]').click();
    await graphIdle(w.page);
    const gaps = (await w.page.evaluate('(() => { window.__frames = false; return window.__gaps; })()')) as number[];
    const layout = await graphDebug<{ millis: number; groups: number; computed: number }>(w.page, '(g) => g.lastLayout');
    const s = await snapshot(w);
    assert.equal(s.items.filter((it) => !it.group).length, big.graph.nodes.count, 'every node is shown');
    assert.ok(layout.computed < 40, `groups of the same structure share layouts (${layout.computed} computed for ${layout.groups} groups)`);
    assertLayout(big.graph, s);
    const worst = Math.max(...gaps.slice(1));
    assert.ok(worst < 1500, `the page kept drawing (longest frame gap ${worst.toFixed(0)} ms)`);
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-10k-expanded.png') });
    // Collapse all brings back one box per top-level group.
    await w.page.locator('[data-testid="graph-collapse-all"]').click();
    await graphIdle(w.page);
    assertLayout(big.graph, await snapshot(w));
  } finally {
    await w.close();
  }
});

test('search by node name, op type or value name: count, Enter and Shift+Enter expand the groups around the match, select and center it', async () => {
  const w = await openGraph(big);
  try {
    const search = w.page.locator('[data-testid="graph-search"]');
    await search.fill('Softmax');
    // 334 Softmax nodes and the 334 MatMuls that read their outputs (values named after them).
    assert.equal(await w.page.locator('[data-testid="graph-matches"]').textContent(), `${expectedMatches(big.graph, 'Softmax').toLocaleString('en-US')} matches`);
    assert.equal(expectedMatches(big.graph, 'Softmax'), 668);
    await search.fill('layer.200/attention/self/Softmax');
    // The Softmax node, and the MatMul reading its output value (named after the node).
    assert.equal(await w.page.locator('[data-testid="graph-matches"]').textContent(), '2 matches');
    await search.press('Enter');
    await graphIdle(w.page);
    assert.equal(await w.page.locator('[data-testid="graph-matches"]').textContent(), '1 of 2');
    const props = w.page.locator('[data-testid="properties"]');
    assert.equal(await props.getAttribute('data-name'), '/encoder/layer.200/attention/self/Softmax');
    const id = await graphDebug<number>(w.page, `(g) => g.itemByName('/encoder/layer.200/attention/self/Softmax')`);
    const r = (await graphDebug<{ x: number; y: number; w: number; h: number }>(w.page, `(g) => g.screenRect(${id})`))!;
    const vp = await graphDebug<{ width: number; height: number }>(w.page, '(g) => g.viewport');
    assert.ok(Math.abs(r.x + r.w / 2 - vp.width / 2) < 2 && Math.abs(r.y + r.h / 2 - vp.height / 2) < 2, 'centered');
    const s = await snapshot(w);
    assertLayout(big.graph, s);
    assert.ok(s.items.some((it) => it.id === id), 'its groups were expanded');
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-search.png') });
    await search.press('Enter');
    await graphIdle(w.page);
    assert.equal(await w.page.locator('[data-testid="graph-matches"]').textContent(), '2 of 2');
    assert.equal(await props.getAttribute('data-name'), '/encoder/layer.200/attention/self/context/MatMul');
    await search.press('Shift+Enter');
    await graphIdle(w.page);
    assert.equal(await props.getAttribute('data-name'), '/encoder/layer.200/attention/self/Softmax');
    // Op types match too.
    await search.fill('LayerNormalization');
    assert.equal(await w.page.locator('[data-testid="graph-matches"]').textContent(), `${expectedMatches(big.graph, 'LayerNormalization').toLocaleString('en-US')} matches`);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('heat map of the time ONNX Runtime measured per node; MACs and parameter bytes; a model without a run says so', async () => {
  const msg = graphMessage(fs.readFileSync(ort.run.model.path));
  const timing = graphTiming(msg.graph, ort.run, ort.runFilePath)!;
  assert.ok(timing, 'the run has per-node times');
  // Every profiled node is accounted for: matched to a model node, split among fused origins, or unmatched.
  const matched = [...timing.nodeUs].filter((v) => !Number.isNaN(v)).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(matched + timing.unmatchedUs - timing.totalUs) < 1e-6 * timing.totalUs + 1e-9);
  assert.ok(matched > 0.5 * timing.totalUs, 'most of the time lands on model nodes');
  const w = await openGraph({ ...msg, timing });
  try {
    await w.page.locator('[data-testid="graph-overlay"]').selectOption('time');
    await graphIdle(w.page);
    // The legend spans the boxes in view (all nodes here): from the fastest to the slowest node with a time.
    const s = await snapshot(w);
    const shown = shownTimes(s, timing.nodeUs);
    assert.equal(await w.page.locator('[data-testid="legend-min"]').textContent(), formatDuration(Math.min(...shown)));
    assert.equal(await w.page.locator('[data-testid="legend-max"]').textContent(), formatDuration(Math.max(...shown)));
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-overlay-time.png') });
    // A node's properties show its time.
    const us = (i: number): number => (Number.isNaN(timing.nodeUs[i]!) ? -1 : timing.nodeUs[i]!);
    const hottest = [...timing.nodeUs.keys()].reduce((a, b) => (us(b) > us(a) ? b : a));
    const name = msg.graph.strings[msg.graph.nodes.name[hottest]!]!;
    await w.page.locator('[data-testid="graph-search"]').fill(name);
    await w.page.locator('[data-testid="graph-search"]').press('Enter');
    await graphIdle(w.page);
    assert.equal(await w.page.locator('[data-testid="properties"]').getAttribute('data-name'), name);
    assert.match((await w.page.locator('[data-testid="node-time"]').textContent()) ?? '', new RegExp(formatDuration(timing.nodeUs[hottest]!).replace('.', '\\.')));
    // MACs from the insight analysis: MatMuls have them.
    await w.page.locator('[data-testid="graph-overlay"]').selectOption('macs');
    await graphIdle(w.page);
    assert.ok(await w.page.locator('[data-testid="legend-max"]').isVisible());
    await w.page.locator('[data-testid="graph-overlay"]').selectOption('params');
    await graphIdle(w.page);
    // Each node reads at most one weight here: the largest box holds the largest initializer (32×64 floats).
    const largest = Math.max(...(await readModel(ort.run.model.path)).graph.initializers.map((t) => t.dims.reduce((a, b) => a * b, 1) * 4));
    assert.equal(largest, 32 * 64 * 4);
    assert.equal(await w.page.locator('[data-testid="legend-max"]').textContent(), formatBytes(largest));
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
  // Without a run: the legend says why and offers Profile Model…; when a run arrives the overlay
  // updates in place (same boxes, same selection).
  const w2 = await openGraph({ ...msg, timingNote: 'No profile run of this model yet: run Profile Model… to see where the time goes.' });
  try {
    await w2.page.locator('[data-testid="graph-overlay"]').selectOption('time');
    assert.match((await w2.page.locator('[data-testid="legend-note"]').textContent()) ?? '', /No profile run of this model yet/);
    await w2.page.locator('[data-testid="legend-profile"]').click();
    assert.deepEqual((await w2.posted()).at(-1), { type: 'profileModel' });
    const before = await snapshot(w2);
    await sendTyped(w2.page, { type: 'graphTiming', timing } satisfies ExtensionToWebview);
    await w2.page.locator('[data-testid="legend-max"]').waitFor();
    assert.equal(await w2.page.locator('[data-testid="legend-max"]').textContent(), formatDuration(Math.max(...shownTimes(before, timing.nodeUs))));
    assert.deepEqual(await snapshot(w2), before, 'the layout did not change');
  } finally {
    await w2.close();
  }
});

test('properties: attributes, inputs and outputs with shapes, initializer dtype and shape, weight statistics read on demand, Go to source', async () => {
  const dir = tmpDir('graph-props');
  const file = path.join(dir, 'mlp.onnx');
  const W = f32(Array.from({ length: 16 }, (_, i) => (i - 8) / 4));
  const trace = 'File "/opt/conda/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1736, in _call_impl\n    return forward_call(*args)\nFile "/home/ci/project/models/mlp.py", line 21, in forward\n    return self.fc(x)';
  fs.writeFileSync(
    file,
    encodeModel({
      graph: {
        name: 'mlp',
        nodes: [
          { name: 'node_Gemm_0', opType: 'Gemm', inputs: ['x', 'W'], outputs: ['h'], attributes: { transB: { i: 1 }, alpha: { f: 0.5 } }, metadata: { 'pkg.torch.onnx.stack_trace': trace, 'pkg.torch.onnx.name_scopes': "['', 'fc', 'linear']" } },
          { name: 'node_Relu_1', opType: 'Relu', inputs: ['h'], outputs: ['y'], metadata: { 'pkg.torch.onnx.name_scopes': "['', 'fc', 'relu']" } },
        ],
        initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [4, 4], raw: W }],
        inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
        outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 4] }],
      },
    }),
  );
  const msg = graphMessage(fs.readFileSync(file));
  const w = await openGraph(msg, THEMES.light);
  try {
    const gemm = await graphDebug<number>(w.page, `(g) => g.itemByName('node_Gemm_0')`);
    const r = (await graphDebug<{ x: number; y: number; w: number; h: number }>(w.page, `(g) => g.screenRect(${gemm})`))!;
    const canvas = (await w.page.locator('[data-testid="graph-canvas"]').boundingBox())!;
    await w.page.mouse.click(canvas.x + r.x + r.w / 2, canvas.y + r.y + r.h / 2);
    const props = w.page.locator('[data-testid="properties"]');
    assert.equal(await props.getAttribute('data-name'), 'node_Gemm_0');
    assert.deepEqual(await props.locator('[data-testid="node-attributes"] tr').allTextContents(), ['transB1', 'alpha0.5']);
    const inputs = props.locator('[data-testid="node-inputs"] li');
    assert.match((await inputs.nth(0).textContent()) ?? '', /^x float\[batch,4\] from x/);
    const weight = props.locator('[data-testid="tensor"]');
    assert.match((await weight.textContent()) ?? '', /float \[4,4\] 64 B/);
    await props.locator('[data-testid="weight-stats-button"]').click();
    const posted = (await w.posted()).at(-1) as { type: string; tensor: number };
    assert.equal(posted.type, 'weightStats');
    // Answer as the extension does: the statistics read from the file.
    const model = await readModel(file);
    const stats = await weightStatistics(file, model.graph.initializers[posted.tensor]!, posted.tensor);
    await w.send({ type: 'weightStats', tensor: posted.tensor, stats } satisfies ExtensionToWebview);
    const table = props.locator('[data-testid="weight-stats"]');
    await table.waitFor();
    const rows = Object.fromEntries((await table.locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]))) as [string, string][]);
    assert.equal(rows.min, '-2');
    assert.equal(rows.max, '1.75');
    assert.equal(rows.mean, '-0.125');
    assert.equal(rows.zeros, '1 (6.3%)');
    // Go to source: the frame in the user's code, not torch's.
    const go = props.locator('[data-testid="go-to-source"]');
    assert.equal(await go.textContent(), 'Go to mlp.py:21');
    await go.click();
    assert.deepEqual((await w.posted()).at(-1), { type: 'goToSource', file: '/home/ci/project/models/mlp.py', line: 21 });
    await w.page.screenshot({ path: path.join(SHOTS, 'graph-properties-light.png') });
    // The scope from the exporter's name_scopes metadata groups the Gemm under `fc`.
    const s = await snapshot(w);
    assert.equal(s.items.find((it) => it.id === gemm)!.parent, s.items.find((it) => it.group && it.title === 'fc')?.id! - msg.graph.nodes.count);
    // An error reading weights is shown where the statistics would be.
    await w.send({ type: 'weightStats', tensor: posted.tensor, error: 'The external data file is missing.' } satisfies ExtensionToWebview);
    assert.equal(await props.locator('.gp-error').textContent(), 'The external data file is missing.');
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('reveal: a reveal message opens the Graph tab at the node with its groups expanded; the state keeps it for a reload', async () => {
  const w = await host.open();
  try {
    await w.send({ type: 'reveal', node: '/encoder/layer.300/output/dense/MatMul' } satisfies ExtensionToWebview);
    assert.equal(await w.page.locator('[data-testid="tab-graph"]').getAttribute('aria-selected'), 'true');
    assert.deepEqual(await w.posted(), [{ type: 'ready' }, { type: 'loadGraph' }]);
    await sendTyped(w.page, big);
    await waitGraphReady(w.page);
    await w.page.locator('[data-testid="properties"][data-name="/encoder/layer.300/output/dense/MatMul"]').waitFor();
    assertLayout(big.graph, await snapshot(w));
    assert.deepEqual(await w.state(), { view: 'graph', node: '/encoder/layer.300/output/dense/MatMul' });
    // A node ONNX Runtime fused (its name records the origin) reveals the origin.
    await w.send({ type: 'reveal', node: '/encoder/layer.12/attention/self/scores/MatMul/MatMulScaleFusion/' } satisfies ExtensionToWebview);
    await w.page.locator('[data-testid="properties"][data-name="/encoder/layer.12/attention/self/scores/MatMul"]').waitFor();
    await w.page.locator('[data-testid="graph-status"]', { hasText: 'was fused by ONNX Runtime from this node' }).waitFor();
    // A node that does not exist says so and changes nothing.
    await w.send({ type: 'reveal', node: 'no/such/node' } satisfies ExtensionToWebview);
    await w.page.locator('[data-testid="graph-status"]', { hasText: 'No node named “no/such/node”' }).waitFor();
  } finally {
    await w.close();
  }
});

test('invalid graph messages are ignored, a build error is shown with its hint', async () => {
  const w = await host.open();
  try {
    await w.page.locator('[data-testid="tab-graph"]').click();
    const broken = structuredClone(small);
    (broken.graph.nodes.inputs as Int32Array)[0] = 1e6;
    await sendTyped(w.page, broken);
    await sendTyped(w.page, { type: 'graph', graph: { schemaVersion: 1 } });
    await sendTyped(w.page, { ...small, cost: { dims: {}, macs: new Float64Array(1), flops: new Float64Array(1), paramBytes: new Float64Array(1) } });
    await w.page.waitForTimeout(300);
    assert.equal(await graphDebug(w.page, '(g) => g.ready'), false, 'nothing was shown');
    await w.send({ type: 'graphError', message: 'Building the graph was cancelled.', hint: 'Switch tabs to build it again.' } satisfies ExtensionToWebview);
    const err = w.page.locator('[data-testid="graph-error"]');
    assert.match((await err.textContent()) ?? '', /Building the graph was cancelled\..*Switch tabs/);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('the profiler panel offers Reveal in model on an ONNX Runtime node and names the model node', async () => {
  const profiler = await startWebviewHost('profiler');
  try {
    const w = await profiler.open(THEMES.dark, { width: 1200, height: 1000 });
    await w.send({ type: 'profile', title: 'encoder', source: { kind: 'run', runFilePath: ort.runFilePath }, profile: profileToJson(ort.profile), run: ort.run } satisfies ProfilerToWebview);
    await w.page.locator('[data-testid="profiler"]').waitFor();
    await w.page.locator('[role="tab"]', { hasText: 'Nodes' }).click();
    const row = w.page.locator('[data-testid="node-row"]').first();
    const key = (await row.getAttribute('data-key'))!;
    await row.click();
    const reveal = w.page.locator('[data-testid="reveal-in-model"]');
    await reveal.click();
    const posted = (await w.posted()).at(-1) as { type: string; node: string };
    assert.equal(posted.type, 'revealInModel');
    assert.equal(posted.node, key.replace(/_kernel_time$/, ''));
    // The name is a node of the profiled model (or one ORT fused: then its origins are).
    const graph = graphMessage(fs.readFileSync(ort.run.model.path)).graph;
    const names = new Set([...graph.nodes.name].map((s, i) => (NODE_KINDS[graph.nodes.kind[i]!] === 'op' ? graph.strings[s] : '')));
    const fused = ort.run.operators!.byNode.find((n) => n.node === posted.node)?.fusedFrom;
    assert.ok(names.has(posted.node) || (fused ?? []).some((n) => names.has(n)), `${posted.node} is in the model`);
    await w.close();
  } finally {
    await profiler.close();
  }
});
