/**
 * Model writer: serializes an OnnxModel (as read by the lazy reader, possibly modified) to a new
 * file, streaming tensor payloads from their source byte ranges (the model file or its external
 * data) in chunks, so weights are never all in memory.
 *
 * - Everything the reader keeps is written back: metadata, value_info, functions, subgraphs, doc
 *   strings, opset imports, node/graph/tensor metadata_props, and the fields it does not decode
 *   (training_info, quantization_annotation, unknown fields) copied byte for byte. Tensor data in
 *   typed fields (float_data, int64_data, string_data ...) is copied as written. Not kept: a
 *   TypeProto's denotation; int64 values beyond ±2^53 in `ints` attributes and dims lose precision
 *   except the INT64_MAX/MIN sentinels, which stay exact.
 * - External data: when the model would exceed protobuf's 2 GiB limit (or on request), tensors of at
 *   least 1 KiB go to `<out>.data` (initializers first, Constant tensors only when still needed),
 *   at 64 KiB-aligned offsets for tensors of 1 MiB and more (what onnx's save_model does), so ONNX
 *   Runtime can map them. Runs of zero bytes are left as holes (sparse files stay sparse).
 * - Atomic: everything is written to hidden `*.tmp` files in the output folder, fsynced, then the
 *   data file and the model are renamed into place. Any error or an abort removes the temp files.
 *   The output never replaces the source model or a file it reads; an existing output is replaced
 *   only with `overwrite`.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { resolveExternalDataPath } from './external-data';
import { ProtoWriter } from './proto-writer';
import {
  AttributeType,
  DataType,
  type Attribute,
  type ByteRange,
  type Dim,
  type FunctionProto,
  type Graph,
  type Node,
  type OnnxModel,
  type SparseTensorInfo,
  type StringStringEntry,
  type TensorInfo,
  type TypeInfo,
  type ValueInfo,
} from './types';

/** A tensor's new payload (raw little-endian bytes, as raw_data holds them). */
export type TensorPayload =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /** Produced when the writer reaches the tensor, so only one tensor's worth is in memory at a time. */
  | { readonly kind: 'computed'; readonly byteLength: number; readonly compute: () => Uint8Array | Promise<Uint8Array> };

export type ExternalDataMode = 'auto' | 'always' | 'never';

export interface WriteModelOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: WriteProgress) => void;
  /** Replace `dst` (and its data file) when they exist. Never the source or a file it reads. */
  readonly overwrite?: boolean;
  /** Default 'auto': external data only when the model file would exceed `maxInlineBytes`. */
  readonly externalData?: ExternalDataMode;
  /** Smallest tensor moved to the data file (default 1024 bytes, as onnx's save_model). */
  readonly externalMinBytes?: number;
  /** The largest model file 'auto' writes without external data (default 2 GiB - 1, protobuf's limit). */
  readonly maxInlineBytes?: number;
  /** New payloads for tensors of the model, by object identity (their `data` is ignored). */
  readonly payloads?: ReadonlyMap<TensorInfo, TensorPayload>;
  /**
   * Files the payloads read besides those `model` references: the source model's files when a
   * transformation replaced its external tensors (FP16 converts them all). Never replaced either.
   */
  readonly sourceFiles?: readonly string[];
}

export interface WriteProgress {
  /** Bytes written so far (model file + data file) and in all. */
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** The tensor being written. */
  readonly tensor?: string;
}

export interface WriteResult {
  /** Absolute path of the model file written, and its size. */
  readonly path: string;
  readonly bytes: number;
  readonly externalData?: { readonly path: string; readonly location: string; readonly bytes: number; readonly tensors: number };
  /** Tensor payload bytes written (inline and external). */
  readonly payloadBytes: number;
  readonly durationMs: number;
}

export type ModelWriteErrorCode = 'exists' | 'same-file' | 'too-large' | 'io' | 'cancelled';

export class ModelWriteError extends Error {
  override readonly name = 'ModelWriteError';
  constructor(
    readonly code: ModelWriteErrorCode,
    message: string,
  ) {
    super(message);
  }

