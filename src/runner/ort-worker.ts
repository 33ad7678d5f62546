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
import { loadInputFiles, matchInputs } from '../core/inputs/tensor-files';
import { argmaxLastToken, detectDecoderLayout, type DecoderLayout } from '../core/llm/decoder-layout';
import { isOnnxError, readModel, summarize, type IoSummary, type OnnxModel } from '../core/onnx';
import { realOrPlanned, sourceFiles } from '../core/onnx/model-writer';
import { compareOutputs, DEFAULT_TOLERANCES, halfToFloat, type OutputTensor } from '../core/verify/agreement';
import { alignDims, feedsForB } from '../core/verify/inputs';
import { encodeModel } from '../core/onnx/proto-writer';
import { DataType } from '../core/onnx/types';
import {
  optimizeTempPrefix,
  providerInstallHint,
  type DecodeResult,
  type ExecutionProvider,
  type FromWorker,
  type OptimizeGraphRequest,
  type OptimizeGraphResult,
  type OrtProfileRequest,
  type OrtProfileResult,
  type OrtWorkerError,
  type ProviderProbe,
  type ToWorker,
  type VerifyRequest,
  type VerifyResult,
} from './ort-protocol';
import { machineInfo, sampleGpuMemory } from './machine';

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

/** What creating a session needs from a request (profile, verify). */
type SessionRequest = Pick<OrtProfileRequest, 'modelPath' | 'ep' | 'allowCpuFallback' | 'session'>;

