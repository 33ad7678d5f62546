/**
 * Model transformations: the API the CLI (`inference-lens optimize`), the editor commands and the
 * recommendations' "Apply" use. Every transformation reads a model lazily, writes a NEW file
 * atomically (never the source, never an existing file unless `overwrite`), streams weights from
 * the source file one tensor at a time, and returns a TransformReport saying what changed.
 *
 *   quantizeInt8(src, dst, { perChannel, exclude, format }, { signal, onProgress })
 *   convertFp16(src, dst, { keepFp32Ops, keepIoFp32 }, { signal, onProgress })
 *   setDims(src, dst, { changes: [{ value, axis, to }] }, { signal, onProgress })
 *
 * Failures are OptimizeError (bad options, output exists, cancelled, write failed) or the
 * reader's OnnxError (the source is not a readable model); both carry a one-line `hint`.
 */

/** What a transformation does; also the suffix of its default output name (`model.int8.onnx`). */
export type TransformKind = 'int8' | 'fp16' | 'dims' | 'graph';

// ---- options ---------------------------------------------------------------------------------

/** Options every transformation takes besides its own. */
export interface TransformRunOptions {
  /** Cancels the transformation; temporary files are removed and the promise rejects with OptimizeError('cancelled'). */
  readonly signal?: AbortSignal;
  /** Called as weights are processed and written (throttled by the caller if needed). */
  readonly onProgress?: (p: TransformProgress) => void;
  /** Replace `dst` when it exists (never the source model or a file the source reads). Default false. */
  readonly overwrite?: boolean;
  /** Where weights go in the output; see WriteExternalData. Default 'auto'. */
  readonly externalData?: WriteExternalData;
}

/**
 * 'auto': inline, unless the model would exceed protobuf's 2 GiB limit; then every tensor of at
 * least `minBytes` goes to `<dst>.data`. 'always': like auto's fallback, always. 'never': inline
 * (fails when the result would exceed 2 GiB).
 */
export type WriteExternalData = 'auto' | 'always' | 'never' | { readonly mode: 'auto' | 'always'; readonly minBytes?: number; readonly maxInlineBytes?: number };

export interface TransformProgress {
  /** 'read': reading the model; 'write': transforming and writing tensors; 'done'. */
  readonly stage: 'read' | 'write' | 'done';
  /** Payload bytes written so far and in all (tensor data; the graph structure is small). */
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** The tensor being written, when stage is 'write'. */
  readonly tensor?: string;
}

/** INT8 dynamic quantization of MatMul/Gemm weights (activations are quantized at run time). */
export interface Int8Options {
  /** One scale per output channel (MatMul weight column / Gemm output row) instead of one per tensor. Default false. */
  readonly perChannel?: boolean;
  /** Node names to leave in float32. Unknown names are an error (a typo would silently quantize). */
  readonly exclude?: readonly string[];
  /**
   * 'dynamic' (default): com.microsoft DynamicQuantizeMatMul (float A, int8 B with scales, bias) —
   *   what ONNX Runtime's CPU provider runs fastest; ORT only.
   * 'matmulinteger': standard ONNX ops: DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add).
   * 'qdq': weight-only: int8 weight → DequantizeLinear → the original float MatMul/Gemm (smaller
   *   file, float compute; for runtimes that fuse QDQ).
   */
  readonly format?: Int8Format;
  /** Quantize weights to 7 bits (±63): avoids u8s8 overflow on AVX2/AVX-512 CPUs without VNNI. Default false. */
  readonly reduceRange?: boolean;
  /** Leave weights with fewer elements than this in float32 (tiny projections gain nothing). Default 0. */
  readonly minElements?: number;
}

export type Int8Format = 'dynamic' | 'matmulinteger' | 'qdq';

