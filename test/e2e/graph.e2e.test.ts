/**
 * End to end, the model editor's Graph tab in a real VS Code (code-server with the packaged .vsix):
 *
 *   (a) open a 1.5k-node encoder from the Explorer, switch to Graph: the graph is built by the
 *       extension's worker thread, the layout worker starts from a blob: URL under the real webview
 *       CSP, the canvas shows the collapsed hierarchy (checked through the page's debug hook);
 *   (b) the time overlay reads the newest profile run of this model from the workspace's
 *       `.inference-lens/runs` (made here with the real ORT worker);
 *   (c) "Inference Lens: Reveal in Model…" from the palette offers the model's nodes and selects the
 *       one picked, expanding its groups;
 *   (d) weight statistics are read by the extension host from the model file on demand;
 *   (e) Go to source on a node with PyTorch stack-trace metadata opens the workspace file at the line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { encodeModel } from '../../src/core/onnx/proto-writer';
import { DataType } from '../../src/core/onnx/types';
import { profileModel } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { f32, transformerModel } from '../helpers/models';
import { startWorkbench, STEP_MS, type Workbench } from '../helpers/workbench';

const ENCODER = 'encoder.onnx';
const MLP = 'models/mlp.onnx';

let wb: Workbench;

/** The model editor's frame of `file` once its Graph tab has drawn a layout. */
function graphFrame(file: string): Promise<Frame> {
  return wb.webviewFrame(`the graph of ${file}`, async (f) => {
    const state = (await f.evaluate('(() => { const g = window.__graphView; const e = document.querySelector(\'[data-testid="graph-error"]\'); return { ready: !!(g && g.ready && g.frames > 0), title: document.title, error: e ? e.textContent : null }; })()').catch(() => null)) as {
      ready: boolean;
      title: string;
      error: string | null;
    } | null;
    if (!state) return false;
    if (state.error) return state.error;
    return state.ready && state.title === path.basename(file);
  });
}

function overviewFrame(file: string): Promise<Frame> {
  return wb.webviewFrame(`the overview of ${file}`, async (f) => (await f.locator(`[data-testid="model-overview"][data-model-name="${path.basename(file)}"]`).count()) > 0);
}

const debug = <T>(f: Frame, fn: string): Promise<T> => f.evaluate(`(async () => (${fn})(window.__graphView))()`) as Promise<T>;

