/**
 * The profile results view, built as DOM from one run (`.ilprof.json`). Rendering only: the
 * buttons call `post`. The `data-testid` / `data-key` / `data-value` attributes are a contract with
 * the webview and end-to-end tests; keep them stable.
 */
import { formatBytes, formatMs, formatRate, formatShare } from '../../../src/core/format';
import type { NodeRow, OpTypeRow } from '../../../src/core/results/ort-ops';
import type { ProfileRun, ProfileToExtension } from '../../../src/protocol/messages';
import type { Finding } from '../../../src/core/recommend';
import { h, icon } from '../shared/dom';
import { renderFindings } from '../shared/findings';

/** Top nodes shown (the run file keeps them all). */
const TOP_NODES = 15;

/** Milliseconds with about three significant digits, as the CLI prints them. */
/** Microseconds per call, as the CLI prints them. */
const us = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

const EP_LABELS: Readonly<Record<string, string>> = { cpu: 'CPU', cuda: 'CUDA', tensorrt: 'TensorRT', webgpu: 'WebGPU' };
const epLabel = (ep: string): string => EP_LABELS[ep] ?? ep;
/** `CUDAExecutionProvider` → `CUDA`. */
const providerLabel = (provider: string): string => provider.replace(/ExecutionProvider$/, '');

/** One measured number: the raw value in `data-value`, the formatted text shown. */
function metric(key: string, value: number, text: string, unit: string): HTMLElement {
  return h('span', { class: 'metric', data: { testid: 'metric', key, value } }, h('span', { class: 'num' }, text), unit && h('span', { class: 'unit' }, unit));
}

function card(label: string, iconName: string, value: Node, detail?: Node | string): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-label' }, icon(iconName), label),
    h('div', { class: 'card-value' }, value),
    detail !== undefined && h('div', { class: 'card-detail' }, detail),
  );
}

function span(...children: (Node | string)[]): HTMLElement {
  return h('span', null, ...children);
}

function section(title: string, iconName: string, testId: string, ...body: (Node | false | null)[]): HTMLElement {
  return h('section', { class: 'section', data: { testid: testId } }, h('h2', null, icon(iconName), title), ...body);
}

function group(title: string, testId: string, cards: readonly HTMLElement[]): HTMLElement {
  return h('div', { class: 'group', data: { testid: testId } }, h('h3', null, title), h('div', { class: 'cards' }, ...cards));
}

function button(label: string, iconName: string, onClick: () => void, opts: { secondary?: boolean; disabledWhy?: string | undefined } = {}): HTMLButtonElement {
  const b = h('button', { class: `button${opts.secondary ? ' secondary' : ''}`, type: 'button', title: opts.disabledWhy }, icon(iconName), label);
  if (opts.disabledWhy) b.disabled = true;
  else b.addEventListener('click', onClick);
  return b;
}

function shareBar(share: number): HTMLElement {
  const fill = h('span', { class: 'bar-fill' });
  // CSSOM writes are allowed under the CSP (no inline style attributes are parsed).
  fill.style.width = `${Math.min(100, Math.max(0, share * 100))}%`;
  return h('span', { class: 'share-cell' }, h('span', { class: 'bar', 'aria-hidden': 'true' }, fill), h('span', { class: 'num share-pct' }, formatShare(share)));
}

/** Column headings; numbers right-aligned. */
function table(columns: readonly (readonly [string, 'left' | 'right'])[], rows: readonly HTMLTableRowElement[], cls?: string): HTMLTableElement {
  return h(
    'table',
    cls ? { class: cls } : null,
    h('thead', null, h('tr', null, ...columns.map(([label, align]) => h('th', { scope: 'col', class: align === 'right' ? 'right' : undefined }, label)))),
    h('tbody', null, ...rows),
  );
}

