/**
 * A protobuf wire-format cursor over a random-access byte source.
 *
 * Reads through a sliding window so that a field can be skipped without
 * touching its bytes: skipping a 1 GB `raw_data` costs one varint read.
 * Every length is checked against the end of the enclosing message and of the
 * file before anything is allocated, so a corrupt length (say 2^40) fails with
 * a typed error instead of an allocation.
 */
import * as fs from 'node:fs';
import { OnnxError } from './errors';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** Random-access bytes: a file descriptor, or a buffer (tests, webviews). */
export interface ByteSource {
  readonly size: number;
  /** Copies bytes [position, position + length) into target at 0; returns the count copied. */
  readInto(target: Buffer, position: number, length: number): number;
  close(): void;
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  static open(path: string): FileSource {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
      throw new OnnxError('io', `Cannot open ${path}: ${why}.`);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new OnnxError('io', `${path} is not a regular file`);
      return new FileSource(fd, st.size);
    } catch (e) {
      fs.closeSync(fd);
      throw e instanceof OnnxError ? e : new OnnxError('io', `Cannot read ${path}: ${(e as Error).message}`);
    }
  }

  readInto(target: Buffer, position: number, length: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, target, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Uint8Array) {}
  get size(): number {
    return this.buf.byteLength;
  }
  readInto(target: Buffer, position: number, length: number): number {
    const n = Math.max(0, Math.min(length, this.buf.byteLength - position));
    target.set(this.buf.subarray(position, position + n), 0);
    return n;
  }
  close(): void {}
}

/** Largest read for sequential access; reads after a skip start small and double while sequential. */
const WINDOW = 1 << 20;
const MIN_READ = 64 << 10;

/**
 * Cursor over a ByteSource. `pos` is an absolute offset; message bounds are
 * passed explicitly by the caller (`end`).
 */
export class WireReader {
  pos = 0;
  /** Bytes copied from the source so far (what the lazy walk actually read). */
  bytesRead = 0;
  private win: Buffer;
  private winStart = 0;
  private winLen = 0;
  private readSize = MIN_READ;

  constructor(readonly src: ByteSource) {
    this.win = Buffer.allocUnsafe(Math.min(WINDOW, Math.max(16, src.size)));
  }

  get size(): number {
    return this.src.size;
  }

  /** Makes [pos, pos+n) addressable in the window; returns the window index of pos. */
  private ensure(pos: number, n: number): number {
    if (pos >= this.winStart && pos + n <= this.winStart + this.winLen) return pos - this.winStart;
    if (pos + n > this.src.size) {
      throw new OnnxError('truncated', `Unexpected end of file at byte ${this.src.size} (needed ${n} bytes at ${pos})`, pos);
    }
    // Sequential miss (continuing where the window ended): read more next time. A jump (a skipped
    // payload) starts small again, so skipping a 5 MB weight costs ~64 KiB of reading, not 1 MiB.
    this.readSize = pos === this.winStart + this.winLen ? Math.min(WINDOW, this.readSize * 2) : MIN_READ;
    const want = Math.min(Math.max(n, this.readSize), this.src.size - pos);
    if (want > this.win.length) this.win = Buffer.allocUnsafe(want);
    const got = this.src.readInto(this.win, pos, want);
    this.bytesRead += got;
    this.winStart = pos;
    this.winLen = got;
    if (got < n) throw new OnnxError('truncated', `File shorter than expected at byte ${pos + got}`, pos + got);
    return 0;
  }

  private byteAt(pos: number): number {
    const i = this.ensure(pos, 1);
    return this.win[i]!;
  }

