/**
 * Weight statistics of one initializer (or Constant-node tensor), read from disk on demand: the
 * tensor's bytes are streamed from its byte range in the model file or in its external-data file
 * (4 MiB at a time, cancellable) and reduced to min, max, mean, standard deviation and counts of
 * zeros, NaNs and infinities. Nothing else of the model is read.
 */
import * as fs from 'node:fs';
import { OnnxError } from '../onnx/errors';
import { resolveExternalDataPath } from '../onnx/external-data';
import { DataType, dataTypeName, type TensorInfo } from '../onnx/types';
import type { WeightStats } from './types';

const CHUNK = 4 << 20;

export class WeightStatsError extends Error {
  override readonly name = 'WeightStatsError';
}

/** Running statistics; chunks are merged with Chan et al.'s parallel update so the variance stays exact. */
class Acc {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  zeros = 0;
  nans = 0;
  infs = 0;
  elements = 0;

  /** Adds `count` values read by `at(i)`. */
  add(count: number, at: (i: number) => number): void {
    let n = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    for (let i = 0; i < count; i++) {
      const x = at(i);
      if (x !== x) {
        this.nans++;
        continue;
      }
      if (x === Infinity || x === -Infinity) {
        this.infs++;
        continue;
      }
      if (x === 0) this.zeros++;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      n++;
    }
    this.elements += count;
    this.min = min;
    this.max = max;
    if (n === 0) return;
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < count; i++) {
      const x = at(i);
      if (x === x && x !== Infinity && x !== -Infinity) m2 += (x - mean) * (x - mean);
    }
    const total = this.n + n;
    const delta = mean - this.mean;
    this.m2 += m2 + (delta * delta * this.n * n) / total;
    this.mean += (delta * n) / total;
    this.n = total;
  }
}

const f16 = new Float32Array(1);
const f16bits = new Uint32Array(f16.buffer);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bfloat16ToFloat(h: number): number {
  f16bits[0] = h << 16;
  return f16[0]!;
}

/** Bytes per element and a reader over a little-endian chunk, for the dtypes stored as fixed-size raw data. */
function rawReader(dtype: number): { size: number; read(dv: DataView, i: number): number } | undefined {
  switch (dtype) {
    case DataType.FLOAT:
      return { size: 4, read: (dv, i) => dv.getFloat32(i * 4, true) };
    case DataType.DOUBLE:
      return { size: 8, read: (dv, i) => dv.getFloat64(i * 8, true) };
    case DataType.FLOAT16:
      return { size: 2, read: (dv, i) => halfToFloat(dv.getUint16(i * 2, true)) };
    case DataType.BFLOAT16:
      return { size: 2, read: (dv, i) => bfloat16ToFloat(dv.getUint16(i * 2, true)) };
    case DataType.INT8:
      return { size: 1, read: (dv, i) => dv.getInt8(i) };
    case DataType.UINT8:
    case DataType.BOOL:
      return { size: 1, read: (dv, i) => dv.getUint8(i) };
    case DataType.INT16:
      return { size: 2, read: (dv, i) => dv.getInt16(i * 2, true) };
    case DataType.UINT16:
      return { size: 2, read: (dv, i) => dv.getUint16(i * 2, true) };
    case DataType.INT32:
      return { size: 4, read: (dv, i) => dv.getInt32(i * 4, true) };
    case DataType.UINT32:
      return { size: 4, read: (dv, i) => dv.getUint32(i * 4, true) };
    case DataType.INT64:
      return { size: 8, read: (dv, i) => Number(dv.getBigInt64(i * 8, true)) };
    case DataType.UINT64:
      return { size: 8, read: (dv, i) => Number(dv.getBigUint64(i * 8, true)) };
    default:
      return undefined;
  }
}

/** Where the tensor's data is: a file, a byte offset and length, and how it is encoded. */
function locate(modelPath: string, t: TensorInfo): { file: string; offset: number; length: number; field: string } {
  if (t.data.kind === 'inline') return { file: modelPath, offset: t.data.range.offset, length: t.data.range.length, field: t.data.field };
  if (t.data.kind === 'external') {
    let file: string;
    try {
      file = resolveExternalDataPath(modelPath, t.data.location);
    } catch (e) {
      throw new WeightStatsError(e instanceof OnnxError ? e.message : String(e));
    }
    let length = t.data.length;
    if (length === undefined) {
      try {
        length = Math.max(0, fs.statSync(file).size - t.data.offset);
      } catch {
        throw new WeightStatsError(`The external data file '${t.data.location}' of '${t.name}' is missing next to the model.`);
      }
    }
    return { file, offset: t.data.offset, length, field: 'raw_data' };
  }
  throw new WeightStatsError(`'${t.name}' has no data in the model.`);
}

async function readRange(fd: fs.promises.FileHandle, offset: number, length: number, file: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fd.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) throw new WeightStatsError(`${file} ends before the tensor's data does (byte ${offset + done} of ${offset + length}).`);
    done += bytesRead;
  }
  return buf;
}

