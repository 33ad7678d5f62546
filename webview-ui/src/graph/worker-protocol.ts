/** Messages between the graph view and its layout worker (./layout-worker.ts). */
import type { LayoutGraph, LayoutResult } from './layout';

export type ToLayoutWorker =
  /** The structure, once; the worker keeps it and its layout cache. */
  | { readonly type: 'init'; readonly graph: LayoutGraph }
  /** Lay out with these groups open; `flat` lays out every node in one dagre graph instead (the benchmark's baseline). */
  | { readonly type: 'layout'; readonly id: number; readonly expanded: Uint8Array; readonly flat?: boolean };

export type FromLayoutWorker =
  | { readonly type: 'ready'; readonly millis: number }
  | { readonly type: 'layout'; readonly id: number; readonly result: LayoutResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
