/**
 * The model overview computed from a lazily read ONNX model. Plain JSON data:
 * it crosses the webview boundary and is printed by `inference-lens summary --json`.
 */

export const MODEL_SUMMARY_SCHEMA_VERSION = 1;

/** A dimension: a fixed size, a symbolic name, or null when unknown. */
export type DimSummary = number | string | null;

export interface IoSummary {
  readonly name: string;
  /** 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown' */
  readonly kind: string;
  /** Element type name ('float', 'int64', 'bfloat16', ...) for tensors; '' otherwise. */
  readonly dtype: string;
  /** null when the model declares no shape (rank unknown). */
  readonly shape: readonly DimSummary[] | null;
  /** Human form, e.g. `float[batch,3,224,224]`, `seq(float[?])`. */
  readonly text: string;
}

export interface OpCount {
  /** Domain-qualified op: `Conv` for ai.onnx, `com.microsoft.FusedMatMul` otherwise. */
  readonly op: string;
  readonly domain: string;
  readonly opType: string;
  readonly count: number;
}

export interface DtypeBytes {
  readonly dtype: string;
  readonly count: number;
  /** Elements (product of dims). */
  readonly elements: number;
  /** Logical size: elements × bits / 8, rounded up per tensor. */
  readonly bytes: number;
}

export interface ExternalFileSummary {
  /** As written in the model. */
  readonly location: string;
  readonly tensorCount: number;
  /** Sum of the referenced ranges. */
  readonly referencedBytes: number;
  /** Size of the file on disk; null when missing or refused. */
  readonly sizeBytes: number | null;
  /** Why the file cannot be used (missing, outside the model folder, too short); undefined when fine. */
  readonly problem?: string;
}

export interface ModelSummary {
  readonly schemaVersion: typeof MODEL_SUMMARY_SCHEMA_VERSION;
  readonly file: { readonly path: string; readonly name: string; readonly sizeBytes: number };
  readonly producer: { readonly name: string; readonly version: string };
  readonly irVersion: number;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly graphName: string;
  /** Opset imports; domain '' is reported as 'ai.onnx'. */
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly metadata: readonly { readonly key: string; readonly value: string }[];
  /** Graph inputs that are not initializers (what a caller must feed). */
  readonly inputs: readonly IoSummary[];
  readonly outputs: readonly IoSummary[];
  /** Nodes in the main graph. */
  readonly nodeCount: number;
  /** Nodes in the main graph, all nested subgraphs and all local functions. */
  readonly nodeCountTotal: number;
  /** Op histogram over the main graph and nested subgraphs (not function bodies), most frequent first. */
  readonly opHistogram: readonly OpCount[];
  readonly initializers: {
    readonly count: number;
    readonly bytes: number;
    readonly byDtype: readonly DtypeBytes[];
  };
  /**
   * Tensors held by Constant nodes (some exporters store weights this way instead of as initializers).
   * Only `value` tensors are counted; scalar `value_float`/`value_int` attributes are negligible.
   */
  readonly constants: { readonly count: number; readonly bytes: number; readonly elements: number };
  /** Elements in all initializers and Constant-node tensors of the main graph and subgraphs. */
  readonly parameterCount: number;
  readonly externalData: {
    readonly tensorCount: number;
    readonly bytes: number;
    readonly files: readonly ExternalFileSummary[];
  };
  /** Graph-valued attributes (If/Loop/Scan bodies), counted recursively. */
  readonly subgraphCount: number;
  readonly functions: readonly { readonly domain: string; readonly name: string; readonly nodeCount: number }[];
  readonly parse: { readonly bytesRead: number; readonly millis: number };
  readonly warnings: readonly string[];
}
