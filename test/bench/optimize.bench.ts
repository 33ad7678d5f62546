/**
 * Transformations on a ~200 MB transformer encoder (trained-like random weights): INT8 and FP16
 * time and peak RSS, each in its own process, against a plain read + write of the same model
 * (the writer alone) in the same run; and the INT8 model's CPU latency against float32's,
 * measured side by side (interleaved rounds, each in its own process, 2 intra-op threads).
 * Targets: peak RSS below the model's size (weights stream one tensor at a time); INT8 ≥ 1.5x
 * faster than float32 on CPU.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { transformerModel } from '../helpers/models';
import type { BenchRow } from './run';

const REPO = path.resolve(__dirname, '..', '..');
const CACHE = path.join(os.tmpdir(), 'inference-lens-bench');
const MiB = 2 ** 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchRow[]> {
  const out = path.join(REPO, 'out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(CACHE, { recursive: true });
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: ['onnxruntime-node'], logLevel: 'silent' as const };
  const worker = path.join(out, 'optimize-worker.js');
  await build({ ...common, entryPoints: [path.join(__dirname, 'optimize-worker.ts')], outfile: worker });
  await build({ ...common, entryPoints: [path.join(__dirname, 'ort-bare-worker.ts')], outfile: path.join(out, 'ort-bare-worker.js') });

  const hidden = 640;
  const src = path.join(CACHE, 'encoder-200mb-random.onnx');
  if (!fs.existsSync(src)) {
    fs.writeFileSync(`${src}.tmp`, transformerModel({ layers: 10, hidden, ffn: 4 * hidden, seed: 1 }).model);
    fs.renameSync(`${src}.tmp`, src);
  }
  const size = fs.statSync(src).size;
  execFileSync('cat', [src], { stdio: 'ignore', maxBuffer: 1 << 30 }); // warm the page cache for every mode alike
  const measure = (args: string[], runs: number) => {
    const s: { ms: number; maxRssBytes: number }[] = [];
    for (let i = 0; i < runs; i++) s.push(JSON.parse(execFileSync(process.execPath, [worker, ...args], { encoding: 'utf8' }).trim().split('\n').pop()!));
    return { ms: median(s.map((x) => x.ms)), rss: Math.max(...s.map((x) => x.maxRssBytes)) };
  };
  const dst = (n: string) => path.join(CACHE, n);
  const idle = measure(['idle'], 3);
  const copy = measure(['copy', src, dst('encoder-200mb.copy.onnx')], 3);
  const int8 = measure(['int8', src, dst('encoder-200mb.int8.onnx')], 3);
  const int8mmi = measure(['int8', src, dst('encoder-200mb.int8-mmi.onnx'), 'matmulinteger'], 1);
  const int8pc = measure(['int8', src, dst('encoder-200mb.int8-pc.onnx'), 'dynamic', 'true'], 1);
  const fp16 = measure(['fp16', src, dst('encoder-200mb.fp16.onnx')], 3);
  const rows: BenchRow[] = [];
  const mb = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
  const transformRow = (label: string, m: { ms: number; rss: number }, outFile: string): BenchRow => ({
    name: `${label}, ${mb(size)} encoder → ${mb(fs.statSync(outFile).size)}`,
    value: `${(m.ms / 1000).toFixed(2)} s, ${mb(m.rss)} peak RSS`,
    baseline: `read + write ${(copy.ms / 1000).toFixed(2)} s, ${mb(copy.rss)}`,
    ratio: `${(m.ms / copy.ms).toFixed(1)}x the time`,
    target: `RSS < ${mb(size)}`,
    pass: m.rss < size,
  });
  rows.push(transformRow('INT8 (dynamic, per-tensor)', int8, dst('encoder-200mb.int8.onnx')));
  rows.push(transformRow('FP16', fp16, dst('encoder-200mb.fp16.onnx')));

  // CPU latency, float32 vs INT8, interleaved; 2 intra-op threads (the machine's cores).
  const dims = [1, 128, hidden];
  const latency = (model: string) => JSON.parse(execFileSync(process.execPath, [path.join(out, 'ort-bare-worker.js'), model, JSON.stringify(dims), '30', '5', '2'], { encoding: 'utf8' })).p50 as number;
  const models = { f32: src, dyn: dst('encoder-200mb.int8.onnx'), mmi: dst('encoder-200mb.int8-mmi.onnx'), pc: dst('encoder-200mb.int8-pc.onnx'), f16: dst('encoder-200mb.fp16.onnx') };
  const lat: Record<keyof typeof models, number[]> = { f32: [], dyn: [], mmi: [], pc: [], f16: [] };
  const order = Object.keys(models) as (keyof typeof models)[];
  for (let round = 0; round < 4; round++) for (const k of round % 2 ? [...order].reverse() : order) lat[k].push(latency(models[k]));
  const base = median(lat.f32);
  const speedRow = (label: string, k: keyof typeof models, target: boolean): BenchRow => {
    const v = median(lat[k]);
    return {
      name: `CPU latency p50, ${label}, [${dims.join(',')}], 2 threads, 4 rounds × 30 runs`,
      value: `${v.toFixed(1)} ms`,
      baseline: `float32 ${base.toFixed(1)} ms`,
      ratio: `${(base / v).toFixed(2)}x faster`,
      target: target ? '≥1.5x' : 'info',
      pass: !target || base / v >= 1.5,
    };
  };
  rows.push(speedRow('INT8 dynamic per-tensor (default)', 'dyn', true));
  rows.push(speedRow('INT8 dynamic per-channel', 'pc', false));
  rows.push(speedRow('INT8 matmulinteger per-tensor', 'mmi', false));
  rows.push(speedRow('FP16 (CPU provider: few float16 kernels)', 'f16', false));
  rows.push({ name: 'INT8 matmulinteger / per-channel transform time', value: `${(int8mmi.ms / 1000).toFixed(2)} s / ${(int8pc.ms / 1000).toFixed(2)} s`, baseline: '', ratio: '', target: 'info', pass: true });
  rows.push({ name: 'process baseline (node, no work)', value: `${mb(idle.rss)} RSS`, baseline: '', ratio: '', target: 'info', pass: true });
  return rows;
}
