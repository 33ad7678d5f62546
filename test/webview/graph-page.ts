/**
 * Helpers the graph view's webview tests and its benchmark share: the graph message as the
 * extension builds it (the real reader, builder and insight analysis over a model file), sent to
 * the model editor's page with its typed arrays intact (page.evaluate cannot carry typed arrays, so
 * they travel as base64 and are rebuilt in the page before `window.postMessage`, as VS Code
 * delivers them), and the view's debug hook.
 */
import type { Page } from 'playwright-core';
import { buildModelGraph } from '../../src/core/graph/build';
import { analyzeModel } from '../../src/core/insight';
import { defaultForDim } from '../../src/core/inputs/synthesize';
import { parseModelBuffer } from '../../src/core/onnx';
import type { ExtensionToWebview } from '../../src/protocol/messages';
import type { GraphDebug } from '../../webview-ui/src/graph/view';

/** The graph message for a model, built as the extension builds it (dims of symbolic inputs from their defaults). */
export function graphMessage(bytes: Uint8Array, extra: Partial<Extract<ExtensionToWebview, { type: 'graph' }>> = {}): Extract<ExtensionToWebview, { type: 'graph' }> {
  const model = parseModelBuffer(bytes, 'model.onnx');
  const dims: Record<string, number> = {};
  for (const input of model.graph.inputs) {
    if (input.type.kind !== 'tensor') continue;
    for (const d of input.type.shape ?? []) if (d.kind === 'param') dims[d.param] = defaultForDim(d.param).value;
  }
  const insight = analyzeModel(model, { dims });
  const built = buildModelGraph(model, { insight });
  return { type: 'graph', graph: built.graph, ...(built.cost ? { cost: built.cost } : {}), ...extra };
}

/** Typed arrays → `{ __typed, b64 }` (and back in the page). */
function encode(x: unknown): unknown {
  if (ArrayBuffer.isView(x)) {
    const b = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    return { __typed: x.constructor.name, b64: b.toString('base64') };
  }
  if (Array.isArray(x)) return x.map(encode);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, encode(v)]));
  return x;
}

/** Runs in the page (a string, so tsx's helpers never end up in it). */
const DECODE = `(function decode(x) {
  if (Array.isArray(x)) return x.map(decode);
  if (x && typeof x === 'object') {
    if (typeof x.__typed === 'string') {
      const bin = atob(x.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new globalThis[x.__typed](bytes.buffer);
    }
    const out = {};
    for (const k of Object.keys(x)) out[k] = decode(x[k]);
    return out;
  }
  return x;
})`;

/** Posts `message` to the page as the extension does, typed arrays included. Resolves once posted. */
export async function sendTyped(page: Page, message: unknown): Promise<void> {
  await page.evaluate(`window.postMessage(${DECODE}(${JSON.stringify(encode(message))}), '*')`);
}

/** Evaluates `fn` against the graph view's debug hook in the page. */
export function graphDebug<T>(page: Page, fn: string): Promise<T> {
  return page.evaluate(`(async () => { const g = window.__graphView; return (${fn})(g); })()`) as Promise<T>;
}

/** Waits until the graph view has drawn its first layout; returns its timings. */
export async function waitGraphReady(page: Page, timeoutMs = 60_000): Promise<NonNullable<GraphDebug['timings']>> {
  // Polled from here: waitForFunction with a string would need eval, which the page's CSP forbids.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await page.evaluate('(() => { const g = window.__graphView; return g ? { ready: g.ready, frames: g.frames, error: document.querySelector(\'[data-testid="graph-error"]\')?.textContent ?? null } : null; })()')) as { ready: boolean; frames: number; error: string | null } | null;
    if (state?.error) throw new Error(`the graph view shows an error: ${state.error}`);
    if (state?.ready && state.frames > 0) break;
    if (Date.now() > deadline) throw new Error(`the graph view was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return graphDebug(page, '(g) => g.timings');
}

export async function graphIdle(page: Page): Promise<void> {
  await graphDebug(page, '(g) => g.idle()');
}
