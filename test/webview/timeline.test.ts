/**
 * The canvas timeline (webview-ui/src/timeline) in headless Chromium, in the extension's webview page
 * with its strict CSP, on REAL profiles: every PyTorch trace in ../shared/fixtures/traces and an ONNX
 * Runtime profile recorded here (a transformer encoder run by onnxruntime-node in the worker), plus a
 * synthetic 1,000,000-slice profile. Expected values (search counts, box selections, aggregates,
 * flows, slice positions) are computed here from the Profile columns, independently of the component.
 * Screenshots: test-results/webview/timeline-*.png.
 *
 *   node --import tsx --test test/webview/timeline.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { sliceArgs, sliceKind, type Profile } from '../../src/core/profile';
import { importTraceFile, importTracePath } from '../../src/core/trace';
import { profileModel } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';
import { startTimelineHost, type TimelineHost, type TimelinePage } from '../helpers/timeline-host';
import { SHOTS, THEMES, type Theme } from '../helpers/webview';
import { syntheticProfile } from './timeline-page';

let host: TimelineHost;
const traces = new Map<string, Profile>();
let training: Profile;
let ort: Profile;

async function ortProfile(): Promise<Profile> {
  const { worker } = await bundles();
  const dir = tmpDir('timeline-ort');
  const model = path.join(dir, 'encoder.onnx');
  fs.writeFileSync(model, transformerModel({ layers: 2, hidden: 64, ffn: 256 }).model);
  const { run } = await profileModel(
    {
      modelPath: model,
      ep: 'cpu',
      allowCpuFallback: false,
      session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 },
      warmupRuns: 1,
      timedRuns: 2,
      profiledRuns: 3,
      dims: { batch: 2, sequence: 16 },
      decode: 'off',
    },
    { workerPath: worker, outDir: path.join(dir, 'runs') },
  );
  const file = run.result.ortProfilePath;
  assert.ok(file && file.endsWith('.ort.json'), 'the run kept ORT’s profile');
  const [imported] = await importTracePath(file);
  return imported!.profile;
}

before(async () => {
  for (const t of manifest.traces) traces.set(t.id, await importTraceFile(fixturePath(t.path)));
  training = traces.get('hta-training-v100')!;
  ort = await ortProfile();
  host = await startTimelineHost();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await host?.close();
});

// ---- helpers: the page side ----

interface Geometry {
  gutterWidth: number;
  rulerHeight: number;
  headerHeight: number;
  trackPad: number;
  depthPitch: number;
  sliceHeight: number;
  width: number;
  height: number;
}

type Range = { start: number; end: number };

/**
 * Evaluates `fn(timeline, arg)` in the page. `fn` must be self-contained: its source is sent as an
 * expression (evaluated by DevTools, so the page's CSP, which forbids eval, still holds for the app).
 */
function tl<R = any>(page: Page, fn: (t: any, arg: any) => R, arg?: unknown): Promise<R> {
  return page.evaluate(`(${fn.toString()})(window.__timeline, ${JSON.stringify(arg ?? null)})`) as Promise<R>;
}

const range = (page: Page) => tl<Range>(page, (t) => t.visibleRange);
const setRange = (page: Page, a: number, b: number) => tl(page, (t, r: number[]) => t.setVisibleRange(r[0], r[1]), [a, b]);
const selection = (page: Page) => tl<number[]>(page, (t) => [...t.selection]);
const geometry = (page: Page) => tl<Geometry>(page, (t) => t.debug.geometry);
const band = (page: Page, track: number) => tl<{ y: number; h: number } | undefined>(page, (t, k: number) => t.debug.trackBand(k), track);
const events = (page: Page) => page.evaluate(() => (window as any).__events as number[][]);
const stats = (page: Page) => tl<{ rects: number; buckets: number; labels: number; visited: number; rows: number; flows: number; drawMs: number }>(page, (t) => ({ ...t.debug.stats }));
const frames = (page: Page) => tl<number>(page, (t) => t.debug.frames);
/** Two animation frames: whatever was requested has been drawn. */
const settle = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
const pixel = (page: Page, x: number, y: number) => page.evaluate(([a, b]) => (window as any).__pixel(a, b) as [number, number, number], [x, y]);

async function canvasBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await page.locator('canvas.il-tl-canvas').boundingBox();
  assert.ok(b, 'the canvas is laid out');
  return b;
}

async function open(profile: Profile | { synthetic: number }, theme: Theme = THEMES.dark, viewport = { width: 1200, height: 800 }): Promise<TimelinePage> {
  const w = await host.open({ theme, viewport });
  await w.mount(profile);
  return w;
}

