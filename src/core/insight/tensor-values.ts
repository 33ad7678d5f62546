/**
 * Reading the values of small constant tensors (shape targets, axes, scales, pads) from the model
 * file on demand. Weights are never read: callers pass a bound on the element count.
 */
import * as fs from 'node:fs';
import { resolveExternalDataPath } from '../onnx/external-data';
import { DataType, type TensorInfo } from '../onnx/types';
import { FileSource, type ByteSource } from '../onnx/wire';

/** Opens the model file on first use; `close` releases it. */
export class TensorValueReader {
  private src: ByteSource | undefined;
  private ownSource = false;
  /** External data files opened so far, by location as written in the model. */
  private readonly external = new Map<string, number>();

  constructor(
    private readonly modelPath: string,
    source?: ByteSource,
  ) {
    this.src = source;
  }

  close(): void {
    for (const fd of this.external.values()) fs.closeSync(fd);
    this.external.clear();
    if (this.ownSource) this.src?.close();
    this.src = undefined;
    this.ownSource = false;
  }

  private source(): ByteSource {
    if (!this.src) {
      this.src = FileSource.open(this.modelPath);
      this.ownSource = true;
    }
    return this.src;
  }

  private bytes(offset: number, length: number): Uint8Array | undefined {
    const src = this.source();
    if (offset < 0 || length < 0 || offset + length > src.size) return undefined;
    const buf = Buffer.alloc(length);
    return src.readInto(buf, offset, length) === length ? buf : undefined;
  }

  /**
   * The tensor's values as numbers (int64 beyond 2^53 lose precision; bool as 0/1; float16 decoded),
   * or undefined when it has more than `maxElements`, an unsupported type, or unreadable data.
   */
  read(t: TensorInfo, maxElements: number): number[] | undefined {
    let count = 1;
    for (const d of t.dims) count *= d;
    if (!Number.isSafeInteger(count) || count < 0 || count > maxElements) return undefined;
    const width = WIDTH[t.dataType];
    if (width === undefined) return undefined;
    try {
      if (t.data.kind === 'none') return count === 0 ? [] : undefined;
      if (t.data.kind === 'external') {
        const len = count * width;
        if (t.data.length !== undefined && t.data.length < len) return undefined;
        let fd = this.external.get(t.data.location);
        if (fd === undefined) {
          fd = fs.openSync(resolveExternalDataPath(this.modelPath, t.data.location), 'r');
          this.external.set(t.data.location, fd);
        }
        const buf = Buffer.alloc(len);
        if (fs.readSync(fd, buf, 0, len, t.data.offset) !== len) return undefined;
        return decodeRaw(buf, t.dataType, count);
      }
      if (t.data.field === 'raw_data') {
        if (t.data.range.length < count * width) return undefined;
        const buf = this.bytes(t.data.range.offset, count * width);
        return buf && decodeRaw(buf, t.dataType, count);
      }
      // Typed fields: decode the (small) TensorProto itself, packed or not.
      if (t.protoRange.length > 64 + count * 11) return undefined;
      const proto = this.bytes(t.protoRange.offset, t.protoRange.length);
      return proto && decodeTyped(proto, t.dataType, count);
    } catch {
      return undefined;
    }
  }
}

/** Bytes per element in raw_data for the types whose values shape arithmetic can use. */
const WIDTH: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT32]: 4,
  [DataType.UINT32]: 4,
  [DataType.INT64]: 8,
  [DataType.UINT64]: 8,
  [DataType.BOOL]: 1,
};

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function decodeRaw(buf: Uint8Array, dataType: number, count: number): number[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    switch (dataType) {
      case DataType.FLOAT: out[i] = dv.getFloat32(i * 4, true); break;
      case DataType.DOUBLE: out[i] = dv.getFloat64(i * 8, true); break;
      case DataType.FLOAT16: out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case DataType.INT8: out[i] = dv.getInt8(i); break;
      case DataType.UINT8: out[i] = dv.getUint8(i); break;
      case DataType.BOOL: out[i] = dv.getUint8(i) ? 1 : 0; break;
      case DataType.INT16: out[i] = dv.getInt16(i * 2, true); break;
      case DataType.UINT16: out[i] = dv.getUint16(i * 2, true); break;
      case DataType.INT32: out[i] = dv.getInt32(i * 4, true); break;
      case DataType.UINT32: out[i] = dv.getUint32(i * 4, true); break;
      case DataType.INT64: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case DataType.UINT64: out[i] = Number(dv.getBigUint64(i * 8, true)); break;
      default: out[i] = NaN;
    }
  }
  return out;
}

/** Decodes float_data (4), int32_data (5), int64_data (7), double_data (10), uint64_data (11) from a TensorProto. */
function decodeTyped(p: Uint8Array, dataType: number, count: number): number[] | undefined {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= p.length) throw new Error('truncated');
      const b = p[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  };
  const out: number[] = [];
  const signed64 = (v: bigint) => Number(BigInt.asIntN(64, v));
  const fromVarint = (v: bigint, field: number): number => {
    if (field === 11) return Number(BigInt.asUintN(64, v));
    if (field === 5) {
      const n = Number(BigInt.asIntN(32, v));
      if (dataType === DataType.FLOAT16) return halfToFloat(n & 0xffff);
      if (dataType === DataType.BOOL) return n ? 1 : 0;
      return n;
    }
    return signed64(v);
  };
  while (pos < p.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    const wanted = field === 4 || field === 5 || field === 7 || field === 10 || field === 11;
    if (wire === 2) {
      const len = Number(varint());
      const end = pos + len;
      if (end > p.length) return undefined;
      if (wanted) {
        while (pos < end) {
          if (field === 4) { out.push(dv.getFloat32(pos, true)); pos += 4; }
          else if (field === 10) { out.push(dv.getFloat64(pos, true)); pos += 8; }
          else out.push(fromVarint(varint(), field));
        }
      }
      pos = end;
    } else if (wire === 0) {
      const v = varint();
      if (wanted) out.push(fromVarint(v, field));
    } else if (wire === 5) {
      if (field === 4) out.push(dv.getFloat32(pos, true));
      pos += 4;
    } else if (wire === 1) {
      if (field === 10) out.push(dv.getFloat64(pos, true));
      pos += 8;
    } else return undefined;
  }
  return out.length >= count ? out.slice(0, count) : undefined;
}
