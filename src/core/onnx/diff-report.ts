/** Words for a ModelDiff: the one-line headline and the Markdown summary the editor shows beside the text diff. */
import { formatBytes, formatCount } from '../format';
import type { DtypeChange, ModelDiff, ValueKind } from './diff';

/** "+12.3%", "-48.0%", "±0%"; "new" when a is 0. */
export function formatChange(a: number, b: number): string {
  if (a === b) return '±0%';
  if (a === 0) return 'new';
  const p = ((b - a) / a) * 100;
  return `${p > 0 ? '+' : ''}${p.toFixed(1)}%`;
}

export function signed(n: number, fmt: (n: number) => string = String): string {
  return n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : '±0';
}

/** One line: "3 → 4 nodes (+1) · op types +1 −1 · 2 dtype changes · size 1.2 KiB → 1.3 KiB (+6.5%)". */
export function diffHeadline(d: ModelDiff): string {
  if (d.structurallyIdentical) return `structurally identical (${formatCount(d.a.nodeCountTotal)} nodes, ${formatBytes(d.a.totalBytes)} → ${formatBytes(d.b.totalBytes)}; weights not compared)`;
  const parts: string[] = [];
  if (d.nodesTotal.delta) parts.push(`${formatCount(d.nodesTotal.a)} → ${formatCount(d.nodesTotal.b)} nodes (${signed(d.nodesTotal.delta)})`);
  if (d.opsAdded.length || d.opsRemoved.length) parts.push(`op types +${d.opsAdded.length} −${d.opsRemoved.length}`);
  else if (d.ops.length) parts.push(`${d.ops.length} op count${d.ops.length === 1 ? '' : 's'} changed`);
  if (d.dtypeChanges.length) parts.push(`${d.dtypeChanges.length} dtype change${d.dtypeChanges.length === 1 ? '' : 's'}`);
  if (d.shapeChanges.length) parts.push(`${d.shapeChanges.length} shape change${d.shapeChanges.length === 1 ? '' : 's'}`);
  const io = d.inputs.added.length + d.inputs.removed.length + d.outputs.added.length + d.outputs.removed.length;
  if (io) parts.push(`${io} input/output${io === 1 ? '' : 's'} added or removed`);
  if (d.opsets.length) parts.push(`opsets ${d.opsets.map((o) => `${o.domain} ${o.a ?? '-'} → ${o.b ?? '-'}`).join(', ')}`);
  parts.push(`size ${formatBytes(d.size.a)} → ${formatBytes(d.size.b)} (${formatChange(d.size.a, d.size.b)})`);
  return parts.join(' · ');
}

/** Dtype changes grouped by what changed: "initializer float → float16" with the count and the first names. */
export function groupDtypeChanges(changes: readonly DtypeChange[]): { readonly what: string; readonly count: number; readonly names: readonly string[] }[] {
  const groups = new Map<string, { what: string; count: number; names: string[] }>();
  for (const c of changes) {
    const what = `${c.kind} ${c.a} → ${c.b}`;
    const g = groups.get(what) ?? groups.set(what, { what, count: 0, names: [] }).get(what)!;
    g.count++;
    if (g.names.length < 5) g.names.push(c.name);
  }
  return [...groups.values()].sort((x, y) => y.count - x.count || x.what.localeCompare(y.what));
}

/**
 * What changed, a line each, for the CLI and the transform's summary in the comparison view:
 * `nodes 310 → 188`, `MatMul 96 → 0`, `float weights 4.0 MiB → 0 B`, `input x: float[1,4] →
 * float[batch,4]`, `initializer float → float16: 12 (W, …)`. Empty when structurally identical.
 */
