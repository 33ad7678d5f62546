/**
 * `inference-lens` — the command-line face of the same core the extension uses.
 * Argument parsing and printing only. Exit codes: 0 success, 1 a check failed,
 * 2 bad usage or bad input (one line on stderr, no stack trace).
 */
import { isOnnxError, summarizeModel, type ModelSummary } from '../core/onnx';
import { formatBytes, formatCount, formatDuration, withHint } from '../core/format';
import * as path from 'node:path';
import { CliUsageError, profileCommand, providersCommand } from './profile-command';
import { insightCommand } from './insight-command';
import { compareCommand } from './compare-command';
import { optimizeCommand } from './optimize-command';
import { summarizeProfile, type TraceSummary } from '../core/profile';
import { importTracePath, isTraceError } from '../core/trace';
import { isOptimizeError } from '../core/optimize';
import { torchCommand } from './torch-command';
import { checkCommand } from './check-command';
import { lintCommand } from './lint-command';
import { errorLine, internalErrorMessage, systemErrorMessage } from './errors';

/** `trace --json` on a log folder (a single file prints its TraceSummary). */
export const TRACE_FOLDER_SCHEMA_VERSION = 1;
export interface TraceFolderJson {
  readonly schemaVersion: typeof TRACE_FOLDER_SCHEMA_VERSION;
  readonly folder: string;
  readonly traces: readonly TraceSummary[];
}

const VERSION = '0.1.0';

const USAGE = `Usage: inference-lens <command> [options]

Commands:
  summary <model.onnx> [--json]   Overview of an ONNX model: inputs, outputs, ops, weights.
                                  Reads the graph only; weights stay on disk.
  insight <model.onnx>            Shapes, FLOPs/MACs and parameters (total, per op type, per module
    [--dims k=v,...] [--json]     scope), static peak activation memory and weights memory, from
                                  the graph alone.
  profile <model.onnx> [options]  Measure with ONNX Runtime: cold start, latency p50/p90/p99,
                                  throughput, peak memory, LLM decoding (TTFT, tokens/s), top
                                  operators. 'inference-lens profile --help' lists the options.
  providers [--json]              Which ONNX Runtime execution providers work here (cpu, cuda,
                                  tensorrt, webgpu), each checked with a trial session, and
                                  what to install for the others.
  optimize <model.onnx> [options] Write a transformed copy: --int8 (MatMul/Gemm weights, per-tensor
                                  or --per-channel), --fp16 (float32 inputs/outputs kept), --dynamic
                                  name:axis=label / --fix name:axis=value. 'optimize --help' for more.
  compare <a.onnx> <b.onnx>       Numerical agreement of two models on the same inputs (max abs/rel
    [--profile] [--json]          error, cosine, top-1, NaN/Inf per output); --profile adds the
                                  before/after metrics and per-operator deltas.
  lint <file.py|folder> [--json]  Check Python export/inference scripts with the editor's rules
    [--fix] [--rule id=level]     (ONNX export, ONNX Runtime, PyTorch inference, TensorRT); --fix
                                  applies the safe fixes. 'inference-lens lint --help' lists them.
  trace <file|logdir> [--json]    Summary of a torch.profiler/Kineto trace (.json, .json.gz, or a
                                  TensorBoard log folder) or an ONNX Runtime profile: events,
                                  GPU busy/idle, top operators and kernels, steps, memory peak.
  check <model.onnx> --budget B   Profile and check a budget ('p50<=20ms,peak_mem<=2GB,
    [profile options] [--json]    tokens_per_s>=30'); exit 1 when one is missed, saying by how much.
  torch <script.py> [options]     Profile PyTorch code (the script, a step per model call, or a
    [-- script args]              function) under torch.profiler with the user's Python; prints
                                  the run (device, step times, CUDA memory peaks) and its trace.

Options:
  --json        Print machine-readable JSON with a top-level schemaVersion (JSON Schemas:
                src/cli/schemas/<command>.schema.json; README, "CLI").
  -h, --help    Show this help.
  --version     Print the version.
`;

