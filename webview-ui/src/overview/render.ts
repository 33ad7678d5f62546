/**
 * The model overview, built as DOM from a ModelSummary. Rendering only: no messaging here.
 * The `data-testid` attributes are a contract with the end-to-end tests; keep them stable.
 */
import type { DimSummary, IoSummary, ModelSummary } from '../../../src/core/onnx/summary-types';
import type { OverviewErrorCode } from '../../../src/protocol/messages';
import { formatBytes, formatCount } from '../../../src/core/format';
import { h, icon } from '../shared/dom';

const exact = (n: number): string => n.toLocaleString('en-US');

/** A number shown short ("1.23M") with the exact value on hover. */
function count(n: number): HTMLElement {
  return h('span', { class: 'num', title: exact(n) }, formatCount(n));
}

function bytes(n: number): HTMLElement {
  return h('span', { class: 'num', title: `${exact(n)} bytes` }, formatBytes(n));
}

function section(title: string, iconName: string, testId: string, ...body: (Node | false)[]): HTMLElement {
  return h('section', { class: 'section', data: { testid: testId } }, h('h2', null, icon(iconName), title), ...body);
}

/** A column heading; `right` aligns numbers. */
type Column = string | { readonly label: string; readonly right: true };
const right = (label: string): Column => ({ label, right: true });

function table(columns: readonly Column[], rows: readonly HTMLTableRowElement[]): HTMLTableElement {
  const th = (c: Column): HTMLElement => (typeof c === 'string' ? h('th', { scope: 'col' }, c) : h('th', { scope: 'col', class: 'right' }, c.label));
  return h('table', null, h('thead', null, h('tr', null, ...columns.map(th))), h('tbody', null, ...rows));
}

function dim(d: DimSummary): HTMLElement {
  if (d === null) return h('span', { class: 'dim dim-unknown', title: 'unknown dimension' }, '?');
  if (typeof d === 'string') return h('span', { class: 'dim dim-symbolic', title: `symbolic dimension '${d}'` }, d);
  return h('span', { class: 'dim' }, d);
}

function shape(io: IoSummary): HTMLElement {
  if (io.kind !== 'tensor') return h('code', { class: 'shape' }, io.text);
  if (io.shape === null) return h('span', { class: 'muted', title: 'the model declares no shape' }, 'unknown rank');
  if (io.shape.length === 0) return h('span', { class: 'shape', title: 'a scalar (rank 0)' }, h('span', { class: 'muted' }, 'scalar'));
  const parts: (Node | string)[] = ['['];
  io.shape.forEach((d, i) => {
    if (i > 0) parts.push(', ');
    parts.push(dim(d));
  });
  parts.push(']');
  return h('code', { class: 'shape' }, ...parts);
}

function ioTable(items: readonly IoSummary[], rowTestId: 'input-row' | 'output-row'): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, 'None.');
  return table(
    ['Name', 'Type', 'Shape'],
    items.map((io) =>
      h(
        'tr',
        { data: { testid: rowTestId, name: io.name } },
        h('td', { class: 'name' }, h('code', null, io.name)),
        h('td', { class: 'dtype' }, io.kind === 'tensor' ? h('span', { class: 'dtype-badge' }, io.dtype || '?') : h('span', { class: 'muted' }, io.kind)),
        h('td', null, shape(io)),
      ),
    ),
  );
}

function header(s: ModelSummary): HTMLElement {
  const producer = [s.producer.name, s.producer.version].filter(Boolean).join(' ') || 'unknown producer';
  const weightBytes = s.initializers.bytes + s.constants.bytes;
  const stats: [string, string, HTMLElement][] = [
    ['symbol-class', 'Nodes', count(s.nodeCountTotal)],
    ['symbol-operator', 'Operator types', count(s.opHistogram.length)],
    ['symbol-numeric', 'Parameters', count(s.parameterCount)],
    ['database', 'Weights', bytes(weightBytes)],
  ];
  return h(
    'header',
    { class: 'header' },
    h('h1', null, icon('symbol-structure'), h('span', { class: 'file-name' }, s.file.name)),
    h(
      'p',
      { class: 'facts' },
      h('span', { title: s.file.path }, formatBytes(s.file.sizeBytes)),
      h('span', null, producer),
      h('span', null, `IR ${s.irVersion}`),
      s.graphName && h('span', { title: 'graph name' }, s.graphName),
    ),
    h(
      'p',
      { class: 'opsets', 'aria-label': 'opset imports' },
      ...s.opsets.map((o) => h('span', { class: 'chip', title: `opset ${o.version} of ${o.domain}` }, o.domain, h('b', null, o.version))),
    ),
    h(
      'div',
      { class: 'stats' },
      ...stats.map(([ic, label, value]) => h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, icon(ic), label), h('div', { class: 'stat-value' }, value))),
    ),
    s.nodeCountTotal !== s.nodeCount &&
      h('p', { class: 'muted small' }, `${exact(s.nodeCount)} nodes in the main graph, ${exact(s.nodeCountTotal)} with subgraphs and functions.`),
  );
}

