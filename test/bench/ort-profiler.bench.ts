/**
 * The profiler's own latency figure against a bare onnxruntime-node loop with the same session
 * options, measured side by side in one run (interleaved rounds, each in its own process).
 * Target: the profiler's median within ±3% of the bare loop's.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { profileWithOrt } from '../../src/runner/ort-client';
import { transformerModel } from '../helpers/models';
import type { BenchRow } from './run';

const REPO = path.resolve(__dirname, '..', '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchRow[]> {
  // Bundles live under the repo so they resolve onnxruntime-node from node_modules.
  const out = path.join(REPO, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: ['onnxruntime-node'], logLevel: 'silent' as const };
  await build({ ...common, entryPoints: [path.join(REPO, 'src/runner/ort-worker.ts')], outfile: path.join(out, 'ort-worker.js') });
  await build({ ...common, entryPoints: [path.join(__dirname, 'ort-bare-worker.ts')], outfile: path.join(out, 'ort-bare-worker.js') });
  const model = path.join(os.tmpdir(), 'inference-lens-bench', 'encoder-profiler.onnx');
  fs.mkdirSync(path.dirname(model), { recursive: true });
  if (!fs.existsSync(model)) fs.writeFileSync(model, transformerModel({ layers: 4, hidden: 256, ffn: 1024 }).model);

  const dims = { batch: 1, sequence: 64 };
  // One intra-op thread: on a 2-core machine two threads make the figure depend on whatever else runs.
  const threads = 1;
  const runs = 300;
  const ours: number[] = [];
  const bare: number[] = [];
  const runOurs = async () => {
    const r = await profileWithOrt(
      {
        modelPath: model,
        ep: 'cpu',
        allowCpuFallback: false,
        session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: threads },
        dims,
        warmupRuns: 20,
        timedRuns: runs,
        profiledRuns: 0,
        outDir: out,
        decode: 'off',
      },
      { workerPath: path.join(out, 'ort-worker.js') },
    );
    ours.push(r.latencyMs.p50);
  };
  const runBare = () => {
    const b = JSON.parse(execFileSync(process.execPath, [path.join(out, 'ort-bare-worker.js'), model, JSON.stringify([1, 64, 256]), String(runs), '20', String(threads)], { encoding: 'utf8' }));
    bare.push(b.p50);
  };
  // Alternate which goes first, so a drift in machine load does not favour either.
  for (let round = 0; round < 6; round++) {
    if (round % 2 === 0) {
      await runOurs();
      runBare();
    } else {
      runBare();
      await runOurs();
    }
  }
  const a = median(ours);
  const b = median(bare);
  const diff = (a / b - 1) * 100;
  return [
    {
      name: `ORT profiler median latency, 4-layer encoder [1,64,256], CPU ${threads} threads, ${runs} runs × 6 rounds`,
      value: `${a.toFixed(3)} ms`,
      baseline: `bare onnxruntime-node loop ${b.toFixed(3)} ms`,
      ratio: `${diff >= 0 ? '+' : ''}${diff.toFixed(2)}%`,
      target: 'within ±3%',
      pass: Math.abs(diff) <= 3,
    },
  ];
}
