/**
 * The graph view's properties panel: what is selected (a node or a group), its attributes, inputs
 * and outputs with shapes, initializer dtypes and shapes with weight statistics read on demand,
 * measured time and static cost, and "Go to source" when the model records PyTorch frames.
 */
import { formatBytes, formatCount, formatDuration, formatShare } from '../../../src/core/format';
import { splitLines, type GraphCost, type GraphTiming, type WeightStats } from '../../../src/core/graph/types';
import { userFrame, type SourceFrame } from '../../../src/core/profile/source';
import type { WebviewToExtension } from '../../../src/protocol/messages';
import { h, icon } from '../shared/dom';
import type { GraphModel } from './model';

export interface PanelContext {
  readonly model: GraphModel;
  readonly cost: GraphCost | undefined;
  readonly timing: GraphTiming | undefined;
  post(message: WebviewToExtension): void;
  /** Select (and show) another item: a value's producer or consumer. */
  select(item: number): void;
  toggle(group: number): void;
  isOpen(group: number): boolean;
  /** Statistics already read this session, by tensor index. */
  readonly stats: Map<number, WeightStats | { error: string } | 'pending'>;
}

const exact = (n: number): string => n.toLocaleString('en-US');

function section(title: string, ...body: (Node | string | null | false)[]): HTMLElement {
  return h('section', { class: 'gp-section' }, h('h3', null, title), ...body);
}

function kv(rows: readonly [string, Node | string][], testId?: string): HTMLElement {
  return h('table', { class: 'gp-kv', data: testId ? { testid: testId } : undefined }, h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v)))));
}

function link(label: string, title: string, onClick: () => void): HTMLElement {
  const a = h('button', { class: 'gp-link', type: 'button', title }, label);
  a.addEventListener('click', onClick);
  return a;
}

function statsTable(s: WeightStats): HTMLElement {
  const fmt = (v: number | null): string => (v === null ? '—' : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : String(+v.toPrecision(6)));
  return kv(
    [
      ['min', fmt(s.min)],
      ['max', fmt(s.max)],
      ['mean', fmt(s.mean)],
      ['std', fmt(s.std)],
      ['zeros', `${exact(s.zeros)} (${formatShare(s.elements ? s.zeros / s.elements : 0)})`],
      ['NaN', exact(s.nans)],
      ['±Inf', exact(s.infs)],
      ['read', `${formatBytes(s.bytesRead)} in ${s.millis.toFixed(1)} ms`],
    ],
    'weight-stats',
  );
}

function tensorBlock(ctx: PanelContext, t: number, rerender: () => void): HTMLElement {
  const g = ctx.model.graph;
  const dtype = ctx.model.str(g.tensors.dtype[t]!);
  const dims = ctx.model.str(g.tensors.dims[t]!);
  const bytes = g.tensors.bytes[t]!;
  const state = ctx.stats.get(t);
  const button = h('button', { class: 'button secondary small', type: 'button', data: { testid: 'weight-stats-button' } }, icon('graph'), state === 'pending' ? 'Reading…' : 'Statistics');
  if (state === 'pending') button.setAttribute('disabled', 'true');
  button.addEventListener('click', () => {
    ctx.stats.set(t, 'pending');
    ctx.post({ type: 'weightStats', tensor: t });
    rerender();
  });
  return h(
    'div',
    { class: 'gp-tensor', data: { testid: 'tensor', tensor: t } },
    h('span', { class: 'dtype-badge' }, dtype),
    ' ',
    h('code', null, dims),
    ' ',
    h('span', { class: 'muted' }, `${formatBytes(bytes)}${g.tensors.external[t] ? ', external data' : ''}`),
    ' ',
    state && state !== 'pending' ? null : button,
    state && state !== 'pending' && 'error' in state ? h('p', { class: 'gp-error', role: 'alert' }, state.error) : null,
    state && state !== 'pending' && !('error' in state) ? statsTable(state) : null,
  );
}