export function diffLines(d: ModelDiff, maxRows = 8): string[] {
  const lines: string[] = [];
  if (d.nodes.delta) lines.push(`nodes ${d.nodes.a} → ${d.nodes.b}`);
  if (d.nodesTotal.delta !== d.nodes.delta) lines.push(`nodes in all graphs ${d.nodesTotal.a} → ${d.nodesTotal.b}`);
  if (d.irVersion.a !== d.irVersion.b) lines.push(`IR version ${d.irVersion.a} → ${d.irVersion.b}`);
  for (const o of d.opsets) lines.push(`opset ${o.domain} ${o.a ?? '(none)'} → ${o.b ?? '(none)'}`);
  const capped = <T>(xs: readonly T[], line: (x: T) => string, what: string) => {
    for (const x of xs.slice(0, maxRows)) lines.push(line(x));
    if (xs.length > maxRows) lines.push(`… and ${xs.length - maxRows} more ${what}`);
  };
  capped(d.ops, (o) => `${o.op} ${o.a} → ${o.b}`, 'op types');
  if (d.weights.delta) lines.push(`weights ${formatBytes(d.weights.a)} → ${formatBytes(d.weights.b)}`);
  for (const t of d.initializers.byDtype) lines.push(`${t.dtype} weights ${formatBytes(t.a)} → ${formatBytes(t.b)}`);
  const i = d.initializers;
  if (i.count.delta || i.added || i.removed) lines.push(`initializers ${i.count.a} → ${i.count.b} (${i.added} added, ${i.removed} removed by name)`);
  const io = (kind: ValueKind) => kind === 'input' || kind === 'output';
  for (const c of [...d.dtypeChanges, ...d.shapeChanges].filter((c) => io(c.kind))) lines.push(`${c.kind} ${c.name}: ${c.a} → ${c.b}`);
  for (const [kind, names] of [['input', d.inputs.added], ['output', d.outputs.added]] as const) for (const n of names) lines.push(`${kind} ${n} added`);
  for (const [kind, names] of [['input', d.inputs.removed], ['output', d.outputs.removed]] as const) for (const n of names) lines.push(`${kind} ${n} removed`);
  capped(groupDtypeChanges(d.dtypeChanges.filter((c) => !io(c.kind))), (g) => `${g.what}: ${g.count} (${g.names.join(', ')}${g.count > g.names.length ? ', …' : ''})`, 'dtype changes');
  capped(d.shapeChanges.filter((c) => !io(c.kind)), (c) => `${c.kind} ${c.name}: ${c.a} → ${c.b}`, 'shape changes');
  return lines;
}

/** Markdown cell text: pipes and backticks escaped, no line breaks. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`').replace(/[\r\n]+/g, ' ');
}

/** How many rows a list shows before "… and N more". */
const MAX_ROWS = 50;

