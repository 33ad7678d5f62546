/**
 * `inference-lens torch <script.py>`: profile PyTorch code with the same harness and runner the
 * extension's "Profile PyTorch Script…" uses, then print the run and its trace's summary.
 */
import * as path from 'node:path';
import { formatBytes, formatMs, withHint } from '../core/format';
import { summarizeProfile, type TraceSummary } from '../core/profile';
import { activeStepStats, type TorchRunResult } from '../core/results/torch-run';
import { importTraceFile } from '../core/trace';
import { chooseInterpreter, isTorchRunError, runTorchHarness, type TorchStepMode } from '../runner/torch-runner';
import { errorLine } from './errors';
import { CliUsageError } from './profile-command';

export const TORCH_USAGE = `Usage: inference-lens torch <script.py> [options] [-- script arguments]

Runs the script with Python under torch.profiler (CPU and CUDA activities, shapes, memory, Python
stacks) and prints the run and its trace summary. Open the trace in VS Code with Inference Lens.

  --function NAME        call NAME() once per step instead of running the script
  --steps forward|none   forward (default): one step per outermost nn.Module call;
                         none: the whole run, no schedule
  --wait N --warmup N --active N --repeat N
                         torch.profiler.schedule (default 1, 1, 3, 1)
  --device auto|cpu|cuda auto (default): CUDA when available
  --python PATH          interpreter (default: $INFERENCE_LENS_PYTHON, else python3)
  --out DIR              where the trace and result.json go (default: ./inference-lens-torch/<script>-<time>)
  --run-to-end           let the script finish after the schedule
  --timeout SECONDS      stop the script and its children after this long (default 1800)
  --json                 print { schemaVersion, result (result.json), resultPath, traces (summaries) }

Exit codes: 0 profiled; 2 bad usage, Python/torch/CUDA missing, or the script failed.`;

const INT_OPTS = ['--wait', '--warmup', '--active', '--repeat', '--timeout'] as const;

/** What `torch --json` prints (src/cli/schemas/torch.schema.json). */
export const TORCH_JSON_SCHEMA_VERSION = 1;
export interface TorchJson {
  readonly schemaVersion: typeof TORCH_JSON_SCHEMA_VERSION;
  /** The harness's result.json. */
  readonly result: TorchRunResult;
  readonly resultPath: string;
  /** A summary of each trace written (one per schedule cycle). */
  readonly traces: readonly TraceSummary[];
}

