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
import { checkGraphCost, checkGraphTiming, checkModelGraph, checkWeightStats, type GraphCost, type GraphTiming, type ModelGraph, type WeightStats } from '../core/graph/types';
import type { OnnxErrorCode } from '../core/onnx/errors';
import { MODEL_SUMMARY_SCHEMA_VERSION, type ModelSummary } from '../core/onnx/summary-types';
import type { OrtOpBreakdown } from '../core/results/ort-ops';
import type { OrtRunFile } from '../core/results/ort-run';
import { RUN_FILE_FORMAT, RUN_FILE_SCHEMA_VERSION } from '../core/results/run-file';
import type { Finding } from '../core/recommend';
import { COMPARISON_FILE_FORMAT, COMPARISON_SCHEMA_VERSION, type ComparisonFile } from '../core/compare/comparison';
import { parseTorchResult, type TorchRunResult } from '../core/results/torch-run';
import { profileFromJson } from '../core/profile/json';
import { PROFILE_SCHEMA_VERSION, SLICE_KINDS, type Profile } from '../core/profile/types';

/**
 * Why a model could not be shown: the reader's codes, `unsupported` for a resource the reader cannot
 * open (a remote or virtual file system), or `internal` for a bug in Inference Lens.
 */
export type OverviewErrorCode = OnnxErrorCode | 'unsupported' | 'internal';

export type ExtensionToWebview =
  | { readonly type: 'summary'; readonly summary: ModelSummary }
  | { readonly type: 'error'; readonly code: OverviewErrorCode; readonly message: string; readonly hint: string }
  /**
   * The graph view's structure (columnar, see src/core/graph/types.ts), posted once when the Graph
   * tab asks for it, with the static cost per node and the measured time per node of the latest
   * profile run of this model when there is one (`timingNote` says why not otherwise).
   */
  | { readonly type: 'graph'; readonly graph: ModelGraph; readonly cost?: GraphCost; readonly timing?: GraphTiming; readonly timingNote?: string }
  | { readonly type: 'graphError'; readonly message: string; readonly hint: string }
  /** A new profile run of this model: the time overlay's data (the graph itself is unchanged). */
  | { readonly type: 'graphTiming'; readonly timing?: GraphTiming; readonly timingNote?: string }
  /** Show the Graph tab with this node selected and its groups expanded ("Reveal in model"). */
  | { readonly type: 'reveal'; readonly node: string }
  /** The answer to `weightStats`: the statistics, or why they could not be read. */
  | { readonly type: 'weightStats'; readonly tensor: number; readonly stats?: WeightStats; readonly error?: string };

export type WebviewToExtension =
  /** The webview's script runs and listens: send it the data. */
  | { readonly type: 'ready' }
  /** The user asked to read the model again (after an error or a cancellation). */
  | { readonly type: 'retry' }
  /** The Graph tab opened: send the graph. */
  | { readonly type: 'loadGraph' }
  /** Read the statistics of tensor `tensor` (an index into the graph's tensors) from disk. */
  | { readonly type: 'weightStats'; readonly tensor: number }
  /** Open a Python source location the model records for a node, mapped into the workspace. */
  | { readonly type: 'goToSource'; readonly file: string; readonly line: number }
  /** Run Profile Model… on this model (the time overlay has no run yet). */
  | { readonly type: 'profileModel' };

/** What the model editor's webview keeps with `setState`: the tab shown and the node selected in the graph. */
export interface ModelEditorState {
  readonly view: 'overview' | 'graph';
  readonly node?: string;
}

export function isModelEditorState(x: unknown): x is ModelEditorState {
  return isRecord(x) && (x.view === 'overview' || x.view === 'graph') && (x.node === undefined || typeof x.node === 'string');
}

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
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'retry':
    case 'loadGraph':
    case 'profileModel':
      return true;
    case 'weightStats':
      return Number.isInteger(x.tensor) && (x.tensor as number) >= 0;
    case 'goToSource':
      return str(x.file) && (x.file as string).length > 0 && Number.isInteger(x.line) && (x.line as number) > 0;
    default:
      return false;
  }
}

