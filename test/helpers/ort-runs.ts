/**
 * Real ONNX Runtime runs for the browser tiers: a transformer encoder built by the tests, profiled
 * by `profileModel` through the bundled ORT worker (CPU, one thread), and ORT's raw profile imported
 * into a Profile as the panel imports it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Profile } from '../../src/core/profile/types';
import { importTraceFile } from '../../src/core/trace';
import { profileModel, type OrtRunFile } from '../../src/runner/profile-model';
import { bundles } from './bundles';
import { tmpDir } from './fixtures';
import { transformerModel } from './models';

export interface EncoderRun {
  readonly run: OrtRunFile;
  readonly runFilePath: string;
  /** ORT's raw profile of the run, imported. */
  readonly profile: Profile;
}

export async function profiledEncoder(o: {
  readonly hidden: number;
  readonly ffn: number;
  readonly sequence: number;
  readonly timedRuns: number;
  readonly profiledRuns: number;
}): Promise<EncoderRun> {
  const { worker } = await bundles();
  const dir = tmpDir('encoder-run');
  const model = path.join(dir, 'encoder.onnx');
  fs.writeFileSync(model, transformerModel({ layers: 2, hidden: o.hidden, ffn: o.ffn }).model);
  const r = await profileModel(
    {
      modelPath: model,
      ep: 'cpu',
      allowCpuFallback: false,
      session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 },
      dims: { batch: 1, sequence: o.sequence },
      warmupRuns: 1,
      timedRuns: o.timedRuns,
      profiledRuns: o.profiledRuns,
      decode: 'off',
    },
    { workerPath: worker, outDir: path.join(dir, 'runs') },
  );
  return { ...r, profile: await importTraceFile(path.join(dir, 'runs', r.run.ortProfile!)) };
}
