/**
 * The profiler panel: a summary header (the run's deployment metrics when the profile comes from a
 * run, the trace's facts, findings), the timeline, and linked tables (operators, nodes, input
 * shapes, kernels, steps, memory peaks). Selecting a row selects its slices in the timeline and
 * selecting slices in the timeline marks their rows.
 */
import { formatBytes, formatDuration, formatMs, formatRate, formatShare } from '../../../src/core/format';
import { gpuBusy } from '../../../src/core/profile/analyses';
import { sourceFramesOf, userFrame } from '../../../src/core/profile/source';
import { SLICE_KINDS, type Profile } from '../../../src/core/profile/types';
import { activeStepStats, type TorchRunResult } from '../../../src/core/results/torch-run';
import type { ProfileRun, ProfilerSource, ProfilerToExtension, ProfilerView } from '../../../src/protocol/messages';
import type { Finding } from '../../../src/core/recommend';
import { h, icon } from '../shared/dom';
import { renderFindings } from '../shared/findings';
import { dataTable, type Column } from '../shared/table';
import { Timeline } from '../timeline/timeline';
import { renderMemory, type MemoryView } from './memory';
import { buildModel, shapeKey, type NodeRow, type PanelModel, type ShapeRow } from './model';

function metric(label: string, key: string, value: number, text: string, detail?: string): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, h('span', { class: 'metric', data: { testid: 'metric', key, value } }, h('span', { class: 'num' }, text))),
    detail ? h('div', { class: 'card-detail' }, detail) : null,
  );
}

function runMetrics(run: ProfileRun): HTMLElement {
  const r = run.result;
  const cards = [
    metric('Latency p50', 'latency-p50', r.latencyMs.p50, `${formatMs(r.latencyMs.p50)} ms`),
    metric('Latency p90', 'latency-p90', r.latencyMs.p90, `${formatMs(r.latencyMs.p90)} ms`),
    metric('Latency p99', 'latency-p99', r.latencyMs.p99, `${formatMs(r.latencyMs.p99)} ms`),
    metric('Throughput', 'throughput', r.throughput.inferencesPerSec, `${formatRate(r.throughput.inferencesPerSec)}/s`, `${formatRate(r.throughput.itemsPerSec)} items/s`),
    metric('Peak memory (RSS)', 'peak-rss', r.memory.peakRssBytes, formatBytes(r.memory.peakRssBytes)),
  ];
  if (r.memory.gpuPeakBytes !== undefined) cards.push(metric('Peak GPU memory', 'gpu-peak', r.memory.gpuPeakBytes, formatBytes(r.memory.gpuPeakBytes)));
  if (r.decode) {
    cards.push(
      metric('Time to first token', 'ttft', r.decode.timeToFirstTokenMs, `${formatMs(r.decode.timeToFirstTokenMs)} ms`),
      metric('Decode throughput', 'tokens-per-sec', r.decode.tokensPerSec, `${formatRate(r.decode.tokensPerSec)} tokens/s`),
    );
  }
  const gpu = r.machine.gpus[0]?.name ?? 'no GPU';
  return h(
    'div',
    { class: 'run-metrics', data: { testid: 'run-metrics' } },
    h('p', { class: 'facts' }, h('span', { class: 'chip' }, r.ep.toUpperCase()), h('span', null, `ONNX Runtime ${r.ortVersion}`), h('span', null, `${r.machine.cpu} × ${r.machine.cores}`), h('span', null, gpu)),
    h('div', { class: 'cards' }, ...cards),
  );
}

