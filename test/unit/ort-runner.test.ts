/** The ONNX Runtime runner: real ORT in a real child process, on models the tests build. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { encodeModel, encodeTensor } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { OrtRunError, probeProvider, probeProviders, profileWithOrt } from '../../src/runner/ort-client';
import type { OrtProfileRequest } from '../../src/runner/ort-protocol';
import { REPO, tmpDir } from '../helpers/fixtures';
import { bundles } from '../helpers/bundles';
import * as ort from 'onnxruntime-node';
import { i64, tinyDecoderModel, transformerModel } from '../helpers/models';

// Inside the repo so the bundle resolves onnxruntime-node from node_modules, as dist/ does.
const BUNDLES = path.join(REPO, 'out', 'test-bundles');
let worker = '';

function request(modelPath: string, over: Partial<OrtProfileRequest> = {}): OrtProfileRequest {
  return {
    modelPath,
    ep: 'cpu',
    allowCpuFallback: false,
    session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 },
    dims: {},
    warmupRuns: 2,
    timedRuns: 20,
    profiledRuns: 2,
    outDir: tmpDir('ort-out'),
    ...over,
  };
}

async function expectRunError(p: Promise<unknown>, code: string): Promise<OrtRunError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OrtRunError, `OrtRunError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('ONNX Runtime runner (child process)', () => {
  let encoder = '';
  before(async () => {
    fs.mkdirSync(BUNDLES, { recursive: true });
    worker = (await bundles()).worker;
    const dir = tmpDir('ort-models');
    encoder = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(encoder, transformerModel({ layers: 2, hidden: 64, ffn: 256 }).model);
  });

  test('measures a real model: cold start apart, latency percentiles, throughput, RSS, ORT profile', async () => {
    const phases = new Set<string>();
    const r = await profileWithOrt(request(encoder, { dims: { batch: 4, sequence: 32 } }), { workerPath: worker, onProgress: (p) => phases.add(p.phase) });
    assert.equal(r.ep, 'cpu');
    assert.deepEqual(r.inputs, [{ name: 'hidden_states', dtype: 'float32', dims: [4, 32, 64] }]);
    assert.equal(r.batchSize, 4);
    assert.equal(r.samplesMs.length, 20);
    assert.equal(r.latencyMs.count, 20);
    assert.ok(r.latencyMs.min <= r.latencyMs.p50 && r.latencyMs.p50 <= r.latencyMs.p90 && r.latencyMs.p90 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
    assert.ok(r.sessionCreateMs > 0 && r.firstRunMs > 0);
    assert.ok(Math.abs(r.throughput.itemsPerSec - 4 * r.throughput.inferencesPerSec) < 1e-6);
    // Throughput from wall time can't beat 1 / min latency.
    assert.ok(r.throughput.inferencesPerSec <= 1000 / r.latencyMs.min + 1e-6);
    assert.ok(r.memory.peakRssBytes > 10 * 2 ** 20);
    assert.deepEqual([...phases].sort(), ['load', 'profiled', 'timed', 'warmup']);
    // ORT's own profile: per-node events of the ops in the model.
    const events = JSON.parse(fs.readFileSync(r.ortProfilePath!, 'utf8')) as { cat: string; args: { op_name?: string } }[];
    const ops = new Set(events.filter((e) => e.cat === 'Node').map((e) => e.args.op_name));
    assert.ok(ops.has('MatMul') || ops.has('FusedMatMul'), [...ops].join(','));
    assert.ok(ops.has('Softmax'));
  });

  test('decoding mode: prefill P, greedy-decode T with the KV cache fed back; same tokens as decoding without a cache', async () => {
    const dir = tmpDir('ort-decoder');
    const file = path.join(dir, 'decoder.onnx');
    const layers = 2;
    const dim = 32;
    const vocab = 50;
    fs.writeFileSync(file, tinyDecoderModel({ layers, vocab, dim }));
    const P = 16;
    const T = 24;
    const r = await profileWithOrt(request(file, { decode: { prefillTokens: P, newTokens: T }, timedRuns: 3, profiledRuns: 0 }), { workerPath: worker });
    const d = r.decode!;
    assert.deepEqual(d.layout.cache.map((c) => c.past), ['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
    assert.equal(d.layout.cacheSeqAxis, 2);
    assert.equal(d.generated.length, T);
    assert.equal(d.perTokenMs.count, T - 1);
    assert.ok(d.timeToFirstTokenMs > 0 && d.tokensPerSec > 0);
    assert.ok(Math.abs(d.tokensPerSec - 1000 / d.perTokenMs.mean) / d.tokensPerSec < 1e-9, 'tokens/s = 1 / mean step time');
    // Exact KV cache size: layers × (key + value) × dim × 4 bytes per cached token.
    assert.equal(d.kvCacheBytesPerToken, layers * 2 * dim * 4);
    assert.equal(d.kvCacheBytesFinal, layers * 2 * dim * 4 * (P + T - 1));
    // Independent greedy decode without a cache: the whole sequence each step, empty pasts.
    const session = await ort.InferenceSession.create(file);
    const seq = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % vocab);
    const expected: number[] = [];
    for (let step = 0; step < T; step++) {
      const n = seq.length;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(seq.map(BigInt)), [1, n]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(seq.map((_, i) => BigInt(i))), [1, n]),
      };
      for (let l = 0; l < layers; l++) for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 1, 0, dim]);
      const out = await session.run(feeds);
      const logits = out.logits!.data as Float32Array;
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits[(n - 1) * vocab + v]! > logits[(n - 1) * vocab + best]!) best = v;
      expected.push(best);
      seq.push(best);
    }
    await session.release();
    assert.deepEqual(d.generated, expected);
    // A model without a KV cache cannot be decoded: clear error.
    const e = await expectRunError(profileWithOrt(request(encoder, { decode: { prefillTokens: 4, newTokens: 4 }, timedRuns: 1, profiledRuns: 0 }), { workerPath: worker }), 'bad-input');
    assert.match(e.message, /KV cache/);
  });

  test('inputs from files are used as given, and a mismatch is a clear error', async () => {
    const dir = tmpDir('ort-inputs');
    const x = new Float32Array(3 * 7 * 64).map((_, i) => Math.sin(i));
    const w = encodeTensor({ name: 'hidden_states', dataType: DataType.FLOAT, dims: [3, 7, 64], raw: new Uint8Array(x.buffer) });
    fs.writeFileSync(path.join(dir, 'input_0.pb'), w.finish());
    const r = await profileWithOrt(request(encoder, { inputFiles: [path.join(dir, 'input_0.pb')], timedRuns: 2, profiledRuns: 0 }), { workerPath: worker });
    assert.deepEqual(r.inputs, [{ name: 'hidden_states', dtype: 'float32', dims: [3, 7, 64] }]);
    assert.equal(r.batchSize, 3);
    const bad = encodeTensor({ name: 'hidden_states', dataType: DataType.FLOAT, dims: [1, 7, 32], raw: new Uint8Array(7 * 32 * 4) });
    fs.writeFileSync(path.join(dir, 'bad.pb'), bad.finish());
    const e = await expectRunError(profileWithOrt(request(encoder, { inputFiles: [path.join(dir, 'bad.pb')] }), { workerPath: worker }), 'bad-input');
    assert.match(e.message, /needs 64 at axis 2/);
  });

  test('a missing CUDA provider gives the install step; with consent it falls back to CPU', async () => {
    const e = await expectRunError(profileWithOrt(request(encoder, { ep: 'cuda', timedRuns: 2, profiledRuns: 0 }), { workerPath: worker }), 'provider-unavailable');
    assert.match(e.hint, /npm install onnxruntime-node --onnxruntime-node-install=cuda12/);
    const r = await profileWithOrt(request(encoder, { ep: 'cuda', allowCpuFallback: true, timedRuns: 2, profiledRuns: 0 }), { workerPath: worker });
    assert.equal(r.requestedEp, 'cuda');
    assert.equal(r.ep, 'cpu');
    assert.match(r.fallbackReason!, /cuda provider unavailable/);
  });

  test('providers are probed with a trial session: CPU works; the missing CUDA provider says what to install', async () => {
    const probes = await probeProviders({ workerPath: worker });
    assert.deepEqual(
      probes.map((p) => p.ep),
      ['cpu', 'cuda', 'tensorrt', 'webgpu'],
    );
    const [cpu, cuda] = probes;
    assert.deepEqual({ available: cpu!.available, bundled: cpu!.bundled, reason: cpu!.reason }, { available: true, bundled: true, reason: undefined });
    // This machine has no CUDA provider libraries (the test above relies on it too).
    assert.equal(cuda!.available, false);
    assert.equal(cuda!.bundled, false, 'listSupportedBackends says the CUDA provider is not in the npm build');
    assert.match(cuda!.reason!, /Cuda|CUDA/);
    assert.match(cuda!.hint!, /npm install onnxruntime-node --onnxruntime-node-install=cuda12/);
    for (const p of probes) assert.ok(p.available || (p.reason && p.hint), `${p.ep}: unavailable with a reason and a hint`);
  });

  test('a provider whose trial crashes or hangs its worker is reported unavailable', async () => {
    const crash = path.join(BUNDLES, 'crash-probe-worker.js');
    fs.writeFileSync(crash, "process.on('message', () => process.abort());\n");
    const crashed = await probeProvider('tensorrt', { workerPath: crash });
    assert.equal(crashed.available, false);
    assert.match(crashed.reason!, /ended unexpectedly \(signal SIGABRT\)/);
    assert.match(crashed.hint!, /TensorRT/);
    const hang = path.join(BUNDLES, 'hang-probe-worker.js');
    fs.writeFileSync(hang, "process.on('message', () => setInterval(() => {}, 1000));\n");
    const hung = await probeProvider('webgpu', { workerPath: hang, timeoutMs: 1000 });
    assert.equal(hung.available, false);
    assert.match(hung.reason!, /did not finish within 1 s/);
  });

  test('a model that fails inside ORT at run time gives a clear error', async () => {
    // Reshape of n×3 elements to [4, -1]: loads (n is symbolic) and fails when run with n = 1.
    const dir = tmpDir('ort-bad');
    const file = path.join(dir, 'bad-reshape.onnx');
    fs.writeFileSync(
      file,
      encodeModel({
        graph: {
          nodes: [{ opType: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
          initializers: [{ name: 'shape', dataType: DataType.INT64, dims: [2], raw: i64([4, -1]) }],
          inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n', 3] }],
          outputs: [{ name: 'y', elemType: DataType.FLOAT }],
        },
      }),
    );
    const e = await expectRunError(profileWithOrt(request(file), { workerPath: worker }), 'run-failed');
    assert.match(e.message, /failed inside ONNX Runtime/);
    await expectRunError(profileWithOrt(request(path.join(dir, 'missing.onnx')), { workerPath: worker }), 'model-load-failed');
  });

  test('cancel kills the worker within 1 s', async () => {
    const ac = new AbortController();
    const started = profileWithOrt(request(encoder, { dims: { batch: 8, sequence: 256 }, timedRuns: 100000, profiledRuns: 0 }), {
      workerPath: worker,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'timed') ac.abort();
      },
    });
    const t0 = Date.now();
    let abortedAt = 0;
    ac.signal.addEventListener('abort', () => (abortedAt = Date.now()));
    await expectRunError(started, 'cancelled');
    assert.ok(abortedAt > 0 && Date.now() - abortedAt < 1000, `settled ${Date.now() - abortedAt} ms after cancel`);
    assert.ok(Date.now() - t0 < 60_000);
  });

  test('a worker that crashes or hangs never takes the caller down', async () => {
    const crash = path.join(BUNDLES, 'crash-worker.js');
    fs.writeFileSync(crash, "process.on('message', () => process.abort());\n");
    const e = await expectRunError(profileWithOrt(request(encoder), { workerPath: crash }), 'crashed');
    assert.match(e.message, /ended unexpectedly \(signal SIGABRT\)/);
    const hang = path.join(BUNDLES, 'hang-worker.js');
    fs.writeFileSync(hang, "process.on('message', () => setInterval(() => {}, 1000));\n");
    const t0 = Date.now();
    await expectRunError(profileWithOrt(request(encoder), { workerPath: hang, timeoutMs: 1500 }), 'timeout');
    assert.ok(Date.now() - t0 < 5000);
  });
});
