/**
 * User-supplied inputs: NumPy `.npy` / `.npz` and ONNX `TensorProto` `.pb` files, decoded into the
 * same tensors input synthesis produces. Every format error names the file and what is wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { OnnxError, parseTensorProtoBuffer } from '../onnx';
import { DataType } from '../onnx/types';
import { WireReader, BufferSource } from '../onnx/wire';
import { InputSynthesisError, type SynthDtype, type SynthTensor } from './synthesize';

const NPY_DTYPES: Record<string, SynthDtype> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
} as const;

function fail(file: string, why: string): never {
  throw new InputSynthesisError(`${file}: ${why}`);
}

function typedCopy(dtype: SynthDtype, bytes: Uint8Array, count: number, file: string): SynthTensor['data'] {
  const C = CTORS[dtype];
  const need = count * C.BYTES_PER_ELEMENT;
  if (bytes.byteLength < need) fail(file, `holds ${bytes.byteLength} bytes of data, but its shape needs ${need}.`);
  // Copy into an aligned buffer: the payload offset inside a file is rarely aligned.
  const out = new Uint8Array(need);
  out.set(bytes.subarray(0, need));
  return new C(out.buffer) as SynthTensor['data'];
}

/** NumPy .npy (format versions 1, 2, 3), little-endian, C order. */
export function parseNpy(buf: Uint8Array, name: string, file = name): SynthTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.byteLength < 10 || magic.some((b, i) => buf[i] !== b)) fail(file, 'not a NumPy .npy file (bad magic).');
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > buf.byteLength) fail(file, 'truncated .npy header.');
  const header = Buffer.from(buf.subarray(headerStart, headerStart + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) fail(file, `unreadable .npy header: ${header.trim().slice(0, 120)}`);
  if (descr[1] === '>') fail(file, 'big-endian arrays are not supported; save with arr.astype(arr.dtype.newbyteorder("<")).');
  if (fortran[1] === 'True') fail(file, 'Fortran-ordered arrays are not supported; save np.ascontiguousarray(arr).');
  const dtype = NPY_DTYPES[descr[2]!];
  if (!dtype) fail(file, `dtype ${descr[2]} is not supported.`);
  const dims = shapeM[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(file, `invalid shape (${shapeM[1]}).`);
  const count = dims.reduce((a, b) => a * b, 1);
  return { name, dtype, dims, data: typedCopy(dtype, buf.subarray(headerStart + headerLen), count, file) };
}

/** NumPy .npz: a zip of .npy files (stored or deflated). Reads the central directory. */
export function parseNpz(buf: Uint8Array, file: string): SynthTensor[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.byteLength - 22; i >= Math.max(0, buf.byteLength - 65557); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(file, 'not a .npz (zip) file.');
  const entries = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const out: SynthTensor[] = [];
  for (let e = 0; e < entries; e++) {
    if (p + 46 > buf.byteLength || dv.getUint32(p, true) !== 0x02014b50) fail(file, 'corrupt zip directory.');
    const method = dv.getUint16(p + 10, true);
    const compSize = dv.getUint32(p + 20, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const entryName = Buffer.from(buf.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > buf.byteLength || dv.getUint32(local, true) !== 0x04034b50) fail(file, `corrupt zip entry ${entryName}.`);
    const dataStart = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataStart + compSize > buf.byteLength) fail(file, `truncated zip entry ${entryName}.`);
    const raw = buf.subarray(dataStart, dataStart + compSize);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw;
    else if (method === 8) bytes = zlib.inflateRawSync(raw);
    else fail(file, `zip compression method ${method} is not supported.`);
    out.push(parseNpy(bytes, entryName.replace(/\.npy$/, ''), `${file}:${entryName}`));
  }
  return out;
}

const PB_DTYPES: Partial<Record<number, SynthDtype>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT16]: 'int16',
  [DataType.UINT16]: 'uint16',
  [DataType.INT32]: 'int32',
  [DataType.UINT32]: 'uint32',
  [DataType.INT64]: 'int64',
  [DataType.UINT64]: 'uint64',
  [DataType.BOOL]: 'bool',
};

