/**
 * Starts the layout worker the way VS Code webviews allow: the script is fetched from the webview's
 * resource origin and run from a blob: URL (the page's CSP has `worker-src blob:` and
 * `connect-src` for that origin). The graph view starts it as soon as the Graph tab opens, so it is
 * running by the time the graph arrives. Requests are answered in order; a caller that asks again
 * before an answer arrives just ignores the stale one.
 */
import type { LayoutGraph, LayoutResult } from './layout';
import type { FromLayoutWorker, ToLayoutWorker } from './worker-protocol';

export class LayoutWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: LayoutResult): void; reject(e: Error): void }>();
  private failed: Error | undefined;
  private ready: { resolve(ms: number): void; reject(e: Error): void } | undefined;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<FromLayoutWorker>) => {
      const m = e.data;
      if (m.type === 'ready') {
        this.ready?.resolve(m.millis);
        this.ready = undefined;
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'layout') p?.resolve(m.result);
      else p?.reject(new Error(m.message));
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.failed = new Error(`The layout worker failed: ${e.message || 'unknown error'}`);
      this.ready?.reject(this.failed);
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
    };
  }

  /** Fetches the worker script and starts it from a blob: URL. */
  static async start(scriptUrl: string): Promise<LayoutWorker> {
    let text: string;
    try {
      const res = await fetch(scriptUrl);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (e) {
      throw new Error(`Could not load the layout worker script (${e instanceof Error ? e.message : String(e)}).`);
    }
    const url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    try {
      return new LayoutWorker(new Worker(url, { name: 'graph-layout' }));
    } catch (e) {
      throw new Error(`Could not start the layout worker (${e instanceof Error ? e.message : String(e)}).`);
    } finally {
      // The worker has read its script once it runs; the URL is not needed after construction.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }
  }

  /** Gives the worker a graph (replacing the previous one and its layout cache); resolves with the worker's set-up time. */
  init(graph: LayoutGraph): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.ready = { resolve, reject };
      this.post({ type: 'init', graph });
    });
  }

  private post(m: ToLayoutWorker): void {
    this.worker.postMessage(m);
  }

  layout(expanded: Uint8Array, flat = false): Promise<LayoutResult> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'layout', id, expanded: expanded.slice(), ...(flat ? { flat } : {}) });
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('The graph view was closed.'));
    this.pending.clear();
  }
}