/** A PyTorch harness run: the device, the active steps' latency, CUDA memory peaks, peak RSS. */
function torchMetrics(r: TorchRunResult): HTMLElement {
  const stats = activeStepStats(r);
  const cards: HTMLElement[] = [];
  if (stats) {
    const what = r.mode === 'function' ? `${r.function}() call` : r.mode === 'steps-forward' ? 'model call' : 'run';
    cards.push(
      metric('Step p50', 'step-p50', stats.p50, `${formatMs(stats.p50)} ms`, `per ${what}, ${stats.count} active step${stats.count === 1 ? '' : 's'} (profiler on)`),
      metric('Step p90', 'step-p90', stats.p90, `${formatMs(stats.p90)} ms`),
    );
  }
  if (r.cuda.maxMemoryAllocated !== null) cards.push(metric('Max CUDA memory allocated', 'cuda-max-allocated', r.cuda.maxMemoryAllocated, formatBytes(r.cuda.maxMemoryAllocated), 'torch.cuda.max_memory_allocated'));
  if (r.cuda.maxMemoryReserved !== null) cards.push(metric('Max CUDA memory reserved', 'cuda-max-reserved', r.cuda.maxMemoryReserved, formatBytes(r.cuda.maxMemoryReserved), 'torch.cuda.max_memory_reserved'));
  if (r.peakRssBytes !== null) cards.push(metric('Peak memory (RSS)', 'peak-rss', r.peakRssBytes, formatBytes(r.peakRssBytes)));
  const mode = r.mode === 'function' ? `${r.function}() per step` : r.mode === 'steps-forward' ? 'a step per model call' : 'whole run';
  const schedule = r.schedule ? `wait ${r.schedule.wait} · warmup ${r.schedule.warmup} · active ${r.schedule.active}${r.schedule.repeat > 1 ? ` × ${r.schedule.repeat}` : ''}` : 'no schedule';
  return h(
    'div',
    { class: 'run-metrics', data: { testid: 'torch-metrics' } },
    h(
      'p',
      { class: 'facts' },
      h('span', { class: 'chip' }, r.device.toUpperCase()),
      h('span', { data: { testid: 'torch-device' } }, r.deviceName),
      h('span', null, `PyTorch ${r.torch}`),
      h('span', null, mode),
      h('span', null, schedule),
      h('span', null, `${formatMs(r.wallSeconds * 1000)} ms wall`),
    ),
    h('div', { class: 'cards' }, ...cards),
  );
}

function findings(profile: Profile, run: ProfileRun | undefined, torch?: TorchRunResult): HTMLElement | null {
  const items: string[] = [...(torch?.warnings ?? [])];
  if (run?.result.fallbackReason) items.push(`Ran on ${run.result.ep.toUpperCase()} instead of ${run.result.requestedEp.toUpperCase()}: ${run.result.fallbackReason}`);
  const ops = run?.operators;
  if (ops?.fallbackNodes.length) items.push(`${ops.fallbackNodes.length} node(s) ran on another provider: ${ops.fallbackNodes.slice(0, 5).map((n) => n.node).join(', ')}`);
  if (ops?.memcpyNodes.length) items.push(`${ops.memcpyNodes.length} Memcpy node(s) copy tensors between devices: ${ops.memcpyNodes.slice(0, 5).map((n) => n.node).join(', ')}`);
  for (const w of profile.warnings.slice(0, 5)) items.push(w);
  if (!items.length) return null;
  return h('ul', { class: 'warnings', data: { testid: 'findings' } }, ...items.map((t) => h('li', null, icon('warning'), h('span', null, t))));
}

function header(title: string, source: ProfilerSource, profile: Profile, run: ProfileRun | undefined, torch: TorchRunResult | undefined, post: (m: ProfilerToExtension) => void): HTMLElement {
  const busy = gpuBusy(profile).devices;
  const open = h('button', { class: 'button secondary', type: 'button' }, icon('go-to-file'), source.kind === 'run' ? 'Open Run File' : source.kind === 'torch' ? 'Open Result File' : 'Open Trace File');
  open.addEventListener('click', () => post({ type: 'openSource' }));
  return h(
    'header',
    { class: 'header' },
    h('h1', null, icon('pulse'), h('span', { class: 'title', data: { testid: 'title' } }, title)),
    h(
      'p',
      { class: 'facts', data: { testid: 'facts' } },
      h('span', { class: 'chip' }, profile.source.format === 'ort' ? 'ONNX Runtime profile' : profile.source.format === 'kineto' ? 'PyTorch profiler trace' : 'Chrome trace'),
      h('span', null, `${formatDuration(profile.duration)} traced`),
      h('span', null, `${profile.slices.count.toLocaleString()} slices on ${profile.tracks.length} tracks`),
      ...devicesByName(profile).map(([name, n]) => h('span', { data: { testid: 'device' } }, icon('server'), ` ${n > 1 ? `${n} × ` : ''}${name}`)),
      ...busy.map((d) => h('span', { data: { testid: 'gpu-busy', device: d.device } }, `GPU ${d.device} busy ${formatShare(d.utilization)}`)),
    ),
    run ? runMetrics(run) : torch ? torchMetrics(torch) : null,
    h('div', { class: 'actions' }, open),
  );
}