/** Run `fn` on a fresh page and close it; asserts no console errors, page errors or CSP violations. */
async function withPage(profile: Profile | { synthetic: number }, fn: (w: TimelinePage) => Promise<void>, theme?: Theme, viewport?: { width: number; height: number }): Promise<void> {
  const w = await open(profile, theme, viewport);
  try {
    await fn(w);
    assert.deepEqual(w.problems, [], 'no console errors, page errors or CSP violations');
  } finally {
    await w.close();
  }
}

const hex = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));

// ---- helpers: independent expectations from the Profile columns ----

const nameOf = (p: Profile, i: number) => p.strings[p.slices.name[i]!]!;

function searchCount(p: Profile, text: string): number {
  const needle = text.toLowerCase();
  let n = 0;
  for (let i = 0; i < p.slices.count; i++) if (needle && nameOf(p, i).toLowerCase().includes(needle)) n++;
  return n;
}

function processKeys(p: Profile): string[] {
  return [...new Set(p.tracks.map((t) => `${t.pid}|${t.processName}`))];
}

function selfTimes(p: Profile): Float64Array {
  const child = new Float64Array(p.slices.count);
  for (let i = 0; i < p.slices.count; i++) if (p.slices.parent[i]! >= 0) child[p.slices.parent[i]!] += p.slices.dur[i]!;
  return Float64Array.from(p.slices.dur, (d, i) => Math.max(0, d - child[i]!));
}

/** The longest slice of a kind (on a track that has it). */
function longest(p: Profile, kind: string, where: (i: number) => boolean = () => true): number {
  let best = -1;
  for (let i = 0; i < p.slices.count; i++) if (sliceKind(p, i) === kind && where(i) && (best < 0 || p.slices.dur[i]! > p.slices.dur[best]!)) best = i;
  assert.ok(best >= 0, `the profile has a ${kind} slice`);
  return best;
}

/** Page coordinates of the middle of slice `i`, from the visible range and the track's band only. */
async function slicePoint(page: Page, p: Profile, i: number): Promise<{ x: number; y: number }> {
  const box = await canvasBox(page);
  const g = await geometry(page);
  const r = await range(page);
  const b = await band(page, p.slices.track[i]!);
  assert.ok(b, 'the slice’s track is shown');
  const mid = p.slices.start[i]! + p.slices.dur[i]! / 2;
  const x = g.gutterWidth + ((mid - r.start) / (r.end - r.start)) * (g.width - g.gutterWidth);
  const y = b.y + g.trackPad + p.slices.depth[i]! * g.depthPitch + g.sliceHeight / 2;
  return { x: box.x + x, y: box.y + y };
}

// ---- tests ----

describe('rendering real profiles', () => {
  for (const id of manifest.traces.map((t) => t.id).concat(['ort-encoder'])) {
    test(`${id}: one header per process, one band per track, slices drawn, no DOM per slice`, async () => {
      const p = id === 'ort-encoder' ? ort : traces.get(id)!;
      await withPage(p, async (w) => {
        const groups = processKeys(p);
        const headers = await tl(w.page, (t) => {
          const out = [];
          for (let g = 0; t.debug.groupHeader(g); g++) out.push(t.debug.groupHeader(g));
          return out;
        });
        assert.equal(headers.length, groups.length, 'one header row per process');
        assert.deepEqual(headers.map((h: { tracks: number[] }) => h.tracks).flat().sort((a: number, b: number) => a - b), p.tracks.map((t) => t.id), 'every track under exactly one process');
        const g = await geometry(w.page);
        for (const t of p.tracks) {
          const b = await band(w.page, t.id);
          assert.ok(b, `track ${t.id} has a band`);
          assert.ok(b.h >= Math.max(1, t.depthCount) * g.depthPitch - (g.depthPitch - g.sliceHeight), `track ${t.id} fits its ${t.depthCount} levels`);
        }
        const s = await stats(w.page);
        assert.ok(s.rects > 0 && s.rows > 0, 'slices drawn');
        assert.equal(await tl(w.page, (t) => t.visibleRange.start), 0);
        assert.ok(Math.abs((await range(w.page)).end - p.duration) < 1e-6 * p.duration, 'starts on the whole profile');
        const nodes = await w.page.evaluate(() => document.querySelectorAll('.il-timeline *').length);
        assert.ok(nodes < 40, `a handful of DOM nodes for ${p.slices.count} slices (got ${nodes})`);
      });
    });
  }

  test('the ORT profile has execution-provider tracks; the tooltip shows a node’s op, provider and shapes', async () => {
    const ep = ort.tracks.filter((t) => t.kind === 'ep');
    assert.ok(ep.length >= 1 && ep.some((t) => t.name === 'CPUExecutionProvider'), 'ORT node runs are on a CPUExecutionProvider track');
    const i = longest(ort, 'ort_node');
    const args = sliceArgs(ort, i);
    await withPage(ort, async (w) => {
      const s = ort.slices.start[i]!;
      const d = ort.slices.dur[i]!;
      await setRange(w.page, s - d, s + 2 * d);
      await settle(w.page);
      const at = await slicePoint(w.page, ort, i);
      await w.page.mouse.move(at.x, at.y);
      const tip = w.page.locator('.il-tl-tooltip');
      await tip.waitFor({ state: 'visible' });
      assert.equal(await tip.getAttribute('data-slice'), String(i));
      const text = (await tip.textContent()) ?? '';
      assert.ok(text.startsWith(nameOf(ort, i)), 'name first');
      assert.match(text, /ONNX Runtime execution provider: CPUExecutionProvider/);
      for (const k of ['op_name', 'provider', 'input_type_shape', 'output_type_shape'].filter((k) => k in args)) assert.ok(text.includes(k), `tooltip shows ${k}`);
      assert.ok(Object.keys(args).length >= 3, 'ORT nodes carry args');
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-ort-dark.png') });
    });
  });
});

