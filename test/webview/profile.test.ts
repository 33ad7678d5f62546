/**
 * The profile results webview in a real browser (headless Chromium), outside VS Code: the page the
 * extension serves (same HTML, same CSP, same bundles from dist/webview), an `acquireVsCodeApi` stub
 * that records what the webview posts and saves, and REAL run files: `profileModel` runs ONNX Runtime
 * (in its worker process) on an encoder and a KV-cache decoder built by the test.
 * Screenshots in light, dark and high-contrast themes go to test-results/webview/profile-*.png.
 *
 *   node --import tsx --test test/webview/profile.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ProfileRun, ProfileToWebview } from '../../src/protocol/messages';
import { profileModel, type OrtRunFile } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { tinyDecoderModel, transformerModel } from '../helpers/models';
import { assertReadyHandshake, SHOTS, startWebviewHost, THEMES, type Harness, type Theme, type WebviewHost } from '../helpers/webview';

let host: WebviewHost;
const openWebview = (theme?: Theme): Promise<Harness> => host.open(theme, { width: 1100, height: 900 });
let encoder: { run: OrtRunFile; runFilePath: string };
let decoder: { run: OrtRunFile; runFilePath: string };

async function realRuns(): Promise<void> {
  const { worker } = await bundles();
  const dir = tmpDir('profile-webview');
  const encoderFile = path.join(dir, 'encoder.onnx');
  fs.writeFileSync(encoderFile, transformerModel({ layers: 2, hidden: 64, ffn: 256 }).model);
  const decoderFile = path.join(dir, 'decoder.onnx');
  fs.writeFileSync(decoderFile, tinyDecoderModel({ layers: 2, vocab: 50, dim: 32 }));
  const base = {
    ep: 'cpu',
    allowCpuFallback: false,
    session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 },
    warmupRuns: 2,
    profiledRuns: 2,
  } as const;
  const outDir = path.join(dir, 'runs');
  encoder = await profileModel({ ...base, modelPath: encoderFile, dims: { batch: 2, sequence: 16 }, timedRuns: 20, decode: 'off' }, { workerPath: worker, outDir });
  decoder = await profileModel({ ...base, modelPath: decoderFile, dims: {}, timedRuns: 3, decode: { prefillTokens: 8, newTokens: 8 } }, { workerPath: worker, outDir });
}

before(async () => {
  await realRuns();
  host = await startWebviewHost('profile');
});

after(async () => {
  await host?.close();
});

// ---- what the page must show for a run ----

const runMessage = (r: { run: OrtRunFile; runFilePath: string }): ProfileToWebview => ({ type: 'run', runFilePath: r.runFilePath, run: r.run });

/** `[data-testid=metric]` elements as key → raw value. */
async function renderedMetrics(page: Page): Promise<Map<string, number>> {
  const pairs = await page.locator('[data-testid="metric"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-key') ?? '', Number(e.getAttribute('data-value'))] as const));
  const m = new Map<string, number>();
  for (const [k, v] of pairs) {
    assert.ok(!m.has(k), `metric ${k} shown twice`);
    m.set(k, v);
  }
  return m;
}

