/**
 * Input synthesis for profiling: tensors built from a model's declared input types and shapes.
 * Symbolic dims take the user's values, else sensible defaults (batch 1, sequence 128); token ids
 * stay inside the vocabulary when it can be inferred; attention masks are ones.
 */
import type { IoSummary } from '../onnx/summary-types';
import type { OnnxModel } from '../onnx/types';

export type SynthDtype = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export interface SynthTensor {
  readonly name: string;
  /** onnxruntime's type name. */
  readonly dtype: SynthDtype;
  readonly dims: readonly number[];
  /** float16 is carried as its raw uint16 bits. */
  readonly data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
}

export interface SynthOptions {
  /** Values for symbolic dims by name (`batch: 8`), or by `input:axis` (`input_ids:1: 512`). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Upper bound (exclusive) for token ids; see inferVocabSize. */
  readonly vocabSize?: number;
  readonly seed?: number;
  /** Refuse to build any single tensor larger than this (default 1 GiB). */
  readonly maxTensorBytes?: number;
}

export interface SynthResult {
  readonly tensors: readonly SynthTensor[];
  /** Assumptions made (defaults chosen for dims, value ranges), for display next to the results. */
  readonly notes: readonly string[];
}

export class InputSynthesisError extends Error {
  override readonly name = 'InputSynthesisError';
}

/** ONNX element type names (as the summary writes them) → the dtypes inputs can be synthesized in. */
export const ORT_DTYPE: Readonly<Record<string, SynthDtype>> = {
  float: 'float32',
  double: 'float64',
  float16: 'float16',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
};