test('an empty profile (no tracks, no slices) renders without errors', async () => {
  const p = syntheticProfile(8);
  const empty: Profile = {
    ...p,
    duration: 0,
    tracks: [],
    slices: { ...p.slices, count: 0, start: new Float64Array(0), dur: new Float64Array(0), track: new Uint32Array(0), depth: new Uint32Array(0), parent: new Int32Array(0), name: new Uint32Array(0), cat: new Uint32Array(0), kind: new Uint8Array(0), correlation: new Float64Array(0), externalId: new Float64Array(0), args: new Uint32Array(0) },
  };
  await withPage(empty, async (w) => {
    assert.equal(await tl(w.page, (t) => t.search('a')), 0);
    assert.equal(await tl(w.page, (t) => t.nextMatch()), -1);
    const box = await canvasBox(w.page);
    await w.page.mouse.click(box.x + 400, box.y + 100);
    await w.page.keyboard.press('w');
    await settle(w.page);
    assert.deepEqual(await selection(w.page), []);
    assert.ok((await frames(w.page)) >= 1);
  });
});

describe('level of detail', () => {
  test('1,000,000 slices: a frame fills at most about one rectangle per pixel column per row, and draws fast', async () => {
    const p = syntheticProfile(1_000_000);
    await withPage({ synthetic: 1_000_000 }, async (w) => {
      assert.equal(await w.page.evaluate(() => (window as any).__profile.slices.count), p.slices.count);
      const g = await geometry(w.page);
      const trackW = g.width - g.gutterWidth;
      const drawMs: number[] = [];
      for (const [a, b] of [[0, p.duration], [p.duration * 0.3, p.duration * 0.32], [p.duration * 0.5, p.duration * 0.5001]] as const) {
        await setRange(w.page, a, b);
        await tl(w.page, (t) => t.debug.drawNow());
        const s = await stats(w.page);
        drawMs.push(s.drawMs);
        assert.ok(s.rows > 0);
        assert.ok(s.rects <= 2 * s.rows * (trackW + 2), `${s.rects} rects on ${s.rows} rows of ${trackW}px`);
      }
      await setRange(w.page, 0, p.duration);
      await tl(w.page, (t) => t.debug.drawNow());
      const whole = await stats(w.page);
      assert.ok(whole.buckets > 0 && whole.rects < whole.visited / 20, `sub-pixel slices merged: ${whole.rects} rects for ${whole.visited} visible slices`);
      assert.ok(Math.min(...drawMs) < 100, `draw times ${drawMs.map((d) => d.toFixed(1)).join(', ')} ms`);
      // The search covers all million slices, counted independently.
      assert.equal(await tl(w.page, (t) => t.search('OP_1')), searchCount(p, 'OP_1'));
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-1m-dark.png') });
    });
  });
});

