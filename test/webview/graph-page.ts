/**
 * Helpers the graph view's webview tests and its benchmark share: the graph message as the
 * extension builds it (the real reader, builder and insight analysis over a model file), sent to
 * the model editor's page with its typed arrays intact (page.evaluate cannot carry typed arrays, so
 * they travel as base64 and are rebuilt in the page before `window.postMessage`, as VS Code
 * delivers them), and the view's debug hook.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { buildModelGraph } from '../../src/core/graph/build';
import { analyzeModel } from '../../src/core/insight';
import { defaultForDim } from '../../src/core/inputs/synthesize';
import { parseModelBuffer } from '../../src/core/onnx';
import type { ExtensionToWebview } from '../../src/protocol/messages';
import type { ModelGraph } from '../../src/core/graph/types';
import type { LayoutResult } from '../../webview-ui/src/graph/layout';
import type { GraphDebug, GraphSnapshot } from '../../webview-ui/src/graph/view';

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

// ---- what the layout must be, computed here from the graph ----

/** Parent group item of each item, as the graph says (nodes: their group; groups: their parent). */
function parentItem(g: ModelGraph, item: number): number {
  const N = g.nodes.count;
  const p = item < N ? g.nodes.group[item]! : g.groups.parent[item - N]!;
  return p < 0 ? -1 : N + p;
}

/** Producer → consumer pairs of the model's values, with the value. */
function nodeEdges(g: ModelGraph): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < g.nodes.count; i++) {
    for (let k = g.nodes.inputStart[i]!; k < g.nodes.inputStart[i + 1]!; k++) {
      const v = g.nodes.inputs[k]!;
      const p = v >= 0 ? g.values.producer[v]! : -1;
      if (p >= 0 && p !== i) out.push([p, i, v]);
    }
  }
  return out;
}

/** Nodes whose name, op type or an input/output value name contains `text`, counted here. */
export function expectedMatches(g: ModelGraph, text: string): number {
  const q = text.toLowerCase();
  const has = (i: number): boolean => g.strings[i]!.toLowerCase().includes(q);
  let n = 0;
  for (let i = 0; i < g.nodes.count; i++) {
    const values = [...g.nodes.inputs.subarray(g.nodes.inputStart[i]!, g.nodes.inputStart[i + 1]!), ...g.nodes.outputs.subarray(g.nodes.outputStart[i]!, g.nodes.outputStart[i + 1]!)];
    if (has(g.nodes.name[i]!) || has(g.nodes.op[i]!) || values.some((v) => v >= 0 && has(g.values.name[v]!))) n++;
  }
  return n;
}

function distToRect(x: number, y: number, r: { x: number; y: number; w: number; h: number }): number {
  const dx = Math.max(r.x - x, 0, x - (r.x + r.w));
  const dy = Math.max(r.y - y, 0, y - (r.y + r.h));
  return Math.hypot(dx, dy);
}

/**
 * The checks every layout must pass: each visible item inside its parent group's box, siblings not
 * overlapping, and exactly one edge per pair of visible boxes that some value connects (values
 * inside a collapsed group hidden), starting at the producer's box and ending at the consumer's.
 */
export function assertLayout(g: ModelGraph, s: GraphSnapshot): void {
  const byId = new Map(s.items.map((it) => [it.id, it]));
  const root = g.nodes.count;
  assert.ok(byId.has(root), 'the root is laid out');
  const children = new Map<number, GraphSnapshot['items']>();
  for (const it of s.items) {
    if (it.id === root) continue;
    const p = parentItem(g, it.id);
    assert.equal(it.parent, p - g.nodes.count, `parent of ${it.title}`);
    const parent = byId.get(p);
    assert.ok(parent && parent.open, `the group holding ${it.title} is shown open`);
    assert.ok(it.x >= parent.x - 0.5 && it.y >= parent.y - 0.5 && it.x + it.w <= parent.x + parent.w + 0.5 && it.y + it.h <= parent.y + parent.h + 0.5, `${it.title} lies inside ${parent.title}`);
    const list = children.get(p) ?? [];
    list.push(it);
    children.set(p, list);
  }
  for (const [p, list] of children) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const i = list[a]!;
        const j = list[b]!;
        const overlap = i.x < j.x + j.w && j.x < i.x + i.w && i.y < j.y + j.h && j.y < i.y + i.h;
        assert.ok(!overlap, `${i.title} and ${j.title} overlap in ${byId.get(p)!.title}`);
      }
    }
  }
  // Expected edges between visible boxes: each end at its first visible ancestor-or-self.
  const rep = (item: number): number => {
    for (let x = item; x >= 0; x = parentItem(g, x)) if (byId.has(x)) return x;
    return -1;
  };
  const expected = new Map<string, Set<number>>();
  for (const [u, w, v] of nodeEdges(g)) {
    const a = rep(u);
    const b = rep(w);
    if (a === b) continue;
    const key = `${a}>${b}`;
    const values = expected.get(key) ?? new Set();
    values.add(v);
    expected.set(key, values);
  }
  const drawn = new Map(s.edges.map((e) => [`${e.from}>${e.to}`, e]));
  assert.equal(drawn.size, s.edges.length, 'one edge per pair of boxes');
  assert.deepEqual([...drawn.keys()].sort(), [...expected.keys()].sort(), 'edges connect exactly the boxes the values connect');
  for (const [key, e] of drawn) {
    assert.equal(e.count, expected.get(key)!.size, `values on ${key}`);
    assert.ok(e.points.length >= 4, `${key} has a route`);
    const from = byId.get(e.from)!;
    const to = byId.get(e.to)!;
    const [x0, y0] = [e.points[0]!, e.points[1]!];
    const [x1, y1] = [e.points[e.points.length - 2]!, e.points[e.points.length - 1]!];
    assert.ok(distToRect(x0, y0, from) <= 3, `${key} starts at ${from.title} (${x0.toFixed(1)},${y0.toFixed(1)} vs ${JSON.stringify(from)})`);
    assert.ok(distToRect(x1, y1, to) <= 3, `${key} ends at ${to.title}`);
  }
}


/** A layout computed in Node, in the shape the page's snapshot has (for the same checks). */
export function snapshotOf(g: ModelGraph, r: LayoutResult): GraphSnapshot {
  const N = g.nodes.count;
  return {
    items: [...r.items].map((id, k) => ({
      id,
      group: id >= N,
      open: r.open[k] === 1,
      title: id >= N ? g.strings[g.groups.label[id - N]!]! : g.strings[g.nodes.op[id]!]!,
      name: id >= N ? g.strings[g.groups.path[id - N]!]! : g.strings[g.nodes.name[id]!]!,
      x: r.x[k]!,
      y: r.y[k]!,
      w: r.w[k]!,
      h: r.h[k]!,
      parent: id >= N ? g.groups.parent[id - N]! : g.nodes.group[id]!,
    })),
    edges: [...r.edgeFrom].map((from, e) => ({ from, to: r.edgeTo[e]!, count: r.edgeCount[e]!, points: [...r.points.subarray(2 * r.pointStart[e]!, 2 * r.pointStart[e + 1]!)] })),
  };
}
