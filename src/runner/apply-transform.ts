/**
 * One transformation of a model into a new file next to it — INT8, FP16, dims (src/core/optimize,
 * run in the transform worker process) or ONNX Runtime's graph optimization (the ORT worker
 * process) — with a short description of what changed for the comparison. Nothing heavy runs in
 * the caller's process (the extension host): cancel kills the worker, a crash ends only the worker.
 * The source is only read; the output never replaces an existing file, and no partial output stays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TransformInfo } from '../core/compare/comparison';
import { formatBytes } from '../core/format';
import { compareModelFiles } from '../core/onnx';
import { diffLines } from '../core/onnx/diff-report';
import { uniqueOutputPath, type TransformKind, type TransformReport } from '../core/optimize';
import type { Fix } from '../core/recommend';
import type { ExecutionProvider } from '../core/results/ort-run';
import { optimizeGraphWithOrt } from './ort-client';
import { transformInWorker, type CoreTransformSpec } from './transform-client';

export type TransformSpec = CoreTransformSpec | { readonly kind: 'graph'; readonly level: 'basic' | 'extended' | 'all' };

export interface ApplyOptions {
  /** The ONNX Runtime worker (dist/ort-worker.js): graph optimization. */
  readonly workerPath: string;
  /** The transform worker (dist/transform-worker.js): INT8, FP16, dims. */
  readonly transformWorkerPath: string;
  readonly signal?: AbortSignal;
  /** The provider graph optimization runs on (its fusions depend on it). */
  readonly ep: ExecutionProvider;
  readonly timeoutMs?: number;
  /** Share done in [0, 1] and what is happening. */
  readonly onProgress?: (done: number, message: string) => void;
  /** Where to write; default: next to the source, `model.int8.onnx` (`-2`, `-3`… when taken). */
  readonly outPath?: string;
}

/** A recommendation's fix as a transformation. */
export function specOfFix(fix: Fix): TransformSpec {
  switch (fix.kind) {
    case 'int8':
      return { kind: 'int8', options: {} };
    case 'fp16':
      return { kind: 'fp16', options: {} };
    case 'dynamic-axes':
      return { kind: 'dims', changes: fix.axes.map((a) => ({ value: a.value, axis: a.axis, to: a.name })) };
    case 'optimize-graph':
      return { kind: 'graph', level: fix.level };
  }
}

export function specTitle(spec: TransformSpec): string {
  switch (spec.kind) {
    case 'int8':
      return `Quantize to INT8${spec.options.perChannel ? ' (per-channel)' : ''}`;
    case 'fp16':
      return `Convert to FP16${spec.options.keepIoFp32 === false ? ' (float16 inputs and outputs)' : ''}`;
    case 'dims':
      return 'Make axes dynamic';
    case 'graph':
      return `Optimize graph (${spec.level})`;
  }
}

const KIND: Readonly<Record<TransformSpec['kind'], TransformKind>> = { int8: 'int8', fp16: 'fp16', dims: 'dims', graph: 'graph' };

/** What a TransformReport says changed, a line each (totals first, then the first changes). */
export function describeReport(r: TransformReport, maxChanges = 12): string[] {
  const lines = [`nodes ${r.nodesBefore} → ${r.nodesAfter}`, `size on disk ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}`, `weights ${formatBytes(r.weightsBefore)} → ${formatBytes(r.weightsAfter)}`];
  if (r.int8) lines.push(`${r.int8.nodesQuantized} MatMul/Gemm quantized (${r.int8.format}${r.int8.perChannel ? ', per-channel' : ''}), ${r.int8.nodesSkipped} skipped`);
  if (r.fp16) lines.push(`${r.fp16.tensorsConverted} tensors converted to float16, ${r.fp16.nodesKeptFp32} nodes kept in float32, ${r.fp16.castsInserted} Casts inserted`);
  if (r.dims) lines.push(`${r.dims.dimsChanged} dims changed`);
  const details = r.changes.filter((c) => c.action !== 'converted').slice(0, maxChanges);
  for (const c of details) lines.push(`${c.name}: ${c.detail}`);
  const rest = r.changes.length - details.length;
  if (rest > 0) lines.push(`… ${rest} more changes`);
  return lines;
}

/** Runs the transformation; resolves with the new file and what changed. Failures are TransformRunError (INT8, FP16, dims) or OrtRunError (graph). */
export async function applyTransform(src: string, spec: TransformSpec, opts: ApplyOptions): Promise<{ outPath: string; info: TransformInfo }> {
  const out = opts.outPath ?? uniqueOutputPath(src, KIND[spec.kind], fs.existsSync);
  const title = specTitle(spec);
  const worker = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) };
  if (spec.kind === 'graph') {
    opts.onProgress?.(0, `ONNX Runtime optimizes ${path.basename(src)} at level ${spec.level}…`);
    const r = await optimizeGraphWithOrt({ modelPath: src, outPath: out, level: spec.level, ep: opts.ep, allowCpuFallback: false }, { workerPath: opts.workerPath, ...worker });
    const d = await compareModelFiles(src, r.outPath);
    const changes = [
      `saved by ONNX Runtime ${spec.level === 'all' ? '(all levels, layout included)' : `up to level ${spec.level}`} on ${r.ep.toUpperCase()} in ${Math.round(r.ms)} ms`,
      `size on disk ${formatBytes(d.size.a)} → ${formatBytes(d.size.b)}`,
      ...diffLines(d, 8),
    ];
    return { outPath: r.outPath, info: { kind: 'optimize-graph', title, changes, warnings: r.notes } };
  }
  const report = await transformInWorker(src, spec, {
    workerPath: opts.transformWorkerPath,
    outPath: out,
    ...worker,
    onProgress: (p) => {
      if (p.stage === 'write' && p.totalBytes > 0) opts.onProgress?.(p.doneBytes / p.totalBytes, `writing ${p.tensor ?? 'weights'}…`);
      else if (p.stage === 'read') opts.onProgress?.(0, `reading ${path.basename(src)}…`);
    },
  });
  return { outPath: report.output, info: { kind: spec.kind, title, changes: describeReport(report), warnings: report.warnings } };
}