function header(run: ProfileRun, post: (m: ProfileToExtension) => void): HTMLElement {
  const r = run.result;
  const s = run.settings;
  const gpu = r.machine.gpus[0];
  const created = new Date(run.createdAt);
  const ep = r.fallbackReason
    ? h('span', { class: 'chip warn-chip', title: r.fallbackReason, data: { testid: 'ep' } }, icon('warning'), `${epLabel(r.ep)} (requested ${epLabel(r.requestedEp)})`)
    : h('span', { class: 'chip', data: { testid: 'ep' } }, epLabel(r.ep));
  const noProfile = run.ortProfile ? undefined : 'This run has no ORT profile (it was made with 0 profiled runs).';
  return h(
    'header',
    { class: 'header' },
    h('h1', null, icon('pulse'), h('span', { class: 'title' }, run.model.name)),
    h(
      'p',
      { class: 'facts' },
      ep,
      span(`ONNX Runtime ${r.ortVersion}`),
      span(icon('chip'), ` ${r.machine.cpu} × ${r.machine.cores}`),
      gpu ? span(icon('server'), ` ${gpu.name}`) : span(icon('server'), ' no GPU'),
      h('span', { title: run.createdAt }, Number.isNaN(created.getTime()) ? run.createdAt : created.toLocaleString()),
    ),
    h(
      'p',
      { class: 'facts' },
      span(`${s.timedRuns} timed runs after ${s.warmupRuns} warm-up`),
      span(`${s.profiledRuns} profiled runs`),
      h(
        'span',
        { data: { testid: 'session-options' }, title: 'ONNX Runtime session options' },
        `graph optimization ${s.session.graphOptimizationLevel}`,
        ` · ${s.session.intraOpNumThreads ?? 'default'} intra-op threads`,
        s.session.interOpNumThreads ? ` · ${s.session.interOpNumThreads} inter-op threads` : '',
        ` · memory arena ${s.session.enableCpuMemArena ? 'on' : 'off'}`,
        s.session.freeDimensionOverrides ? ` · free dims ${Object.entries(s.session.freeDimensionOverrides).map(([k, v]) => `${k}=${v}`).join(', ')}` : '',
      ),
      span(`batch ${r.batchSize}`),
      r.decode ? span(`decoding: prefill ${r.decode.prefillTokens}, generate ${r.decode.newTokens} tokens`) : false,
    ),
    h(
      'div',
      { class: 'actions' },
      button('Open Timeline', 'graph-line', () => post({ type: 'openTimeline' }), { disabledWhy: noProfile }),
      button('Export Chrome Trace…', 'export', () => post({ type: 'exportTrace' }), { disabledWhy: noProfile, secondary: true }),
      button('Open Run File', 'json', () => post({ type: 'openRunFile' }), { secondary: true }),
      button('Open ORT Profile', 'go-to-file', () => post({ type: 'openOrtProfile' }), { secondary: true, disabledWhy: noProfile }),
    ),
  );
}

function warnings(run: ProfileRun): HTMLElement | false {
  const r = run.result;
  const ops = run.operators;
  const items: (Node | string)[] = [];
  if (r.fallbackReason) items.push(`Ran on ${epLabel(r.ep)} instead of ${epLabel(r.requestedEp)}: ${r.fallbackReason}`);
  if (ops?.fallbackNodes.length) {
    const names = ops.fallbackNodes.slice(0, 5).map((n) => `${n.node} (${n.opType} on ${providerLabel(n.provider)})`);
    items.push(
      `${ops.fallbackNodes.length} node${ops.fallbackNodes.length === 1 ? '' : 's'} ran on another provider than ${epLabel(r.ep)}: ${names.join(', ')}${ops.fallbackNodes.length > 5 ? ', …' : ''}`,
    );
  }
  if (ops?.memcpyNodes.length) {
    const totalUs = ops.memcpyNodes.reduce((a, n) => a + n.totalUs, 0);
    items.push(
      `${ops.memcpyNodes.length} Memcpy node${ops.memcpyNodes.length === 1 ? ' copies' : 's copy'} tensors between devices (${formatMs(totalUs / 1000)} ms over ${ops.runs} profiled runs): ` +
        `${ops.memcpyNodes.slice(0, 5).map((n) => n.node).join(', ')}${ops.memcpyNodes.length > 5 ? ', …' : ''}`,
    );
  }
  if (items.length === 0) return false;
  return h('ul', { class: 'warnings', data: { testid: 'warnings' } }, ...items.map((text) => h('li', null, icon('warning'), h('span', null, text))));
}