/** The trace's GPUs, one entry per model name: [name, how many]. */
function devicesByName(profile: Profile): [string, number][] {
  const n = new Map<string, number>();
  for (const d of profile.devices) n.set(d.name, (n.get(d.name) ?? 0) + 1);
  return [...n];
}

interface Tab {
  readonly id: string;
  readonly label: string;
  readonly element: HTMLElement;
}

function tabs(list: readonly Tab[], initial: string | undefined): { element: HTMLElement; current(): string } {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const panels = h('div', { class: 'tab-panels' });
  let current = '';
  const buttons = list.map((t, k) => {
    const b = h('button', { class: 'tab', role: 'tab', type: 'button', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, data: { testid: `tab-${t.id}` } }, t.label);
    const panel = h('div', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}` }, t.element);
    const choose = (): void => {
      buttons.forEach((x, j) => {
        x.setAttribute('aria-selected', String(j === k));
        x.tabIndex = j === k ? 0 : -1;
      });
      panels.replaceChildren(panel);
      current = t.id;
    };
    b.addEventListener('click', choose);
    b.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      const next = buttons[(k + d + buttons.length) % buttons.length]!;
      next.click();
      next.focus();
    });
    bar.append(b);
    return b;
  });
  (buttons[Math.max(0, list.findIndex((t) => t.id === initial))] ?? buttons[0])?.click();
  return { element: h('section', { class: 'section tables' }, bar, panels), current: () => current };
}

const share = (total: number) => (v: number) => (total > 0 ? v / total : 0);

function tables(model: PanelModel, selectSlices: (slices: readonly number[]) => void, initialTab: string | undefined, memory: MemoryView | undefined): { element: HTMLElement; tab(): string; markSlices(slices: readonly number[]): void } {
  const hostSelf = share(model.operators.reduce((s, r) => s + r.hostSelfUs, 0));
  const deviceSelf = share(model.operators.reduce((s, r) => s + r.deviceSelfUs, 0));
  const hasDevice = model.operators.some((r) => r.deviceSelfUs > 0);
  type Op = PanelModel['operators'][number];
  const opColumns: Column<Op>[] = [
    { key: 'name', label: 'Operator', value: (r) => r.name },
    { key: 'calls', label: 'Calls', numeric: true, value: (r) => r.calls },
    { key: 'total', label: 'Host total', numeric: true, value: (r) => r.hostTotalUs, render: (r) => formatDuration(r.hostTotalUs), title: 'Sum of the operator’s durations' },
    { key: 'self', label: 'Host self', numeric: true, value: (r) => r.hostSelfUs, render: (r) => formatDuration(r.hostSelfUs), title: 'Host time minus nested operators' },
    { key: 'self-share', label: 'Share of host self', numeric: true, value: (r) => r.hostSelfUs, render: (r) => formatShare(hostSelf(r.hostSelfUs)), share: (r) => hostSelf(r.hostSelfUs) },
  ];
  if (hasDevice) {
    opColumns.push(
      { key: 'device', label: 'Device self', numeric: true, value: (r) => r.deviceSelfUs, render: (r) => formatDuration(r.deviceSelfUs), title: 'GPU work it launched directly' },
      { key: 'device-share', label: 'Share of GPU time', numeric: true, value: (r) => r.deviceSelfUs, render: (r) => formatShare(deviceSelf(r.deviceSelfUs)), share: (r) => deviceSelf(r.deviceSelfUs) },
    );
  }
  const list: Tab[] = [];
  const operators = dataTable<Op>({
    testId: 'operators',
    rowTestId: 'op-row',
    columns: opColumns,
    rows: model.operators,
    rowKey: (r) => r.name,
    sort: { key: hasDevice ? 'device' : 'self', descending: true },
    filterPlaceholder: 'Filter operators',
    onSelect: (r) => selectSlices(model.slicesOf.operator.get(r.name) ?? []),
    limit: 500,
  });
  list.push({ id: 'operators', label: `Operators (${model.operators.length})`, element: operators.element });
  if (model.nodes.length) {
    const total = share(model.nodes.reduce((s, r) => s + r.totalUs, 0));
    list.push({
      id: 'nodes',
      label: `Nodes (${model.nodes.length})`,
      element: dataTable<NodeRow>({
        testId: 'nodes',
        rowTestId: 'node-row',
        columns: [
          { key: 'node', label: 'Node', value: (r) => r.node },
          { key: 'op', label: 'Op type', value: (r) => r.opType },
          { key: 'provider', label: 'EP', value: (r) => r.provider.replace(/ExecutionProvider$/, '') },
          { key: 'calls', label: 'Calls', numeric: true, value: (r) => r.calls },
          { key: 'mean', label: 'Mean', numeric: true, value: (r) => r.meanUs, render: (r) => formatDuration(r.meanUs) },
          { key: 'total', label: 'Share of node time', numeric: true, value: (r) => r.totalUs, render: (r) => formatShare(total(r.totalUs)), share: (r) => total(r.totalUs) },
        ],
        rows: model.nodes,
        rowKey: (r) => r.node,
        sort: { key: 'total', descending: true },
        filterPlaceholder: 'Filter nodes',
        onSelect: (r) => selectSlices(model.slicesOf.node.get(r.node) ?? []),
        limit: 500,
      }).element,
    });
  }
  if (model.shapes.some((r) => r.shapes)) {
    const total = share(model.shapes.reduce((s, r) => s + r.totalUs, 0));
    list.push({
      id: 'shapes',
      label: 'By input shape',
      element: dataTable<ShapeRow>({
        testId: 'shapes',
        rowTestId: 'shape-row',
        columns: [
          { key: 'name', label: 'Operator', value: (r) => r.name },
          { key: 'shapes', label: 'Input shapes', value: (r) => r.shapes },
          { key: 'calls', label: 'Calls', numeric: true, value: (r) => r.calls },
          { key: 'mean', label: 'Mean', numeric: true, value: (r) => r.meanUs, render: (r) => formatDuration(r.meanUs) },
          { key: 'total', label: 'Share of time', numeric: true, value: (r) => r.totalUs, render: (r) => formatShare(total(r.totalUs)), share: (r) => total(r.totalUs) },
        ],
        rows: model.shapes,
        rowKey: shapeKey,
        sort: { key: 'total', descending: true },
        filterPlaceholder: 'Filter operators or shapes',
        onSelect: (r) => selectSlices(model.slicesOf.shape.get(shapeKey(r)) ?? []),
        limit: 500,
      }).element,
    });
  }
  if (model.kernels.length) {
    const total = share(model.kernels.reduce((s, r) => s + r.totalUs, 0));
    type K = PanelModel['kernels'][number];
    list.push({
      id: 'kernels',
      label: `Kernels (${model.kernels.length})`,
      element: dataTable<K>({
        testId: 'kernels',
        rowTestId: 'kernel-row',
        columns: [
          { key: 'name', label: 'Kernel', value: (r) => r.name },
          { key: 'calls', label: 'Calls', numeric: true, value: (r) => r.calls },
          { key: 'mean', label: 'Mean', numeric: true, value: (r) => r.meanUs, render: (r) => formatDuration(r.meanUs) },
          { key: 'min', label: 'Min', numeric: true, value: (r) => r.minUs, render: (r) => formatDuration(r.minUs) },
          { key: 'max', label: 'Max', numeric: true, value: (r) => r.maxUs, render: (r) => formatDuration(r.maxUs) },
          { key: 'total', label: 'Share of kernel time', numeric: true, value: (r) => r.totalUs, render: (r) => `${formatDuration(r.totalUs)} · ${formatShare(total(r.totalUs))}`, share: (r) => total(r.totalUs) },
        ],
        rows: model.kernels,
        rowKey: (r) => r.name,
        sort: { key: 'total', descending: true },
        filterPlaceholder: 'Filter kernels',
        onSelect: (r) => selectSlices(model.slicesOf.kernel.get(r.name) ?? []),
        limit: 500,
      }).element,
    });
  }
  if (model.steps.length) {
    type S = PanelModel['steps'][number];
    const part = (key: string, label: string, v: (r: S) => number): Column<S> => ({ key, label, numeric: true, value: v, render: (r) => formatDuration(v(r)) });
    list.push({
      id: 'steps',
      label: `Steps (${model.steps.length})`,
      element: dataTable<S>({
        testId: 'steps',
        rowTestId: 'step-row',
        columns: [
          { key: 'name', label: 'Step', value: (r) => r.name },
          part('dur', 'Duration', (r) => r.durUs),
          part('kernel', 'Kernel', (r) => r.kernelUs),
          part('memcpy', 'Memcpy', (r) => r.memcpyUs),
          part('memset', 'Memset', (r) => r.memsetUs),
          part('runtime', 'Runtime', (r) => r.runtimeUs),
          part('data', 'DataLoader', (r) => r.dataLoaderUs),
          part('cpu', 'CPU exec', (r) => r.cpuUs),
          part('other', 'Idle / other', (r) => r.otherUs),
        ],
        rows: model.steps,
        rowKey: (r) => `${r.name}@${r.startUs}`,
        sort: { key: 'name', descending: false },
        filterPlaceholder: 'Filter steps',
        onSelect: (r) => selectSlices(r.slice >= 0 ? [r.slice] : []),
        caption: 'Each instant of a step counted once, for the first of kernel, memcpy, memset, runtime, data loading, CPU that runs then (the TensorBoard plugin’s priority); the rest is idle.',
      }).element,
    });
  }
  if (memory) list.push({ id: 'memory', label: 'Memory', element: memory.element });
  const t = tabs(list, initialTab);
  return {
    element: t.element,
    tab: t.current,
    markSlices(slices) {
      const ops = new Set<string>();
      for (const i of slices) {
        const k = model.operatorOf(i);
        if (k !== undefined) ops.add(k);
      }
      operators.highlight(ops);
    },
  };
}

export interface RenderedPanel {
  readonly element: HTMLElement;
  /** Called once the element is in the document (the timeline measures its canvas). */
  mount(): void;
  /** Where the user is now (to save), after mount. */
  view(): ProfilerView | undefined;
  dispose(): void;
}

/**
 * What is selected in the timeline, when it is one slice: its name, duration and where it starts,
 * and "Go to source" when the trace recorded the Python frames around it (with_stack).
 */
const ORT_NODE = SLICE_KINDS.indexOf('ort_node');

/** The model node the selected slices all run, when they are ONNX Runtime node executions of one node. */
function ortNodeOf(profile: Profile, slices: readonly number[]): string | undefined {
  if (!slices.length) return undefined;
  const name = profile.slices.name[slices[0]!]!;
  for (const i of slices) if (profile.slices.kind[i] !== ORT_NODE || profile.slices.name[i] !== name) return undefined;
  // Kernel events are `<node>_kernel_time`; fence events `<node>_fence_before` / `_fence_after`.
  return profile.strings[name]?.replace(/_(kernel_time|fence_before|fence_after)$/, '') || undefined;
}

function selectionDetail(profile: Profile, post: (m: ProfilerToExtension) => void): { element: HTMLElement; show(slices: readonly number[]): void } {
  const element = h('div', { class: 'selection-detail muted small', 'aria-live': 'polite', data: { testid: 'selection-detail' } });
  return {
    element,
    show(slices) {
      // ONNX Runtime names its node events after the model's nodes: offer the node in the model's graph.
      const node = ortNodeOf(profile, slices);
      const reveal = (): HTMLElement | null => {
        if (!node) return null;
        const b = h('button', { class: 'button secondary', type: 'button', title: `Open the model's graph at ${node}`, data: { testid: 'reveal-in-model' } }, icon('type-hierarchy'), 'Reveal in model');
        b.addEventListener('click', () => post({ type: 'revealInModel', node }));
        return b;
      };
      if (slices.length !== 1) {
        element.replaceChildren(...(slices.length ? [`${slices.length.toLocaleString()} slices selected`, ...(node ? [' ', reveal()!] : [])] : []));
        return;
      }
      const i = slices[0]!;
      const frame = userFrame(sourceFramesOf(profile, i));
      const parts: (Node | string)[] = [h('strong', null, profile.strings[profile.slices.name[i]!]!), ` · ${formatDuration(profile.slices.dur[i]!)} at ${formatDuration(profile.slices.start[i]!)}`];
      if (frame) {
        const go = h('button', { class: 'button secondary', type: 'button', title: `${frame.file}:${frame.line}`, data: { testid: 'go-to-source' } }, icon('go-to-file'), `Go to ${frame.file.split(/[\\/]/).pop()}:${frame.line} (${frame.func})`);
        go.addEventListener('click', () => post({ type: 'goToSource', file: frame.file, line: frame.line }));
        parts.push(' ', go);
      }
      if (node) parts.push(' ', reveal()!);
      element.replaceChildren(...parts);
    },
  };
}

