/**
 * Harness for the webview tier: a webview app in headless Chromium, outside VS Code, served the way
 * the extension serves it (the same `webviewHtml` page and CSP, the same bundles from dist/webview),
 * with an `acquireVsCodeApi` stub that records what the app posts and saves, and VS Code's theme
 * variables for light, dark and high contrast. One server and one browser per test file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webviewHtml } from '../../src/extension/webview-html';
import { REPO } from './fixtures';

const DIST = path.join(REPO, 'dist', 'webview');
export const SHOTS = path.join(REPO, 'test-results', 'webview');
const CHROMIUM = '/usr/bin/chromium';
const CONTENT_TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

/** Runs the build when `dist/webview/<app>.js` is missing or older than any source a webview bundles. */
function ensureBuilt(app: string): void {
  const bundle = path.join(DIST, `${app}.js`);
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = ['webview-ui/src', 'src/protocol', 'src/core'].flatMap((d) =>
    fs.readdirSync(path.join(REPO, d), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)),
  );
  if (built && sources.every((f) => fs.statSync(f).mtimeMs <= built)) return;
  const r = spawnSync(process.execPath, [path.join(REPO, 'src/tools/build.mjs')], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}${r.stderr}`);
}

export interface Harness {
  readonly page: Page;
  /** Messages the webview posted, in order. */
  posted(): Promise<unknown[]>;
  /** The last state the webview saved with `setState`. */
  state(): Promise<unknown>;
  /** Posts as the extension host does (`webview.postMessage` arrives as a window message event). */
  send(message: unknown): Promise<void>;
  /** Console errors and warnings, page errors and CSP violations seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Like VS Code's: acquirable once per page; records what the webview posts and saves. */
const ACQUIRE_VSCODE_API_STUB = `
  window.__posted = [];
  window.__state = undefined;
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return { postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } };
  };
`;

export interface WebviewHost {
  /** A fresh page with the app loaded and `theme` applied. */
  open(theme?: Theme, viewport?: { width: number; height: number }): Promise<Harness>;
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` (by base name) and, at `/`, the extension's webview page (same HTML and
 * CSP) loading `styles` and `script` from there, this server standing in for the webview resource origin.
 */
export async function servePage(dir: string, page: { readonly styles: readonly string[]; readonly script: string; readonly workers?: boolean }): Promise<{ origin: string; close(): Promise<void> }> {
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(webviewHtml({ title: 'harness', cspSource: origin, styles: page.styles.map((s) => `${origin}/${s}`), script: `${origin}/${page.script}`, ...(page.workers ? { workers: true } : {}) }));
      return;
    }
    const file = path.join(dir, path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Headless Chromium (Debian's), as every browser tier launches it. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

/**
 * A new page of `browser` at `url` with `theme` applied, recording console errors and warnings,
 * page errors and CSP violations in `problems`. `initScript` runs before the page's own scripts.
 */
export async function openPage(
  browser: Browser,
  url: string,
  o: { readonly theme: Theme; readonly viewport: { width: number; height: number }; readonly timeoutMs: number; readonly initScript?: string },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: o.viewport });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(o.timeoutMs);
  // A string, not a function: tsx's transform would inject helpers (`__name`) that do not exist in the page.
  if (o.initScript) await page.addInitScript({ content: o.initScript });
  await page.goto(url);
  await applyTheme(page, o.theme);
  return { page, problems };
}

/**
 * Builds if needed, serves `dist/webview/<app>.{js,css}` in the extension's page, launches Chromium.
 * `workers`: the page's CSP lets it start web workers as the extension's page for that app does.
 */
