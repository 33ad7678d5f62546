/**
 * Recommendations in the results panel and the profiler panel headers, in headless Chromium, on a
 * REAL run: an encoder profiled by ONNX Runtime (CPU) and the findings the rules give for it and its
 * model. Apply posts `applyFix` with the finding's id; trace sources offer no Apply.
 * Screenshots: test-results/webview/recommendations-*.png.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { summarizeModel } from '../../src/core/onnx';
import { profileToJson } from '../../src/core/profile/json';
import { recommend, type Finding } from '../../src/core/recommend';
import type { ProfilerToWebview, ProfileToWebview } from '../../src/protocol/messages';
import { profiledEncoder, type EncoderRun } from '../helpers/ort-runs';
import { SHOTS, startWebviewHost, THEMES, type WebviewHost } from '../helpers/webview';

let ort: EncoderRun;
let findings: Finding[];
let results: WebviewHost;
let profiler: WebviewHost;

before(async () => {
  ort = await profiledEncoder({ hidden: 256, ffn: 1024, sequence: 64, timedRuns: 5, profiledRuns: 3 });
  // As the extension does: the rules over the run and its model, here with the run made at "basic"
  // (as if profiled with inferenceLens.profile.graphOptimizationLevel = basic) so two findings show.
  const run = { ...ort.run, settings: { ...ort.run.settings, session: { ...ort.run.settings.session, graphOptimizationLevel: 'basic' as const } } };
  findings = recommend({ run, summary: await summarizeModel(ort.run.model.path) });
  ort = { ...ort, run };
  [results, profiler] = [await startWebviewHost('profile'), await startWebviewHost('profiler')];
});

after(async () => {
  await results?.close();
  await profiler?.close();
});

test('the rules found graph optimization for the real run (and INT8 when MatMul dominated its profile)', () => {
  // INT8 depends on the measured MatMul share (typically ~60% here); the level is set above.
  assert.ok(findings.some((f) => f.id === 'optimize-graph'), findings.map((f) => f.id).join());
  assert.ok(findings.every((f) => ['int8', 'optimize-graph'].includes(f.id)), findings.map((f) => f.id).join());
});

test('results panel: each finding with its evidence and an Apply button that posts applyFix', async () => {
  for (const theme of [THEMES.dark, THEMES.light]) {
    const w = await results.open(theme, { width: 1100, height: 900 });
    w.page.setDefaultTimeout(30_000);
    try {
      await w.send({ type: 'run', runFilePath: ort.runFilePath, run: ort.run, findings } satisfies ProfileToWebview);
      await w.page.locator('[data-testid="profile-results"]').waitFor();
      const items = w.page.locator('[data-testid="finding"]');
      assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), findings.map((f) => f.id));
      for (const f of findings) {
        const evidence = await w.page.locator(`[data-testid="finding"][data-id="${f.id}"] [data-testid="evidence"]`).evaluateAll((els) => els.map((e) => [e.getAttribute('data-label'), Number(e.getAttribute('data-value')), e.textContent]));
        assert.deepEqual(evidence, f.evidence.map((e) => [e.label, e.value, e.text]));
        assert.match((await w.page.locator(`[data-testid="finding"][data-id="${f.id}"]`).textContent()) ?? '', new RegExp(f.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      }
      assert.match((await w.page.locator('[data-testid="apply-fix"][data-id="optimize-graph"]').textContent()) ?? '', /Apply: Optimize Graph \(all\)/);
      await w.page.screenshot({ path: path.join(SHOTS, `recommendations-results-${theme.name}.png`), fullPage: false });
      for (const f of findings) {
        // Clicked and read in one step in the page: the button stays disabled for 3 s after a click.
        const disabledAfterClick = await w.page.locator(`[data-testid="apply-fix"][data-id="${f.id}"]`).evaluate((b: HTMLButtonElement) => {
          b.click();
          return b.disabled;
        });
        assert.ok(disabledAfterClick, 'no double start');
      }
      assert.deepEqual((await w.posted()).slice(1), findings.map((f) => ({ type: 'applyFix', findingId: f.id })));
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  }
});

test('results panel without findings shows no recommendations section; bad findings are refused', async () => {
  const w = await results.open();
  try {
    await w.send({ type: 'run', runFilePath: ort.runFilePath, run: ort.run, findings: [{ ...findings[0]!, severity: 'urgent' }] });
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="profile-results"]').count(), 0, 'a message with a malformed finding is dropped');
    await w.send({ type: 'run', runFilePath: ort.runFilePath, run: ort.run } satisfies ProfileToWebview);
    await w.page.locator('[data-testid="profile-results"]').waitFor();
    assert.equal(await w.page.locator('[data-testid="findings-recommend"]').count(), 0);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('profiler panel header: Apply for run sources; a trace source shows findings without Apply', async () => {
  const w = await profiler.open(THEMES.dark, { width: 1200, height: 1000 });
  w.page.setDefaultTimeout(30_000);
  try {
    const base = { type: 'profile', title: 'encoder.onnx on CPU', profile: profileToJson(ort.profile), run: ort.run, findings } as const;
    await w.send({ ...base, source: { kind: 'run', runFilePath: ort.runFilePath } } satisfies ProfilerToWebview);
    await w.page.locator('[data-testid="profiler"]').waitFor();
    assert.equal(await w.page.locator('[data-testid="finding"]').count(), findings.length);
    await w.page.locator('[data-testid="apply-fix"][data-id="optimize-graph"]').click();
    assert.deepEqual((await w.posted()).filter((m) => (m as { type: string }).type === 'applyFix'), [{ type: 'applyFix', findingId: 'optimize-graph' }]);
    await w.page.screenshot({ path: path.join(SHOTS, 'recommendations-profiler-dark.png'), fullPage: false });
    await w.send({ ...base, source: { kind: 'trace', path: '/tmp/x.ort.json' } } satisfies ProfilerToWebview);
    await w.page.waitForFunction(() => document.querySelectorAll('[data-testid="apply-fix"]').length === 0, undefined, { timeout: 30_000 });
    assert.equal(await w.page.locator('[data-testid="finding"]').count(), findings.length);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});
