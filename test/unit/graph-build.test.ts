/**
 * The Graph tab's host side without VS Code: the graph built in a worker thread (same result as in
 * process, typed errors, cancel), and measured time per node from a real ONNX Runtime run.
 *
 *   node --import tsx --test test/unit/graph-build.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { buildModelGraph } from '../../src/core/graph/build';
import { graphTiming, nodesByName } from '../../src/core/graph/timing';
import { analyzeModel } from '../../src/core/insight';
import { readModel } from '../../src/core/onnx';
import { buildGraphInWorker, GraphBuildError } from '../../src/runner/graph-client';
import { dimsFor } from '../../src/runner/graph-build';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { profiledEncoder } from '../helpers/ort-runs';
import { transformerModel } from '../helpers/models';

/** The worker thread's script, bundled as dist/graph-worker.js is. */
let WORKER = '';
before(async () => {
  WORKER = (await bundles()).graphWorker;
});

test('the graph built in a worker thread equals the one built in process, with the dims used', async () => {
  const dir = tmpDir('graph-worker');
  const file = path.join(dir, 'encoder.onnx');
  fs.writeFileSync(file, transformerModel({ layers: 3, hidden: 16, ffn: 32 }).model);
  const built = await buildGraphInWorker(WORKER, { modelPath: file, dims: { sequence: 64 } });
  assert.deepEqual(built.dims, { batch: 1, sequence: 64 }, 'given dims kept, the others from Profile Model…’s defaults');
  const model = await readModel(file);
  const local = buildModelGraph(model, { insight: analyzeModel(model, { dims: dimsFor(model, { sequence: 64 }) }) });
  assert.deepEqual(built.graph, local.graph);
  assert.deepEqual(built.cost, local.cost);
  assert.equal(built.tensors.length, local.tensors.length);
  assert.deepEqual(built.tensors.map((t) => t.name), local.tensors.map((t) => t.name));
  assert.ok(built.cost && built.cost.macs.some((m) => m > 0), 'MatMuls have MACs for these dims');
});

test('worker errors are typed with a hint; cancel stops the thread', async () => {
  const dir = tmpDir('graph-worker-errors');
  await assert.rejects(buildGraphInWorker(WORKER, { modelPath: path.join(dir, 'missing.onnx'), dims: {} }), (e: unknown) => e instanceof GraphBuildError && e.code === 'io' && e.hint.length > 0);
  const junk = path.join(dir, 'junk.onnx');
  fs.writeFileSync(junk, 'this is not a model at all, just some text that is long enough');
  await assert.rejects(buildGraphInWorker(WORKER, { modelPath: junk, dims: {} }), (e: unknown) => e instanceof GraphBuildError && e.code === 'not-onnx');
  const big = path.join(dir, 'big.onnx');
  fs.writeFileSync(big, transformerModel({ layers: 200, hidden: 8, ffn: 8 }).model);
  const abort = new AbortController();
  const work = buildGraphInWorker(WORKER, { modelPath: big, dims: {} }, abort.signal);
  setTimeout(() => abort.abort(), 50);
  const t0 = performance.now();
  await assert.rejects(work, (e: unknown) => e instanceof GraphBuildError && e.code === 'cancelled');
  assert.ok(performance.now() - t0 < 1000, 'cancel answers at once');
});

test('time per node from a real ONNX Runtime run: every profiled microsecond lands on a model node or is counted as added by ORT', async () => {
  const r = await profiledEncoder({ hidden: 32, ffn: 64, sequence: 16, timedRuns: 3, profiledRuns: 3 });
  const model = await readModel(r.run.model.path);
  const { graph } = buildModelGraph(model);
  const timing = graphTiming(graph, r.run, r.runFilePath);
  assert.ok(timing);
  assert.equal(timing.runFile, r.runFilePath);
  const ops = r.run.operators!;
  const byName = nodesByName(graph);
  // Rows named like a model node: their time per run (summed over providers) is that node's.
  const direct = new Map<number, number>();
  let fused = 0;
  let unmatched = 0;
  for (const row of ops.byNode) {
    const i = byName.get(row.node);
    if (i !== undefined) direct.set(i, (direct.get(i) ?? 0) + row.totalUs / ops.runs);
    else if ((row.fusedFrom ?? []).some((n) => byName.has(n))) fused++;
    else unmatched++;
  }
  assert.ok(direct.size > 10, `${direct.size} nodes matched by name`);
  for (const [i, us] of direct) if (!timing.fusedInto.some((f) => f.node === i)) assert.ok(Math.abs(timing.nodeUs[i]! - us) < 1e-9, graph.strings[graph.nodes.name[i]!]);
  assert.equal(timing.unmatchedNodes, unmatched);
  assert.equal(new Set(timing.fusedInto.map((f) => f.fused)).size, fused);
  const total = ops.byNode.reduce((s, row) => s + row.totalUs, 0) / ops.runs;
  assert.ok(Math.abs(timing.totalUs - total) < 1e-6);
  const assigned = [...timing.nodeUs].filter((v) => !Number.isNaN(v)).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(assigned + timing.unmatchedUs - total) < 1e-6);
  // A run without per-node rows gives no timing.
  assert.equal(graphTiming(graph, { ...r.run, operators: undefined }, r.runFilePath), undefined);
});
