/**
 * End to end in a real VS Code (code-server with the packaged .vsix), driven as a person would:
 *   (a) "Inference Lens: Show Model as Text" from the palette → quick pick → a read-only editor in
 *       the ONNX Text language, colored by the grammar (the op name and a value name get different
 *       token colors), with the model's real nodes;
 *   (b) "Inference Lens: Compare Models" from the palette → two quick picks → VS Code's diff editor
 *       titled "a ↔ b" with both texts (Relu only on the left, Sigmoid only on the right), and the
 *       notification's "Show Summary" opens the structural summary;
 *   (c) two models selected in the Explorer → context menu "Compare Models" → the diff editor (the
 *       overview's title bar offers Show Model as Text too);
 *   (d) a file that is not a model → an error notification with what to do, and no editor.
 * Models: mlpModel and mlpVariantModel (test/helpers/models.ts), whose differences are known.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { mlpModel, mlpVariantModel } from '../helpers/models';
import { startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

let wb: Workbench;

const A = 'mlp.onnx';
const B = 'mlp-v2.onnx';

/** The text Monaco shows in `editor` (all lines are visible: the models are short). */
async function editorText(editor: Locator): Promise<string> {
  const lines = await editor.locator('.view-lines .view-line').evaluateAll((els) =>
    els
      .map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((x, y) => x.top - y.top)
      .map((x) => x.text),
  );
  return lines.join('\n');
}

async function closeAll(): Promise<void> {
  await wb.runCommand('View: Close All Editors');
  await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
}

async function pick(file: string, title: RegExp): Promise<void> {
  await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: title }).first().waitFor({ state: 'visible', timeout: STEP_MS });
  const item = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: new RegExp(`^${file.replace(/[.]/g, '\\.')}`) }).first();
  await item.waitFor({ state: 'visible', timeout: STEP_MS });
  await item.click();
}

/** Waits for the diff editor of A ↔ B and checks both sides hold the models' real lines. */
async function assertDiffEditor(shot: string): Promise<void> {
  const page = wb.page;
  await page.locator('.tabs-container .tab').filter({ hasText: `${A} ↔ ${B}` }).first().waitFor({ timeout: STEP_MS });
  const diff = page.locator('.monaco-diff-editor').first();
  await diff.waitFor({ state: 'visible', timeout: STEP_MS });
  const original = diff.locator('.editor.original');
  const modified = diff.locator('.editor.modified');
  let left = '';
  let right = '';
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    left = await editorText(original);
    right = await editorText(modified);
    if (left.includes('Relu') && right.includes('Sigmoid')) break;
    await page.waitForTimeout(250);
  }
  await wb.shot(shot);
  assert.match(left, /\["\/act\/Relu"\] y = Relu \(xwb\)/, `the left side is mlp.onnx's text:\n${left}`);
  assert.match(right, /\["\/act\/Sigmoid"\] act = Sigmoid \(xwb\)/, `the right side is mlp-v2.onnx's text:\n${right}`);
  assert.match(left, /float\[4,3\] W = \.\.\./);
  assert.match(right, /float16\[4,3\] W = \.\.\./);
  assert.doesNotMatch(left, /Sigmoid/);
  assert.doesNotMatch(right, /Relu/);
  // The diff editor marks the changed lines.
  assert.ok((await diff.locator('.line-insert, .char-insert').count()) > 0, 'inserted lines are marked');
  assert.ok((await diff.locator('.line-delete, .char-delete').count()) > 0, 'deleted lines are marked');
}