function sessionOptions(req: SessionRequest, ep: ExecutionProvider): OrtTypes.InferenceSession.SessionOptions {
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

async function createSession(ort: Ort, req: SessionRequest, extra: OrtTypes.InferenceSession.SessionOptions = {}) {
  const tryCreate = (ep: ExecutionProvider) => ort.InferenceSession.create(req.modelPath, { ...sessionOptions(req, ep), ...extra });
  if (req.ep !== 'cpu') {
    const bundled = ort.listSupportedBackends?.().find((b) => b.name === req.ep);
    try {
      return { session: await tryCreate(req.ep), ep: req.ep, fallbackReason: undefined };
    } catch (e) {
      const why = `${req.ep} provider unavailable${bundled && !bundled.bundled ? ' (not bundled with this onnxruntime-node)' : ''}: ${firstLine(e)}`;
      if (!req.allowCpuFallback) {
        throw new WorkerFailure({ code: 'provider-unavailable', message: why, hint: providerInstallHint(req.ep) });
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

const ELEM_BYTES: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int8: 1, uint8: 1, int32: 4, int64: 8 };

function intTensor(ort: Ort, dtype: string, values: readonly number[], dims: readonly number[]): OrtTypes.Tensor {
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
}

/** An empty cache tensor for the first step: batch 1, sequence axis 0, other symbolic dims from the user or 1. */
function emptyPast(ort: Ort, io: IoSummary, seqAxis: number, dims: Readonly<Record<string, number>>): OrtTypes.Tensor {
  const shape = (io.shape ?? []).map((d, axis) => (axis === seqAxis ? 0 : typeof d === 'number' ? d : axis === 0 ? 1 : (dims[d ?? ''] ?? 1)));
  const dtype = io.dtype === 'float' ? 'float32' : io.dtype === 'float16' ? 'float16' : io.dtype === 'double' ? 'float64' : 'float32';
  const data = dtype === 'float16' ? new Uint16Array(0) : dtype === 'float64' ? new Float64Array(0) : new Float32Array(0);
  return new ort.Tensor(dtype, data as never, shape);
}

async function generate(
  ort: Ort,
  session: OrtTypes.InferenceSession,
  layout: DecoderLayout,
  inputs: readonly IoSummary[],
  prefill: number,
  newTokens: number,
  vocab: number,
  dims: Readonly<Record<string, number>>,
): Promise<{ ttftMs: number; stepMs: number[]; generated: number[]; kvBytes: number; cachedTokens: number }> {
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const idsType = byName.get(layout.inputIds)!.dtype === 'int32' ? 'int32' : 'int64';
  const maskType = layout.attentionMask && byName.get(layout.attentionMask)!.dtype === 'int32' ? 'int32' : 'int64';
  const posType = layout.positionIds && byName.get(layout.positionIds)!.dtype === 'int32' ? 'int32' : 'int64';
  let past = new Map<string, OrtTypes.Tensor>(layout.cache.map((c) => [c.past, emptyPast(ort, byName.get(c.past)!, layout.cacheSeqAxis, dims)]));
  const prompt = Array.from({ length: prefill }, (_, i) => (i * 7919 + 13) % Math.max(1, vocab));
  let ids = prompt;
  let pastLen = 0;
  const generated: number[] = [];
  const stepMs: number[] = [];
  let ttftMs = 0;
  let kvBytes = 0;
  for (let step = 0; step < newTokens; step++) {
    const feeds: Record<string, OrtTypes.Tensor> = { [layout.inputIds]: intTensor(ort, idsType, ids, [1, ids.length]) };
    const total = pastLen + ids.length;
    if (layout.attentionMask) feeds[layout.attentionMask] = intTensor(ort, maskType, new Array(total).fill(1), [1, total]);
    if (layout.positionIds) feeds[layout.positionIds] = intTensor(ort, posType, ids.map((_, i) => pastLen + i), [1, ids.length]);
    for (const [name, t] of past) feeds[name] = t;
    const t0 = performance.now();
    let out: OrtTypes.InferenceSession.OnnxValueMapType;
    try {
      out = await session.run(feeds);
    } catch (e) {
      throw new WorkerFailure({
        code: 'run-failed',
        message: `Decoding step ${step} failed inside ONNX Runtime: ${firstLine(e)}`,
        hint: 'Check the decoder layout (input_ids, attention_mask, past_key_values.N.*, present.N.*) or turn decoding mode off.',
      });
    }
    const logits = out[layout.logits] as OrtTypes.Tensor;
    const next = argmaxLastToken(logits.data as Float32Array, logits.dims);
    const dt = performance.now() - t0;
    if (step === 0) ttftMs = dt;
    else stepMs.push(dt);
    generated.push(next);
    past = new Map(layout.cache.map((c) => [c.past, out[c.present] as OrtTypes.Tensor]));
    pastLen = total;
    ids = [next];
  }
  for (const t of past.values()) kvBytes += t.dims.reduce((a, b) => a * b, 1) * (ELEM_BYTES[t.type] ?? 4);
  return { ttftMs, stepMs, generated, kvBytes, cachedTokens: pastLen };
}

async function decodeMode(
  ort: Ort,
  session: OrtTypes.InferenceSession,
  layout: DecoderLayout,
  inputs: readonly IoSummary[],
  req: OrtProfileRequest,
  vocab: number,
): Promise<DecodeResult> {
  const d = req.decode as { prefillTokens: number; newTokens: number };
  // Warm-up: a short generation so first-run costs stay out of the figures.
  for (let i = 0; i < Math.min(req.warmupRuns, 2); i++) await generate(ort, session, layout, inputs, Math.min(d.prefillTokens, 8), 2, vocab, req.dims);
  const rssBefore = rssBytes('VmRSS');
  const g = await generate(ort, session, layout, inputs, d.prefillTokens, d.newTokens, vocab, req.dims);
  const rssAfter = rssBytes('VmRSS');
  const decodeMs = g.stepMs.reduce((a, b) => a + b, 0);
  return {
    layout,
    prefillTokens: d.prefillTokens,
    newTokens: d.newTokens,
    timeToFirstTokenMs: g.ttftMs,
    tokensPerSec: g.stepMs.length ? (g.stepMs.length / decodeMs) * 1000 : 0,
    perTokenMs: latencyStats(g.stepMs.length ? g.stepMs : [g.ttftMs]),
    rssGrowthPerTokenBytes: (rssAfter - rssBefore) / d.newTokens,
    kvCacheBytesPerToken: g.cachedTokens ? g.kvBytes / g.cachedTokens : 0,
    kvCacheBytesFinal: g.kvBytes,
    generated: g.generated,
  };
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
  const vocabSize = inferVocabSize(model);
  const hints = req.decode && req.decode !== 'off' ? req.decode.layout : undefined;
  const layout = req.decode === 'off' ? undefined : detectDecoderLayout(summary.inputs, summary.outputs, hints);
  if (req.decode && req.decode !== 'off' && !layout) {
    throw new WorkerFailure({
      code: 'bad-input',
      message: 'Decoding mode needs a decoder with a KV cache (input_ids, past_key_values.N.key/value → logits, present.N.key/value); this model has no such inputs and outputs.',
      hint: 'Name the inputs and outputs in the decode settings, or profile without decoding mode.',
    });
  }
  const vocab = vocabSize ?? (summary.outputs.find((o) => o.name === layout?.logits)?.shape?.at(-1) as number | undefined) ?? 1000;
  let synth: { tensors: readonly SynthTensor[]; notes: readonly string[] };
  try {
    synth = req.inputFiles?.length
      ? { tensors: matchInputs(loadInputFiles(req.inputFiles), summary.inputs), notes: [`inputs from ${req.inputFiles.map((f) => path.basename(f)).join(', ')}`] }
      : synthesizeInputs(summary.inputs, { dims: req.dims, vocabSize: vocab });
  } catch (e) {
    if (e instanceof InputSynthesisError) {
      throw new WorkerFailure({ code: 'bad-input', message: e.message, hint: req.inputFiles?.length ? 'Fix the input files, or let Inference Lens synthesize inputs.' : 'Set the input dims explicitly.' });
    }
    throw e;
  }
  const feeds = toFeeds(ort, synth.tensors);
  const batchSize = synth.tensors[0]?.dims.length ? synth.tensors[0].dims[0]! : 1;

  const samplesRss: { tMs: number; rssBytes: number }[] = [];
  const tStart = performance.now();
  const sampler = setInterval(() => samplesRss.push({ tMs: performance.now() - tStart, rssBytes: rssBytes('VmRSS') }), 20);
  const machine = machineInfo();
  const gpuSampler = req.ep === 'cuda' || req.ep === 'tensorrt' ? sampleGpuMemory(process.pid) : undefined;
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
    let decode: DecodeResult | undefined;
    if (layout && req.decode && req.decode !== 'off') {
      send({ type: 'progress', phase: 'decode', done: 0, total: req.decode.newTokens });
      decode = await decodeMode(ort, session, layout, summary.inputs, req, vocab);
    }
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
    const gpuPeakBytes = gpuSampler ? await gpuSampler.stop() : 0;
    const inferencesPerSec = samples.length ? samples.length / wallTimed : 1000 / firstRunMs;
    return {
      ortVersion: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
      machine: await machine,
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
      memory: { peakRssBytes: rssBytes('VmHWM'), rssSamples: samplesRss, ...(gpuPeakBytes ? { gpuPeakBytes } : {}) },
      ...(ortProfilePath ? { ortProfilePath } : {}),
      ...(decode ? { decode } : {}),
    };
  } finally {
    clearInterval(sampler);
    await gpuSampler?.stop();
  }
}

/** y = x + x on a float[4]: small enough to load on any provider, enough to run one kernel. */
function probeModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'inference-lens-probe',
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'probe',
      nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'], name: 'add' }],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [4] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [4] }],
    },
  });
}

