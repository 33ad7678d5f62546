/**
 * The normalized Profile: the one model every importer (PyTorch/Kineto traces, ONNX Runtime
 * profiles) produces and every view and analysis reads.
 *
 * Built for timelines with millions of slices: slices, flows, memory samples and counter samples
 * are stored as columns (typed arrays) rather than one object per event. Names and categories are
 * ids into one string table; slice args are interned JSON texts, parsed only when asked for
 * (`sliceArgs`).
 *
 * Times are microseconds (float), relative to `origin` (the earliest timestamp in the source, in
 * the source's own clock). Slices are sorted by track, then start, then longest first, so each
 * track owns a contiguous, start-sorted range `[track.firstSlice, track.firstSlice + track.sliceCount)`
 * that a viewport query can binary-search.
 */

export const PROFILE_SCHEMA_VERSION = 1;

/** What a slice is, normalized across trace producers. Stored as an index into `SLICE_KINDS`. */
export type SliceKind =
  /** A host-side framework operator (Kineto `cpu_op`, older `Operator`). */
  | 'cpu_op'
  /** One training/inference iteration: `ProfilerStep#N`, or an ORT `model_run`. */
  | 'step'
  /** `record_function` ranges and other user annotations on the host. */
  | 'annotation'
  /** Python function frames (`python_function`). */
  | 'python'
  /** CUDA/HIP runtime or driver calls (`cuda_runtime`, `cuda_driver`, older `Runtime`). */
  | 'runtime'
  /** Host-side synchronization (`cuda_sync`). */
  | 'sync'
  /** A GPU kernel (`kernel`, older `Kernel`). */
  | 'kernel'
  /** A GPU copy (`gpu_memcpy`, older `Memcpy`). */
  | 'memcpy'
  /** A GPU memset (`gpu_memset`, older `Memset`). */
  | 'memset'
  /** User annotations projected onto a GPU stream (`gpu_user_annotation`). */
  | 'gpu_annotation'
  /** ONNX Runtime session phases (`Session`: model loading, initialization). */
  | 'session'
  /** One ONNX Runtime node execution (`Node`, `<node>_kernel_time`). */
  | 'ort_node'
  /** A zero-length instant event other than memory samples. */
  | 'instant'
  /** The profiler's own span (`Trace`). */
  | 'trace'
  /** Anything else; its category string is kept in `slices.cat`. */
  | 'other';

export const SLICE_KINDS: readonly SliceKind[] = [
  'cpu_op',
  'step',
  'annotation',
  'python',
  'runtime',
  'sync',
  'kernel',
  'memcpy',
  'memset',
  'gpu_annotation',
  'session',
  'ort_node',
  'instant',
  'trace',
  'other',
];

/** Kinds that occupy a GPU (busy time, kernel tables). */
export const GPU_ACTIVITY_KINDS: readonly SliceKind[] = ['kernel', 'memcpy', 'memset'];

export type TrackKind =
  /** A host thread. */
  | 'cpu-thread'
  /** A GPU stream (Kineto puts each stream on its own `tid` under the device's `pid`). */
  | 'gpu-stream'
  /** An ONNX Runtime execution provider (node executions grouped by provider). */
  | 'ep'
  /** Anything else (the profiler's own spans). */
  | 'other';

export interface Track {
  /** Index in `Profile.tracks`; tracks are in display order. */
  readonly id: number;
  readonly kind: TrackKind;
  /** The source's process and thread ids, as text. */
  readonly pid: string;
  readonly tid: string;
  /** Display name: the thread's name (`thread_name`), a stream, or a provider. */
  readonly name: string;
  /** The process's display name (`process_name`, with `process_labels` when present). */
  readonly processName: string;
  /** GPU device index for GPU streams, else -1. */
  readonly device: number;
  /** Stream number for GPU streams, else -1. */
  readonly stream: number;
  /** First slice of this track in the slice columns, and how many it has. */
  readonly firstSlice: number;
  readonly sliceCount: number;
  /** Number of nesting levels used (deepest depth + 1; 0 when the track has no slices). */
  readonly depthCount: number;
}

/** Slices: one row per complete event (or matched begin/end pair). Column `i` is slice `i`. */
export interface SliceColumns {
  readonly count: number;
  /** Start, µs from `Profile.origin`. */
  readonly start: Float64Array;
  /** Duration, µs (0 for instants). */
  readonly dur: Float64Array;
  readonly track: Uint32Array;
  /**
   * Nesting level on its track, computed from times (never from file order): a slice that lies
   * inside an earlier one is one level deeper; a slice that only partly overlaps an earlier one is
   * also put one level deeper, so nothing is ever hidden or dropped.
   */
  readonly depth: Uint32Array;
  /** The enclosing slice on the same track (the one just above it), or -1. */
  readonly parent: Int32Array;
  /** String-table ids. */
  readonly name: Uint32Array;
  readonly cat: Uint32Array;
  /** Index into `SLICE_KINDS`. */
  readonly kind: Uint8Array;
  /** CUDA correlation id (links a runtime call to the GPU work it launched), or -1. */
  readonly correlation: Float64Array;
  /** PyTorch "External id" (links GPU work to the operator that issued it), or -1. */
  readonly externalId: Float64Array;
  /** Index into `Profile.args` (0 = no args). */
  readonly args: Uint32Array;
}

