/**
 * Harness for the timeline component in headless Chromium: bundles test/webview/timeline-page.ts
 * (esbuild, platform browser, iife) and webview-ui/src/timeline/timeline.css into out/, serves them
 * in the extension's own webview page (same HTML and strict CSP as the panels), and opens pages
 * with VS Code's theme variables. Used by test/webview/timeline.test.ts and test/bench/timeline.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { profileToJson } from '../../src/core/profile/json';
import type { Profile } from '../../src/core/profile/types';
import { REPO } from './fixtures';
import { applyTheme, launchChromium, openPage, servePage, THEMES, type Theme } from './webview';

export interface TimelinePage {
  readonly page: Page;
  /** Console errors and warnings, page errors and CSP violations seen so far. */
  readonly problems: string[];
  /** Mounts a Timeline on `profile` (sent as .ilprof.json text) or on a synthetic profile built in the page. */
  mount(profile: Profile | { synthetic: number }): Promise<{ slices: number; loadMs: number; mountMs: number; firstFrameMs: number }>;
  setTheme(theme: Theme): Promise<void>;
  close(): Promise<void>;
}

export interface TimelineHost {
  open(opts?: { theme?: Theme; viewport?: { width: number; height: number } }): Promise<TimelinePage>;
  close(): Promise<void>;
}

export async function startTimelineHost(): Promise<TimelineHost> {
  const dir = path.join(REPO, 'out', 'timeline-test', String(process.pid));
  fs.mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { page: path.join(REPO, 'test/webview/timeline-page.ts'), timeline: path.join(REPO, 'webview-ui/src/timeline/timeline.css') },
    outdir: dir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const server = await servePage(dir, { styles: ['timeline.css'], script: 'page.js' });
  const origin = server.origin;
  let browser: Browser;
  try {
    browser = await launchChromium(['--disable-renderer-backgrounding', '--disable-background-timer-throttling']);
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    async open({ theme = THEMES.dark, viewport = { width: 1200, height: 800 } } = {}) {
      const { page, problems } = await openPage(browser, `${origin}/`, { theme, viewport, timeoutMs: 20_000 });
      return {
        page,
        problems,
        async mount(profile) {
          const arg = 'slices' in profile ? JSON.stringify(profileToJson(profile)) : profile;
          return page.evaluate((a) => (window as unknown as { __mount(s: unknown): Promise<{ slices: number; loadMs: number; mountMs: number; firstFrameMs: number }> }).__mount(a), arg);
        },
        setTheme: (t) => applyTheme(page, t),
        close: () => page.close(),
      };
    },
    async close() {
      await browser.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

