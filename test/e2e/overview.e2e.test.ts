/**
 * End to end, as a person uses it: the packaged .vsix installed into a real VS Code (code-server,
 * the VS Code workbench in Chromium, with the normal Node extension host), real models in a
 * workspace, driven with the mouse and keyboard through Playwright.
 *
 *   (a) open a .onnx from the Explorer tree -> the Model Overview custom editor shows its real
 *       inputs, outputs and op counts (checked against an independent protobufjs decode);
 *   (b) "Inference Lens: Open Model Overview" from the command palette -> quick pick -> the other model;
 *   (c) the Explorer context menu of a .onnx offers "Open Model Overview" and it opens the overview.
 *
 * Screenshots go to test-results/e2e/. On failure the extension host log and code-server log are printed.
 * Env: INFERENCE_LENS_VSIX overrides the vsix; E2E_HEADED=1 shows the browser (needs a display).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { fixturePath, independentOpCounts, manifest, REPO } from '../helpers/fixtures';

interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}
interface CodeServerTools {
  ensureInstalled(opts?: { quiet?: boolean }): Promise<unknown>;
  installExtension(vsix: string, extensionsDir: string, opts?: { userDataDir?: string }): Promise<string>;
  start(folder: string, opts: { extensionsDir: string; userDataDir: string; port?: number }): Promise<CodeServer>;
}

const VSIX = path.resolve(process.env.INFERENCE_LENS_VSIX ?? path.join(REPO, 'out', 'inference-lens-linux-x64.vsix'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO, 'test-results', 'e2e');
const STEP_MS = 45_000;

// Model A sits at the workspace root (opened from the Explorer); model B in a subfolder (palette).
const modelA = manifest.models.find((m) => m.id === 'silero-vad');
const modelB = manifest.models.find((m) => m.id === 'ppocr-det');

let tools: CodeServerTools;
let server: CodeServer | undefined;
let browser: Browser | undefined;
let page: Page;
let workDir = '';
let userDataDir = '';
let workspace = '';
const consoleErrors: string[] = [];

function model(m: typeof modelA) {
  assert.ok(m, 'fixture missing from test/fixtures/manifest.json');
  const src = fixturePath(m.path);
  assert.ok(fs.existsSync(src), `${src} is missing: run npm ci`);
  return { ...m, src, file: path.basename(src) };
}

async function shot(name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  try {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), timeout: 10_000 });
  } catch (e) {
    console.error(`screenshot ${name} failed: ${e}`);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function dumpLogs() {
  const logs = listFiles(path.join(userDataDir, 'logs')).filter((f) => /exthost/i.test(f) && f.endsWith('.log'));
  for (const f of logs) {
    console.error(`\n----- ${f} -----\n${tail(f, 150)}`);
  }
  if (!logs.length) console.error(`(no exthost*.log under ${path.join(userDataDir, 'logs')})`);
  if (server) console.error(`\n----- ${server.logFile} -----\n${tail(server.logFile, 60)}`);
  if (consoleErrors.length) console.error(`\n----- browser console errors -----\n${consoleErrors.slice(-40).join('\n')}`);
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (e) {
    return String(e);
  }
}

/** Runs a step; on failure takes a screenshot and prints the logs before rethrowing. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    console.error(`\n[e2e] step "${name}" failed: ${e instanceof Error ? e.message : e}`);
    if (browser) await shot(`FAILED-${name}`);
    dumpLogs();
    throw e;
  }
}

/** The frame (webviews are nested iframes) holding the overview of `file`. */
async function overviewFrame(file: string, timeoutMs = STEP_MS): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        const err = await f.locator('[data-testid="error"]').first().textContent({ timeout: 200 }).catch(() => null);
        const root = f.locator(`[data-testid="model-overview"][data-model-name="${file}"]`);
        if ((await root.count()) > 0 && (await f.locator('[data-testid="op-row"]').count()) > 0) return f;
        if (err) lastErr = err;
      } catch {
        /* frame detached while we looked: try the next one */
      }
    }
    await page.waitForTimeout(250);
  }
  const asText = await page.getByText('not displayed in the text editor').count().catch(() => 0);
  throw new Error(
    `no webview frame shows the overview of ${file} within ${timeoutMs / 1000} s` +
      (lastErr ? `; error box says: ${lastErr}` : '') +
      (asText ? '; the file opened in the TEXT editor (custom editor not registered for *.onnx?)' : ''),
  );
}

