/**
 * Lazy ONNX reader: decodes a ModelProto from a file descriptor without
 * reading tensor payloads. Tensors keep the byte range of their data (or
 * their external-data reference) so weights stay on disk until needed.
 *
 * Field numbers: onnx/onnx.proto, IR version 11.
 */
import * as path from 'node:path';
import { OnnxError } from './errors';
import {
  AttributeType,
  type Attribute,
  type ByteRange,
  type Dim,
  type FunctionProto,
  type Graph,
  type Node,
  type OnnxModel,
  type OperatorSetId,
  type SparseTensorInfo,
  type StringStringEntry,
  type TensorData,
  type TensorDataField,
  type TensorInfo,
  type TypeInfo,
  type ValueInfo,
} from './types';
import { BufferSource, FileSource, LIMITS, WireReader, WireType, type ByteSource } from './wire';

export interface ReadOptions {
  /** Checked between top-level fields and every few hundred nodes. */
  readonly signal?: AbortSignal;
}

/** Reads the model at `file` (absolute or relative path). */
export async function readModel(file: string, opts: ReadOptions = {}): Promise<OnnxModel> {
  const abs = path.resolve(file);
  const src = FileSource.open(abs);
  try {
    return parseModel(src, abs, opts);
  } finally {
    src.close();
  }
}

/** Parses a model held in memory (tests; webviews that received bytes). */
export function parseModelBuffer(buf: Uint8Array, name = '<buffer>', opts: ReadOptions = {}): OnnxModel {
  return parseModel(new BufferSource(buf), name, opts);
}

export function parseModel(src: ByteSource, file: string, opts: ReadOptions = {}): OnnxModel {
  if (src.size === 0) throw new OnnxError('not-onnx', 'The file is empty.');
  const p = new Parser(new WireReader(src), opts.signal);
  try {
    return p.model(file);
  } catch (e) {
    // Garbage in the first bytes means "not a model", not "a damaged model".
    if (e instanceof OnnxError && (e.code === 'malformed' || e.code === 'truncated') && !p.sawKnownField && src.size > 16) {
      throw new OnnxError('not-onnx', `The file does not look like an ONNX model (${e.message}).`, e.offset);
    }
    throw e;
  }
}

/**
 * Parses a standalone TensorProto (the `.pb` files onnx's test data and `onnx.numpy_helper` write).
 * Returns the tensor's description; payload ranges are offsets into `buf`.
 */
export function parseTensorProtoBuffer(buf: Uint8Array): TensorInfo {
  if (buf.byteLength === 0) throw new OnnxError('malformed', 'The tensor file is empty.');
  const p = new Parser(new WireReader(new BufferSource(buf)), undefined);
  return p.standaloneTensor(buf.byteLength);
}

const enum TensorField {
  Dims = 1,
  DataType = 2,
  Segment = 3,
  FloatData = 4,
  Int32Data = 5,
  StringData = 6,
  Int64Data = 7,
  Name = 8,
  RawData = 9,
  DoubleData = 10,
  Uint64Data = 11,
  DocString = 12,
  ExternalData = 13,
  DataLocation = 14,
  MetadataProps = 16,
}

const DATA_FIELDS: Record<number, TensorDataField> = {
  [TensorField.FloatData]: 'float_data',
  [TensorField.Int32Data]: 'int32_data',
  [TensorField.StringData]: 'string_data',
  [TensorField.Int64Data]: 'int64_data',
  [TensorField.RawData]: 'raw_data',
  [TensorField.DoubleData]: 'double_data',
  [TensorField.Uint64Data]: 'uint64_data',
};

class Parser {
  private depth = 0;
  private nodesSeen = 0;
  /** Offset of the tag of the field being handled by `fields` (for ranges kept verbatim). */
  private fieldStart = 0;
  /** Whether a well-formed top-level field of ModelProto was read. */
  sawKnownField = false;

