/**
 * Messages between the extension host and the transform worker (transform-worker.ts), the child
 * process that runs the core transformations (src/core/optimize: INT8, FP16, dims). A crash, a hang
 * or a 200 MB quantization there never blocks or ends the editor; cancel kills the process.
 */
import type { DimChange, Fp16Options, Int8Options, OptimizeErrorCode, TransformProgress, TransformReport, WriteExternalData } from '../core/optimize';

/** A transformation the core makes (graph optimization is ONNX Runtime's: the ORT worker). */
export type CoreTransformSpec =
  | { readonly kind: 'int8'; readonly options: Int8Options }
  | { readonly kind: 'fp16'; readonly options: Fp16Options }
  | { readonly kind: 'dims'; readonly changes: readonly DimChange[] };

export interface TransformJob {
  /** Absolute paths. */
  readonly src: string;
  readonly out: string;
  readonly spec: CoreTransformSpec;
  readonly overwrite?: boolean;
  readonly externalData?: WriteExternalData;
}

export type TransformErrorCode =
  /** The core's own failures (bad option, output exists, write failed, …). */
  | OptimizeErrorCode
  /** The source is not a model the reader can read (the reader's OnnxError). */
  | 'model-unreadable'
  /** The process died or the transformation threw something unexpected. */
  | 'crashed'
  | 'timeout';

export interface TransformWorkerError {
  readonly code: TransformErrorCode;
  readonly message: string;
  readonly hint: string;
}

export type ToTransformWorker = { readonly type: 'transform'; readonly job: TransformJob };

export type FromTransformWorker =
  | { readonly type: 'progress'; readonly progress: TransformProgress }
  | { readonly type: 'done'; readonly report: TransformReport }
  | { readonly type: 'error'; readonly error: TransformWorkerError };
