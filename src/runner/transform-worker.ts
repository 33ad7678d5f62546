/**
 * The transform worker (bundled as dist/transform-worker.js, forked by transform-client.ts): runs
 * one core transformation (src/core/optimize) and exits. The core writes the output atomically
 * (hidden temp files renamed into place); when this process is killed the client removes what it
 * left. Should the parent go away, the transformation is aborted (the core removes its temp files).
 */
import { isOnnxError } from '../core/onnx';
import { convertFp16, isOptimizeError, quantizeInt8, setDims, type TransformProgress, type TransformReport, type TransformRunOptions } from '../core/optimize';
import type { FromTransformWorker, ToTransformWorker, TransformJob, TransformWorkerError } from './transform-protocol';

/** Progress goes out at most this often (and at every stage change). */
const PROGRESS_EVERY_MS = 100;

/** Runs `job` in this process (the worker's entry point calls it; tests may too). */
export function runTransformJob(job: TransformJob, run: TransformRunOptions): Promise<TransformReport> {
  const opts: TransformRunOptions = { ...run, ...(job.overwrite ? { overwrite: true } : {}), ...(job.externalData ? { externalData: job.externalData } : {}) };
  const spec = job.spec;
  switch (spec.kind) {
    case 'int8':
      return quantizeInt8(job.src, job.out, spec.options, opts);
    case 'fp16':
      return convertFp16(job.src, job.out, spec.options, opts);
    case 'dims':
      return setDims(job.src, job.out, { changes: spec.changes }, opts);
  }
}

/** A failure as the client reports it: the core's typed errors keep their code and hint. */
export function transformFailure(e: unknown): TransformWorkerError {
  if (isOptimizeError(e)) return { code: e.code, message: e.message, hint: e.hint };
  if (isOnnxError(e)) return { code: 'model-unreadable', message: e.message, hint: e.hint };
  const why = String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 500);
  return { code: 'crashed', message: `The transformation failed: ${why}`, hint: 'The source model is unchanged. Please report this with the model if you can share it.' };
}

function send(m: FromTransformWorker): void {
  process.send?.(m);
}

// Entry point when forked.
if (require.main === module && process.send) {
  process.once('message', (m: ToTransformWorker) => {
    if (m?.type !== 'transform') return;
    const abort = new AbortController();
    process.once('disconnect', () => abort.abort());
    let last = 0;
    let stage = '';
    const onProgress = (p: TransformProgress) => {
      const now = performance.now();
      if (p.stage === stage && now - last < PROGRESS_EVERY_MS) return;
      stage = p.stage;
      last = now;
      send({ type: 'progress', progress: p });
    };
    runTransformJob(m.job, { signal: abort.signal, onProgress }).then(
      (report) => send({ type: 'done', report }),
      (e: unknown) => send({ type: 'error', error: transformFailure(e) }),
    ).finally(() => process.disconnect?.());
  });
}