describe('navigation', () => {
  test('Ctrl+wheel zooms in and out around the cursor', async () => {
    await withPage(training, async (w) => {
      await setRange(w.page, 100_000, 400_000);
      await settle(w.page);
      const box = await canvasBox(w.page);
      const g = await geometry(w.page);
      const b = (await band(w.page, 3))!;
      // Whole pixels: a WheelEvent's clientX is an integer.
      const x = Math.round(box.x + g.gutterWidth + 0.3 * (g.width - g.gutterWidth)) - box.x;
      const timeAt = (r: Range) => r.start + ((x - g.gutterWidth) / (g.width - g.gutterWidth)) * (r.end - r.start);
      const before = await range(w.page);
      await w.page.mouse.move(box.x + x, box.y + b.y + 2);
      await w.page.keyboard.down('Control');
      await w.page.mouse.wheel(0, -200);
      await w.page.keyboard.up('Control');
      await settle(w.page);
      const zoomed = await range(w.page);
      assert.ok(zoomed.end - zoomed.start < 0.7 * (before.end - before.start), 'zoomed in');
      assert.ok(Math.abs(timeAt(zoomed) - timeAt(before)) < 1e-6 * (before.end - before.start), 'the time under the cursor stays put');
      await w.page.keyboard.down('Control');
      await w.page.mouse.wheel(0, 200);
      await w.page.keyboard.up('Control');
      await settle(w.page);
      const out = await range(w.page);
      assert.ok(out.end - out.start > zoomed.end - zoomed.start, 'zoomed out');
      assert.ok(Math.abs(timeAt(out) - timeAt(before)) < 1e-6 * (before.end - before.start));
      assert.deepEqual(await selection(w.page), [], 'wheeling selects nothing');
    });
  });

  test('W/S zoom around the cursor while held (smoothly), A/D pan', async () => {
    await withPage(training, async (w) => {
      await setRange(w.page, 100_000, 400_000);
      await settle(w.page);
      const box = await canvasBox(w.page);
      const g = await geometry(w.page);
      const x = g.gutterWidth + 0.7 * (g.width - g.gutterWidth);
      const timeAt = (r: Range) => r.start + ((x - g.gutterWidth) / (g.width - g.gutterWidth)) * (r.end - r.start);
      await w.page.locator('canvas.il-tl-canvas').focus();
      await w.page.mouse.move(box.x + x, box.y + g.rulerHeight + 5);
      const hold = async (key: string, ms = 300) => {
        const f0 = await frames(w.page);
        await w.page.keyboard.down(key);
        await w.page.waitForTimeout(ms);
        await w.page.keyboard.up(key);
        await settle(w.page);
        return (await frames(w.page)) - f0;
      };
      const r0 = await range(w.page);
      const drawn = await hold('w');
      const r1 = await range(w.page);
      assert.ok(r1.end - r1.start < 0.8 * (r0.end - r0.start), `W zoomed in (${r0.end - r0.start} → ${r1.end - r1.start})`);
      assert.ok(Math.abs(timeAt(r1) - timeAt(r0)) < 1e-6 * (r0.end - r0.start), 'around the cursor');
      assert.ok(drawn >= 5, `smooth: ${drawn} frames while held`);
      await hold('s');
      const r2 = await range(w.page);
      assert.ok(r2.end - r2.start > r1.end - r1.start, 'S zoomed out');
      assert.ok(Math.abs(timeAt(r2) - timeAt(r0)) < 1e-6 * (r0.end - r0.start));
      await hold('a');
      const r3 = await range(w.page);
      assert.ok(r3.start < r2.start, 'A pans left');
      assert.ok(Math.abs(r3.end - r3.start - (r2.end - r2.start)) < 1e-6 * (r2.end - r2.start), 'panning keeps the zoom');
      await hold('d', 500);
      const r4 = await range(w.page);
      assert.ok(r4.start > r3.start, 'D pans right');
      assert.deepEqual(await events(w.page), []);
    });
  });

  test('wheel scrolls the tracks, Shift+wheel pans, dragging pans', async () => {
    await withPage(
      training,
      async (w) => {
        const box = await canvasBox(w.page);
        const g = await geometry(w.page);
        const content = await tl(w.page, (t) => t.debug.contentHeight);
        assert.ok(content > g.height - g.rulerHeight, 'the tracks do not fit: they scroll');
        await setRange(w.page, 100_000, 400_000);
        const r0 = await range(w.page);
        const cx = box.x + g.gutterWidth + 300;
        const cy = box.y + g.rulerHeight + 50;
        await w.page.mouse.move(cx, cy);
        await w.page.mouse.wheel(0, 120);
        await settle(w.page);
        assert.equal(await tl(w.page, (t) => t.debug.scrollTop), 120);
        assert.deepEqual(await range(w.page), r0, 'scrolling does not pan');
        const b0 = (await band(w.page, 0))!;
        assert.ok(b0.y < g.rulerHeight, 'the first track scrolled up out of view');

        await w.page.keyboard.down('Shift');
        await w.page.mouse.wheel(0, 100);
        await w.page.keyboard.up('Shift');
        await settle(w.page);
        const r1 = await range(w.page);
        const pxTime = (r0.end - r0.start) / (g.width - g.gutterWidth);
        assert.ok(Math.abs(r1.start - r0.start - 100 * pxTime) < 1e-6 * (r0.end - r0.start), 'Shift+wheel pans by the wheel delta');
        assert.equal(await tl(w.page, (t) => t.debug.scrollTop), 120);

        // Drag starting on empty space (past the end of the profile) to the right and down.
        await setRange(w.page, training.duration - 50_000, training.duration + 20_000);
        await settle(w.page);
        const r2 = await range(w.page);
        const x0 = box.x + g.gutterWidth + 0.85 * (g.width - g.gutterWidth);
        assert.equal(await tl(w.page, (t, p: number[]) => t.debug.hitTest(p[0], p[1]), [x0 - box.x, cy - box.y]), -1, 'no slice there');
        await w.page.mouse.move(x0, cy);
        await w.page.mouse.down();
        await w.page.mouse.move(x0 + 50, cy, { steps: 5 });
        await w.page.mouse.move(x0 + 100, cy + 40, { steps: 5 });
        await w.page.mouse.up();
        await settle(w.page);
        const r3 = await range(w.page);
        const px2 = (r2.end - r2.start) / (g.width - g.gutterWidth);
        assert.ok(Math.abs(r3.start - r2.start + 100 * px2) < 1e-6 * (r2.end - r2.start), 'dragged 100 px right: the view moved 100 px of time earlier');
        assert.equal(await tl(w.page, (t) => t.debug.scrollTop), 80, 'and dragged down 40 px: the tracks follow the pointer');
        assert.deepEqual(await selection(w.page), [], 'a drag is not a click');
        assert.deepEqual(await events(w.page), []);
      },
      THEMES.dark,
      { width: 1100, height: 420 },
    );
  });

  test('a process header collapses and expands its tracks', async () => {
    await withPage(training, async (w) => {
      const box = await canvasBox(w.page);
      const h0 = await tl(w.page, (t) => t.debug.groupHeader(0));
      const tracks: number[] = h0.tracks;
      const contentBefore = await tl(w.page, (t) => t.debug.contentHeight);
      let removed = 0;
      for (const t of tracks) removed += (await band(w.page, t))!.h;
      await w.page.mouse.click(box.x + 40, box.y + h0.y + h0.h / 2);
      assert.equal((await tl(w.page, (t) => t.debug.groupHeader(0))).collapsed, true);
      for (const t of tracks) assert.equal(await band(w.page, t), undefined, `track ${t} hidden`);
      assert.equal(await tl(w.page, (t) => t.debug.contentHeight), contentBefore - removed, 'the tracks’ space is given back');
      await w.page.mouse.click(box.x + 40, box.y + h0.y + h0.h / 2);
      assert.equal((await tl(w.page, (t) => t.debug.groupHeader(0))).collapsed, false);
      assert.equal(await tl(w.page, (t) => t.debug.contentHeight), contentBefore);
      assert.deepEqual(await events(w.page), [], 'toggling selects nothing');
    });
  });
});