function valueRows(ctx: PanelContext, values: Int32Array, dir: 'in' | 'out', rerender: () => void): HTMLElement {
  const m = ctx.model;
  const g = m.graph;
  if (values.length === 0) return h('p', { class: 'muted' }, 'None.');
  return h(
    'ul',
    { class: 'gp-values', data: { testid: dir === 'in' ? 'node-inputs' : 'node-outputs' } },
    ...[...values].map((v) => {
      if (v < 0) return h('li', { class: 'muted' }, '(omitted optional input)');
      const name = m.str(g.values.name[v]!);
      const type = m.str(g.values.type[v]!);
      const t = g.values.tensor[v]!;
      const producer = g.values.producer[v]!;
      const parts: (Node | string)[] = [h('code', { class: 'gp-value-name' }, name), ' ', type ? h('code', { class: 'gp-type' }, type) : h('span', { class: 'muted' }, 'type unknown')];
      if (dir === 'in' && producer >= 0) parts.push(' ', link(`from ${m.title(producer)}`, `Select the node that produces ${name}`, () => ctx.select(producer)));
      if (dir === 'out') {
        const consumers = m.consumers(v);
        if (consumers.length === 1) parts.push(' ', link(`to ${m.title(consumers[0]!)}`, `Select the node that reads ${name}`, () => ctx.select(consumers[0]!)));
        else if (consumers.length > 1) parts.push(' ', h('span', { class: 'muted' }, `to ${consumers.length} nodes`));
      }
      return h('li', { data: { value: name } }, ...parts, t >= 0 ? tensorBlock(ctx, t, rerender) : null);
    }),
  );
}

function sourceFrames(text: string): SourceFrame[] {
  return splitLines(text)
    .map(([file, line, func]) => ({ file: file ?? '', line: Number(line), func: func ?? '' }))
    .filter((f) => f.file && f.line > 0);
}

function costRows(ctx: PanelContext, item: number, isGroup: boolean): [string, Node | string][] {
  const m = ctx.model;
  const rows: [string, Node | string][] = [];
  const sum = (col: Float64Array | undefined): number | undefined => {
    if (!col) return undefined;
    if (!isGroup) return Number.isNaN(col[item]!) ? undefined : col[item]!;
    let total = 0;
    let any = false;
    walkNodes(m, item - m.N, (i) => {
      const v = col[i]!;
      if (!Number.isNaN(v)) {
        total += v;
        any = true;
      }
    });
    return any ? total : undefined;
  };
  const t = sum(ctx.timing?.nodeUs);
  if (ctx.timing && t !== undefined) rows.push(['Time per run', h('span', { data: { testid: 'node-time' } }, `${formatDuration(t)} (${formatShare(ctx.timing.totalUs ? t / ctx.timing.totalUs : 0)} of node time)`)]);
  else if (ctx.timing) rows.push(['Time per run', h('span', { class: 'muted' }, 'not in the profile (folded away or fused by ONNX Runtime)')]);
  const macs = sum(ctx.cost?.macs);
  if (macs !== undefined) rows.push(['MACs', h('span', { title: exact(macs) }, formatCount(macs))]);
  const flops = sum(ctx.cost?.flops);
  if (flops !== undefined) rows.push(['FLOPs', h('span', { title: exact(flops) }, formatCount(flops))]);
  const params = sum(ctx.cost?.paramBytes);
  if (params !== undefined && params > 0) rows.push(['Parameters', h('span', { title: `${exact(params)} bytes` }, formatBytes(params))]);
  if (!isGroup) for (const f of ctx.timing?.fusedInto ?? []) if (f.node === item) rows.push(['Fused into', h('code', null, f.fused)]);
  return rows;
}

/** Calls `visit` for every op node in group g's subtree. */
export function walkNodes(m: GraphModel, g: number, visit: (node: number) => void): void {
  const stack = [g];
  while (stack.length) {
    const k = stack.pop()!;
    for (const c of m.children(k)) {
      if (c >= m.N) stack.push(c - m.N);
      else if (m.nodeKind(c) === 'op') visit(c);
    }
  }
}

