/**
 * Messages between the extension host / CLI and the ONNX Runtime worker process.
 * The worker runs onnxruntime-node in its own process, so a native crash or a hang inside ORT
 * never reaches the caller: the caller kills the process to cancel or on timeout.
 */
import type { ExecutionProvider, OrtProfileRequest, OrtProfileResult } from '../core/results/ort-run';
import type { VerifyRequest, VerifyResult } from '../core/verify/types';

export type { DecodeResult, ExecutionProvider, OrtProfileRequest, OrtProfileResult, OrtSessionSettings } from '../core/results/ort-run';

export type OrtErrorCode =
  | 'provider-unavailable'
  | 'model-load-failed'
  | 'run-failed'
  | 'bad-input'
  | 'crashed'
  | 'timeout'
  | 'cancelled';

export interface OrtWorkerError {
  readonly code: OrtErrorCode;
  readonly message: string;
  readonly hint: string;
}

/** Every execution provider Inference Lens can ask onnxruntime-node for. */
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'tensorrt', 'webgpu'];

/** Whether a provider works on this machine (see probeProvider in ort-client.ts). */
export interface ProviderProbe {
  readonly ep: ExecutionProvider;
  readonly available: boolean;
  /** From `listSupportedBackends`: shipped inside this onnxruntime-node build (absent when ORT does not say). */
  readonly bundled?: boolean;
  /** Why it is unavailable: ORT's error, first line. */
  readonly reason?: string;
  /** What to install when it is unavailable. */
  readonly hint?: string;
  /** Time for the trial session, ms. */
  readonly ms: number;
}

/**
 * Save the model as ONNX Runtime optimizes it (session option `optimizedModelFilePath`) at `level`.
 * The file is written in a temporary folder next to `outPath` and renamed into place, so a reader
 * never sees half a model; an existing `outPath` is refused unless `overwrite`.
 */
export interface OptimizeGraphRequest {
  readonly modelPath: string;
  readonly outPath: string;
  readonly level: 'basic' | 'extended' | 'all';
  readonly ep: ExecutionProvider;
  readonly allowCpuFallback?: boolean;
  /**
   * Initializers in `<out>.data` beside the model (ORT's optimized_model_external_initializers_*
   * session config). Default: when the source has external data or is over 1 GiB (protobuf's 2 GiB limit).
   */
  readonly externalData?: boolean;
  readonly overwrite?: boolean;
}

export interface OptimizeGraphResult {
  readonly outPath: string;
  readonly level: OptimizeGraphRequest['level'];
  /** The provider the session was created on (the optimizations depend on it). */
  readonly ep: ExecutionProvider;
  /** The external data file written with the model (absolute), when there is one. */
  readonly externalDataPath?: string;
  /** The .onnx file and its external data. */
  readonly sizeBytes: number;
  /** Session creation including the save, ms. */
  readonly ms: number;
  readonly notes: readonly string[];
}

/** The hidden folder the worker in process `pid` saves an optimized model in before renaming it into place. */
export function optimizeTempPrefix(pid: number): string {
  return `.il-optimize-${pid}-`;
}

export type { VerifyRequest, VerifyResult } from '../core/verify/types';

export type ToWorker =
  | { readonly type: 'profile'; readonly request: OrtProfileRequest }
  | { readonly type: 'probe'; readonly ep: ExecutionProvider }
  | { readonly type: 'optimize'; readonly request: OptimizeGraphRequest }
  | { readonly type: 'verify'; readonly request: VerifyRequest };

export type FromWorker =
  | { readonly type: 'progress'; readonly phase: 'load' | 'warmup' | 'timed' | 'decode' | 'profiled'; readonly done: number; readonly total: number }
  | { readonly type: 'result'; readonly result: OrtProfileResult }
  | { readonly type: 'probe'; readonly probe: ProviderProbe }
  | { readonly type: 'optimized'; readonly result: OptimizeGraphResult }
  | { readonly type: 'verified'; readonly result: VerifyResult }
  | { readonly type: 'error'; readonly error: OrtWorkerError };

/** The exact install step for a provider that onnxruntime-node does not bundle. */
export function providerInstallHint(ep: ExecutionProvider): string {
  switch (ep) {
    case 'cuda':
      return 'Install the CUDA 12 provider libraries: npm install onnxruntime-node --onnxruntime-node-install=cuda12 (needs CUDA 12 and cuDNN 9 on the library path).';
    case 'tensorrt':
      return 'Install the CUDA providers (npm install onnxruntime-node --onnxruntime-node-install=cuda12) and TensorRT 10 libraries on the library path.';
    case 'webgpu':
      return 'WebGPU needs a GPU with a Vulkan/D3D12/Metal driver available to this process.';
    case 'cpu':
      return '';
  }
}
