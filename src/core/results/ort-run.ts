/**
 * What an ONNX Runtime profiling run is asked to do and what it measured. Plain data: it is
 * saved in `.ilprof.json` files, printed by the CLI and sent to the results webview, so it lives
 * in the core where every layer can import it.
 */
import type { DecoderLayout, DecoderLayoutHints } from '../llm/decoder-layout';
import type { LatencyStats } from '../metrics/stats';
import type { RunFile } from './run-file';

export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly memoryTotalBytes: number;
  readonly driver: string;
}

export interface MachineInfo {
  readonly os: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly gpus: readonly GpuInfo[];
}

export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export interface OrtSessionSettings {
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly enableCpuMemArena: boolean;
  /** Free dimension overrides by symbolic name (session option `freeDimensionOverrides`). */
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
}

export interface OrtProfileRequest {
  readonly modelPath: string;
  readonly ep: ExecutionProvider;
  /** Run on CPU when the requested provider cannot be loaded (only when the user allowed it). */
  readonly allowCpuFallback: boolean;
  readonly session: OrtSessionSettings;
  /** Values for symbolic input dims (`batch`, `sequence`, or `input:axis`). */
  readonly dims: Readonly<Record<string, number>>;
  /** Input data from .npy/.npz/.pb files instead of synthesized inputs. */
  readonly inputFiles?: readonly string[];
  readonly warmupRuns: number;
  readonly timedRuns: number;
  /** Runs recorded by ORT's profiler in a separate session (after the timed runs). 0 = none. */
  readonly profiledRuns: number;
  /** Absolute folder for ORT's profile JSON. */
  readonly outDir: string;
  /**
   * LLM decoding mode for decoder models with a KV cache: prefill `prefillTokens`, then greedily
   * generate `newTokens`, feeding presents back as pasts (see detectDecoderLayout). Absent or
   * `'off'`: plain runs only.
   */
  readonly decode?: { readonly prefillTokens: number; readonly newTokens: number; readonly layout?: DecoderLayoutHints } | 'off';
}

export interface DecodeResult {
  readonly layout: DecoderLayout;
  readonly prefillTokens: number;
  readonly newTokens: number;
  /** Prefill run plus choosing the first token, ms (time to first token). */
  readonly timeToFirstTokenMs: number;
  /** Tokens after the first divided by the time spent generating them. */
  readonly tokensPerSec: number;
  /** One decode step each (tokens after the first), ms. */
  readonly perTokenMs: LatencyStats;
  /** Resident-set growth over the generation divided by the tokens generated. */
  readonly rssGrowthPerTokenBytes: number;
  /** Exact size of all present tensors per cached token, and at the end of generation. */
  readonly kvCacheBytesPerToken: number;
  readonly kvCacheBytesFinal: number;
  readonly generated: readonly number[];
}

export interface OrtProfileResult {
  readonly ortVersion: string;
  readonly machine: MachineInfo;
  readonly requestedEp: ExecutionProvider;
  readonly ep: ExecutionProvider;
  /** Why the requested provider was not used, when it was not. */
  readonly fallbackReason?: string;
  readonly inputs: readonly { readonly name: string; readonly dtype: string; readonly dims: readonly number[] }[];
  readonly inputNotes: readonly string[];
  /** Items per inference: the batch dim of the first input (1 when it has none). */
  readonly batchSize: number;
  /** Session creation (load + graph optimization + allocation), ms. */
  readonly sessionCreateMs: number;
  /** The first run after creation (cold), ms; not part of the latency statistics. */
  readonly firstRunMs: number;
  /** Timed runs without profiling, ms. */
  readonly latencyMs: LatencyStats;
  readonly samplesMs: readonly number[];
  readonly throughput: { readonly inferencesPerSec: number; readonly itemsPerSec: number };
  /** Peak resident set of the worker process (VmHWM), and samples taken during the runs. */
  readonly memory: {
    readonly peakRssBytes: number;
    /** Peak GPU memory of the worker process from nvidia-smi, on GPU providers when nvidia-smi exists. */
    readonly gpuPeakBytes?: number;
    readonly rssSamples: readonly { readonly tMs: number; readonly rssBytes: number }[];
  };
  /** ORT's raw profile JSON (absolute path), when profiledRuns > 0. */
  readonly ortProfilePath?: string;
  /** Present when the model was run in decoding mode. */
  readonly decode?: DecodeResult;
}


/** A saved ONNX Runtime run (`.ilprof.json`): the request (without paths) and what it measured. */
export type OrtRunFile = RunFile<Omit<OrtProfileRequest, 'outDir' | 'modelPath'>, OrtProfileResult>;
