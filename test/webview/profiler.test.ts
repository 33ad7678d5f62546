/**
 * The profiler panel webview in headless Chromium, with REAL profiles: PyTorch traces from
 * ../shared/fixtures/traces (imported by the streaming importer) and an ONNX Runtime profile made
 * by profiling a model the test builds. Checks the header, the tables against the core analyses,
 * table ↔ timeline linking, sorting and filtering; screenshots in three themes.
 *
 *   node --import tsx --test test/webview/profiler.test.ts
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { kernelTable, memoryPeaks, operatorTable, stepBreakdown } from '../../src/core/profile/analyses';
import { profileToJson } from '../../src/core/profile/json';
import { SLICE_KINDS, sliceArgs, type Profile } from '../../src/core/profile/types';
import { importTraceFile } from '../../src/core/trace';
import type { ProfileRun, ProfilerToWebview } from '../../src/protocol/messages';
import { REPO, tmpDir } from '../helpers/fixtures';
import { profiledEncoder, type EncoderRun } from '../helpers/ort-runs';
import { withStackTrace } from '../helpers/traces';
import { HARNESS, torchPython } from '../helpers/python';
import { activeStepStats } from '../../src/core/results/torch-run';
import { runTorchHarness } from '../../src/runner/torch-runner';
import { assertReadyHandshake, SHOTS, startWebviewHost, THEMES, type Harness, type Theme, type WebviewHost } from '../helpers/webview';
import * as fs from 'node:fs';

const TRACES = path.join(REPO, '..', 'shared', 'fixtures', 'traces');

let host: WebviewHost;
let kineto: Profile;
let hta: Profile;
let ort: EncoderRun;

const open = (theme: Theme = THEMES.dark): Promise<Harness> => host.open(theme, { width: 1200, height: 1000 });

function message(title: string, profile: Profile, run?: ProfileRun, runFilePath?: string): ProfilerToWebview {
  return {
    type: 'profile',
    title,
    source: run ? { kind: 'run', runFilePath: runFilePath! } : { kind: 'trace', path: profile.source.path ?? title },
    // page.evaluate cannot carry typed arrays: the JSON form, which the panel also accepts.
    profile: profileToJson(profile),
    ...(run ? { run } : {}),
  };
}

/** Operator key of a slice, computed independently of the webview (ORT nodes by op type). */
function opSlices(p: Profile, op: string): number[] {
  const out: number[] = [];
  const CPU_OP = SLICE_KINDS.indexOf('cpu_op');
  const ORT_NODE = SLICE_KINDS.indexOf('ort_node');
  for (let i = 0; i < p.slices.count; i++) {
    const k = p.slices.kind[i];
    if (k === CPU_OP && p.strings[p.slices.name[i]!] === op) out.push(i);
    else if (k === ORT_NODE && sliceArgs(p, i).op_name === op) out.push(i);
  }
  return out;
}

async function show(w: Harness, m: ProfilerToWebview): Promise<void> {
  await w.send(m);
  await w.page.locator('[data-testid="profiler"]').waitFor();
}