  constructor(
    private readonly r: WireReader,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private checkCancel(): void {
    if (this.signal?.aborted) throw new OnnxError('cancelled', 'Reading the model was cancelled.');
  }

  /** Runs `fn` for each field of the message [pos, end). */
  private fields(end: number, fn: (field: number, wire: number) => void): void {
    while (this.r.pos < end) {
      this.fieldStart = this.r.pos;
      const { field, wire } = this.r.tag(end);
      fn(field, wire);
    }
    if (this.r.pos !== end) throw new OnnxError('malformed', `Message overruns its bounds at byte ${this.r.pos}`, this.r.pos);
  }

  /** Enters a length-delimited sub-message; returns its end. */
  private enter(wire: number, end: number): number {
    if (wire !== WireType.LengthDelimited) throw this.r.wireMismatch(wire);
    if (++this.depth > LIMITS.maxDepth) {
      throw new OnnxError('malformed', `Messages nested deeper than ${LIMITS.maxDepth} levels at byte ${this.r.pos}`, this.r.pos);
    }
    return this.r.lengthPrefix(end);
  }

  private leave(): void {
    this.depth--;
  }

  private sub<T>(wire: number, end: number, parse: (end: number) => T): T {
    const e = this.enter(wire, end);
    const v = parse(e);
    this.leave();
    return v;
  }

  /** Skips the current field and remembers its bytes, tag included (fields a writer must copy). */
  private keep(wire: number, end: number, into: ByteRange[]): void {
    const start = this.fieldStart;
    this.r.skip(wire, end);
    into.push({ offset: start, length: this.r.pos - start });
  }

  private str(wire: number, end: number): string {
    if (wire !== WireType.LengthDelimited) throw this.r.wireMismatch(wire);
    const e = this.r.lengthPrefix(end);
    return this.r.stringTo(e);
  }

  private varint(wire: number, end: number): number {
    if (wire !== WireType.Varint) throw this.r.wireMismatch(wire);
    return this.r.int64(end);
  }

  model(file: string): OnnxModel {
    const r = this.r;
    const end = r.size;
    // Cheap format sniffing: a ModelProto starts with a tag whose field is known.
    const first = r.tag(end);
    if (![1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25, 26].includes(first.field)) {
      throw new OnnxError('not-onnx', `The file does not look like an ONNX model (it starts with field ${first.field}, which a ModelProto does not have).`, 0);
    }
    r.pos = 0;
    let irVersion = 0;
    let producerName = '';
    let producerVersion = '';
    let domain = '';
    let modelVersion = 0;
    let docString: string | undefined;
    let graph: Graph | undefined;
    const opsetImports: OperatorSetId[] = [];
    const metadataProps: StringStringEntry[] = [];
    const functions: FunctionProto[] = [];
    const unknownFields: ByteRange[] = [];
    let sawGraph = false;
    this.fields(end, (field, wire) => {
      this.checkCancel();
      if (field === 1 || field === 7 || field === 8) this.sawKnownField = field !== 1 || wire === WireType.Varint;
      switch (field) {
        case 1:
          irVersion = this.varint(wire, end);
          break;
        case 2:
          producerName = this.str(wire, end);
          break;
        case 3:
          producerVersion = this.str(wire, end);
          break;
        case 4:
          domain = this.str(wire, end);
          break;
        case 5:
          modelVersion = this.varint(wire, end);
          break;
        case 6:
          docString = this.str(wire, end);
          break;
        case 7:
          // A repeated singular message merges in protobuf; later graphs win here (merging never occurs in practice).
          graph = this.sub(wire, end, (e) => this.graph(e));
          sawGraph = true;
          break;
        case 8:
          opsetImports.push(this.sub(wire, end, (e) => this.opset(e)));
          break;
        case 14:
          metadataProps.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        case 25:
          functions.push(this.sub(wire, end, (e) => this.function(e)));
          break;
        default:
          this.keep(wire, end, unknownFields); // training_info (20), configuration (26), unknown fields
      }
    });
    if (!sawGraph || !graph) {
      throw new OnnxError('not-onnx', 'The file has no graph: it is not an ONNX model, or only a fragment of one.');
    }
    const m: OnnxModel = {
      path: file,
      fileSize: r.size,
      irVersion,
      producerName,
      producerVersion,
      domain,
      modelVersion,
      opsetImports,
      metadataProps,
      graph,
      functions,
      bytesRead: r.bytesRead,
      ...(docString !== undefined ? { docString } : {}),
      ...(unknownFields.length ? { unknownFields } : {}),
    };
    return m;
  }

  private opset(end: number): OperatorSetId {
    let domain = '';
    let version = 0;
    this.fields(end, (field, wire) => {
      if (field === 1) domain = this.str(wire, end);
      else if (field === 2) version = this.varint(wire, end);
      else this.r.skip(wire, end);
    });
    return { domain, version };
  }

  private entry(end: number): StringStringEntry {
    let key = '';
    let value = '';
    this.fields(end, (field, wire) => {
      if (field === 1) key = this.str(wire, end);
      else if (field === 2) value = this.str(wire, end);
      else this.r.skip(wire, end);
    });
    return { key, value };
  }

  private graph(end: number): Graph {
    let name = '';
    let docString: string | undefined;
    const nodes: Node[] = [];
    const initializers: TensorInfo[] = [];
    const sparseInitializers: SparseTensorInfo[] = [];
    const inputs: ValueInfo[] = [];
    const outputs: ValueInfo[] = [];
    const valueInfo: ValueInfo[] = [];
    const metadataProps: StringStringEntry[] = [];
    const unknownFields: ByteRange[] = [];
    this.fields(end, (field, wire) => {
      switch (field) {
        case 1:
          if ((++this.nodesSeen & 255) === 0) this.checkCancel();
          nodes.push(this.sub(wire, end, (e) => this.node(e)));
          break;
        case 2:
          name = this.str(wire, end);
          break;
        case 5:
          initializers.push(this.sub(wire, end, (e) => this.tensor(e)));
          break;
        case 15:
          sparseInitializers.push(this.sub(wire, end, (e) => this.sparseTensor(e)));
          break;
        case 10:
          docString = this.str(wire, end);
          break;
        case 11:
          inputs.push(this.sub(wire, end, (e) => this.valueInfo(e)));
          break;
        case 12:
          outputs.push(this.sub(wire, end, (e) => this.valueInfo(e)));
          break;
        case 13:
          valueInfo.push(this.sub(wire, end, (e) => this.valueInfo(e)));
          break;
        case 16:
          metadataProps.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        default:
          this.keep(wire, end, unknownFields); // quantization_annotation (14), unknown
      }
    });
    return {
      name,
      nodes,
      initializers,
      sparseInitializers,
      inputs,
      outputs,
      valueInfo,
      ...(docString !== undefined ? { docString } : {}),
      ...(metadataProps.length ? { metadataProps } : {}),
      ...(unknownFields.length ? { unknownFields } : {}),
    };
  }

  private node(end: number): Node {
    const inputs: string[] = [];
    const outputs: string[] = [];
    const attributes: Attribute[] = [];
    const metadataProps: StringStringEntry[] = [];
    const unknownFields: ByteRange[] = [];
    let name = '';
    let opType = '';
    let domain = '';
    let overload: string | undefined;
    let docString: string | undefined;
    this.fields(end, (field, wire) => {
      switch (field) {
        case 1:
          inputs.push(this.str(wire, end));
          break;
        case 2:
          outputs.push(this.str(wire, end));
          break;
        case 3:
          name = this.str(wire, end);
          break;
        case 4:
          opType = this.str(wire, end);
          break;
        case 5:
          attributes.push(this.sub(wire, end, (e) => this.attribute(e)));
          break;
        case 6:
          docString = this.str(wire, end);
          break;
        case 7:
          domain = this.str(wire, end);
          break;
        case 8:
          overload = this.str(wire, end);
          break;
        case 9:
          metadataProps.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        default:
          this.keep(wire, end, unknownFields);
      }
    });
    return {
      name,
      opType,
      domain,
      inputs,
      outputs,
      attributes,
      ...(overload !== undefined ? { overload } : {}),
      ...(docString !== undefined ? { docString } : {}),
      ...(metadataProps.length ? { metadataProps } : {}),
      ...(unknownFields.length ? { unknownFields } : {}),
    };
  }

  private attribute(end: number): Attribute {
    const a: {
      -readonly [K in keyof Attribute]: Attribute[K];
    } = { name: '', type: AttributeType.UNDEFINED };
    const floats: number[] = [];
    const ints: number[] = [];
    const strings: string[] = [];
    const tensors: TensorInfo[] = [];
    const graphs: Graph[] = [];
    const typeProtos: TypeInfo[] = [];
    const unknownFields: ByteRange[] = [];
    let sawFloats = false;
    let sawInts = false;
    this.fields(end, (field, wire) => {
      switch (field) {
        case 1:
          a.name = this.str(wire, end);
          break;
        case 20:
          a.type = this.varint(wire, end);
          break;
        case 21:
          a.refAttrName = this.str(wire, end);
          break;
        case 13:
          a.docString = this.str(wire, end);
          break;
        case 2:
          if (wire !== WireType.Fixed32) throw this.r.wireMismatch(wire);
          a.f = this.r.float(end);
          break;
        case 3: {
          if (wire !== WireType.Varint) throw this.r.wireMismatch(wire);
          const start = this.r.pos;
          a.i = this.r.int64(end);
          if (!Number.isSafeInteger(a.i)) {
            this.r.pos = start;
            a.iBig = this.r.varintBig(end);
          }
          break;
        }
        case 4: {
          if (wire !== WireType.LengthDelimited) throw this.r.wireMismatch(wire);
          const e = this.r.lengthPrefix(end);
          const offset = this.r.pos;
          a.s = this.r.stringTo(e);
          // Possibly binary (not UTF-8), e.g. an EPContext cache: keep where the bytes are.
          if (a.s.includes('\uFFFD')) a.sRange = { offset, length: e - offset };
          break;
        }
        case 5:
          a.t = this.sub(wire, end, (e) => this.tensor(e));
          break;
        case 6:
          a.g = this.sub(wire, end, (e) => this.graph(e));
          break;
        case 22:
          a.sparseTensor = this.sub(wire, end, (e) => this.sparseTensor(e));
          break;
        case 14:
          a.tp = this.sub(wire, end, (e) => this.type(e));
          break;
        case 7:
          sawFloats = true;
          this.r.repeatedFloat(wire, end, floats, LIMITS.maxRepeated);
          break;
        case 8:
          sawInts = true;
          this.r.repeatedInt64(wire, end, ints, LIMITS.maxRepeated);
          break;
        case 9:
          strings.push(this.str(wire, end));
          break;
        case 10:
          tensors.push(this.sub(wire, end, (e) => this.tensor(e)));
          break;
        case 11:
          graphs.push(this.sub(wire, end, (e) => this.graph(e)));
          break;
        case 15:
          typeProtos.push(this.sub(wire, end, (e) => this.type(e)));
          break;
        default:
          this.keep(wire, end, unknownFields); // sparse_tensors (23), unknown
      }
    });
    if (unknownFields.length) a.unknownFields = unknownFields;
    if (sawFloats) a.floats = floats;
    if (sawInts) a.ints = ints;
    if (strings.length) a.strings = strings;
    if (tensors.length) a.tensors = tensors;
    if (graphs.length) a.graphs = graphs;
    if (typeProtos.length) a.typeProtos = typeProtos;
    if (a.type === AttributeType.UNDEFINED) a.type = inferAttributeType(a);
    return a;
  }

  standaloneTensor(end: number): TensorInfo {
    return this.tensor(end);
  }

  private tensor(end: number): TensorInfo {
    const start = this.r.pos;
    const dims: number[] = [];
    let dataType = 0;
    let name = '';
    let docString: string | undefined;
    let location = 0;
    const external: StringStringEntry[] = [];
    const metadataProps: StringStringEntry[] = [];
    const unknownFields: ByteRange[] = [];
    let inline: { field: TensorDataField; offset: number; length: number; wireStart: number; wireEnd: number } | undefined;
    this.fields(end, (field, wire) => {
      switch (field) {
        case TensorField.Dims:
          this.r.repeatedInt64(wire, end, dims, 4096);
          break;
        case TensorField.DataType:
          dataType = this.varint(wire, end);
          break;
        case TensorField.Name:
          name = this.str(wire, end);
          break;
        case TensorField.DocString:
          docString = this.str(wire, end);
          break;
        case TensorField.ExternalData:
          external.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        case TensorField.DataLocation:
          location = this.varint(wire, end);
          break;
        case TensorField.MetadataProps:
          metadataProps.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        default: {
          const df = DATA_FIELDS[field];
          if (df) {
            // Payload: remember where it is, never read it.
            let offset: number;
            if (wire === WireType.LengthDelimited) {
              const fe = this.r.lengthPrefix(end);
              offset = this.r.pos;
              this.r.pos = fe;
            } else {
              // Unpacked repeated scalars (old writers): the range spans first to last value, tags included.
              offset = this.r.pos;
              this.r.skip(wire, end);
            }
            const length = this.r.pos - offset;
            if (!inline || inline.field !== df) inline = { field: df, offset, length, wireStart: this.fieldStart, wireEnd: this.r.pos };
            else inline = { field: df, offset: inline.offset, length: this.r.pos - inline.offset, wireStart: inline.wireStart, wireEnd: this.r.pos };
          } else {
            this.keep(wire, end, unknownFields); // segment, unknown
          }
        }
      }
    });
    let data: TensorData;
    if (location === 1) {
      const get = (k: string) => external.find((e) => e.key === k)?.value;
      const loc = get('location') ?? '';
      const offset = parseNonNegative(get('offset'), 0);
      const lengthStr = get('length');
      const length = lengthStr === undefined ? undefined : parseNonNegative(lengthStr, -1);
      if (offset < 0 || (length !== undefined && length < 0)) {
        throw new OnnxError('malformed', `Tensor '${name}' has an invalid external-data offset or length`, start);
      }
      const checksum = get('checksum');
      data = { kind: 'external', location: loc, offset, length, ...(checksum !== undefined ? { checksum } : {}) };
    } else if (inline) {
      data = {
        kind: 'inline',
        field: inline.field,
        range: { offset: inline.offset, length: inline.length },
        wire: { offset: inline.wireStart, length: inline.wireEnd - inline.wireStart },
      };
    } else {
      data = { kind: 'none' };
    }
    return {
      name,
      dataType,
      dims,
      data,
      protoRange: { offset: start, length: end - start },
      ...(docString !== undefined ? { docString } : {}),
      ...(metadataProps.length ? { metadataProps } : {}),
      ...(unknownFields.length ? { unknownFields } : {}),
    };
  }

  private sparseTensor(end: number): SparseTensorInfo {
    let values: TensorInfo | undefined;
    let indices: TensorInfo | undefined;
    const dims: number[] = [];
    this.fields(end, (field, wire) => {
      if (field === 1) values = this.sub(wire, end, (e) => this.tensor(e));
      else if (field === 2) indices = this.sub(wire, end, (e) => this.tensor(e));
      else if (field === 3) this.r.repeatedInt64(wire, end, dims, 4096);
      else this.r.skip(wire, end);
    });
    return { dims, ...(values ? { values } : {}), ...(indices ? { indices } : {}) };
  }

  private valueInfo(end: number): ValueInfo {
    let name = '';
    let type: TypeInfo = { kind: 'unknown' };
    let docString: string | undefined;
    const unknownFields: ByteRange[] = [];
    this.fields(end, (field, wire) => {
      if (field === 1) name = this.str(wire, end);
      else if (field === 2) type = this.sub(wire, end, (e) => this.type(e));
      else if (field === 3) docString = this.str(wire, end);
      else this.keep(wire, end, unknownFields); // metadata_props (4), unknown
    });
    return { name, type, ...(docString !== undefined ? { docString } : {}), ...(unknownFields.length ? { unknownFields } : {}) };
  }

  private type(end: number): TypeInfo {
    let t: TypeInfo = { kind: 'unknown' };
    this.fields(end, (field, wire) => {
      switch (field) {
        case 1: {
          const { elemType, shape } = this.sub(wire, end, (e) => this.tensorType(e));
          t = { kind: 'tensor', elemType, ...(shape ? { shape } : {}) };
          break;
        }
        case 8: {
          const { elemType, shape } = this.sub(wire, end, (e) => this.tensorType(e));
          t = { kind: 'sparse_tensor', elemType, ...(shape ? { shape } : {}) };
          break;
        }
        case 4: {
          const elem = this.sub(wire, end, (e) => this.innerType(e, 1));
          t = { kind: 'sequence', ...(elem ? { elem } : {}) };
          break;
        }
        case 9: {
          const elem = this.sub(wire, end, (e) => this.innerType(e, 1));
          t = { kind: 'optional', ...(elem ? { elem } : {}) };
          break;
        }
        case 5:
          t = this.sub(wire, end, (e) => this.mapType(e));
          break;
        default:
          this.r.skip(wire, end); // denotation (6), unknown
      }
    });
    return t;
  }

  private tensorType(end: number): { elemType: number; shape: Dim[] | undefined } {
    let elemType = 0;
    let shape: Dim[] | undefined;
    this.fields(end, (field, wire) => {
      if (field === 1) elemType = this.varint(wire, end);
      else if (field === 2) shape = this.sub(wire, end, (e) => this.shape(e));
      else this.r.skip(wire, end);
    });
    return { elemType, shape };
  }

  private innerType(end: number, typeField: number): TypeInfo | undefined {
    let t: TypeInfo | undefined;
    this.fields(end, (field, wire) => {
      if (field === typeField) t = this.sub(wire, end, (e) => this.type(e));
      else this.r.skip(wire, end);
    });
    return t;
  }

  private mapType(end: number): TypeInfo {
    let keyType = 0;
    let value: TypeInfo | undefined;
    this.fields(end, (field, wire) => {
      if (field === 1) keyType = this.varint(wire, end);
      else if (field === 2) value = this.sub(wire, end, (e) => this.type(e));
      else this.r.skip(wire, end);
    });
    return { kind: 'map', keyType, ...(value ? { value } : {}) };
  }

  private shape(end: number): Dim[] {
    const dims: Dim[] = [];
    this.fields(end, (field, wire) => {
      if (field === 1) {
        if (dims.length >= 4096) throw new OnnxError('malformed', `A shape with more than 4096 dims at byte ${this.r.pos}`, this.r.pos);
        dims.push(this.sub(wire, end, (e) => this.dim(e)));
      } else this.r.skip(wire, end);
    });
    return dims;
  }

  private dim(end: number): Dim {
    let d: Dim = { kind: 'unknown' };
    let denotation: string | undefined;
    this.fields(end, (field, wire) => {
      if (field === 1) d = { kind: 'value', value: this.varint(wire, end) };
      else if (field === 2) d = { kind: 'param', param: this.str(wire, end) };
      else if (field === 3) denotation = this.str(wire, end);
      else this.r.skip(wire, end);
    });
    return denotation !== undefined ? { ...d, denotation } : d;
  }

  private function(end: number): FunctionProto {
    let name = '';
    let domain = '';
    let overload: string | undefined;
    let docString: string | undefined;
    const inputs: string[] = [];
    const outputs: string[] = [];
    const attributes: string[] = [];
    const attributeProtos: Attribute[] = [];
    const nodes: Node[] = [];
    const opsetImports: OperatorSetId[] = [];
    const valueInfo: ValueInfo[] = [];
    const metadataProps: StringStringEntry[] = [];
    const unknownFields: ByteRange[] = [];
    this.fields(end, (field, wire) => {
      switch (field) {
        case 1:
          name = this.str(wire, end);
          break;
        case 4:
          inputs.push(this.str(wire, end));
          break;
        case 5:
          outputs.push(this.str(wire, end));
          break;
        case 6:
          attributes.push(this.str(wire, end));
          break;
        case 11:
          attributeProtos.push(this.sub(wire, end, (e) => this.attribute(e)));
          break;
        case 7:
          nodes.push(this.sub(wire, end, (e) => this.node(e)));
          break;
        case 8:
          docString = this.str(wire, end);
          break;
        case 9:
          opsetImports.push(this.sub(wire, end, (e) => this.opset(e)));
          break;
        case 10:
          domain = this.str(wire, end);
          break;
        case 13:
          overload = this.str(wire, end);
          break;
        case 12:
          valueInfo.push(this.sub(wire, end, (e) => this.valueInfo(e)));
          break;
        case 14:
          metadataProps.push(this.sub(wire, end, (e) => this.entry(e)));
          break;
        default:
          this.keep(wire, end, unknownFields);
      }
    });
    return {
      name,
      domain,
      inputs,
      outputs,
      attributes,
      attributeProtos,
      nodes,
      opsetImports,
      valueInfo,
      ...(overload !== undefined ? { overload } : {}),
      ...(docString !== undefined ? { docString } : {}),
      ...(metadataProps.length ? { metadataProps } : {}),
      ...(unknownFields.length ? { unknownFields } : {}),
    };
  }
}

function parseNonNegative(s: string | undefined, dflt: number): number {
  if (s === undefined) return dflt;
  if (!/^\d{1,16}$/.test(s.trim())) return -1;
  return Number(s.trim());
}

/** Old exporters leave `type` unset; infer it from the populated field. */
function inferAttributeType(a: Partial<Attribute>): AttributeType {
  if (a.g) return AttributeType.GRAPH;
  if (a.t) return AttributeType.TENSOR;
  if (a.s !== undefined) return AttributeType.STRING;
  if (a.f !== undefined) return AttributeType.FLOAT;
  if (a.i !== undefined) return AttributeType.INT;
  if (a.graphs) return AttributeType.GRAPHS;
  if (a.tensors) return AttributeType.TENSORS;
  if (a.floats) return AttributeType.FLOATS;
  if (a.ints) return AttributeType.INTS;
  if (a.strings) return AttributeType.STRINGS;
  return AttributeType.UNDEFINED;
}

/** Graphs nested in a node's attributes (If branches, Loop/Scan bodies). */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes) {
    if (a.g) out.push(a.g);
    if (a.graphs) out.push(...a.graphs);
  }
  return out;
}

/** Visits a graph and all nested subgraphs, depth first. */
export function walkGraphs(g: Graph, visit: (g: Graph, depth: number) => void, depth = 0): void {
  visit(g, depth);
  for (const n of g.nodes) for (const sg of subgraphsOf(n)) walkGraphs(sg, visit, depth + 1);
}
