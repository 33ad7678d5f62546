/**
 * The `.ilprof.json` file: one profiling run, self-contained and documented, so it can be
 * opened later, compared, attached to an issue or gated on in CI.
 *
 *   {
 *     "format": "inference-lens-profile", "schemaVersion": 1,
 *     "createdAt": ISO time,
 *     "model":    { path, name, sizeBytes, producer, inputs, outputs },
 *     "settings": what was asked (provider, session options, dims, runs, decode),
 *     "result":   what was measured (OrtProfileResult: cold start, latency, throughput, memory,
 *                 decode metrics, machine),
 *     "operators": per-op-type and per-node breakdown from ORT's profiler (OrtOpBreakdown),
 *     "ortProfile": file name of ORT's raw profile JSON, kept next to this file
 *   }
 * Times in `result` are milliseconds; times in `operators` are microseconds (as ORT reports them).
 */
import type { IoSummary } from '../onnx/summary-types';
import type { OrtOpBreakdown } from './ort-ops';

export const RUN_FILE_FORMAT = 'inference-lens-profile';
export const RUN_FILE_SCHEMA_VERSION = 1;

export interface RunFile<Settings = unknown, Result = unknown> {
  readonly format: typeof RUN_FILE_FORMAT;
  readonly schemaVersion: typeof RUN_FILE_SCHEMA_VERSION;
  readonly createdAt: string;
  readonly model: {
    readonly path: string;
    readonly name: string;
    readonly sizeBytes: number;
    readonly producer: string;
    readonly inputs: readonly IoSummary[];
    readonly outputs: readonly IoSummary[];
  };
  readonly settings: Settings;
  readonly result: Result;
  readonly operators?: OrtOpBreakdown;
  readonly ortProfile?: string;
}

export class RunFileError extends Error {
  override readonly name = 'RunFileError';
}

/** Validates the envelope of a parsed `.ilprof.json` (the payload is checked by its readers). */
export function parseRunFile(text: string, file = '.ilprof.json'): RunFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(`${file} is not valid JSON (${(e as Error).message}).`);
  }
  const o = j as Partial<RunFile>;
  if (!o || typeof o !== 'object' || o.format !== RUN_FILE_FORMAT) throw new RunFileError(`${file} is not an Inference Lens profile (format "${RUN_FILE_FORMAT}").`);
  if (o.schemaVersion !== RUN_FILE_SCHEMA_VERSION) {
    throw new RunFileError(`${file} has schema version ${String(o.schemaVersion)}; this version of Inference Lens reads ${RUN_FILE_SCHEMA_VERSION}.`);
  }
  if (!o.model || typeof o.model.path !== 'string' || !o.result || !o.settings) throw new RunFileError(`${file} is missing model, settings or result.`);
  return o as RunFile;
}

/** A file name for a run: `<model>-<yyyymmdd-hhmmss>.ilprof.json`. */
export function runFileName(modelName: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `${modelName.replace(/\.onnx$/i, '').replace(/[^\w.-]+/g, '_')}-${stamp}.ilprof.json`;
}
