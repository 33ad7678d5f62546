/**
 * Messages between the extension and its webviews. Both sides import this file: the types say what
 * may be sent, the validators check what arrives (`postMessage` data is untyped at run time).
 * A message that fails validation is ignored by the receiver.
 *
 * Handshake: the webview posts `{ type: 'ready' }` once its script runs (again after a reload);
 * the extension answers with `summary` or `error`. To add a message, extend a union and its validator;
 * the receivers `switch` exhaustively, so the compiler points at every place to update.
 *
 * Browser-safe: imports only plain data types and constants from the core.
 */
import type { OnnxErrorCode } from '../core/onnx/errors';
import { MODEL_SUMMARY_SCHEMA_VERSION, type ModelSummary } from '../core/onnx/summary-types';
import type { OrtOpBreakdown } from '../core/results/ort-ops';
import type { OrtRunFile } from '../core/results/ort-run';
import { RUN_FILE_FORMAT, RUN_FILE_SCHEMA_VERSION } from '../core/results/run-file';
import { profileFromJson } from '../core/profile/json';
import { PROFILE_SCHEMA_VERSION, SLICE_KINDS, type Profile } from '../core/profile/types';

/**
 * Why a model could not be shown: the reader's codes, `unsupported` for a resource the reader cannot
 * open (a remote or virtual file system), or `internal` for a bug in Inference Lens.
 */
export type OverviewErrorCode = OnnxErrorCode | 'unsupported' | 'internal';

export type ExtensionToWebview =
  | { readonly type: 'summary'; readonly summary: ModelSummary }
  | { readonly type: 'error'; readonly code: OverviewErrorCode; readonly message: string; readonly hint: string };

export type WebviewToExtension =
  /** The webview's script runs and listens: send it the data. */
  | { readonly type: 'ready' }
  /** The user asked to read the model again (after an error or a cancellation). */
  | { readonly type: 'retry' };

const ERROR_CODES: ReadonlySet<string> = new Set<OverviewErrorCode>([
  'truncated',
  'malformed',
  'not-onnx',
  'external-data-refused',
  'io',
  'cancelled',
  'unsupported',
  'internal',
]);

export function isWebviewToExtension(x: unknown): x is WebviewToExtension {
  return isRecord(x) && (x.type === 'ready' || x.type === 'retry');
}

export function isExtensionToWebview(x: unknown): x is ExtensionToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'summary':
      return isModelSummary(x.summary);
    case 'error':
      return typeof x.code === 'string' && ERROR_CODES.has(x.code) && typeof x.message === 'string' && typeof x.hint === 'string';
    default:
      return false;
  }
}

// --- ModelSummary, checked field by field (the webview renders every one of them) ---

type Check = (x: unknown) => boolean;

const str: Check = (x) => typeof x === 'string';
const num: Check = (x) => typeof x === 'number' && !Number.isNaN(x);
const arrayOf =
  (item: Check): Check =>
  (x) =>
    Array.isArray(x) && x.every(item);
const shape =
  (fields: Readonly<Record<string, Check>>): Check =>
  (x) =>
    isRecord(x) && Object.entries(fields).every(([k, check]) => check(x[k]));
const optional =
  (check: Check): Check =>
  (x) =>
    x === undefined || check(x);

const dim: Check = (x) => x === null || str(x) || num(x);
const io = shape({ name: str, kind: str, dtype: str, shape: (x) => x === null || arrayOf(dim)(x), text: str });

const isModelSummary = shape({
  schemaVersion: (x) => x === MODEL_SUMMARY_SCHEMA_VERSION,
  file: shape({ path: str, name: str, sizeBytes: num }),
  producer: shape({ name: str, version: str }),
  irVersion: num,
  domain: str,
  modelVersion: num,
  docString: str,
  graphName: str,
  opsets: arrayOf(shape({ domain: str, version: num })),
  metadata: arrayOf(shape({ key: str, value: str })),
  inputs: arrayOf(io),
  outputs: arrayOf(io),
  nodeCount: num,
  nodeCountTotal: num,
  opHistogram: arrayOf(shape({ op: str, domain: str, opType: str, count: num })),
  initializers: shape({ count: num, bytes: num, byDtype: arrayOf(shape({ dtype: str, count: num, elements: num, bytes: num })) }),
  constants: shape({ count: num, bytes: num, elements: num }),
  parameterCount: num,
  externalData: shape({
    tensorCount: num,
    bytes: num,
    files: arrayOf(
      shape({ location: str, tensorCount: num, referencedBytes: num, sizeBytes: (x) => x === null || num(x), problem: optional(str) }),
    ),
  }),
  subgraphCount: num,
  functions: arrayOf(shape({ domain: str, name: str, nodeCount: num })),
  parse: shape({ bytesRead: num, millis: num }),
  warnings: arrayOf(str),
}) as (x: unknown) => x is ModelSummary;

// --- The profile results panel (one `.ilprof.json` run) ---

