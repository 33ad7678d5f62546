/**
 * A comparison of two models (`.ilcmp.json`): how B was made from A (when it was), what changed in
 * the graph, the numerical check on the same inputs and, when both were profiled, the before/after
 * metrics with per-operator deltas. Saved next to the run files so the comparison view survives a
 * window reload and can be attached to an issue.
 *
 *   { "format": "inference-lens-comparison", "schemaVersion": 1, "createdAt": ISO time,
 *     "a": ModelRef, "b": ModelRef, "transform"?: TransformInfo, "structure": StructureDelta,
 *     "verify": VerifyResult, "runs"?: { a, b } (run file names, same folder), "comparison"?: RunComparison }
 */
import { formatBytes } from '../format';
import type { ModelSummary } from '../onnx/summary-types';
import type { VerifyResult } from '../verify/types';
import type { RunComparison } from './compare-runs';

export const COMPARISON_FILE_FORMAT = 'inference-lens-comparison';
export const COMPARISON_SCHEMA_VERSION = 1;

export interface ModelRef {
  readonly path: string;
  readonly name: string;
  /** The .onnx file plus its external data files. */
  readonly sizeBytes: number;
}

/** How B was made from A; absent for "Compare With…" of two existing models. */
export interface TransformInfo {
  readonly kind: string;
  /** e.g. "Quantize to INT8", "Optimize graph (all)". */
  readonly title: string;
  /** What the transform reports it changed, one line each. */
  readonly changes: readonly string[];
  readonly warnings?: readonly string[];
}

export interface StructureDelta {
  readonly nodes: { readonly a: number; readonly b: number };
  readonly parameters: { readonly a: number; readonly b: number };
  readonly weightBytes: { readonly a: number; readonly b: number };
  /** Ops whose count changed, by domain-qualified name. */
  readonly ops: readonly { readonly op: string; readonly a: number; readonly b: number }[];
  /** Weight bytes per dtype where they changed. */
  readonly dtypes: readonly { readonly dtype: string; readonly a: number; readonly b: number }[];
  readonly inputs: readonly { readonly name: string; readonly a?: string; readonly b?: string }[];
  readonly outputs: readonly { readonly name: string; readonly a?: string; readonly b?: string }[];
}

export interface ComparisonFile {
  readonly format: typeof COMPARISON_FILE_FORMAT;
  readonly schemaVersion: typeof COMPARISON_SCHEMA_VERSION;
  readonly createdAt: string;
  readonly a: ModelRef;
  readonly b: ModelRef;
  readonly transform?: TransformInfo;
  readonly structure: StructureDelta;
  readonly verify: VerifyResult;
  /** Run files (names in the comparison file's folder) of the profiles compared. */
  readonly runs?: { readonly a: string; readonly b: string };
  readonly comparison?: RunComparison;
}

/** Sizes on disk: the .onnx file and the external data files it names (existing ones). */
export function modelBytes(s: ModelSummary): number {
  return s.file.sizeBytes + s.externalData.files.reduce((t, f) => t + (f.sizeBytes ?? 0), 0);
}

export function modelRef(s: ModelSummary): ModelRef {
  return { path: s.file.path, name: s.file.name, sizeBytes: modelBytes(s) };
}