  /**
   * Reads a varint as an unsigned 64-bit value, returned as a number (exact up to 2^53).
   * Throws 'malformed' for varints longer than 10 bytes.
   */
  varint(end: number): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.failEnd(end, 'varint');
      const b = this.byteAt(this.pos++);
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new OnnxError('malformed', `Varint longer than 10 bytes at byte ${this.pos - 10}`, this.pos - 10);
  }

  /** Reads a varint as a signed int64 (two's complement), as a bigint. */
  varintBig(end: number): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.failEnd(end, 'varint');
      const b = this.byteAt(this.pos++);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new OnnxError('malformed', `Varint longer than 10 bytes at byte ${this.pos - 10}`, this.pos - 10);
  }

  /** Signed int64 as a number: exact for |v| <= 2^53, nearest double beyond. */
  int64(end: number): number {
    const start = this.pos;
    const u = this.varint(end);
    if (u < 2 ** 53) return u;
    // Large or negative (two's complement): decode exactly.
    this.pos = start;
    return Number(this.varintBig(end));
  }

  /** int32 fields are sign-extended to 64 bits on the wire. */
  int32(end: number): number {
    const v = this.int64(end);
    return v | 0;
  }

  fixed32(end: number): number {
    if (this.pos + 4 > end) this.failEnd(end, 'fixed32');
    const i = this.ensure(this.pos, 4);
    const v = this.win.readUInt32LE(i);
    this.pos += 4;
    return v;
  }

  float(end: number): number {
    if (this.pos + 4 > end) this.failEnd(end, 'float');
    const i = this.ensure(this.pos, 4);
    const v = this.win.readFloatLE(i);
    this.pos += 4;
    return v;
  }

  /** Reads a length prefix and checks it against the enclosing end. Returns the field's end offset. */
  lengthPrefix(end: number): number {
    const len = this.varint(end);
    const fieldEnd = this.pos + len;
    if (fieldEnd > end) {
      if (fieldEnd > this.src.size && end >= this.src.size) {
        throw new OnnxError('truncated', `A field of ${len} bytes at byte ${this.pos} runs past the end of the file (${this.src.size} bytes)`, this.pos);
      }
      throw new OnnxError('malformed', `A field of ${len} bytes at byte ${this.pos} runs past the end of its message`, this.pos);
    }
    return fieldEnd;
  }

  /** Reads [pos, fieldEnd) as UTF-8 and moves past it. */
  stringTo(fieldEnd: number): string {
    const n = fieldEnd - this.pos;
    if (n === 0) return '';
    const i = this.ensure(this.pos, n);
    const s = this.win.toString('utf8', i, i + n);
    this.pos = fieldEnd;
    return s;
  }

  /** Reads the key of the next field. */
  tag(end: number): { field: number; wire: number } {
    const start = this.pos;
    const t = this.varint(end);
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field === 0 || field > 536870911) throw new OnnxError('malformed', `Invalid field number ${field} at byte ${start}`, start);
    return { field, wire };
  }

  /** Skips a field's value of the given wire type. */
  skip(wire: number, end: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varint(end);
        return;
      case WireType.Fixed64:
        if (this.pos + 8 > end) this.failEnd(end, 'fixed64');
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.pos = this.lengthPrefix(end);
        return;
      case WireType.Fixed32:
        if (this.pos + 4 > end) this.failEnd(end, 'fixed32');
        this.pos += 4;
        return;
      default:
        throw new OnnxError('malformed', `Unsupported wire type ${wire} at byte ${this.pos}`, this.pos);
    }
  }

  /** Reads a repeated varint field, packed (wire 2) or not (wire 0). */
  repeatedInt64(wire: number, end: number, out: number[], limit: number): void {
    if (wire === WireType.Varint) {
      if (out.length >= limit) throw new OnnxError('malformed', `Too many values at byte ${this.pos}`, this.pos);
      out.push(this.int64(end));
      return;
    }
    if (wire !== WireType.LengthDelimited) throw this.wireMismatch(wire);
    const fieldEnd = this.lengthPrefix(end);
    while (this.pos < fieldEnd) {
      if (out.length >= limit) throw new OnnxError('malformed', `Too many values at byte ${this.pos}`, this.pos);
      out.push(this.int64(fieldEnd));
    }
  }

  /** Reads a repeated float field, packed (wire 2) or not (wire 5). */
  repeatedFloat(wire: number, end: number, out: number[], limit: number): void {
    if (wire === WireType.Fixed32) {
      if (out.length >= limit) throw new OnnxError('malformed', `Too many values at byte ${this.pos}`, this.pos);
      out.push(this.float(end));
      return;
    }
    if (wire !== WireType.LengthDelimited) throw this.wireMismatch(wire);
    const fieldEnd = this.lengthPrefix(end);
    if ((fieldEnd - this.pos) % 4 !== 0) throw new OnnxError('malformed', `Packed floats of odd length at byte ${this.pos}`, this.pos);
    if (out.length + (fieldEnd - this.pos) / 4 > limit) throw new OnnxError('malformed', `Too many values at byte ${this.pos}`, this.pos);
    while (this.pos < fieldEnd) out.push(this.float(fieldEnd));
  }

  wireMismatch(wire: number): OnnxError {
    return new OnnxError('malformed', `Unexpected wire type ${wire} at byte ${this.pos}`, this.pos);
  }

  private failEnd(end: number, what: string): never {
    if (end >= this.src.size) {
      throw new OnnxError('truncated', `Unexpected end of file while reading a ${what} at byte ${this.pos}`, this.pos);
    }
    throw new OnnxError('malformed', `A ${what} at byte ${this.pos} runs past the end of its message`, this.pos);
  }
}

/** Limits that keep a corrupt file from costing unbounded time or memory. */
export const LIMITS = {
  /** Nested messages (graphs inside If/Loop inside graphs...). */
  maxDepth: 64,
  /** Values in a repeated scalar field kept in memory (dims, ints, floats attributes). */
  maxRepeated: 1 << 22,
} as const;