describe('selection', () => {
  test('clicking at a slice’s pixel position selects it (and reports it); clicking empty space clears', async () => {
    const p = training;
    const i = longest(p, 'kernel');
    await withPage(p, async (w) => {
      const s = p.slices.start[i]!;
      const d = p.slices.dur[i]!;
      await setRange(w.page, s - d, s + 2 * d);
      await settle(w.page);
      const at = await slicePoint(w.page, p, i);
      const box = await canvasBox(w.page);
      const bg = hex(THEMES.dark.vars['--vscode-editor-background']);
      assert.notDeepEqual(await pixel(w.page, at.x - box.x, at.y - box.y), bg, 'the slice is painted where it should be');
      await w.page.mouse.click(at.x, at.y);
      assert.deepEqual(await selection(w.page), [i]);
      assert.deepEqual(await events(w.page), [[i]]);
      const head = w.page.locator('[data-testid="timeline-aggregate-head"]');
      assert.equal(await head.getAttribute('data-count'), '1');
      assert.equal(Number(await head.getAttribute('data-total')), d);
      // Empty space: below the last track.
      const g = await geometry(w.page);
      const content = await tl(w.page, (t) => t.debug.contentHeight);
      assert.ok(g.rulerHeight + content < (await geometry(w.page)).height - 5);
      await w.page.mouse.click(at.x, box.y + g.rulerHeight + content + 3);
      assert.deepEqual(await selection(w.page), []);
      assert.deepEqual(await events(w.page), [[i], []]);
      assert.equal(await w.page.locator('[data-testid="timeline-aggregate"]').isVisible(), false);
    }, THEMES.dark, { width: 1200, height: 1000 });
  });

  test('Shift+drag selects every slice on the boxed tracks overlapping the boxed time; the aggregate is right; Escape clears', async () => {
    const p = training;
    await withPage(p, async (w) => {
      await setRange(w.page, 150_000, 175_000);
      await settle(w.page);
      const box = await canvasBox(w.page);
      const g = await geometry(w.page);
      const main = (await band(w.page, 1))!;
      const gpu = (await band(w.page, 3))!;
      const x0 = g.gutterWidth + 200;
      const x1 = g.gutterWidth + 650;
      const y0 = main.y + main.h - 10;
      const y1 = gpu.y + 5;
      await w.page.keyboard.down('Shift');
      await w.page.mouse.move(box.x + x0, box.y + y0);
      await w.page.mouse.down();
      await w.page.mouse.move(box.x + (x0 + x1) / 2, box.y + (y0 + y1) / 2, { steps: 4 });
      await w.page.mouse.move(box.x + x1, box.y + y1, { steps: 4 });
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-box-select-dark.png') });
      await w.page.mouse.up();
      await w.page.keyboard.up('Shift');

      // Expected, from the columns: tracks whose bands the box crosses, slices overlapping its time.
      const r = await range(w.page);
      const tAt = (x: number) => r.start + ((x - g.gutterWidth) / (g.width - g.gutterWidth)) * (r.end - r.start);
      const [ta, tb] = [tAt(x0), tAt(x1)];
      const boxed: number[] = [];
      for (const t of p.tracks) {
        const b = await band(w.page, t.id);
        if (b && b.y + b.h > y0 && b.y < y1) boxed.push(t.id);
      }
      assert.deepEqual(boxed, [1, 2, 3], 'the box spans the main thread, the autograd thread and the GPU stream');
      const expected: number[] = [];
      for (let i = 0; i < p.slices.count; i++) {
        if (!boxed.includes(p.slices.track[i]!)) continue;
        const s = p.slices.start[i]!;
        const e = s + p.slices.dur[i]!;
        if (e > s ? s < tb && e > ta : s >= ta && s <= tb) expected.push(i);
      }
      assert.ok(expected.length > 50, `a real box (${expected.length} slices)`);
      assert.deepEqual(await selection(w.page), expected);
      assert.deepEqual(await events(w.page), [expected]);

      // The aggregate: count, total, self, top names by total duration.
      const self = selfTimes(p);
      const byName = new Map<string, { count: number; total: number; self: number }>();
      let total = 0;
      let selfTotal = 0;
      for (const i of expected) {
        const n = nameOf(p, i);
        const e = byName.get(n) ?? { count: 0, total: 0, self: 0 };
        e.count++;
        e.total += p.slices.dur[i]!;
        e.self += self[i]!;
        byName.set(n, e);
        total += p.slices.dur[i]!;
        selfTotal += self[i]!;
      }
      const head = w.page.locator('[data-testid="timeline-aggregate-head"]');
      assert.equal(Number(await head.getAttribute('data-count')), expected.length);
      assert.ok(Math.abs(Number(await head.getAttribute('data-total')) - total) < 1e-6 * total);
      assert.ok(Math.abs(Number(await head.getAttribute('data-self')) - selfTotal) < 1e-6 * total);
      const rows = await w.page.locator('[data-testid="timeline-aggregate-row"]').evaluateAll((trs) => trs.map((tr) => ({ name: tr.getAttribute('data-name'), count: Number(tr.getAttribute('data-count')), total: Number(tr.getAttribute('data-total')), self: Number(tr.getAttribute('data-self')) })));
      const top = [...byName].sort((a, b) => b[1].total - a[1].total || b[1].count - a[1].count).slice(0, 10);
      assert.equal(rows.length, Math.min(10, byName.size));
      assert.deepEqual(rows.map((x) => x.name), top.map(([n]) => n), 'top names by total duration');
      for (let k = 0; k < rows.length; k++) {
        assert.equal(rows[k]!.count, top[k]![1].count);
        assert.ok(Math.abs(rows[k]!.total - top[k]![1].total) < 1e-6 * total);
        assert.ok(Math.abs(rows[k]!.self - top[k]![1].self) < 1e-6 * total);
      }
      await settle(w.page);
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-aggregate-dark.png') });

      await w.page.keyboard.press('Escape');
      assert.deepEqual(await selection(w.page), []);
      assert.deepEqual(await events(w.page), [expected, []]);
    });
  });

  test('flow arrows are drawn for the selected slice, both ends', async () => {
    const p = training;
    // A slice with outgoing and one with incoming flows, both ends resolved.
    const touching = (i: number) => {
      let n = 0;
      for (let f = 0; f < p.flows.count; f++) if ((p.flows.from[f] === i || p.flows.to[f] === i) && p.flows.from[f]! >= 0 && p.flows.to[f]! >= 0) n++;
      return n;
    };
    let src = -1;
    let dst = -1;
    for (let f = 0; f < p.flows.count && (src < 0 || dst < 0); f++) {
      const a = p.flows.from[f]!;
      const b = p.flows.to[f]!;
      if (a < 0 || b < 0) continue;
      if (src < 0 && sliceKind(p, a) === 'runtime') src = a;
      if (dst < 0 && sliceKind(p, b) === 'kernel') dst = b;
    }
    assert.ok(src >= 0 && dst >= 0, 'the trace has launch → kernel flows');
    await withPage(p, async (w) => {
      for (const i of [src, dst]) {
        await tl(w.page, (t, k: number) => t.select([k]), i);
        await settle(w.page);
        assert.deepEqual(await selection(w.page), [i]);
        assert.equal((await stats(w.page)).flows, touching(i), `arrows for slice ${i} (${nameOf(p, i)})`);
      }
      await tl(w.page, (t) => t.select([]));
      await settle(w.page);
      assert.equal((await stats(w.page)).flows, 0);
      assert.deepEqual(await events(w.page), [], 'select() does not call onSelectionChange');
      // A launch and its kernel on screen, with the arrow between them.
      const k = p.flows.to[[...Array(p.flows.count).keys()].find((f) => p.flows.from[f] === src)!]!;
      const a = Math.min(p.slices.start[src]!, p.slices.start[k]!);
      const b = Math.max(p.slices.start[src]! + p.slices.dur[src]!, p.slices.start[k]! + p.slices.dur[k]!);
      await setRange(w.page, a - (b - a) * 0.5, b + (b - a) * 0.5);
      await tl(w.page, (t, x: number) => t.select([x]), src);
      await settle(w.page);
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-flow-dark.png') });
    });
  });

  test('arrow keys walk the selection to neighbours, parent and child; F fits it', async () => {
    const p = training;
    let i = -1;
    for (let k = 0; k < p.slices.count; k++) if (sliceKind(p, k) === 'step' && (i < 0 || p.slices.start[k]! < p.slices.start[i]!)) i = k;
    assert.ok(i >= 0, 'the trace has ProfilerStep slices');
    await withPage(p, async (w) => {
      await tl(w.page, (t, k: number) => t.select([k]), i);
      await w.page.locator('canvas.il-tl-canvas').focus();
      await w.page.keyboard.press('ArrowDown');
      const child = (await selection(w.page))[0]!;
      assert.equal(p.slices.parent[child], i, 'ArrowDown: a child');
      await w.page.keyboard.press('ArrowUp');
      assert.deepEqual(await selection(w.page), [i], 'ArrowUp: the parent');
      await w.page.keyboard.press('ArrowRight');
      const right = (await selection(w.page))[0]!;
      assert.equal(p.slices.track[right], p.slices.track[i]);
      assert.equal(p.slices.depth[right], p.slices.depth[i]);
      assert.ok(p.slices.start[right]! > p.slices.start[i]!, 'ArrowRight: the next slice on the row');
      await w.page.keyboard.press('f');
      const r = await range(w.page);
      assert.ok(r.start <= p.slices.start[right]! && r.end >= p.slices.start[right]! + p.slices.dur[right]!, 'F fits the selection');
      assert.ok(r.end - r.start < 1.2 * p.slices.dur[right]!);
      assert.deepEqual(await events(w.page), [[child], [i], [right]]);
    });
  });
});