async function assertRun(page: Page, run: ProfileRun): Promise<void> {
  const root = page.locator('[data-testid="profile-results"]');
  await root.waitFor();
  assert.equal(await root.getAttribute('data-model-name'), run.model.name);
  assert.equal(await page.locator('[data-testid="loading"]').count(), 0, 'loading state is gone');
  const r = run.result;
  const expected: Record<string, number> = {
    'session-create': r.sessionCreateMs,
    'first-run': r.firstRunMs,
    'latency-p50': r.latencyMs.p50,
    'latency-p90': r.latencyMs.p90,
    'latency-p99': r.latencyMs.p99,
    'latency-mean': r.latencyMs.mean,
    'latency-stdev': r.latencyMs.stdev,
    throughput: r.throughput.inferencesPerSec,
    'throughput-items': r.throughput.itemsPerSec,
    'peak-rss': r.memory.peakRssBytes,
  };
  if (r.memory.gpuPeakBytes !== undefined) expected['gpu-peak'] = r.memory.gpuPeakBytes;
  if (run.operators && run.operators.arenaPeakBytes > 0) expected['arena-peak'] = run.operators.arenaPeakBytes;
  if (r.decode) {
    Object.assign(expected, {
      ttft: r.decode.timeToFirstTokenMs,
      'tokens-per-sec': r.decode.tokensPerSec,
      'per-token-p50': r.decode.perTokenMs.p50,
      'per-token-p90': r.decode.perTokenMs.p90,
      'kv-cache-per-token': r.decode.kvCacheBytesPerToken,
      'rss-growth-per-token': r.decode.rssGrowthPerTokenBytes,
    });
  }
  assert.deepEqual(Object.fromEntries(await renderedMetrics(page)), expected, 'every metric, with the run’s exact numbers');

  const ops = await page.locator('[data-testid="op-row"]').evaluateAll((trs) =>
    trs.map((tr) => ({ op: tr.getAttribute('data-op'), count: Number(tr.getAttribute('data-count')), provider: tr.getAttribute('data-provider'), label: tr.querySelector('td')?.textContent })),
  );
  assert.deepEqual(
    ops,
    (run.operators?.byOpType ?? []).map((o) => ({ op: o.opType, count: o.count, provider: o.provider, label: o.opType })),
    'op rows are run.operators.byOpType, in order',
  );
  const inputs = await page.locator('[data-testid="input-row"]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(
    inputs,
    r.inputs.map((i) => [i.name, i.dtype, `[${i.dims.join(', ')}]`]),
  );
}

// ---- tests ----

test('the real runs are what the panel is tested with', () => {
  assert.ok(encoder.run.operators && encoder.run.operators.byOpType.length >= 3, 'the encoder run has an ORT per-op breakdown');
  assert.ok(encoder.run.ortProfile, 'ORT’s raw profile is kept');
  assert.equal(encoder.run.result.batchSize, 2);
  assert.ok(decoder.run.result.decode, 'the decoder run was decoded');
  assert.ok(fs.existsSync(encoder.runFilePath) && encoder.runFilePath.endsWith('.ilprof.json'));
});

test('the webview posts ready first and shows the loading state until data arrives', () => assertReadyHandshake(host));

test('renders a real encoder run: every metric, the op rows, the inputs; screenshots in light, dark, high contrast', async () => {
  for (const theme of Object.values(THEMES)) {
    const w = await openWebview(theme);
    try {
      await w.send(runMessage(encoder));
      await assertRun(w.page, encoder.run);
      assert.equal(await w.page.locator('[data-testid="metric"][data-key="ttft"]').count(), 0, 'no decode metrics for plain runs');
      assert.equal(await w.page.locator('[data-testid="warnings"]').count(), 0, 'no warnings on CPU');
      assert.equal(await w.page.locator('[data-testid="node-row"]').count(), Math.min(15, encoder.run.operators!.byNode.length));
      assert.equal(await w.page.locator('[data-testid="session-options"]').textContent(), 'graph optimization all · 1 intra-op threads · memory arena on');
      assert.deepEqual(await w.state(), { runFilePath: encoder.runFilePath }, 'the run file path is kept for the panel serializer');
      await w.page.evaluate(() => document.fonts.ready.then(() => undefined));
      assert.ok(await w.page.evaluate(() => document.fonts.check('16px codicon')), 'the codicon font loaded under the CSP');
      const file = path.join(SHOTS, `profile-${theme.name}.png`);
      await w.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000, `${file} has content`);
      assert.deepEqual(w.problems, [], 'no console errors or CSP violations');
    } finally {
      await w.close();
    }
  }
});

