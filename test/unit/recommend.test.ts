/**
 * Recommendation rules on real profile runs: models the tests build, profiled by onnxruntime-node
 * through the bundled worker (CPU). The GPU rules (FP16, fallback, Memcpy) need a GPU provider that
 * does not run here; they are checked on a real CPU run whose provider fields are set as a CUDA run
 * reports them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { summarizeModel, type ModelSummary } from '../../src/core/onnx';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { fixTitle, recommend, type Finding } from '../../src/core/recommend';
import type { OrtRunFile, OrtSessionSettings } from '../../src/core/results/ort-run';
import { profileModel } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { f32, transformerModel } from '../helpers/models';

const ids = (f: readonly Finding[]) => f.map((x) => x.id).sort();

/** x (float [1, 4096], fixed) → Add, Mul, Relu, Softmax: no MatMul at all. */
function elementwiseModel(): Uint8Array {
  return encodeModel({
    irVersion: 10,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'elementwise',
      nodes: [
        { name: 'add', opType: 'Add', inputs: ['x', 'c'], outputs: ['a'] },
        { name: 'mul', opType: 'Mul', inputs: ['a', 'c'], outputs: ['m'] },
        { name: 'relu', opType: 'Relu', inputs: ['m'], outputs: ['r'] },
        { name: 'softmax', opType: 'Softmax', inputs: ['r'], outputs: ['y'], attributes: { axis: { i: -1 } } },
      ],
      initializers: [{ name: 'c', dataType: DataType.FLOAT, dims: [4096], raw: f32(Array.from({ length: 4096 }, (_, i) => (i % 7) / 7)) }],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 4096] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1, 4096] }],
    },
  });
}

/**
 * A dynamically quantized linear layer in standard ONNX ops (as onnxruntime.quantization writes
 * it with MatMulInteger): x → DynamicQuantizeLinear → MatMulInteger(int8 W) → Cast → Mul(scales).
 */
function quantizedLinearModel(n: number): Uint8Array {
  const wq = new Int8Array(n * n).map((_, i) => ((i * 31) % 255) - 127);
  return encodeModel({
    irVersion: 10,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'quantized',
      nodes: [
        { name: 'dq', opType: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['xq', 'xs', 'xzp'] },
        { name: 'mmi', opType: 'MatMulInteger', inputs: ['xq', 'W_q', 'xzp', 'W_zp'], outputs: ['acc'] },
        { name: 'cast', opType: 'Cast', inputs: ['acc'], outputs: ['accf'], attributes: { to: { i: DataType.FLOAT } } },
        { name: 'scale', opType: 'Mul', inputs: ['xs', 'W_s'], outputs: ['s'] },
        { name: 'out', opType: 'Mul', inputs: ['accf', 's'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'W_q', dataType: DataType.INT8, dims: [n, n], raw: new Uint8Array(wq.buffer) },
        { name: 'W_zp', dataType: DataType.INT8, dims: [], raw: new Uint8Array(1) },
        { name: 'W_s', dataType: DataType.FLOAT, dims: [], raw: f32([0.01]) },
      ],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', n] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', n] }],
    },
  });
}

