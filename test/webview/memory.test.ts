/**
 * The profiler panel's memory view (webview-ui/src/profiler/memory.ts) in headless Chromium, in the
 * extension's webview page with its strict CSP, on REAL inputs: the ResNet-50 training trace with
 * ~12.8k `[memory]` events (../shared/fixtures/traces), a variant of it with allocation addresses and
 * allocator totals derived here (the fixture predates them), and an ONNX Runtime run made here
 * (a transformer encoder profiled by the real worker). Every expected number is computed in this
 * file from the Profile's columns and the run file, independently of the component and of
 * `liveAtPeak`. Screenshots: test-results/webview/memory-*.png.
 *
 *   node --import tsx --test test/webview/memory.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { formatBytes } from '../../src/core/format';
import { memoryPeaks } from '../../src/core/profile/analyses';
import { profileToJson } from '../../src/core/profile/json';
import { SLICE_KINDS, type Profile } from '../../src/core/profile/types';
import { importTraceFile } from '../../src/core/trace';
import type { ProfileRun } from '../../src/protocol/messages';
import { REPO } from '../helpers/fixtures';
import { profiledEncoder, type EncoderRun } from '../helpers/ort-runs';
import { applyTheme, launchChromium, openPage, servePage, SHOTS, THEMES, type Theme } from '../helpers/webview';

const TRACES = path.join(REPO, '..', 'shared', 'fixtures', 'traces');
const OUT = path.join(REPO, 'out', 'memory-test', String(process.pid));
const OUTSIDE = '(outside any operator)';

let browser: Browser;
let server: { origin: string; close(): Promise<void> };
let kineto: Profile;
let derived: Profile;
let hta: Profile;
let ort: EncoderRun;

// ---------------------------------------------------------------- independent expectations

const CPU_OP = SLICE_KINDS.indexOf('cpu_op');
const ORT_NODE = SLICE_KINDS.indexOf('ort_node');

/**
 * The operator a memory sample is charged to: of the operator slices (cpu_op, ORT node) on the
 * sample's thread that contain its time (start <= t <= end), the deepest; else "outside".
 */
function chargerOf(p: Profile): (i: number) => string {
  const perTrack = new Map<number, { idx: number[]; maxDur: number }>();
  for (let i = 0; i < p.slices.count; i++) {
    const k = p.slices.kind[i];
    if (k !== CPU_OP && k !== ORT_NODE) continue;
    const t = p.slices.track[i]!;
    let e = perTrack.get(t);
    if (!e) perTrack.set(t, (e = { idx: [], maxDur: 0 }));
    e.idx.push(i);
    e.maxDur = Math.max(e.maxDur, p.slices.dur[i]!);
  }
  for (const e of perTrack.values()) e.idx.sort((a, b) => p.slices.start[a]! - p.slices.start[b]! || a - b);
  return (i) => {
    const e = perTrack.get(p.memory.track[i]!);
    if (!e) return OUTSIDE;
    const ts = p.memory.ts[i]!;
    const { start, dur, depth } = p.slices;
    let lo = 0;
    let hi = e.idx.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[e.idx[mid]!]! <= ts) lo = mid + 1;
      else hi = mid;
    }
    let best = -1;
    for (let j = lo - 1; j >= 0 && start[e.idx[j]!]! >= ts - e.maxDur; j--) {
      const s = e.idx[j]!;
      if (start[s]! + dur[s]! < ts) continue;
      if (best < 0 || depth[s]! > depth[best]!) best = s;
    }
    return best >= 0 ? p.strings[p.slices.name[best]!]! : OUTSIDE;
  };
}

interface Expected {
  readonly samples: number[];
  readonly peak: number;
  readonly peakBytes: number;
  readonly peakTimeUs: number;
  readonly rows: { name: string; bytes: number; allocations: number }[];
  readonly hasReserved: boolean;
}

