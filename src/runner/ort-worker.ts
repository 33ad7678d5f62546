/**
 * The ONNX Runtime worker: a child process that loads one model, measures it and exits.
 *
 * Measurement protocol (what people who deploy models report):
 *   1. session creation, timed on its own (load + optimization + allocation);
 *   2. the first run, timed on its own (cold start);
 *   3. warm-up runs, not measured;
 *   4. N timed runs WITHOUT profiling → latency percentiles and throughput;
 *   5. a separate session WITH ORT's profiler for the per-operator breakdown, so profiling
 *      overhead never leaks into the latency figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as OrtTypes from 'onnxruntime-node';
import { latencyStats } from '../core/metrics/stats';
import { inferVocabSize, InputSynthesisError, synthesizeInputs, type SynthTensor } from '../core/inputs/synthesize';
import { isOnnxError, readModel, summarize } from '../core/onnx';
import { providerInstallHint, type ExecutionProvider, type FromWorker, type OrtProfileRequest, type OrtProfileResult, type OrtWorkerError, type ToWorker } from './ort-protocol';

type Ort = typeof OrtTypes;

class WorkerFailure extends Error {
  constructor(readonly error: OrtWorkerError) {
    super(error.message);
  }
}

function send(m: FromWorker): void {
  process.send?.(m);
}

function rssBytes(field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return field === 'VmRSS' ? process.memoryUsage().rss : process.resourceUsage().maxRSS * 1024;
}

function sessionOptions(req: OrtProfileRequest, ep: ExecutionProvider): OrtTypes.InferenceSession.SessionOptions {
  const s = req.session;
  return {
    executionProviders: [ep],
    graphOptimizationLevel: s.graphOptimizationLevel,
    enableCpuMemArena: s.enableCpuMemArena,
    ...(s.intraOpNumThreads ? { intraOpNumThreads: s.intraOpNumThreads } : {}),
    ...(s.interOpNumThreads ? { interOpNumThreads: s.interOpNumThreads } : {}),
    ...(s.freeDimensionOverrides ? { freeDimensionOverrides: { ...s.freeDimensionOverrides } } : {}),
  };
}

async function createSession(ort: Ort, req: OrtProfileRequest, extra: OrtTypes.InferenceSession.SessionOptions = {}) {
  const tryCreate = (ep: ExecutionProvider) => ort.InferenceSession.create(req.modelPath, { ...sessionOptions(req, ep), ...extra });
  if (req.ep !== 'cpu') {
    const bundled = ort.listSupportedBackends?.().find((b) => b.name === req.ep);
    try {
      return { session: await tryCreate(req.ep), ep: req.ep, fallbackReason: undefined };
    } catch (e) {
      const why = `${req.ep} provider unavailable${bundled && !bundled.bundled ? ' (not bundled with this onnxruntime-node)' : ''}: ${firstLine(e)}`;
      if (!req.allowCpuFallback) {
        throw new WorkerFailure({ code: 'provider-unavailable', message: why, hint: providerInstallHint(req.ep) + ' Or allow the CPU fallback.' });
      }
      return { session: await loadOrFail(() => tryCreate('cpu')), ep: 'cpu' as const, fallbackReason: why };
    }
  }
  return { session: await loadOrFail(() => tryCreate('cpu')), ep: 'cpu' as const, fallbackReason: undefined };
}

async function loadOrFail<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new WorkerFailure({
      code: 'model-load-failed',
      message: `ONNX Runtime could not load the model: ${firstLine(e)}`,
      hint: 'Check the model with onnx.checker.check_model, or re-export it with a newer opset.',
    });
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 500);
}

function toFeeds(ort: Ort, tensors: readonly SynthTensor[]): Record<string, OrtTypes.Tensor> {
  const feeds: Record<string, OrtTypes.Tensor> = {};
  for (const t of tensors) {
    const data = t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data;
    feeds[t.name] = new ort.Tensor(t.dtype, data as never, t.dims);
  }
  return feeds;
}

async function runOnce(session: OrtTypes.InferenceSession, feeds: Record<string, OrtTypes.Tensor>): Promise<number> {
  const t0 = performance.now();
  try {
    await session.run(feeds);
  } catch (e) {
    throw new WorkerFailure({
      code: 'run-failed',
      message: `The model failed inside ONNX Runtime: ${firstLine(e)}`,
      hint: 'Check the input shapes (set symbolic dims explicitly) or the model itself.',
    });
  }
  return performance.now() - t0;
}

export async function profile(req: OrtProfileRequest): Promise<OrtProfileResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort: Ort = require('onnxruntime-node');
  const model = await readModel(req.modelPath).catch((e: unknown) => {
    throw new WorkerFailure({
      code: 'model-load-failed',
      message: isOnnxError(e) ? e.message : firstLine(e),
      hint: isOnnxError(e) ? e.hint : 'Check that the file is an ONNX model.',
    });
  });
  const summary = summarize(model);
  let synth;
  try {
    synth = synthesizeInputs(summary.inputs, { dims: req.dims, vocabSize: inferVocabSize(model) });
  } catch (e) {
    if (e instanceof InputSynthesisError) throw new WorkerFailure({ code: 'bad-input', message: e.message, hint: 'Set the input dims explicitly.' });
    throw e;
  }
  const feeds = toFeeds(ort, synth.tensors);
  const batchSize = synth.tensors[0]?.dims.length ? synth.tensors[0].dims[0]! : 1;

  const samplesRss: { tMs: number; rssBytes: number }[] = [];
  const tStart = performance.now();
  const sampler = setInterval(() => samplesRss.push({ tMs: performance.now() - tStart, rssBytes: rssBytes('VmRSS') }), 20);
  try {
    send({ type: 'progress', phase: 'load', done: 0, total: 1 });
    const t0 = performance.now();
    const { session, ep, fallbackReason } = await createSession(ort, req);
    const sessionCreateMs = performance.now() - t0;
    const firstRunMs = await runOnce(session, feeds);
    for (let i = 0; i < req.warmupRuns; i++) {
      await runOnce(session, feeds);
      send({ type: 'progress', phase: 'warmup', done: i + 1, total: req.warmupRuns });
    }
    const samples: number[] = [];
    const tTimed = performance.now();
    for (let i = 0; i < req.timedRuns; i++) {
      samples.push(await runOnce(session, feeds));
      if ((i & 7) === 7 || i === req.timedRuns - 1) send({ type: 'progress', phase: 'timed', done: i + 1, total: req.timedRuns });
    }
    const wallTimed = (performance.now() - tTimed) / 1000;
    await session.release();

    let ortProfilePath: string | undefined;
    if (req.profiledRuns > 0) {
      fs.mkdirSync(req.outDir, { recursive: true });
      const prefix = path.join(req.outDir, `ort_profile_${process.pid}`);
      const { session: ps } = await createSession(ort, { ...req, ep }, { enableProfiling: true, profileFilePrefix: prefix });
      for (let i = 0; i < req.profiledRuns; i++) {
        await runOnce(ps, feeds);
        send({ type: 'progress', phase: 'profiled', done: i + 1, total: req.profiledRuns });
      }
      ps.endProfiling();
      await ps.release();
      const base = path.basename(prefix);
      const found = fs.readdirSync(req.outDir).filter((f) => f.startsWith(base) && f.endsWith('.json'));
      if (found.length) ortProfilePath = path.join(req.outDir, found.sort().pop()!);
    }
    const latencyMs = samples.length ? latencyStats(samples) : latencyStats([firstRunMs]);
    const inferencesPerSec = samples.length ? samples.length / wallTimed : 1000 / firstRunMs;
    return {
      ortVersion: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
      requestedEp: req.ep,
      ep,
      ...(fallbackReason ? { fallbackReason } : {}),
      inputs: synth.tensors.map((t) => ({ name: t.name, dtype: t.dtype, dims: t.dims })),
      inputNotes: synth.notes,
      batchSize,
      sessionCreateMs,
      firstRunMs,
      latencyMs,
      samplesMs: samples,
      throughput: { inferencesPerSec, itemsPerSec: inferencesPerSec * batchSize },
      memory: { peakRssBytes: rssBytes('VmHWM'), rssSamples: samplesRss },
      ...(ortProfilePath ? { ortProfilePath } : {}),
    };
  } finally {
    clearInterval(sampler);
  }
}

// Entry point when forked.
if (require.main === module && process.send) {
  process.once('message', (m: ToWorker) => {
    if (m?.type !== 'profile') return;
    profile(m.request).then(
      (result) => {
        send({ type: 'result', result });
        process.disconnect?.();
      },
      (e: unknown) => {
        const error: OrtWorkerError =
          e instanceof WorkerFailure ? e.error : { code: 'crashed', message: `The profiler failed: ${firstLine(e)}`, hint: 'Please report this with the model if you can share it.' };
        send({ type: 'error', error });
        process.disconnect?.();
      },
    );
  });
}
