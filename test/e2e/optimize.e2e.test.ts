/**
 * End-to-end: fix → verify → compare in a real VS Code (code-server) with the packaged vsix, driven
 * as a person does it. Profile an encoder (graph optimization "basic" in the workspace settings) →
 * the results panel recommends optimizing the graph → Apply → ONNX Runtime writes encoder.opt.onnx
 * next to the model, both models run on the same inputs and are profiled → the comparison view
 * opens with the numbers. Then "Quantize to INT8…" from the palette on the same model.
 *
 * Screenshots: test-results/e2e/optimize-*.png.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { parseComparisonFile } from '../../src/core/compare/comparison';
import { transformerModel } from '../helpers/models';
import { listFiles, startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

const SETTINGS = {
  'inferenceLens.profile.warmupRuns': 2,
  'inferenceLens.profile.profiledRuns': 2,
  'inferenceLens.profile.graphOptimizationLevel': 'basic',
  'inferenceLens.profile.intraOpThreads': 1,
};
/** A profile, or a transform + check + two profiles, of a small encoder on 2 shared cores. */
const RUN_MS = 180_000;
const MODEL = 'encoder.onnx';

let wb: Workbench;
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

async function answer(stepLabel: string, value?: string): Promise<void> {
  await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: stepLabel }).waitFor({ state: 'visible', timeout: STEP_MS });
  const input = wb.page.locator('.quick-input-widget input.input');
  if (value !== undefined) await input.fill(value);
  await input.press('Enter');
}

/** The results panel of MODEL once its recommendations are shown. */
function resultsWithFindings(): Promise<Frame> {
  return wb.webviewFrame(
    `the results of ${MODEL} with recommendations`,
    async (f) => {
      if ((await f.locator(`[data-testid="profile-results"][data-model-name="${MODEL}"] [data-testid="finding"]`).count()) > 0) return true;
      return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 100 }).catch(() => null)) ?? false;
    },
    RUN_MS,
  );
}

/** The comparison view of A → `b`, once it shows the check and the before/after table. */
function comparisonFrame(b: string): Promise<Frame> {
  return wb.webviewFrame(
    `the comparison ${MODEL} → ${b}`,
    async (f) => {
      const title = f.locator('[data-testid="comparison"] [data-testid="title"]');
      if ((await title.count()) > 0 && (await title.textContent()) === `${MODEL} → ${b}` && (await f.locator('[data-testid="metric-row"]').count()) > 0) return true;
      return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 100 }).catch(() => null)) ?? false;
    },
    RUN_MS,
  );
}

/** The comparison files in the workspace storage, newest last. */
function comparisonFiles(): string[] {
  return listFiles(path.join(wb.userDataDir, 'User', 'workspaceStorage'))
    .filter((p) => p.endsWith('.ilcmp.json'))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
}

async function assertComparison(f: Frame, b: string): Promise<ReturnType<typeof parseComparisonFile>> {
  const file = comparisonFiles().find((p) => JSON.parse(fs.readFileSync(p, 'utf8')).b?.name === b);
  assert.ok(file, `a .ilcmp.json for ${b} in the workspace storage`);
  const c = parseComparisonFile(fs.readFileSync(file, 'utf8'));
  const rows = await f.locator('[data-testid="agreement-row"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-output'), e.getAttribute('data-verdict'), Number(e.getAttribute('data-max-abs'))]));
  assert.deepEqual(rows, c.verify.outputs.map((o) => [o.name, o.verdict, o.maxAbsError]), 'the view shows the saved check');
  const metrics = await f.locator('[data-testid="metric-row"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-key'), Number(e.getAttribute('data-a')), Number(e.getAttribute('data-b'))]));
  assert.deepEqual(metrics, c.comparison!.metrics.map((m) => [m.key, m.a, m.b]));
  for (const [key, a, bv] of metrics) assert.ok(Number(a) > 0 && Number(bv) > 0, `${key}: ${a} → ${bv}`);
  assert.ok((await f.locator('[data-testid="op-delta-row"]').count()) > 0, 'per-operator deltas');
  assert.equal(c.a.path, path.join(wb.workspace, MODEL));
  assert.equal(c.b.path, path.join(wb.workspace, b));
  return c;
}

