/**
 * Runs the graph build (./graph-worker.ts) in a worker thread. Cancel terminates the thread at
 * once; a crash in it reaches the caller as an error, never the caller's thread.
 */
import { Worker } from 'node:worker_threads';
import type { GraphCost, ModelGraph } from '../core/graph/types';
import { OnnxError, type OnnxErrorCode, type TensorInfo } from '../core/onnx';

export interface GraphWorkerInput {
  readonly modelPath: string;
  /** Values for symbolic dims (missing ones get Profile Model…'s defaults). */
  readonly dims: Readonly<Record<string, number>>;
}

export type GraphWorkerOutput =
  | {
      readonly ok: true;
      readonly graph: ModelGraph;
      readonly cost: GraphCost | undefined;
      readonly tensors: readonly TensorInfo[];
      /** The dims the costs are for. */
      readonly dims: Readonly<Record<string, number>>;
      readonly warning: string | undefined;
      readonly millis: number;
    }
  | { readonly ok: false; readonly code: OnnxErrorCode | 'internal'; readonly message: string; readonly hint: string; readonly stack?: string };

export type GraphBuild = Extract<GraphWorkerOutput, { ok: true }>;

export class GraphBuildError extends Error {
  override readonly name = 'GraphBuildError';
  constructor(
    readonly code: OnnxErrorCode | 'internal',
    message: string,
    readonly hint: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * Builds the graph of the model at `modelPath` in a worker thread running `workerPath`
 * (dist/graph-worker.js). Rejects with GraphBuildError (code 'cancelled' when `signal` aborts).
 */
export function buildGraphInWorker(workerPath: string, input: GraphWorkerInput, signal?: AbortSignal): Promise<GraphBuild> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new GraphBuildError('cancelled', 'Building the graph was cancelled.', ''));
      return;
    }
    const worker = new Worker(workerPath, { workerData: input });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = (): void => {
      void worker.terminate();
      settle(() => reject(new GraphBuildError('cancelled', 'Building the graph was cancelled.', '')));
    };
    signal?.addEventListener('abort', onAbort);
    worker.once('message', (m: GraphWorkerOutput) => {
      settle(() => (m.ok ? resolve(m) : reject(new GraphBuildError(m.code, m.message, m.hint, m.stack))));
      void worker.terminate();
    });
    worker.once('error', (e) => settle(() => reject(new GraphBuildError('internal', `The graph build failed: ${e.message}`, '', e.stack))));
    worker.once('exit', (code) => settle(() => reject(new GraphBuildError('internal', `The graph build stopped unexpectedly (exit code ${code}).`, ''))));
  });
}

/** OnnxError codes keep their hints (cancelled has none). */
export function isCancelled(e: unknown): boolean {
  return (e instanceof GraphBuildError && e.code === 'cancelled') || (e instanceof OnnxError && e.code === 'cancelled');
}