export function isExtensionToWebview(x: unknown): x is ExtensionToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'summary':
      return isModelSummary(x.summary);
    case 'error':
      return typeof x.code === 'string' && ERROR_CODES.has(x.code) && typeof x.message === 'string' && typeof x.hint === 'string';
    case 'graph': {
      const graph = checkModelGraph(x.graph);
      return (
        graph !== undefined &&
        (x.cost === undefined || checkGraphCost(x.cost, graph.nodes.count) !== undefined) &&
        (x.timing === undefined || checkGraphTiming(x.timing, graph.nodes.count) !== undefined) &&
        (x.timingNote === undefined || str(x.timingNote))
      );
    }
    case 'graphError':
      return str(x.message) && str(x.hint);
    case 'graphTiming':
      // Checked against the graph's node count by the view, which knows it.
      return (x.timing === undefined || (isRecord(x.timing) && x.timing.nodeUs instanceof Float64Array && checkGraphTiming(x.timing, x.timing.nodeUs.length) !== undefined)) && (x.timingNote === undefined || str(x.timingNote));
    case 'reveal':
      return str(x.node);
    case 'weightStats':
      return Number.isInteger(x.tensor) && (x.stats === undefined || checkWeightStats(x.stats) !== undefined) && (x.error === undefined || str(x.error));
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
  | { readonly type: 'run'; readonly runFilePath: string; readonly run: ProfileRun; readonly findings?: readonly Finding[] }
  | { readonly type: 'error'; readonly message: string; readonly hint: string };

export type ProfileToExtension =
  | { readonly type: 'ready' }
  /** "Export Chrome Trace…": ask where, then write ORT's profile as a Chrome trace JSON. */
  | { readonly type: 'exportTrace' }
  | { readonly type: 'openRunFile' }
  | { readonly type: 'openOrtProfile' }
  /** Open the profiler panel (timeline, tables) on this run's ORT profile. */
  | { readonly type: 'openTimeline' }
  /** "Apply" on a recommendation: run its fix on the model, verify and compare (see src/core/recommend). */
  | { readonly type: 'applyFix'; readonly findingId: string };

/** What the results webview keeps with `setState` (and the panel serializer gets back after a reload). */
export interface ProfileWebviewState {
  readonly runFilePath: string;
}

const PROFILE_TO_EXTENSION: ReadonlySet<string> = new Set<ProfileToExtension['type']>(['ready', 'exportTrace', 'openRunFile', 'openOrtProfile', 'openTimeline']);

export function isProfileToExtension(x: unknown): x is ProfileToExtension {
  return isRecord(x) && typeof x.type === 'string' && (PROFILE_TO_EXTENSION.has(x.type) || isApplyFix(x));
}

/** `{ type: 'applyFix', findingId }` from either panel. */
function isApplyFix(x: Record<string, unknown>): boolean {
  return x.type === 'applyFix' && str(x.findingId) && (x.findingId as string).length > 0;
}

export function isProfileWebviewState(x: unknown): x is ProfileWebviewState {
  return isRecord(x) && typeof x.runFilePath === 'string' && x.runFilePath.length > 0;
}

export function isProfileToWebview(x: unknown): x is ProfileToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'run':
      return str(x.runFilePath) && isProfileRun(x.run) && (x.findings === undefined || isFindings(x.findings));
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
  | { readonly kind: 'trace'; readonly path: string }
  /** A PyTorch harness run: its result.json (device, CUDA memory peaks, step times) → its trace. */
  | { readonly kind: 'torch'; readonly resultPath: string };

/**
 * The extension posts `profile` with the Profile's typed-array columns as they are (VS Code
 * transfers typed arrays to webviews without converting them); the JSON form of
 * `profileToJson` is accepted too. `loading` reports import progress; `error` ends it.
 */
export type ProfilerToWebview =
  | { readonly type: 'loading'; readonly message: string }
  | { readonly type: 'profile'; readonly title: string; readonly source: ProfilerSource; readonly profile: unknown; readonly run?: ProfileRun; readonly torch?: TorchRunResult; readonly findings?: readonly Finding[] }
  | { readonly type: 'error'; readonly message: string; readonly hint: string };