/** Flow arrows (`ph` s/t/f): from one slice to another. Unresolved ends are -1. */
export interface FlowColumns {
  readonly count: number;
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** String-table id of the flow category (`ac2g`, `fwdbwd`, older `async`). */
  readonly cat: Uint32Array;
  readonly id: Float64Array;
}

/** The memory device a sample belongs to (PyTorch's c10 DeviceType and index). */
export interface MemoryDevice {
  readonly type: number;
  readonly index: number;
  /** `CPU`, `CUDA:0`, ... */
  readonly name: string;
}

/** `[memory]` samples from `profile_memory=True`, sorted by time. */
export interface MemoryColumns {
  readonly count: number;
  readonly ts: Float64Array;
  /** Bytes allocated (positive) or freed (negative) by this event. */
  readonly bytes: Float64Array;
  /** The allocator's totals after the event, when the trace has them (newer PyTorch); else NaN. */
  readonly totalAllocated: Float64Array;
  readonly totalReserved: Float64Array;
  /** Allocation address when recorded, else NaN. */
  readonly addr: Float64Array;
  /** Index into `Profile.memoryDevices`. */
  readonly device: Uint16Array;
  /** The host thread that allocated (track id), or -1 when it has no track. */
  readonly track: Int32Array;
}

export interface CounterSeries {
  /** Counter name (`ph: C` event name) and series key in its args. */
  readonly name: string;
  readonly series: string;
  readonly pid: string;
}

/** `ph: C` counter samples, sorted by time. */
export interface CounterColumns {
  readonly count: number;
  /** Index into `Profile.counterSeries`. */
  readonly series: Uint32Array;
  readonly ts: Float64Array;
  readonly value: Float64Array;
}

/** A GPU as described by the trace (`deviceProperties`). */
export interface DeviceInfo {
  readonly id: number;
  readonly name: string;
  readonly totalGlobalMem?: number;
  readonly computeCapability?: string;
  readonly smCount?: number;
}

export type TraceFormat =
  /** Chrome-trace JSON from torch.profiler / Kineto. */
  | 'kineto'
  /** ONNX Runtime's profile JSON (`enableProfiling`). */
  | 'ort'
  /** Chrome-trace JSON from something else. */
  | 'chrome';

export interface ProfileSource {
  readonly format: TraceFormat;
  /** The file (or the log folder's file) it came from, when it came from a file. */
  readonly path?: string;
  /** Bytes of trace JSON read (after decompression). */
  readonly jsonBytes: number;
  /** Every element of `traceEvents`, whatever it became. */
  readonly eventCount: number;
}

export interface Profile {
  readonly schemaVersion: typeof PROFILE_SCHEMA_VERSION;
  readonly source: ProfileSource;
  /** The source timestamp (µs) that time 0 stands for. */
  readonly origin: number;
  /** End of the last slice, memory or counter sample, µs from origin. */
  readonly duration: number;
  readonly strings: readonly string[];
  readonly tracks: readonly Track[];
  readonly slices: SliceColumns;
  readonly flows: FlowColumns;
  readonly memory: MemoryColumns;
  readonly memoryDevices: readonly MemoryDevice[];
  readonly counters: CounterColumns;
  readonly counterSeries: readonly CounterSeries[];
  /** Interned args JSON texts; index 0 is the empty object. See `sliceArgs`. */
  readonly args: readonly string[];
  readonly devices: readonly DeviceInfo[];
  /**
   * How many source events each category had: the event's `cat`, or for events without one
   * `[memory]` (memory samples) or `(metadata)`, `(instant)`, `(<ph>)`.
   */
  readonly categoryCounts: Readonly<Record<string, number>>;
  /** Top-level fields of the trace other than `traceEvents` (schemaVersion, distributedInfo, ...). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Things the importer noticed but could not represent (unknown phases, unmatched ends, ...). */
  readonly warnings: readonly string[];
}

/** The args of slice `i`, parsed on demand. Correlation and External id live in their own columns. */
export function sliceArgs(p: Profile, i: number): Record<string, unknown> {
  return JSON.parse(p.args[p.slices.args[i]!]!) as Record<string, unknown>;
}

export function sliceKind(p: Profile, i: number): SliceKind {
  return SLICE_KINDS[p.slices.kind[i]!]!;
}

export function sliceName(p: Profile, i: number): string {
  return p.strings[p.slices.name[i]!]!;
}