class UsageError extends Error {}

interface Io {
  out(s: string): void;
  err(s: string): void;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
      io.out(USAGE);
      if (cmd !== undefined) return 0;
      io.err(errorLine('no command given. The commands are listed above; inference-lens <command> --help shows the options of one.'));
      return 2;
    }
    if (cmd === '--version') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    switch (cmd) {
      case 'summary':
        return await summaryCommand(rest, io);
      case 'profile':
        // The worker bundle sits next to this one (dist/ort-worker.js).
        return await profileCommand(rest, io, path.join(__dirname, 'ort-worker.js'));
      case 'providers':
        return await providersCommand(rest, io, path.join(__dirname, 'ort-worker.js'));
      case 'lint':
        return await lintCommand(rest, io);
      case 'trace':
        return await traceCommand(rest, io);
      case 'check':
        return await checkCommand(rest, io, path.join(__dirname, 'ort-worker.js'));
      case 'torch':
        // The harness is copied next to this bundle (dist/torch_harness.py).
        return await torchCommand(rest, io, path.join(__dirname, 'torch_harness.py'), renderTraceSummary);
      case 'insight':
        return await insightCommand(rest, io);
      case 'optimize':
        return await optimizeCommand(rest, io, path.join(__dirname, 'ort-worker.js'));
      case 'compare':
        return await compareCommand(rest, io, path.join(__dirname, 'ort-worker.js'));
      default:
        throw new UsageError(`unknown command '${cmd}'. Run 'inference-lens --help' for the list.`);
    }
  } catch (e) {
    io.err(errorLine(failureMessage(e)));
    return 2;
  }
}

/** What a failure says on its one stderr line (src/cli/errors.ts): usage, input, file system, or a bug. */
export function failureMessage(e: unknown): string {
  if (e instanceof UsageError || e instanceof CliUsageError) return e.message;
  if (isOnnxError(e) || isTraceError(e) || isOptimizeError(e)) return withHint(e.message, e.hint);
  return systemErrorMessage(e) ?? internalErrorMessage(e);
}

interface Parsed {
  positional: string[];
  flags: Set<string>;
}

function parse(args: readonly string[], known: readonly string[], cmd: string): Parsed {
  const positional: string[] = [];
  const flags = new Set<string>();
  for (const a of args) {
    if (a.startsWith('-') && a !== '-') {
      if (a === '-h' || a === '--help') {
        flags.add('--help');
        continue;
      }
      if (!known.includes(a)) throw new UsageError(`unknown option '${a}' for ${cmd}; it takes ${known.join(', ')} (see inference-lens ${cmd} --help)`);
      flags.add(a);
    } else positional.push(a);
  }
  return { positional, flags };
}

async function summaryCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parse(args, ['--json'], 'summary');
  if (p.flags.has('--help')) {
    io.out('Usage: inference-lens summary <model.onnx> [--json]\n');
    return 0;
  }
  if (p.positional.length !== 1) throw new UsageError('summary takes exactly one model path: inference-lens summary <model.onnx> [--json]');
  const s = await summarizeModel(p.positional[0]!);
  io.out(p.flags.has('--json') ? `${JSON.stringify(s, null, 2)}\n` : renderSummary(s));
  return 0;
}

async function traceCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parse(args, ['--json'], 'trace');
  if (p.flags.has('--help')) {
    io.out('Usage: inference-lens trace <file|logdir> [--json]\n');
    return 0;
  }
  if (p.positional.length !== 1) throw new UsageError('trace takes exactly one trace file or log folder: inference-lens trace <file|logdir> [--json]');
  const target = p.positional[0]!;
  const imported = await importTracePath(target);
  const summaries = imported.map((t) => summarizeProfile(t.profile));
  if (p.flags.has('--json')) {
    // A file gives one TraceSummary; a log folder gives { schemaVersion, folder, traces: TraceSummary[] }.
    const json: TraceSummary | TraceFolderJson = summaries.length === 1 && imported[0]!.file === target ? summaries[0]! : { schemaVersion: TRACE_FOLDER_SCHEMA_VERSION, folder: target, traces: summaries };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else io.out(summaries.map(renderTraceSummary).join('\n'));
  return 0;
}

