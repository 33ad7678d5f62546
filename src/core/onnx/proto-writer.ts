/**
 * Minimal protobuf encoder and an ONNX ModelProto builder on top of it.
 *
 * The builder writes the same wire format as onnx's protobuf code for the
 * fields it knows. Tests and benchmarks use it to make real model files
 * (loaded by ONNX Runtime) with exactly the structure they need.
 */

/** Append-only protobuf encoder. Sub-messages are encoded into their own writer and copied in. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private n = 0;
  private total = 0;

  get length(): number {
    return this.total + this.n;
  }

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.flush();
    if (k > this.cur.length) this.cur = new Uint8Array(Math.max(k, this.cur.length * 2));
  }

  private flush(): void {
    if (this.n === 0) return;
    this.chunks.push(this.cur.slice(0, this.n));
    this.total += this.n;
    this.n = 0;
  }

  private rawVarint(v: number | bigint): void {
    let x = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
    this.room(10);
    if (typeof x === 'number') {
      while (x >= 128) {
        this.cur[this.n++] = (x % 128) | 0x80;
        x = Math.floor(x / 128);
      }
      this.cur[this.n++] = x;
    } else {
      while (x >= 128n) {
        this.cur[this.n++] = Number(x & 0x7fn) | 0x80;
        x >>= 7n;
      }
      this.cur[this.n++] = Number(x);
    }
  }

  private key(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  varint(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    this.room(4);
    new DataView(this.cur.buffer).setFloat32(this.n, v, true);
    this.n += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(b.byteLength);
    this.raw(b);
    return this;
  }

  /** Writes a length-delimited field whose payload is `length` bytes supplied later by the caller's stream. */
  lengthHeader(field: number, length: number): this {
    this.key(field, 2);
    this.rawVarint(length);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, w: ProtoWriter): this {
    return this.bytes(field, w.finish());
  }

  packedVarints(field: number, vs: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of vs) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  raw(b: Uint8Array): this {
    if (b.byteLength > 4096) {
      this.flush();
      this.chunks.push(b);
      this.total += b.byteLength;
    } else {
      this.room(b.byteLength);
      this.cur.set(b, this.n);
      this.n += b.byteLength;
    }
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    this.chunks = [out];
    return out;
  }
}

// ---- ONNX model builder -------------------------------------------------

export type AttrValue =
  | { readonly f: number }
  | { readonly i: number | bigint }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly (number | bigint)[] }
  | { readonly strings: readonly string[] }
  | { readonly t: TensorSpec }
  | { readonly g: GraphSpec };

export interface NodeSpec {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttrValue>>;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface TensorSpec {
  readonly name?: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Inline payload as raw_data. */
  readonly raw?: Uint8Array;
  /** Payload in an external file (data_location = EXTERNAL). */
  readonly external?: { readonly location: string; readonly offset?: number; readonly length?: number };
}

export interface ValueSpec {
  readonly name: string;
  readonly elemType: number;
  /** null for an unknown dim; undefined shape = rank unknown. */
  readonly shape?: readonly (number | string | null)[];
}

export interface GraphSpec {
  readonly name?: string;
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly TensorSpec[];
  readonly valueInfo?: readonly ValueSpec[];
}

export interface FunctionSpec {
  readonly name: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly NodeSpec[];
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
}

export interface ModelSpec {
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly opsets?: readonly { readonly domain: string; readonly version: number }[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly graph: GraphSpec;
  readonly functions?: readonly FunctionSpec[];
}

function entries(m: Readonly<Record<string, string>>, field: number, w: ProtoWriter): void {
  for (const [k, v] of Object.entries(m)) w.message(field, new ProtoWriter().string(1, k).string(2, v));
}

export function encodeTensor(t: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length) w.packedVarints(1, t.dims);
  w.varint(2, t.dataType);
  if (t.name !== undefined) w.string(8, t.name);
  if (t.external) {
    const e = t.external;
    entries({ location: e.location }, 13, w);
    if (e.offset !== undefined) entries({ offset: String(e.offset) }, 13, w);
    if (e.length !== undefined) entries({ length: String(e.length) }, 13, w);
    w.varint(14, 1);
  } else if (t.raw) {
    w.bytes(9, t.raw);
  }
  return w;
}

function encodeValue(v: ValueSpec): ProtoWriter {
  const tensorType = new ProtoWriter().varint(1, v.elemType);
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (typeof d === 'number') dim.varint(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function encodeAttr(name: string, a: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('f' in a) w.float(2, a.f).varint(20, 1);
  else if ('i' in a) w.varint(3, a.i).varint(20, 2);
  else if ('s' in a) w.string(4, a.s).varint(20, 3);
  else if ('t' in a) w.message(5, encodeTensor(a.t)).varint(20, 4);
  else if ('g' in a) w.message(6, encodeGraph(a.g)).varint(20, 5);
  else if ('floats' in a) w.packedFloats(7, a.floats).varint(20, 6);
  else if ('ints' in a) w.packedVarints(8, a.ints).varint(20, 7);
  else if ('strings' in a) {
    for (const s of a.strings) w.string(9, s);
    w.varint(20, 8);
  }
  return w;
}

function encodeNode(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, encodeAttr(k, v));
  if (n.domain) w.string(7, n.domain);
  if (n.metadata) entries(n.metadata, 9, w);
  return w;
}

export function encodeGraph(g: GraphSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name ?? 'graph');
  for (const t of g.initializers ?? []) w.message(5, encodeTensor(t));
  for (const v of g.inputs) w.message(11, encodeValue(v));
  for (const v of g.outputs) w.message(12, encodeValue(v));
  for (const v of g.valueInfo ?? []) w.message(13, encodeValue(v));
  return w;
}

function encodeFunction(f: FunctionSpec): ProtoWriter {
  const w = new ProtoWriter().string(1, f.name);
  for (const i of f.inputs) w.string(4, i);
  for (const o of f.outputs) w.string(5, o);
  for (const n of f.nodes) w.message(7, encodeNode(n));
  for (const o of f.opsets) w.message(9, new ProtoWriter().string(1, o.domain).varint(2, o.version));
  w.string(10, f.domain);
  return w;
}

export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, m.irVersion ?? 10);
  w.string(2, m.producerName ?? 'inference-lens-tests');
  if (m.producerVersion) w.string(3, m.producerVersion);
  w.message(7, encodeGraph(m.graph));
  for (const o of m.opsets ?? [{ domain: '', version: 17 }]) {
    w.message(8, new ProtoWriter().string(1, o.domain).varint(2, o.version));
  }
  if (m.metadata) entries(m.metadata, 14, w);
  for (const f of m.functions ?? []) w.message(25, encodeFunction(f));
  return w.finish();
}