export async function startWebviewHost(app: string, opts: { readonly workers?: boolean } = {}): Promise<WebviewHost> {
  ensureBuilt(app);
  fs.mkdirSync(SHOTS, { recursive: true });
  const server = await servePage(DIST, { styles: ['codicon.css', `${app}.css`], script: `${app}.js`, ...(opts.workers ? { workers: true } : {}) });
  const origin = server.origin;
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    async open(theme = THEMES.dark, viewport = { width: 1000, height: 800 }) {
      const { page, problems } = await openPage(browser, `${origin}/`, { theme, viewport, timeoutMs: 5000, initScript: ACQUIRE_VSCODE_API_STUB });
      return {
        page,
        problems,
        posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.slice()),
        state: () => page.evaluate(() => (window as unknown as { __state: unknown }).__state),
        send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
        close: () => page.close(),
      };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Every app's handshake: a fresh page shows its loading state and posts `ready`, and nothing else. */
export async function assertReadyHandshake(host: WebviewHost): Promise<void> {
  const w = await host.open();
  try {
    await w.page.locator('[data-testid="loading"]').waitFor();
    assert.deepEqual(await w.posted(), [{ type: 'ready' }]);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
}

// ---- themes: a realistic subset of what VS Code sets on a webview's <html> and <body> ----

export interface Theme {
  readonly name: string;
  readonly bodyClass: string;
  readonly vars: Readonly<Record<string, string>>;
}

const COMMON_VARS = {
  '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
};


export const THEMES = {
  light: {
    name: 'light',
    bodyClass: 'vscode-light',
    vars: {
      ...COMMON_VARS,
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-textLink-foreground': '#005fb8',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-textCodeBlock-background': '#f0f0f0',
      '--vscode-symbolIcon-variableForeground': '#007acc',
      '--vscode-editorWarning-foreground': '#bf8803',
      '--vscode-errorForeground': '#f85149',
      '--vscode-inputValidation-errorBackground': '#f2dede',
      '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-border': '#0000001a',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-testing-iconPassed': '#388a34',
      '--vscode-inputValidation-warningBackground': '#f6f5d2',
      '--vscode-inputValidation-warningBorder': '#b89500',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
    },
  },
  dark: {
    name: 'dark',
    bodyClass: 'vscode-dark',
    vars: {
      ...COMMON_VARS,
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-widget-border': '#313131',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-textLink-foreground': '#4daafc',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-textCodeBlock-background': '#2b2b2b',
      '--vscode-symbolIcon-variableForeground': '#75beff',
      '--vscode-editorWarning-foreground': '#cca700',
      '--vscode-errorForeground': '#f85149',
      '--vscode-inputValidation-errorBackground': '#5a1d1d',
      '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-border': '#ffffff12',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-testing-iconPassed': '#73c991',
      '--vscode-inputValidation-warningBackground': '#352a05',
      '--vscode-inputValidation-warningBorder': '#b89500',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    },
  },
  hc: {
    name: 'hc',
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...COMMON_VARS,
      '--vscode-foreground': '#ffffff',
      '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
      '--vscode-editor-background': '#000000',
      '--vscode-editorWidget-background': '#0c141f',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-contrastActiveBorder': '#f38518',
      '--vscode-panel-border': '#6fc3df',
      '--vscode-widget-border': '#6fc3df',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-textCodeBlock-background': '#000000',
      '--vscode-symbolIcon-variableForeground': '#75beff',
      '--vscode-editorWarning-foreground': '#ffd370',
      '--vscode-errorForeground': '#f48771',
      '--vscode-inputValidation-errorBackground': '#000000',
      '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-focusBorder': '#f38518',
      '--vscode-testing-iconPassed': '#73c991',
      '--vscode-inputValidation-warningBackground': '#000000',
      '--vscode-inputValidation-warningBorder': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000',
      '--vscode-button-secondaryForeground': '#ffffff',
    },
  },
} as const satisfies Record<string, Theme>;

/** What VS Code does on a theme change: rewrites the variables on <html> and the class of <body>. */
export function applyTheme(page: Page, theme: Theme): Promise<void> {
  return page.evaluate(({ bodyClass, vars }) => {
    const root = document.documentElement;
    for (let k = root.style.length - 1; k >= 0; k--) {
      const prop = root.style.item(k);
      if (prop.startsWith('--vscode-')) root.style.removeProperty(prop);
    }
    for (const [k, v] of Object.entries(vars)) root.style.setProperty(k, v);
    document.body.className = bodyClass;
  }, theme);
}
