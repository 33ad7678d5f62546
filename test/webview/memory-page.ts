/**
 * The page test/webview/memory.test.ts drives in headless Chromium (bundled with esbuild, platform
 * browser, iife, served in the extension's webview page with its strict CSP). It renders the real
 * memory view on a Profile sent from Node as `.ilprof.json` text (typed arrays do not survive
 * `page.evaluate`) and an optional run file, and exposes:
 *
 *   window.__render(profileJson, run | null)   renders and mounts; false when renderMemory gave undefined
 *   window.__selected                          the times onSelectTime reported, in order
 *   window.__pixel(key, x, y)                  the color of chart `key`'s canvas at CSS px (x, y) from
 *                                              its plot area's top left
 *   window.__dispose()                         disposes the view; true when nothing of it is left
 */
import { profileFromJson } from '../../src/core/profile/json';
import type { ProfileRun } from '../../src/protocol/messages';
import { renderMemory, type MemoryView } from '../../webview-ui/src/profiler/memory';

interface PageApi {
  __view?: MemoryView;
  __selected: number[];
  __render(profileJson: string, run: ProfileRun | null): boolean;
  __pixel(key: string, x: number, y: number): [number, number, number];
  __dispose(): boolean;
}

if (typeof window !== 'undefined') {
  const w = window as unknown as PageApi & Window;
  w.__selected = [];
  const host = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));

  w.__render = (profileJson, run) => {
    w.__view?.dispose();
    w.__selected = [];
    const profile = profileFromJson(JSON.parse(profileJson));
    const view = renderMemory(profile, run ?? undefined, { onSelectTime: (t) => w.__selected.push(t) });
    w.__view = view;
    if (!view) return false;
    host.replaceChildren(view.element);
    view.mount();
    return true;
  };

  w.__pixel = (key, x, y) => {
    const chart = [...document.querySelectorAll<HTMLElement>('[data-testid="memory-chart"]')].find((e) => e.dataset.key === key)!;
    const canvas = chart.querySelector('canvas')!;
    const over = chart.querySelector<HTMLElement>('.u-over')!;
    const c = canvas.getBoundingClientRect();
    const o = over.getBoundingClientRect();
    const dpr = canvas.width / c.width;
    const probe = document.createElement('canvas');
    probe.width = probe.height = 1;
    const ctx = probe.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(canvas, Math.round((o.left - c.left + x) * dpr), Math.round((o.top - c.top + y) * dpr), 1, 1, 0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!];
  };

  w.__dispose = () => {
    w.__view?.dispose();
    w.__view = undefined;
    return document.querySelectorAll('.memory-view, .uplot').length === 0;
  };
}
