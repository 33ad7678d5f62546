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

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