/** ONNX TensorProto .pb (onnx.numpy_helper.from_array(...).SerializeToString()). */
export function parseTensorPb(buf: Uint8Array, file: string, fallbackName: string): SynthTensor {
  let t;
  try {
    t = parseTensorProtoBuffer(buf);
  } catch (e) {
    if (e instanceof OnnxError) fail(file, `not a readable TensorProto (${e.message}).`);
    throw e;
  }
  const dtype = PB_DTYPES[t.dataType];
  if (!dtype) fail(file, `tensor data type ${t.dataType} is not supported as an input.`);
  const dims = [...t.dims];
  const count = dims.reduce((a, b) => a * b, 1);
  const name = t.name || fallbackName;
  if (t.data.kind === 'external') fail(file, 'tensors with external data are not supported as input files.');
  if (t.data.kind === 'none') {
    if (count === 0) return { name, dtype, dims, data: new CTORS[dtype](0) as SynthTensor['data'] };
    fail(file, 'the tensor has no data.');
  }
  const { field, range } = t.data;
  const payload = buf.subarray(range.offset, range.offset + range.length);
  if (field === 'raw_data') return { name, dtype, dims, data: typedCopy(dtype, payload, count, file) };
  // Typed fields: packed scalars (float_data: fixed32; double_data: fixed64; others: varints).
  const C = CTORS[dtype];
  const data = new C(count) as SynthTensor['data'];
  if (field === 'float_data' || field === 'double_data') {
    const w = field === 'float_data' ? 4 : 8;
    if (payload.byteLength < count * w) fail(file, 'the tensor holds fewer values than its shape needs.');
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    for (let i = 0; i < count; i++) (data as Float32Array)[i] = w === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
    return { name, dtype, dims, data };
  }
  const r = new WireReader(new BufferSource(payload));
  for (let i = 0; i < count; i++) {
    if (r.pos >= payload.byteLength) fail(file, 'the tensor holds fewer values than its shape needs.');
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) (data as BigInt64Array)[i] = r.varintBig(payload.byteLength);
    else (data as Int32Array)[i] = r.int64(payload.byteLength);
  }
  return { name, dtype, dims, data };
}

/** Loads input tensors from files: .npz (all arrays), .npy and .pb (one tensor each; named by the file when unnamed). */
export function loadInputFiles(files: readonly string[]): SynthTensor[] {
  const out: SynthTensor[] = [];
  for (const f of files) {
    const ext = path.extname(f).toLowerCase();
    if (!['.npz', '.npy', '.pb'].includes(ext)) fail(f, 'unknown input file type; use .npy, .npz or .pb.');
    let buf: Buffer;
    try {
      buf = fs.readFileSync(f);
    } catch (e) {
      fail(f, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    const base = path.basename(f).replace(/\.(npy|npz|pb)$/i, '').replace(/^input_\d+_?/, '') || path.basename(f);
    if (ext === '.npz') out.push(...parseNpz(buf, f));
    else if (ext === '.npy') out.push(parseNpy(buf, base, f));
    else out.push(parseTensorPb(buf, f, base));
  }
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.name)) throw new InputSynthesisError(`Input '${t.name}' is given twice.`);
    seen.add(t.name);
  }
  return out;
}

/** Checks loaded tensors against the model's inputs: every input present, dtypes equal, fixed dims equal. */
export function matchInputs(
  loaded: readonly SynthTensor[],
  modelInputs: readonly { name: string; dtype: string; shape: readonly (number | string | null)[] | null }[],
): SynthTensor[] {
  const byName = new Map(loaded.map((t) => [t.name, t]));
  const ORT: Record<string, string> = { float: 'float32', double: 'float64' };
  return modelInputs.map((io) => {
    const t = byName.get(io.name);
    if (!t) {
      throw new InputSynthesisError(
        `No data for input '${io.name}'. Files provided: ${[...byName.keys()].join(', ') || 'none'}. Name arrays after the model's inputs (np.savez(path, ${io.name}=...)).`,
      );
    }
    const want = ORT[io.dtype] ?? io.dtype;
    if (t.dtype !== want) throw new InputSynthesisError(`Input '${io.name}' must be ${want}; the file holds ${t.dtype}.`);
    if (io.shape) {
      if (io.shape.length !== t.dims.length) throw new InputSynthesisError(`Input '${io.name}' must have rank ${io.shape.length}; the file has shape [${t.dims.join(', ')}].`);
      io.shape.forEach((d, i) => {
        if (typeof d === 'number' && d !== t.dims[i]) throw new InputSynthesisError(`Input '${io.name}' needs ${d} at axis ${i}; the file has shape [${t.dims.join(', ')}].`);
      });
    }
    return t;
  });
}