/** The timeline's search box: the match count, previous/next (Enter, Shift+Enter). */
function searchBox(timeline: () => Timeline | undefined, onStep: (selection: readonly number[]) => void): HTMLElement {
  const input = h('input', { type: 'search', class: 'filter', placeholder: 'Search slices by name', 'aria-label': 'Search slices by name', data: { testid: 'timeline-search' } });
  const count = h('span', { class: 'muted small', 'aria-live': 'polite', data: { testid: 'timeline-matches' } });
  let matches = 0;
  const step = (dir: 1 | -1): void => {
    const t = timeline();
    if (!t || matches === 0) return;
    const k = dir === 1 ? t.nextMatch() : t.prevMatch();
    count.textContent = `${k + 1} of ${matches.toLocaleString()}`;
    onStep(t.selection);
  };
  input.addEventListener('input', () => {
    const text = input.value.trim();
    matches = timeline()?.search(text) ?? 0;
    count.textContent = text ? `${matches.toLocaleString()} match${matches === 1 ? '' : 'es'}` : '';
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      step(e.shiftKey ? -1 : 1);
    }
  });
  const prev = h('button', { class: 'button secondary icon-button', type: 'button', title: 'Previous match (Shift+Enter)', 'aria-label': 'Previous match' }, icon('arrow-up'));
  const next = h('button', { class: 'button secondary icon-button', type: 'button', title: 'Next match (Enter)', 'aria-label': 'Next match' }, icon('arrow-down'));
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  return h('div', { class: 'table-tools timeline-tools' }, input, prev, next, count);
}

