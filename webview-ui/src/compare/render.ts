/**
 * The comparison view, built as DOM from one comparison file (`.ilcmp.json`): what was done to the
 * model, the numerical check of B against A, the before/after metrics, per-operator deltas and the
 * structural changes. Rendering only: the buttons call `post`. The `data-testid` / `data-*`
 * attributes are a contract with the webview and end-to-end tests; keep them stable.
 */
import { formatMetricValue, type MetricDelta, type OpDelta } from '../../../src/core/compare/compare-runs';
import type { ComparisonFile } from '../../../src/core/compare/comparison';
import { formatBytes, formatCount, formatDuration, formatMs, formatRate } from '../../../src/core/format';
import { diffHeadline, groupDtypeChanges, signed } from '../../../src/core/onnx/diff-report';
import type { OutputAgreement } from '../../../src/core/verify/agreement';
import type { ComparisonToExtension } from '../../../src/protocol/messages';
import { h, icon } from '../shared/dom';
import { dataTable, type Column } from '../shared/table';

type Post = (m: ComparisonToExtension) => void;

const VERDICT: Readonly<Record<ComparisonFile['verify']['verdict'], { text: string; icon: string; detail: string }>> = {
  pass: { text: 'Outputs agree', icon: 'pass', detail: 'every output identical or within tolerance' },
  warn: { text: 'Outputs drift', icon: 'warning', detail: 'usable, but check accuracy on real data' },
  fail: { text: 'Outputs differ', icon: 'error', detail: 'the new model does not compute the same thing' },
};

const OUTPUT_VERDICT: Readonly<Record<OutputAgreement['verdict'], string>> = {
  identical: 'pass',
  close: 'pass',
  drift: 'warning',
  differs: 'error',
  mismatch: 'error',
  missing: 'error',
};

/** Scientific notation for the very small and very large errors, three digits otherwise. */
function sci(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
}

function button(label: string, iconName: string, onClick: () => void, opts: { secondary?: boolean; disabledWhy?: string; testid?: string } = {}): HTMLButtonElement {
  const b = h('button', { class: `button${opts.secondary ? ' secondary' : ''}`, type: 'button', title: opts.disabledWhy, data: opts.testid ? { testid: opts.testid } : undefined }, icon(iconName), label);
  if (opts.disabledWhy) b.disabled = true;
  else b.addEventListener('click', onClick);
  return b;
}

function section(title: string, iconName: string, testId: string, ...body: (Node | string | false | null)[]): HTMLElement {
  return h('section', { class: 'section', data: { testid: testId } }, h('h2', null, icon(iconName), title), ...body);
}

function table(columns: readonly (readonly [string, 'left' | 'right'])[], rows: readonly HTMLTableRowElement[]): HTMLTableElement {
  return h(
    'table',
    null,
    h('thead', null, h('tr', null, ...columns.map(([label, align]) => h('th', { scope: 'col', class: align === 'right' ? 'right' : undefined }, label)))),
    h('tbody', null, ...rows),
  );
}

function card(label: string, value: Node | string, detail?: string, testid?: string): HTMLElement {
  return h('div', { class: 'card', data: testid ? { testid } : undefined }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value), detail ? h('div', { class: 'card-detail' }, detail) : null);
}

