/**
 * Runs the ONNX Runtime worker in a child process. A crash, a hang or a cancel ends the child,
 * never the caller (the extension host or the CLI).
 */
import * as path from 'node:path';
import { leftovers, runForked } from './fork-worker';
import {
  EXECUTION_PROVIDERS,
  optimizeTempPrefix,
  providerInstallHint,
  type ExecutionProvider,
  type FromWorker,
  type OptimizeGraphRequest,
  type OptimizeGraphResult,
  type OrtProfileRequest,
  type OrtProfileResult,
  type OrtWorkerError,
  type ProviderProbe,
  type ToWorker,
  type VerifyRequest,
  type VerifyResult,
} from './ort-protocol';

export class OrtRunError extends Error {
  override readonly name = 'OrtRunError';
  constructor(readonly error: OrtWorkerError) {
    super(error.message);
  }
  get code() {
    return this.error.code;
  }
  get hint() {
    return this.error.hint;
  }
}

export interface RunOptions {
  /** Path of the bundled worker (dist/ort-worker.js). */
  readonly workerPath: string;
  readonly signal?: AbortSignal;
  /** Kill the worker after this long (default 10 minutes). */
  readonly timeoutMs?: number;
  readonly onProgress?: (p: Extract<FromWorker, { type: 'progress' }>) => void;
}

export function profileWithOrt(request: OrtProfileRequest, opts: RunOptions): Promise<OrtProfileResult> {
  return runWorker({ type: 'profile', request }, opts, (m) => (m.type === 'result' ? m.result : undefined), {
    what: 'Profiling',
    crashHint: 'ONNX Runtime crashed on this model; try graph optimization "disabled" or another execution provider. The editor is unaffected.',
  });
}

/**
 * Saves ORT's optimized model (see OptimizeGraphRequest) in the worker process. A killed or crashed
 * worker leaves nothing: its hidden folder and a half-renamed output are removed.
 */
export function optimizeGraphWithOrt(request: OptimizeGraphRequest, opts: Omit<RunOptions, 'onProgress'>): Promise<OptimizeGraphResult> {
  const left = leftovers(path.resolve(request.outPath), (name, pid) => name.startsWith(optimizeTempPrefix(pid)));
  return runWorker(
    { type: 'optimize', request },
    opts,
    (m) => (m.type === 'optimized' ? m.result : undefined),
    {
      what: 'Graph optimization',
      crashHint: 'ONNX Runtime crashed while optimizing this model; try a lower optimization level. The source model is unchanged.',
    },
    (pid) => left.remove(pid),
  );
}

/** Runs two models on the same inputs in the worker process and compares their outputs (see VerifyRequest). */
export function verifyWithOrt(request: VerifyRequest, opts: Omit<RunOptions, 'onProgress'>): Promise<VerifyResult> {
  return runWorker({ type: 'verify', request }, opts, (m) => (m.type === 'verified' ? m.result : undefined), {
    what: 'Verification',
    crashHint: 'ONNX Runtime crashed while running one of the models; try graph optimization "disabled" or another execution provider.',
  });
}

/**
 * Whether `ep` works here: onnxruntime-node's `listSupportedBackends` (is it bundled?) plus a trial
 * session that runs a one-node model, each provider in its own worker (a provider that crashes
 * while loading takes only its worker down and is reported unavailable).
 */
export function probeProvider(ep: ExecutionProvider, opts: Omit<RunOptions, 'onProgress'>): Promise<ProviderProbe> {
  return runWorker({ type: 'probe', ep }, { timeoutMs: 60_000, ...opts }, (m) => (m.type === 'probe' ? m.probe : undefined), {
    what: `Checking the ${ep} provider`,
    crashHint: 'The provider crashed ONNX Runtime while loading; it cannot be used here.',
  }).catch((e: unknown) => {
    if (e instanceof OrtRunError && (e.code === 'crashed' || e.code === 'timeout')) {
      return { ep, available: false, reason: e.message, hint: providerInstallHint(ep), ms: 0 };
    }
    throw e;
  });
}

/** Every execution provider Inference Lens knows, probed in parallel (see probeProvider). */
export function probeProviders(opts: Omit<RunOptions, 'onProgress'>): Promise<ProviderProbe[]> {
  return Promise.all(EXECUTION_PROVIDERS.map((ep) => probeProvider(ep, opts)));
}

/** Forks the worker, sends `message`, and settles with the answer `pick` recognizes (or the worker's error). */
function runWorker<R>(
  message: ToWorker,
  opts: RunOptions,
  pick: (m: FromWorker) => R | undefined,
  text: { readonly what: string; readonly crashHint: string },
  onFailedExit?: (pid: number | undefined) => void,
): Promise<R> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  return runForked<ToWorker, FromWorker, R>({
    workerPath: opts.workerPath,
    message,
    ...(opts.signal ? { signal: opts.signal } : {}),
    timeoutMs,
    onMessage: (m) => {
      if (m.type === 'progress') {
        opts.onProgress?.(m);
        return undefined;
      }
      if (m.type === 'error') return { error: new OrtRunError(m.error) };
      const answer = pick(m);
      return answer === undefined ? undefined : { ok: answer };
    },
    errors: {
      cancelled: () => new OrtRunError({ code: 'cancelled', message: `${text.what} was cancelled.`, hint: '' }),
      timeout: (ms) =>
        new OrtRunError({ code: 'timeout', message: `ONNX Runtime did not finish within ${Math.round(ms / 1000)} s; the worker was stopped.`, hint: 'Use fewer runs or smaller input dims, or raise the timeout.' }),
      crashed: (how, stderr) => new OrtRunError({ code: 'crashed', message: `The ONNX Runtime process ended unexpectedly (${how})${stderr}.`, hint: text.crashHint }),
      spawnFailed: (e) => new OrtRunError({ code: 'crashed', message: `Could not start the ONNX Runtime process: ${e.message}`, hint: 'Reinstall the extension.' }),
    },
    ...(onFailedExit ? { onFailedExit } : {}),
  });
}
