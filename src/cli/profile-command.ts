/**
 * `inference-lens profile <model> [options]`: measure a model with ONNX Runtime in a worker
 * process and print the deployment metrics and the top operators.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes, formatMs, withHint } from '../core/format';
import { OrtRunError, probeProviders } from '../runner/ort-client';
import { errorLine } from './errors';
import { summarizeModel } from '../core/onnx';
import { unknownDims } from '../core/inputs/synthesize';
import type { ExecutionProvider, OrtProfileRequest, ProviderProbe } from '../runner/ort-protocol';
import { exportChromeTrace, profileModel, writeFileAtomic, type OrtRunFile } from '../runner/profile-model';

export const PROFILE_USAGE = `Usage: inference-lens profile <model.onnx> [options]

  --ep cpu|cuda|tensorrt|webgpu   execution provider (default cpu)
  --allow-cpu-fallback            run on CPU when the provider cannot be loaded
  --shape name=d0,d1,...          an input's full shape (repeatable)
  --dims name=value,...           values for symbolic dims (batch=8,sequence=512)
  --inputs file ...               input data from .npy/.npz/.pb files (repeatable)
  --iterations N                  timed runs without profiling (default 100)
  --warmup N                      warm-up runs, not measured (default 10)
  --profiled-runs N               runs recorded by ORT's profiler (default 10; 0 = none)
  --decode P:T                    LLM decoding: prefill P tokens, generate T (decoders with a KV cache)
  --free-dims name=value,...      fix symbolic dims in the session (ORT freeDimensionOverrides; also
                                  used for the inputs): lets ORT plan memory and kernels for them
  --threads N                     intra-op threads (default: ORT's choice)
  --graph-opt disabled|basic|extended|all   (default all)
  --no-arena                      disable the CPU memory arena
  --timeout S                     stop after S seconds (default 600)
  --out-dir DIR                   where the run file and ORT's profile go (default .inference-lens/runs)
  --json [FILE]                   print the run as JSON (.ilprof.json schema) instead of the table;
                                  with FILE ('-' = stdout) the table is printed and the JSON saved
  --trace FILE                    also export a Chrome trace JSON (opens in Perfetto)
`;

export class CliUsageError extends Error {}

export interface ProfileArgs {
  readonly model: string;
  readonly request: Omit<OrtProfileRequest, 'outDir'>;
  readonly outDir: string;
  readonly json?: string;
  readonly trace?: string;
  readonly timeoutMs: number;
}

function int(flag: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) throw new CliUsageError(`${flag} needs an integer ≥ ${min}`);
  return n;
}

/** `command` names the command in messages (check and compare take the profile options too). */
export function parseProfileArgs(args: readonly string[], cwd: string, command = 'profile'): ProfileArgs {
  let model: string | undefined;
  let ep: ExecutionProvider = 'cpu';
  let allowCpuFallback = false;
  const dims: Record<string, number> = {};
  const inputFiles: string[] = [];
  let timedRuns = 100;
  let warmupRuns = 10;
  let profiledRuns = 10;
  let decode: OrtProfileRequest['decode'] = 'off';
  let threads: number | undefined;
  const freeDims: Record<string, number> = {};
  let graphOptimizationLevel: OrtProfileRequest['session']['graphOptimizationLevel'] = 'all';
  let arena = true;
  let timeoutMs = 600_000;
  let outDir = path.join(cwd, '.inference-lens', 'runs');
  let json: string | undefined;
  let trace: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new CliUsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--ep': {
        const v = next();
        if (!['cpu', 'cuda', 'tensorrt', 'webgpu'].includes(v)) throw new CliUsageError(`--ep must be cpu, cuda, tensorrt or webgpu (got '${v}')`);
        ep = v as ExecutionProvider;
        break;
      }
      case '--allow-cpu-fallback':
        allowCpuFallback = true;
        break;
      case '--shape': {
        const m = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(next());
        if (!m) throw new CliUsageError('--shape takes name=d0,d1,... (e.g. input_ids=1,128)');
        m[2]!.split(',').forEach((d, axis) => (dims[`${m[1]}:${axis}`] = Number(d)));
        break;
      }
      case '--dims':
        for (const kv of next().split(',')) {
          const m = /^([^=]+)=(\d+)$/.exec(kv.trim());
          if (!m) throw new CliUsageError(`--dims takes name=value pairs separated by commas (got '${kv}')`);
          dims[m[1]!] = Number(m[2]);
        }
        break;
      case '--free-dims':
        for (const kv of next().split(',')) {
          const m = /^([^=]+)=(\d+)$/.exec(kv.trim());
          if (!m) throw new CliUsageError(`--free-dims takes name=value pairs separated by commas (got '${kv}')`);
          freeDims[m[1]!] = Number(m[2]);
          dims[m[1]!] = Number(m[2]);
        }
        break;
      case '--inputs':
        inputFiles.push(path.resolve(cwd, next()));
        while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) inputFiles.push(path.resolve(cwd, args[++i]!));
        break;
      case '--iterations':
        timedRuns = int(a, next(), 1);
        break;
      case '--warmup':
        warmupRuns = int(a, next(), 0);
        break;
      case '--profiled-runs':
        profiledRuns = int(a, next(), 0);
        break;
      case '--decode': {
        const m = /^(\d+):(\d+)$/.exec(next());
        if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new CliUsageError('--decode takes P:T, prefill and new tokens, both ≥ 1 (e.g. 128:64)');
        decode = { prefillTokens: Number(m[1]), newTokens: Number(m[2]) };
        break;
      }
      case '--threads':
        threads = int(a, next(), 1);
        break;
      case '--graph-opt': {
        const v = next();
        if (!['disabled', 'basic', 'extended', 'all'].includes(v)) throw new CliUsageError('--graph-opt must be disabled, basic, extended or all');
        graphOptimizationLevel = v as typeof graphOptimizationLevel;
        break;
      }
      case '--no-arena':
        arena = false;
        break;
      case '--timeout':
        timeoutMs = int(a, next(), 1) * 1000;
        break;
      case '--out-dir':
        outDir = path.resolve(cwd, next());
        break;
      case '--json':
        // A bare --json (last, or before another option) prints the run on stdout, as '--json -'.
        json = args[i + 1] === undefined || (args[i + 1]!.startsWith('-') && args[i + 1] !== '-') ? '-' : next();
        break;
      case '--trace':
        trace = path.resolve(cwd, next());
        break;
      default:
        if (a.startsWith('-')) throw new CliUsageError(`unknown option '${a}' for ${command} (see inference-lens ${command} --help)`);
        if (model !== undefined) throw new CliUsageError(`${command} takes one model path (got '${a}' too)`);
        model = path.resolve(cwd, a);
    }
  }
  if (!model) throw new CliUsageError(`${command} needs a model path: inference-lens ${command} <model.onnx> [options]`);
  return {
    model,
    outDir,
    timeoutMs,
    ...(json !== undefined ? { json: json === '-' ? '-' : path.resolve(cwd, json) } : {}),
    ...(trace ? { trace } : {}),
    request: {
      modelPath: model,
      ep,
      allowCpuFallback,
      session: {
        graphOptimizationLevel,
        enableCpuMemArena: arena,
        ...(threads ? { intraOpNumThreads: threads } : {}),
        ...(Object.keys(freeDims).length ? { freeDimensionOverrides: freeDims } : {}),
      },
      dims,
      ...(inputFiles.length ? { inputFiles } : {}),
      warmupRuns,
      timedRuns,
      profiledRuns,
      decode,
    },
  };
}