function header(c: ComparisonFile, post: Post): HTMLElement {
  const v = VERDICT[c.verify.verdict];
  const created = new Date(c.createdAt);
  const noRuns = c.runs ? undefined : 'The models were not profiled in this comparison.';
  return h(
    'header',
    { class: 'header' },
    h('h1', null, icon('git-compare'), h('span', { class: 'title', data: { testid: 'title' } }, `${c.a.name} → ${c.b.name}`)),
    h(
      'p',
      { class: 'facts' },
      // Chips are not spans: the facts' " · " separators go between the plain facts only.
      c.transform ? h('strong', { class: 'chip', data: { testid: 'transform' } }, c.transform.title) : h('strong', { class: 'chip' }, 'Compare With'),
      h('strong', { class: `chip verdict verdict-${c.verify.verdict}`, data: { testid: 'verdict', verdict: c.verify.verdict } }, icon(v.icon), v.text),
      h('span', null, `on ${c.verify.ep.toUpperCase()}`),
      h('span', { data: { testid: 'sizes' } }, `${formatBytes(c.a.sizeBytes)} → ${formatBytes(c.b.sizeBytes)}`),
      h('span', { title: c.createdAt }, Number.isNaN(created.getTime()) ? c.createdAt : created.toLocaleString()),
    ),
    h('p', { class: 'facts muted small' }, h('span', { title: c.a.path }, `A (reference): ${c.a.path}`), h('span', { title: c.b.path }, `B: ${c.b.path}`)),
    h(
      'div',
      { class: 'actions' },
      button('Open New Model', 'symbol-structure', () => post({ type: 'openModel', which: 'b' }), { testid: 'open-b' }),
      button('Open Original', 'symbol-structure', () => post({ type: 'openModel', which: 'a' }), { secondary: true }),
      button('Reveal in Explorer', 'files', () => post({ type: 'revealModel', which: 'b' }), { secondary: true }),
      button('Profile of A', 'pulse', () => post({ type: 'openRun', which: 'a' }), { secondary: true, ...(noRuns ? { disabledWhy: noRuns } : {}) }),
      button('Profile of B', 'pulse', () => post({ type: 'openRun', which: 'b' }), { secondary: true, ...(noRuns ? { disabledWhy: noRuns } : {}) }),
      button('Open Comparison File', 'json', () => post({ type: 'openComparisonFile' }), { secondary: true }),
    ),
  );
}

function summaryCards(c: ComparisonFile): HTMLElement {
  const v = VERDICT[c.verify.verdict];
  const cards = [card('Numerical check', h('span', { class: `verdict-${c.verify.verdict}` }, icon(v.icon), ` ${c.verify.verdict.toUpperCase()}`), v.detail)];
  const cmp = c.comparison;
  if (cmp) {
    const p50 = cmp.metrics.find((m) => m.key === 'latency-p50');
    cards.push(card('Speedup (p50)', h('span', { class: 'num', data: { testid: 'speedup', value: cmp.speedup } }, `${cmp.speedup.toFixed(2)}×`), p50 ? `${formatMs(p50.a)} → ${formatMs(p50.b)} ms` : undefined));
    const tput = cmp.metrics.find((m) => m.key === 'throughput');
    if (tput) cards.push(card('Throughput', h('span', { class: 'num' }, `${formatRate(tput.b)}/s`), `was ${formatRate(tput.a)}/s`));
    const tps = cmp.metrics.find((m) => m.key === 'tokens-per-sec');
    if (tps) cards.push(card('Decode', h('span', { class: 'num' }, `${formatRate(tps.b)} tok/s`), `was ${formatRate(tps.a)} tok/s`));
  }
  const ratio = c.a.sizeBytes > 0 ? c.b.sizeBytes / c.a.sizeBytes : 1;
  cards.push(card('Size on disk', h('span', { class: 'num' }, formatBytes(c.b.sizeBytes)), `${(ratio * 100).toFixed(0)}% of ${formatBytes(c.a.sizeBytes)}`));
  return h('div', { class: 'cards summary-cards' }, ...cards);
}

function transformSection(c: ComparisonFile): HTMLElement | null {
  const t = c.transform;
  if (!t) return null;
  return section(
    `What ${t.title} changed`,
    'wand',
    'transform-changes',
    h('ul', { class: 'notes changes' }, ...t.changes.map((line) => h('li', null, icon('arrow-right'), h('span', null, line)))),
    t.warnings?.length ? h('ul', { class: 'warnings' }, ...t.warnings.map((w) => h('li', null, icon('warning'), h('span', null, w)))) : null,
  );
}