export type ProfilerToExtension =
  | { readonly type: 'ready' }
  /** Open the trace file (or the run file) this panel shows, in an editor. */
  | { readonly type: 'openSource' }
  /** Open a Python source location recorded in the trace (with_stack), mapped into the workspace. */
  | { readonly type: 'goToSource'; readonly file: string; readonly line: number }
  /** "Apply" on a recommendation in the header (run sources only). */
  | { readonly type: 'applyFix'; readonly findingId: string }
  /** "Reveal in model" on an ONNX Runtime node: open the model's Graph tab with that node selected. */
  | { readonly type: 'revealInModel'; readonly node: string };

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
  isRecord(x) &&
  ((x.kind === 'run' && str(x.runFilePath) && (x.runFilePath as string).length > 0) ||
    (x.kind === 'trace' && str(x.path) && (x.path as string).length > 0) ||
    (x.kind === 'torch' && str(x.resultPath) && (x.resultPath as string).length > 0));

export function isProfilerWebviewState(x: unknown): x is ProfilerWebviewState {
  return isRecord(x) && isProfilerSource(x.source) && (x.view === undefined || isProfilerView(x.view));
}

export function isProfilerToExtension(x: unknown): x is ProfilerToExtension {
  return (
    isRecord(x) &&
    (x.type === 'ready' ||
      x.type === 'openSource' ||
      isApplyFix(x) ||
      (x.type === 'revealInModel' && str(x.node) && (x.node as string).length > 0) ||
      (x.type === 'goToSource' && str(x.file) && (x.file as string).length > 0 && Number.isInteger(x.line) && (x.line as number) > 0))
  );
}

export function isProfilerToWebview(x: unknown): x is ProfilerToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'loading':
      return str(x.message);
    case 'profile':
      return (
        str(x.title) &&
        isProfilerSource(x.source) &&
        isRecord(x.profile) &&
        (x.run === undefined || isProfileRun(x.run)) &&
        (x.findings === undefined || isFindings(x.findings)) &&
        (x.torch === undefined || (isRecord(x.torch) && 'result' in parseTorchResult(JSON.stringify(x.torch))))
      );
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

// --- Recommendations (src/core/recommend), shown in the results and profiler panel headers ---

const FIX_KINDS: ReadonlySet<string> = new Set(['int8', 'fp16', 'dynamic-axes', 'optimize-graph']);

const isFix: Check = (x) =>
  isRecord(x) &&
  typeof x.kind === 'string' &&
  FIX_KINDS.has(x.kind) &&
  (x.kind !== 'dynamic-axes' || arrayOf(shape({ value: str, axis: num, name: str }))(x.axes)) &&
  (x.kind !== 'optimize-graph' || x.level === 'basic' || x.level === 'extended' || x.level === 'all');

const isFindings = arrayOf(
  shape({
    id: str,
    severity: (x) => x === 'high' || x === 'medium' || x === 'low',
    title: str,
    detail: str,
    evidence: arrayOf(shape({ label: str, value: num, text: str })),
    nodes: optional(arrayOf(str)),
    fix: optional(isFix),
  }),
) as (x: unknown) => x is readonly Finding[];

// --- The comparison view (one `.ilcmp.json`: numerical check, before/after, per-operator deltas) ---

/**
 * Handshake as for the results panel: the webview posts `ready`; the extension answers with the
 * comparison and its file path (kept as the webview state, so the view survives a reload) or `error`.
 */
export type ComparisonToWebview =
  | { readonly type: 'comparison'; readonly filePath: string; readonly comparison: ComparisonFile }
  | { readonly type: 'error'; readonly message: string; readonly hint: string };

export type ComparisonToExtension =
  | { readonly type: 'ready' }
  /** Open model A (the original) or B in the model overview. */
  | { readonly type: 'openModel'; readonly which: 'a' | 'b' }
  /** Open the profile result of A or B (when the comparison profiled them). */
  | { readonly type: 'openRun'; readonly which: 'a' | 'b' }
  /** Show the model file in the Explorer. */
  | { readonly type: 'revealModel'; readonly which: 'a' | 'b' }
  | { readonly type: 'openComparisonFile' };

export interface ComparisonWebviewState {
  readonly filePath: string;
}

const side: Check = (x) => x === 'a' || x === 'b';

export function isComparisonToExtension(x: unknown): x is ComparisonToExtension {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'openComparisonFile':
      return true;
    case 'openModel':
    case 'openRun':
    case 'revealModel':
      return side(x.which);
    default:
      return false;
  }
}

