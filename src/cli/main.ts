/**
 * `inference-lens` — the command-line face of the same core the extension uses.
 * Argument parsing and printing only. Exit codes: 0 success, 1 a check failed,
 * 2 bad usage or bad input (one line on stderr, no stack trace).
 */
import { isOnnxError, summarizeModel, type ModelSummary } from '../core/onnx';
import { formatBytes, formatCount } from '../core/format';

const VERSION = '0.1.0';

const USAGE = `Usage: inference-lens <command> [options]

Commands:
  summary <model.onnx> [--json]   Overview of an ONNX model: inputs, outputs, ops, weights.
                                  Reads the graph only; weights stay on disk.

Options:
  --json        Print machine-readable JSON (schema: README, "CLI JSON output").
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
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version') {
      io.out(`${VERSION}\n`);
      return 0;
    }
    switch (cmd) {
      case 'summary':
        return await summaryCommand(rest, io);
      default:
        throw new UsageError(`unknown command '${cmd}'. Run 'inference-lens --help' for the list.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`inference-lens: ${e.message}\n`);
      return 2;
    }
    if (isOnnxError(e)) {
      const msg = /[.!?)]$/.test(e.message) ? e.message : `${e.message}.`;
      io.err(`inference-lens: ${msg}${e.hint ? ` ${e.hint}` : ''}\n`);
      return 2;
    }
    io.err(`inference-lens: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    return 2;
  }
}

interface Parsed {
  positional: string[];
  flags: Set<string>;
}

function parse(args: readonly string[], known: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Set<string>();
  for (const a of args) {
    if (a.startsWith('-') && a !== '-') {
      if (a === '-h' || a === '--help') {
        flags.add('--help');
        continue;
      }
      if (!known.includes(a)) throw new UsageError(`unknown option '${a}'`);
      flags.add(a);
    } else positional.push(a);
  }
  return { positional, flags };
}

async function summaryCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parse(args, ['--json']);
  if (p.flags.has('--help')) {
    io.out('Usage: inference-lens summary <model.onnx> [--json]\n');
    return 0;
  }
  if (p.positional.length !== 1) throw new UsageError('summary takes exactly one model path: inference-lens summary <model.onnx> [--json]');
  const s = await summarizeModel(p.positional[0]!);
  io.out(p.flags.has('--json') ? `${JSON.stringify(s, null, 2)}\n` : renderSummary(s));
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
      process.stderr.write(`inference-lens: internal error: ${String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