function agreementRow(o: OutputAgreement): HTMLTableRowElement {
  const comparable = o.verdict !== 'missing' && o.verdict !== 'mismatch';
  const dash = h('span', { class: 'muted' }, '–');
  const shape = (x: OutputAgreement['a']) => (x ? `${x.dtype}[${x.dims.join(',')}]` : '–');
  return h(
    'tr',
    { data: { testid: 'agreement-row', output: o.name, verdict: o.verdict, maxAbs: o.maxAbsError, cosine: o.cosine } },
    h('td', { class: 'name' }, h('code', null, o.name), h('div', { class: 'small muted' }, shape(o.a) === shape(o.b) ? shape(o.a) : `${shape(o.a)} → ${shape(o.b)}`)),
    h('td', null, h('span', { class: `verdict-badge verdict-${OUTPUT_VERDICT[o.verdict]}` }, icon(OUTPUT_VERDICT[o.verdict] === 'pass' ? 'pass' : OUTPUT_VERDICT[o.verdict]), o.verdict), h('div', { class: 'small muted reason' }, o.reason)),
    h('td', { class: 'right num' }, comparable ? sci(o.maxAbsError) : dash),
    h('td', { class: 'right num' }, comparable ? sci(o.meanAbsError) : dash),
    h('td', { class: 'right num' }, comparable ? sci(o.maxRelError) : dash),
    h('td', { class: 'right num' }, comparable ? o.cosine.toFixed(6) : dash),
    h('td', { class: 'right num' }, o.top1 ? `${(o.top1.agreement * 100).toFixed(1)}%` : dash),
    h('td', { class: 'right num' }, comparable ? `${o.nanA}/${o.infA} → ${o.nanB}/${o.infB}` : dash),
  );
}

function agreementSection(c: ComparisonFile): HTMLElement {
  const v = c.verify;
  const t = v.tolerances;
  return section(
    'Numerical check: B against A on the same inputs',
    'beaker',
    'agreement',
    h('p', { class: 'muted small' }, `Inputs: ${v.inputs.map((i) => `${i.name} ${i.dtype}[${i.dims.join(',')}]`).join(', ')}. Close: cosine ≥ ${t.cosineClose} and top-1 ≥ ${t.top1Close * 100}%; drift: cosine ≥ ${t.cosineDrift}. Relative error: |a − b| / (|a| + ${t.epsilon}).`),
    v.inputNotes.length ? h('ul', { class: 'notes' }, ...v.inputNotes.map((n) => h('li', null, icon('info'), h('span', null, n)))) : null,
    table(
      [
        ['Output', 'left'],
        ['Verdict', 'left'],
        ['Max abs error', 'right'],
        ['Mean abs error', 'right'],
        ['Max rel error', 'right'],
        ['Cosine', 'right'],
        ['Top-1', 'right'],
        ['NaN/Inf A → B', 'right'],
      ],
      v.outputs.map(agreementRow),
    ),
  );
}


function changeCell(m: MetricDelta): HTMLElement {
  const pct = m.change === null ? (m.b === 0 ? '0%' : 'new') : `${m.change > 0 ? '+' : m.change < 0 ? '−' : ''}${Math.abs(m.change * 100).toFixed(1)}%`;
  const glyph = m.delta > 0 ? 'arrow-up' : m.delta < 0 ? 'arrow-down' : 'dash';
  return h('span', { class: `change change-${m.verdict}` }, icon(glyph), ` ${pct} `, h('span', { class: 'small' }, m.verdict));
}

function beforeAfterSection(c: ComparisonFile): HTMLElement {
  const cmp = c.comparison;
  if (!cmp) return section('Before / after', 'dashboard', 'before-after', h('p', { class: 'muted' }, 'The models were not profiled in this comparison.'));
  return section(
    'Before / after',
    'dashboard',
    'before-after',
    h('p', { class: 'muted small' }, `Both profiled with the same settings; changes within ±3% count as the same (run-to-run noise). Node time per profiled run: ${cmp.nodeTimeUs ? `${formatDuration(cmp.nodeTimeUs.a)} → ${formatDuration(cmp.nodeTimeUs.b)}` : 'not recorded'}.`),
    table(
      [
        ['Metric', 'left'],
        [`Before (${c.a.name})`, 'right'],
        [`After (${c.b.name})`, 'right'],
        ['Change', 'left'],
      ],
      cmp.metrics.map((m) =>
        h(
          'tr',
          { data: { testid: 'metric-row', key: m.key, a: m.a, b: m.b, verdict: m.verdict } },
          h('td', { class: 'name' }, m.label),
          h('td', { class: 'right num' }, formatMetricValue(m, m.a)),
          h('td', { class: 'right num' }, formatMetricValue(m, m.b)),
          h('td', null, changeCell(m)),
        ),
      ),
    ),
    cmp.notes.length ? h('ul', { class: 'warnings', data: { testid: 'comparison-notes' } }, ...cmp.notes.map((n) => h('li', null, icon('warning'), h('span', null, n)))) : null,
  );
}