function metrics(run: ProfileRun): HTMLElement {
  const r = run.result;
  const l = r.latencyMs;
  const latency = [
    card('Session creation', 'rocket', metric('session-create', r.sessionCreateMs, formatMs(r.sessionCreateMs), 'ms'), 'load, optimize, allocate'),
    card('First run (cold)', 'clock', metric('first-run', r.firstRunMs, formatMs(r.firstRunMs), 'ms'), 'not in the statistics'),
    card('Latency p50', 'watch', metric('latency-p50', l.p50, formatMs(l.p50), 'ms'), `min ${formatMs(l.min)} ms`),
    card('Latency p90', 'watch', metric('latency-p90', l.p90, formatMs(l.p90), 'ms')),
    card('Latency p99', 'watch', metric('latency-p99', l.p99, formatMs(l.p99), 'ms'), `max ${formatMs(l.max)} ms`),
    card('Mean ± stdev', 'watch', span(metric('latency-mean', l.mean, formatMs(l.mean), ''), ' ± ', metric('latency-stdev', l.stdev, formatMs(l.stdev), 'ms')), `${l.count} timed runs`),
  ];
  const ops = run.operators;
  const throughputAndMemory = [
    card(
      'Throughput',
      'dashboard',
      metric('throughput', r.throughput.inferencesPerSec, formatRate(r.throughput.inferencesPerSec), 'inferences/s'),
      span(metric('throughput-items', r.throughput.itemsPerSec, formatRate(r.throughput.itemsPerSec), 'items/s'), ` (batch ${r.batchSize})`),
    ),
    card('Peak memory (RSS)', 'database', metric('peak-rss', r.memory.peakRssBytes, formatBytes(r.memory.peakRssBytes), ''), 'worker process'),
  ];
  if (r.memory.gpuPeakBytes !== undefined) {
    throughputAndMemory.push(card('Peak GPU memory', 'server', metric('gpu-peak', r.memory.gpuPeakBytes, formatBytes(r.memory.gpuPeakBytes), ''), 'nvidia-smi'));
  }
  if (ops && ops.arenaPeakBytes > 0) {
    throughputAndMemory.push(
      card('ORT arena peak', 'database', metric('arena-peak', ops.arenaPeakBytes, formatBytes(ops.arenaPeakBytes), ''), ops.arenaPeakNode ? `at ${ops.arenaPeakNode}` : undefined),
    );
  }
  const groups = [group('Latency', 'latency', latency), group('Throughput and memory', 'throughput', throughputAndMemory)];
  const d = r.decode;
  if (d) {
    groups.push(
      group('LLM decoding', 'decode', [
        card('Time to first token', 'clock', metric('ttft', d.timeToFirstTokenMs, formatMs(d.timeToFirstTokenMs), 'ms'), `prefill ${d.prefillTokens} tokens`),
        card('Decode throughput', 'dashboard', metric('tokens-per-sec', d.tokensPerSec, formatRate(d.tokensPerSec), 'tokens/s'), `${d.newTokens} tokens generated`),
        card('Per token p50', 'watch', metric('per-token-p50', d.perTokenMs.p50, formatMs(d.perTokenMs.p50), 'ms')),
        card('Per token p90', 'watch', metric('per-token-p90', d.perTokenMs.p90, formatMs(d.perTokenMs.p90), 'ms')),
        card('KV cache', 'database', metric('kv-cache-per-token', d.kvCacheBytesPerToken, formatBytes(d.kvCacheBytesPerToken), '/token'), `${formatBytes(d.kvCacheBytesFinal)} at the end`),
        card('Memory growth', 'database', metric('rss-growth-per-token', d.rssGrowthPerTokenBytes, formatBytes(d.rssGrowthPerTokenBytes), '/token'), 'RSS'),
      ]),
    );
  }
  return h('div', { class: 'metrics' }, ...groups);
}