async function readOverview(f: Frame) {
  const attrs = (sel: string, ...names: string[]) =>
    f.locator(sel).evaluateAll((els, ns) => els.map((e) => ns.map((n) => e.getAttribute(n) ?? '')), names);
  const inputs = (await attrs('[data-testid="input-row"]', 'data-name')).map(([n]) => n);
  const outputs = (await attrs('[data-testid="output-row"]', 'data-name')).map(([n]) => n);
  const ops = new Map<string, number>();
  for (const [op, count] of await attrs('[data-testid="op-row"]', 'data-op', 'data-count')) {
    assert.ok(!ops.has(op!), `op ${op} listed twice`);
    ops.set(op!, Number(count));
  }
  const errors = await f.locator('[data-testid="error"]').count();
  return { inputs, outputs, ops, errors };
}

async function assertOverview(m: ReturnType<typeof model>, f: Frame) {
  const o = await readOverview(f);
  assert.equal(o.errors, 0, 'the overview shows an error box');
  assert.deepEqual(o.inputs, [...(m.expect.inputs ?? [])], 'input names');
  assert.deepEqual(o.outputs, [...(m.expect.outputs ?? [])], 'output names');
  const expected = independentOpCounts(m.src);
  assert.deepEqual(Object.fromEntries([...o.ops].sort()), Object.fromEntries([...expected].sort()), 'op rows and counts');
}