function operatorSection(c: ComparisonFile): HTMLElement | null {
  const ops = c.comparison?.operators;
  if (!ops?.length) return null;
  const maxAbs = Math.max(...ops.map((o) => Math.abs(o.deltaUs)), 1);
  const columns: Column<OpDelta>[] = [
    { key: 'op', label: 'Operator', value: (o) => o.opType },
    { key: 'ep', label: 'EP', value: (o) => o.provider.replace(/ExecutionProvider$/, '') },
    { key: 'a', label: 'Before / run', numeric: true, value: (o) => o.a?.us ?? 0, render: (o) => (o.a ? formatDuration(o.a.us) : '–') },
    { key: 'b', label: 'After / run', numeric: true, value: (o) => o.b?.us ?? 0, render: (o) => (o.b ? formatDuration(o.b.us) : '–') },
    {
      key: 'delta',
      label: 'Delta',
      numeric: true,
      value: (o) => o.deltaUs,
      render: (o) => h('span', { class: `change change-${o.deltaUs < 0 ? 'better' : o.deltaUs > 0 ? 'worse' : 'same'}` }, `${o.deltaUs > 0 ? '+' : o.deltaUs < 0 ? '−' : ''}${formatDuration(Math.abs(o.deltaUs))}`),
      title: 'Time per profiled run, after minus before',
    },
    { key: 'calls', label: 'Calls / run', numeric: true, value: (o) => o.b?.calls ?? 0, render: (o) => `${o.a ? formatRate(o.a.calls) : '–'} → ${o.b ? formatRate(o.b.calls) : '–'}` },
    { key: 'bar', label: 'Share of the largest change', value: (o) => Math.abs(o.deltaUs) / maxAbs, render: (o) => `${((Math.abs(o.deltaUs) / maxAbs) * 100).toFixed(0)}%`, share: (o) => Math.abs(o.deltaUs) / maxAbs },
  ];
  const t = dataTable({
    testId: 'op-deltas',
    rowTestId: 'op-delta-row',
    columns,
    rows: ops,
    rowKey: (o) => `${o.opType}@${o.provider}`,
    sort: { key: 'bar', descending: true },
    filterPlaceholder: 'Filter operators',
    caption: 'Time per profiled run from ORT’s profiler. Ops only in A went away (fused or replaced); ops only in B are new.',
  });
  return section('Per-operator deltas', 'symbol-operator', 'operators', t.element);
}

/** Rows of one kind of structural change before "… and N more". */
const MAX_STRUCTURE_ROWS = 50;

/**
 * The structural diff (the ModelDiff Compare Models and `inference-lens compare` show): the totals,
 * opsets, op counts, weights by dtype, dtype and shape changes by name, inputs and outputs only in
 * one model. Each row carries its kind and both raw values (`data-a`, `data-b`).
 */