const rowKeys = (w: Harness, testId: string): Promise<string[]> => w.page.locator(`[data-testid="${testId}"]`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key') ?? ''));

before(async () => {
  [kineto, hta] = await Promise.all([
    importTraceFile(path.join(TRACES, 'kineto-resnet50-v100-memory.pt.trace.json.gz')),
    importTraceFile(path.join(TRACES, 'hta-training-v100.pt.trace.json.gz')),
  ]);
  ort = await profiledEncoder({ hidden: 64, ffn: 256, sequence: 16, timedRuns: 5, profiledRuns: 3 });
  host = await startWebviewHost('profiler');
});

after(async () => {
  await host?.close();
});

test('the webview posts ready first and shows the loading state until data arrives', () => assertReadyHandshake(host));

test('a PyTorch trace: header facts, operators, kernels and steps as the core analyses give them', async () => {
  const w = await open();
  try {
    await show(w, message('resnet50', kineto));
    assert.equal(await w.page.locator('[data-testid="profiler"]').getAttribute('data-slices'), String(kineto.slices.count));
    assert.match((await w.page.locator('[data-testid="facts"]').textContent()) ?? '', /PyTorch profiler trace/);
    const names = new Map<string, number>();
    for (const d of kineto.devices) names.set(d.name, (names.get(d.name) ?? 0) + 1);
    assert.deepEqual(
      (await w.page.locator('[data-testid="device"]').allTextContents()).map((t) => t.trim()),
      [...names].map(([n, c]) => (c > 1 ? `${c} × ${n}` : n)),
      'each GPU model once, with how many',
    );
    const ops = operatorTable(kineto);
    // Sorted by device self time, as operatorTable sorts (the plugin's order).
    assert.deepEqual(await rowKeys(w, 'op-row'), ops.slice(0, 500).map((r) => r.name));
    await w.page.getByTestId('tab-kernels').click();
    assert.deepEqual(await rowKeys(w, 'kernel-row'), kernelTable(kineto).slice(0, 500).map((r) => r.name));
    await w.page.getByTestId('tab-steps').click();
    const steps = stepBreakdown(kineto);
    assert.ok(steps.length > 0, 'the fixture has ProfilerStep ranges');
    assert.deepEqual(
      await rowKeys(w, 'step-row'),
      [...steps].sort((a, b) => a.startUs - b.startUs).map((r) => `${r.name}@${r.startUs}`),
      'steps in order: #5 before #10',
    );
    await w.page.screenshot({ path: path.join(SHOTS, 'profiler-kineto-steps-dark.png'), fullPage: true });
    await w.page.getByTestId('tab-memory').click();
    await w.page.getByTestId('memory-view').waitFor();
    assert.equal(await w.page.locator('[data-testid="memory-chart"]').count(), memoryPeaks(kineto).length, 'a memory chart per device');
    await w.page.screenshot({ path: path.join(SHOTS, 'profiler-kineto-memory-dark.png'), fullPage: true });
    // Clicking a chart's peak centers the timeline on the moment it selected (the memory view's own tests check which).
    const c = w.page.locator('[data-testid="memory-chart"]').first();
    const over = (await c.locator('.u-over').boundingBox())!;
    await w.page.mouse.click(over.x + Number(await c.getAttribute('data-peak-x')), over.y + Number(await c.getAttribute('data-peak-y')));
    const at = Number(await c.getAttribute('data-selected-us'));
    assert.ok(Number.isFinite(at), 'the click selected a time');
    const range = await w.page.evaluate(() => (window as unknown as { __timeline: { visibleRange: { start: number; end: number } } }).__timeline.visibleRange);
    assert.ok(Math.abs((range.start + range.end) / 2 - at) < 1e-3 * (range.end - range.start), `the timeline is centered on ${at} µs (${range.start}…${range.end})`);
    assert.ok(range.end - range.start <= kineto.duration / 10 + 1e-6, 'zoomed in to a tenth of the trace');
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('selecting an operator row selects exactly its slices in the timeline; a timeline selection marks the row', async () => {
  const w = await open();
  try {
    await show(w, message('hta-training', hta));
    assert.deepEqual((await w.page.locator('[data-testid="device"]').allTextContents()).map((t) => t.trim()), [`${hta.devices.length} × ${hta.devices[0]!.name}`]);
    const first = (await rowKeys(w, 'op-row'))[0]!;
    await w.page.locator(`[data-testid="op-row"][data-key="${first}"]`).click();
    const selected = await w.page.evaluate(() => [...(window as unknown as { __timeline: { selection: readonly number[] } }).__timeline.selection]);
    assert.deepEqual([...selected].sort((a, b) => a - b), opSlices(hta, first));
    assert.equal(await w.page.locator('[data-testid="op-row"].selected').count(), 1);

    // The other way: a click on a slice of another operator in the timeline marks that operator's row.
    const other = (await rowKeys(w, 'op-row'))[1]!;
    const slice = opSlices(hta, other)[0]!;
    const [t0, t1] = [hta.slices.start[slice]!, hta.slices.start[slice]! + hta.slices.dur[slice]!];
    const rect = await w.page.evaluate(
      ({ i, a, b }) => {
        type Debug = { drawNow(): void; sliceRect(i: number): { x: number; y: number; w: number; h: number } | undefined };
        const t = (window as unknown as { __timeline: { select(s: number[]): void; setVisibleRange(a: number, b: number): void; debug: Debug } }).__timeline;
        t.select([i]); // scrolls its track into view
        t.select([]); // ...and leaves nothing selected, so the click below is a change
        t.setVisibleRange(a - (b - a), b + (b - a)); // wide enough to click
        t.debug.drawNow();
        return t.debug.sliceRect(i);
      },
      { i: slice, a: t0, b: t1 },
    );
    assert.ok(rect, 'the slice is laid out');
    const canvas = await w.page.locator('[data-testid="timeline"] canvas').first().boundingBox();
    await w.page.mouse.click(canvas!.x + rect.x + rect.w / 2, canvas!.y + rect.y + rect.h / 2);
    assert.deepEqual(await w.page.locator('[data-testid="op-row"].selected').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key'))), [other]);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('sorting and filtering the operator table', async () => {
  const w = await open();
  try {
    await show(w, message('hta-training', hta));
    const ops = operatorTable(hta);
    await w.page.locator('[data-testid="operators"] th[data-key="calls"]').click();
    const byCalls = await w.page.locator('[data-testid="op-row"]').evaluateAll((trs) => trs.map((tr) => Number((tr.children[1] as HTMLElement).textContent!.replace(/\D/g, ''))));
    assert.deepEqual(byCalls, [...byCalls].sort((a, b) => b - a), 'calls, largest first');
    assert.equal(byCalls.length, Math.min(500, ops.length));
    await w.page.getByTestId('operators-filter').fill('aten::');
    const want = ops.filter((o) => o.name.toLowerCase().includes('aten::')).length;
    assert.ok(want > 0);
    assert.equal(await w.page.locator('[data-testid="op-row"]').count(), Math.min(500, want));
    assert.match((await w.page.getByTestId('operators-count').textContent()) ?? '', new RegExp(`${want} rows? matching`));
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('an ONNX Runtime run: the run metrics in the header, nodes by op type and node; screenshots in three themes', async () => {
  for (const theme of Object.values(THEMES)) {
    const w = await open(theme);
    try {
      await show(w, message('encoder.onnx on CPU', ort.profile, ort.run, ort.runFilePath));
      const p50 = await w.page.locator('[data-testid="metric"][data-key="latency-p50"]').getAttribute('data-value');
      assert.equal(Number(p50), ort.run.result.latencyMs.p50);
      assert.deepEqual((await w.state() as { source: unknown }).source, { kind: 'run', runFilePath: ort.runFilePath }, 'the source is kept for the panel serializer');
      const opKeys = await rowKeys(w, 'op-row');
      assert.deepEqual(new Set(opKeys), new Set(operatorTable(ort.profile).map((r) => r.name)));
      // Each op row stands for the profiled runs' node executions: counts match ORT's breakdown.
      const byOpType = new Map(ort.run.operators!.byOpType.map((o) => [o.opType, o.count]));
      for (const k of opKeys) assert.equal(opSlices(ort.profile, k).length, byOpType.get(k), `${k} calls`);
      await w.page.getByTestId('tab-nodes').click();
      assert.equal(await w.page.locator('[data-testid="node-row"]').count(), ort.run.operators!.byNode.length);
      await w.page.getByTestId('tab-operators').click();
      await w.page.evaluate(() => document.fonts.ready.then(() => undefined));
      await w.page.screenshot({ path: path.join(SHOTS, `profiler-ort-${theme.name}.png`), fullPage: true });
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  }
});

test('a PyTorch script run (the harness, real CPU torch): device, step latency and peak memory in the header, its warnings as findings', async (t) => {
  const tp = await torchPython();
  if (tp.python === undefined) return t.skip(tp.skip);
  const dir = tmpDir('torch-panel');
  const script = path.join(dir, 'mlp.py');
  fs.writeFileSync(
    script,
    'import torch\nm = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))\nx = torch.randn(4, 32)\nfor _ in range(20):\n    m(x)\n',
  );
  const result = await runTorchHarness({ python: tp.python, harness: HARNESS, script, steps: { kind: 'forward' }, outDir: path.join(dir, 'out') });
  const profile = await importTraceFile(result.traces[0]!);
  const w = await open();
  try {
    const resultPath = path.join(dir, 'out', 'result.json');
    await show(w, { type: 'profile', title: 'mlp.py on CPU', source: { kind: 'torch', resultPath }, profile: profileToJson(profile), torch: result });
    const value = async (key: string) => Number(await w.page.locator(`[data-testid="metric"][data-key="${key}"]`).getAttribute('data-value'));
    assert.equal(await value('step-p50'), activeStepStats(result)!.p50);
    assert.equal(await value('peak-rss'), result.peakRssBytes);
    assert.equal(await w.page.getByTestId('torch-device').textContent(), result.deviceName);
    const findings = (await w.page.getByTestId('findings').textContent()) ?? '';
    for (const warning of result.warnings) assert.ok(findings.includes(warning), warning);
    assert.deepEqual(((await w.state()) as { source: unknown }).source, { kind: 'torch', resultPath });
    assert.ok((await rowKeys(w, 'op-row')).includes('aten::linear'));
    await w.page.screenshot({ path: path.join(SHOTS, 'profiler-torch-run-dark.png'), fullPage: true });
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('the search box finds the slices whose names contain the text; Enter steps through them', async () => {
  const w = await open();
  try {
    await show(w, message('hta-training', hta));
    const text = 'aten::add';
    let want = 0;
    for (let i = 0; i < hta.slices.count; i++) if (hta.strings[hta.slices.name[i]!]!.toLowerCase().includes(text)) want++;
    assert.ok(want > 1);
    await w.page.getByTestId('timeline-search').fill('ATEN::ADD');
    assert.equal(await w.page.getByTestId('timeline-matches').textContent(), `${want.toLocaleString('en-US')} matches`);
    await w.page.getByTestId('timeline-search').press('Enter');
    await w.page.getByTestId('timeline-search').press('Enter');
    assert.equal(await w.page.getByTestId('timeline-matches').textContent(), `2 of ${want.toLocaleString('en-US')}`);
    const sel = await w.page.evaluate(() => [...(window as unknown as { __timeline: { selection: readonly number[] } }).__timeline.selection]);
    assert.equal(sel.length, 1);
    assert.ok(hta.strings[hta.slices.name[sel[0]!]!]!.toLowerCase().includes(text), 'the selected match has the text in its name');
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('a slice inside recorded Python frames (with_stack) offers Go to source at the user’s own frame', async () => {
  const file = path.join(tmpDir('profiler-stack'), 'with_stack.pt.trace.json');
  fs.writeFileSync(file, JSON.stringify(withStackTrace()));
  const p = await importTraceFile(file);
  const w = await open();
  try {
    await show(w, message('with_stack', p));
    await w.page.getByTestId('timeline-search').fill('aten::linear');
    await w.page.getByTestId('timeline-search').press('Enter');
    const go = w.page.getByTestId('go-to-source');
    assert.match((await go.textContent()) ?? '', /Go to model\.py:12 \(forward\)/);
    await go.click();
    assert.deepEqual((await w.posted()).at(-1), { type: 'goToSource', file: '/home/u/proj/model.py', line: 12 });
    // An operator without frames has no such button.
    await w.page.getByTestId('timeline-search').fill('aten::empty');
    await w.page.getByTestId('timeline-search').press('Enter');
    assert.match((await w.page.getByTestId('selection-detail').textContent()) ?? '', /aten::empty/);
    assert.equal(await go.count(), 0);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('the view (timeline range, open table) is saved and restored when the webview comes back', async () => {
  const source = { kind: 'trace', path: hta.source.path ?? 'hta-training' } as const;
  const m: ProfilerToWebview = { type: 'profile', title: 'hta-training', source, profile: profileToJson(hta) };
  const w = await open();
  let saved: unknown;
  try {
    await show(w, m);
    await w.page.evaluate(() => (window as unknown as { __timeline: { setVisibleRange(a: number, b: number): void } }).__timeline.setVisibleRange(100_000, 150_000));
    await w.page.getByTestId('tab-kernels').click();
    await w.page.waitForFunction(() => {
      const s = (window as unknown as { __state?: { view?: { tab: string } } }).__state;
      return s?.view?.tab === 'kernels';
    });
    saved = await w.state();
    assert.deepEqual(saved, { source, view: { start: 100_000, end: 150_000, tab: 'kernels' } });
  } finally {
    await w.close();
  }
  // A fresh webview with that state (what VS Code hands back after a hide/show or a reload).
  const again = await open();
  try {
    await again.page.evaluate((s) => ((window as unknown as { __state: unknown }).__state = s), saved);
    await show(again, m);
    const range = await again.page.evaluate(() => (window as unknown as { __timeline: { visibleRange: { start: number; end: number } } }).__timeline.visibleRange);
    assert.deepEqual(range, { start: 100_000, end: 150_000 });
    assert.equal(await again.page.getByTestId('tab-kernels').getAttribute('aria-selected'), 'true');
    // Another source's view is not applied.
    await again.page.evaluate((s) => ((window as unknown as { __state: unknown }).__state = s), { ...(saved as object), source: { kind: 'trace', path: '/elsewhere' } });
    await show(again, m);
    assert.equal(await again.page.getByTestId('tab-operators').getAttribute('aria-selected'), 'true');
    assert.deepEqual(again.problems, []);
  } finally {
    await again.close();
  }
});

test('a malformed profile shows an error; junk messages are ignored', async () => {
  const w = await open();
  try {
    for (const junk of [null, {}, { type: 'profile' }, { type: 'loading' }, { type: 'profile', title: 't', source: { kind: 'trace', path: '' }, profile: {} }]) await w.send(junk);
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="loading"]').count(), 1, 'still loading after junk');
    await w.send({ type: 'loading', message: 'Importing x.json: 3 of 10 MiB' } satisfies ProfilerToWebview);
    assert.match((await w.page.locator('[data-testid="loading"]').textContent()) ?? '', /3 of 10 MiB/);
    const bad = profileToJson(hta) as { slices: { track: number[] } };
    bad.slices.track[0] = 1e9; // a slice on a track that does not exist
    await w.send({ type: 'profile', title: 'bad', source: { kind: 'trace', path: '/x' }, profile: bad } satisfies ProfilerToWebview);
    await w.page.locator('[data-testid="error"]').waitFor();
    assert.match((await w.page.locator('[data-testid="error"]').textContent()) ?? '', /malformed/);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});
