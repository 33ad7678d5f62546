/**
 * `inference-lens optimize <model> --int8 | --fp16 | --dynamic/--fix ...`: writes a transformed
 * copy of the model (never the input; an existing file only with --force) and prints what changed.
 * Parsing and printing only; the work is src/core/optimize.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes, formatCount, withHint } from '../core/format';
import { readModel } from '../core/onnx';
import {
  DEFAULT_KEEP_FP32_OPS,
  convertFp16,
  defaultOutputPath,
  isOptimizeError,
  parseDimChange,
  quantizeInt8,
  setDims,
  type DimChange,
  type Int8Format,
  type TransformReport,
  type TransformRunOptions,
  type WriteExternalData,
} from '../core/optimize';
import { optimizeVerifyCommand } from './compare-report';
import { CliUsageError } from './profile-command';

export const OPTIMIZE_USAGE = `Usage: inference-lens optimize <model.onnx> <transformation> [options]

Writes a new model next to the input (model.int8.onnx, model.fp16.onnx, model.dims.onnx) and
prints what changed. The input is never modified.

Transformations (one per run):
  --int8                        INT8 dynamic quantization of MatMul/Gemm weights
      --per-channel             one scale per output channel (default: one per tensor)
      --exclude node,...        leave these nodes in float32
      --format F                dynamic (default: com.microsoft DynamicQuantizeMatMul, ONNX Runtime's
                                fastest CPU form), matmulinteger (standard ONNX ops), qdq (weight-only)
      --reduce-range            7-bit weights, for AVX2/AVX-512 CPUs without VNNI
  --fp16                        float16 weights and compute; float32 inputs and outputs (Casts)
      --keep-fp32 Op|node,...   op types or node names that stay float32, besides the defaults
      --fp16-io                 make the inputs and outputs float16 too
  --dynamic name:axis=label     make an input/output dim symbolic (repeatable)
  --fix name:axis=value         fix an input/output dim to a size (repeatable)
  --graph basic|extended|all    save the model as ONNX Runtime optimizes it at that level (model.opt.onnx;
                                "all" adds layout optimizations for this machine: use it where it was made)

Verification:
  --verify                      then run both models on the same inputs (max abs/rel error, cosine, top-1,
                                NaN/Inf per output; exit 1 when an output differs), profile both and print
                                the before/after metrics with per-operator deltas. Takes the run options
                                of 'inference-lens profile' (--ep, --dims, --inputs, --iterations, …) and
                                --seed N (synthesized inputs, default 42); --graph takes --ep too.

Output:
  -o, --output FILE             where to write (default: next to the input, see above)
  --force                       replace FILE if it exists (never the input model)
  --external-data auto|always|never   weights in <FILE>.data (auto: only past protobuf's 2 GiB)
  --json                        print the report as JSON (TransformReport, schemaVersion 1)
`;

export interface OptimizeArgs {
  readonly model: string;
  readonly out?: string;
  readonly force: boolean;
  readonly json: boolean;
  readonly externalData: WriteExternalData;
  readonly transform:
    | { readonly kind: 'int8'; readonly perChannel: boolean; readonly exclude: string[]; readonly format: Int8Format; readonly reduceRange: boolean }
    | { readonly kind: 'fp16'; readonly keepFp32: string[]; readonly keepIoFp32: boolean }
    | { readonly kind: 'dims'; readonly changes: DimChange[] };
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Parses the arguments of the transformations done in the core (INT8, FP16, dims). */
export function parseOptimizeArgs(args: readonly string[], cwd: string): OptimizeArgs {
  let model: string | undefined;
  let out: string | undefined;
  let force = false;
  let json = false;
  let externalData: WriteExternalData = 'auto';
  const kinds = new Set<'int8' | 'fp16' | 'dims'>();
  let perChannel = false;
  let format: Int8Format = 'dynamic';
  let reduceRange = false;
  const exclude: string[] = [];
  const keepFp32: string[] = [];
  let keepIoFp32 = true;
  const dims: DimChange[] = [];
  const int8Only: string[] = [];
  const fp16Only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined || (v.startsWith('-') && v !== '-')) throw new CliUsageError(`${a} needs a value`);
      return v;
    };
    const dim = (fixed: boolean) => {
      try {
        dims.push(parseDimChange(next(), fixed));
      } catch (e) {
        throw new CliUsageError(`${a}: ${(e as Error).message}`);
      }
      kinds.add('dims');
    };
    switch (a) {
      case '--int8':
        kinds.add('int8');
        break;
      case '--per-channel':
        perChannel = true;
        int8Only.push(a);
        break;
      case '--reduce-range':
        reduceRange = true;
        int8Only.push(a);
        break;
      case '--exclude':
        exclude.push(...list(next()));
        int8Only.push(a);
        break;
      case '--format': {
        const v = next();
        if (v !== 'dynamic' && v !== 'matmulinteger' && v !== 'qdq') throw new CliUsageError(`--format must be dynamic, matmulinteger or qdq (got '${v}')`);
        format = v;
        int8Only.push(a);
        break;
      }
      case '--fp16':
        kinds.add('fp16');
        break;
      case '--keep-fp32':
        keepFp32.push(...list(next()));
        fp16Only.push(a);
        break;
      case '--fp16-io':
        keepIoFp32 = false;
        fp16Only.push(a);
        break;
      case '--dynamic':
        dim(false);
        break;
      case '--fix':
        dim(true);
        break;
      case '-o':
      case '--output':
        out = path.resolve(cwd, next());
        break;
      case '--force':
        force = true;
        break;
      case '--json':
        json = true;
        break;
      case '--external-data': {
        const v = next();
        if (v !== 'auto' && v !== 'always' && v !== 'never') throw new CliUsageError(`--external-data must be auto, always or never (got '${v}')`);
        externalData = v;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') {
          throw new CliUsageError(`unknown option '${a}' for optimize. Run 'inference-lens optimize --help' for the list.`);
        }
        if (model !== undefined) throw new CliUsageError('optimize takes one model path');
        model = path.resolve(cwd, a);
    }
  }
  if (!model) throw new CliUsageError('optimize needs a model path: inference-lens optimize <model.onnx> --int8 | --fp16 | --dynamic name:axis=label | --fix name:axis=value');
  if (kinds.size === 0) throw new CliUsageError('optimize needs a transformation: --int8, --fp16, --dynamic name:axis=label or --fix name:axis=value');
  if (kinds.size > 1) throw new CliUsageError(`one transformation per run (got ${[...kinds].map((k) => (k === 'dims' ? '--dynamic/--fix' : `--${k}`)).join(' and ')}); run optimize again on its output for the next`);
  const kind = [...kinds][0];
  if (int8Only.length && kind !== 'int8') throw new CliUsageError(`${int8Only[0]} goes with --int8`);
  if (fp16Only.length && kind !== 'fp16') throw new CliUsageError(`${fp16Only[0]} goes with --fp16`);
  const transform: OptimizeArgs['transform'] =
    kind === 'fp16' ? { kind, keepFp32, keepIoFp32 } : kind === 'dims' ? { kind, changes: dims } : { kind: 'int8', perChannel, exclude, format, reduceRange };
  return { model, ...(out !== undefined ? { out } : {}), force, json, externalData, transform };
}

