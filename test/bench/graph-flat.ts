/**
 * The graph benchmark's baseline outside the browser: one flat dagre layout of every node of a
 * model (no hierarchy), timed in Node with a raised stack (dagre recurses as deep as the graph is
 * long; Chromium's worker stack overflows at 10k nodes). Boxes are 100×32. Prints the milliseconds.
 *   node --stack-size=7800 --import tsx test/bench/graph-flat.ts model.onnx
 */
import * as fs from 'node:fs';
import { buildModelGraph } from '../../src/core/graph/build';
import { parseModelBuffer } from '../../src/core/onnx';
import { flatLayout } from '../../webview-ui/src/graph/layout';
import { GraphModel } from '../../webview-ui/src/graph/model';

const { graph } = buildModelGraph(parseModelBuffer(fs.readFileSync(process.argv[2]!)));
const m = new GraphModel(graph);
const r = flatLayout({
  nodeCount: m.N,
  groupCount: m.G,
  parent: m.parent,
  childStart: graph.groups.childStart,
  children: graph.groups.children,
  width: new Float32Array(m.N + m.G).fill(100),
  height: new Float32Array(m.N + m.G).fill(32),
  edgeFrom: m.edges.from,
  edgeTo: m.edges.to,
  edgeValue: m.edges.value,
});
process.stdout.write(`${JSON.stringify({ millis: r.millis, nodes: m.N })}\n`);