test('renders a real decoder run with the decoding metrics', async () => {
  const w = await openWebview();
  try {
    await w.send(runMessage(decoder));
    await assertRun(w.page, decoder.run);
    assert.match((await w.page.locator('[data-testid="decode"]').textContent()) ?? '', /prefill 8 tokens/);
    await w.page.screenshot({ path: path.join(SHOTS, 'profile-decode-dark.png'), fullPage: true });
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('the buttons ask the extension to export the trace and open the files', async () => {
  const w = await openWebview();
  try {
    await w.send(runMessage(encoder));
    await w.page.locator('[data-testid="profile-results"]').waitFor();
    for (const name of ['Open Timeline', 'Export Chrome Trace…', 'Open Run File', 'Open ORT Profile']) await w.page.getByRole('button', { name }).click();
    assert.deepEqual(await w.posted(), [{ type: 'ready' }, { type: 'openTimeline' }, { type: 'exportTrace' }, { type: 'openRunFile' }, { type: 'openOrtProfile' }]);

    // A run without ORT's profile (0 profiled runs) has nothing to export or open.
    const { ortProfile: _o, operators: _ops, ...bare } = encoder.run;
    void _o;
    void _ops;
    await w.send({ type: 'run', runFilePath: encoder.runFilePath, run: bare } satisfies ProfileToWebview);
    assert.equal(await w.page.getByRole('button', { name: 'Export Chrome Trace…' }).isDisabled(), true);
    assert.equal(await w.page.getByRole('button', { name: 'Open ORT Profile' }).isDisabled(), true);
    assert.equal(await w.page.getByRole('button', { name: 'Open Timeline' }).isDisabled(), true);
    assert.equal(await w.page.locator('[data-testid="op-row"]').count(), 0);
    assert.match((await w.page.locator('[data-testid="operators"]').textContent()) ?? '', /0 profiled runs/);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('provider fallback, nodes on another provider and Memcpy nodes are warned about', async () => {
  // The real run, as a CUDA run that fell back would report it.
  const ops = encoder.run.operators!;
  const fellBack: ProfileRun = {
    ...encoder.run,
    result: { ...encoder.run.result, requestedEp: 'cuda', fallbackReason: 'the CUDA provider could not be loaded (libcudnn.so.9: cannot open shared object file)' },
    operators: {
      ...ops,
      fallbackNodes: [{ node: ops.byNode[0]!.node, opType: ops.byNode[0]!.opType, provider: 'CPUExecutionProvider' }],
      memcpyNodes: [{ node: 'Memcpy_token_0', opType: 'MemcpyToHost', totalUs: 1234 }],
    },
  };
  const w = await openWebview();
  try {
    await w.send({ type: 'run', runFilePath: encoder.runFilePath, run: fellBack } satisfies ProfileToWebview);
    const warnings = w.page.locator('[data-testid="warnings"] li');
    assert.equal(await warnings.count(), 3);
    const text = (await warnings.allTextContents()).join('\n');
    assert.match(text, /Ran on CPU instead of CUDA: the CUDA provider could not be loaded/);
    assert.match(text, /1 node ran on another provider than CPU/);
    assert.match(text, /1 Memcpy node copies tensors between devices \(1\.23 ms/);
    assert.match((await w.page.locator('[data-testid="ep"]').textContent()) ?? '', /CPU \(requested CUDA\)/);
    await w.page.screenshot({ path: path.join(SHOTS, 'profile-fallback-dark.png'), fullPage: false });
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('an unreadable run file shows the error with its hint; junk messages are ignored', async () => {
  const w = await openWebview();
  try {
    for (const junk of [null, {}, { type: 'run' }, { type: 'run', runFilePath: 'x', run: { ...encoder.run, schemaVersion: 99 } }, { type: 'error', message: 1, hint: '' }]) await w.send(junk);
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="loading"]').count(), 1, 'still loading after junk');
    await w.send({ type: 'error', message: 'The run file /tmp/x.ilprof.json no longer exists.', hint: 'Profile the model again.' } satisfies ProfileToWebview);
    const box = w.page.locator('[data-testid="error"]');
    await box.waitFor();
    assert.match((await box.textContent()) ?? '', /no longer exists\..*Profile the model again\./);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});
