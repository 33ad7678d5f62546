/**
 * One job in a forked Node process — what the ONNX Runtime worker (ort-client.ts) and the transform
 * worker (transform-client.ts) share. The caller sends one message and settles on the answer; a
 * cancel or the timeout kills the child (SIGKILL), an exit without an answer is a crash. Nothing the
 * child does can block or end the caller (the extension host or the CLI).
 *
 * When the child is killed or crashes, the promise rejects only once the child has exited (or 2 s
 * after the kill, should the system not report it), after `onFailedExit`: a cleanup there runs when
 * the child can no longer write anything.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ForkedJob<In, Out, R> {
  /** The bundled worker script (dist/*.js). */
  readonly workerPath: string;
  readonly message: In;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** The answer (`ok`), the child's own failure (`error`), or undefined for anything else (progress). */
  onMessage(m: Out): { readonly ok: R } | { readonly error: Error } | undefined;
  readonly errors: {
    cancelled(): Error;
    timeout(ms: number): Error;
    /** `how`: "exit code 3" or "signal SIGABRT"; `stderr`: ": <its last line>" or "". */
    crashed(how: string, stderr: string): Error;
    spawnFailed(e: Error): Error;
  };
  /** After a kill or a crash, before the promise rejects (the child's pid, when it started). */
  onFailedExit?(pid: number | undefined): void;
}

/** How long a killed child may take to be reported gone before the promise rejects anyway. */
const KILL_GRACE_MS = 2000;

export function runForked<In, Out, R>(job: ForkedJob<In, Out, R>): Promise<R> {
  return new Promise((resolve, reject) => {
    if (job.signal?.aborted) {
      reject(job.errors.cancelled());
      return;
    }
    const child = fork(job.workerPath, [], {
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
    const alive = () => child.exitCode === null && child.signalCode === null;
    let state: 'running' | 'ending' | 'settled' = 'running';
    let failure: Error | undefined;
    let grace: NodeJS.Timeout | undefined;
    const stopWatching = () => {
      clearTimeout(timer);
      job.signal?.removeEventListener('abort', onAbort);
    };
    const settle = (f: () => void) => {
      if (state === 'settled') return;
      state = 'settled';
      stopWatching();
      clearTimeout(grace);
      f();
    };
    /** The child is gone (or should be): clean up after it, then reject. */
    const ended = () =>
      settle(() => {
        try {
          job.onFailedExit?.(child.pid);
        } finally {
          reject(failure);
        }
      });
    const kill = (e: Error) => {
      if (state !== 'running') return;
      state = 'ending';
      failure = e;
      stopWatching();
      if (!alive()) {
        ended();
        return;
      }
      child.kill('SIGKILL');
      grace = setTimeout(ended, KILL_GRACE_MS);
    };
    const onAbort = () => kill(job.errors.cancelled());
    job.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => kill(job.errors.timeout(job.timeoutMs)), job.timeoutMs);
    child.on('message', (m: Out) => {
      if (state !== 'running') return;
      const r = job.onMessage(m);
      if (!r) return;
      settle(() => {
        if (alive()) child.kill('SIGKILL');
        if ('ok' in r) resolve(r.ok);
        else reject(r.error);
      });
    });
    child.on('error', (e) => {
      if (state === 'running') settle(() => reject(job.errors.spawnFailed(e)));
    });
    child.on('exit', (code, signal) => {
      if (state === 'running') {
        state = 'ending';
        failure = job.errors.crashed(signal ? `signal ${signal}` : `exit code ${code}`, lastLine(stderr));
        stopWatching();
      }
      if (state === 'ending') ended();
    });
    child.send(job.message as object);
  });
}

function lastLine(s: string): string {
  const l = s.trim().split('\n').filter(Boolean).pop();
  return l ? `: ${l.slice(0, 300)}` : '';
}

/**
 * What a job that writes `out` may leave when its process is killed: files in out's folder whose
 * names `isTemp` recognizes as that process's, and `out` or `<out>.data` when they were not there
 * when the job started (the process died between renaming them into place and answering).
 * Create it before the job starts; call `remove(pid)` from onFailedExit.
 */
export function leftovers(out: string, isTemp: (name: string, pid: number) => boolean): { remove(pid: number | undefined): void } {
  const finals = [out, `${out}.data`].filter((f) => !fs.existsSync(f));
  return {
    remove(pid) {
      const dir = path.dirname(out);
      let names: string[] = [];
      try {
        names = pid === undefined ? [] : fs.readdirSync(dir);
      } catch {
        // the folder is gone: nothing to remove
      }
      const doomed = [...names.filter((n) => isTemp(n, pid!)).map((n) => path.join(dir, n)), ...finals];
      for (const f of doomed) fs.rmSync(f, { recursive: true, force: true });
    },
  };
}