const BYTES: Record<SynthDtype, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** Default for a symbolic dim by its name, with the reason shown to the user. */
export function defaultForDim(name: string): { value: number; why: string } {
  const n = name.toLowerCase();
  if (/past|cache/.test(n)) return { value: 0, why: 'no cached tokens' };
  if (/batch|^n$|^b$|^bs$|^n_?batch/.test(n)) return { value: 1, why: 'batch 1' };
  if (/seq|len|token|time|^t$|^s$|frames|words/.test(n)) return { value: 128, why: 'sequence 128' };
  if (/height|width|^h$|^w$/.test(n)) return { value: 224, why: 'image side 224' };
  return { value: 1, why: 'unknown dim, 1' };
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same inputs on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function toHalfBits(v: number): number {
  // Values in [-1, 1): no overflow or subnormal handling needed beyond rounding toward zero.
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | ((x >>> 13) & 0x3ff);
}

/**
 * Keys of `dims` that name nothing in these inputs (neither a symbolic dim nor `input:axis`), with
 * the names that would: a typo there would otherwise silently leave the default in place.
 */
export function unknownDims(inputs: readonly IoSummary[], dims: Readonly<Record<string, number>>): { unknown: string[]; known: string[] } {
  const known = new Set<string>();
  for (const io of inputs) {
    if (io.kind !== 'tensor' || !io.shape) continue;
    io.shape.forEach((d, axis) => {
      known.add(`${io.name}:${axis}`);
      if (typeof d === 'string') known.add(d);
    });
  }
  return { unknown: Object.keys(dims).filter((k) => !known.has(k)), known: [...known].filter((k) => !/:\d+$/.test(k)) };
}

export function synthesizeInputs(inputs: readonly IoSummary[], opts: SynthOptions = {}): SynthResult {
  const rand = mulberry32(opts.seed ?? 42);
  const notes: string[] = [];
  const chosen = new Map<string, number>();
  const maxBytes = opts.maxTensorBytes ?? 2 ** 30;
  const tensors = inputs.map((io): SynthTensor => {
    if (io.kind !== 'tensor') throw new InputSynthesisError(`Input '${io.name}' is a ${io.kind}; only tensor inputs can be synthesized. Provide inputs from a file.`);
    const dtype = ORT_DTYPE[io.dtype];
    if (!dtype) throw new InputSynthesisError(`Input '${io.name}' has type ${io.dtype}, which cannot be synthesized. Provide inputs from a file.`);
    if (io.shape === null) throw new InputSynthesisError(`Input '${io.name}' declares no shape. Set it explicitly, e.g. --shape ${io.name}=1,128.`);
    const dims = io.shape.map((d, axis) => {
      const byAxis = opts.dims?.[`${io.name}:${axis}`];
      if (byAxis !== undefined) return byAxis;
      if (typeof d === 'number') return d;
      const key = d ?? `${io.name}:${axis}`;
      const user = opts.dims?.[key];
      if (user !== undefined) return user;
      const known = chosen.get(key);
      if (known !== undefined) return known;
      const { value, why } = defaultForDim(d ?? '');
      chosen.set(key, value);
      notes.push(`${d === null ? `${io.name} axis ${axis} (unnamed)` : d} = ${value} (${why})`);
      return value;
    });
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new InputSynthesisError(`Input '${io.name}' would have dim ${d}; dims must be non-negative integers.`);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (count * BYTES[dtype] > maxBytes) {
      throw new InputSynthesisError(
        `Input '${io.name}' with shape [${dims.join(', ')}] would take ${(count * BYTES[dtype] / 2 ** 30).toFixed(1)} GiB. Choose smaller dims.`,
      );
    }
    return { name: io.name, dtype, dims, data: fill(io.name, dtype, count, dims, rand, opts.vocabSize, notes) };
  });
  return { tensors, notes };
}

function fill(
  name: string,
  dtype: SynthDtype,
  count: number,
  dims: readonly number[],
  rand: () => number,
  vocab: number | undefined,
  notes: string[],
): SynthTensor['data'] {
  const n = name.toLowerCase();
  const isMask = /mask/.test(n);
  const isIds = /input_ids|token_ids|^ids$|tokens?$|decoder_input_ids/.test(n);
  const isPositions = /position_ids|positions/.test(n);
  const isTypeIds = /token_type_ids|segment_ids/.test(n);
  const intValue = (i: number): number => {
    if (isMask) return 1;
    if (isTypeIds) return 0;
    if (isPositions) return dims.length ? i % dims[dims.length - 1]! : 0;
    if (isIds) return Math.floor(rand() * (vocab ?? 1000));
    return Math.floor(rand() * 10);
  };
  if (isIds) notes.push(`${name}: random token ids in [0, ${vocab ?? 1000})${vocab ? ' (vocabulary size from the embedding table)' : ' (vocabulary unknown)'}`);
  else if (isMask && dtype !== 'float32') notes.push(`${name}: all ones`);
  switch (dtype) {
    case 'float32':
    case 'float64': {
      const a = dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = isMask ? 1 : rand() * 2 - 1;
      return a;
    }
    case 'float16': {
      const a = new Uint16Array(count);
      for (let i = 0; i < count; i++) a[i] = toHalfBits(isMask ? 1 : rand() * 2 - 1);
      return a;
    }
    case 'bool': {
      const a = new Uint8Array(count);
      a.fill(1);
      return a;
    }
    case 'int64':
    case 'uint64': {
      const a = dtype === 'int64' ? new BigInt64Array(count) : new BigUint64Array(count);
      for (let i = 0; i < count; i++) a[i] = BigInt(intValue(i));
      return a;
    }
    default: {
      const Ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array }[dtype];
      const a = new Ctor(count);
      for (let i = 0; i < count; i++) a[i] = intValue(i);
      return a;
    }
  }
}

/**
 * Vocabulary size from the model: the first dim of a 2-D initializer that a Gather indexes with a
 * graph input (the token embedding table), or undefined.
 */
export function inferVocabSize(model: OnnxModel): number | undefined {
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const inputs = new Set(g.inputs.map((i) => i.name));
  for (const n of g.nodes) {
    if (n.opType !== 'Gather' || n.inputs.length < 2) continue;
    const table = inits.get(n.inputs[0]!);
    if (table && table.dims.length === 2 && inputs.has(n.inputs[1]!)) return table.dims[0];
  }
  return undefined;
}
