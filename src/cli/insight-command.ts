/**
 * `inference-lens insight <model.onnx> [--dims batch=8,seq=512] [--depth N] [--json]`: inferred shapes
 * coverage, FLOPs/MACs and parameters (totals, per op type, per module scope), static peak activation
 * memory and weights memory. Parsing and printing only; the work is src/core/insight.
 */
import { formatBytes, formatCount, formatShare, formatSi } from '../core/format';
import { inputSymbols, insightReport, type InsightReport } from '../core/insight/report';
import { readModel } from '../core/onnx';
import { CliUsageError } from './profile-command';

const HELP = `Usage: inference-lens insight <model.onnx> [options]

Shapes, compute and memory from the graph alone (nothing is run; weights stay on disk).

Options:
  --dims name=value,...   values for the model's symbolic input dims (batch=8,sequence=512);
                          dims not given get defaults (batch 1, sequence 128, ...), shown as such
  --depth N               module scope depth in the per-scope table (default 2)
  --json                  print the InsightReport as JSON (schemaVersion 1)
  -h, --help              show this help
`;

interface Io {
  out(s: string): void;
  err(s: string): void;
}

export interface InsightArgs {
  readonly model: string;
  readonly dims: Record<string, number>;
  readonly depth: number;
  readonly json: boolean;
  readonly help: boolean;
}

export function parseInsightArgs(args: readonly string[]): InsightArgs {
  let model: string | undefined;
  const dims: Record<string, number> = {};
  let depth = 2;
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new CliUsageError(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--json':
        json = true;
        break;
      case '--dims':
        for (const kv of next().split(',')) {
          const m = /^([^=]+)=(\d+)$/.exec(kv.trim());
          if (!m) throw new CliUsageError(`--dims takes name=value pairs separated by commas, values ≥ 0 (got '${kv}')`);
          dims[m[1]!.trim()] = Number(m[2]);
        }
        break;
      case '--depth': {
        const v = next();
        if (!/^\d+$/.test(v)) throw new CliUsageError(`--depth needs an integer ≥ 0 (got '${v}')`);
        depth = Number(v);
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') throw new CliUsageError(`unknown option '${a}' for insight (see inference-lens insight --help)`);
        if (model !== undefined) throw new CliUsageError('insight takes one model path: inference-lens insight <model.onnx> [--dims ...] [--json]');
        model = a;
    }
  }
  if (!model && !help) throw new CliUsageError('insight needs a model path: inference-lens insight <model.onnx> [--dims batch=8,seq=512] [--json]');
  return { model: model ?? '', dims, depth, json, help };
}

export async function insightCommand(args: readonly string[], io: Io): Promise<number> {
  const a = parseInsightArgs(args);
  if (a.help) {
    io.out(HELP);
    return 0;
  }
  const model = await readModel(a.model);
  const { names } = inputSymbols(model);
  const unknown = Object.keys(a.dims).filter((d) => !names.includes(d));
  if (unknown.length) {
    const have = names.length ? `its input dims are ${names.join(', ')}` : 'its inputs have no symbolic dims';
    throw new CliUsageError(`the model has no input dim named ${unknown.map((d) => `'${d}'`).join(', ')}; ${have}`);
  }
  const { report } = insightReport(model, { dims: a.dims, scopeDepth: a.depth });
  io.out(a.json ? `${JSON.stringify(report, null, 2)}\n` : renderInsight(report));
  return 0;
}

function table(rows: readonly (readonly string[])[], rightAlign: ReadonlySet<number> = new Set(), indent = '  '): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) => indent + r.map((cell, c) => (rightAlign.has(c) ? cell.padStart(widths[c]!) : c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd())
      .join('\n') + '\n'
  );
}

/** 4.77e9 → "4.77 GFLOPs", 60 → "60 FLOPs". */
function withUnit(n: number, unit: string): string {
  const s = formatSi(n);
  return /[A-Z]$/.test(s) ? `${s}${unit}` : `${s} ${unit}`;
}

function ops(n: number | null, known: number, unit: string): string {
  return n === null ? `≥ ${withUnit(known, unit)} (some unknown)` : withUnit(n, unit);
}

