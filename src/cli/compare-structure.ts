/**
 * The structural part of `inference-lens compare`: the JSON report of `--structure-only` and the
 * text rendering of a ModelDiff (src/core/onnx/diff.ts). src/cli/compare-command.ts runs it.
 */
import { formatBytes, formatCount } from '../core/format';
import type { ModelDiff } from '../core/onnx';
import { formatChange, groupDtypeChanges, signed } from '../core/onnx/diff-report';

export const COMPARE_REPORT_SCHEMA_VERSION = 1;

/** What `compare --structure-only --json` prints (a new optional field keeps schemaVersion 1). */
export interface CompareReport {
  readonly schemaVersion: typeof COMPARE_REPORT_SCHEMA_VERSION;
  /** The structural diff (src/core/onnx/diff.ts). */
  readonly structure: ModelDiff;
}

function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  if (!rows.length) return [];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => (indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).trimEnd());
}

/** Rows a list prints before "… and N more". */
const MAX_ROWS = 25;

export function renderModelDiff(d: ModelDiff): string {
  const L: string[] = [];
  L.push(`${d.a.name} → ${d.b.name}`);
  L.push(
    ...table([
      ['', 'a', 'b', 'change'],
      ['size', formatBytes(d.size.a), formatBytes(d.size.b), `${signed(d.size.delta, formatBytes)} (${formatChange(d.size.a, d.size.b)})`],
      ['nodes', String(d.nodes.a), String(d.nodes.b), signed(d.nodes.delta)],
      ...(d.nodesTotal.a !== d.nodes.a || d.nodesTotal.b !== d.nodes.b ? [['nodes, all graphs', String(d.nodesTotal.a), String(d.nodesTotal.b), signed(d.nodesTotal.delta)]] : []),
      ['initializers', String(d.initializers.count.a), String(d.initializers.count.b), `${signed(d.initializers.count.delta)} (${d.initializers.added} added, ${d.initializers.removed} removed by name)`],
      ['weights', formatBytes(d.weights.a), formatBytes(d.weights.b), signed(d.weights.delta, formatBytes)],
      ['parameters', formatCount(d.parameters.a), formatCount(d.parameters.b), signed(d.parameters.delta, formatCount)],
      ['IR version', String(d.irVersion.a), String(d.irVersion.b), d.irVersion.a === d.irVersion.b ? '' : 'changed'],
      ...d.opsets.map((o) => [`opset ${o.domain}`, o.a === null ? '-' : String(o.a), o.b === null ? '-' : String(o.b), o.a === null ? 'added' : o.b === null ? 'removed' : 'changed']),
    ]),
  );
  if (d.structurallyIdentical) {
    L.push('', 'Structurally identical (the weights themselves are not compared).');
    return L.join('\n') + '\n';
  }
  if (d.ops.length) {
    L.push('', 'Operators (nodes in a → b)');
    const rows = d.ops.slice(0, MAX_ROWS).map((o) => [o.a === 0 ? '+' : o.b === 0 ? '-' : '~', o.op, `${o.a} → ${o.b}`, o.a === 0 ? 'added' : o.b === 0 ? 'removed' : signed(o.delta)]);
    L.push(...table(rows));
    if (d.ops.length > MAX_ROWS) L.push(`  … and ${d.ops.length - MAX_ROWS} more op types`);
  }
  if (d.dtypeChanges.length) {
    L.push('', `Dtype changes (${d.dtypeChanges.length})`);
    if (d.dtypeChanges.length <= MAX_ROWS) L.push(...table(d.dtypeChanges.map((c) => [c.kind, c.name, `${c.a} → ${c.b}`])));
    else L.push(...table(groupDtypeChanges(d.dtypeChanges).map((g) => [g.what, String(g.count), `e.g. ${g.names.join(', ')}${g.count > g.names.length ? ', …' : ''}`])));
  }
  if (d.shapeChanges.length) {
    L.push('', `Shape changes (${d.shapeChanges.length})`);
    L.push(...table(d.shapeChanges.slice(0, MAX_ROWS).map((c) => [c.kind, c.name, `${c.a} → ${c.b}`])));
    if (d.shapeChanges.length > MAX_ROWS) L.push(`  … and ${d.shapeChanges.length - MAX_ROWS} more`);
  }
  const io: string[][] = [];
  if (d.inputs.added.length) io.push(['inputs only in b', d.inputs.added.join(', ')]);
  if (d.inputs.removed.length) io.push(['inputs only in a', d.inputs.removed.join(', ')]);
  if (d.outputs.added.length) io.push(['outputs only in b', d.outputs.added.join(', ')]);
  if (d.outputs.removed.length) io.push(['outputs only in a', d.outputs.removed.join(', ')]);
  if (io.length) L.push('', 'Inputs and outputs', ...table(io));
  if (d.initializers.byDtype.length) {
    L.push('', 'Weights by dtype');
    L.push(...table(d.initializers.byDtype.map((t) => [t.dtype, `${formatBytes(t.a)} → ${formatBytes(t.b)}`])));
  }
  return L.join('\n') + '\n';
}