export function renderRun(run: OrtRunFile, top = 15): string {
  const r = run.result;
  const lines: string[] = [];
  const gpu = r.machine.gpus[0]?.name;
  lines.push(`${run.model.name} on ${r.ep.toUpperCase()}${r.fallbackReason ? ` (fell back from ${r.requestedEp}: ${r.fallbackReason})` : ''} · ORT ${r.ortVersion} · ${r.machine.cpu} × ${r.machine.cores}${gpu ? ` · ${gpu}` : ''}`);
  lines.push(`  inputs: ${r.inputs.map((i) => `${i.name} ${i.dtype}[${i.dims.join(',')}]`).join(', ')}`);
  for (const n of r.inputNotes) lines.push(`  note: ${n}`);
  lines.push('');
  const rows: [string, string][] = [
    ['session creation', `${formatMs(r.sessionCreateMs)} ms`],
    ['first run (cold)', `${formatMs(r.firstRunMs)} ms`],
    ['latency p50 / p90 / p99', `${formatMs(r.latencyMs.p50)} / ${formatMs(r.latencyMs.p90)} / ${formatMs(r.latencyMs.p99)} ms`],
    ['latency mean ± stdev', `${formatMs(r.latencyMs.mean)} ± ${formatMs(r.latencyMs.stdev)} ms (${r.latencyMs.count} runs)`],
    ['throughput', `${r.throughput.inferencesPerSec.toFixed(1)} inferences/s, ${r.throughput.itemsPerSec.toFixed(1)} items/s (batch ${r.batchSize})`],
    ['peak memory (RSS)', formatBytes(r.memory.peakRssBytes)],
  ];
  if (r.memory.gpuPeakBytes) rows.push(['peak GPU memory', formatBytes(r.memory.gpuPeakBytes)]);
  if (run.operators?.arenaPeakBytes) rows.push(['ORT arena peak', `${formatBytes(run.operators.arenaPeakBytes)}${run.operators.arenaPeakNode ? ` (at ${run.operators.arenaPeakNode})` : ''}`]);
  if (r.decode) {
    const d = r.decode;
    rows.push(
      ['time to first token', `${formatMs(d.timeToFirstTokenMs)} ms (prefill ${d.prefillTokens} tokens)`],
      ['decode throughput', `${d.tokensPerSec.toFixed(1)} tokens/s (${d.newTokens} tokens)`],
      ['per-token p50 / p90', `${formatMs(d.perTokenMs.p50)} / ${formatMs(d.perTokenMs.p90)} ms`],
      ['KV cache', `${formatBytes(d.kvCacheBytesPerToken)}/token, ${formatBytes(d.kvCacheBytesFinal)} at the end`],
      ['memory growth', `${formatBytes(d.rssGrowthPerTokenBytes)}/token (RSS)`],
    );
  }
  const w = Math.max(...rows.map((x) => x[0].length));
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(w)}  ${v}`);
  const ops = run.operators;
  if (ops && ops.byOpType.length) {
    lines.push('');
    lines.push(`Top operators (${ops.runs} profiled runs)`);
    const t = ops.byOpType.slice(0, top).map((o) => [o.opType, o.provider.replace('ExecutionProvider', ''), String(o.count), `${(o.totalUs / 1000).toFixed(2)} ms`, `${(o.meanUs).toFixed(1)} µs`, `${(o.share * 100).toFixed(1)}%`]);
    const head = ['op', 'EP', 'calls', 'total', 'mean', 'share'];
    const cw = head.map((h, c) => Math.max(h.length, ...t.map((r2) => r2[c]!.length)));
    lines.push('  ' + head.map((h, c) => (c >= 2 ? h.padStart(cw[c]!) : h.padEnd(cw[c]!))).join('  '));
    for (const r2 of t) lines.push('  ' + r2.map((x, c) => (c >= 2 ? x.padStart(cw[c]!) : x.padEnd(cw[c]!))).join('  '));
    if (ops.fallbackNodes.length) lines.push(`  ! ${ops.fallbackNodes.length} nodes ran on another provider than ${r.ep}: ${ops.fallbackNodes.slice(0, 5).map((n) => `${n.node} (${n.opType} on ${n.provider})`).join(', ')}`);
    if (ops.memcpyNodes.length) lines.push(`  ! ${ops.memcpyNodes.length} Memcpy nodes copy between devices: ${ops.memcpyNodes.slice(0, 5).map((n) => n.node).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

export async function profileCommand(args: readonly string[], io: { out(s: string): void; err(s: string): void }, workerPath: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(PROFILE_USAGE);
    return 0;
  }
  const p = parseProfileArgs(args, process.cwd());
  if (p.json && p.json !== '-') checkOutputFile('--json', p.json);
  if (p.trace) checkOutputFile('--trace', p.trace);
  await assertKnownDims(p);
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    const { run, runFilePath } = await profileModel(p.request, {
      workerPath,
      outDir: p.outDir,
      signal: ac.signal,
      timeoutMs: p.timeoutMs,
      onProgress: (m) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${m.phase} ${m.done}/${m.total}   `);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (p.json === '-') io.out(`${JSON.stringify(run, null, 2)}\n`);
    else {
      io.out(renderRun(run));
      const rel = path.relative(process.cwd(), runFilePath);
      io.out(`\nSaved ${rel.startsWith('..') ? runFilePath : rel}\n`);
      if (p.json) writeFileAtomic(p.json, JSON.stringify(run, null, 2));
    }
    if (p.trace) {
      exportChromeTrace(run, runFilePath, p.trace);
      if (p.json !== '-') io.out(`Chrome trace: ${p.trace} (open in https://ui.perfetto.dev)\n`);
    }
    return 0;
  } catch (e) {
    return reportOrtError(e, io);
  } finally {
    process.removeListener('SIGINT', onSig);
  }
}

/** A file the command will write after the run: refused before any work when it cannot be a file there. */
export function checkOutputFile(flag: string, file: string): void {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new CliUsageError(`${flag} ${file} is a folder; give a file path`);
  const dir = path.dirname(file);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CliUsageError(`${flag}: the folder ${dir} does not exist; create it or choose another path`);
}

/**
 * Refuses dims the model's inputs do not have (a typo would silently keep the default). Only for
 * dims the user typed: comparisons pass one set of dims to two models on purpose.
 */
export async function assertKnownDims(p: ProfileArgs): Promise<void> {
  if (p.request.inputFiles?.length || !Object.keys(p.request.dims).length) return;
  const { unknown, known } = unknownDims((await summarizeModel(p.model)).inputs, p.request.dims);
  if (unknown.length) {
    const hint = known.length ? `its symbolic dims: ${known.join(', ')} (or give input:axis)` : 'its inputs have no symbolic dims; use --shape or input:axis';
    throw new CliUsageError(`the model has no dim named ${unknown.map((k) => `'${k}'`).join(', ')}; ${hint}`);
  }
}

/** An ONNX Runtime run failing: one line with the hint, exit 2; anything else is rethrown. */
export function reportOrtError(e: unknown, io: { err(s: string): void }): number {
  if (!(e instanceof OrtRunError)) throw e;
  // The CLI's way out of a missing provider is a flag (the editor offers a button instead).
  const hint = e.code === 'provider-unavailable' ? `${e.hint} Or run on CPU with --allow-cpu-fallback.` : e.hint;
  io.err(errorLine(withHint(e.message, hint)));
  return 2;
}

/** `providers --json`: the probes under a versioned envelope. */
export const PROVIDERS_SCHEMA_VERSION = 1;
export interface ProvidersJson {
  readonly schemaVersion: typeof PROVIDERS_SCHEMA_VERSION;
  readonly providers: readonly ProviderProbe[];
}

/** `inference-lens providers [--json]`: each execution provider checked with a trial session. */
export async function providersCommand(args: readonly string[], io: { out(s: string): void }, workerPath: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out('Usage: inference-lens providers [--json]\n\nChecks each ONNX Runtime execution provider (cpu, cuda, tensorrt, webgpu) with a trial session\nand says what to install for those that do not work. --json prints { schemaVersion, providers }.\n');
    return 0;
  }
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length) throw new CliUsageError(`providers takes only --json (got ${unknown.join(' ')}); see inference-lens providers --help`);
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  const probes = await probeProviders({ workerPath });
  if (args.includes('--json')) {
    const out: ProvidersJson = { schemaVersion: PROVIDERS_SCHEMA_VERSION, providers: probes };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...probes.map((p) => p.ep.length));
  for (const p of probes) {
    const bundled = p.bundled === undefined ? '' : p.bundled ? ', in this onnxruntime-node build' : ', not in this onnxruntime-node build';
    io.out(`${p.ep.padEnd(width)}  ${p.available ? 'available' : `not available${bundled}: ${p.reason}`}\n`);
    if (!p.available && p.hint) io.out(`${' '.repeat(width)}  → ${p.hint}\n`);
  }
  return 0;
}