function structureSection(c: ComparisonFile): HTMLElement {
  const d = c.structure;
  const code = (s: string | number) => h('code', null, String(s));
  const named = (kind: string, name: string) => h('span', null, `${kind} `, code(name));
  const row = (key: string, kind: string, label: Node | string, a: string | number, b: string | number, change: string, show: (v: string | number) => Node | string = String) =>
    h(
      'tr',
      { data: { testid: 'structure-row', key, kind, a: String(a), b: String(b) } },
      h('td', { class: 'name' }, label),
      h('td', { class: 'right num' }, show(a)),
      h('td', { class: 'right num' }, show(b)),
      h('td', { class: 'right change' }, change),
    );
  const bytes = (v: string | number) => (typeof v === 'number' ? formatBytes(v) : v);
  const capped = <T>(xs: readonly T[], f: (x: T) => HTMLTableRowElement, what: string) => [
    ...xs.slice(0, MAX_STRUCTURE_ROWS).map(f),
    ...(xs.length > MAX_STRUCTURE_ROWS ? [h('tr', { class: 'muted' }, h('td', { colspan: 4 }, `… and ${xs.length - MAX_STRUCTURE_ROWS} more ${what}`))] : []),
  ];
  const i = d.initializers;
  const grouped = d.dtypeChanges.length > MAX_STRUCTURE_ROWS;
  const rows: HTMLTableRowElement[] = [
    row('nodes', 'total', 'Nodes', d.nodes.a, d.nodes.b, signed(d.nodes.delta)),
    ...(d.nodesTotal.a !== d.nodes.a || d.nodesTotal.b !== d.nodes.b ? [row('nodes-total', 'total', 'Nodes with subgraphs and functions', d.nodesTotal.a, d.nodesTotal.b, signed(d.nodesTotal.delta))] : []),
    row('weights', 'total', 'Weights (initializers and Constant tensors)', d.weights.a, d.weights.b, signed(d.weights.delta, formatBytes), bytes),
    row('parameters', 'total', 'Parameters', d.parameters.a, d.parameters.b, signed(d.parameters.delta, formatCount), (v) => formatCount(Number(v))),
    row('initializers', 'total', 'Initializers', i.count.a, i.count.b, `${signed(i.count.delta)} (${i.added} added, ${i.removed} removed by name)`),
    ...(d.irVersion.a !== d.irVersion.b ? [row('ir-version', 'total', 'IR version', d.irVersion.a, d.irVersion.b, 'changed')] : []),
    ...d.opsets.map((o) => row(`opset:${o.domain}`, 'opset', `opset ${o.domain}`, o.a ?? '–', o.b ?? '–', o.a === null ? 'added' : o.b === null ? 'removed' : 'changed')),
    ...capped(d.ops, (o) => row(`op:${o.op}`, 'op', code(o.op), o.a, o.b, o.a === 0 ? 'added' : o.b === 0 ? 'removed' : signed(o.delta)), 'op types'),
    ...i.byDtype.map((t) => row(`weights:${t.dtype}`, 'weights-by-dtype', `${t.dtype} weights`, t.a, t.b, signed(t.b - t.a, formatBytes), bytes)),
    ...(grouped
      ? groupDtypeChanges(d.dtypeChanges).map((g) => row(`dtype:${g.what}`, 'dtype-group', g.what, '', '', `${g.count}× (${g.names.join(', ')}${g.count > g.names.length ? ', …' : ''})`))
      : d.dtypeChanges.map((x) => row(`dtype:${x.kind}:${x.name}`, 'dtype', named(x.kind, x.name), x.a, x.b, 'dtype', code))),
    ...capped(d.shapeChanges, (x) => row(`shape:${x.kind}:${x.name}`, 'shape', named(x.kind, x.name), x.a, x.b, 'shape', code), 'shape changes'),
    ...(['inputs', 'outputs'] as const).flatMap((k) => [
      ...d[k].added.map((n) => row(`${k}:${n}`, 'io', named(k.slice(0, -1), n), '–', 'present', 'added')),
      ...d[k].removed.map((n) => row(`${k}:${n}`, 'io', named(k.slice(0, -1), n), 'present', '–', 'removed')),
    ]),
  ];
  return section(
    'Graph changes',
    'type-hierarchy',
    'structure',
    h(
      'p',
      { class: 'muted', data: { testid: 'structure-headline', identical: String(d.structurallyIdentical) } },
      d.structurallyIdentical ? 'Structurally identical: the same ops, dtypes, shapes and weight sizes (the weights themselves are not compared).' : diffHeadline(d),
    ),
    table(
      [
        ['', 'left'],
        ['A', 'right'],
        ['B', 'right'],
        ['Change', 'right'],
      ],
      rows,
    ),
  );
}

export function renderComparison(c: ComparisonFile, filePath: string, post: Post): HTMLElement {
  return h(
    'main',
    { class: 'comparison', data: { testid: 'comparison', verdict: c.verify.verdict } },
    header(c, post),
    summaryCards(c),
    transformSection(c),
    agreementSection(c),
    beforeAfterSection(c),
    operatorSection(c),
    structureSection(c),
    h('footer', { class: 'footer muted small' }, icon('file'), h('span', { title: filePath }, filePath)),
  );
}