function table(rows: readonly (readonly string[])[], indent = '  '): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

export function renderSummary(s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${s.file.name}  (${formatBytes(s.file.sizeBytes)})`);
  const producer = [s.producer.name, s.producer.version].filter(Boolean).join(' ') || 'unknown producer';
  lines.push(`  ${producer} · IR ${s.irVersion} · ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  lines.push(
    `  ${formatCount(s.nodeCount)} nodes` +
      (s.nodeCountTotal !== s.nodeCount ? ` (${formatCount(s.nodeCountTotal)} with subgraphs and functions)` : '') +
      ` · ${formatCount(s.parameterCount)} parameters · ${formatBytes(s.initializers.bytes + s.constants.bytes)} of weights`,
  );
  lines.push('');
  lines.push('Inputs');
  lines.push(table(s.inputs.map((i) => [i.name, i.text])).trimEnd());
  lines.push('Outputs');
  lines.push(table(s.outputs.map((o) => [o.name, o.text])).trimEnd());
  lines.push('');
  lines.push('Operators');
  const total = s.opHistogram.reduce((a, o) => a + o.count, 0) || 1;
  lines.push(table(s.opHistogram.map((o) => [o.op, String(o.count), `${((o.count / total) * 100).toFixed(1)}%`])).trimEnd());
  if (s.initializers.byDtype.length) {
    lines.push('');
    lines.push(`Initializers: ${formatCount(s.initializers.count)} tensors, ${formatBytes(s.initializers.bytes)}`);
    lines.push(table(s.initializers.byDtype.map((d) => [d.dtype, `${d.count} tensors`, formatCount(d.elements), formatBytes(d.bytes)])).trimEnd());
  }
  if (s.constants.count) lines.push(`Constant nodes with tensors: ${formatCount(s.constants.count)}, ${formatBytes(s.constants.bytes)}`);
  if (s.externalData.files.length) {
    lines.push('');
    lines.push(`External data: ${s.externalData.tensorCount} tensors, ${formatBytes(s.externalData.bytes)}`);
    lines.push(
      table(
        s.externalData.files.map((f) => [f.location, f.sizeBytes === null ? '-' : formatBytes(f.sizeBytes), f.problem ?? 'ok']),
      ).trimEnd(),
    );
  }
  if (s.subgraphCount || s.functions.length) {
    lines.push('');
    lines.push(`Subgraphs: ${s.subgraphCount} · Local functions: ${s.functions.length}`);
  }
  if (s.metadata.length) {
    lines.push('');
    lines.push('Metadata');
    lines.push(table(s.metadata.map((m) => [m.key, m.value.length > 80 ? `${m.value.slice(0, 77)}...` : m.value])).trimEnd());
  }
  if (s.warnings.length) {
    lines.push('');
    lines.push('Warnings');
    for (const w of s.warnings) lines.push(`  ! ${w}`);
  }
  lines.push('');
  lines.push(`Read ${formatBytes(s.parse.bytesRead)} of ${formatBytes(s.file.sizeBytes)} in ${s.parse.millis.toFixed(1)} ms.`);
  return lines.join('\n') + '\n';
}

function clip(s: string, n = 70): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

