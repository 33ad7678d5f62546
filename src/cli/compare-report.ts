/**
 * The numerical check and the before/after comparison on the command line: `inference-lens compare
 * <a> <b> [--profile]` and `inference-lens optimize <model> --graph LEVEL [--verify]`. Parsing and
 * printing only, over src/runner/compare-models.ts (the same code path as the editor's Apply).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ComparisonFile, TransformInfo } from '../core/compare/comparison';
import { formatMetricValue, type MetricDelta, type RunComparison } from '../core/compare/compare-runs';
import { formatBytes, formatMs, withHint } from '../core/format';
import { compareModelFiles } from '../core/onnx';
import { diffLines } from '../core/onnx/diff-report';
import { uniqueOutputPath } from '../core/optimize/paths';
import type { TransformReport } from '../core/optimize/types';
import type { OutputAgreement } from '../core/verify/agreement';
import type { VerifyResult } from '../core/verify/types';
import { compareModels, type ComparedModels, type CompareModelsRequest } from '../runner/compare-models';
import { OrtRunError, optimizeGraphWithOrt } from '../runner/ort-client';
import type { OptimizeGraphResult } from '../runner/ort-protocol';
import { errorLine } from './errors';
import { CliUsageError, parseProfileArgs, type ProfileArgs } from './profile-command';

interface Io {
  out(s: string): void;
  err(s: string): void;
}

const num = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : a >= 100 ? v.toFixed(1) : v.toPrecision(3);
};

function table(rows: readonly (readonly string[])[], rightFrom = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === r.length - 1 && c < rightFrom ? cell : c >= rightFrom ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

const VERDICT_TEXT = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

function outputRow(o: OutputAgreement): string[] {
  const comparable = o.verdict !== 'missing' && o.verdict !== 'mismatch';
  return [
    o.name,
    o.verdict,
    comparable ? num(o.maxAbsError) : '-',
    comparable ? num(o.maxRelError) : '-',
    comparable ? o.cosine.toFixed(6) : '-',
    o.top1 ? `${(o.top1.agreement * 100).toFixed(1)}%` : '-',
    comparable ? `${o.nanA}/${o.infA} → ${o.nanB}/${o.infB}` : '-',
  ];
}

export function renderVerify(v: VerifyResult, names: { a: string; b: string }): string {
  const lines: string[] = [];
  lines.push(`Numerical check: ${names.b} against ${names.a} on ${v.ep.toUpperCase()}, the same inputs: ${v.inputs.map((i) => `${i.name} ${i.dtype}[${i.dims.join(',')}]`).join(', ')}`);
  for (const n of v.inputNotes) lines.push(`  note: ${n}`);
  lines.push(table([['output', 'verdict', 'max abs', 'max rel', 'cosine', 'top-1', 'NaN/Inf A → B'], ...v.outputs.map(outputRow)], 2).trimEnd());
  for (const o of v.outputs) if (o.verdict !== 'identical' && o.verdict !== 'close') lines.push(`  ! ${o.name}: ${o.reason}`);
  const t = v.tolerances;
  const why =
    v.verdict === 'pass'
      ? `every output identical or close (cosine ≥ ${t.cosineClose}, top-1 ≥ ${t.top1Close * 100}%)`
      : v.verdict === 'warn'
        ? 'usable but visibly different: check accuracy on real data'
        : 'the outputs disagree';
  lines.push(`Verdict: ${VERDICT_TEXT[v.verdict]} — ${why}`);
  return lines.join('\n') + '\n';
}


function changeText(m: MetricDelta): string {
  const pct = m.change === null ? (m.b === 0 ? '0%' : 'new') : `${m.change > 0 ? '+' : ''}${(m.change * 100).toFixed(1)}%`;
  return m.verdict === 'same' ? `${pct} (same)` : `${pct} ${m.verdict}`;
}

const usText = (us: number): string => `${formatMs(us / 1000)} ms`;

export function renderRunComparison(c: RunComparison, names: { a: string; b: string }, top = 12): string {
  const lines: string[] = [];
  lines.push(`Before / after (${names.a} → ${names.b})`);
  lines.push(table([['metric', names.a, names.b, 'change'], ...c.metrics.map((m) => [m.label, formatMetricValue(m, m.a), formatMetricValue(m, m.b), changeText(m)])]).trimEnd());
  lines.push(`  speedup (p50): ${c.speedup.toFixed(2)}×`);
  if (c.operators.length) {
    lines.push('');
    lines.push(`Operators, time per profiled run${c.nodeTimeUs ? ` (node time ${usText(c.nodeTimeUs.a)} → ${usText(c.nodeTimeUs.b)})` : ''}`);
    const rows = c.operators
      .slice(0, top)
      .map((o) => [o.opType, o.provider.replace(/ExecutionProvider$/, ''), o.a ? usText(o.a.us) : '-', o.b ? usText(o.b.us) : '-', `${o.deltaUs > 0 ? '+' : ''}${usText(o.deltaUs)}`]);
    lines.push(table([['op', 'EP', names.a, names.b, 'delta'], ...rows], 2).trimEnd());
    if (c.operators.length > top) lines.push(`  … ${c.operators.length - top} more op types (--json has them all)`);
  }
  for (const n of c.notes) lines.push(`  ! ${n}`);
  return lines.join('\n') + '\n';
}

/** The comparison as text: what changed (unless `withStructure` is false), the numerical check, the before/after tables. */
export function renderComparison(f: ComparisonFile, withStructure = true): string {
  const names = { a: f.a.name, b: f.b.name };
  const parts: string[] = [];
  const changed = diffLines(f.structure);
  if (withStructure) parts.push(`${f.transform ? `${f.transform.title}: ` : ''}${f.a.name} (${formatBytes(f.a.sizeBytes)}) → ${f.b.name} (${formatBytes(f.b.sizeBytes)})\n${changed.length ? changed.map((l) => `  ${l}\n`).join('') : '  structurally identical (the weights themselves are not compared)\n'}`);
  parts.push(renderVerify(f.verify, names));
  if (f.comparison) parts.push(renderRunComparison(f.comparison, names));
  return parts.join('\n');
}