describe('recommendations on real runs', () => {
  let worker = '';
  let dir = '';
  const runs = new Map<string, { run: OrtRunFile; summary: ModelSummary }>();

  async function profiled(file: string, level: OrtSessionSettings['graphOptimizationLevel'], dims: Record<string, number>): Promise<{ run: OrtRunFile; summary: ModelSummary }> {
    const key = `${file}:${level}`;
    const known = runs.get(key);
    if (known) return known;
    const { run } = await profileModel(
      { modelPath: file, ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: level, enableCpuMemArena: true, intraOpNumThreads: 1 }, dims, warmupRuns: 2, timedRuns: 10, profiledRuns: 10, decode: 'off' },
      { workerPath: worker, outDir: path.join(dir, 'runs') },
    );
    const r = { run, summary: await summarizeModel(file) };
    runs.set(key, r);
    return r;
  }

  let encoder = '';
  before(async () => {
    worker = (await bundles()).worker;
    dir = tmpDir('recommend');
    encoder = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(encoder, transformerModel({ layers: 2, hidden: 256, ffn: 1024 }).model);
  });

  test('transformer encoder on CPU: INT8 recommended, with the MatMul share of node time as evidence', async () => {
    const { run, summary } = await profiled(encoder, 'all', { batch: 1, sequence: 64 });
    const findings = recommend({ summary, run });
    const int8 = findings.find((f) => f.id === 'int8');
    assert.ok(int8, `int8 among ${ids(findings).join(', ')}`);
    assert.deepEqual(int8.fix, { kind: 'int8' });
    assert.equal(fixTitle(int8.fix!), 'Quantize to INT8');
    // The evidence is the run's own numbers: MatMul/Gemm/FusedMatMul time over all node time.
    const ops = run.operators!;
    const mm = ops.byOpType.filter((o) => ['MatMul', 'Gemm', 'FusedMatMul', 'FusedGemm'].includes(o.opType)).reduce((a, o) => a + o.totalUs, 0);
    const share = int8.evidence.find((e) => e.label === 'MatMul/Gemm share of node time')!;
    assert.ok(Math.abs(share.value - mm / ops.totalNodeUs) < 1e-12);
    assert.ok(share.value >= 0.4, `MatMul share ${share.value}`);
    assert.match(share.text, /% of node time \(.*MatMul/);
    // All weights are float32 but the two int64 reshape targets.
    const float = summary.initializers.byDtype.find((d) => d.dtype === 'float')!.bytes / summary.initializers.bytes;
    assert.equal(int8.evidence.find((e) => e.label === 'float32 share of weights')!.value, float);
    assert.ok(float > 0.999 && float < 1);
    assert.equal(int8.severity, share.value >= 0.6 ? 'high' : 'medium');
    // Profiled at "all", symbolic dims, CPU: nothing else applies.
    assert.ok(!findings.some((f) => ['optimize-graph', 'dynamic-axes', 'fp16', 'ep-fallback', 'memcpy'].includes(f.id)), ids(findings).join());
  });

  test('profiled at graph optimization "basic": optimize the graph (level all); not at "all"', async () => {
    const { run, summary } = await profiled(encoder, 'basic', { batch: 1, sequence: 64 });
    const f = recommend({ summary, run }).find((x) => x.id === 'optimize-graph');
    assert.ok(f);
    assert.deepEqual(f.fix, { kind: 'optimize-graph', level: 'all' });
    assert.equal(f.severity, 'medium');
    assert.match(f.evidence[0]!.text, /graphOptimizationLevel = basic/);
    const all = await profiled(encoder, 'all', { batch: 1, sequence: 64 });
    assert.ok(!recommend(all).some((x) => x.id === 'optimize-graph'));
    const disabled = { ...run, settings: { ...run.settings, session: { ...run.settings.session, graphOptimizationLevel: 'disabled' as const } } };
    assert.equal(recommend({ summary, run: disabled }).find((x) => x.id === 'optimize-graph')?.severity, 'high');
  });

  test('no MatMul: no INT8; fixed batch dim: make axes dynamic', async () => {
    const file = path.join(dir, 'elementwise.onnx');
    fs.writeFileSync(file, elementwiseModel());
    const { run, summary } = await profiled(file, 'all', {});
    const findings = recommend({ summary, run });
    assert.ok(!findings.some((f) => f.id === 'int8'), ids(findings).join());
    const dyn = findings.find((f) => f.id === 'dynamic-axes');
    assert.ok(dyn);
    // The output with the same fixed batch follows, so its declared shape stays true.
    assert.deepEqual(dyn.fix, { kind: 'dynamic-axes', axes: [{ value: 'x', axis: 0, name: 'batch' }, { value: 'y', axis: 0, name: 'batch' }] });
    assert.equal(dyn.evidence.length, 1);
    assert.match(dyn.evidence[0]!.text, /float\[1,4096\]: axis 0 fixed at 1/);
  });

  test('an already quantized model: no INT8 advice; (de)quantization overhead and "slower than float" are flagged', async () => {
    const file = path.join(dir, 'quantized.onnx');
    fs.writeFileSync(file, quantizedLinearModel(64));
    const q = await profiled(file, 'all', { batch: 1 });
    const findings = recommend(q);
    assert.ok(!findings.some((f) => f.id === 'int8'));
    // The real share of DynamicQuantizeLinear/QuantizeLinear/DequantizeLinear in this run decides the overhead finding.
    const ops = q.run.operators!;
    const qdq = ops.byOpType.filter((o) => o.opType === 'DynamicQuantizeLinear').reduce((a, o) => a + o.totalUs, 0) / ops.totalNodeUs;
    assert.equal(findings.some((f) => f.id === 'quantize-overhead'), qdq >= 0.2, `DynamicQuantizeLinear share ${qdq}`);
    assert.equal(recommend(q, { quantizeShare: 0 }).find((f) => f.id === 'quantize-overhead')?.severity, 'medium');
    // Against a float baseline: flagged when the quantized p50 is above the float p50 (beyond 3%).
    const p50 = q.run.result.latencyMs.p50;
    const baseline = (ms: number): OrtRunFile => ({ ...q.run, result: { ...q.run.result, latencyMs: { ...q.run.result.latencyMs, p50: ms } } });
    const slower = recommend({ ...q, baseline: baseline(p50 / 2) }).find((f) => f.id === 'quantized-slower');
    assert.ok(slower);
    assert.equal(slower.severity, 'high');
    assert.deepEqual(slower.evidence.map((e) => e.value), [p50 / 2, p50]);
    assert.match(slower.evidence[1]!.text, /100% slower/);
    assert.ok(!recommend({ ...q, baseline: baseline(p50 * 2) }).some((f) => f.id === 'quantized-slower'));
    assert.ok(!recommend({ ...q, baseline: baseline(p50 / 1.02) }).some((f) => f.id === 'quantized-slower'), 'within noise');
  });

  test('GPU provider: FP16 for float32 weights; fallback and Memcpy nodes named with their time', async () => {
    const cpuRun = await profiled(encoder, 'all', { batch: 1, sequence: 64 });
    const ops = cpuRun.run.operators!;
    // As a CUDA run reports it: ep cuda, two nodes that ran on CPU, one Memcpy node.
    const [n1, n2] = ops.byNode;
    const cuda: OrtRunFile = {
      ...cpuRun.run,
      result: { ...cpuRun.run.result, ep: 'cuda', requestedEp: 'cuda' },
      operators: {
        ...ops,
        fallbackNodes: [n1!, n2!].map((n) => ({ node: n.node, opType: n.opType, provider: 'CPUExecutionProvider' })),
        memcpyNodes: [{ node: 'Memcpy_token_1', opType: 'MemcpyToHost', totalUs: ops.totalNodeUs * 0.2 }],
      },
    };
    const findings = recommend({ summary: cpuRun.summary, run: cuda });
    assert.deepEqual(findings.map((f) => f.id).filter((id) => ['fp16', 'ep-fallback', 'memcpy'].includes(id)).sort(), ['ep-fallback', 'fp16', 'memcpy']);
    assert.ok(!findings.some((f) => f.id === 'int8'), 'INT8 is the CPU advice');
    const fb = findings.find((f) => f.id === 'ep-fallback')!;
    assert.deepEqual(fb.nodes, [n1!.node, n2!.node]);
    assert.match(fb.title, /2 nodes fell back from CUDA to CPU/);
    const fbShare = fb.evidence.find((e) => e.label === 'fallback share of node time')!.value;
    assert.ok(Math.abs(fbShare - (n1!.totalUs + n2!.totalUs) / ops.totalNodeUs) < 1e-12);
    const mc = findings.find((f) => f.id === 'memcpy')!;
    assert.deepEqual(mc.nodes, ['Memcpy_token_1']);
    assert.equal(mc.severity, 'high');
    assert.ok(Math.abs(mc.evidence[1]!.value - 0.2) < 1e-12);
    assert.deepEqual(findings.find((f) => f.id === 'fp16')!.fix, { kind: 'fp16' });
    // High severity first.
    const order = findings.map((f) => f.severity);
    assert.deepEqual(order, [...order].sort((a, b) => ['high', 'medium', 'low'].indexOf(a) - ['high', 'medium', 'low'].indexOf(b)));
    // Without the model summary the rules that need weight types stay silent.
    assert.ok(!recommend({ run: cuda }).some((f) => f.id === 'fp16'));
  });

  test('a session that fell back to CPU as a whole, and slow session creation', async () => {
    const { run, summary } = await profiled(encoder, 'all', { batch: 1, sequence: 64 });
    const fell: OrtRunFile = { ...run, result: { ...run.result, requestedEp: 'cuda', fallbackReason: 'cuda provider unavailable: libcudart.so.12 missing' } };
    const f = recommend({ summary, run: fell }).find((x) => x.id === 'ep-fallback-session');
    assert.ok(f);
    assert.match(f.title, /ran on CPU, not CUDA/);
    const slow: OrtRunFile = { ...run, result: { ...run.result, sessionCreateMs: 2500 } };
    const s = recommend({ summary, run: slow }).find((x) => x.id === 'session-create');
    assert.deepEqual(s?.fix, { kind: 'optimize-graph', level: 'all' });
    assert.ok(!recommend({ summary, run }).some((x) => x.id === 'session-create'), `${run.result.sessionCreateMs} ms is not slow`);
  });
});