/** Varints of a packed repeated field: signed (int32/int64 fields) or unsigned (uint64). */
function* varints(buf: Uint8Array, signed: boolean): Generator<number> {
  let pos = 0;
  while (pos < buf.length) {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b: number;
    let k = 0;
    do {
      if (pos >= buf.length || k === 10) throw new WeightStatsError('The tensor data is malformed (a varint runs past its field).');
      b = buf[pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      k++;
    } while (b & 0x80);
    // Negative two's complement values: negate exactly in two 32-bit halves.
    yield signed && hi & 0x80000000 ? -((~hi >>> 0) * 2 ** 32 + (~lo >>> 0) + 1) : (hi >>> 0) * 2 ** 32 + (lo >>> 0);
  }
}

export interface WeightStatsOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Statistics of tensor `t` of the model at `modelPath` (`index` is echoed back). Throws
 * WeightStatsError with a message for people when the data cannot be read or its dtype is not numeric.
 */
export async function weightStatistics(modelPath: string, t: TensorInfo, index: number, opts: WeightStatsOptions = {}): Promise<WeightStats> {
  const t0 = performance.now();
  const dtype = dataTypeName(t.dataType);
  let count = 1;
  for (const d of t.dims) count *= d;
  if (!Number.isSafeInteger(count) || count < 0) throw new WeightStatsError(`'${t.name}' has invalid dims [${t.dims.join(',')}].`);
  const { file, offset, length, field } = locate(modelPath, t);
  const acc = new Acc();
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(file, 'r');
  } catch (e) {
    throw new WeightStatsError(`Could not open ${file}: ${(e as Error).message}`);
  }
  let bytesRead = 0;
  try {
    const raw = field === 'raw_data' || field === 'float_data' || field === 'double_data';
    const nibble = t.dataType === DataType.INT4 || t.dataType === DataType.UINT4;
    if (raw && nibble) {
      const need = Math.ceil(count / 2);
      if (length < need) throw new WeightStatsError(`'${t.name}' holds ${length} bytes, its shape needs ${need}.`);
      for (let at = 0; at < need; at += CHUNK) {
        opts.signal?.throwIfAborted();
        const n = Math.min(CHUNK, need - at);
        const buf = await readRange(fd, offset + at, n, file);
        bytesRead += n;
        const signed = t.dataType === DataType.INT4;
        const values = Math.min(n * 2, count - at * 2);
        acc.add(values, (i) => {
          const b = buf[i >> 1]!;
          const v = i & 1 ? b >> 4 : b & 0x0f;
          return signed && v >= 8 ? v - 16 : v;
        });
        opts.onProgress?.(bytesRead, need);
      }
    } else if (raw) {
      const r = field === 'float_data' ? rawReader(DataType.FLOAT) : field === 'double_data' ? rawReader(DataType.DOUBLE) : rawReader(t.dataType);
      if (!r) throw new WeightStatsError(`Statistics of ${dtype} tensors are not supported.`);
      const need = count * r.size;
      if (length < need) throw new WeightStatsError(`'${t.name}' holds ${length} bytes of data, its shape [${t.dims.join(',')}] needs ${need}.`);
      const step = Math.floor(CHUNK / r.size) * r.size;
      for (let at = 0; at < need; at += step) {
        opts.signal?.throwIfAborted();
        const n = Math.min(step, need - at);
        const buf = await readRange(fd, offset + at, n, file);
        bytesRead += n;
        const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        acc.add(n / r.size, (i) => r.read(dv, i));
        opts.onProgress?.(bytesRead, need);
      }
    } else {
      // int32_data (also float16/bfloat16 bits and small ints), int64_data, uint64_data: packed varints.
      if (length > 1 << 30) throw new WeightStatsError(`'${t.name}' stores ${length} bytes as varints; statistics read at most 1 GiB of them.`);
      const buf = await readRange(fd, offset, length, file);
      bytesRead = length;
      const values: number[] = [];
      for (const v of varints(buf, field !== 'uint64_data')) {
        values.push(v);
        if (values.length > count) break;
      }
      if (values.length < count) throw new WeightStatsError(`'${t.name}' holds ${values.length} values, its shape needs ${count}.`);
      const convert =
        t.dataType === DataType.FLOAT16 ? (v: number) => halfToFloat(v & 0xffff)
        : t.dataType === DataType.BFLOAT16 ? (v: number) => bfloat16ToFloat(v & 0xffff)
        : (v: number) => v;
      if (t.dataType === DataType.STRING) throw new WeightStatsError('Statistics of string tensors are not supported.');
      acc.add(count, (i) => convert(values[i]!));
    }
  } catch (e) {
    if (opts.signal?.aborted) throw new OnnxError('cancelled', 'Reading the weights was cancelled.');
    throw e;
  } finally {
    await fd.close();
  }
  const finite = acc.n > 0;
  return {
    tensor: index,
    dtype,
    elements: acc.elements,
    min: finite ? acc.min : null,
    max: finite ? acc.max : null,
    mean: finite ? acc.mean : null,
    std: finite ? Math.sqrt(acc.m2 / acc.n) : null,
    zeros: acc.zeros,
    nans: acc.nans,
    infs: acc.infs,
    bytesRead,
    millis: Math.round((performance.now() - t0) * 100) / 100,
  };
}