/** The curve, its first highest point and what makes it up, from the memory columns. */
function expected(p: Profile, device: number, byAddress: boolean): Expected {
  const m = p.memory;
  const samples: number[] = [];
  for (let i = 0; i < m.count; i++) if (m.device[i] === device) samples.push(i);
  let sum = 0;
  const curve = samples.map((i) => (Number.isNaN(m.totalAllocated[i]!) ? (sum += m.bytes[i]!) : m.totalAllocated[i]!));
  let peak = 0;
  curve.forEach((v, k) => {
    if (v > curve[peak]!) peak = k;
  });
  const charge = chargerOf(p);
  const rows = new Map<string, { bytes: number; allocations: number }>();
  const add = (name: string, bytes: number, allocations: number) => {
    const r = rows.get(name) ?? { bytes: 0, allocations: 0 };
    r.bytes += bytes;
    r.allocations += allocations;
    rows.set(name, r);
  };
  const upTo = samples.slice(0, peak + 1);
  if (byAddress) {
    // Live at the peak: an allocation with no free of the same address after it, up to the peak.
    const frees = new Map<number, number[]>();
    upTo.forEach((i, k) => {
      if (m.bytes[i]! < 0) frees.set(m.addr[i]!, [...(frees.get(m.addr[i]!) ?? []), k]);
    });
    upTo.forEach((i, k) => {
      if (m.bytes[i]! > 0 && !(frees.get(m.addr[i]!) ?? []).some((f) => f > k)) add(charge(i), m.bytes[i]!, 1);
    });
  } else {
    for (const i of upTo) if (m.bytes[i]! !== 0) add(charge(i), m.bytes[i]!, m.bytes[i]! > 0 ? 1 : 0);
  }
  return {
    samples,
    peak,
    peakBytes: curve[peak]!,
    peakTimeUs: m.ts[samples[peak]!]!,
    rows: [...rows]
      .filter(([, r]) => r.bytes > 0)
      .map(([name, r]) => ({ name, ...r }))
      .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1)),
    hasReserved: samples.some((i) => !Number.isNaN(m.totalReserved[i]!)),
  };
}

/**
 * The fixture with what newer PyTorch records: each allocation gets a fresh address and each free
 * the address of the latest live allocation of the same size on the same device (what a caching
 * allocator returns); totals start from what was allocated before the trace (a made-up 512 MiB on
 * the GPU, enough that the running total never goes below it), and reserved grows in 2 MiB blocks.
 */
function withAddresses(p: Profile): Profile {
  const m = p.memory;
  const addr = new Float64Array(m.count);
  const totalAllocated = new Float64Array(m.count);
  const totalReserved = new Float64Array(m.count);
  const liveBySize = new Map<string, number[]>();
  const running = new Map<number, number>();
  const lowest = new Map<number, number>();
  for (let i = 0; i < m.count; i++) {
    const r = (running.get(m.device[i]!) ?? 0) + m.bytes[i]!;
    running.set(m.device[i]!, r);
    lowest.set(m.device[i]!, Math.min(lowest.get(m.device[i]!) ?? 0, r));
  }
  const base = new Map([...lowest].map(([d, low]) => [d, -low + (p.memoryDevices[d]!.type === 1 ? 512 * 2 ** 20 : 0)]));
  running.clear();
  const reserved = new Map<number, number>();
  let next = 0x7f0000000000;
  for (let i = 0; i < m.count; i++) {
    const d = m.device[i]!;
    const b = m.bytes[i]!;
    const key = `${d}:${Math.abs(b)}`;
    if (b > 0) {
      addr[i] = next += 512;
      liveBySize.set(key, [...(liveBySize.get(key) ?? []), addr[i]!]);
    } else {
      const stack = liveBySize.get(key);
      addr[i] = stack?.length ? stack.pop()! : (next += 512);
    }
    const total = base.get(d)! + (running.get(d) ?? 0) + b;
    running.set(d, (running.get(d) ?? 0) + b);
    totalAllocated[i] = total;
    const res = Math.max(reserved.get(d) ?? 0, Math.ceil(total / 2 ** 21) * 2 ** 21);
    reserved.set(d, res);
    totalReserved[i] = res;
  }
  return { ...p, memory: { ...m, addr, totalAllocated, totalReserved } };
}

// ---------------------------------------------------------------- the page

const open = (theme: Theme = THEMES.dark, viewport = { width: 1100, height: 900 }): Promise<{ page: Page; problems: string[] }> =>
  openPage(browser, `${server.origin}/`, { theme, viewport, timeoutMs: 20_000 });

const settle = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function render(page: Page, p: Profile, run?: ProfileRun): Promise<boolean> {
  const shown = await page.evaluate(([json, r]) => (window as unknown as { __render(j: string, r: unknown): boolean }).__render(json, r), [JSON.stringify(profileToJson(p)), run ?? null] as const);
  await settle(page);
  return shown;
}

