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
 * The overview's title bar and the context menu also offer "Profile Model…" (profile.e2e.test.ts runs it).
 * Screenshots go to test-results/e2e/. On failure the extension host log and code-server log are
 * printed (test/helpers/workbench.ts, which also lists the environment variables).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { fixturePath, independentOpCounts, manifest } from '../helpers/fixtures';
import { startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

// Model A sits at the workspace root (opened from the Explorer); model B in a subfolder (palette).
const modelA = manifest.models.find((m) => m.id === 'silero-vad');
const modelB = manifest.models.find((m) => m.id === 'ppocr-det');

let wb: Workbench;

function model(m: typeof modelA) {
  assert.ok(m, 'fixture missing from test/fixtures/manifest.json');
  const src = fixturePath(m.path);
  assert.ok(fs.existsSync(src), `${src} is missing: run npm ci`);
  return { ...m, src, file: path.basename(src) };
}

/** The frame (webviews are nested iframes) holding the overview of `file`. */
function overviewFrame(file: string): Promise<Frame> {
  return wb.webviewFrame(`the overview of ${file}`, async (f) => {
    const root = f.locator(`[data-testid="model-overview"][data-model-name="${file}"]`);
    if ((await root.count()) > 0 && (await f.locator('[data-testid="op-row"]').count()) > 0) return true;
    return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 200 }).catch(() => null)) ?? false;
  });
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

describe('e2e: Inference Lens in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  const a = model(modelA);
  const b = model(modelB);
  const bRel = `models/${b.file}`;

  before(async () => {
    wb = await startWorkbench({
      name: 'overview',
      command: 'Inference Lens: Open Model Overview',
      prepare: (workspace) => {
        fs.mkdirSync(path.join(workspace, 'models'), { recursive: true });
        fs.copyFileSync(a.src, path.join(workspace, a.file));
        fs.copyFileSync(b.src, path.join(workspace, bRel));
        fs.writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');
      },
    });
    await wb.shot('01-workbench');
  });

  after(async () => {
    await wb?.close();
  });

  test('(a) opening a .onnx from the Explorer shows its real overview', { timeout: 3 * 60_000 }, async () => {
    await wb.step('explorer-open', async () => {
      const row = await wb.explorerRow(a.file);
      await row.click();
      // The overview is a custom editor: its tab is named after the file.
      await wb.page.locator('.tabs-container .tab').filter({ hasText: a.file }).first().waitFor({ timeout: STEP_MS });
      const f = await overviewFrame(a.file);
      await wb.shot('02-explorer-overview');
      await assertOverview(a, f);
      // The overview's title bar offers Profile Model… for this model.
      await wb.page.locator('.editor-actions .action-label[aria-label*="Profile Model"]').first().waitFor({ state: 'visible', timeout: STEP_MS });
    });
  });

  test('(b) the palette command picks a model and shows its overview', { timeout: 3 * 60_000 }, async () => {
    await wb.step('palette-open', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
      await wb.runCommand('Inference Lens: Open Model Overview');
      // With no .onnx editor active the command asks which workspace model to open.
      const item = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: b.file }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('03-palette-quickpick');
      await item.click();
      const f = await overviewFrame(b.file);
      await wb.shot('04-palette-overview');
      await assertOverview(b, f);
    });
  });

  test('(c) the Explorer context menu of a .onnx offers "Open Model Overview"', { timeout: 3 * 60_000 }, async () => {
    await wb.step('context-menu', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
      const row = await wb.explorerRow(bRel);
      await row.click({ button: 'right' });
      const menu = wb.page.locator('.context-view .monaco-menu');
      await menu.first().waitFor({ state: 'visible', timeout: STEP_MS });
      const item = menu.getByRole('menuitem', { name: /Open Model Overview/ }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await menu.getByRole('menuitem', { name: /Profile Model…/ }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('05-context-menu');
      await item.click();
      await wb.page.locator('.tabs-container .tab').filter({ hasText: b.file }).first().waitFor({ timeout: STEP_MS });
      const f = await overviewFrame(b.file);
      await assertOverview(b, f);
      await wb.shot('06-context-menu-overview');
    });
  });
});