export function renderTraceSummary(s: TraceSummary): string {
  const lines: string[] = [];
  const name = s.file ? s.file.split(/[\\/]/).pop()! : 'trace';
  lines.push(`${name}  (${s.format}, ${formatBytes(s.jsonBytes)} of JSON, ${formatCount(s.eventCount)} events, ${formatDuration(s.durationUs)})`);
  for (const d of s.devices) {
    lines.push(`  GPU ${d.id}: ${d.name}${d.computeCapability ? ` · compute ${d.computeCapability}` : ''}${d.smCount ? ` · ${d.smCount} SMs` : ''}${d.totalGlobalMem ? ` · ${formatBytes(d.totalGlobalMem)}` : ''}`);
  }
  lines.push('');
  lines.push('Events per category');
  lines.push(table(s.categories.map((c) => [c.category, formatCount(c.count)])).trimEnd());
  if (s.gpu.devices.length) {
    lines.push('');
    lines.push('GPU busy / idle (kernels, memcpy, memset; overlaps counted once)');
    const rows = [
      ...s.gpu.devices.map((d) => [`GPU ${d.device}`, `busy ${formatDuration(d.busyUs)}`, `idle ${formatDuration(d.idleUs)}`, `${(d.utilization * 100).toFixed(1)}% of ${formatDuration(d.spanUs)}`]),
      ...s.gpu.streams.map((t) => [`  ${t.name}`, `busy ${formatDuration(t.busyUs)}`, `idle ${formatDuration(t.idleUs)}`, `${formatCount(t.activities)} activities`]),
    ];
    lines.push(table(rows).trimEnd());
    const a = s.attribution;
    lines.push(`  Launching operator found for ${formatCount(a.viaCorrelation + a.viaFlow)} of ${formatCount(a.gpuActivities)} (by correlation id ${formatCount(a.viaCorrelation)}, by flow ${formatCount(a.viaFlow)})`);
  }
  if (s.topOperators.length) {
    lines.push('');
    lines.push('Top operators');
    lines.push(
      table([
        ['operator', 'calls', 'host total', 'host self', 'device self'],
        ...s.topOperators.map((o) => [clip(o.name), formatCount(o.calls), formatDuration(o.hostTotalUs), formatDuration(o.hostSelfUs), formatDuration(o.deviceSelfUs)]),
      ]).trimEnd(),
    );
  }
  if (s.topKernels.length) {
    lines.push('');
    lines.push('Top kernels');
    lines.push(
      table([
        ['kernel', 'calls', 'total', 'mean', 'min', 'max'],
        ...s.topKernels.map((k) => [clip(k.name), formatCount(k.calls), formatDuration(k.totalUs), formatDuration(k.meanUs), formatDuration(k.minUs), formatDuration(k.maxUs)]),
      ]).trimEnd(),
    );
  }
  if (s.steps.length) {
    lines.push('');
    lines.push('Steps');
    lines.push(
      table([
        ['step', 'duration', 'kernel', 'memcpy', 'memset', 'runtime', 'dataloader', 'cpu', 'other'],
        ...s.steps.map((t) => [t.name, formatDuration(t.durUs), formatDuration(t.kernelUs), formatDuration(t.memcpyUs), formatDuration(t.memsetUs), formatDuration(t.runtimeUs), formatDuration(t.dataLoaderUs), formatDuration(t.cpuUs), formatDuration(t.otherUs)]),
      ]).trimEnd(),
    );
  }
  if (s.memory.length) {
    lines.push('');
    lines.push('Memory');
    for (const m of s.memory) {
      lines.push(`  ${m.device}: peak ${formatBytes(m.peakBytes)} at ${formatDuration(m.peakTimeUs)}${m.fromTotals ? '' : ' (relative to the start of the trace)'} · ${formatCount(m.allocations)} allocations, ${formatCount(m.frees)} frees`);
      if (m.topAllocators.length) lines.push(`    allocated up to the peak by: ${m.topAllocators.map((a) => `${a.name} ${formatBytes(a.bytes)}`).join(', ')}`);
    }
  }
  if (s.warnings.length) {
    lines.push('');
    lines.push('Warnings');
    for (const w of s.warnings) lines.push(`  ! ${w}`);
  }
  return lines.join('\n') + '\n';
}

// Run when executed as a program (the bundled dist/cli.js, or tsx src/cli/main.ts).
if (require.main === module) {
  main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(errorLine(failureMessage(e)));
      process.exitCode = 2;
    },
  );
  // A failure outside the command's promise chain (a stream or child-process callback) still ends
  // with one line and exit 2, not Node's stack trace.
  const crash = (e: unknown) => {
    process.stderr.write(errorLine(failureMessage(e)));
    process.exit(2);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