interface Io {
  out(s: string): void;
  err(s: string): void;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function torchCommand(args: readonly string[], io: Io, harness: string, renderTrace: (s: TraceSummary) => string): Promise<number> {
  const cut = args.indexOf('--');
  const own = cut >= 0 ? args.slice(0, cut) : args;
  const scriptArgs = cut >= 0 ? args.slice(cut + 1) : [];
  if (own.includes('--help') || own.includes('-h')) {
    io.out(`${TORCH_USAGE}\n`);
    return 0;
  }
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    if (['--function', '--steps', '--device', '--python', '--out', ...INT_OPTS].includes(a)) {
      const v = own[++i];
      if (v === undefined || v.startsWith('--')) throw new CliUsageError(`${a} needs a value`);
      values.set(a, v);
    } else if (a === '--json' || a === '--run-to-end') flags.add(a);
    else if (a.startsWith('-')) throw new CliUsageError(`unknown option '${a}' for torch (see inference-lens torch --help)`);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new CliUsageError('torch takes one script: inference-lens torch <script.py> [options] [-- script arguments]');
  const ints: Record<string, number> = {};
  for (const k of INT_OPTS) {
    const v = values.get(k);
    if (v === undefined) continue;
    const n = Number(v);
    const min = k === '--active' || k === '--repeat' || k === '--timeout' ? 1 : 0;
    if (!Number.isInteger(n) || n < min) throw new CliUsageError(`${k} takes a whole number ≥ ${min}, got '${v}'`);
    ints[k] = n;
  }
  const stepsOpt = values.get('--steps');
  if (stepsOpt !== undefined && stepsOpt !== 'forward' && stepsOpt !== 'none') throw new CliUsageError(`--steps takes forward or none, got '${stepsOpt}'`);
  const fn = values.get('--function');
  if (fn !== undefined && stepsOpt !== undefined) throw new CliUsageError('--function and --steps cannot be combined');
  const device = values.get('--device') ?? 'auto';
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda') throw new CliUsageError(`--device takes auto, cpu or cuda, got '${device}'`);
  const steps: TorchStepMode = fn !== undefined ? { kind: 'function', name: fn } : { kind: stepsOpt === 'none' ? 'none' : 'forward' };
  const script = path.resolve(positional[0]!);
  const python = values.get('--python') ?? chooseInterpreter({ setting: process.env['INFERENCE_LENS_PYTHON'] }).python;
  const outDir = path.resolve(values.get('--out') ?? path.join('inference-lens-torch', `${path.basename(script, '.py')}-${stamp()}`));
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let result: TorchRunResult;
  try {
    result = await runTorchHarness({
      python,
      harness,
      script,
      scriptArgs,
      steps,
      schedule: { wait: ints['--wait'] ?? 1, warmup: ints['--warmup'] ?? 1, active: ints['--active'] ?? 3, repeat: ints['--repeat'] ?? 1 },
      device,
      outDir,
      runToEnd: flags.has('--run-to-end'),
      timeoutMs: (ints['--timeout'] ?? 1800) * 1000,
      signal: ac.signal,
      // The script's own output goes to stderr, so --json stays parseable on stdout.
      onOutput: (text) => io.err(text),
      onEvent: (e) => {
        if (!flags.has('--json') && e.event === 'step') io.err(`  step ${e.step}${e.of ? `/${e.of}` : ''} ${e.phase.padEnd(6)} ${formatMs(e.ms)} ms\n`);
      },
    });
  } catch (e) {
    if (isTorchRunError(e)) {
      io.err(errorLine(withHint(e.message, e.hint)));
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const traces = await Promise.all(result.traces.map(async (t) => summarizeProfile(await importTraceFile(t))));
  if (flags.has('--json')) {
    const out: TorchJson = { schemaVersion: TORCH_JSON_SCHEMA_VERSION, result, resultPath: path.join(outDir, 'result.json'), traces };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  io.out(renderTorchRun(result, path.join(outDir, 'result.json')));
  io.out(traces.map(renderTrace).join('\n'));
  return 0;
}

export function renderTorchRun(r: TorchRunResult, resultPath: string): string {
  const stats = activeStepStats(r);
  const mode = r.mode === 'function' ? `${r.function}() per step` : r.mode === 'steps-forward' ? 'one step per model call' : 'whole run';
  const lines = [
    `${path.basename(r.script)}  (${mode})`,
    `  ${r.deviceName} · ${r.device.toUpperCase()} · PyTorch ${r.torch} · Python ${r.python.version}`,
  ];
  if (stats) lines.push(`  active steps: ${stats.count} · p50 ${formatMs(stats.p50)} ms · p90 ${formatMs(stats.p90)} ms · mean ${formatMs(stats.mean)} ms (profiler on)`);
  if (r.cuda.maxMemoryAllocated !== null) lines.push(`  CUDA max allocated ${formatBytes(r.cuda.maxMemoryAllocated)} · max reserved ${formatBytes(r.cuda.maxMemoryReserved ?? 0)}`);
  if (r.peakRssBytes !== null) lines.push(`  peak RSS ${formatBytes(r.peakRssBytes)} · wall ${formatMs(r.wallSeconds * 1000)} ms${r.stoppedAfterSchedule ? ' (stopped after the schedule)' : ''}`);
  for (const w of r.warnings) lines.push(`  ! ${w}`);
  lines.push(`  result: ${resultPath}`);
  for (const t of r.traces) lines.push(`  trace:  ${t}`);
  return `${lines.join('\n')}\n\n`;
}