/**
 * Does `ep` work here? `listSupportedBackends` says whether this onnxruntime-node build ships it;
 * a trial session on the provider, which must also run and give the right answer, says whether
 * its libraries and a device are really there.
 */
export async function probe(ep: ExecutionProvider): Promise<ProviderProbe> {
  const ort: Ort = require('onnxruntime-node');
  const bundled = ort.listSupportedBackends?.().find((b) => b.name === ep)?.bundled;
  const t0 = performance.now();
  const base = { ep, ...(bundled === undefined ? {} : { bundled }) };
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [ep], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [4]) });
      const y = Array.from(out.y!.data as Float32Array);
      if (y.join() !== '2,4,6,8') throw new Error(`the trial run computed [${y.join(', ')}] instead of [2, 4, 6, 8]`);
    } finally {
      await session.release();
    }
    return { ...base, available: true, ms: performance.now() - t0 };
  } catch (e) {
    // ORT's messages can start with its source location and the failed check: keep what follows.
    const reason = firstLine(e).replace(/^\S+\.(?:cc|cpp|h):\d+ .*? was false\. /, '');
    return { ...base, available: false, reason, hint: providerInstallHint(ep), ms: performance.now() - t0 };
  }
}

async function readOrFail(file: string): Promise<OnnxModel> {
  return readModel(file).catch((e: unknown) => {
    throw new WorkerFailure({
      code: 'model-load-failed',
      message: isOnnxError(e) ? `${path.basename(file)}: ${e.message}` : firstLine(e),
      hint: isOnnxError(e) ? e.hint : 'Check that the file is an ONNX model.',
    });
  });
}

