/**
 * In-memory view of an ONNX model as produced by the lazy reader.
 *
 * Tensor payloads are never held here: a tensor carries the byte range of its
 * data inside the model file (`data.kind === 'inline'`) or a reference into an
 * external data file (`data.kind === 'external'`). Everything else (graph
 * structure, attributes, metadata) is decoded.
 *
 * Field numbers follow onnx/onnx.proto (IR version 11, ONNX 1.17+).
 */

/** TensorProto.DataType */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
  FLOAT8E8M0 = 24,
  UINT2 = 25,
  INT2 = 26,
}

export interface DataTypeInfo {
  /** ONNX name as written in ONNX's textual syntax, e.g. "float", "bfloat16", "int4". */
  readonly name: string;
  /** Bits per element; 0 for variable-size types (string). */
  readonly bits: number;
}

const DTYPES: Record<number, DataTypeInfo> = {
  [DataType.UNDEFINED]: { name: 'undefined', bits: 0 },
  [DataType.FLOAT]: { name: 'float', bits: 32 },
  [DataType.UINT8]: { name: 'uint8', bits: 8 },
  [DataType.INT8]: { name: 'int8', bits: 8 },
  [DataType.UINT16]: { name: 'uint16', bits: 16 },
  [DataType.INT16]: { name: 'int16', bits: 16 },
  [DataType.INT32]: { name: 'int32', bits: 32 },
  [DataType.INT64]: { name: 'int64', bits: 64 },
  [DataType.STRING]: { name: 'string', bits: 0 },
  [DataType.BOOL]: { name: 'bool', bits: 8 },
  [DataType.FLOAT16]: { name: 'float16', bits: 16 },
  [DataType.DOUBLE]: { name: 'double', bits: 64 },
  [DataType.UINT32]: { name: 'uint32', bits: 32 },
  [DataType.UINT64]: { name: 'uint64', bits: 64 },
  [DataType.COMPLEX64]: { name: 'complex64', bits: 64 },
  [DataType.COMPLEX128]: { name: 'complex128', bits: 128 },
  [DataType.BFLOAT16]: { name: 'bfloat16', bits: 16 },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bits: 8 },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bits: 8 },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bits: 8 },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bits: 8 },
  [DataType.UINT4]: { name: 'uint4', bits: 4 },
  [DataType.INT4]: { name: 'int4', bits: 4 },
  [DataType.FLOAT4E2M1]: { name: 'float4e2m1', bits: 4 },
  [DataType.FLOAT8E8M0]: { name: 'float8e8m0', bits: 8 },
  [DataType.UINT2]: { name: 'uint2', bits: 2 },
  [DataType.INT2]: { name: 'int2', bits: 2 },
};

export function dataTypeInfo(t: number): DataTypeInfo {
  return DTYPES[t] ?? { name: `dtype(${t})`, bits: 0 };
}

export function dataTypeName(t: number): string {
  return dataTypeInfo(t).name;
}

/** A byte range inside the model file. Offsets are absolute file offsets. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export type TensorData =
  /**
   * raw_data or one of the typed *_data fields stored in the model file. `range` is the payload
   * (after the length prefix); `wire` is the field as written, tags included (every occurrence),
   * so a writer can copy it verbatim whatever its encoding (packed, unpacked, strings).
   */
  | { readonly kind: 'inline'; readonly field: TensorDataField; readonly range: ByteRange; readonly wire?: ByteRange }
  /** data_location = EXTERNAL. `location` is as written in the model (relative to the model's folder). */
  | {
      readonly kind: 'external';
      readonly location: string;
      readonly offset: number;
      /** Undefined when the model omits `length` (the rest of the file). */
      readonly length: number | undefined;
      readonly checksum?: string;
    }
  | { readonly kind: 'none' };

export type TensorDataField =
  | 'raw_data'
  | 'float_data'
  | 'int32_data'
  | 'string_data'
  | 'int64_data'
  | 'double_data'
  | 'uint64_data';

export interface TensorInfo {
  readonly name: string;
  readonly dataType: number;
  /** Dims; numbers (int64 values beyond 2^53 are clamped to Infinity and reported as malformed). */
  readonly dims: readonly number[];
  readonly data: TensorData;
  /** The whole TensorProto message in the model file, to re-read its data on demand. */
  readonly protoRange: ByteRange;
  readonly docString?: string;
  readonly metadataProps?: readonly StringStringEntry[];
  /** Fields the reader does not decode, as written (tag included), in file order: a writer copies them. */
  readonly unknownFields?: readonly ByteRange[];
}