function opName(op: string, opType: string): HTMLElement {
  const domain = op.length > opType.length ? op.slice(0, op.length - opType.length) : '';
  return h('code', null, domain && h('span', { class: 'muted' }, domain), opType);
}

function operators(s: ModelSummary): HTMLElement {
  const total = s.opHistogram.reduce((a, o) => a + o.count, 0);
  const max = s.opHistogram[0]?.count ?? 0;
  const rows = s.opHistogram.map((o) => {
    const bar = h('span', { class: 'bar-fill' });
    // CSSOM writes are allowed under the CSP (no inline style attributes are parsed).
    bar.style.width = `${max ? (o.count / max) * 100 : 0}%`;
    return h(
      'tr',
      { data: { testid: 'op-row', op: o.op, count: o.count } },
      h('td', { class: 'name' }, opName(o.op, o.opType)),
      h('td', { class: 'right' }, count(o.count)),
      h('td', { class: 'share' }, h('span', { class: 'bar', 'aria-hidden': 'true' }, bar)),
      h('td', { class: 'right muted' }, `${total ? ((o.count / total) * 100).toFixed(1) : '0.0'}%`),
    );
  });
  return section(
    'Operators',
    'symbol-operator',
    'operators',
    s.opHistogram.length === 0 ? h('p', { class: 'muted' }, 'The graph has no nodes.') : table(['Operator', right('Count'), 'Share', right('%')], rows),
    h('p', { class: 'muted small' }, 'Counted over the main graph and its subgraphs (If/Loop/Scan bodies), not function bodies.'),
  );
}

function weights(s: ModelSummary): HTMLElement {
  const rows = s.initializers.byDtype.map((d) =>
    h('tr', null, h('td', null, h('span', { class: 'dtype-badge' }, d.dtype)), h('td', { class: 'right' }, count(d.count)), h('td', { class: 'right' }, count(d.elements)), h('td', { class: 'right' }, bytes(d.bytes))),
  );
  if (s.constants.count > 0) {
    rows.push(
      h(
        'tr',
        { class: 'constants', title: 'Tensors held by Constant nodes (some exporters store weights this way)' },
        h('td', null, 'Constant nodes'),
        h('td', { class: 'right' }, count(s.constants.count)),
        h('td', { class: 'right' }, count(s.constants.elements)),
        h('td', { class: 'right' }, bytes(s.constants.bytes)),
      ),
    );
  }
  return section(
    'Weights',
    'database',
    'weights',
    rows.length === 0 ? h('p', { class: 'muted' }, 'No initializers or Constant-node tensors.') : table(['Type', right('Tensors'), right('Elements'), right('Size')], rows),
    h(
      'p',
      { class: 'small' },
      h('b', null, count(s.parameterCount)),
      ' parameters in ',
      count(s.initializers.count),
      ' initializers',
      s.constants.count > 0 && ` and ${exact(s.constants.count)} Constant-node tensors`,
      ', ',
      bytes(s.initializers.bytes + s.constants.bytes),
      ' in all.',
    ),
  );
}

function externalData(s: ModelSummary): HTMLElement | false {
  if (s.externalData.files.length === 0) return false;
  return section(
    'External data',
    'file-symlink-file',
    'external-data',
    table(
      ['Location', right('Tensors'), right('Referenced'), right('On disk'), 'Status'],
      s.externalData.files.map((f) =>
        h(
          'tr',
          { class: f.problem ? 'problem' : undefined },
          h('td', { class: 'name' }, h('code', null, f.location)),
          h('td', { class: 'right' }, count(f.tensorCount)),
          h('td', { class: 'right' }, bytes(f.referencedBytes)),
          h('td', { class: 'right' }, f.sizeBytes === null ? h('span', { class: 'muted' }, '—') : bytes(f.sizeBytes)),
          h('td', null, f.problem ? h('span', { class: 'warn' }, icon('warning'), f.problem) : h('span', { class: 'ok' }, icon('pass'), 'ok')),
        ),
      ),
    ),
  );
}

