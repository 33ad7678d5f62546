/**
 * The static memory plan against what ONNX Runtime's CPU arena actually holds at its peak (the
 * `mem_in_use_peak` of ORT's profile, recorded by src/runner as `operators.arenaPeakBytes`), for the
 * same model and dims, graph optimizations off so that both see the same graph. The plan counts
 * tensors only; ORT adds kernel workspaces (im2col, packed weights), arena rounding and its own
 * placement, so the arena is larger — the README documents the gap these runs measure.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeModel } from '../../src/core/insight';
import { readModel } from '../../src/core/onnx';
import { profileModel } from '../../src/runner/profile-model';
import { bundles } from '../helpers/bundles';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';
import { convNetModel, transformerModel } from '../helpers/models';

describe('memory plan vs ONNX Runtime arena peak', () => {
  const det = fixturePath(manifest.models.find((m) => m.id === 'ppocr-det')!.path);
  const cases: { name: string; bytes: () => Uint8Array; dims: Record<string, number> }[] = [
    { name: 'encoder 2×256', bytes: () => transformerModel({ layers: 2, hidden: 256, ffn: 1024 }).model, dims: { batch: 1, sequence: 512 } },
    { name: 'encoder 2×256', bytes: () => transformerModel({ layers: 2, hidden: 256, ffn: 1024 }).model, dims: { batch: 8, sequence: 128 } },
    { name: 'conv net', bytes: convNetModel, dims: { batch: 8, height: 224, width: 224 } },
    { name: 'ppocr-det', bytes: () => fs.readFileSync(det), dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320, 'p2o.DynamicDimension.2': 320 } },
  ];
  for (const c of cases) {
    test(`${c.name} ${JSON.stringify(c.dims)}: the arena peak is within 0.8×–4× of the planned activation peak`, async (t) => {
      const { worker } = await bundles();
      const dir = tmpDir('insight-arena');
      const file = path.join(dir, 'model.onnx');
      fs.writeFileSync(file, c.bytes());
      const plan = analyzeModel(await readModel(file)).memoryPlan(c.dims);
      assert.equal(plan.unknownTensors, 0);
      const r = await profileModel(
        {
          modelPath: file,
          ep: 'cpu',
          allowCpuFallback: false,
          session: { graphOptimizationLevel: 'disabled', enableCpuMemArena: true, intraOpNumThreads: 1 },
          dims: c.dims,
          warmupRuns: 0,
          timedRuns: 1,
          profiledRuns: 1,
          decode: 'off',
        },
        { workerPath: worker, outDir: path.join(dir, 'runs') },
      );
      const arena = r.run.operators?.arenaPeakBytes ?? 0;
      const ratio = arena / plan.peakActivationBytes;
      t.diagnostic(`${c.name} ${JSON.stringify(c.dims)}: plan ${plan.peakActivationBytes} B at ${plan.peakAtNodeName}, ORT arena ${arena} B at ${r.run.operators?.arenaPeakNode}: ×${ratio.toFixed(2)}`);
      assert.ok(arena > 0, 'ORT reported an arena peak');
      assert.ok(ratio >= 0.8 && ratio <= 4, `arena/plan = ${ratio.toFixed(2)}`);
    });
  }
});