function cliOrtError(e: OrtRunError): string {
  const hint = e.code === 'provider-unavailable' ? `${e.hint} Or run on CPU with --allow-cpu-fallback.` : e.hint;
  return errorLine(withHint(e.message, hint));
}

/** Pulls the flags only compare/optimize know out of `args`; the rest are profile options. */
export function takeFlags(args: readonly string[], booleans: readonly string[], valued: readonly string[]): { rest: string[]; flags: Set<string>; values: Map<string, string> } {
  const rest: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (booleans.includes(a)) flags.add(a);
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new CliUsageError(`${a} needs a value`);
      values.set(a, v);
    } else rest.push(a);
  }
  return { rest, flags, values };
}

/** Profile options for two models: parsed as `profile` parses them, errors worded for `command`. */
export function profileOptions(model: string, rest: readonly string[], command: string): ProfileArgs {
  if (rest.includes('--trace')) throw new CliUsageError(`--trace is not an option of ${command}; profile one model to export its trace`);
  if (rest.includes('--json')) throw new CliUsageError(`--json takes no file for ${command}; it prints the comparison`);
  try {
    return parseProfileArgs([model, ...rest], process.cwd(), command);
  } catch (e) {
    if (e instanceof CliUsageError && e.message.startsWith(`${command} takes one model path`)) throw new CliUsageError(e.message.replace(`${command} takes one model path`, `${command}: unexpected argument`));
    throw e;
  }
}

export function seedOf(values: Map<string, string>): number | undefined {
  const s = values.get('--seed');
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new CliUsageError('--seed needs a non-negative integer');
  return Number(s);
}

