/**
 * Runs the ONNX Runtime worker in a child process. A crash, a hang or a cancel ends the child,
 * never the caller (the extension host or the CLI).
 */
import { fork } from 'node:child_process';
import type { FromWorker, OrtProfileRequest, OrtProfileResult, OrtWorkerError, ToWorker } from './ort-protocol';

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
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new OrtRunError({ code: 'cancelled', message: 'Profiling was cancelled.', hint: '' }));
      return;
    }
    const child = fork(opts.workerPath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // In VS Code's extension host process.execPath is Electron; run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      f();
    };
    const onAbort = () => finish(() => reject(new OrtRunError({ code: 'cancelled', message: 'Profiling was cancelled.', hint: '' })));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new OrtRunError({
              code: 'timeout',
              message: `ONNX Runtime did not finish within ${Math.round(timeoutMs / 1000)} s; the worker was stopped.`,
              hint: 'Use fewer runs or smaller input dims, or raise the timeout.',
            }),
          ),
        ),
      timeoutMs,
    );
    child.on('message', (m: FromWorker) => {
      if (m.type === 'progress') opts.onProgress?.(m);
      else if (m.type === 'result') finish(() => resolve(m.result));
      else if (m.type === 'error') finish(() => reject(new OrtRunError(m.error)));
    });
    child.on('error', (e) =>
      finish(() => reject(new OrtRunError({ code: 'crashed', message: `Could not start the profiler process: ${e.message}`, hint: 'Reinstall the extension.' }))),
    );
    child.on('exit', (code, signal) =>
      finish(() =>
        reject(
          new OrtRunError({
            code: 'crashed',
            message: `The ONNX Runtime process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLine(stderr)}.`,
            hint: 'ONNX Runtime crashed on this model; try graph optimization "disabled" or another execution provider. The editor is unaffected.',
          }),
        ),
      ),
    );
    child.send({ type: 'profile', request } satisfies ToWorker);
  });
}

function lastLine(s: string): string {
  const l = s.trim().split('\n').filter(Boolean).pop();
  return l ? `: ${l.slice(0, 300)}` : '';
}