/**
 * One ONNX Runtime run file (`.ilprof.json`, see src/core/results/run-file.ts) as `profileModel`
 * writes it; the extension posts the parsed file as it is. `isProfileRun` checks every field the
 * results panel reads.
 */
export type ProfileRun = OrtRunFile;

/**
 * Results panel handshake: the webview posts `ready`; the extension answers `run` (the run and the
 * absolute path of its file, which the webview keeps as its state so the panel survives a reload)
 * or `error` (the run file is gone or unreadable).
 */
export type ProfileToWebview =
  | { readonly type: 'run'; readonly runFilePath: string; readonly run: ProfileRun }
  | { readonly type: 'error'; readonly message: string; readonly hint: string };

export type ProfileToExtension =
  | { readonly type: 'ready' }
  /** "Export Chrome Trace…": ask where, then write ORT's profile as a Chrome trace JSON. */
  | { readonly type: 'exportTrace' }
  | { readonly type: 'openRunFile' }
  | { readonly type: 'openOrtProfile' }
  /** Open the profiler panel (timeline, tables) on this run's ORT profile. */
  | { readonly type: 'openTimeline' };

/** What the results webview keeps with `setState` (and the panel serializer gets back after a reload). */
export interface ProfileWebviewState {
  readonly runFilePath: string;
}

const PROFILE_TO_EXTENSION: ReadonlySet<string> = new Set<ProfileToExtension['type']>(['ready', 'exportTrace', 'openRunFile', 'openOrtProfile', 'openTimeline']);

export function isProfileToExtension(x: unknown): x is ProfileToExtension {
  return isRecord(x) && typeof x.type === 'string' && PROFILE_TO_EXTENSION.has(x.type);
}

export function isProfileWebviewState(x: unknown): x is ProfileWebviewState {
  return isRecord(x) && typeof x.runFilePath === 'string' && x.runFilePath.length > 0;
}

export function isProfileToWebview(x: unknown): x is ProfileToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'run':
      return str(x.runFilePath) && isProfileRun(x.run);
    case 'error':
      return str(x.message) && str(x.hint);
    default:
      return false;
  }
}

const latency = shape({ count: num, mean: num, stdev: num, min: num, max: num, p50: num, p90: num, p99: num });
const opRow = { opType: str, provider: str, count: num, totalUs: num, meanUs: num, share: num };

const isOpBreakdown = shape({
  runs: num,
  totalNodeUs: num,
  byOpType: arrayOf(shape(opRow)),
  byNode: arrayOf(shape({ ...opRow, node: str, inputShapes: arrayOf(str), outputShapes: arrayOf(str), fusedFrom: optional(arrayOf(str)) })),
  fallbackNodes: arrayOf(shape({ node: str, opType: str, provider: str })),
  memcpyNodes: arrayOf(shape({ node: str, opType: str, totalUs: num })),
  arenaPeakBytes: num,
  arenaPeakNode: optional(str),
}) as (x: unknown) => x is OrtOpBreakdown;

export const isProfileRun = shape({
  format: (x) => x === RUN_FILE_FORMAT,
  schemaVersion: (x) => x === RUN_FILE_SCHEMA_VERSION,
  createdAt: str,
  model: shape({ path: str, name: str, sizeBytes: num }),
  settings: shape({
    ep: str,
    dims: (x) => isRecord(x) && Object.values(x).every(num),
    warmupRuns: num,
    timedRuns: num,
    profiledRuns: num,
    session: shape({ graphOptimizationLevel: str, enableCpuMemArena: (x) => typeof x === 'boolean', intraOpNumThreads: optional(num), interOpNumThreads: optional(num) }),
  }),
  result: shape({
    ortVersion: str,
    machine: shape({ os: str, cpu: str, cores: num, memoryBytes: num, gpus: arrayOf(shape({ name: str, memoryTotalBytes: num })) }),
    requestedEp: str,
    ep: str,
    fallbackReason: optional(str),
    inputs: arrayOf(shape({ name: str, dtype: str, dims: arrayOf(num) })),
    inputNotes: arrayOf(str),
    batchSize: num,
    sessionCreateMs: num,
    firstRunMs: num,
    latencyMs: latency,
    throughput: shape({ inferencesPerSec: num, itemsPerSec: num }),
    memory: shape({ peakRssBytes: num, gpuPeakBytes: optional(num) }),
    decode: optional(
      shape({
        prefillTokens: num,
        newTokens: num,
        timeToFirstTokenMs: num,
        tokensPerSec: num,
        perTokenMs: latency,
        rssGrowthPerTokenBytes: num,
        kvCacheBytesPerToken: num,
        kvCacheBytesFinal: num,
      }),
    ),
  }),
  operators: optional(isOpBreakdown),
  ortProfile: optional(str),
}) as (x: unknown) => x is ProfileRun;

// --- The profiler panel (timeline, tables, memory of one Profile) ---

/** Where a profiler panel's Profile comes from; kept as the webview state to restore the panel after a reload. */
export type ProfilerSource =
  /** ORT's raw profile of a run (`.ilprof.json` → its `.ort.json`), with the run's metrics in the header. */
  | { readonly kind: 'run'; readonly runFilePath: string }
  /** A trace file or TensorBoard log folder (torch.profiler/Kineto, ORT profile JSON). */
  | { readonly kind: 'trace'; readonly path: string };

