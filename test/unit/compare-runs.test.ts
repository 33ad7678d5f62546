/**
 * compareRuns on two real profile runs (an encoder and the model ONNX Runtime optimizes it into,
 * both profiled at graph optimization "basic" so the fusions show), plus the verdict rules on
 * edited copies of those runs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { compareRuns, type MetricDelta } from '../../src/core/compare/compare-runs';
import { compareModelFiles, summarizeModel } from '../../src/core/onnx';
import { diffLines } from '../../src/core/onnx/diff-report';
import type { OrtRunFile } from '../../src/core/results/ort-run';
import { optimizeGraphWithOrt } from '../../src/runner/ort-client';
import { profileModel } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { tinyDecoderModel, transformerModel } from '../helpers/models';

describe('compareRuns', () => {
  let a: OrtRunFile;
  let b: OrtRunFile;
  let src = '';
  let opt = '';
  before(async () => {
    const { worker } = await bundles();
    const dir = tmpDir('compare-runs');
    src = path.join(dir, 'encoder.onnx');
    opt = path.join(dir, 'encoder.opt.onnx');
    fs.writeFileSync(src, transformerModel({ layers: 2, hidden: 128, ffn: 512 }).model);
    await optimizeGraphWithOrt({ modelPath: src, outPath: opt, level: 'extended', ep: 'cpu' }, { workerPath: worker });
    const profile = async (modelPath: string) =>
      (
        await profileModel(
          { modelPath, ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: 'basic', enableCpuMemArena: true, intraOpNumThreads: 1 }, dims: { batch: 1, sequence: 32 }, warmupRuns: 2, timedRuns: 10, profiledRuns: 3, decode: 'off' },
          { workerPath: worker, outDir: path.join(dir, 'runs') },
        )
      ).run;
    a = await profile(src);
    b = await profile(opt);
  });

  test('metrics: the runs’ own numbers, b - a, b / a - 1, better or worse by direction', () => {
    const c = compareRuns(a, b, { sizes: { a: 1000, b: 800 } });
    const byKey = new Map(c.metrics.map((m) => [m.key, m]));
    const p50 = byKey.get('latency-p50')!;
    assert.equal(p50.a, a.result.latencyMs.p50);
    assert.equal(p50.b, b.result.latencyMs.p50);
    assert.equal(p50.delta, b.result.latencyMs.p50 - a.result.latencyMs.p50);
    assert.equal(p50.change, b.result.latencyMs.p50 / a.result.latencyMs.p50 - 1);
    assert.equal(byKey.get('throughput')!.a, a.result.throughput.inferencesPerSec);
    assert.equal(byKey.get('throughput')!.better, 'higher');
    assert.equal(byKey.get('peak-rss')!.b, b.result.memory.peakRssBytes);
    assert.deepEqual([byKey.get('file-size')!.a, byKey.get('file-size')!.b, byKey.get('file-size')!.verdict], [1000, 800, 'better']);
    assert.deepEqual(
      c.metrics.map((m) => m.key),
      ['latency-p50', 'latency-p90', 'latency-p99', 'throughput', 'session-create', 'first-run', 'peak-rss', 'arena-peak', 'file-size'],
    );
    assert.equal(c.speedup, a.result.latencyMs.p50 / b.result.latencyMs.p50);
    assert.deepEqual(c.notes, []);
    // Without sizes: the .onnx files as the runs recorded them.
    assert.equal(compareRuns(a, b).metrics.find((m) => m.key === 'file-size')!.a, a.model.sizeBytes);
  });

  test('per-operator deltas per profiled run: fused ops appear, the ops they replace go away', () => {
    const c = compareRuns(a, b);
    const op = (t: string) => c.operators.find((o) => o.opType === t);
    const ln = op('LayerNormalization');
    assert.ok(ln?.a && !ln.b, 'LayerNormalization only before');
    const src = a.operators!.byOpType.find((o) => o.opType === 'LayerNormalization')!;
    assert.equal(ln.a.us, src.totalUs / a.operators!.runs);
    assert.equal(ln.a.calls, src.count / a.operators!.runs);
    assert.equal(ln.deltaUs, -ln.a.us);
    const skip = op('SkipLayerNormalization');
    assert.ok(skip?.b && !skip.a, 'SkipLayerNormalization only after');
    const mm = op('MatMul')!;
    assert.equal(mm.deltaUs, mm.b!.us - mm.a!.us);
    for (let i = 1; i < c.operators.length; i++) assert.ok(Math.abs(c.operators[i - 1]!.deltaUs) >= Math.abs(c.operators[i]!.deltaUs));
    assert.deepEqual(c.nodeTimeUs, { a: a.operators!.totalNodeUs / a.operators!.runs, b: b.operators!.totalNodeUs / b.operators!.runs });
  });

  test('verdicts: 3% noise band by default, directions respected', () => {
    const withP50 = (r: OrtRunFile, p50: number, tput: number): OrtRunFile => ({
      ...r,
      result: { ...r.result, latencyMs: { ...r.result.latencyMs, p50 }, throughput: { ...r.result.throughput, inferencesPerSec: tput } },
    });
    const v = (x: OrtRunFile, y: OrtRunFile, key: string, noise?: number): MetricDelta['verdict'] =>
      compareRuns(x, y, noise === undefined ? {} : { noise }).metrics.find((m) => m.key === key)!.verdict;
    assert.equal(v(withP50(a, 10, 100), withP50(a, 8, 125), 'latency-p50'), 'better');
    assert.equal(v(withP50(a, 10, 100), withP50(a, 8, 125), 'throughput'), 'better');
    assert.equal(v(withP50(a, 10, 100), withP50(a, 12, 80), 'latency-p50'), 'worse');
    assert.equal(v(withP50(a, 10, 100), withP50(a, 12, 80), 'throughput'), 'worse');
    assert.equal(v(withP50(a, 10, 100), withP50(a, 10.2, 99), 'latency-p50'), 'same');
    assert.equal(v(withP50(a, 10, 100), withP50(a, 10.2, 99), 'latency-p50', 0.01), 'worse');
    assert.equal(compareRuns(withP50(a, 10, 100), withP50(a, 5, 200)).speedup, 2);
  });

  test('notes when the runs were not made the same way; no operator deltas without ORT profiles', () => {
    const other: OrtRunFile = {
      ...b,
      settings: { ...b.settings, timedRuns: 50, session: { ...b.settings.session, graphOptimizationLevel: 'all', intraOpNumThreads: 4 } },
      result: { ...b.result, ep: 'cuda', inputs: [{ name: 'hidden_states', dtype: 'float32', dims: [1, 64, 128] }] },
    };
    const c = compareRuns(a, other);
    assert.equal(c.notes.length, 5, c.notes.join('\n'));
    assert.match(c.notes.join('\n'), /A ran on CPU, B on CUDA/);
    assert.match(c.notes.join('\n'), /hidden_states\[1,32,128\].*hidden_states\[1,64,128\]/);
    const { operators: _o, ...bare } = b;
    void _o;
    const none = compareRuns(a, bare);
    assert.deepEqual(none.operators, []);
    assert.equal(none.nodeTimeUs, undefined);
    assert.match(none.notes.join(), /No per-operator deltas/);
  });

  test('the structural diff of the two models as lines: node counts and the ops that changed', async () => {
    const [sa, sb] = [await summarizeModel(src), await summarizeModel(opt)];
    const d = await compareModelFiles(src, opt);
    assert.deepEqual([d.nodes.a, d.nodes.b], [sa.nodeCount, sb.nodeCount]);
    const ln = d.ops.find((o) => o.op === 'LayerNormalization')!;
    assert.equal(ln.b, 0);
    assert.equal(ln.a, sa.opHistogram.find((o) => o.op === 'LayerNormalization')!.count);
    assert.ok(d.ops.some((o) => o.op === 'com.microsoft.SkipLayerNormalization' && o.a === 0 && o.b > 0));
    assert.ok(!d.ops.some((o) => o.a === o.b));
    const lines = diffLines(d);
    assert.equal(lines[0], `nodes ${sa.nodeCount} → ${sb.nodeCount}`);
    assert.ok(lines.includes(`LayerNormalization ${ln.a} → 0`), lines.join('\n'));
    assert.ok(lines.includes(`opset com.microsoft (none) → 1`), lines.join('\n'));
    const same = await compareModelFiles(src, src);
    assert.equal(same.structurallyIdentical, true);
    assert.deepEqual(diffLines(same), []);
  });

  test('decode mode: time to first token, tokens/s and per-token p50 compared when both runs decoded', async () => {
    const { worker } = await bundles();
    const dir = tmpDir('compare-runs-decode');
    const dec = path.join(dir, 'decoder.onnx');
    fs.writeFileSync(dec, tinyDecoderModel({ layers: 2, vocab: 64, dim: 32 }));
    const profile = async () =>
      (
        await profileModel(
          { modelPath: dec, ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 }, dims: {}, warmupRuns: 1, timedRuns: 2, profiledRuns: 0, decode: { prefillTokens: 8, newTokens: 8 } },
          { workerPath: worker, outDir: path.join(dir, 'runs') },
        )
      ).run;
    const [x, y] = [await profile(), await profile()];
    const c = compareRuns(x, y);
    const m = new Map(c.metrics.map((d) => [d.key, d]));
    assert.deepEqual([m.get('ttft')!.a, m.get('ttft')!.b], [x.result.decode!.timeToFirstTokenMs, y.result.decode!.timeToFirstTokenMs]);
    assert.equal(m.get('tokens-per-sec')!.better, 'higher');
    assert.equal(m.get('tokens-per-sec')!.a, x.result.decode!.tokensPerSec);
    assert.equal(m.get('per-token-p50')!.b, y.result.decode!.perTokenMs.p50);
    // A decoded run against a plain one: no decode rows.
    assert.ok(!compareRuns(a, y).metrics.some((d) => d.key === 'ttft'));
  });
});
