/**
 * Show Model as Text and Compare Models on a big graph: a 1800-layer encoder (54k nodes, weights in
 * a sparse external file), each measurement in a fresh process. Baselines from the same run: the
 * lazy summary of the same model (what the model overview reads), and two summaries for the diff;
 * five interleaved rounds, medians.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { transformerModel } from '../helpers/models';
import type { BenchRow } from './run';

interface Sample {
  ms: number;
  maxRssBytes: number;
  nodes: number;
  chars: number;
}

const CACHE = path.join(os.tmpdir(), 'inference-lens-bench');
const MiB = 2 ** 20;

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

function ensureModel(name: string, layers: number): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, name);
  if (!fs.existsSync(file)) {
    const data = `${name}.data`;
    const { model, externalBytes } = transformerModel({ layers, hidden: 64, ffn: 256, external: data });
    const fd = fs.openSync(path.join(CACHE, data), 'w');
    fs.ftruncateSync(fd, externalBytes);
    fs.closeSync(fd);
    fs.writeFileSync(`${file}.tmp`, model);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

export async function run(): Promise<BenchRow[]> {
  const worker = path.join(CACHE, 'model-text-worker.js');
  fs.mkdirSync(CACHE, { recursive: true });
  await build({ entryPoints: [path.join(__dirname, 'model-text-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: worker, logLevel: 'silent' });
  const once = (args: string[]): Sample => JSON.parse(execFileSync(process.execPath, [worker, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop()!);
  const summarize = (samples: Sample[]): Sample => ({ ms: median(samples.map((x) => x.ms)), maxRssBytes: Math.max(...samples.map((x) => x.maxRssBytes)), nodes: samples[0]!.nodes, chars: samples[0]!.chars });
  const a = ensureModel('encoder-1800-layers.onnx', 1800);
  const b = ensureModel('encoder-1799-layers.onnx', 1799);
  for (const f of [a, b]) execFileSync('cat', [f], { stdio: 'ignore', maxBuffer: 1 << 30 });

  // Interleaved rounds, so a busy machine slows the measurement and its baseline alike.
  const runs: Record<'text' | 'summary' | 'diff' | 'two', Sample[]> = { text: [], summary: [], diff: [], two: [] };
  for (let i = 0; i < 5; i++) {
    runs.text.push(once(['text', a]));
    runs.summary.push(once(['summary', a]));
    runs.diff.push(once(['compare', a, b]));
    runs.two.push(once(['summary2', a, b]));
  }
  const [text, summary, diff, two] = [summarize(runs.text), summarize(runs.summary), summarize(runs.diff), summarize(runs.two)];
  // Relative to the summary (the machine is shared; absolute times swing with its load).
  const textTarget = { ratio: 4, rssMiB: 800 };
  return [
    {
      name: `model as text, ${text.nodes} nodes (${(fs.statSync(a).size / MiB).toFixed(0)} MiB graph) → ${(text.chars / MiB).toFixed(1)} M chars`,
      value: `${text.ms.toFixed(0)} ms, ${(text.maxRssBytes / MiB).toFixed(0)} MiB RSS`,
      baseline: `lazy summary ${summary.ms.toFixed(0)} ms, ${(summary.maxRssBytes / MiB).toFixed(0)} MiB RSS`,
      ratio: `${(text.ms / summary.ms).toFixed(1)}x the summary's time`,
      target: `≤${textTarget.ratio}x, ≤${textTarget.rssMiB} MiB`,
      pass: text.ms / summary.ms <= textTarget.ratio && text.maxRssBytes / MiB <= textTarget.rssMiB,
    },
    {
      name: `structural diff, ${diff.nodes} nodes in two models`,
      value: `${diff.ms.toFixed(0)} ms, ${(diff.maxRssBytes / MiB).toFixed(0)} MiB RSS`,
      baseline: `two lazy summaries ${two.ms.toFixed(0)} ms`,
      ratio: `${(diff.ms / two.ms).toFixed(2)}x`,
      target: '≤1.5x',
      pass: diff.ms / two.ms <= 1.5,
    },
  ];
}
