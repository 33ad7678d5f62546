/** Output names of transformed models (pure: no file system access). */
import * as path from 'node:path';
import type { TransformKind } from './types';

/**
 * The default output next to the source: `dir/model.onnx` → `dir/model.int8.onnx` (`.fp16`,
 * `.dims`, `.opt` for graph optimization). A name without `.onnx` gets the suffix appended.
 */
export function defaultOutputPath(src: string, kind: TransformKind): string {
  const dir = path.dirname(src);
  const base = path.basename(src);
  const stem = /\.onnx$/i.test(base) ? base.slice(0, -5) : base;
  const suffix = kind === 'graph' ? 'opt' : kind;
  return path.join(dir, `${stem}.${suffix}.onnx`);
}

/**
 * Like defaultOutputPath, but never an existing name: `model.int8.onnx`, then `model.int8-2.onnx`,
 * `model.int8-3.onnx`, ... `exists` is the caller's check (fs.existsSync on Node).
 */
export function uniqueOutputPath(src: string, kind: TransformKind, exists: (p: string) => boolean): string {
  const first = defaultOutputPath(src, kind);
  if (!exists(first) && !exists(externalDataPath(first))) return first;
  for (let n = 2; ; n++) {
    const p = first.replace(/\.onnx$/, `-${n}.onnx`);
    if (!exists(p) && !exists(externalDataPath(p))) return p;
  }
}

/** Where the writer puts external data for the model at `out`: `<out>.data`, next to it. */
export function externalDataPath(out: string): string {
  return `${out}.data`;
}
