/**
 * A comparison of two models (`.ilcmp.json`): how B was made from A (when it was), what changed in
 * the graph, the numerical check on the same inputs and, when both were profiled, the before/after
 * metrics with per-operator deltas. Saved next to the run files so the comparison view survives a
 * window reload and can be attached to an issue.
 *
 *   { "format": "inference-lens-comparison", "schemaVersion": 2, "createdAt": ISO time,
 *     "a": ModelRef, "b": ModelRef, "transform"?: TransformInfo, "structure": ModelDiff,
 *     "verify": VerifyResult, "runs"?: { a, b } (run file names, same folder), "comparison"?: RunComparison }
 */
import type { DiffSide, ModelDiff } from '../onnx/diff';
import type { VerifyResult } from '../verify/types';
import type { RunComparison } from './compare-runs';

export const COMPARISON_FILE_FORMAT = 'inference-lens-comparison';
/** 2: `structure` is a ModelDiff (1 had a smaller StructureDelta). */
export const COMPARISON_SCHEMA_VERSION = 2;

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

export interface ComparisonFile {
  readonly format: typeof COMPARISON_FILE_FORMAT;
  readonly schemaVersion: typeof COMPARISON_SCHEMA_VERSION;
  readonly createdAt: string;
  readonly a: ModelRef;
  readonly b: ModelRef;
  readonly transform?: TransformInfo;
  /** What differs between the graphs (src/core/onnx/diff.ts; the same diff as Compare Models and `compare --structure-only`). */
  readonly structure: ModelDiff;
  readonly verify: VerifyResult;
  /** Run files (names in the comparison file's folder) of the profiles compared. */
  readonly runs?: { readonly a: string; readonly b: string };
  readonly comparison?: RunComparison;
}

/** A side of the structural diff as the comparison names it. */
export function modelRef(s: DiffSide): ModelRef {
  return { path: s.path, name: s.name, sizeBytes: s.totalBytes };
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