export function renderInsight(r: InsightReport): string {
  const lines: string[] = [];
  lines.push(`${r.file.name}  (${formatBytes(r.file.sizeBytes)})`);
  if (r.dims.length) lines.push(`  dims: ${r.dims.map((d) => `${d.name}=${d.value}${d.source === 'default' ? ` (default: ${d.why})` : ''}`).join(', ')}`);
  if (r.unnamedInputDims.length) lines.push(`  unnamed input dims (values depending on them are unknown): ${r.unnamedInputDims.join(', ')}`);
  lines.push('');
  const c = r.coverage;
  const rows: string[][] = [];
  rows.push(['Shapes', `${c.known}/${c.total} values fully known (${formatShare(c.ratio)})${c.partial ? `, ${c.partial} with some unknown dims` : ''}`]);
  if (c.unsupportedOps.length) rows.push(['', `ops without a shape rule: ${c.unsupportedOps.map((o) => `${o.op} ×${o.count}`).join(', ')}`]);
  const t = r.totals;
  rows.push(['Compute', `${ops(t.flops, t.knownFlops, 'FLOPs')} · ${ops(t.macs, t.knownMacs, 'MACs')}${t.unknownNodes ? ` · ${t.unknownNodes} of ${t.nodes} nodes without a cost` : ''}`]);
  rows.push(['Parameters', formatBytes(t.paramBytes)]);
  const m = r.memory;
  rows.push(['Memory', `peak activations ${formatBytes(m.peakActivationBytes)}${m.peakAtNode.index >= 0 ? ` at node #${m.peakAtNode.index} ${m.peakAtNode.name || '(unnamed)'}` : ''} · weights ${formatBytes(m.weightBytes)}`]);
  if (m.unknownTensors) rows.push(['', `${m.unknownTensors} activation tensors of unknown size not counted (the peak is a lower bound)`]);
  if (m.subgraphsExcluded) rows.push(['', 'If/Loop/Scan bodies: only their inputs and outputs are counted']);
  if (m.liveAtPeak.length) {
    const shown = m.liveAtPeak.slice(0, 5).map((x) => `${x.name} ${formatBytes(x.bytes)}`);
    rows.push(['', `alive at the peak: ${shown.join(', ')}${m.liveAtPeakCount > shown.length ? `, +${m.liveAtPeakCount - shown.length} more` : ''}`]);
  }
  lines.push(table(rows).trimEnd());
  const total = t.flops ?? t.knownFlops;
  const share = (f: number) => (total > 0 ? formatShare(f / total) : '-');
  const scopes = r.scopes.filter((s) => s.key !== '');
  if (scopes.length) {
    lines.push('');
    lines.push('By module scope');
    const rows2 = [['scope', 'FLOPs', 'share', 'MACs', 'params', 'nodes']];
    for (const s of scopes) {
      rows2.push([
        `${'  '.repeat(s.path.length - 1)}${s.path[s.path.length - 1]}`,
        s.flops === null ? `≥ ${formatSi(s.knownFlops)}` : formatSi(s.flops),
        share(s.knownFlops),
        s.macs === null ? '?' : formatSi(s.macs),
        formatBytes(s.paramBytes),
        formatCount(s.nodes),
      ]);
    }
    lines.push(table(rows2, new Set([1, 2, 3, 4, 5])).trimEnd());
  }
  const top = r.byOpType.slice(0, 15);
  if (top.length) {
    lines.push('');
    lines.push('By op type');
    const rows3 = [['op', 'nodes', 'FLOPs', 'share', 'MACs']];
    for (const o of top) rows3.push([o.op, String(o.count), `${o.unknownNodes ? '≥ ' : ''}${formatSi(o.knownFlops)}`, share(o.knownFlops), formatSi(o.knownMacs)]);
    lines.push(table(rows3, new Set([1, 2, 3, 4])).trimEnd());
  }
  if (r.warnings.length) {
    lines.push('');
    lines.push('Warnings');
    for (const w of r.warnings.slice(0, 20)) lines.push(`  ! ${w}`);
    if (r.warnings.length > 20) lines.push(`  ... and ${r.warnings.length - 20} more (--json lists them all)`);
  }
  return lines.join('\n') + '\n';
}
