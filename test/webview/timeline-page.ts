/**
 * The page the timeline tests and the timeline benchmark drive in headless Chromium (bundled with
 * esbuild, platform browser, iife). It mounts the real `Timeline` on a Profile sent from Node as
 * `.ilprof.json` text (typed arrays do not survive `page.evaluate`) or built here, and exposes:
 *
 *   window.__mount(json | { synthetic: n })   mounts a Timeline, resolves after its first frame is on
 *                                             screen, with the load, constructor and first-paint times
 *   window.__timeline                         the Timeline, for assertions
 *   window.__events                           what onSelectionChange reported, in order
 *   window.__pixel(x, y)                      the canvas color at a CSS-pixel point
 *   window.__bench                            frame-time drivers (ours and a naive renderer)
 *
 * `syntheticProfile` is also imported by the Node side of the tests to compute expected values;
 * it is deterministic and has the Profile's exact column layout.
 */
import { mulberry32 } from '../../src/core/inputs/synthesize';
import { profileFromJson } from '../../src/core/profile/json';
import { SLICE_KINDS, type Profile, type Track } from '../../src/core/profile/types';
import { Timeline } from '../../webview-ui/src/timeline/timeline';

// ---------------------------------------------------------------- synthetic profiles


/**
 * About `n` slices over 10 s on 8 tracks: 4 host threads with call trees 4 levels deep (1 + 3 + 9 + 18
 * slices per tree) and 4 GPU streams of back-to-back kernels, in two processes; 96 distinct names.
 */
export function syntheticProfile(n: number, seed = 1): Profile {
  const rand = mulberry32(seed);
  const DURATION = 10_000_000;
  const strings: string[] = [''];
  const cpuNames: number[] = [];
  const gpuNames: number[] = [];
  for (let k = 0; k < 64; k++) cpuNames.push(strings.push(`aten::op_${k.toString().padStart(2, '0')}`) - 1);
  for (let k = 0; k < 32; k++) gpuNames.push(strings.push(`void gemm_kernel_${k}<float, 128, 64>(Params)`) - 1);
  const start: number[] = [];
  const dur: number[] = [];
  const track: number[] = [];
  const depth: number[] = [];
  const parent: number[] = [];
  const name: number[] = [];
  const kind: number[] = [];
  const tracks: Track[] = [];
  const kCpu = SLICE_KINDS.indexOf('cpu_op');
  const kKernel = SLICE_KINDS.indexOf('kernel');
  const TREE = 1 + 3 + 9 + 18;
  for (let t = 0; t < 8; t++) {
    const gpu = t >= 4;
    const first = start.length;
    let maxDepth = 0;
    const budget = Math.max(1, Math.round(n / 8));
    const push = (s: number, d: number, dep: number, par: number, nm: number) => {
      start.push(s);
      dur.push(d);
      track.push(t);
      depth.push(dep);
      parent.push(par);
      name.push(nm);
      kind.push(gpu ? kKernel : kCpu);
      if (dep + 1 > maxDepth) maxDepth = dep + 1;
      return start.length - 1;
    };
    if (gpu) {
      const slot = DURATION / budget;
      for (let k = 0; k < budget; k++) push(k * slot + rand() * slot * 0.2, slot * (0.3 + rand() * 0.5), 0, -1, gpuNames[Math.floor(rand() * gpuNames.length)]!);
    } else {
      const trees = Math.max(1, Math.round(budget / TREE));
      const slot = DURATION / trees;
      const tree = (s: number, d: number, dep: number, par: number) => {
        const me = push(s, d, dep, par, cpuNames[Math.floor(rand() * cpuNames.length)]!);
        if (dep >= 3) return;
        const kids = dep < 2 ? 3 : 2;
        const each = d / kids;
        for (let c = 0; c < kids; c++) tree(s + c * each + each * 0.05, each * (0.6 + rand() * 0.3), dep + 1, me);
      };
      for (let k = 0; k < trees; k++) tree(k * slot + rand() * slot * 0.1, slot * (0.5 + rand() * 0.4), 0, -1);
    }
    tracks.push({
      id: t,
      kind: gpu ? 'gpu-stream' : 'cpu-thread',
      pid: gpu ? '0' : '4242',
      tid: gpu ? `stream ${t + 3}` : String(4242 + t),
      name: gpu ? `stream ${t + 3}` : `thread ${4242 + t} (worker_${t})`,
      processName: gpu ? 'python (GPU 0)' : 'python (CPU)',
      device: gpu ? 0 : -1,
      stream: gpu ? t + 3 : -1,
      firstSlice: first,
      sliceCount: start.length - first,
      depthCount: maxDepth,
    });
  }
  const count = start.length;
  const zerosU32 = new Uint32Array(count);
  const minus1 = new Float64Array(count).fill(-1);
  let duration = 0;
  for (let i = 0; i < count; i++) duration = Math.max(duration, start[i]! + dur[i]!);
  return {
    schemaVersion: 1,
    source: { format: 'chrome', jsonBytes: 0, eventCount: count },
    origin: 0,
    duration,
    strings,
    tracks,
    slices: {
      count,
      start: Float64Array.from(start),
      dur: Float64Array.from(dur),
      track: Uint32Array.from(track),
      depth: Uint32Array.from(depth),
      parent: Int32Array.from(parent),
      name: Uint32Array.from(name),
      cat: zerosU32,
      kind: Uint8Array.from(kind),
      correlation: minus1,
      externalId: minus1,
      args: zerosU32,
    },
    flows: { count: 0, from: new Int32Array(0), to: new Int32Array(0), cat: new Uint32Array(0), id: new Float64Array(0) },
    memory: { count: 0, ts: new Float64Array(0), bytes: new Float64Array(0), totalAllocated: new Float64Array(0), totalReserved: new Float64Array(0), addr: new Float64Array(0), device: new Uint16Array(0), track: new Int32Array(0) },
    memoryDevices: [],
    counters: { count: 0, series: new Uint32Array(0), ts: new Float64Array(0), value: new Float64Array(0) },
    counterSeries: [],
    args: ['{}'],
    devices: [],
    categoryCounts: {},
    metadata: {},
    warnings: [],
  };
}