/** FP16: float32 weights and compute in float16, graph inputs/outputs kept float32 with Casts. */
export interface Fp16Options {
  /** Op types that stay float32 (Casts around them). Default: DEFAULT_KEEP_FP32_OPS. Given = replaces the default. */
  readonly keepFp32Ops?: readonly string[];
  /** Node names that stay float32. Unknown names are an error. */
  readonly keepFp32Nodes?: readonly string[];
  /** Keep float32 graph inputs and outputs (Casts at the boundary). Default true; false makes them float16. */
  readonly keepIoFp32?: boolean;
}

/** Make input/output dims symbolic (a string label) or fix them to a value (a number). */
export interface DimsOptions {
  readonly changes: readonly DimChange[];
}

export interface DimChange {
  /** A graph input or output name. */
  readonly value: string;
  /** Axis; negative counts from the end. */
  readonly axis: number;
  /** A symbolic dim name (dynamic) or a positive size (fixed). */
  readonly to: string | number;
}

// ---- report ----------------------------------------------------------------------------------

export interface TransformReport {
  readonly schemaVersion: 1;
  readonly kind: TransformKind;
  /** Absolute paths. */
  readonly source: string;
  readonly output: string;
  /** External data files written with the output (absolute paths); empty when all weights are inline. */
  readonly externalDataFiles: readonly string[];
  /** Model file plus its external data, before and after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Tensor payload bytes (initializers and Constant-node tensors, all graphs), before and after. */
  readonly weightsBefore: number;
  readonly weightsAfter: number;
  /** Node counts (all graphs), before and after. */
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** One entry per changed node, tensor, input or output. */
  readonly changes: readonly TransformChange[];
  /** Things the user should know (a node skipped and why, values clamped, ...). */
  readonly warnings: readonly string[];
  readonly durationMs: number;
  /** Kind-specific totals. */
  readonly int8?: Int8Summary;
  readonly fp16?: Fp16Summary;
  readonly dims?: DimsSummary;
}

export type ChangeAction =
  /** A node replaced by its quantized form; bytes = its weight before/after (int8 + scales). */
  | 'quantized'
  /** A node or tensor left unchanged on purpose (excluded, unsupported); `detail` says why. */
  | 'skipped'
  /** A tensor converted (float32 → float16). */
  | 'converted'
  /** A node kept in float32 (block-listed op or node). */
  | 'kept-fp32'
  /** Cast nodes added (boundary of the graph or of a float32 node). */
  | 'cast-inserted'
  /** A Cast pair that cancelled out removed. */
  | 'cast-removed'
  /** An input/output dim changed. */
  | 'dim-changed'
  /** value_info entries dropped because their shapes no longer held. */
  | 'value-info-cleared';

export interface TransformChange {
  readonly action: ChangeAction;
  readonly target: 'node' | 'tensor' | 'input' | 'output' | 'value_info';
  readonly name: string;
  /** The node's op type (domain-qualified when not ai.onnx), for node targets. */
  readonly opType?: string;
  /** Human-readable: "MatMul → DynamicQuantizeMatMul, per-channel (768 scales)", "batch → 1". */
  readonly detail: string;
  readonly bytesBefore?: number;
  readonly bytesAfter?: number;
}

export interface Int8Summary {
  readonly format: Int8Format;
  readonly perChannel: boolean;
  readonly reduceRange: boolean;
  readonly nodesQuantized: number;
  readonly nodesSkipped: number;
  /** float32 bytes of the weights that were quantized, and their int8 + scale bytes. */
  readonly weightBytesBefore: number;
  readonly weightBytesAfter: number;
}

export interface Fp16Summary {
  readonly tensorsConverted: number;
  /** Values outside ±65504 clamped to it, and tiny non-zero values flushed to 0 (below float16's 5.96e-8). */
  readonly valuesClamped: number;
  readonly valuesFlushed: number;
  readonly nodesKeptFp32: number;
  readonly castsInserted: number;
  readonly castsRemoved: number;
}

export interface DimsSummary {
  readonly dimsChanged: number;
  readonly valueInfoCleared: number;
}
