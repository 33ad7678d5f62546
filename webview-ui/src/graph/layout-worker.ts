/**
 * The graph view's layout worker (bundled alone as dist/webview/graph-layout-worker.js). The view
 * fetches the script and starts it from a blob: URL, which VS Code webviews allow with
 * `worker-src blob:`. It keeps the structure and the layout cache between requests, so expanding
 * or collapsing a group lays out only what changed.
 */
import { flatLayout, HierarchicalLayout, type LayoutResult } from './layout';
import type { FromLayoutWorker, ToLayoutWorker } from './worker-protocol';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToLayoutWorker>) => void) | null;
  postMessage(message: FromLayoutWorker, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
let engine: HierarchicalLayout | undefined;
let graph: Extract<ToLayoutWorker, { type: 'init' }>['graph'] | undefined;

function transferables(r: LayoutResult): Transferable[] {
  return [r.items, r.end, r.x, r.y, r.w, r.h, r.open, r.edgeFrom, r.edgeTo, r.edgeCount, r.edgeValue, r.pointStart, r.points].map((a) => a.buffer as ArrayBuffer);
}

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'init') {
    const t0 = performance.now();
    graph = m.graph;
    engine = new HierarchicalLayout(m.graph);
    scope.postMessage({ type: 'ready', millis: performance.now() - t0 });
    return;
  }
  try {
    if (!engine || !graph) throw new Error('layout requested before the graph was sent');
    let result: LayoutResult;
    if (m.flat) {
      const f = flatLayout(graph);
      result = { ...f, stats: { groups: 0, computed: 1, boxes: graph.nodeCount, millis: f.millis } };
    } else result = engine.layout(m.expanded);
    scope.postMessage({ type: 'layout', id: m.id, result }, transferables(result));
  } catch (err) {
    scope.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
};
