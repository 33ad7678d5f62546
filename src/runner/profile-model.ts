/**
 * Profile a model end to end — the one code path behind `inference-lens profile` and the
 * extension's "Profile Model…": run the ORT worker, break ORT's profile down per operator,
 * and save a `.ilprof.json` (atomically) next to ORT's raw profile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarizeModel } from '../core/onnx';
import { ortOpBreakdown, ortToChromeTrace } from '../core/results/ort-ops';
import type { OrtRunFile } from '../core/results/ort-run';
import { RUN_FILE_FORMAT, RUN_FILE_SCHEMA_VERSION, runFileName } from '../core/results/run-file';
import { profileWithOrt, type RunOptions } from './ort-client';
import type { OrtProfileRequest } from './ort-protocol';

export type { OrtRunFile } from '../core/results/ort-run';

export interface ProfileModelOptions extends RunOptions {
  /** Folder for the run file and ORT's raw profile (created when missing). */
  readonly outDir: string;
}

/** Writes `data` to `file` through a temporary file and a rename: readers never see a partial file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export async function profileModel(
  request: Omit<OrtProfileRequest, 'outDir'>,
  opts: ProfileModelOptions,
): Promise<{ run: OrtRunFile; runFilePath: string }> {
  fs.mkdirSync(opts.outDir, { recursive: true });
  const summary = await summarizeModel(request.modelPath, opts.signal ? { signal: opts.signal } : {});
  const result = await profileWithOrt({ ...request, outDir: opts.outDir }, opts);
  const now = new Date();
  // Named to the second: a second run of the same model within that second gets `-2`, `-3`, ….
  const base = runFileName(summary.file.name, now);
  let runFilePath = path.join(opts.outDir, base);
  for (let n = 2; fs.existsSync(runFilePath); n++) runFilePath = path.join(opts.outDir, base.replace(/\.ilprof\.json$/, `-${n}.ilprof.json`));
  let operators;
  let ortProfile: string | undefined;
  if (result.ortProfilePath) {
    // Keep ORT's raw JSON beside the run file, under a matching name.
    ortProfile = runFilePath.replace(/\.ilprof\.json$/, '.ort.json');
    fs.renameSync(result.ortProfilePath, ortProfile);
    operators = ortOpBreakdown(JSON.parse(fs.readFileSync(ortProfile, 'utf8')), result.ep);
  }
  const { modelPath: _m, ...settings } = request;
  void _m;
  const run: OrtRunFile = {
    format: RUN_FILE_FORMAT,
    schemaVersion: RUN_FILE_SCHEMA_VERSION,
    createdAt: now.toISOString(),
    model: {
      path: summary.file.path,
      name: summary.file.name,
      sizeBytes: summary.file.sizeBytes,
      producer: [summary.producer.name, summary.producer.version].filter(Boolean).join(' '),
      inputs: summary.inputs,
      outputs: summary.outputs,
    },
    settings,
    result: ortProfile ? { ...result, ortProfilePath: ortProfile } : result,
    ...(operators ? { operators } : {}),
    ...(ortProfile ? { ortProfile: path.basename(ortProfile) } : {}),
  };
  writeFileAtomic(runFilePath, JSON.stringify(run, null, 1));
  return { run, runFilePath };
}

/** Exports ORT's raw profile of a run as a Chrome trace JSON that opens in Perfetto. */
export function exportChromeTrace(run: OrtRunFile, runFilePath: string, out: string): void {
  if (!run.ortProfile) throw new Error('This run has no ORT profile (it was made with 0 profiled runs).');
  const events = JSON.parse(fs.readFileSync(path.join(path.dirname(runFilePath), run.ortProfile), 'utf8')) as unknown[];
  const trace = ortToChromeTrace(events, { model: run.model.name, ep: run.result.ep, createdAt: run.createdAt, tool: 'Inference Lens' });
  writeFileAtomic(out, JSON.stringify(trace));
}