/** Explorer row for a path relative to the workspace root (expands folders by clicking them). */
async function explorerRow(rel: string) {
  const explorer = page.locator('.explorer-folders-view');
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    // Names are unique in the test workspace; the root folder itself may be a row too, so no aria-level.
    const exact = new RegExp(`^${parts[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = explorer.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
    await row.first().waitFor({ state: 'visible', timeout: STEP_MS });
    if (i < parts.length - 1 && (await row.first().getAttribute('aria-expanded')) !== 'true') await row.first().click();
    if (i === parts.length - 1) return row.first();
  }
  throw new Error('unreachable');
}

/** Opens the palette, types `title` and waits for its row; returns the row. */
async function openPalette(title: string, timeoutMs = STEP_MS) {
  // The Chat view can hold keyboard focus: click the editor area first. A webview covers the editor
  // body (it would take the click and the keys), so click the active tab when there is one.
  const tab = page.locator('.tabs-container .tab.active');
  if (await tab.count()) await tab.first().click();
  else await page.locator('.part.editor').click({ position: { x: 200, y: 200 } });
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: STEP_MS });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  return row;
}

/** Runs a command from the palette, as a person does: focus the editor area, Ctrl+Shift+P, type, pick. */
async function runCommand(title: string) {
  const row = await openPalette(title);
  await shot(`palette-${title.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`);
  await row.click();
}

describe('e2e: Inference Lens in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  const a = model(modelA);
  const b = model(modelB);
  const bRel = `models/${b.file}`;

  before(async () => {
    assert.ok(
      fs.existsSync(VSIX),
      `${path.relative(REPO, VSIX)} is missing: run npm run package (or npm test, which builds and packages first)`,
    );
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it)`);
    tools = (await import(pathToFileURL(path.join(REPO, 'src', 'tools', 'code-server.mjs')).href)) as CodeServerTools;
    await tools.ensureInstalled();

    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-e2e-'));
    userDataDir = path.join(workDir, 'user-data');
    const extensionsDir = path.join(workDir, 'extensions');
    workspace = path.join(workDir, 'workspace');
    fs.mkdirSync(path.join(workspace, 'models'), { recursive: true });
    fs.copyFileSync(a.src, path.join(workspace, a.file));
    fs.copyFileSync(b.src, path.join(workspace, bRel));
    fs.writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');

    await step('install-vsix', async () => {
      const out = await tools.installExtension(VSIX, extensionsDir, { userDataDir }).catch((e: Error) => {
        if (/not compatible with VS Code '([\d.]+)'/.test(e.message)) {
          const v = /not compatible with VS Code '([\d.]+)'/.exec(e.message)![1];
          e.message =
            `the vsix's engines.vscode does not accept VS Code ${v} (the code-server the e2e tests run): ` +
            `engines.vscode in package.json must accept ${v} (e.g. "^1.139.0" with @types/vscode 1.138.0; ` +
            `@types/vscode has no 1.139).\n${e.message}`;
        }
        throw e;
      });
      console.log(`[e2e] ${out.split('\n').pop()}`);
    });
    server = await step('start-code-server', () => tools.start(workspace, { extensionsDir, userDataDir }));
    console.log(`[e2e] code-server ${server.url} (pid ${server.pid}), workspace ${workspace}`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: !process.env.E2E_HEADED,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
      timeout: 60_000,
    });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
    await step('workbench', async () => {
      await page.goto(`${server!.url}?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
      await shot('01-workbench');
    });
    await step('extension-registered', async () => {
      // The Explorer shows before the extension host has registered the extension's contributions;
      // a .onnx clicked in that window opens in the text editor. Wait, as a person would, until the
      // palette knows the extension's command (commands and custom editors register together).
      const deadline = Date.now() + 90_000;
      for (let attempt = 1; ; attempt++) {
        // The palette does not refresh its list while open: reopen it until the command is there.
        const found = await openPalette('Inference Lens: Open Model Overview', 5_000).then(
          () => true,
          () => false,
        );
        await page.keyboard.press('Escape');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
        if (found) break;
        if (Date.now() > deadline) throw new Error(`the palette never listed "Inference Lens: Open Model Overview" (${attempt} tries)`);
      }
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (workDir && !process.env.E2E_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('(a) opening a .onnx from the Explorer shows its real overview', { timeout: 3 * 60_000 }, async () => {
    await step('explorer-open', async () => {
      const row = await explorerRow(a.file);
      await row.click();
      // The overview is a custom editor: its tab is named after the file.
      await page.locator('.tabs-container .tab').filter({ hasText: a.file }).first().waitFor({ timeout: STEP_MS });
      const f = await overviewFrame(a.file);
      await shot('02-explorer-overview');
      await assertOverview(a, f);
    });
  });

  test('(b) the palette command picks a model and shows its overview', { timeout: 3 * 60_000 }, async () => {
    await step('palette-open', async () => {
      await runCommand('View: Close All Editors');
      await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
      await runCommand('Inference Lens: Open Model Overview');
      // With no .onnx editor active the command asks which workspace model to open.
      const item = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: b.file }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await shot('03-palette-quickpick');
      await item.click();
      const f = await overviewFrame(b.file);
      await shot('04-palette-overview');
      await assertOverview(b, f);
    });
  });

  test('(c) the Explorer context menu of a .onnx offers "Open Model Overview"', { timeout: 3 * 60_000 }, async () => {
    await step('context-menu', async () => {
      await runCommand('View: Close All Editors');
      await page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
      const row = await explorerRow(bRel);
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu');
      await menu.first().waitFor({ state: 'visible', timeout: STEP_MS });
      const item = menu.getByRole('menuitem', { name: /Open Model Overview/ }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await shot('05-context-menu');
      await item.click();
      await page.locator('.tabs-container .tab').filter({ hasText: b.file }).first().waitFor({ timeout: STEP_MS });
      const f = await overviewFrame(b.file);
      await assertOverview(b, f);
      await shot('06-context-menu-overview');
    });
  });
});
