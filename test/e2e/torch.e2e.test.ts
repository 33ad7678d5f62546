/**
 * End-to-end: "Inference Lens: Profile PyTorch Script…" in a real VS Code (code-server) with the
 * packaged extension, as a person does it: open a Python script, palette → the command → "Run the
 * script" → arguments → the user's Python (a real torch, CPU) runs it under torch.profiler through
 * the shipped harness → the profiler panel shows the run's device, step latency and operators.
 * The interpreter comes from the workspace setting inferenceLens.python.interpreter (no Python
 * extension in this workbench). Skips, saying why, where no Python with torch exists.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { torchPython } from '../helpers/python';
import { listFiles, startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

const SCRIPT = 'infer.py';
const SCRIPT_TEXT = `import sys
import torch

model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4)).eval()
x = torch.randn(int(sys.argv[1]) if len(sys.argv) > 1 else 1, 32)
print("batch", x.shape[0])
with torch.inference_mode():
    for _ in range(50):
        model(x)
`;

let wb: Workbench | undefined;
let skip: string | undefined;

describe('e2e: Profile PyTorch Script… in a real VS Code (code-server)', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    const tp = await torchPython();
    if (tp.python === undefined) {
      skip = tp.skip;
      return;
    }
    wb = await startWorkbench({
      name: 'torch',
      command: 'Inference Lens: Profile PyTorch Script…',
      prepare: (workspace) => {
        fs.writeFileSync(path.join(workspace, SCRIPT), SCRIPT_TEXT);
        fs.mkdirSync(path.join(workspace, '.vscode'));
        fs.writeFileSync(
          path.join(workspace, '.vscode', 'settings.json'),
          JSON.stringify({ 'inferenceLens.python.interpreter': tp.python, 'inferenceLens.torch.warmup': 2, 'inferenceLens.torch.active': 2 }, null, 2),
        );
      },
    });
  });

  after(async () => {
    await wb?.close();
  });

  test('open a script → palette → Run the script → the profiler panel shows the run', { timeout: 5 * 60_000 }, async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const w = wb!;
    await w.step('open-script', async () => {
      const row = await w.explorerRow(SCRIPT);
      await row.click();
      await w.page.locator('.monaco-editor .view-lines').filter({ hasText: 'torch.nn.Sequential' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    });
    await w.step('palette', async () => {
      const row = await w.openPalette('Inference Lens: Profile PyTorch Script…');
      await row.click();
    });
    await w.step('pick', async () => {
      // The script's own functions are listed by Python's ast (none here); "Run the script" is first.
      const item = w.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Run the script' }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await w.shot('torch-01-pick');
      await item.click();
    });
    await w.step('arguments', async () => {
      await w.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: `Arguments for ${SCRIPT}` }).waitFor({ state: 'visible', timeout: STEP_MS });
      const input = w.page.locator('.quick-input-widget input.input');
      await input.fill('4');
      await input.press('Enter');
    });
    let frame: Frame | undefined;
    await w.step('panel', async () => {
      frame = await w.webviewFrame(
        'the profiler panel of the PyTorch run',
        async (f) => {
          if ((await f.locator('[data-testid="torch-metrics"]').count()) > 0 && (await f.locator('[data-testid="op-row"]').count()) > 0) return true;
          return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 100 }).catch(() => null)) ?? false;
        },
        180_000,
      );
      await w.shot('torch-02-panel');
    });
    const f = frame!;
    const opRows = await f.locator('[data-testid="op-row"]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    assert.ok(opRows.includes('aten::linear'), `operators: ${opRows.join(', ')}`);
    const stepP50 = Number(await f.locator('[data-testid="metric"][data-key="step-p50"]').getAttribute('data-value'));
    assert.ok(stepP50 > 0);

    // The run folder in the workspace storage: result.json (the device, the steps) and the trace.
    const saved = listFiles(path.join(w.userDataDir, 'User', 'workspaceStorage')).filter((p) => p.includes(`${path.sep}torch${path.sep}`));
    const resultFile = saved.find((p) => p.endsWith('result.json'));
    assert.ok(resultFile, `result.json in the workspace storage (found: ${saved.join(', ') || 'nothing'})`);
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { args: string[]; steps: { phase: string }[]; python: { executable: string } };
    assert.deepEqual(result.args, ['4'], 'the arguments typed reach the script');
    assert.deepEqual(result.steps.map((s) => s.phase), ['wait', 'warmup', 'warmup', 'active', 'active'], 'the schedule settings reach the harness');
    assert.ok(saved.some((p) => p.endsWith('.pt.trace.json')));
  });
});
