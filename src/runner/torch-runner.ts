/**
 * Runs the PyTorch harness (torch_harness.py, shipped next to the bundles) with the user's Python
 * in its own process group: cancel, a timeout or the caller going away kill the whole tree (the
 * script's DataLoader workers and subprocesses included), never the caller. Progress comes as
 * `@@inference-lens {json}` lines on stdout; everything else the script prints is passed through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTorchResult, type TorchRunResult, type TorchSchedule } from '../core/results/torch-run';

export type { TorchRunResult, TorchSchedule } from '../core/results/torch-run';
export const HARNESS_EVENT_PREFIX = '@@inference-lens ';

export type TorchRunErrorCode =
  | 'python-missing'
  | 'torch-missing'
  | 'cuda-missing'
  | 'script-missing'
  | 'script-syntax'
  | 'script-error'
  | 'script-exit'
  | 'function-missing'
  | 'function-arguments'
  | 'function-async'
  | 'no-steps'
  | 'usage'
  | 'cancelled'
  | 'timeout'
  | 'crashed';

export class TorchRunError extends Error {
  override readonly name = 'TorchRunError';
  constructor(
    readonly code: TorchRunErrorCode,
    message: string,
    readonly hint: string,
    /** Where the user's code raised, when it did. */
    readonly location?: { readonly file: string; readonly line: number },
  ) {
    super(message);
  }
}

export function isTorchRunError(e: unknown): e is TorchRunError {
  return e instanceof TorchRunError;
}

export const DEFAULT_TORCH_SCHEDULE: TorchSchedule = { wait: 1, warmup: 1, active: 3, repeat: 1 };

/** How steps are delimited: each outermost nn.Module call, one call of a named function, or none (the whole run). */
export type TorchStepMode = { readonly kind: 'forward' } | { readonly kind: 'function'; readonly name: string } | { readonly kind: 'none' };

export interface TorchRunOptions {
  /** The interpreter (a path, or a command on PATH such as `python3`). */
  readonly python: string;
  /** torch_harness.py. */
  readonly harness: string;
  readonly script: string;
  readonly scriptArgs?: readonly string[];
  readonly steps: TorchStepMode;
  readonly schedule?: TorchSchedule;
  readonly device?: 'auto' | 'cpu' | 'cuda';
  /** Output folder (created): the trace(s) and result.json. */
  readonly outDir: string;
  readonly cwd?: string;
  readonly withStack?: boolean;
  readonly profileMemory?: boolean;
  readonly recordShapes?: boolean;
  /** Let the script finish after the schedule instead of stopping it. */
  readonly runToEnd?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Kill the tree after this long (default 30 minutes). */
  readonly timeoutMs?: number;
  readonly onEvent?: (e: HarnessEvent) => void;
  /** The script's own output (stdout without the harness's lines, and stderr). */
  readonly onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export type HarnessEvent =
  | { readonly event: 'start'; readonly python: string; readonly torch: string; readonly cuda: boolean; readonly device: string; readonly steps: number | null }
  | { readonly event: 'step'; readonly step: number; readonly phase: 'wait' | 'warmup' | 'active' | 'after'; readonly ms: number; readonly of: number }
  | { readonly event: 'trace'; readonly path: string }
  | { readonly event: 'done'; readonly result: string; readonly traces: readonly string[] }
  | { readonly event: 'functions'; readonly functions: readonly ScriptFunction[] }
  | { readonly event: 'error'; readonly code: TorchRunErrorCode; readonly message: string; readonly hint: string; readonly file?: string; readonly line?: number };

export interface ScriptFunction {
  readonly name: string;
  readonly line: number;
  /** Arguments a call must pass; the harness can call only functions with 0. */
  readonly requiredArgs: number;
  readonly async: boolean;
  readonly doc: string;
}

/** The harness's command line for these options (without the interpreter). */
export function harnessArgs(o: TorchRunOptions): string[] {
  const s = o.schedule ?? DEFAULT_TORCH_SCHEDULE;
  const args = ['-u', o.harness, '--out', o.outDir];
  if (o.steps.kind === 'function') args.push('--function', o.steps.name);
  else args.push('--steps', o.steps.kind);
  args.push('--wait', String(s.wait), '--warmup', String(s.warmup), '--active', String(s.active), '--repeat', String(s.repeat));
  args.push('--device', o.device ?? 'auto');
  if (o.withStack === false) args.push('--no-stack');
  if (o.profileMemory === false) args.push('--no-memory');
  if (o.recordShapes === false) args.push('--no-shapes');
  if (o.runToEnd) args.push('--run-to-end');
  args.push(o.script);
  if (o.scriptArgs?.length) args.push('--', ...o.scriptArgs);
  return args;
}

interface Spawned {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly events: HarnessEvent[];
  readonly stderrTail: string;
}

/** Kills the child's whole process group: SIGTERM, then SIGKILL if anything is left after `graceMs`. */
export function killProcessTree(child: ChildProcess, graceMs = 2000): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill('SIGTERM');
  const t = setTimeout(() => kill('SIGKILL'), graceMs);
  t.unref();
}