describe('search', () => {
  test('counts exactly the slices whose name contains the text, case-insensitively', async () => {
    for (const [p, texts] of [
      [training, ['aten::', 'ATEN::MM', 'cuda', 'ProfilerStep', 'sgemm', 'memcpy', 'nccl', '##', 'no-such-slice-name']],
      [ort, ['MatMul', 'matmul', '_kernel_time', 'layernorm', 'model_run', 'x']],
    ] as const) {
      await withPage(p, async (w) => {
        for (const text of texts) assert.equal(await tl(w.page, (t, s: string) => t.search(s), text), searchCount(p, text), `search '${text}'`);
        assert.equal(await tl(w.page, (t) => t.search('')), 0, 'an empty search clears');
        assert.equal(await tl(w.page, (t) => t.nextMatch()), -1);
      });
    }
  });

  test('next/previous match select and center the matches in time order', async () => {
    const p = training;
    const text = 'ProfilerStep#';
    const want: number[] = [];
    for (let i = 0; i < p.slices.count; i++) if (nameOf(p, i).toLowerCase().includes(text.toLowerCase())) want.push(i);
    want.sort((a, b) => p.slices.start[a]! - p.slices.start[b]! || a - b);
    assert.ok(want.length >= 3);
    await withPage(p, async (w) => {
      await setRange(w.page, 0, 20_000);
      assert.equal(await tl(w.page, (t, s: string) => t.search(s), text), want.length);
      const expectCentered = async (k: number) => {
        const i = want[k]!;
        assert.deepEqual(await selection(w.page), [i]);
        const r = await range(w.page);
        const mid = p.slices.start[i]! + p.slices.dur[i]! / 2;
        assert.ok(Math.abs((r.start + r.end) / 2 - mid) < 1e-6 * (r.end - r.start), `match ${k} centered`);
        assert.ok(r.start <= p.slices.start[i]! && r.end >= p.slices.start[i]! + p.slices.dur[i]!, 'the whole match is in view');
      };
      assert.equal(await tl(w.page, (t) => t.nextMatch()), 0);
      await expectCentered(0);
      assert.equal(await tl(w.page, (t) => t.nextMatch()), 1);
      await expectCentered(1);
      assert.equal(await tl(w.page, (t) => t.prevMatch()), 0);
      assert.equal(await tl(w.page, (t) => t.prevMatch()), want.length - 1, 'wraps around');
      await expectCentered(want.length - 1);
      assert.deepEqual(await events(w.page), [], 'API calls do not report selection changes');
      await settle(w.page);
      await w.page.screenshot({ path: path.join(SHOTS, 'timeline-search-dark.png') });
    });
  });
});