describe('e2e: recommendations, Apply and the comparison view in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let source = '';
  before(async () => {
    wb = await startWorkbench({
      name: 'optimize',
      command: 'Inference Lens: Optimize Graph…',
      prepare: (workspace) => {
        fs.writeFileSync(path.join(workspace, MODEL), transformerModel({ layers: 2, hidden: 64, ffn: 256, seed: 3 }).model);
        fs.mkdirSync(path.join(workspace, '.vscode'));
        fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
      },
    });
    source = sha(path.join(wb.workspace, MODEL));
  });

  after(async () => {
    await wb?.close();
  });

  test("profile → the results panel recommends optimizing the graph → Apply → encoder.opt.onnx and the comparison view", { timeout: 8 * 60_000 }, async () => {
    await wb.step('profile', async () => {
      await wb.runCommand('Inference Lens: Profile Model…');
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: MODEL }).first().click();
      await answer('(1/4)');
      await answer('(2/4)');
      await answer('(3/4)', 'batch=1, sequence=16');
      await answer('(4/4)', '10');
    });
    const results = await wb.step('recommendations', async () => {
      const f = await resultsWithFindings();
      const ids = await f.locator('[data-testid="finding"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      assert.ok(ids.includes('optimize-graph'), `optimize-graph among the findings: ${ids.join(', ')}`);
      assert.match((await f.locator('[data-testid="finding"][data-id="optimize-graph"]').textContent()) ?? '', /graphOptimizationLevel = basic/);
      await wb.shot('optimize-01-recommendations');
      return f;
    });
    await wb.step('apply', async () => {
      await results.locator('[data-testid="apply-fix"][data-id="optimize-graph"]').click();
      // One notification with the steps and a Cancel button while it runs.
      await wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Optimize graph (all)' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('optimize-02-applying');
    });
    await wb.step('comparison', async () => {
      const f = await comparisonFrame('encoder.opt.onnx');
      await wb.shot('optimize-03-comparison');
      assert.ok(fs.existsSync(path.join(wb.workspace, 'encoder.opt.onnx')), 'the new model is next to the original');
      assert.equal(sha(path.join(wb.workspace, MODEL)), source, 'the original is untouched');
      const c = await assertComparison(f, 'encoder.opt.onnx');
      assert.equal(c.transform?.title, 'Optimize graph (all)');
      assert.equal(c.verify.verdict, 'pass', 'ORT’s optimized graph computes the same outputs');
      assert.ok(c.structure.nodes.b < c.structure.nodes.a, 'fusions removed nodes');
      assert.equal(await f.locator('[data-testid="verdict"]').getAttribute('data-verdict'), 'pass');
      // Both were profiled with the run's settings (graph optimization basic, 10 timed runs).
      const dir = path.dirname(comparisonFiles().at(-1)!);
      const runA = JSON.parse(fs.readFileSync(path.join(dir, c.runs!.a), 'utf8'));
      assert.deepEqual([runA.settings.session.graphOptimizationLevel, runA.settings.timedRuns, runA.settings.dims], ['basic', 10, { batch: 1, sequence: 16 }]);
      assert.ok(c.comparison!.operators.some((o) => o.opType === 'SkipLayerNormalization' && o.b && !o.a), 'a fused op appears in the per-operator deltas');
    });
    await wb.step('open-new-model', async () => {
      const f = await comparisonFrame('encoder.opt.onnx');
      await f.getByTestId('open-b').click();
      await wb.page.locator('.tabs-container .tab').filter({ hasText: 'encoder.opt.onnx' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('optimize-04-new-model');
    });
  });

  test('palette → Quantize to INT8… → per-channel → encoder.int8.onnx checked and compared', { timeout: 6 * 60_000 }, async () => {
    await wb.step('close-editors', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
    });
    await wb.step('quantize', async () => {
      await wb.runCommand('Inference Lens: Quantize to INT8…');
      const model = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: new RegExp(`^${MODEL.replace('.', '\\.')}`) }).first();
      await model.waitFor({ state: 'visible', timeout: STEP_MS });
      await model.click();
      const perChannel = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Per-channel scales' }).first();
      await perChannel.waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('optimize-05-int8-options');
      await perChannel.click();
    });
    await wb.step('int8-comparison', async () => {
      const f = await comparisonFrame('encoder.int8.onnx');
      await wb.shot('optimize-06-int8-comparison');
      const c = await assertComparison(f, 'encoder.int8.onnx');
      assert.equal(c.transform?.title, 'Quantize to INT8 (per-channel)');
      const o = c.verify.outputs[0]!;
      assert.ok(o.maxAbsError > 0 && o.cosine > 0.99, `INT8 changes the numbers a little: max abs ${o.maxAbsError}, cosine ${o.cosine}`);
      assert.ok(c.comparison!.operators.some((x) => x.opType === 'DynamicQuantizeMatMul' && x.b && !x.a), 'the quantized MatMuls show in the deltas');
      assert.ok(c.b.sizeBytes < c.a.sizeBytes / 2, 'INT8 weights are smaller');
      assert.equal(sha(path.join(wb.workspace, MODEL)), source, 'the original is untouched');
    });
  });
});