/**
 * The extension posts `profile` with the Profile's typed-array columns as they are (VS Code
 * transfers typed arrays to webviews without converting them); the JSON form of
 * `profileToJson` is accepted too. `loading` reports import progress; `error` ends it.
 */
export type ProfilerToWebview =
  | { readonly type: 'loading'; readonly message: string }
  | { readonly type: 'profile'; readonly title: string; readonly source: ProfilerSource; readonly profile: unknown; readonly run?: ProfileRun }
  | { readonly type: 'error'; readonly message: string; readonly hint: string };

export type ProfilerToExtension =
  | { readonly type: 'ready' }
  /** Open the trace file (or the run file) this panel shows, in an editor. */
  | { readonly type: 'openSource' }
  /** Open a Python source location recorded in the trace (with_stack), mapped into the workspace. */
  | { readonly type: 'goToSource'; readonly file: string; readonly line: number };

export interface ProfilerWebviewState {
  readonly source: ProfilerSource;
  /** Where the user was: the timeline's visible range (µs) and the open table, restored when the panel comes back. */
  readonly view?: ProfilerView;
}

export interface ProfilerView {
  readonly start: number;
  readonly end: number;
  readonly tab: string;
}

const isProfilerView: Check = (x) => isRecord(x) && num(x.start) && num(x.end) && (x.end as number) > (x.start as number) && str(x.tab);

const isProfilerSource: Check = (x) =>
  isRecord(x) && ((x.kind === 'run' && str(x.runFilePath) && (x.runFilePath as string).length > 0) || (x.kind === 'trace' && str(x.path) && (x.path as string).length > 0));

export function isProfilerWebviewState(x: unknown): x is ProfilerWebviewState {
  return isRecord(x) && isProfilerSource(x.source) && (x.view === undefined || isProfilerView(x.view));
}

export function isProfilerToExtension(x: unknown): x is ProfilerToExtension {
  return isRecord(x) && (x.type === 'ready' || x.type === 'openSource' || (x.type === 'goToSource' && str(x.file) && (x.file as string).length > 0 && Number.isInteger(x.line) && (x.line as number) > 0));
}

export function isProfilerToWebview(x: unknown): x is ProfilerToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'loading':
      return str(x.message);
    case 'profile':
      return str(x.title) && isProfilerSource(x.source) && isRecord(x.profile) && (x.run === undefined || isProfileRun(x.run));
    case 'error':
      return str(x.message) && str(x.hint);
    default:
      return false;
  }
}

const PROFILE_COLUMNS: Readonly<Record<'slices' | 'flows' | 'memory' | 'counters', readonly string[]>> = {
  slices: ['start', 'dur', 'track', 'depth', 'parent', 'name', 'cat', 'kind', 'correlation', 'externalId', 'args'],
  flows: ['from', 'to', 'cat', 'id'],
  memory: ['ts', 'bytes', 'totalAllocated', 'totalReserved', 'addr', 'device', 'track'],
  counters: ['series', 'ts', 'value'],
};

/**
 * The Profile in a `profile` message, checked: typed-array columns of the stated lengths, slice
 * references inside the tables (track, name, kind, args, parent), tracks covering their slices.
 * Undefined when anything does not fit.
 */
export function profileFromMessage(x: unknown): Profile | undefined {
  if (!isRecord(x) || x.schemaVersion !== PROFILE_SCHEMA_VERSION) return undefined;
  let p: Profile;
  if (isRecord(x.slices) && Array.isArray(x.slices.start)) {
    try {
      p = profileFromJson(x);
    } catch {
      return undefined;
    }
  } else p = x as unknown as Profile;
  if (!Array.isArray(p.strings) || !p.strings.every((s) => typeof s === 'string') || !Array.isArray(p.tracks) || !Array.isArray(p.args)) return undefined;
  if (!num(p.duration) || !num(p.origin) || !isRecord(p.source)) return undefined;
  for (const [table, cols] of Object.entries(PROFILE_COLUMNS)) {
    const t = (p as unknown as Record<string, Record<string, unknown>>)[table];
    if (!isRecord(t) || !num(t.count)) return undefined;
    for (const c of cols) if (!ArrayBuffer.isView(t[c]) || (t[c] as unknown as ArrayLike<number>).length !== t.count) return undefined;
  }
  const s = p.slices;
  for (let i = 0; i < s.count; i++) {
    if (s.track[i]! >= p.tracks.length || s.name[i]! >= p.strings.length || s.kind[i]! >= SLICE_KINDS.length || s.args[i]! >= p.args.length || s.parent[i]! >= s.count) return undefined;
  }
  for (const t of p.tracks as unknown[]) {
    if (!isRecord(t) || !num(t.firstSlice) || !num(t.sliceCount) || (t.firstSlice as number) + (t.sliceCount as number) > s.count || !str(t.name)) return undefined;
  }
  return p;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