describe('themes and accessibility', () => {
  test('screenshots in light, dark and high contrast; the canvas follows a live theme change', async () => {
    const p = training;
    // A launch in the screenshot's window, with its flow to the kernel.
    const launch = [...Array(p.flows.count).keys()].map((f) => p.flows.from[f]!).find((i) => i >= 0 && sliceKind(p, i) === 'runtime' && p.slices.start[i]! > 203_000 && p.slices.start[i]! < 205_000);
    assert.ok(launch !== undefined, 'a kernel launch with a flow in the window');
    for (const theme of Object.values(THEMES)) {
      await withPage(
        p,
        async (w) => {
          await setRange(w.page, 198_000, 206_000);
          await settle(w.page);
          const g = await geometry(w.page);
          const content = await tl(w.page, (t) => t.debug.contentHeight);
          // Below the last track, just right of the gutter: the editor background.
          const at = [g.gutterWidth + 5, g.rulerHeight + content + 20] as const;
          assert.ok(at[1] < g.height);
          assert.deepEqual(await pixel(w.page, ...at), hex(theme.vars['--vscode-editor-background']), `${theme.name} background`);
          // A live theme change, as VS Code does it, without calling refreshTheme().
          const other = theme.name === 'light' ? THEMES.dark : THEMES.light;
          await w.setTheme(other);
          await settle(w.page);
          assert.deepEqual(await pixel(w.page, ...at), hex(other.vars['--vscode-editor-background']), 'repainted in the new theme');
          await w.setTheme(theme);
          // Everything on: a search, a selection with its flows, the aggregate, a hovered slice.
          await tl(w.page, (t) => t.search('aten::add'));
          await tl(w.page, (t, k: number) => t.select([k]), launch);
          await settle(w.page);
          const file = path.join(SHOTS, `timeline-${theme.name}.png`);
          await w.page.screenshot({ path: file });
          assert.ok(fs.statSync(file).size > 10_000);
        },
        theme,
      );
    }
  });

  test('the canvas is keyboard-focusable and labelled; dispose removes everything', async () => {
    await withPage(training, async (w) => {
      const c = w.page.locator('canvas.il-tl-canvas');
      assert.equal(await c.getAttribute('tabindex'), '0');
      assert.match((await c.getAttribute('aria-label')) ?? '', /45,422 slices on 7 tracks/);
      await w.page.keyboard.press('Tab');
      assert.equal(await w.page.evaluate(() => document.activeElement?.tagName), 'CANVAS');
      await tl(w.page, (t) => t.dispose());
      assert.equal(await w.page.locator('.il-timeline').count(), 0);
    });
  });
});
