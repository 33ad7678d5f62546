/**
 * Builds the graph view's model graph in a worker thread (bundled as dist/graph-worker.js): reading
 * the model, the insight analysis and the graph build take seconds on 50k-node models, and in a
 * thread they neither block the extension host nor resist Cancel (the thread is terminated).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isOnnxError, readModel } from '../core/onnx';
import { buildGraph, dimsFor } from './graph-build';
import type { GraphWorkerInput, GraphWorkerOutput } from './graph-client';

async function main(): Promise<void> {
  const input = workerData as GraphWorkerInput;
  const port = parentPort!;
  try {
    const t0 = performance.now();
    const model = await readModel(input.modelPath);
    const dims = dimsFor(model, input.dims);
    const built = buildGraph(model, dims, new AbortController().signal);
    const out: GraphWorkerOutput = { ok: true, graph: built.graph, cost: built.cost, tensors: built.tensors, dims, warning: built.warning, millis: performance.now() - t0 };
    const transfer = [built.graph.nodes, built.graph.values, built.graph.tensors, built.graph.groups, built.cost ?? {}]
      .flatMap((t) => Object.values(t))
      .filter((c): c is ArrayBufferView => ArrayBuffer.isView(c))
      .map((c) => c.buffer as ArrayBuffer);
    port.postMessage(out, [...new Set(transfer)]);
  } catch (e) {
    const out: GraphWorkerOutput = isOnnxError(e)
      ? { ok: false, code: e.code, message: e.message, hint: e.hint }
      : { ok: false, code: 'internal', message: e instanceof Error ? e.message : String(e), hint: '', stack: e instanceof Error ? e.stack : undefined };
    port.postMessage(out);
  }
}

void main();