function spawnHarness(
  python: string,
  args: readonly string[],
  o: Pick<TorchRunOptions, 'cwd' | 'env' | 'signal' | 'timeoutMs' | 'onEvent' | 'onOutput'>,
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new TorchRunError('cancelled', 'Cancelled.', ''));
      return;
    }
    const child = spawn(python, args, {
      cwd: o.cwd,
      env: { ...(o.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a cancel reaches the script's children too.
      detached: true,
    });
    const events: HarnessEvent[] = [];
    let stderrTail = '';
    let pending = '';
    let ended: TorchRunError | undefined;
    const end = (e: TorchRunError) => {
      if (ended) return;
      ended = e;
      killProcessTree(child);
    };
    const onAbort = () => end(new TorchRunError('cancelled', 'Cancelled; the Python process and its children were stopped.', ''));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // Detached (its own process group): it would outlive the caller going away, so take it along.
    const onCallerExit = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    process.once('exit', onCallerExit);
    const timeoutMs = o.timeoutMs ?? 30 * 60_000;
    const timer = setTimeout(
      () =>
        end(
          new TorchRunError(
            'timeout',
            `The script did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`,
            'Lower the schedule (wait/warmup/active), name a function to call, or raise the timeout.',
          ),
        ),
      timeoutMs,
    );
    const line = (l: string) => {
      if (l.startsWith(HARNESS_EVENT_PREFIX)) {
        try {
          const e = JSON.parse(l.slice(HARNESS_EVENT_PREFIX.length)) as HarnessEvent;
          events.push(e);
          o.onEvent?.(e);
          return;
        } catch {
          /* not ours after all: pass it through */
        }
      }
      o.onOutput?.(`${l}\n`, 'stdout');
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        line(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      o.onOutput?.(chunk, 'stderr');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      process.off('exit', onCallerExit);
      o.signal?.removeEventListener('abort', onAbort);
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        reject(
          new TorchRunError(
            'python-missing',
            `Python interpreter "${python}" was not found`,
            'Select one with "Python: Select Interpreter" (Python extension), or set inferenceLens.python.interpreter to a Python that has torch.',
          ),
        );
      } else reject(new TorchRunError('crashed', `Could not start ${python}: ${e.message}`, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onCallerExit);
      o.signal?.removeEventListener('abort', onAbort);
      if (pending) line(pending);
      if (ended) reject(ended);
      else resolve({ code, signal, events, stderrTail });
    });
  });
}

function failure(r: Spawned, python: string): TorchRunError {
  const err = r.events.find((e): e is Extract<HarnessEvent, { event: 'error' }> => e.event === 'error');
  if (err) {
    return new TorchRunError(err.code, err.message, err.hint, err.file && err.line ? { file: err.file, line: err.line } : undefined);
  }
  const last = r.stderrTail.trim().split('\n').slice(-1)[0] ?? '';
  if (r.signal) {
    return new TorchRunError('crashed', `The Python process was killed by ${r.signal}${last ? `: ${last}` : ''}`, 'A native crash or the out-of-memory killer; see the output for the last lines.');
  }
  return new TorchRunError('crashed', `${python} exited with code ${r.code}${last ? `: ${last}` : ''}`, 'See the output for the full message.');
}

/** Profiles the script (or function) and returns result.json; the trace paths are in `traces`. */
export async function runTorchHarness(o: TorchRunOptions): Promise<TorchRunResult> {
  fs.mkdirSync(o.outDir, { recursive: true });
  const r = await spawnHarness(o.python, harnessArgs(o), o);
  if (r.code !== 0) throw failure(r, o.python);
  const done = r.events.find((e): e is Extract<HarnessEvent, { event: 'done' }> => e.event === 'done');
  const resultPath = done?.result ?? path.join(o.outDir, 'result.json');
  let text: string;
  try {
    text = fs.readFileSync(resultPath, 'utf8');
  } catch (e) {
    throw new TorchRunError('crashed', `The harness finished without a result (${(e as Error).message})`, 'See the output.');
  }
  const parsed = parseTorchResult(text);
  if (!('result' in parsed)) throw new TorchRunError('crashed', parsed.message, 'The harness and the extension do not match; reinstall the extension.');
  const result = parsed.result;
  if (!result.traces.length) throw new TorchRunError('no-steps', 'The run recorded no trace', 'Raise active steps or profile the whole run.');
  return result;
}

/** The script's top-level functions (parsed with Python's ast; none of the script runs). */
export async function listScriptFunctions(
  python: string,
  harness: string,
  script: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ScriptFunction[]> {
  const r = await spawnHarness(python, ['-u', harness, '--list-functions', script], { timeoutMs: 30_000, ...opts });
  if (r.code !== 0) throw failure(r, python);
  const f = r.events.find((e): e is Extract<HarnessEvent, { event: 'functions' }> => e.event === 'functions');
  if (!f) throw new TorchRunError('crashed', 'The harness listed no functions', 'See the output.');
  return [...f.functions];
}

/**
 * The interpreter to use, first that is set: the Python extension's active environment, the
 * `inferenceLens.python.interpreter` setting, then `python3` on PATH.
 */
export function chooseInterpreter(c: { pythonExtension?: string; setting?: string }): { python: string; source: 'python-extension' | 'setting' | 'default' } {
  if (c.pythonExtension?.trim()) return { python: c.pythonExtension.trim(), source: 'python-extension' };
  if (c.setting?.trim()) return { python: c.setting.trim(), source: 'setting' };
  return { python: 'python3', source: 'default' };
}

/** Splits a command line the way a POSIX shell would for plain words and quotes (no expansions). */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (any || cur) out.push(cur);
  return out;
}