/** Splits --keep-fp32 entries into node names and op types; an entry that is neither is an error (a typo would keep nothing). */
async function keepFp32Split(model: string, entries: readonly string[]): Promise<{ ops: string[]; nodes: string[] }> {
  if (!entries.length) return { ops: [...DEFAULT_KEEP_FP32_OPS], nodes: [] };
  const m = await readModel(model);
  const opTypes = new Set<string>();
  const nodeNames = new Set<string>();
  const visit = (g: typeof m.graph) => {
    for (const n of g.nodes) {
      opTypes.add(n.opType);
      if (n.name) nodeNames.add(n.name);
      for (const a of n.attributes) {
        if (a.g) visit(a.g);
        a.graphs?.forEach(visit);
      }
    }
  };
  visit(m.graph);
  const ops = [...DEFAULT_KEEP_FP32_OPS];
  const nodes: string[] = [];
  for (const e of entries) {
    if (nodeNames.has(e)) nodes.push(e);
    else if (opTypes.has(e)) ops.push(e);
    else throw new CliUsageError(`--keep-fp32: '${e}' is neither an op type nor a node name in the model`);
  }
  return { ops, nodes };
}

/**
 * The core transformation, in this process. The editor runs it in the transform worker
 * (src/runner/transform-client.ts) to keep it out of the extension host; the CLI does not need
 * that: it is its own process already, shared with nothing, Ctrl-C aborts through `run.signal`
 * (the core removes its temp files) and a crash ends only this command. Another fork would only
 * add a process start and a second read of the graph.
 */
export async function runOptimize(o: OptimizeArgs, run: TransformRunOptions): Promise<TransformReport> {
  const t = o.transform;
  const out = o.out ?? defaultOutputPath(o.model, t.kind);
  if (!fs.existsSync(o.model)) throw new CliUsageError(`${o.model} does not exist; check the model path`);
  const common: TransformRunOptions = { ...run, overwrite: o.force, externalData: o.externalData };
  switch (t.kind) {
    case 'int8':
      return quantizeInt8(o.model, out, { perChannel: t.perChannel, exclude: t.exclude, format: t.format, reduceRange: t.reduceRange }, common);
    case 'fp16': {
      const keep = await keepFp32Split(o.model, t.keepFp32);
      return convertFp16(o.model, out, { keepFp32Ops: keep.ops, keepFp32Nodes: keep.nodes, keepIoFp32: t.keepIoFp32 }, common);
    }
    case 'dims':
      return setDims(o.model, out, { changes: t.changes }, common);
  }
}

interface Io {
  out(s: string): void;
  err(s: string): void;
}