export function requestFrom(p: ProfileArgs, a: string, b: string, withProfile: boolean, seed: number | undefined, transform?: TransformInfo): CompareModelsRequest {
  const r = p.request;
  return {
    modelA: a,
    modelB: b,
    verify: {
      ep: r.ep,
      allowCpuFallback: r.allowCpuFallback,
      session: r.session,
      dims: r.dims,
      ...(r.inputFiles ? { inputFiles: r.inputFiles } : {}),
      ...(seed !== undefined ? { seed } : {}),
    },
    ...(withProfile ? { profile: { warmupRuns: r.warmupRuns, timedRuns: r.timedRuns, profiledRuns: r.profiledRuns, ...(r.decode ? { decode: r.decode } : {}) } } : {}),
    ...(transform ? { transform } : {}),
  };
}

/** Runs the comparison with SIGINT as cancel and a progress line on a terminal. OrtRunError propagates. */
export async function executeCompare(req: CompareModelsRequest, p: ProfileArgs, workerPath: string): Promise<ComparedModels> {
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  const tty = process.stderr.isTTY;
  try {
    const r = await compareModels(req, {
      workerPath,
      outDir: p.outDir,
      signal: ac.signal,
      timeoutMs: p.timeoutMs,
      onStep: (s) => {
        if (tty) process.stderr.write(`\r\x1b[K${s === 'verify' ? 'checking outputs' : `profiling ${s === 'profile-a' ? 'A' : 'B'}`}…`);
      },
    });
    return r;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
    process.removeListener('SIGINT', onSig);
  }
}

/** The exit code and stderr line for an ONNX Runtime failure, or undefined for anything else. */
export function ortFailure(e: unknown, io: Io): number | undefined {
  if (!(e instanceof OrtRunError)) return undefined;
  io.err(cliOrtError(e));
  return 2;
}

export function savedLine(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return `\nSaved ${rel.startsWith('..') ? file : rel}\n`;
}

/**
 * Runs the comparison and prints it: `lead` first (what the caller prints before: the structural
 * diff in full, or the transformation's report; then the short "what changed" block is left out),
 * the numerical check, the before/after tables, where it was saved. `--json` prints the comparison
 * file with `extraJson` merged in. Exit code 1 when an output differs, 2 when ONNX Runtime fails.
 */
export async function runCompare(
  req: CompareModelsRequest,
  p: ProfileArgs,
  json: boolean,
  io: Io,
  workerPath: string,
  lead: string | ((f: ComparisonFile) => string) = '',
  extraJson: Readonly<Record<string, unknown>> = {},
): Promise<number> {
  let r: ComparedModels;
  try {
    r = await executeCompare(req, p, workerPath);
  } catch (e) {
    const code = ortFailure(e, io);
    if (code !== undefined) return code;
    throw e;
  }
  const before = typeof lead === 'string' ? lead : lead(r.file);
  const out: ComparisonJson = { ...r.file, ...extraJson, comparisonFile: r.filePath };
  io.out(json ? `${JSON.stringify(out, null, 2)}\n` : `${before}${renderComparison(r.file, !before)}${savedLine(r.filePath)}`);
  return r.file.verify.verdict === 'fail' ? 1 : 0;
}

/** `optimize --graph LEVEL --json` (without --verify; src/cli/schemas/optimize.schema.json). */
export const GRAPH_OPTIMIZE_SCHEMA_VERSION = 1;
export interface GraphOptimizeJson {
  readonly schemaVersion: typeof GRAPH_OPTIMIZE_SCHEMA_VERSION;
  readonly optimized: OptimizeGraphResult;
}

/** `compare --json` (without --structure-only; src/cli/schemas/compare.schema.json): the comparison file and where it was saved. */
export type ComparisonJson = ComparisonFile & { readonly comparisonFile: string };

/** `optimize … --verify --json` (src/cli/schemas/optimize.schema.json): the comparison and what the transformation reported. */
export type OptimizeVerifyJson = ComparisonJson & ({ readonly transformReport: TransformReport } | { readonly optimized: OptimizeGraphResult });

export const GRAPH_LEVELS = ['basic', 'extended', 'all'] as const;
export type GraphLevel = (typeof GRAPH_LEVELS)[number];

