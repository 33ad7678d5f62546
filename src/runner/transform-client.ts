/**
 * Runs a core transformation (INT8, FP16, dims) in the transform worker, a child process: the
 * extension host only waits. Cancel and the timeout kill the process at once; a crash ends only
 * the child. Either way the source model is only read, and nothing of a half-written output stays:
 * the temp files of a killed worker (and an output it renamed but never reported) are removed here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isWriterTempFile } from '../core/onnx/model-writer';
import { uniqueOutputPath, type TransformProgress, type TransformReport, type WriteExternalData } from '../core/optimize';
import { leftovers, runForked } from './fork-worker';
import type { CoreTransformSpec, FromTransformWorker, ToTransformWorker, TransformErrorCode } from './transform-protocol';

export type { CoreTransformSpec, TransformErrorCode } from './transform-protocol';

export class TransformRunError extends Error {
  override readonly name = 'TransformRunError';
  constructor(
    readonly code: TransformErrorCode,
    message: string,
    /** What to do about it, one line ('' when there is nothing to do, as for a cancel). */
    readonly hint: string,
  ) {
    super(message);
  }
}

export function isTransformRunError(e: unknown): e is TransformRunError {
  return e instanceof TransformRunError;
}

export interface TransformInWorkerOptions {
  /** Path of the bundled worker (dist/transform-worker.js). */
  readonly workerPath: string;
  readonly signal?: AbortSignal;
  /** The core's progress (stage, bytes written), at most every 100 ms. */
  readonly onProgress?: (p: TransformProgress) => void;
  /** Kill the worker after this long (default 30 minutes). */
  readonly timeoutMs?: number;
  /** Where to write; default: next to the source, `model.int8.onnx` (`-2`, `-3`… when taken). */
  readonly outPath?: string;
  readonly overwrite?: boolean;
  readonly externalData?: WriteExternalData;
}

const UNCHANGED = 'The source model is unchanged and no partial output was left.';

/** The transformation's report (the new file is `report.output`). Failures are TransformRunError. */
export function transformInWorker(src: string, spec: CoreTransformSpec, opts: TransformInWorkerOptions): Promise<TransformReport> {
  const source = path.resolve(src);
  const out = path.resolve(opts.outPath ?? uniqueOutputPath(source, spec.kind, fs.existsSync));
  const left = leftovers(out, (name, pid) => isWriterTempFile(name, out, pid));
  return runForked<ToTransformWorker, FromTransformWorker, TransformReport>({
    workerPath: opts.workerPath,
    message: { type: 'transform', job: { src: source, out, spec, ...(opts.overwrite ? { overwrite: true } : {}), ...(opts.externalData ? { externalData: opts.externalData } : {}) } },
    ...(opts.signal ? { signal: opts.signal } : {}),
    timeoutMs: opts.timeoutMs ?? 30 * 60_000,
    onMessage: (m) => {
      switch (m.type) {
        case 'progress':
          opts.onProgress?.(m.progress);
          return undefined;
        case 'done':
          return { ok: m.report };
        case 'error':
          return { error: new TransformRunError(m.error.code, m.error.message, m.error.hint) };
      }
    },
    errors: {
      cancelled: () => new TransformRunError('cancelled', 'The transformation was cancelled.', ''),
      timeout: (ms) => new TransformRunError('timeout', `The transformation did not finish within ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s; it was stopped. ${UNCHANGED}`, 'Raise the timeout, or check free memory and disk space.'),
      crashed: (how, stderr) =>
        new TransformRunError('crashed', `The transform process ended unexpectedly (${how})${stderr}.`, `${UNCHANGED} If it happens again, the machine may be short of memory for this model.`),
      spawnFailed: (e) => new TransformRunError('crashed', `Could not start the transform process: ${e.message}`, 'Reinstall the extension.'),
    },
    onFailedExit: (pid) => left.remove(pid),
  });
}