async function withPage(fn: (page: Page) => Promise<void>, theme?: Theme, viewport?: { width: number; height: number }): Promise<void> {
  const { page, problems } = await open(theme, viewport);
  try {
    await fn(page);
    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
  } finally {
    await page.close();
  }
}

const chart = (page: Page, key: string) => page.locator(`[data-testid="memory-chart"][data-key="${key}"]`);
const selected = (page: Page) => page.evaluate(() => (window as unknown as { __selected: number[] }).__selected.slice());
const pixel = (page: Page, key: string, x: number, y: number) => page.evaluate(([k, a, b]) => (window as unknown as { __pixel(k: string, x: number, y: number): number[] }).__pixel(k, a, b), [key, x, y] as const);
const hex = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
const near = (a: readonly number[], b: readonly number[], tol: number) => a.every((v, k) => Math.abs(v - b[k]!) <= tol);

/** Where chart `key` drew its peak, in page coordinates. */
async function peakPoint(page: Page, key: string): Promise<{ x: number; y: number; px: number; py: number }> {
  const c = chart(page, key);
  const px = Number(await c.getAttribute('data-peak-x'));
  const py = Number(await c.getAttribute('data-peak-y'));
  const over = await c.locator('.u-over').boundingBox();
  assert.ok(over && Number.isFinite(px) && Number.isFinite(py), 'the peak is drawn');
  return { x: over.x + px, y: over.y + py, px, py };
}

async function liveRows(page: Page, key: string): Promise<{ name: string; bytes: string; allocations: number }[]> {
  return chart(page, key)
    .locator('[data-testid="live-row"]')
    .evaluateAll((trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-key') ?? '',
        bytes: (tr.children[1] as HTMLElement).textContent!.trim(),
        allocations: Number((tr.children[2] as HTMLElement).textContent!.replace(/\D/g, '')),
      })),
    );
}

/** One chart per device, its points, its peak label and its live-at-peak table, as computed here. */
async function assertDevices(page: Page, p: Profile, byAddress: boolean): Promise<void> {
  const devices = p.memoryDevices.map((_, d) => d).filter((d) => expected(p, d, byAddress).samples.length > 0);
  assert.deepEqual(await page.locator('[data-testid="memory-chart"][data-kind="device"]').evaluateAll((e) => e.map((x) => x.getAttribute('data-key'))), devices.map((d) => p.memoryDevices[d]!.name));
  const peaks = memoryPeaks(p);
  for (const d of devices) {
    const name = p.memoryDevices[d]!.name;
    const e = expected(p, d, byAddress);
    const c = chart(page, name);
    assert.equal(Number(await c.getAttribute('data-points')), e.samples.length, `${name}: one point per sample`);
    assert.equal(await c.locator('.u-legend .u-series').count(), e.hasReserved ? 3 : 2, `${name}: time, allocated${e.hasReserved ? ', reserved' : ''}`);
    const chip = c.locator('[data-testid="memory-peak"]');
    assert.equal(Number(await chip.getAttribute('data-bytes')), peaks[d]!.peakBytes, `${name}: the peak label says memoryPeaks' peak`);
    assert.equal(Number(await chip.getAttribute('data-bytes')), e.peakBytes);
    assert.equal(Number(await chip.getAttribute('data-time-us')), e.peakTimeUs);
    assert.match((await chip.textContent()) ?? '', new RegExp(`^peak ${formatBytes(e.peakBytes).replace('.', '\\.')} at `));
    const breakdown = c.locator('[data-testid="memory-breakdown"]');
    assert.equal(await breakdown.getAttribute('data-method'), byAddress ? 'address' : 'net');
    assert.equal(Number(await breakdown.getAttribute('data-live-bytes')), e.rows.reduce((s, r) => s + r.bytes, 0), `${name}: live bytes in all`);
    assert.deepEqual(
      await liveRows(page, name),
      e.rows.slice(0, 100).map((r) => ({ name: r.name, bytes: formatBytes(r.bytes), allocations: r.allocations })),
      `${name}: what makes up the peak, largest first`,
    );
    assert.ok(e.rows.length > 1, 'more than one operator at the peak');
  }
}