function fileBytes(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Saves the model as ONNX Runtime optimizes it at `level` (session option optimizedModelFilePath).
 * ORT writes into a fresh folder next to the target; the files are then renamed into place (the
 * external data first, so the model never points at a missing file). The source is only read.
 */
export async function optimizeGraph(req: OptimizeGraphRequest): Promise<OptimizeGraphResult> {
  const ort: Ort = require('onnxruntime-node');
  const src = path.resolve(req.modelPath);
  const out = path.resolve(req.outPath);
  if (src === out) throw new WorkerFailure({ code: 'bad-input', message: 'The optimized model would overwrite the source model.', hint: 'Choose another output file.' });
  if (fs.existsSync(out) && !req.overwrite) {
    throw new WorkerFailure({ code: 'bad-input', message: `${out} already exists.`, hint: 'Choose another output file, or allow overwriting it.' });
  }
  const model = await readOrFail(src);
  const summary = summarize(model);
  const srcBytes = summary.file.sizeBytes + summary.externalData.files.reduce((a, f) => a + (f.sizeBytes ?? 0), 0);
  const external = req.externalData ?? (summary.externalData.tensorCount > 0 || srcBytes > 2 ** 30);
  const base = path.basename(out);
  const dataName = `${base}.data`;
  const dataOut = path.join(path.dirname(out), dataName);
  if (external && fs.existsSync(dataOut) && !req.overwrite) {
    throw new WorkerFailure({ code: 'bad-input', message: `${dataOut} already exists.`, hint: 'Choose another output file, or allow overwriting it.' });
  }
  // Never the source or a file it reads (its external data), also through a symlink or another spelling.
  const reads = new Set(sourceFiles(model).map(realOrPlanned));
  for (const f of external ? [out, dataOut] : [out]) {
    if (reads.has(realOrPlanned(f))) {
      const what = realOrPlanned(f) === realOrPlanned(src) ? 'the source model' : 'a file the source model reads';
      throw new WorkerFailure({ code: 'bad-input', message: `${f} is ${what}; the source is never overwritten.`, hint: 'Choose another output file.' });
    }
  }
  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(path.dirname(out), optimizeTempPrefix(process.pid)));
  } catch (e) {
    throw new WorkerFailure({ code: 'bad-input', message: `Cannot write next to ${out}: ${firstLine(e)}`, hint: 'Choose a folder you can write to.' });
  }
  try {
    const t0 = performance.now();
    const extra = external
      ? { extra: { session: { optimized_model_external_initializers_file_name: dataName, optimized_model_external_initializers_min_size_in_bytes: '1024' } } }
      : {};
    const { session, ep, fallbackReason } = await createSession(
      ort,
      { modelPath: src, ep: req.ep, allowCpuFallback: req.allowCpuFallback ?? false, session: { graphOptimizationLevel: req.level, enableCpuMemArena: true } },
      { optimizedModelFilePath: path.join(tmp, base), logSeverityLevel: 3, ...extra },
    );
    await session.release();
    const ms = performance.now() - t0;
    const written = path.join(tmp, base);
    if (!fs.existsSync(written)) {
      throw new WorkerFailure({ code: 'run-failed', message: 'ONNX Runtime created the session but wrote no optimized model.', hint: 'Try another optimization level or execution provider.' });
    }
    const notes: string[] = [];
    if (fallbackReason) notes.push(`Optimized for CPU: ${fallbackReason}`);
    if (req.level === 'all') {
      notes.push(
        `Level "all" includes layout optimizations for this machine's ${ep.toUpperCase()} provider (e.g. NCHWc blocked layouts): use the optimized model on the same hardware and provider, and save at "extended" for a portable model.`,
      );
    }
    const tmpData = path.join(tmp, dataName);
    let externalDataPath: string | undefined;
    if (fs.existsSync(tmpData)) {
      fs.renameSync(tmpData, dataOut);
      externalDataPath = dataOut;
    }
    fs.renameSync(written, out);
    return { outPath: out, level: req.level, ep, ...(externalDataPath ? { externalDataPath } : {}), sizeBytes: fileBytes(out) + (externalDataPath ? fileBytes(externalDataPath) : 0), ms, notes };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** An output as plain numbers for the comparison (float16 decoded from its raw bits). */
function outputTensor(t: OrtTypes.Tensor): OutputTensor {
  if (t.type === 'float16' && t.data instanceof Uint16Array) {
    const bits = t.data;
    const f = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) f[i] = halfToFloat(bits[i]!);
    return { dtype: 'float16', dims: [...t.dims], data: f };
  }
  if (t.type === 'string') return { dtype: 'string', dims: [...t.dims], data: [] };
  const data = t.data as OutputTensor['data'];
  // A Float16Array (newer runtimes) reads as numbers already; copy so the session can be released.
  return { dtype: t.type, dims: [...t.dims], data: ArrayBuffer.isView(data) ? (data.slice() as OutputTensor['data']) : data };
}