/** What differs between two models' graphs, as counts: nodes, ops, weights by dtype, I/O types. */
export function structureDelta(a: ModelSummary, b: ModelSummary): StructureDelta {
  const counts = (s: ModelSummary) => new Map(s.opHistogram.map((o) => [o.op, o.count]));
  const ca = counts(a);
  const cb = counts(b);
  const ops = [...new Set([...ca.keys(), ...cb.keys()])]
    .map((op) => ({ op, a: ca.get(op) ?? 0, b: cb.get(op) ?? 0 }))
    .filter((o) => o.a !== o.b)
    .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a) || x.op.localeCompare(y.op));
  const bytes = (s: ModelSummary) => new Map(s.initializers.byDtype.map((d) => [d.dtype, d.bytes]));
  const ba = bytes(a);
  const bb = bytes(b);
  const dtypes = [...new Set([...ba.keys(), ...bb.keys()])].map((dtype) => ({ dtype, a: ba.get(dtype) ?? 0, b: bb.get(dtype) ?? 0 })).filter((d) => d.a !== d.b);
  const io = (xs: ModelSummary['inputs'], ys: ModelSummary['inputs']) => {
    const mx = new Map(xs.map((i) => [i.name, i.text]));
    const my = new Map(ys.map((i) => [i.name, i.text]));
    return [...new Set([...mx.keys(), ...my.keys()])]
      .filter((n) => mx.get(n) !== my.get(n))
      .map((name) => ({ name, ...(mx.has(name) ? { a: mx.get(name)! } : {}), ...(my.has(name) ? { b: my.get(name)! } : {}) }));
  };
  return {
    nodes: { a: a.nodeCount, b: b.nodeCount },
    parameters: { a: a.parameterCount, b: b.parameterCount },
    weightBytes: { a: a.initializers.bytes + a.constants.bytes, b: b.initializers.bytes + b.constants.bytes },
    ops,
    dtypes,
    inputs: io(a.inputs, b.inputs),
    outputs: io(a.outputs, b.outputs),
  };
}

/** One line per change, for the CLI and notifications: `nodes 310 → 188`, `MatMul 96 → 0`, …. */
export function describeStructure(d: StructureDelta, maxOps = 8): string[] {
  const lines: string[] = [];
  if (d.nodes.a !== d.nodes.b) lines.push(`nodes ${d.nodes.a} → ${d.nodes.b}`);
  for (const o of d.ops.slice(0, maxOps)) lines.push(`${o.op} ${o.a} → ${o.b}`);
  if (d.ops.length > maxOps) lines.push(`… and ${d.ops.length - maxOps} more op types`);
  for (const t of d.dtypes) lines.push(`${t.dtype} weights ${formatBytes(t.a)} → ${formatBytes(t.b)}`);
  for (const i of d.inputs) lines.push(`input ${i.name}: ${i.a ?? '(none)'} → ${i.b ?? '(none)'}`);
  for (const o of d.outputs) lines.push(`output ${o.name}: ${o.a ?? '(none)'} → ${o.b ?? '(none)'}`);
  return lines;
}

export class ComparisonFileError extends Error {
  override readonly name = 'ComparisonFileError';
}

/** Checks the envelope of a parsed `.ilcmp.json` (the webview protocol checks the payload field by field). */
export function parseComparisonFile(text: string, file = '.ilcmp.json'): ComparisonFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ComparisonFileError(`${file} is not valid JSON (${(e as Error).message}).`);
  }
  const o = j as Partial<ComparisonFile> | null;
  if (!o || typeof o !== 'object' || o.format !== COMPARISON_FILE_FORMAT) throw new ComparisonFileError(`${file} is not an Inference Lens comparison (format "${COMPARISON_FILE_FORMAT}").`);
  if (o.schemaVersion !== COMPARISON_SCHEMA_VERSION) {
    throw new ComparisonFileError(`${file} has schema version ${String(o.schemaVersion)}; this version of Inference Lens reads ${COMPARISON_SCHEMA_VERSION}.`);
  }
  if (!o.a || !o.b || !o.verify || !o.structure) throw new ComparisonFileError(`${file} is missing a, b, structure or verify.`);
  return o as ComparisonFile;
}

/** `<a>-vs-<b>-<yyyymmdd-hhmmss>.ilcmp.json`. */
export function comparisonFileName(a: string, b: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  const clean = (s: string) => s.replace(/\.onnx$/i, '').replace(/[^\w.-]+/g, '_');
  return `${clean(a)}-vs-${clean(b)}-${stamp}.ilcmp.json`;
}