export function diffMarkdown(d: ModelDiff): string {
  const L: string[] = [];
  L.push(`# ${cell(d.a.name)} ↔ ${cell(d.b.name)}`);
  L.push('');
  L.push(d.structurallyIdentical ? '**Structurally identical.** The weights themselves are not compared.' : diffHeadline(d));
  L.push('');
  L.push(`- A: \`${cell(d.a.path)}\``);
  L.push(`- B: \`${cell(d.b.path)}\``);
  L.push('');
  L.push('| | A | B | change |');
  L.push('| --- | --- | --- | --- |');
  L.push(`| size on disk (with external data) | ${formatBytes(d.size.a)} | ${formatBytes(d.size.b)} | ${signed(d.size.delta, formatBytes)} (${formatChange(d.size.a, d.size.b)}) |`);
  L.push(`| nodes (main graph) | ${d.nodes.a} | ${d.nodes.b} | ${signed(d.nodes.delta)} |`);
  if (d.nodesTotal.a !== d.nodes.a || d.nodesTotal.b !== d.nodes.b) L.push(`| nodes (with subgraphs and functions) | ${d.nodesTotal.a} | ${d.nodesTotal.b} | ${signed(d.nodesTotal.delta)} |`);
  L.push(`| initializers | ${d.initializers.count.a} | ${d.initializers.count.b} | ${signed(d.initializers.count.delta)} (${d.initializers.added} added, ${d.initializers.removed} removed by name) |`);
  L.push(`| weights (initializers and Constant tensors) | ${formatBytes(d.weights.a)} | ${formatBytes(d.weights.b)} | ${signed(d.weights.delta, formatBytes)} |`);
  L.push(`| parameters | ${formatCount(d.parameters.a)} | ${formatCount(d.parameters.b)} | ${signed(d.parameters.delta, formatCount)} |`);
  L.push(`| IR version | ${d.irVersion.a} | ${d.irVersion.b} | |`);
  L.push(`| producer | ${cell(d.a.producer || '-')} | ${cell(d.b.producer || '-')} | |`);
  if (d.opsets.length) {
    L.push('', '## Opsets', '', '| domain | A | B |', '| --- | --- | --- |');
    for (const o of d.opsets) L.push(`| ${cell(o.domain)} | ${o.a ?? '—'} | ${o.b ?? '—'} |`);
  }
  if (d.ops.length) {
    L.push('', '## Operators', '', '| op | A | B | change |', '| --- | --- | --- | --- |');
    for (const o of d.ops.slice(0, MAX_ROWS)) L.push(`| ${cell(o.op)} | ${o.a} | ${o.b} | ${o.a === 0 ? 'added' : o.b === 0 ? 'removed' : signed(o.delta)} |`);
    if (d.ops.length > MAX_ROWS) L.push(`| … and ${d.ops.length - MAX_ROWS} more | | | |`);
  }
  if (d.dtypeChanges.length) {
    L.push('', `## Dtype changes (${d.dtypeChanges.length})`, '');
    if (d.dtypeChanges.length > MAX_ROWS) {
      L.push('| what | count | e.g. |', '| --- | --- | --- |');
      for (const g of groupDtypeChanges(d.dtypeChanges)) L.push(`| ${cell(g.what)} | ${g.count} | ${g.names.map((n) => `\`${cell(n)}\``).join(', ')}${g.count > g.names.length ? ', …' : ''} |`);
    } else {
      L.push('| kind | name | A | B |', '| --- | --- | --- | --- |');
      for (const c of d.dtypeChanges) L.push(`| ${c.kind} | \`${cell(c.name)}\` | ${c.a} | ${c.b} |`);
    }
  }
  if (d.shapeChanges.length) {
    L.push('', `## Shape changes (${d.shapeChanges.length})`, '', '| kind | name | A | B |', '| --- | --- | --- | --- |');
    for (const c of d.shapeChanges.slice(0, MAX_ROWS)) L.push(`| ${c.kind} | \`${cell(c.name)}\` | \`${cell(c.a)}\` | \`${cell(c.b)}\` |`);
    if (d.shapeChanges.length > MAX_ROWS) L.push(`| … and ${d.shapeChanges.length - MAX_ROWS} more | | | |`);
  }
  const io: string[] = [];
  const names = (xs: readonly string[]) => xs.map((n) => `\`${cell(n)}\``).join(', ');
  if (d.inputs.added.length) io.push(`- inputs only in B: ${names(d.inputs.added)}`);
  if (d.inputs.removed.length) io.push(`- inputs only in A: ${names(d.inputs.removed)}`);
  if (d.outputs.added.length) io.push(`- outputs only in B: ${names(d.outputs.added)}`);
  if (d.outputs.removed.length) io.push(`- outputs only in A: ${names(d.outputs.removed)}`);
  if (io.length) L.push('', '## Inputs and outputs', '', ...io);
  if (d.initializers.byDtype.length) {
    L.push('', '## Weights by dtype', '', '| dtype | A | B |', '| --- | --- | --- |');
    for (const t of d.initializers.byDtype) L.push(`| ${t.dtype} | ${formatBytes(t.a)} | ${formatBytes(t.b)} |`);
  }
  L.push('');
  return L.join('\n');
}
