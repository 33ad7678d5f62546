/**
 * Compare two models end to end — the one code path behind `inference-lens compare`, `optimize
 * --verify` and the editor's Apply / "Compare With…": the numerical check on the same inputs (in
 * the ORT worker), optionally a profile of each with the same settings and the before/after
 * comparison, saved as a `.ilcmp.json` (atomically) next to the run files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareRuns } from '../core/compare/compare-runs';
import { COMPARISON_FILE_FORMAT, COMPARISON_SCHEMA_VERSION, comparisonFileName, modelRef, type ComparisonFile, type TransformInfo } from '../core/compare/comparison';
import { compareModels as diffModels, readModel, summarize } from '../core/onnx';
import type { OrtRunFile } from '../core/results/ort-run';
import { alignDims } from '../core/verify/inputs';
import type { VerifyRequest } from '../core/verify/types';
import { verifyWithOrt, type RunOptions } from './ort-client';
import type { FromWorker, OrtProfileRequest } from './ort-protocol';
import { profileModel, writeFileAtomic } from './profile-model';

export interface CompareModelsRequest {
  /** The reference (original) model. */
  readonly modelA: string;
  readonly modelB: string;
  /** Provider, session options, dims and input files for both the check and the profiles. */
  readonly verify: Omit<VerifyRequest, 'modelA' | 'modelB'>;
  /** Profile both with these settings (the model path and dims come from here); absent: the numerical check only. */
  readonly profile?: Omit<OrtProfileRequest, 'outDir' | 'modelPath' | 'ep' | 'allowCpuFallback' | 'session' | 'dims' | 'inputFiles'>;
  readonly transform?: TransformInfo;
}

export type CompareStep = 'verify' | 'profile-a' | 'profile-b';

export interface CompareModelsOptions extends Omit<RunOptions, 'onProgress'> {
  /** Folder for the comparison file and the run files (created when missing). */
  readonly outDir: string;
  readonly onStep?: (step: CompareStep) => void;
  /** Profiling progress of the current model. */
  readonly onProgress?: (p: Extract<FromWorker, { type: 'progress' }>) => void;
}

export interface ComparedModels {
  readonly file: ComparisonFile;
  readonly filePath: string;
  readonly runs?: { readonly a: OrtRunFile; readonly b: OrtRunFile; readonly aPath: string; readonly bPath: string };
}

export async function compareModels(req: CompareModelsRequest, opts: CompareModelsOptions): Promise<ComparedModels> {
  fs.mkdirSync(opts.outDir, { recursive: true });
  const signal = opts.signal ? { signal: opts.signal } : {};
  const [ma, mb] = [await readModel(req.modelA, signal), await readModel(req.modelB, signal)];
  const [sa, sb] = [summarize(ma), summarize(mb)];
  const structure = diffModels(ma, mb, { a: sa, b: sb });
  const worker = { workerPath: opts.workerPath, ...signal, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) };
  opts.onStep?.('verify');
  const verify = await verifyWithOrt({ ...req.verify, modelA: req.modelA, modelB: req.modelB }, worker);

  let runs: ComparedModels['runs'];
  if (req.profile) {
    const dims = alignDims(sa.inputs, sb.inputs, req.verify.dims);
    const base: Omit<OrtProfileRequest, 'outDir' | 'modelPath'> = {
      ...req.profile,
      ep: req.verify.ep,
      allowCpuFallback: req.verify.allowCpuFallback,
      session: req.verify.session,
      dims,
      ...(req.verify.inputFiles?.length ? { inputFiles: req.verify.inputFiles } : {}),
    };
    const popts = { ...worker, outDir: opts.outDir, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
    opts.onStep?.('profile-a');
    const a = await profileModel({ ...base, modelPath: req.modelA }, popts);
    opts.onStep?.('profile-b');
    const b = await profileModel({ ...base, modelPath: req.modelB }, popts);
    runs = { a: a.run, b: b.run, aPath: a.runFilePath, bPath: b.runFilePath };
  }
  const now = new Date();
  const file: ComparisonFile = {
    format: COMPARISON_FILE_FORMAT,
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    createdAt: now.toISOString(),
    a: modelRef(structure.a),
    b: modelRef(structure.b),
    ...(req.transform ? { transform: req.transform } : {}),
    structure,
    verify,
    ...(runs
      ? {
          runs: { a: path.relative(opts.outDir, runs.aPath), b: path.relative(opts.outDir, runs.bPath) },
          comparison: compareRuns(runs.a, runs.b, { sizes: { a: structure.a.totalBytes, b: structure.b.totalBytes } }),
        }
      : {}),
  };
  const name = comparisonFileName(structure.a.name, structure.b.name, now);
  let filePath = path.join(opts.outDir, name);
  for (let n = 2; fs.existsSync(filePath); n++) filePath = path.join(opts.outDir, name.replace(/\.ilcmp\.json$/, `-${n}.ilcmp.json`));
  writeFileAtomic(filePath, JSON.stringify(file, null, 1));
  return { file, filePath, ...(runs ? { runs } : {}) };
}