// ---------------------------------------------------------------- the page

type Source = string | { synthetic: number };

interface BenchResult {
  /** rAF-to-rAF intervals, ms. */
  readonly intervals: number[];
  /** Time spent in the draw call itself, ms. */
  readonly draws: number[];
  readonly rects: number[];
}

interface PageApi {
  __timeline?: Timeline;
  __profile?: Profile;
  __events: number[][];
  __mount(src: Source): Promise<{ slices: number; loadMs: number; mountMs: number; firstFrameMs: number }>;
  __pixel(x: number, y: number): [number, number, number];
  __bench: {
    frames(mode: 'pan' | 'zoom', frames: number, renderer: 'timeline' | 'naive'): Promise<BenchResult>;
  };
}

const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r));

/** The view of frame `k` of a benchmark sequence over a profile of `duration`. */
function benchRange(mode: 'pan' | 'zoom', k: number, duration: number): [number, number] {
  if (mode === 'pan') {
    const span = duration / 8;
    const t0 = (k * span) / 40;
    return [t0, t0 + span];
  }
  const span = duration * 0.94 ** k;
  const anchor = duration * 0.37;
  return [anchor - 0.37 * span, anchor + 0.63 * span];
}

/**
 * What one writes first: every slice of the profile, each its own fillRect with its own fillStyle,
 * labels on wide ones; no index, no merging, no vertical culling. The benchmark's baseline.
 */
function naiveDraw(ctx: CanvasRenderingContext2D, p: Profile, t0: number, t1: number, w: number, h: number, palette: string[], colorOf: Uint8Array): number {
  ctx.fillStyle = '#1f1f1f';
  ctx.fillRect(0, 0, w, h);
  const left = 230;
  const ppu = (w - left) / (t1 - t0);
  const trackY: number[] = [];
  let y = 26;
  for (const t of p.tracks) {
    trackY.push(y);
    y += Math.max(1, t.depthCount) * 19 + 5;
  }
  const { start, dur, track, depth, name, count } = p.slices;
  ctx.font = '11px sans-serif';
  ctx.textBaseline = 'middle';
  let rects = 0;
  for (let i = 0; i < count; i++) {
    const s = start[i]!;
    const e = s + dur[i]!;
    if (e < t0 || s > t1) continue;
    const x = left + (s - t0) * ppu;
    const ww = Math.max(0.5, (e - s) * ppu);
    const yy = trackY[track[i]!]! + 4 + depth[i]! * 19;
    ctx.fillStyle = palette[colorOf[name[i]!]!]!;
    ctx.fillRect(x, yy, ww, 16);
    rects++;
    if (ww > 40) {
      ctx.fillStyle = '#ffffff';
      ctx.fillText(p.strings[name[i]!]!, Math.max(x, left) + 3, yy + 8, ww - 6);
    }
  }
  return rects;
}