async function runForOutputs(ort: Ort, req: VerifyRequest, modelPath: string, tensors: readonly SynthTensor[], which: 'A' | 'B') {
  const { session, ep } = await createSession(ort, { modelPath, ep: req.ep, allowCpuFallback: req.allowCpuFallback, session: req.session });
  try {
    const t0 = performance.now();
    let out: OrtTypes.InferenceSession.OnnxValueMapType;
    try {
      out = await session.run(toFeeds(ort, tensors));
    } catch (e) {
      throw new WorkerFailure({
        code: 'run-failed',
        message: `Model ${which} (${path.basename(modelPath)}) failed inside ONNX Runtime: ${firstLine(e)}`,
        hint: which === 'B' ? 'The new model does not run on the inputs the original accepts: the transform broke it, or its inputs changed.' : 'Check the input shapes (set symbolic dims explicitly) or the model itself.',
      });
    }
    const ms = performance.now() - t0;
    const outputs = new Map<string, OutputTensor>();
    for (const name of session.outputNames) outputs.set(name, outputTensor(out[name] as OrtTypes.Tensor));
    return { outputs, ms, ep };
  } finally {
    await session.release();
  }
}

/**
 * Runs model A and model B on the same inputs (synthesized with a fixed seed, or the user's files)
 * one after the other — only one session is alive at a time — and compares every output.
 */
export async function verify(req: VerifyRequest): Promise<VerifyResult> {
  const ort: Ort = require('onnxruntime-node');
  const modelA = await readOrFail(req.modelA);
  const sa = summarize(modelA);
  const sb = summarize(await readOrFail(req.modelB));
  const dims = alignDims(sa.inputs, sb.inputs, req.dims);
  const vocab = inferVocabSize(modelA);
  const seed = req.seed ?? 42;
  let a: { tensors: readonly SynthTensor[]; notes: readonly string[] };
  let b: { tensors: SynthTensor[]; notes: string[] };
  try {
    a = req.inputFiles?.length
      ? { tensors: matchInputs(loadInputFiles(req.inputFiles), sa.inputs), notes: [`inputs from ${req.inputFiles.map((f) => path.basename(f)).join(', ')}`] }
      : synthesizeInputs(sa.inputs, { dims, seed, ...(vocab ? { vocabSize: vocab } : {}) });
    const names = new Set(sa.inputs.map((i) => i.name));
    const onlyB = sb.inputs.filter((i) => !names.has(i.name));
    const ownB = onlyB.length ? synthesizeInputs(onlyB, { dims, seed: seed + 1, ...(vocab ? { vocabSize: vocab } : {}) }).tensors : [];
    b = feedsForB(a.tensors, sb.inputs, ownB);
  } catch (e) {
    if (e instanceof InputSynthesisError || e instanceof Error) {
      throw new WorkerFailure({ code: 'bad-input', message: firstLine(e), hint: req.inputFiles?.length ? 'Fix the input files, or let Inference Lens synthesize inputs.' : 'Set the input dims explicitly.' });
    }
    throw e;
  }
  const ra = await runForOutputs(ort, req, req.modelA, a.tensors, 'A');
  const rb = await runForOutputs(ort, req, req.modelB, b.tensors, 'B');
  const tolerances = { ...DEFAULT_TOLERANCES, ...req.tolerances };
  const { outputs, verdict } = compareOutputs(ra.outputs, rb.outputs, tolerances);
  return {
    modelA: req.modelA,
    modelB: req.modelB,
    ep: rb.ep,
    inputs: a.tensors.map((t) => ({ name: t.name, dtype: t.dtype, dims: t.dims })),
    inputNotes: [...a.notes, ...b.notes],
    outputs,
    verdict,
    tolerances,
    runMs: { a: ra.ms, b: rb.ms },
  };
}

function failureOf(e: unknown, what: string): OrtWorkerError {
  return e instanceof WorkerFailure ? e.error : { code: 'crashed', message: `${what} failed: ${firstLine(e)}`, hint: 'Please report this with the model if you can share it.' };
}

// Entry point when forked.
if (require.main === module && process.send) {
  process.once('message', (m: ToWorker) => {
    const answer = (p: Promise<FromWorker>, what: string) =>
      p.then(
        (reply) => {
          send(reply);
          process.disconnect?.();
        },
        (e: unknown) => {
          send({ type: 'error', error: failureOf(e, what) });
          process.disconnect?.();
        },
      );
    switch (m?.type) {
      case 'probe':
        void answer(probe(m.ep).then((p) => ({ type: 'probe', probe: p })), 'The provider check');
        break;
      case 'profile':
        void answer(profile(m.request).then((result) => ({ type: 'result', result })), 'The profiler');
        break;
      case 'optimize':
        void answer(optimizeGraph(m.request).then((result) => ({ type: 'optimized', result })), 'Graph optimization');
        break;
      case 'verify':
        void answer(verify(m.request).then((result) => ({ type: 'verified', result })), 'The verification');
        break;
    }
  });
}