function structure(s: ModelSummary): HTMLElement | false {
  if (s.subgraphCount === 0 && s.functions.length === 0) return false;
  return section(
    'Structure',
    'type-hierarchy',
    'structure',
    h(
      'p',
      null,
      h('b', null, exact(s.subgraphCount)),
      ' subgraphs (If/Loop/Scan bodies) · ',
      h('b', null, exact(s.functions.length)),
      ' local functions',
    ),
    s.functions.length > 0 &&
      table(
        ['Function', right('Nodes')],
        s.functions.map((f) => h('tr', null, h('td', { class: 'name' }, h('code', null, f.domain ? `${f.domain}.${f.name}` : f.name)), h('td', { class: 'right' }, count(f.nodeCount)))),
      ),
  );
}

function metadata(s: ModelSummary): HTMLElement | false {
  const rows = s.metadata.map((m) => h('tr', null, h('td', { class: 'name' }, h('code', null, m.key)), h('td', { class: 'value' }, m.value)));
  if (s.docString) rows.unshift(h('tr', null, h('td', { class: 'name' }, 'doc string'), h('td', { class: 'value' }, s.docString)));
  if (s.domain) rows.unshift(h('tr', null, h('td', { class: 'name' }, 'domain'), h('td', { class: 'value' }, s.domain)));
  if (rows.length === 0) return false;
  return section('Metadata', 'tag', 'metadata', table(['Key', 'Value'], rows));
}

function warnings(s: ModelSummary): HTMLElement | false {
  if (s.warnings.length === 0) return false;
  return section('Warnings', 'warning', 'warnings', h('ul', { class: 'warnings' }, ...s.warnings.map((w) => h('li', null, icon('warning'), h('span', null, w)))));
}

function footer(s: ModelSummary): HTMLElement {
  const share = s.file.sizeBytes ? (s.parse.bytesRead / s.file.sizeBytes) * 100 : 100;
  return h(
    'footer',
    { class: 'footer muted small', data: { testid: 'parse-stats' } },
    icon('dashboard'),
    `Read ${formatBytes(s.parse.bytesRead)} of ${formatBytes(s.file.sizeBytes)} (${share.toFixed(share < 10 ? 1 : 0)}%) in ${s.parse.millis.toFixed(1)} ms. Weights stay on disk.`,
  );
}

export function renderOverview(s: ModelSummary): HTMLElement {
  return h(
    'main',
    { class: 'overview', data: { testid: 'model-overview', modelName: s.file.name } },
    header(s),
    warnings(s),
    h(
      'div',
      { class: 'columns' },
      section('Inputs', 'arrow-right', 'inputs', ioTable(s.inputs, 'input-row')),
      section('Outputs', 'arrow-left', 'outputs', ioTable(s.outputs, 'output-row')),
    ),
    operators(s),
    weights(s),
    externalData(s),
    structure(s),
    metadata(s),
    footer(s),
  );
}

export function renderLoading(): HTMLElement {
  return h('div', { class: 'state loading', data: { testid: 'loading' }, role: 'status' }, icon('loading', { spin: true }), 'Reading model…');
}

const ERROR_TITLES: Record<OverviewErrorCode, string> = {
  truncated: 'The model file is truncated',
  malformed: 'The model file is not valid ONNX',
  'not-onnx': 'This is not an ONNX model',
  'external-data-refused': 'External data refused',
  io: 'The model file could not be read',
  cancelled: 'Reading was cancelled',
  unsupported: 'This file cannot be opened here',
  internal: 'Inference Lens failed unexpectedly',
};

export function renderError(code: OverviewErrorCode, message: string, hint: string, onRetry: () => void): HTMLElement {
  const retry = h('button', { type: 'button', class: 'button' }, icon('refresh'), 'Try again');
  retry.addEventListener('click', onRetry);
  return h(
    'div',
    { class: 'state error', data: { testid: 'error', code }, role: 'alert' },
    h('h2', null, icon(code === 'cancelled' ? 'circle-slash' : 'error'), ERROR_TITLES[code]),
    h('p', { class: 'error-message' }, message),
    hint && h('p', { class: 'error-hint', data: { testid: 'error-hint' } }, icon('lightbulb'), h('span', null, hint)),
    retry,
  );
}