/** The panel's content for item (a node or a group), or a hint when nothing is selected. */
export function renderProperties(ctx: PanelContext, item: number | undefined, rerender: () => void): HTMLElement {
  const m = ctx.model;
  if (item === undefined) {
    return h(
      'div',
      { class: 'gp-empty muted', data: { testid: 'properties-empty' } },
      h('p', null, 'Select a node or a group to see its properties.'),
      h('p', null, 'Double-click a group (or click its ± box) to expand or collapse it. Drag to pan, Ctrl+wheel to zoom, F to fit.'),
    );
  }
  if (m.isGroup(item)) {
    const g = item - m.N;
    const ops = new Map<string, number>();
    walkNodes(m, g, (i) => ops.set(m.opType(i), (ops.get(m.opType(i)) ?? 0) + 1));
    const top = [...ops].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const kind = m.groupKind(g);
    const info = splitLines(m.str(m.graph.groups.info[g]!));
    const open = ctx.isOpen(g);
    const toggle = h('button', { class: 'button secondary small', type: 'button', data: { testid: 'group-toggle' } }, icon(open ? 'collapse-all' : 'expand-all'), open ? 'Collapse' : 'Expand');
    toggle.addEventListener('click', () => ctx.toggle(g));
    return h(
      'div',
      { class: 'gp-props', data: { testid: 'properties', kind: 'group', group: g } },
      h('h2', null, icon(kind === 'function' ? 'symbol-method' : kind === 'subgraph' || kind === 'control' ? 'symbol-namespace' : 'symbol-module'), m.title(item)),
      h('p', { class: 'muted small' }, `${kind === 'scope' ? 'module scope' : kind === 'chunk' ? 'consecutive nodes' : kind}${m.scopePath(item) ? ` in ${m.scopePath(item)}` : ''}`),
      kv([['Nodes', exact(m.graph.groups.nodeCount[g]!)], ...info.map(([k, v]): [string, string] => [k ?? '', v ?? '']), ...costRows(ctx, item, true)], 'group-facts'),
      h('p', null, toggle),
      top.length ? section('Operators', kv(top.map(([op, n]): [string, string] => [op, exact(n)]))) : null,
    );
  }
  const kindName = m.nodeKind(item);
  const name = m.nodeName(item);
  if (kindName !== 'op') {
    const values = kindName === 'input' ? m.outputs(item) : m.inputs(item);
    return h(
      'div',
      { class: 'gp-props', data: { testid: 'properties', kind: kindName, name } },
      h('h2', null, icon(kindName === 'input' ? 'arrow-right' : 'arrow-left'), name),
      h('p', { class: 'muted small' }, `graph ${kindName}${m.scopePath(item) ? ` of ${m.scopePath(item)}` : ''}`),
      valueRows(ctx, values, kindName === 'input' ? 'out' : 'in', rerender),
    );
  }
  const g = m.graph;
  const domain = m.str(g.nodes.domain[item]!);
  const attrs = m.attributes(item);
  const frames = sourceFrames(m.str(g.nodes.source[item]!));
  const frame = userFrame(frames);
  const meta = splitLines(m.str(g.nodes.meta[item]!)).filter(([k]) => k !== 'pkg.torch.onnx.stack_trace');
  let source: HTMLElement | null = null;
  if (frame) {
    const go = h('button', { class: 'button', type: 'button', title: `${frame.file}:${frame.line}`, data: { testid: 'go-to-source' } }, icon('go-to-file'), `Go to ${frame.file.split(/[\\/]/).pop()}:${frame.line}`);
    go.addEventListener('click', () => ctx.post({ type: 'goToSource', file: frame.file, line: frame.line }));
    source = section(
      'Source',
      h('p', null, go),
      h('ol', { class: 'gp-frames' }, ...frames.map((f) => h('li', { class: f === frame ? 'gp-frame-user' : undefined }, h('code', null, `${f.file}:${f.line}`), ` ${f.func}`))),
    );
  }
  const cost = costRows(ctx, item, false);
  return h(
    'div',
    { class: 'gp-props', data: { testid: 'properties', kind: 'node', name } },
    h('h2', null, icon('symbol-operator'), m.opType(item), domain ? h('span', { class: 'muted small' }, ` ${domain}`) : null),
    h('p', { class: 'gp-name' }, h('code', { data: { testid: 'node-name' } }, name || '(unnamed)')),
    m.scopePath(item) ? h('p', { class: 'muted small' }, m.scopePath(item)) : null,
    cost.length ? kv(cost, 'node-cost') : null,
    attrs.length ? section('Attributes', kv(attrs.map(([k, v]): [string, string] => [k ?? '', v ?? '']), 'node-attributes')) : null,
    section('Inputs', valueRows(ctx, m.inputs(item), 'in', rerender)),
    section('Outputs', valueRows(ctx, m.outputs(item), 'out', rerender)),
    source,
    meta.length ? section('Metadata', kv(meta.map(([k, v]): [string, string] => [k ?? '', v ?? '']))) : null,
  );
}
