/** Per-operator breakdown of real ORT profiles (made here by onnxruntime-node's profiler). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ortOpBreakdown } from '../../src/core/results/ort-ops';
import { tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';

let events: { cat: string; name: string; dur: number; args: Record<string, unknown> }[] = [];
const RUNS = 4;

before(async () => {
  const dir = tmpDir('ort-ops');
  const file = path.join(dir, 'enc.onnx');
  fs.writeFileSync(file, transformerModel({ layers: 2, hidden: 64, ffn: 128 }).model);
  const s = await ort.InferenceSession.create(file, { enableProfiling: true, profileFilePrefix: path.join(dir, 'prof'), graphOptimizationLevel: 'disabled' });
  const x = new ort.Tensor('float32', new Float32Array(1 * 8 * 64).fill(0.1), [1, 8, 64]);
  for (let i = 0; i < RUNS; i++) await s.run({ hidden_states: x });
  s.endProfiling();
  await s.release();
  const f = fs.readdirSync(dir).find((n) => n.startsWith('prof') && n.endsWith('.json'))!;
  events = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
});

test('aggregates per op type and per node equal an independent count of the raw events', () => {
  const b = ortOpBreakdown(events, 'cpu');
  const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  assert.equal(b.runs, RUNS);
  const total = nodeEvents.reduce((a, e) => a + e.dur, 0);
  assert.equal(b.totalNodeUs, total);
  // Optimization disabled: every node of the graph ran once per run.
  const matmuls = nodeEvents.filter((e) => e.args.op_name === 'MatMul');
  const row = b.byOpType.find((o) => o.opType === 'MatMul')!;
  assert.equal(row.count, matmuls.length);
  assert.equal(row.count, RUNS * 2 * 8, '8 MatMuls per layer (q, k, v, scores, context, out, ffn in, ffn out)');
  assert.ok(Math.abs(row.totalUs - matmuls.reduce((a, e) => a + e.dur, 0)) < 1e-9);
  assert.ok(Math.abs(b.byOpType.reduce((a, o) => a + o.share, 0) - 1) < 1e-9);
  // Per node: each node RUNS times, shapes as ORT reports them.
  assert.ok(b.byNode.every((n) => n.count === RUNS));
  const q = b.byNode.find((n) => n.node === '/encoder/layer.0/attention/self/query/MatMul')!;
  // ORT lists the activation inputs (not initializers) with their shapes.
  assert.deepEqual(q.inputShapes, ['float[1,8,64]']);
  assert.deepEqual(q.outputShapes, ['float[1,8,64]']);
  assert.deepEqual(b.fallbackNodes, []);
  assert.deepEqual(b.memcpyNodes, []);
  assert.ok(b.arenaPeakBytes > 0 && b.arenaPeakNode);
});

test('nodes on another provider than the one asked for are flagged; Memcpy nodes are listed', () => {
  const asIfCuda = ortOpBreakdown(events, 'cuda');
  assert.equal(asIfCuda.fallbackNodes.length, new Set(events.filter((e) => e.cat === 'Node').map((e) => e.name)).size);
  const memcpy = { cat: 'Node', name: 'Memcpy_token_1_kernel_time', dur: 50, ts: 1, args: { op_name: 'MemcpyToHost', provider: 'CUDAExecutionProvider' } };
  const b = ortOpBreakdown([...events, memcpy], 'cuda');
  assert.deepEqual(b.memcpyNodes, [{ node: 'Memcpy_token_1', opType: 'MemcpyToHost', totalUs: 50 }]);
  assert.ok(!b.fallbackNodes.some((n) => n.node === 'Memcpy_token_1'));
});

test('fused nodes keep the original node name ORT puts in the fused name', () => {
  const fused = { cat: 'Node', name: '/fc/MatMul/MatMulAddFusion_kernel_time', dur: 10, args: { op_name: 'Gemm', provider: 'CPUExecutionProvider' } };
  const b = ortOpBreakdown([fused], 'cpu');
  assert.deepEqual(b.byNode[0]!.fusedFrom, ['/fc/MatMul']);
});