describe('e2e: the Graph tab in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    wb = await startWorkbench({
      name: 'graph',
      command: 'Inference Lens: Reveal in Model…',
      prepare: (workspace) => {
        fs.writeFileSync(path.join(workspace, ENCODER), transformerModel({ layers: 50, hidden: 16, ffn: 32 }).model);
        fs.mkdirSync(path.join(workspace, 'models'), { recursive: true });
        fs.mkdirSync(path.join(workspace, 'src', 'nets'), { recursive: true });
        // The recorded /build/agent/src/nets/mlp.py is this workspace's src/nets/mlp.py.
        fs.writeFileSync(path.join(workspace, 'src', 'nets', 'mlp.py'), Array.from({ length: 30 }, (_, k) => (k === 16 ? '        return self.fc(x)  # line 17' : `# line ${k + 1}`)).join('\n') + '\n');
        const trace = 'File "/build/agent/src/nets/mlp.py", line 17, in forward\n    return self.fc(x)';
        fs.writeFileSync(
          path.join(workspace, MLP),
          encodeModel({
            graph: {
              name: 'mlp',
              nodes: [
                { name: 'node_Gemm_0', opType: 'Gemm', inputs: ['x', 'W'], outputs: ['h'], attributes: { transB: { i: 1 } }, metadata: { 'pkg.torch.onnx.stack_trace': trace } },
                { name: 'node_Relu_1', opType: 'Relu', inputs: ['h'], outputs: ['y'] },
              ],
              initializers: [{ name: 'W', dataType: DataType.FLOAT, dims: [4, 4], raw: f32(Array.from({ length: 16 }, (_, i) => i - 4)) }],
              inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4] }],
              outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 4] }],
            },
          }),
        );
      },
    });
  });

  after(async () => {
    await wb?.close();
  });

  test('(a)(b) Graph tab: worker-built graph, layout worker under the webview CSP, time overlay from the workspace runs', { timeout: 6 * 60_000 }, async () => {
    // A real profile run of the workspace's encoder, where the CLI keeps them.
    const { worker } = await bundles();
    const model = path.join(wb.workspace, ENCODER);
    const r = await profileModel(
      { modelPath: model, ep: 'cpu', allowCpuFallback: false, session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 }, dims: { batch: 1, sequence: 8 }, warmupRuns: 1, timedRuns: 2, profiledRuns: 2, decode: 'off' },
      { workerPath: worker, outDir: path.join(wb.workspace, '.inference-lens', 'runs') },
    );
    const runFile = path.basename(r.runFilePath);
    await wb.step('open-graph', async () => {
      const row = await wb.explorerRow(ENCODER);
      await row.click();
      const o = await overviewFrame(ENCODER);
      await o.getByTestId('tab-graph').click();
      const f = await graphFrame(ENCODER);
      assert.equal(await debug(f, '(g) => g.worker'), true, 'the layout ran in the web worker (fetched, started from a blob: URL)');
      const s = await debug<{ items: { group: boolean; open: boolean }[] }>(f, '(g) => g.snapshot()');
      assert.ok(s.items.length > 3 && s.items.length <= 160, `${s.items.length} boxes: the 1.5k nodes start collapsed`);
      assert.ok(s.items.some((it) => it.group && !it.open), 'collapsed groups are shown');
      assert.match((await f.getByTestId('graph-status').textContent()) ?? '', /1,50\d nodes/);
      await wb.shot('graph-01-collapsed');
      await f.getByTestId('graph-overlay').selectOption('time');
      await f.getByTestId('graph-legend').getByText(runFile, { exact: false }).waitFor({ timeout: STEP_MS });
      await f.getByTestId('legend-max').waitFor({ timeout: STEP_MS });
      await wb.shot('graph-02-time-overlay');
    });
  });

  test('(c) Reveal in Model… from the palette selects the node picked', { timeout: 4 * 60_000 }, async () => {
    await wb.step('reveal-in-model', async () => {
      await wb.runCommand('Inference Lens: Reveal in Model…');
      const want = '/encoder/layer.42/attention/self/Softmax';
      const input = wb.page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: STEP_MS });
      await input.fill(want);
      const item = wb.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: want }).first();
      await item.waitFor({ state: 'visible', timeout: STEP_MS });
      await item.click();
      const f = await graphFrame(ENCODER);
      await f.locator(`[data-testid="properties"][data-name="${want}"]`).waitFor({ timeout: STEP_MS });
      const id = await debug<number>(f, `(g) => g.itemByName(${JSON.stringify(want)})`);
      assert.ok((await debug(f, `(g) => g.screenRect(${id})`)) !== undefined, 'its groups were expanded: the node is drawn');
      await wb.shot('graph-03-revealed');
    });
  });

  test('(d)(e) weight statistics read by the extension host; Go to source opens the workspace file', { timeout: 4 * 60_000 }, async () => {
    await wb.step('weights-and-source', async () => {
      await wb.runCommand('View: Close All Editors');
      const row = await wb.explorerRow(MLP);
      await row.click();
      const o = await overviewFrame(MLP);
      await o.getByTestId('tab-graph').click();
      const f = await graphFrame(MLP);
      const gemm = await debug<number>(f, `(g) => g.itemByName('node_Gemm_0')`);
      const r = (await debug<{ x: number; y: number; w: number; h: number }>(f, `(g) => g.screenRect(${gemm})`))!;
      const box = (await f.getByTestId('graph-canvas').boundingBox())!;
      await wb.page.mouse.click(box.x + r.x + r.w / 2, box.y + r.y + r.h / 2);
      const props = f.locator('[data-testid="properties"][data-name="node_Gemm_0"]');
      await props.waitFor({ timeout: STEP_MS });
      await props.getByTestId('weight-stats-button').click();
      const stats = props.getByTestId('weight-stats');
      await stats.waitFor({ timeout: STEP_MS });
      const cells = Object.fromEntries((await stats.locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]))) as [string, string][]);
      // W = -4 … 11.
      assert.equal(cells.min, '-4');
      assert.equal(cells.max, '11');
      assert.equal(cells.mean, '3.5');
      assert.equal(cells.zeros, '1 (6.3%)');
      await wb.shot('graph-04-weight-stats');
      await props.getByTestId('go-to-source').click();
      await wb.page.locator('.tabs-container .tab').filter({ hasText: 'mlp.py' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.page.locator('.statusbar').getByText(/Ln 17, Col 1/).first().waitFor({ state: 'visible', timeout: STEP_MS });
      await wb.shot('graph-05-go-to-source');
    });
  });
});