function inputs(run: ProfileRun): HTMLElement {
  const r = run.result;
  return section(
    'Inputs',
    'symbol-event',
    'inputs',
    table(
      [
        ['Name', 'left'],
        ['Type', 'left'],
        ['Shape', 'left'],
      ],
      r.inputs.map((i) =>
        h(
          'tr',
          { data: { testid: 'input-row', name: i.name } },
          h('td', { class: 'name' }, h('code', null, i.name)),
          h('td', null, h('span', { class: 'dtype-badge' }, i.dtype)),
          h('td', null, h('code', null, `[${i.dims.join(', ')}]`)),
        ),
      ),
    ),
    r.inputNotes.length > 0 && h('ul', { class: 'notes', data: { testid: 'input-notes' } }, ...r.inputNotes.map((n) => h('li', null, icon('info'), h('span', null, n)))),
  );
}

function opRow(o: OpTypeRow): HTMLTableRowElement {
  return h(
    'tr',
    { data: { testid: 'op-row', op: o.opType, count: o.count, provider: o.provider } },
    h('td', { class: 'name' }, o.opType),
    h('td', null, providerLabel(o.provider)),
    h('td', { class: 'right num' }, o.count),
    h('td', { class: 'right num' }, formatMs(o.totalUs / 1000)),
    h('td', { class: 'right num' }, us(o.meanUs)),
    h('td', { class: 'share' }, shareBar(o.share)),
  );
}

function nodeRow(n: NodeRow): HTMLTableRowElement {
  const shapes = `${n.inputShapes.join(' ')} → ${n.outputShapes.join(' ')}`;
  return h(
    'tr',
    { data: { testid: 'node-row', node: n.node } },
    h(
      'td',
      { class: 'name' },
      h('code', null, n.node),
      n.fusedFrom && h('div', { class: 'small muted' }, `fused from ${n.fusedFrom.join(', ')}`),
      h('div', { class: 'shapes' }, h('code', { class: 'muted' }, shapes)),
    ),
    h('td', null, n.opType),
    h('td', null, providerLabel(n.provider)),
    h('td', { class: 'right num' }, n.count),
    h('td', { class: 'right num' }, us(n.meanUs)),
    h('td', { class: 'share' }, shareBar(n.share)),
  );
}

function operators(run: ProfileRun): HTMLElement[] {
  const ops = run.operators;
  if (!ops || ops.byOpType.length === 0) {
    return [section('Operators', 'symbol-operator', 'operators', h('p', { class: 'muted' }, 'No per-operator breakdown: this run was made with 0 profiled runs.'))];
  }
  const basis = h('p', { class: 'muted small' }, `ORT profiler, ${ops.runs} profiled runs, ${formatMs(ops.totalNodeUs / 1000)} ms of node time in all.`);
  return [
    section(
      'Top operators',
      'symbol-operator',
      'operators',
      basis,
      table(
        [
          ['Operator', 'left'],
          ['EP', 'left'],
          ['Calls', 'right'],
          ['Total ms', 'right'],
          ['Mean µs', 'right'],
          ['Share of node time', 'left'],
        ],
        ops.byOpType.map(opRow),
      ),
    ),
    section(
      `Top nodes`,
      'symbol-method',
      'nodes',
      h('p', { class: 'muted small' }, `The ${Math.min(TOP_NODES, ops.byNode.length)} slowest of ${ops.byNode.length} nodes, with their input and output shapes.`),
      table(
        [
          ['Node (input → output shapes)', 'left'],
          ['Op', 'left'],
          ['EP', 'left'],
          ['Calls', 'right'],
          ['Mean µs', 'right'],
          ['Share of node time', 'left'],
        ],
        ops.byNode.slice(0, TOP_NODES).map(nodeRow),
        'nodes',
      ),
    ),
  ];
}

export function renderRun(run: ProfileRun, runFilePath: string, post: (m: ProfileToExtension) => void, findings?: readonly Finding[]): HTMLElement {
  return h(
    'main',
    { class: 'profile', data: { testid: 'profile-results', modelName: run.model.name } },
    header(run, post),
    renderFindings(findings, (findingId) => post({ type: 'applyFix', findingId })),
    warnings(run),
    metrics(run),
    inputs(run),
    ...operators(run),
    h('footer', { class: 'footer muted small' }, icon('file'), h('span', { title: runFilePath }, runFilePath)),
  );
}