  get hint(): string {
    switch (this.code) {
      case 'exists':
        return 'Choose another output name, or allow replacing it (--force).';
      case 'same-file':
        return 'Write the result under another name; the source model is never overwritten.';
      case 'too-large':
        return 'Write the weights to an external data file.';
      case 'io':
        return 'Check free disk space, that the output folder is writable, and that the source files did not change.';
      case 'cancelled':
        return '';
    }
  }
}

/** protobuf's hard limit for one message. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;
const ALIGN_THRESHOLD = 1 << 20;
const ALIGN = 1 << 16;
const CHUNK = 4 << 20;

// ---- pieces: the output as a list of byte ranges to copy and buffers ------------------------

interface RangePiece {
  readonly kind: 'range';
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly tensor?: string;
}
interface ComputedPiece {
  readonly kind: 'computed';
  readonly length: number;
  readonly compute: () => Uint8Array | Promise<Uint8Array>;
  readonly tensor: string;
}
type Piece = Uint8Array | RangePiece | ComputedPiece;

function pieceLength(p: Piece): number {
  return p instanceof Uint8Array ? p.byteLength : p.length;
}

/** A protobuf message as pieces: small fields through ProtoWriter, payloads by reference. */
class Msg {
  readonly pieces: Piece[] = [];
  private w = new ProtoWriter();
  private total = 0;

  get length(): number {
    return this.total + this.w.length;
  }

  private flushWriter(): void {
    if (this.w.length === 0) return;
    const b = this.w.finish();
    this.pieces.push(b);
    this.total += b.byteLength;
    this.w = new ProtoWriter();
  }

  private push(p: Piece): void {
    this.flushWriter();
    this.pieces.push(p);
    this.total += pieceLength(p);
  }

  varint(field: number, v: number | bigint): this {
    this.w.varint(field, typeof v === 'number' ? int64(v) : v);
    return this;
  }
  float(field: number, v: number): this {
    this.w.float(field, v);
    return this;
  }
  string(field: number, s: string): this {
    this.w.string(field, s);
    return this;
  }
  packedInt64(field: number, vs: readonly number[]): this {
    this.w.packedVarints(field, vs.map(int64));
    return this;
  }
  packedFloats(field: number, vs: readonly number[]): this {
    this.w.packedFloats(field, vs);
    return this;
  }
  message(field: number, m: Msg): this {
    if (m.pieces.length === 0) {
      this.w.bytes(field, m.w.finish());
      return this;
    }
    this.w.lengthHeader(field, m.length);
    m.flushWriter();
    for (const p of m.pieces) this.push(p);
    return this;
  }
  /** A length-delimited field whose payload is a piece. */
  payload(field: number, p: Piece): this {
    this.w.lengthHeader(field, pieceLength(p));
    this.push(p);
    return this;
  }
  /** Bytes copied verbatim (whole fields, tags included). */
  verbatim(p: Piece): this {
    if (p instanceof Uint8Array) this.w.raw(p);
    else this.push(p);
    return this;
  }
  done(): Piece[] {
    this.flushWriter();
    return this.pieces;
  }
}

/**
 * An int64 as the writer encodes it: exact for safe integers, the INT64_MAX/MIN sentinels for
 * values the reader could only approximate at the ends of the range.
 */
function int64(v: number): number | bigint {
  if (Number.isSafeInteger(v)) return v;
  if (!Number.isFinite(v) || v >= 2 ** 63) return v < 0 ? -(2n ** 63n) : 2n ** 63n - 1n;
  if (v <= -(2 ** 63)) return -(2n ** 63n);
  return BigInt(v);
}

// ---- plan: what goes where ---------------------------------------------------------------------

const FIXED_WIDTH: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
};

interface Plan {
  /** Move payloads to the data file: none, initializers only, or every tensor. */
  readonly external: 'none' | 'initializers' | 'all';
  readonly minBytes: number;
  readonly location: string;
  readonly dataFile: string;
}

interface Built {
  readonly pieces: Piece[];
  readonly length: number;
  /** The data file, in order: pieces with their offsets (padding between them is zeros). */
  readonly data: { piece: Piece; offset: number; tensor: string }[];
  readonly dataLength: number;
  readonly payloadBytes: number;
}

