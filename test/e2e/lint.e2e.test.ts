/**
 * End-to-end: the Python language server in a real VS Code (code-server) with the packaged
 * extension, as a person uses it: open an export script from the Explorer → the "Profile exported
 * model" CodeLens sits above the export call (the model is not exported yet) → the Problems panel
 * lists the findings with their rule ids → open the problem, Ctrl+. → pick the quick fix → save →
 * the file holds exactly the fixed text and the problem is gone → the model file appears (the
 * script ran) → the lens becomes a link that opens Profile Model… on that file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO } from '../helpers/fixtures';
import { mlpModel } from '../helpers/models';
import { startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

const CORPUS = path.join(REPO, 'test', 'server', 'corpus');
const SCRIPT = 'export_bert.py';
const FIX = 'Add dynamic_axes for input_ids, attention_mask, logits';

let wb: Workbench;

describe('e2e: Python lint in a real VS Code (code-server)', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    wb = await startWorkbench({
      name: 'lint',
      command: 'Inference Lens: Open Model Overview',
      prepare: (workspace) => fs.copyFileSync(path.join(CORPUS, SCRIPT), path.join(workspace, SCRIPT)),
    });
  });
  after(async () => {
    await wb?.close();
  });

  test('the export CodeLens; Problems panel → lightbulb quick fix → saved text', { timeout: 6 * 60_000 }, async () => {
    const p = wb.page;
    const problem = (text: string) => p.locator('.markers-panel .monaco-list-row').filter({ hasText: text }).first();
    await wb.step('open-script', async () => {
      await (await wb.explorerRow(SCRIPT)).click();
      await p.locator('.monaco-editor .view-lines').filter({ hasText: 'torch.onnx.export' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    });
    await wb.step('codelens', async () => {
      // VS Code asks for CodeLenses while the editor has focus (it cancels the request on blur).
      await p.locator('.monaco-editor .view-lines').first().click();
      const lens = p.locator('.codelens-decoration').filter({ hasText: 'Profile exported model' }).first();
      // The server starts on the first Python document: allow for a cold start.
      await lens.waitFor({ state: 'visible', timeout: 90_000 });
      assert.equal((await lens.textContent())?.trim(), 'Profile exported model: not exported yet (build/bert-sst2.onnx)');
    });
    await wb.step('problems', async () => {
      await p.keyboard.press('Control+Shift+M');
      await problem('torch.onnx.export has no dynamic_axes').waitFor({ state: 'visible', timeout: STEP_MS });
      await problem('opset_version 11 is below 14').waitFor({ state: 'visible', timeout: STEP_MS });
      const row = await problem('torch.onnx.export has no dynamic_axes').textContent();
      assert.match(row ?? '', /onnx-export-dynamic-axes/, 'the rule id is shown');
      assert.match(row ?? '', /\[Ln 23, Col 5\]/);
      await wb.shot('lint-problems');
    });
    await wb.step('quick-fix', async () => {
      // Open the problem in the editor (the cursor lands on it), then the lightbulb's menu: Ctrl+.,
      // or a click on the lightbulb when the key went elsewhere.
      await problem('torch.onnx.export has no dynamic_axes').dblclick();
      await p.locator('.monaco-editor.focused').first().waitFor({ state: 'visible', timeout: STEP_MS });
      const item = p.locator('.action-widget .monaco-list-row').filter({ hasText: FIX }).first();
      await p.keyboard.press('Control+.');
      if (!(await item.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false))) {
        await p.locator('.lightBulbWidget').first().click();
        await item.waitFor({ state: 'visible', timeout: STEP_MS });
      }
      await wb.shot('lint-quick-fix');
      await item.click();
      await p.locator('.monaco-editor .view-lines').filter({ hasText: 'dynamic_axes={' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    });
    await wb.step('save', async () => {
      await p.keyboard.press('Control+S');
      const expected = fs.readFileSync(path.join(CORPUS, 'expected', 'export_bert.dynamic-axes.py'), 'utf8');
      const file = path.join(wb.workspace, SCRIPT);
      const deadline = Date.now() + STEP_MS;
      while (fs.readFileSync(file, 'utf8') !== expected) {
        if (Date.now() > deadline) assert.equal(fs.readFileSync(file, 'utf8'), expected, 'the saved document text');
        await p.waitForTimeout(200);
      }
    });
    await wb.step('problem-gone', async () => {
      await problem('torch.onnx.export has no dynamic_axes').waitFor({ state: 'detached', timeout: STEP_MS });
      await problem('opset_version 11 is below 14').waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('lint-fixed');
    });
    await wb.step('lens-profiles-the-export', async () => {
      // The script "ran": its model appears. The lens turns into a link that opens Profile Model… on it.
      fs.mkdirSync(path.join(wb.workspace, 'build'), { recursive: true });
      fs.writeFileSync(path.join(wb.workspace, 'build', 'bert-sst2.onnx'), mlpModel().model);
      await p.locator('.monaco-editor .view-lines').first().click();
      // A link now (an <a>; the "not exported yet" text was a plain span), with the pulse icon.
      const link = p.locator('.codelens-decoration a').filter({ hasText: 'Profile exported model' }).first();
      await link.waitFor({ state: 'visible', timeout: STEP_MS });
      assert.equal((await link.textContent())?.trim(), 'Profile exported model');
      assert.equal(await link.locator('.codicon-pulse').count(), 1);
      await wb.shot('lint-lens-exported');
      await link.click();
      await p.locator('.quick-input-widget .quick-input-title').filter({ hasText: /^Profile bert-sst2\.onnx \(1\/\d\)$/ }).waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('lint-lens-profile-form');
      await p.keyboard.press('Escape');
    });
  });
});
