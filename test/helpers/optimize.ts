/**
 * For the model writer and transformation tests: run a model in ONNX Runtime (in process, real
 * onnxruntime-node), compare outputs, hash files, and the inputs each fixture model needs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { readModel, summarizeModel } from '../../src/core/onnx';
import { inferVocabSize, mulberry32, synthesizeInputs } from '../../src/core/inputs/synthesize';

export type Feeds = Record<string, ort.Tensor>;

export interface RunOutput {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

/** Runs `file` once on `feeds` (CPU, one thread, all graph optimizations). */
export async function runOrt(file: string, feeds: Feeds, opts: ort.InferenceSession.SessionOptions = {}): Promise<Record<string, RunOutput>> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, ...opts });
  try {
    const r = await s.run(feeds);
    const out: Record<string, RunOutput> = {};
    for (const [k, v] of Object.entries(r)) out[k] = { type: v.type, dims: [...v.dims], data: v.data as ArrayLike<number> };
    return out;
  } finally {
    await s.release();
  }
}

/** ORT's view of the model's inputs and outputs: name → type. */
export async function ortIo(file: string): Promise<{ inputs: Record<string, string>; outputs: Record<string, string>; inputShapes: Record<string, readonly (number | string)[]>; outputShapes: Record<string, readonly (number | string)[]> }> {
  const s = await ort.InferenceSession.create(file);
  try {
    const meta = (ms: readonly ort.InferenceSession.ValueMetadata[]) => Object.fromEntries(ms.map((m) => [m.name, m.isTensor ? m.type : 'non-tensor']));
    const shapes = (ms: readonly ort.InferenceSession.ValueMetadata[]) => Object.fromEntries(ms.map((m) => [m.name, m.isTensor ? m.shape : []]));
    return { inputs: meta(s.inputMetadata), outputs: meta(s.outputMetadata), inputShapes: shapes(s.inputMetadata), outputShapes: shapes(s.outputMetadata) };
  } finally {
    await s.release();
  }
}

export interface Agreement {
  /** max |a - b| / max |a| */
  readonly relError: number;
  readonly maxAbs: number;
  readonly cosine: number;
  /** NaN or ±Inf in b where a is finite. */
  readonly nonFinite: number;
}

export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): Agreement {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxAbs = 0;
  let maxA = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(y) && Number.isFinite(x)) nonFinite++;
    dot += x * y;
    na += x * x;
    nb += y * y;
    maxAbs = Math.max(maxAbs, Math.abs(x - y));
    maxA = Math.max(maxA, Math.abs(x));
  }
  return { relError: maxA ? maxAbs / maxA : maxAbs, maxAbs, cosine: na && nb ? dot / Math.sqrt(na * nb) : na === nb ? 1 : 0, nonFinite };
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Files in a folder, hidden ones (temp files) included, sorted. */
export function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Inputs for a model: synthesized from its declared types (seeded), with `overrides` for inputs that need real values. */
export async function feedsFor(file: string, opts: { dims?: Record<string, number>; overrides?: Feeds; seed?: number } = {}): Promise<Feeds> {
  const s = await summarizeModel(file);
  const need = s.inputs.filter((i) => !opts.overrides?.[i.name]);
  const vocabSize = inferVocabSize(await readModel(file));
  const { tensors } = synthesizeInputs(need, { dims: { batch: 1, ...opts.dims }, seed: opts.seed ?? 3, ...(vocabSize ? { vocabSize } : {}) });
  const feeds: Feeds = { ...opts.overrides };
  for (const t of tensors) feeds[t.name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.dims]);
  return feeds;
}

/** Inputs the fixture models need (silero's sample rate must be 8000 or 16000; images of a valid size). */
export async function fixtureFeeds(id: string, file: string): Promise<Feeds> {
  const rnd = mulberry32(11);
  const f32 = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  switch (id) {
    case 'silero-vad':
      return {
        input: new ort.Tensor('float32', f32(512, 0.3), [1, 512]),
        sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
        h: new ort.Tensor('float32', f32(128, 0.1), [2, 1, 64]),
        c: new ort.Tensor('float32', f32(128, 0.1), [2, 1, 64]),
      };
    case 'ppocr-det':
      return { x: new ort.Tensor('float32', f32(3 * 64 * 64), [1, 3, 64, 64]) };
    case 'ppocr-rec':
      return { x: new ort.Tensor('float32', f32(3 * 48 * 160), [1, 3, 48, 160]) };
    case 'ppocr-cls':
      return { x: new ort.Tensor('float32', f32(3 * 48 * 192), [1, 3, 48, 192]) };
    default:
      return feedsFor(file);
  }
}

/** Writes `bytes` as `name` in `dir` and returns the path. */
export function writeModelFile(dir: string, name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}