export interface SparseTensorInfo {
  readonly values?: TensorInfo;
  readonly indices?: TensorInfo;
  readonly dims: readonly number[];
}

export interface StringStringEntry {
  readonly key: string;
  readonly value: string;
}

/** One dimension of a tensor shape: a fixed size, a named symbolic dim, or unknown. */
export type Dim =
  | { readonly kind: 'value'; readonly value: number; readonly denotation?: string }
  | { readonly kind: 'param'; readonly param: string; readonly denotation?: string }
  | { readonly kind: 'unknown'; readonly denotation?: string };

export type TypeInfo =
  | { readonly kind: 'tensor'; readonly elemType: number; readonly shape?: readonly Dim[] }
  | { readonly kind: 'sparse_tensor'; readonly elemType: number; readonly shape?: readonly Dim[] }
  | { readonly kind: 'sequence'; readonly elem?: TypeInfo }
  | { readonly kind: 'map'; readonly keyType: number; readonly value?: TypeInfo }
  | { readonly kind: 'optional'; readonly elem?: TypeInfo }
  | { readonly kind: 'unknown' };

export interface ValueInfo {
  readonly name: string;
  readonly type: TypeInfo;
  readonly docString?: string;
  /** Fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}

/** AttributeProto.AttributeType */
export enum AttributeType {
  UNDEFINED = 0,
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  GRAPH = 5,
  SPARSE_TENSOR = 11,
  TYPE_PROTO = 13,
  FLOATS = 6,
  INTS = 7,
  STRINGS = 8,
  TENSORS = 9,
  GRAPHS = 10,
  SPARSE_TENSORS = 12,
  TYPE_PROTOS = 14,
}

export interface Attribute {
  readonly name: string;
  readonly type: AttributeType;
  readonly refAttrName?: string;
  readonly docString?: string;
  readonly f?: number;
  /** int64 attribute; values beyond 2^53 lose precision (they are rare: INT64_MAX in Slice ends is kept exact via `iBig`). */
  readonly i?: number;
  readonly iBig?: bigint;
  /** Strings are bytes in ONNX; decoded as UTF-8 (lossy for binary). */
  readonly s?: string;
  readonly t?: TensorInfo;
  readonly g?: Graph;
  readonly sparseTensor?: SparseTensorInfo;
  readonly tp?: TypeInfo;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
  readonly strings?: readonly string[];
  readonly tensors?: readonly TensorInfo[];
  readonly graphs?: readonly Graph[];
  readonly typeProtos?: readonly TypeInfo[];
  /**
   * The bytes of `s` in the file, kept only when they are not valid UTF-8 (binary payloads such as
   * EPContext caches), so a writer can copy them unchanged.
   */
  readonly sRange?: ByteRange;
  /** Fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}

export interface Node {
  readonly name: string;
  readonly opType: string;
  /** '' means the default ONNX domain (ai.onnx). */
  readonly domain: string;
  readonly overload?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly Attribute[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringStringEntry[];
  /** Fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly initializers: readonly TensorInfo[];
  readonly sparseInitializers: readonly SparseTensorInfo[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly valueInfo: readonly ValueInfo[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringStringEntry[];
  /** quantization_annotation and fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}

export interface OperatorSetId {
  /** '' = ai.onnx */
  readonly domain: string;
  readonly version: number;
}

export interface FunctionProto {
  readonly name: string;
  readonly domain: string;
  readonly overload?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly string[];
  readonly attributeProtos: readonly Attribute[];
  readonly nodes: readonly Node[];
  readonly opsetImports: readonly OperatorSetId[];
  readonly valueInfo: readonly ValueInfo[];
  readonly docString?: string;
  readonly metadataProps?: readonly StringStringEntry[];
  /** Fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}

export interface OnnxModel {
  /** Absolute path of the model file. */
  readonly path: string;
  readonly fileSize: number;
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString?: string;
  readonly opsetImports: readonly OperatorSetId[];
  readonly metadataProps: readonly StringStringEntry[];
  readonly graph: Graph;
  readonly functions: readonly FunctionProto[];
  /** Bytes actually read from the model file while parsing (weights are skipped). */
  readonly bytesRead: number;
  /** training_info, configuration and fields the reader does not decode, as written (tag included), in file order. */
  readonly unknownFields?: readonly ByteRange[];
}