export function isComparisonWebviewState(x: unknown): x is ComparisonWebviewState {
  return isRecord(x) && str(x.filePath) && (x.filePath as string).length > 0;
}

const numOrNull: Check = (x) => x === null || num(x);
const modelRef = shape({ path: str, name: str, sizeBytes: num });
const pair = shape({ a: num, b: num });
const sideStats = optional(shape({ us: num, calls: num }));

const change = shape({ a: num, b: num, delta: num });
const valueChange = arrayOf(shape({ kind: (x) => x === 'input' || x === 'output' || x === 'initializer' || x === 'constant', name: str, a: str, b: str }));
const addedRemoved = shape({ added: arrayOf(str), removed: arrayOf(str) });

/** The structural diff (src/core/onnx/diff.ts; a change of its shape bumps the comparison file's schemaVersion) as the comparison view reads it. */
const isModelDiff = shape({
  schemaVersion: num,
  structurallyIdentical: (x) => typeof x === 'boolean',
  nodes: change,
  nodesTotal: change,
  weights: change,
  parameters: change,
  size: change,
  irVersion: pair,
  opsets: arrayOf(shape({ domain: str, a: numOrNull, b: numOrNull })),
  ops: arrayOf(shape({ op: str, a: num, b: num, delta: num })),
  opsAdded: arrayOf(str),
  opsRemoved: arrayOf(str),
  dtypeChanges: valueChange,
  shapeChanges: valueChange,
  inputs: addedRemoved,
  outputs: addedRemoved,
  initializers: shape({ count: change, bytes: change, added: num, removed: num, byDtype: arrayOf(shape({ dtype: str, a: num, b: num })) }),
});

const isAgreement = shape({
  name: str,
  verdict: (x) => typeof x === 'string' && ['identical', 'close', 'drift', 'differs', 'mismatch', 'missing'].includes(x),
  reason: str,
  a: optional(shape({ dtype: str, dims: arrayOf(num) })),
  b: optional(shape({ dtype: str, dims: arrayOf(num) })),
  elements: num,
  maxAbsError: num,
  meanAbsError: num,
  maxRelError: num,
  cosine: num,
  equalShare: num,
  top1: optional(shape({ agreement: num, rows: num, classes: num })),
  nanA: num,
  nanB: num,
  infA: num,
  infB: num,
});

/** Every field of a comparison file the comparison view reads. */
export const isComparisonFile = shape({
  format: (x) => x === COMPARISON_FILE_FORMAT,
  schemaVersion: (x) => x === COMPARISON_SCHEMA_VERSION,
  createdAt: str,
  a: modelRef,
  b: modelRef,
  transform: optional(shape({ kind: str, title: str, changes: arrayOf(str), warnings: optional(arrayOf(str)) })),
  structure: isModelDiff,
  verify: shape({
    ep: str,
    inputs: arrayOf(shape({ name: str, dtype: str, dims: arrayOf(num) })),
    inputNotes: arrayOf(str),
    outputs: arrayOf(isAgreement),
    verdict: (x) => x === 'pass' || x === 'warn' || x === 'fail',
    tolerances: shape({ epsilon: num, cosineClose: num, cosineDrift: num, top1Close: num, top1Drift: num }),
  }),
  runs: optional(shape({ a: str, b: str })),
  comparison: optional(
    shape({
      metrics: arrayOf(
        shape({
          key: str,
          label: str,
          unit: (x) => x === 'ms' || x === 'per-s' || x === 'tokens-per-s' || x === 'bytes',
          a: num,
          b: num,
          delta: num,
          change: numOrNull,
          better: (x) => x === 'lower' || x === 'higher',
          verdict: (x) => x === 'better' || x === 'worse' || x === 'same',
        }),
      ),
      operators: arrayOf(shape({ opType: str, provider: str, a: sideStats, b: sideStats, deltaUs: num })),
      nodeTimeUs: optional(pair),
      speedup: num,
      notes: arrayOf(str),
    }),
  ),
}) as (x: unknown) => x is ComparisonFile;

export function isComparisonToWebview(x: unknown): x is ComparisonToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'comparison':
      return str(x.filePath) && isComparisonFile(x.comparison);
    case 'error':
      return str(x.message) && str(x.hint);
    default:
      return false;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