class Builder {
  private dataLength = 0;
  private readonly data: { piece: Piece; offset: number; tensor: string }[] = [];
  private payloadBytes = 0;
  private readonly fileSizes = new Map<string, number>();

  constructor(
    private readonly model: OnnxModel,
    private readonly plan: Plan,
    private readonly payloads: ReadonlyMap<TensorInfo, TensorPayload>,
  ) {}

  build(): Built {
    const pieces = this.modelMsg().done();
    const length = pieces.reduce((a, p) => a + pieceLength(p), 0);
    return { pieces, length, data: this.data, dataLength: this.dataLength, payloadBytes: this.payloadBytes };
  }

  private sizeOf(file: string): number {
    let n = this.fileSizes.get(file);
    if (n === undefined) {
      try {
        n = fs.statSync(file).size;
      } catch (e) {
        throw new ModelWriteError('io', `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      this.fileSizes.set(file, n);
    }
    return n;
  }

  private range(file: string, offset: number, length: number, tensor?: string): RangePiece {
    if (offset + length > this.sizeOf(file)) {
      throw new ModelWriteError('io', `${tensor ? `Tensor '${tensor}': its data` : 'A field'} (bytes ${offset}-${offset + length}) lies past the end of ${path.basename(file)} (${this.sizeOf(file)} bytes)`);
    }
    return { kind: 'range', file, offset, length, ...(tensor !== undefined ? { tensor } : {}) };
  }

  private unknown(m: Msg, ranges: readonly ByteRange[] | undefined): void {
    for (const r of ranges ?? []) m.verbatim(this.range(this.model.path, r.offset, r.length));
  }

  private entries(m: Msg, field: number, es: readonly StringStringEntry[] | undefined): void {
    for (const e of es ?? []) m.message(field, new Msg().string(1, e.key).string(2, e.value));
  }

  private modelMsg(): Msg {
    const md = this.model;
    const m = new Msg();
    m.varint(1, md.irVersion);
    if (md.producerName) m.string(2, md.producerName);
    if (md.producerVersion) m.string(3, md.producerVersion);
    if (md.domain) m.string(4, md.domain);
    if (md.modelVersion) m.varint(5, md.modelVersion);
    if (md.docString !== undefined) m.string(6, md.docString);
    m.message(7, this.graph(md.graph));
    for (const o of md.opsetImports) m.message(8, opset(o));
    this.entries(m, 14, md.metadataProps);
    for (const f of md.functions) m.message(25, this.func(f));
    this.unknown(m, md.unknownFields);
    return m;
  }

  private graph(g: Graph): Msg {
    const m = new Msg();
    for (const n of g.nodes) m.message(1, this.node(n));
    if (g.name) m.string(2, g.name);
    for (const t of g.initializers) m.message(5, this.tensor(t, this.plan.external !== 'none'));
    if (g.docString !== undefined) m.string(10, g.docString);
    for (const v of g.inputs) m.message(11, this.valueInfo(v));
    for (const v of g.outputs) m.message(12, this.valueInfo(v));
    for (const v of g.valueInfo) m.message(13, this.valueInfo(v));
    for (const s of g.sparseInitializers) m.message(15, this.sparse(s));
    this.entries(m, 16, g.metadataProps);
    this.unknown(m, g.unknownFields);
    return m;
  }

  private node(n: Node): Msg {
    const m = new Msg();
    for (const i of n.inputs) m.string(1, i);
    for (const o of n.outputs) m.string(2, o);
    if (n.name) m.string(3, n.name);
    m.string(4, n.opType);
    for (const a of n.attributes) m.message(5, this.attribute(a));
    if (n.docString !== undefined) m.string(6, n.docString);
    if (n.domain) m.string(7, n.domain);
    if (n.overload !== undefined) m.string(8, n.overload);
    this.entries(m, 9, n.metadataProps);
    this.unknown(m, n.unknownFields);
    return m;
  }

  private attribute(a: Attribute): Msg {
    const m = new Msg().string(1, a.name);
    const ext = this.plan.external === 'all';
    if (a.f !== undefined) m.float(2, a.f);
    if (a.iBig !== undefined) m.varint(3, a.iBig);
    else if (a.i !== undefined) m.varint(3, a.i);
    if (a.s !== undefined) {
      if (a.sRange && a.s.includes('\uFFFD')) m.payload(4, this.range(this.model.path, a.sRange.offset, a.sRange.length));
      else m.string(4, a.s);
    }
    if (a.t) m.message(5, this.tensor(a.t, ext));
    if (a.g) m.message(6, this.graph(a.g));
    if (a.floats) m.packedFloats(7, a.floats);
    if (a.ints) m.packedInt64(8, a.ints);
    for (const s of a.strings ?? []) m.string(9, s);
    for (const t of a.tensors ?? []) m.message(10, this.tensor(t, ext));
    for (const g of a.graphs ?? []) m.message(11, this.graph(g));
    if (a.docString !== undefined) m.string(13, a.docString);
    if (a.tp) m.message(14, this.type(a.tp));
    for (const tp of a.typeProtos ?? []) m.message(15, this.type(tp));
    if (a.type !== AttributeType.UNDEFINED) m.varint(20, a.type);
    if (a.refAttrName !== undefined) m.string(21, a.refAttrName);
    if (a.sparseTensor) m.message(22, this.sparse(a.sparseTensor));
    this.unknown(m, a.unknownFields);
    return m;
  }

  private sparse(s: SparseTensorInfo): Msg {
    const m = new Msg();
    if (s.values) m.message(1, this.tensor(s.values, false));
    if (s.indices) m.message(2, this.tensor(s.indices, false));
    if (s.dims.length) m.packedInt64(3, s.dims);
    return m;
  }

  /**
   * The tensor's payload: `raw` (little-endian bytes, as raw_data and external data hold them) when
   * it can be had that way, `verbatim` (the data field as written, tags included) when it must be
   * copied as is. A packed float_data has both: copied as written inline, moved raw to a data file.
   */
  private payloadOf(t: TensorInfo): { raw?: Piece; verbatim?: Piece } | undefined {
    const p = this.payloads.get(t);
    if (p) {
      if (p.kind === 'bytes') return { raw: p.bytes };
      return { raw: { kind: 'computed', length: p.byteLength, compute: p.compute, tensor: t.name } };
    }
    const d = t.data;
    if (d.kind === 'none') return undefined;
    if (d.kind === 'external') {
      const file = resolveExternalDataPath(this.model.path, d.location);
      const length = d.length ?? Math.max(0, this.sizeOf(file) - d.offset);
      return { raw: this.range(file, d.offset, length, t.name) };
    }
    if (d.field === 'raw_data') return { raw: this.range(this.model.path, d.range.offset, d.range.length, t.name) };
    const width = FIXED_WIDTH[t.dataType];
    const packedFixed =
      width !== undefined &&
      ((d.field === 'float_data' && t.dataType === DataType.FLOAT) || (d.field === 'double_data' && t.dataType === DataType.DOUBLE)) &&
      d.range.length === numel(t.dims) * width;
    const verbatim = this.wirePiece(t);
    return packedFixed ? { raw: this.range(this.model.path, d.range.offset, d.range.length, t.name), verbatim } : { verbatim };
  }

  private wirePiece(t: TensorInfo): Piece {
    const d = t.data;
    if (d.kind !== 'inline' || !d.wire) throw new ModelWriteError('io', `Tensor '${t.name}': its data cannot be located in the source file`);
    return this.range(this.model.path, d.wire.offset, d.wire.length, t.name);
  }

  private tensor(t: TensorInfo, mayExternal: boolean): Msg {
    const m = new Msg();
    if (t.dims.length) m.packedInt64(1, t.dims);
    m.varint(2, t.dataType);
    if (t.name) m.string(8, t.name);
    const pl = this.payloadOf(t);
    const raw = pl?.raw;
    const rawLength = raw ? pieceLength(raw) : 0;
    const external = mayExternal && raw !== undefined && t.dataType !== DataType.STRING && rawLength >= this.plan.minBytes;
    if (pl?.verbatim && !external) {
      m.verbatim(pl.verbatim);
      this.payloadBytes += pieceLength(pl.verbatim);
    } else if (raw) {
      if (!external) m.payload(9, raw);
      this.payloadBytes += rawLength;
    }
    if (t.docString !== undefined) m.string(12, t.docString);
    if (external && raw) {
      const align = rawLength >= ALIGN_THRESHOLD ? ALIGN : 16;
      const offset = Math.ceil(this.dataLength / align) * align;
      this.data.push({ piece: raw, offset, tensor: t.name });
      this.dataLength = offset + rawLength;
      this.entries(m, 13, [
        { key: 'location', value: this.plan.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(rawLength) },
      ]);
      m.varint(14, 1);
    }
    this.entries(m, 16, t.metadataProps);
    this.unknown(m, t.unknownFields);
    return m;
  }

  private valueInfo(v: ValueInfo): Msg {
    const m = new Msg().string(1, v.name);
    if (v.type.kind !== 'unknown') m.message(2, this.type(v.type));
    if (v.docString !== undefined) m.string(3, v.docString);
    this.unknown(m, v.unknownFields);
    return m;
  }

  private type(t: TypeInfo): Msg {
    const m = new Msg();
    const tensorType = (elemType: number, shape: readonly Dim[] | undefined) => {
      const tt = new Msg().varint(1, elemType);
      if (shape) tt.message(2, this.shape(shape));
      return tt;
    };
    switch (t.kind) {
      case 'tensor':
        m.message(1, tensorType(t.elemType, t.shape));
        break;
      case 'sparse_tensor':
        m.message(8, tensorType(t.elemType, t.shape));
        break;
      case 'sequence':
        m.message(4, t.elem ? new Msg().message(1, this.type(t.elem)) : new Msg());
        break;
      case 'optional':
        m.message(9, t.elem ? new Msg().message(1, this.type(t.elem)) : new Msg());
        break;
      case 'map': {
        const mm = new Msg().varint(1, t.keyType);
        if (t.value) mm.message(2, this.type(t.value));
        m.message(5, mm);
        break;
      }
      case 'unknown':
        break;
    }
    return m;
  }

  private shape(dims: readonly Dim[]): Msg {
    const m = new Msg();
    for (const d of dims) {
      const dm = new Msg();
      if (d.kind === 'value') dm.varint(1, d.value);
      else if (d.kind === 'param') dm.string(2, d.param);
      if (d.denotation !== undefined) dm.string(3, d.denotation);
      m.message(1, dm);
    }
    return m;
  }

  private func(f: FunctionProto): Msg {
    const m = new Msg().string(1, f.name);
    for (const i of f.inputs) m.string(4, i);
    for (const o of f.outputs) m.string(5, o);
    for (const a of f.attributes) m.string(6, a);
    for (const n of f.nodes) m.message(7, this.node(n));
    if (f.docString !== undefined) m.string(8, f.docString);
    for (const o of f.opsetImports) m.message(9, opset(o));
    m.string(10, f.domain);
    for (const a of f.attributeProtos) m.message(11, this.attribute(a));
    for (const v of f.valueInfo) m.message(12, this.valueInfo(v));
    if (f.overload !== undefined) m.string(13, f.overload);
    this.entries(m, 14, f.metadataProps);
    this.unknown(m, f.unknownFields);
    return m;
  }
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

// ---- writing -----------------------------------------------------------------------------------

/** The real path of `p`, or of its folder joined with its name when it does not exist yet. */
export function realOrPlanned(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

/** Every file the model's tensors are read from: the model and its external data files. */
export function sourceFiles(model: OnnxModel): string[] {
  const files = new Set<string>([model.path]);
  const visitTensor = (t: TensorInfo | undefined) => {
    if (t?.data.kind === 'external') {
      try {
        files.add(resolveExternalDataPath(model.path, t.data.location));
      } catch {
        // refused locations fail later, when read
      }
    }
  };
  const visitGraph = (g: Graph) => {
    g.initializers.forEach(visitTensor);
    for (const s of g.sparseInitializers) {
      visitTensor(s.values);
      visitTensor(s.indices);
    }
    for (const n of g.nodes) visitNode(n);
  };
  const visitNode = (n: Node) => {
    for (const a of n.attributes) {
      visitTensor(a.t);
      a.tensors?.forEach(visitTensor);
      if (a.g) visitGraph(a.g);
      a.graphs?.forEach(visitGraph);
    }
  };
  visitGraph(model.graph);
  for (const f of model.functions) f.nodes.forEach(visitNode);
  return [...files];
}

function tmpName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/**
 * Whether `name` (a file name in the output's folder) is a temporary file writeModel in process
 * `pid` made for the output `out` (the model or its `.data`): what a process that killed the
 * writer's process removes, since the writer itself never got to.
 */
export function isWriterTempFile(name: string, out: string, pid: number): boolean {
  const base = path.basename(out);
  for (const f of [base, `${base}.data`]) {
    const prefix = `.${f}.${pid}.`;
    if (name.startsWith(prefix) && /^[a-z0-9]{0,8}\.tmp$/.test(name.slice(prefix.length))) return true;
  }
  return false;
}

/**
 * Writes `model` to `dst` (a new file; see the module comment). The source files must not change
 * while it runs.
 */
export async function writeModel(model: OnnxModel, dst: string, opts: WriteModelOptions = {}): Promise<WriteResult> {
  const t0 = performance.now();
  const out = path.resolve(dst);
  const dataFile = `${out}.data`;
  const payloads = opts.payloads ?? new Map<TensorInfo, TensorPayload>();
  const mode = opts.externalData ?? 'auto';
  const maxInline = Math.min(opts.maxInlineBytes ?? PROTOBUF_LIMIT, PROTOBUF_LIMIT);
  const minBytes = opts.externalMinBytes ?? 1024;
  const plan = (external: Plan['external']): Plan => ({ external, minBytes, location: path.basename(dataFile), dataFile });
  if (opts.signal?.aborted) throw new ModelWriteError('cancelled', 'Writing the model was cancelled.');

  let built = new Builder(model, plan(mode === 'always' ? 'initializers' : 'none'), payloads).build();
  if (mode !== 'never' && built.length > maxInline) built = new Builder(model, plan('initializers'), payloads).build();
  if (mode !== 'never' && built.length > maxInline) built = new Builder(model, plan('all'), payloads).build();
  if (built.length > PROTOBUF_LIMIT || (mode === 'never' && built.length > maxInline)) {
    throw new ModelWriteError('too-large', `The model would be ${(built.length / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit for one file`);
  }
  const withData = built.data.length > 0;

  // Never the source, never an existing file unless asked.
  const outDir = path.dirname(out);
  if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory()) throw new ModelWriteError('io', `The output folder ${outDir} does not exist`);
  const sources = new Set([...sourceFiles(model), ...(opts.sourceFiles ?? [])].map(realOrPlanned));
  for (const f of withData ? [out, dataFile] : [out]) {
    if (sources.has(realOrPlanned(f))) {
      throw new ModelWriteError('same-file', `${f} is ${realOrPlanned(f) === realOrPlanned(model.path) ? 'the source model' : 'a file the source model reads'}`);
    }
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(f);
    } catch {
      st = undefined;
    }
    if (st && !opts.overwrite) throw new ModelWriteError('exists', `${f} already exists`);
    if (st && !st.isFile()) throw new ModelWriteError('io', `${f} exists and is not a file`);
  }

  const totalBytes = built.length + built.dataLength;
  let doneBytes = 0;
  const progress = (tensor?: string) => opts.onProgress?.({ doneBytes, totalBytes, ...(tensor !== undefined ? { tensor } : {}) });
  const tmpModel = tmpName(out);
  const tmpData = withData ? tmpName(dataFile) : undefined;
  const sources2 = new Map<string, fsp.FileHandle>();
  let dataRenamed = false;
  try {
    const copier = new Copier(sources2, opts.signal, (n, tensor) => {
      doneBytes += n;
      progress(tensor);
    });
    if (tmpData) {
      await copier.writeFile(
        tmpData,
        built.data.map((d) => ({ piece: d.piece, offset: d.offset })),
        built.dataLength,
      );
    }
    let pos = 0;
    const placed = built.pieces.map((p) => {
      const at = pos;
      pos += pieceLength(p);
      return { piece: p, offset: at };
    });
    await copier.writeFile(tmpModel, placed, built.length);
    if (opts.signal?.aborted) throw new ModelWriteError('cancelled', 'Writing the model was cancelled.');
    if (tmpData) {
      await fsp.rename(tmpData, dataFile);
      dataRenamed = true;
    }
    await fsp.rename(tmpModel, out);
    await syncDir(outDir);
  } catch (e) {
    await fsp.rm(tmpModel, { force: true }).catch(() => undefined);
    if (tmpData) await fsp.rm(tmpData, { force: true }).catch(() => undefined);
    if (dataRenamed) await fsp.rm(dataFile, { force: true }).catch(() => undefined);
    if (e instanceof ModelWriteError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err?.name === 'AbortError') throw new ModelWriteError('cancelled', 'Writing the model was cancelled.');
    const why = err?.code === 'ENOSPC' ? 'the disk is full' : err?.code === 'EACCES' || err?.code === 'EPERM' ? 'permission denied' : (err?.message ?? String(e));
    throw new ModelWriteError('io', `Writing ${out} failed: ${why}`);
  } finally {
    for (const fh of sources2.values()) await fh.close().catch(() => undefined);
  }
  progress();
  return {
    path: out,
    bytes: built.length,
    ...(withData ? { externalData: { path: dataFile, location: path.basename(dataFile), bytes: built.dataLength, tensors: built.data.length } } : {}),
    payloadBytes: built.payloadBytes,
    durationMs: performance.now() - t0,
  };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not supported everywhere (Windows); the files themselves were fsynced.
  }
}

/** Streams pieces into a new file at given offsets: small pieces staged, payloads in chunks, zero runs left as holes. */
class Copier {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private readonly zeros = Buffer.alloc(CHUNK);

  constructor(
    private readonly handles: Map<string, fsp.FileHandle>,
    private readonly signal: AbortSignal | undefined,
    private readonly advance: (bytes: number, tensor?: string) => void,
  ) {}

  private check(): void {
    if (this.signal?.aborted) throw new ModelWriteError('cancelled', 'Writing the model was cancelled.');
  }

  private async source(file: string): Promise<fsp.FileHandle> {
    let fh = this.handles.get(file);
    if (!fh) {
      fh = await fsp.open(file, 'r');
      this.handles.set(file, fh);
    }
    return fh;
  }

  async writeFile(file: string, pieces: readonly { piece: Piece; offset: number }[], size: number): Promise<void> {
    const fh = await fsp.open(file, 'wx');
    try {
      // Small pieces are staged and written together; anything big goes straight through.
      let stage = Buffer.allocUnsafe(1 << 20);
      let stageAt = -1;
      let stageLen = 0;
      const flush = async () => {
        if (stageLen) await writeAll(fh, stage, 0, stageLen, stageAt);
        stageLen = 0;
        stageAt = -1;
      };
      for (const { piece, offset } of pieces) {
        this.check();
        const len = pieceLength(piece);
        if (piece instanceof Uint8Array) {
          if (len <= 64 << 10) {
            if (stageLen && (stageAt + stageLen !== offset || stageLen + len > stage.length)) await flush();
            if (stageAt < 0) stageAt = offset;
            stage.set(piece, stageLen);
            stageLen += len;
            this.advance(len);
          } else {
            await flush();
            await writeAll(fh, piece, 0, len, offset);
            this.advance(len);
          }
          continue;
        }
        await flush();
        if (piece.kind === 'computed') {
          const bytes = await piece.compute();
          if (bytes.byteLength !== piece.length) throw new Error(`tensor '${piece.tensor}': computed ${bytes.byteLength} bytes, expected ${piece.length}`);
          this.check();
          await writeAll(fh, bytes, 0, bytes.byteLength, offset);
          this.advance(len, piece.tensor);
          continue;
        }
        // A range of a source file, in chunks; all-zero chunks become holes.
        const src = await this.source(piece.file);
        let done = 0;
        while (done < len) {
          this.check();
          const n = Math.min(CHUNK, len - done);
          const { bytesRead } = await src.read(this.buf, 0, n, piece.offset + done);
          if (bytesRead < n) {
            throw new ModelWriteError('io', `${piece.tensor ? `Tensor '${piece.tensor}'` : 'A field'}: ${path.basename(piece.file)} ended at byte ${piece.offset + done + bytesRead}, before its data did (did the file change?)`);
          }
          if (!(n >= 4096 && this.buf.compare(this.zeros, 0, n, 0, n) === 0)) await writeAll(fh, this.buf, 0, n, offset + done);
          done += n;
          this.advance(n, piece.tensor);
        }
      }
      await flush();
      stage = Buffer.alloc(0);
      await fh.truncate(size);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

async function writeAll(fh: fsp.FileHandle, b: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  while (len > 0) {
    const { bytesWritten } = await fh.write(b, off, len, pos);
    off += bytesWritten;
    pos += bytesWritten;
    len -= bytesWritten;
  }
}

// ---- reading payloads (for transformations) ---------------------------------------------------

/**
 * Reads a float32 tensor's values from its source (raw_data, float_data packed or not, external
 * data). Throws ModelWriteError('io') when the data cannot be read.
 */
export async function readFloat32(model: OnnxModel, t: TensorInfo): Promise<Float32Array> {
  const count = numel(t.dims);
  if (t.dataType !== DataType.FLOAT) throw new ModelWriteError('io', `Tensor '${t.name}' is not float32`);
  const d = t.data;
  /** Reads `length` bytes at `offset` into `into` (a fresh buffer when not given). */
  const read = async (file: string, offset: number, length: number, into?: Buffer): Promise<Buffer> => {
    const fh = await fsp.open(file, 'r').catch((e: Error) => {
      throw new ModelWriteError('io', `Cannot read ${file}: ${e.message}`);
    });
    try {
      const buf = into ?? Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      if (done < length) throw new ModelWriteError('io', `Tensor '${t.name}': ${path.basename(file)} ends before its data does`);
      return buf;
    } finally {
      await fh.close();
    }
  };
  /** Straight into the Float32Array's memory (aligned, no copy). */
  const readFloats = async (file: string, offset: number): Promise<Float32Array> => {
    const out = new Float32Array(count);
    await read(file, offset, count * 4, Buffer.from(out.buffer));
    return out;
  };
  if (count === 0) return new Float32Array(0);
  if (d.kind === 'none') throw new ModelWriteError('io', `Tensor '${t.name}' has no data`);
  if (d.kind === 'external') {
    const file = resolveExternalDataPath(model.path, d.location);
    if (d.length !== undefined && d.length < count * 4) throw new ModelWriteError('io', `Tensor '${t.name}': external data shorter than its shape`);
    return readFloats(file, d.offset);
  }
  if ((d.field === 'raw_data' || d.field === 'float_data') && d.range.length === count * 4) return readFloats(model.path, d.range.offset);
  if (d.field === 'float_data' && d.wire) {
    // Unpacked (a fixed32 field per value) or several packed runs: walk the fields as written.
    const b = await read(model.path, d.wire.offset, d.wire.length);
    const out = new Float32Array(count);
    let i = 0;
    let p = 0;
    const varint = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        const x = b[p++]!;
        v += (x & 0x7f) * mul;
        if (!(x & 0x80)) return v;
        mul *= 128;
      }
    };
    while (p < b.length && i < count) {
      const key = varint();
      if (key >>> 3 !== 4) throw new ModelWriteError('io', `Tensor '${t.name}': unexpected field in float_data`);
      if ((key & 7) === 5) {
        out[i++] = b.readFloatLE(p);
        p += 4;
      } else if ((key & 7) === 2) {
        const n = varint();
        for (let e = p + n; p < e && i < count; p += 4) out[i++] = b.readFloatLE(p);
      } else throw new ModelWriteError('io', `Tensor '${t.name}': bad float_data encoding`);
    }
    if (i !== count) throw new ModelWriteError('io', `Tensor '${t.name}' has ${i} values, its shape needs ${count}`);
    return out;
  }
  throw new ModelWriteError('io', `Tensor '${t.name}': float32 data in ${d.field} of unexpected length`);
}

/** An OperatorSetId, its domain always written (as onnx.helper does; torch.onnx leaves '' out: same meaning). */
function opset(o: { readonly domain: string; readonly version: number }): Msg {
  return new Msg().string(1, o.domain).varint(2, o.version);
}
