/**
 * The graph view's hierarchical layout engine (webview-ui/src/graph/layout.ts, pure, run here in
 * Node as the worker runs it): after any sequence of expand/collapse, the layout must be what a
 * fresh engine computes for the same expansion (the per-structure cache never leaks a stale
 * layout), boxes nest without overlapping, and edges join exactly the boxes values connect.
 * Models: an encoder (repeated structure), If/Loop bodies and a local function, a flat chunked graph.
 *
 *   node --import tsx --test test/unit/graph-layout.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModelGraph } from '../../src/core/graph/build';
import type { ModelGraph } from '../../src/core/graph/types';
import { mulberry32 } from '../../src/core/inputs/synthesize';
import { parseModelBuffer } from '../../src/core/onnx';
import { encodeModel, type NodeSpec } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { HierarchicalLayout, type LayoutGraph } from '../../webview-ui/src/graph/layout';
import { GraphModel } from '../../webview-ui/src/graph/model';
import { controlFlowModel, transformerModel } from '../helpers/models';
import { assertLayout, snapshotOf } from '../webview/graph-page';

function layoutGraph(g: ModelGraph): LayoutGraph {
  const m = new GraphModel(g);
  const width = new Float32Array(m.N + m.G);
  const height = new Float32Array(m.N + m.G);
  // Sizes vary by node so that layouts of different structure differ.
  for (let i = 0; i < m.N + m.G; i++) {
    width[i] = i < m.N ? 60 + (m.opType(i).length % 7) * 8 : 120;
    height[i] = i < m.N ? 28 + (m.weightLines(i).length ? 14 : 0) : 44;
  }
  width[m.N] = 0;
  return { nodeCount: m.N, groupCount: m.G, parent: m.parent, childStart: g.groups.childStart, children: g.groups.children, width, height, edgeFrom: m.edges.from, edgeTo: m.edges.to, edgeValue: m.edges.value };
}

function flatModel(n: number): Uint8Array {
  const random = mulberry32(3);
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < n; i++) {
    const a = i === 0 ? 'x' : `v${i - 1}`;
    const skip = i >= 20 && random() < 0.3 ? `v${i - 2 - Math.floor(random() * 18)}` : undefined;
    nodes.push({ name: `n${i}`, opType: skip ? 'Add' : 'Relu', inputs: skip ? [a, skip] : [a], outputs: [`v${i}`] });
  }
  return encodeModel({ graph: { name: 'flat', nodes, inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [4] }], outputs: [{ name: `v${n - 1}`, elemType: DataType.FLOAT, shape: [4] }] } });
}

const MODELS: [string, () => Uint8Array][] = [
  ['encoder (6 layers)', () => transformerModel({ layers: 6, hidden: 8, ffn: 16 }).model],
  ['If/Loop bodies and a local function', controlFlowModel],
  ['flat graph of 400 nodes (chunks)', () => flatModel(400)],
];

for (const [label, bytes] of MODELS) {
  test(`${label}: random expand/collapse sequences match fresh layouts and pass the layout checks`, () => {
    const { graph } = buildModelGraph(parseModelBuffer(bytes()));
    const lg = layoutGraph(graph);
    const engine = new HierarchicalLayout(lg);
    const random = mulberry32(11);
    const expanded = new Uint8Array(graph.groups.count);
    for (let step = 0; step < 12; step++) {
      // Toggle a few groups, sometimes everything.
      if (step === 3) expanded.fill(1);
      else if (step === 6) expanded.fill(0);
      else for (let k = 0; k < 4; k++) expanded[1 + Math.floor(random() * Math.max(1, graph.groups.count - 1))] ^= 1;
      const r = engine.layout(expanded);
      const fresh = new HierarchicalLayout(lg).layout(expanded);
      const a = snapshotOf(graph, r);
      const b = snapshotOf(graph, fresh);
      assert.deepEqual(a, b, `step ${step}: the cached layout equals a fresh one`);
      assertLayout(graph, a);
    }
  });
}

test('groups of the same structure share one layout: a 40-layer encoder expanded needs a handful of dagre runs', () => {
  const { graph } = buildModelGraph(parseModelBuffer(transformerModel({ layers: 40, hidden: 8, ffn: 16 }).model));
  const engine = new HierarchicalLayout(layoutGraph(graph));
  const r = engine.layout(new Uint8Array(graph.groups.count).fill(1));
  assert.ok(r.stats.groups > 500);
  assert.ok(r.stats.computed <= 20, `${r.stats.computed} layouts computed for ${r.stats.groups} groups`);
  // Collapsing one layer lays out only that layer's ancestors again.
  const expanded = new Uint8Array(graph.groups.count).fill(1);
  const layer = [...Array(graph.groups.count).keys()].find((g) => graph.strings[graph.groups.label[g]!] === 'layer.17')!;
  expanded[layer] = 0;
  const again = engine.layout(expanded);
  let depth = 0;
  for (let p = layer; p > 0; p = graph.groups.parent[p]!) depth++;
  assert.equal(again.stats.groups, depth, 'only the ancestors of the collapsed layer were looked at');
  assertLayout(graph, snapshotOf(graph, again));
});