if (typeof window !== 'undefined') {
  const w = window as unknown as PageApi & Window;
  w.__events = [];
  document.body.style.margin = '0';
  document.body.style.background = 'var(--vscode-editor-background)';
  const host = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
  host.style.height = '100vh';
  host.style.boxSizing = 'border-box';
  host.style.padding = '0';

  w.__mount = async (src) => {
    w.__timeline?.dispose();
    w.__events = [];
    const tLoad = performance.now();
    const profile = typeof src === 'string' ? profileFromJson(JSON.parse(src)) : syntheticProfile(src.synthetic);
    const loadMs = performance.now() - tLoad;
    w.__profile = profile;
    const t0 = performance.now();
    const tl = new Timeline(host, profile, { onSelectionChange: (s) => w.__events.push([...s]) });
    const mountMs = performance.now() - t0;
    w.__timeline = tl;
    while (tl.debug.frames < 1) await nextFrame();
    // The frame after the first draw: the first paint is on screen.
    await nextFrame();
    return { slices: profile.slices.count, loadMs, mountMs, firstFrameMs: performance.now() - t0 };
  };

  w.__pixel = (x, y) => {
    const canvas = host.querySelector('canvas')!;
    const dpr = canvas.width / canvas.getBoundingClientRect().width;
    // Copied to a fresh 1×1 canvas: reading the timeline's own canvas back would slow it down.
    const probe = document.createElement('canvas');
    probe.width = probe.height = 1;
    const pctx = probe.getContext('2d', { willReadFrequently: true })!;
    pctx.drawImage(canvas, Math.round(x * dpr), Math.round(y * dpr), 1, 1, 0, 0, 1, 1);
    const d = pctx.getImageData(0, 0, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!];
  };

  w.__bench = {
    async frames(mode, frames, renderer) {
      const tl = w.__timeline!;
      const p = w.__profile!;
      const intervals: number[] = [];
      const draws: number[] = [];
      const rects: number[] = [];
      let draw: (k: number) => number;
      let cleanup = () => undefined as void;
      if (renderer === 'timeline') {
        draw = (k) => {
          const [a, b] = benchRange(mode, k, p.duration);
          tl.setVisibleRange(a, b);
          tl.debug.drawNow();
          return tl.debug.stats.rects;
        };
      } else {
        // The naive renderer gets a canvas of the same size in the same place.
        const canvas = document.createElement('canvas');
        const r = host.querySelector('canvas')!.getBoundingClientRect();
        canvas.width = Math.round(r.width * devicePixelRatio);
        canvas.height = Math.round(r.height * devicePixelRatio);
        canvas.style.position = 'fixed';
        canvas.style.left = `${r.left}px`;
        canvas.style.top = `${r.top}px`;
        canvas.style.width = `${r.width}px`;
        canvas.style.height = `${r.height}px`;
        document.body.append(canvas);
        const ctx = canvas.getContext('2d', { alpha: false })!;
        ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
        const palette = Array.from({ length: 20 }, (_, k) => `hsl(${k * 18}, 45%, 40%)`);
        const colorOf = Uint8Array.from(p.strings, (s) => s.length % 20);
        draw = (k) => {
          const [a, b] = benchRange(mode, k, p.duration);
          return naiveDraw(ctx, p, a, b, r.width, r.height, palette, colorOf);
        };
        cleanup = () => canvas.remove();
      }
      // Warm up (JIT, index building) outside the measured frames.
      for (let k = 0; k < 3; k++) {
        draw(k);
        await nextFrame();
      }
      let last = await nextFrame();
      for (let k = 0; k < frames; k++) {
        const t = performance.now();
        rects.push(draw(k));
        draws.push(performance.now() - t);
        const now = await nextFrame();
        intervals.push(now - last);
        last = now;
      }
      cleanup();
      return { intervals, draws, rects };
    },
  };
}