before(async () => {
  [kineto, hta] = await Promise.all([importTraceFile(path.join(TRACES, 'kineto-resnet50-v100-memory.pt.trace.json.gz')), importTraceFile(path.join(TRACES, 'hta-training-v100.pt.trace.json.gz'))]);
  derived = withAddresses(kineto);
  // Enough timed runs that the worker's 20 ms RSS sampler fires several times.
  ort = await profiledEncoder({ hidden: 128, ffn: 512, sequence: 64, timedRuns: 300, profiledRuns: 3 });

  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  // The panel's stylesheet (tables, share bars) and the memory view's own, unless the panel's already imports it.
  const panelCss = path.join(REPO, 'webview-ui/src/profiler/profiler.css');
  const styles = /@import\s+['"]\.\/memory\.css['"]/.test(fs.readFileSync(panelCss, 'utf8')) ? ['profiler.css'] : ['profiler.css', 'memory.css'];
  await build({
    entryPoints: {
      page: path.join(REPO, 'test/webview/memory-page.ts'),
      profiler: panelCss,
      ...(styles.length > 1 ? { memory: path.join(REPO, 'webview-ui/src/profiler/memory.css') } : {}),
    },
    outdir: OUT,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  server = await servePage(OUT, { styles, script: 'page.js' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(OUT, { recursive: true, force: true });
});

describe('PyTorch [memory] samples', () => {
  test('the ResNet-50 trace: one chart per device, its points, the peak label, net allocations up to the peak', async () => {
    assert.ok(kineto.memory.count > 12_000, 'the fixture has its ~12.8k samples');
    await withPage(async (page) => {
      assert.equal(await render(page, kineto), true);
      await assertDevices(page, kineto, false);
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      await page.screenshot({ path: path.join(SHOTS, 'memory-kineto-dark.png'), fullPage: true });
    });
  });

  test('with addresses and allocator totals: reserved drawn, the allocations live at the peak by operator', async () => {
    await withPage(async (page) => {
      assert.equal(await render(page, derived), true);
      await assertDevices(page, derived, true);
      // The part of the peak allocated before the trace is said, not put in the table.
      const e = expected(derived, 1, true);
      const before = e.peakBytes - e.rows.reduce((s, r) => s + r.bytes, 0);
      assert.ok(before > 0);
      assert.match((await chart(page, 'CUDA:0').locator('[data-testid="memory-breakdown"] > p').textContent()) ?? '', new RegExp(`other ${formatBytes(before).replace('.', '\\.')} of the peak was allocated before the trace`));
    });
  });

  test('clicking the peak point selects the peak time; the point is drawn in the theme’s blue', async () => {
    await withPage(async (page) => {
      await render(page, kineto);
      for (const d of [1, 0]) {
        const name = kineto.memoryDevices[d]!.name;
        const e = expected(kineto, d, false);
        const pt = await peakPoint(page, name);
        assert.ok(near(await pixel(page, name, pt.px, pt.py), hex(THEMES.dark.vars['--vscode-charts-blue']), 12), `${name}: a blue point at the peak`);
        const before = (await selected(page)).length;
        await page.mouse.click(pt.x, pt.y);
        const got = (await selected(page)).slice(before);
        assert.equal(got.length, 1, `${name}: one onSelectTime call`);
        const ks = e.samples.map((i, k) => (kineto.memory.ts[i] === got[0] ? k : -1)).filter((k) => k >= 0);
        assert.ok(ks.length > 0, 'a sample time');
        assert.ok(Math.min(...ks.map((k) => Math.abs(k - e.peak))) <= 1, `${name}: the peak sample (±1), got ${got[0]} for ${e.peakTimeUs}`);
        assert.equal(Number(await chart(page, name).getAttribute('data-selected-us')), got[0]);
      }
      // A drag zooms; it is not a click.
      const over = (await chart(page, 'CUDA:0').locator('.u-over').boundingBox())!;
      const n = (await selected(page)).length;
      await page.mouse.move(over.x + 100, over.y + 50);
      await page.mouse.down();
      await page.mouse.move(over.x + 300, over.y + 60, { steps: 5 });
      await page.mouse.up();
      await settle(page);
      assert.equal((await selected(page)).length, n, 'no selection from a drag');
    });
  });

  test('zooming one device chart zooms the others to the same time range', async () => {
    await withPage(async (page) => {
      await render(page, kineto);
      const labels = async (key: string) => [Number(await chart(page, key).getAttribute('data-x-min')), Number(await chart(page, key).getAttribute('data-x-max'))];
      const cpuBefore = await labels('CPU');
      assert.deepEqual(cpuBefore, [0, kineto.duration], 'the whole profile at first');
      assert.deepEqual(await labels('CUDA:0'), [0, kineto.duration]);
      const over = (await chart(page, 'CUDA:0').locator('.u-over').boundingBox())!;
      await page.mouse.move(over.x + over.width * 0.2, over.y + 40);
      await page.mouse.down();
      await page.mouse.move(over.x + over.width * 0.4, over.y + 40, { steps: 5 });
      await page.mouse.up();
      await settle(page);
      const cudaAfter = await labels('CUDA:0');
      // From 20% to 40% of the plot's width.
      assert.ok(Math.abs(cudaAfter[0]! - 0.2 * kineto.duration) < 0.01 * kineto.duration && Math.abs(cudaAfter[1]! - 0.4 * kineto.duration) < 0.01 * kineto.duration, `the CUDA chart zoomed: ${cudaAfter}`);
      assert.deepEqual(await labels('CPU'), cudaAfter, 'the CPU chart followed');
      // Double-click: back to the whole profile, both charts.
      await page.mouse.dblclick(over.x + over.width / 2, over.y + 40);
      await settle(page);
      assert.deepEqual(await labels('CUDA:0'), [0, kineto.duration]);
      assert.deepEqual(await labels('CPU'), [0, kineto.duration]);
    });
  });

  test('a theme change recolors the charts (body class and variables, as VS Code does)', async () => {
    await withPage(async (page) => {
      await render(page, kineto);
      let pt = await peakPoint(page, 'CUDA:0');
      assert.ok(near(await pixel(page, 'CUDA:0', pt.px, pt.py), hex(THEMES.dark.vars['--vscode-charts-blue']), 12));
      await applyTheme(page, THEMES.light);
      await settle(page);
      pt = await peakPoint(page, 'CUDA:0');
      assert.ok(near(await pixel(page, 'CUDA:0', pt.px, pt.py), hex(THEMES.light.vars['--vscode-charts-blue']), 12), 'the light theme’s blue');
    });
  });

  for (const theme of Object.values(THEMES)) {
    test(`screenshot: ResNet-50 with addresses, ${theme.name}`, async () => {
      await withPage(
        async (page) => {
          await render(page, derived);
          await page.evaluate(() => document.fonts.ready.then(() => undefined));
          await page.screenshot({ path: path.join(SHOTS, `memory-pytorch-${theme.name}.png`), fullPage: true });
        },
        theme,
      );
    });
  }
});

describe('an ONNX Runtime run', () => {
  test('RSS over the run with its peak, the arena peak line with its node; the arena from the profile, clickable', async () => {
    const rss = ort.run.result.memory.rssSamples;
    const ops = ort.run.operators!;
    assert.ok(rss.length >= 3, `several RSS samples (got ${rss.length})`);
    assert.ok(ops.arenaPeakBytes > 0 && ops.arenaPeakNode, 'ORT reported an arena peak');
    await withPage(async (page) => {
      assert.equal(await render(page, ort.profile, ort.run), true);
      assert.deepEqual(await page.locator('[data-testid="memory-chart"]').evaluateAll((e) => e.map((x) => x.getAttribute('data-kind'))), ['arena', 'rss']);
      const c = chart(page, 'rss');
      assert.equal(Number(await c.getAttribute('data-points')), rss.length);
      let peak = 0;
      rss.forEach((s, k) => {
        if (s.rssBytes > rss[peak]!.rssBytes) peak = k;
      });
      const chip = c.locator('[data-testid="memory-peak"]');
      assert.equal(Number(await chip.getAttribute('data-bytes')), rss[peak]!.rssBytes);
      assert.equal(Number(await chip.getAttribute('data-time-us')), rss[peak]!.tMs * 1000);
      const line = c.locator('[data-testid="memory-line"]');
      assert.equal(Number(await line.getAttribute('data-bytes')), ops.arenaPeakBytes);
      assert.equal(await line.getAttribute('data-node'), ops.arenaPeakNode);
      assert.equal((await line.textContent())?.trim(), `ORT arena peak ${formatBytes(ops.arenaPeakBytes)} · ${ops.arenaPeakNode}`);
      // The line is drawn where the arena peak is on the y axis.
      const lineY = Math.floor(Number(await c.getAttribute('data-line-y')));
      assert.ok(near(await pixel(page, 'rss', 3, lineY), [177, 128, 215], 40), 'the arena line (charts purple) at the arena peak');
      assert.equal(await c.locator('[data-testid="ort-arena-peak"]').getAttribute('data-bytes'), String(ops.arenaPeakBytes));
      assert.equal(await c.locator('[data-testid="ort-arena-node"]').getAttribute('data-node'), ops.arenaPeakNode);
      assert.match((await c.locator('[data-testid="ort-arena-node"] td').textContent()) ?? '', new RegExp(`^${ops.arenaPeakNode} · .*CPUExecutionProvider`));
      // RSS is on the worker's clock: a click there does not move the timeline.
      const pt = await peakPoint(page, 'rss');
      await page.mouse.click(pt.x, pt.y);
      assert.deepEqual(await selected(page), []);

      // The arena after each node execution, from the profile's node events.
      const nodes: { t: number; highWater: number; name: string }[] = [];
      for (let i = 0; i < ort.profile.slices.count; i++) {
        if (ort.profile.slices.kind[i] !== ORT_NODE) continue;
        const a = JSON.parse(ort.profile.args[ort.profile.slices.args[i]!]!) as Record<string, string>;
        if (a.mem_bytes_in_use !== undefined) nodes.push({ t: ort.profile.slices.start[i]! + ort.profile.slices.dur[i]!, highWater: Number(a.mem_in_use_peak), name: ort.profile.strings[ort.profile.slices.name[i]!]! });
      }
      nodes.sort((a, b) => a.t - b.t);
      assert.ok(nodes.length > 10);
      const arena = chart(page, 'ort-arena');
      assert.equal(Number(await arena.getAttribute('data-points')), nodes.length);
      assert.equal(await arena.locator('.u-legend .u-series').count(), 4, 'time, in use, held, highest in use');
      const top = Math.max(...nodes.map((n) => n.highWater));
      const first = nodes.findIndex((n) => n.highWater === top);
      // The same peak, and the same node, as the run file's (ORT's) arena peak.
      assert.equal(top, ops.arenaPeakBytes);
      assert.equal(nodes[first]!.name, `${ops.arenaPeakNode}_kernel_time`);
      assert.equal(Number(await arena.locator('[data-testid="memory-peak"]').getAttribute('data-bytes')), top);
      assert.match((await arena.locator('.memory-note').textContent()) ?? '', new RegExp(`peak was reached in ${ops.arenaPeakNode}$`));
      const apt = await peakPoint(page, 'ort-arena');
      await page.mouse.click(apt.x, apt.y);
      const got = await selected(page);
      assert.equal(got.length, 1);
      const k = nodes.findIndex((n) => n.t === got[0]);
      assert.ok(k >= 0 && Math.abs(k - first) <= 1, `the arena peak's time (±1 sample): got ${got[0]}, want ${nodes[first]!.t}`);
    });
  });

  for (const theme of Object.values(THEMES)) {
    test(`screenshot: ONNX Runtime run, ${theme.name}`, async () => {
      await withPage(
        async (page) => {
          await render(page, ort.profile, ort.run);
          await page.evaluate(() => document.fonts.ready.then(() => undefined));
          await page.screenshot({ path: path.join(SHOTS, `memory-ort-${theme.name}.png`), fullPage: true });
        },
        theme,
      );
    });
  }
});

test('no memory information at all gives undefined; dispose leaves nothing behind', async () => {
  assert.equal(hta.memory.count, 0);
  await withPage(async (page) => {
    assert.equal(await render(page, hta), false, 'a trace without [memory] samples and no run');
    const noSamples = { ...ort.run, result: { ...ort.run.result, memory: { ...ort.run.result.memory, rssSamples: [] } } };
    assert.equal(await render(page, hta, noSamples), false, 'a run without RSS samples');
    assert.equal(await render(page, hta, ort.run), true, 'RSS samples alone are enough');
    assert.deepEqual(await page.locator('[data-testid="memory-chart"]').evaluateAll((e) => e.map((x) => x.getAttribute('data-kind'))), ['rss']);
    // A short run has a single RSS sample (the sampler runs every 20 ms): still a chart, its peak marked.
    const one = { ...ort.run, result: { ...ort.run.result, memory: { ...ort.run.result.memory, rssSamples: ort.run.result.memory.rssSamples.slice(0, 1) } } };
    assert.equal(await render(page, hta, one), true);
    assert.equal(await chart(page, 'rss').getAttribute('data-points'), '1');
    await peakPoint(page, 'rss');
    assert.equal(await page.evaluate(() => (window as unknown as { __dispose(): boolean }).__dispose()), true);
  });
});