export function renderPanel(
  title: string,
  source: ProfilerSource,
  profile: Profile,
  run: ProfileRun | undefined,
  post: (m: ProfilerToExtension) => void,
  restore?: ProfilerView,
  torch?: TorchRunResult,
  recommendations?: readonly Finding[],
): RenderedPanel {
  const model = buildModel(profile);
  const timelineHost = h('div', { class: 'timeline-host', data: { testid: 'timeline' } });
  let timeline: Timeline | undefined;
  const detail = selectionDetail(profile, post);
  // Clicking a memory chart centers the timeline on that moment: at the zoom in use, or at a tenth of
  // the trace when the whole trace is in view (it could not move otherwise).
  const memory = renderMemory(profile, run, {
    onSelectTime: (tUs) => {
      if (!timeline) return;
      const r = timeline.visibleRange;
      const span = Math.min(r.end - r.start, Math.max(profile.duration / 10, 1));
      timeline.setVisibleRange(tUs - span / 2, tUs + span / 2);
    },
  });
  const t = tables(
    model,
    (slices) => {
      timeline?.select(slices);
      detail.show(slices);
    },
    restore?.tab,
    memory,
  );
  const element = h(
    'main',
    { class: 'profiler', data: { testid: 'profiler', slices: profile.slices.count } },
    header(title, source, profile, run, torch, post),
    renderFindings(recommendations, source.kind === 'run' ? (findingId) => post({ type: 'applyFix', findingId }) : undefined),
    findings(profile, run, torch),
    h('section', { class: 'section' }, h('h2', null, icon('graph-line'), 'Timeline'), searchBox(() => timeline, (sel) => detail.show(sel)), timelineHost, detail.element),
    t.element,
  );
  return {
    element,
    mount() {
      timeline = new Timeline(timelineHost, profile, {
        onSelectionChange: (slices) => {
          t.markSlices(slices);
          detail.show(slices);
        },
      });
      if (restore) timeline.setVisibleRange(restore.start, restore.end);
      (window as unknown as { __timeline?: Timeline }).__timeline = timeline;
      memory?.mount();
    },
    view() {
      if (!timeline) return undefined;
      const r = timeline.visibleRange;
      return { start: r.start, end: r.end, tab: t.tab() };
    },
    dispose() {
      timeline?.dispose();
      memory?.dispose();
    },
  };
}