export async function optimizeCommand(args: readonly string[], io: Io, workerPath: string): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(OPTIMIZE_USAGE);
    return 0;
  }
  // ORT graph optimization (--graph basic|extended|all) and --verify (numerical check and
  // before/after profile) run in the ORT worker (src/cli/compare-report.ts): dispatched before the
  // core transformations are parsed.
  if (args.includes('--graph') || args.includes('--verify')) {
    return optimizeVerifyCommand(args, io, workerPath, {
      parse: parseOptimizeArgs,
      run: (o, r) => runOptimize(o, r),
      render: renderReport,
      title: (o) => ({ kind: o.transform.kind, title: o.transform.kind === 'int8' ? 'Quantize to INT8' : o.transform.kind === 'fp16' ? 'Convert to FP16' : 'Change dims' }),
      describe: (r) => [`nodes ${r.nodesBefore} → ${r.nodesAfter}`, `size on disk ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}`, ...r.changes.slice(0, 12).map((c) => `${c.name}: ${c.detail}`)],
    });
  }
  const o = parseOptimizeArgs(args, process.cwd());
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  let lastDraw = 0;
  try {
    const report = await runOptimize(o, {
      signal: ac.signal,
      onProgress: (p) => {
        if (!process.stderr.isTTY || p.stage !== 'write' || !p.totalBytes) return;
        const now = Date.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        process.stderr.write(`\rwriting ${((p.doneBytes / p.totalBytes) * 100).toFixed(0)}% of ${formatBytes(p.totalBytes)}\x1b[K`);
      },
    });
    if (process.stderr.isTTY && lastDraw) process.stderr.write('\r\x1b[K');
    io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return 0;
  } catch (e) {
    if (process.stderr.isTTY && lastDraw) process.stderr.write('\r\x1b[K');
    if (isOptimizeError(e)) {
      if (e.code === 'cancelled') {
        io.err('inference-lens: cancelled; nothing was written.\n');
        return 2;
      }
      throw new CliUsageError(withHint(e.message, e.hint));
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSig);
  }
}

function table(rows: readonly (readonly string[])[], indent = '  '): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => (indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).trimEnd()).join('\n') + '\n';
}

const clip = (s: string, n: number) => (s.length > n ? `…${s.slice(s.length - n + 1)}` : s);

/** The report for people: what was written, the totals, the changes (first 25), warnings. */
export function renderReport(r: TransformReport, maxRows = 25): string {
  const lines: string[] = [];
  const name = path.basename(r.output);
  const data = r.externalDataFiles.length ? ` + ${r.externalDataFiles.map((f) => path.basename(f)).join(', ')}` : '';
  lines.push(`Wrote ${name}${data} (${formatBytes(r.bytesAfter)}; ${path.basename(r.source)} is ${formatBytes(r.bytesBefore)}) in ${(r.durationMs / 1000).toFixed(2)} s`);
  if (r.int8) {
    const q = r.int8;
    const ratio = q.weightBytesAfter ? (q.weightBytesBefore / q.weightBytesAfter).toFixed(1) : '-';
    lines.push(
      `INT8 (${q.format}, ${q.perChannel ? 'per-channel' : 'per-tensor'}${q.reduceRange ? ', 7-bit' : ''}): ${q.nodesQuantized} node${q.nodesQuantized === 1 ? '' : 's'} quantized, ${q.nodesSkipped} skipped; their weights ${formatBytes(q.weightBytesBefore)} → ${formatBytes(q.weightBytesAfter)} (${ratio}x smaller)`,
    );
  }
  if (r.fp16) {
    const f = r.fp16;
    lines.push(
      `FP16: ${formatCount(f.tensorsConverted)} tensors converted, ${f.nodesKeptFp32} node${f.nodesKeptFp32 === 1 ? '' : 's'} kept in float32, ${f.castsInserted} Cast${f.castsInserted === 1 ? '' : 's'} added, ${f.castsRemoved} removed; ${f.valuesClamped} value${f.valuesClamped === 1 ? '' : 's'} clamped, ${f.valuesFlushed} flushed to 0`,
    );
  }
  if (r.dims) lines.push(`Dims: ${r.dims.dimsChanged} changed${r.dims.valueInfoCleared ? `, ${r.dims.valueInfoCleared} value_info shapes cleared` : ''}`);
  lines.push(`Weights ${formatBytes(r.weightsBefore)} → ${formatBytes(r.weightsAfter)} · nodes ${formatCount(r.nodesBefore)} → ${formatCount(r.nodesAfter)}`);
  const shown = r.changes.slice(0, maxRows);
  if (shown.length) {
    lines.push('');
    lines.push('Changes');
    lines.push(
      table(
        shown.map((c) => [
          c.action,
          clip(c.name, 56),
          c.detail,
          c.bytesBefore !== undefined && c.bytesAfter !== undefined && (c.bytesBefore || c.bytesAfter) ? `${formatBytes(c.bytesBefore)} → ${formatBytes(c.bytesAfter)}` : '',
        ]),
      ).trimEnd(),
    );
    if (r.changes.length > shown.length) lines.push(`  … ${r.changes.length - shown.length} more (--json lists them all)`);
  }
  if (r.warnings.length) {
    lines.push('');
    lines.push('Warnings');
    for (const w of r.warnings) lines.push(`  ! ${w}`);
  }
  return lines.join('\n') + '\n';
}