describe('e2e: Show Model as Text and Compare Models in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    wb = await startWorkbench({
      name: 'compare',
      command: 'Inference Lens: Compare Models',
      prepare: (workspace) => {
        fs.mkdirSync(path.join(workspace, 'models'), { recursive: true });
        fs.writeFileSync(path.join(workspace, 'models', A), mlpModel().model);
        fs.writeFileSync(path.join(workspace, 'models', B), mlpVariantModel());
        fs.writeFileSync(path.join(workspace, 'models', 'broken.onnx'), 'not a model, just text\n'.repeat(8));
        fs.writeFileSync(path.join(workspace, 'README.md'), '# e2e workspace\n');
      },
    });
  });

  after(async () => {
    await wb?.close();
  });

  test('(a) Show Model as Text opens a read-only ONNX Text editor colored by the grammar', { timeout: 3 * 60_000 }, async () => {
    await wb.step('show-as-text', async () => {
      await closeAll();
      await wb.runCommand('Inference Lens: Show Model as Text');
      await pick(A, /Show Model as Text/);
      const page = wb.page;
      await page.locator('.tabs-container .tab').filter({ hasText: 'mlp.onnxtxt' }).first().waitFor({ timeout: STEP_MS });
      const editor = page.locator('.part.editor .monaco-editor').first();
      await editor.locator('.view-line').filter({ hasText: 'MatMul' }).first().waitFor({ timeout: STEP_MS });
      const text = await editorText(editor);
      assert.match(text, /^<\n {3}ir_version: 10,/);
      assert.match(text, /\["\/fc\/MatMul"\] xw = MatMul \(x, W\)/);
      assert.match(text, /\["\/act\/Relu"\] y = Relu \(xwb\)/);
      // The status bar names the language; the grammar colors the op and a value name differently.
      await page.locator('.statusbar-item').filter({ hasText: 'ONNX Text' }).first().waitFor({ timeout: STEP_MS });
      const line = editor.locator('.view-line').filter({ hasText: 'xw = MatMul' }).first();
      const classOf = (t: string) => line.locator('span > span').filter({ hasText: new RegExp(`^${t}$`) }).first().getAttribute('class');
      const [op, value] = [await classOf('MatMul'), await classOf('xw')];
      assert.ok(op && value && op !== value, `MatMul (${op}) and xw (${value}) are colored differently`);
      // Read-only: typing changes nothing.
      await line.click();
      await page.keyboard.type('zzz');
      assert.doesNotMatch(await editorText(editor), /zzz/);
      await wb.shot('compare-01-model-as-text');
    });
  });

  test('(b) Compare Models from the palette opens the diff editor and the summary', { timeout: 3 * 60_000 }, async () => {
    await wb.step('compare-palette', async () => {
      await closeAll();
      await wb.runCommand('Inference Lens: Compare Models');
      await pick(A, /Compare Models \(1 of 2\)/);
      await pick(B, /Compare mlp\.onnx with/);
      await assertDiffEditor('compare-02-diff-editor');
      // The notification summarizes and offers the full summary.
      const toast = wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'mlp.onnx ↔ mlp-v2.onnx' }).first();
      await toast.waitFor({ state: 'visible', timeout: STEP_MS });
      assert.match((await toast.textContent()) ?? '', /3 → 5 nodes.*op types \+3 −1.*1 dtype change/);
      await toast.getByRole('button', { name: 'Show Summary' }).click();
      const f = await wb.webviewFrame('the comparison summary', async (fr) => (await fr.locator('h1').filter({ hasText: 'mlp.onnx ↔ mlp-v2.onnx' }).count()) > 0);
      const summary = (await f.locator('body').textContent()) ?? '';
      assert.match(summary, /Relu\s*1\s*0\s*removed/);
      assert.match(summary, /W\s*float\s*float16/);
      await wb.shot('compare-03-summary');
    });
  });

  test('(c) two models selected in the Explorer → context menu → Compare Models', { timeout: 3 * 60_000 }, async () => {
    await wb.step('compare-explorer', async () => {
      await closeAll();
      const rowA = await wb.explorerRow(`models/${A}`);
      const rowB = await wb.explorerRow(`models/${B}`);
      // Select both (the first click opens A's overview, whose title bar offers Show Model as Text),
      // then right-click the second.
      await rowA.click();
      await wb.page.locator('.editor-actions .action-label[aria-label*="Show Model as Text"]').first().waitFor({ state: 'visible', timeout: STEP_MS });
      await rowB.click({ modifiers: ['Control'] });
      await rowB.click({ button: 'right' });
      const menu = wb.page.locator('.context-view .monaco-menu');
      await menu.first().waitFor({ state: 'visible', timeout: STEP_MS });
      const item = menu.getByRole('menuitem', { name: /Compare Models/ }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await menu.getByRole('menuitem', { name: /Show Model as Text/ }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('compare-04-context-menu');
      await item.click();
      await assertDiffEditor('compare-05-explorer-diff');
    });
  });

  test('(d) a file that is not a model gives an error notification and no editor', { timeout: 3 * 60_000 }, async () => {
    await wb.step('show-broken', async () => {
      await closeAll();
      await wb.runCommand('Inference Lens: Show Model as Text');
      await pick('broken.onnx', /Show Model as Text/);
      const toast = wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'broken.onnx' }).first();
      await toast.waitFor({ state: 'visible', timeout: STEP_MS });
      assert.match((await toast.textContent()) ?? '', /does not look like an ONNX model.*Open a \.onnx file written by/);
      await wb.shot('compare-06-broken');
      assert.equal(await wb.page.locator('.tabs-container .tab').count(), 0, 'no editor opened');
    });
  });
});