export function parseGraphLevel(v: string | undefined): GraphLevel {
  if (!v || !(GRAPH_LEVELS as readonly string[]).includes(v)) throw new CliUsageError(`--graph must be basic, extended or all${v ? ` (got '${v}')` : ''}`);
  return v as GraphLevel;
}

export function renderGraphOptimized(r: OptimizeGraphResult, src: { name: string; bytes: number }, changed: readonly string[]): string {
  const lines = [`Optimized ${src.name} at level "${r.level}" on ${r.ep.toUpperCase()} → ${path.basename(r.outPath)} (${formatBytes(r.sizeBytes)}, was ${formatBytes(src.bytes)}) in ${formatMs(r.ms)} ms`];
  if (r.externalDataPath) lines.push(`  weights in ${path.basename(r.externalDataPath)}`);
  for (const l of changed.length ? changed : ['no structural change (ORT found nothing to fuse or fold at this level)']) lines.push(`  ${l}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}

/**
 * `optimize <model> --graph LEVEL [-o out.onnx] [--force] [--verify] [--json]`: ORT's optimized
 * model saved as a new file (refuses to overwrite without --force); with --verify the numerical
 * check and the before/after profile. `args` are what the optimize command did not consume.
 */
export async function graphOptimizeCommand(
  o: { readonly model: string; readonly level: GraphLevel; readonly out?: string; readonly force: boolean; readonly verify: boolean; readonly json: boolean; readonly rest: readonly string[]; readonly seed?: number },
  io: Io,
  workerPath: string,
): Promise<number> {
  const src = path.resolve(o.model);
  if (!fs.existsSync(src)) throw new CliUsageError(`${src} does not exist; check the model path`);
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  const out = o.out ? path.resolve(o.out) : uniqueOutputPath(src, 'graph', fs.existsSync);
  if (out === src) throw new CliUsageError('the output would overwrite the source model; choose another -o');
  if (fs.existsSync(out) && !o.force) throw new CliUsageError(`${out} exists; pass --force to overwrite it, or choose another -o`);
  const p = profileOptions(src, o.rest, 'optimize');
  let res: OptimizeGraphResult;
  try {
    res = await optimizeGraphWithOrt({ modelPath: src, outPath: out, level: o.level, ep: p.request.ep, allowCpuFallback: p.request.allowCpuFallback, overwrite: o.force }, { workerPath, timeoutMs: p.timeoutMs });
  } catch (e) {
    if (e instanceof OrtRunError) {
      io.err(cliOrtError(e));
      return 2;
    }
    throw e;
  }
  const d = await compareModelFiles(src, out);
  const changed = diffLines(d);
  const report = renderGraphOptimized(res, { name: d.a.name, bytes: d.a.totalBytes }, changed);
  if (!o.verify) {
    const out: GraphOptimizeJson = { schemaVersion: GRAPH_OPTIMIZE_SCHEMA_VERSION, optimized: res };
    io.out(o.json ? `${JSON.stringify(out, null, 2)}\n` : report);
    return 0;
  }
  const transform: TransformInfo = { kind: 'optimize-graph', title: `Optimize graph (${o.level})`, changes: changed, warnings: res.notes };
  return runCompare(requestFrom(p, src, out, true, o.seed, transform), p, o.json, io, workerPath, `${report}\n`, { optimized: res });
}

/** Profile/verification options `optimize --graph/--verify` passes on (value-taking, then boolean). */
const RUN_VALUE_FLAGS = ['--ep', '--dims', '--shape', '--free-dims', '--iterations', '--warmup', '--profiled-runs', '--decode', '--threads', '--graph-opt', '--timeout', '--out-dir'];
const RUN_BOOL_FLAGS = ['--allow-cpu-fallback', '--no-arena'];

/** Splits `optimize` arguments into its own and the run options (+ --inputs files) for the ORT worker. */
export function splitRunArgs(args: readonly string[]): { own: string[]; run: string[] } {
  const own: string[] = [];
  const run: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (RUN_BOOL_FLAGS.includes(a)) run.push(a);
    else if (RUN_VALUE_FLAGS.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new CliUsageError(`${a} needs a value`);
      run.push(a, v);
    } else if (a === '--inputs') {
      run.push(a);
      while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) run.push(args[++i]!);
    } else own.push(a);
  }
  return { own, run };
}

/** The core transformations, passed in by optimize-command.ts (which imports this file). */
export interface CoreOptimize<A extends { readonly model: string; readonly json: boolean }, R extends { readonly output: string; readonly warnings: readonly string[] }> {
  parse(args: readonly string[], cwd: string): A;
  run(o: A, opts: { signal?: AbortSignal }): Promise<R>;
  render(r: R): string;
  title(o: A): { readonly kind: string; readonly title: string };
  describe(r: R): string[];
}

/**
 * `optimize <model> --graph basic|extended|all [-o out.onnx] [--force] [--verify] [--json]` and
 * `optimize <model> --int8|--fp16|--dynamic|--fix … --verify`: the transformation, then with
 * --verify the numerical check and the before/after profile (exit 1 when an output differs).
 */
export async function optimizeVerifyCommand<A extends { readonly model: string; readonly json: boolean }, R extends { readonly output: string; readonly warnings: readonly string[] }>(
  args: readonly string[],
  io: Io,
  workerPath: string,
  core: CoreOptimize<A, R>,
): Promise<number> {
  const { own, run } = splitRunArgs(args);
  const verify = own.includes('--verify');
  const rest = own.filter((a) => a !== '--verify');
  const seedAt = rest.indexOf('--seed');
  const seedValues = new Map<string, string>();
  if (seedAt >= 0) {
    const v = rest[seedAt + 1];
    if (v === undefined) throw new CliUsageError('--seed needs a value');
    seedValues.set('--seed', v);
    rest.splice(seedAt, 2);
  }
  const seed = seedOf(seedValues);
  if (rest.includes('--graph')) {
    let model: string | undefined;
    let level: GraphLevel | undefined;
    let out: string | undefined;
    let force = false;
    let json = false;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--graph') level = parseGraphLevel(rest[++i]);
      else if (a === '-o' || a === '--output') {
        out = rest[++i];
        if (out === undefined) throw new CliUsageError(`${a} needs a value`);
      } else if (a === '--force') force = true;
      else if (a === '--json') json = true;
      else if (['--int8', '--fp16', '--dynamic', '--fix'].includes(a)) throw new CliUsageError(`one transformation per run (got --graph and ${a}); run optimize again on its output for the next`);
      else if (a.startsWith('-')) throw new CliUsageError(`unknown option '${a}' for optimize --graph. Run 'inference-lens optimize --help' for the list.`);
      else if (model !== undefined) throw new CliUsageError('optimize takes one model path');
      else model = a;
    }
    if (!model) throw new CliUsageError('optimize needs a model path: inference-lens optimize <model.onnx> --graph basic|extended|all');
    if (seed !== undefined && !verify) throw new CliUsageError('--seed goes with --verify');
    return graphOptimizeCommand({ model, level: level!, ...(out ? { out } : {}), force, verify, json, rest: run, ...(seed !== undefined ? { seed } : {}) }, io, workerPath);
  }
  if (!verify) throw new CliUsageError(`${run[0] ?? '--seed'} goes with --verify or --graph`);
  const o = core.parse(rest, process.cwd());
  const p = profileOptions(o.model, run, 'optimize --verify');
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  let report: R;
  try {
    report = await core.run(o, { signal: ac.signal });
  } finally {
    process.removeListener('SIGINT', onSig);
  }
  const transform: TransformInfo = { ...core.title(o), changes: core.describe(report), warnings: report.warnings };
  return runCompare(requestFrom(p, o.model, report.output, true, seed, transform), p, o.json, io, workerPath, `${core.render(report)}\n`, { transformReport: report });
}
