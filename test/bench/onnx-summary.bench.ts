/**
 * Model summary speed and memory: the lazy reader against a full protobuf decode of the same
 * file (protobufjs via onnx-proto, plus loading external data as onnx.load does), measured in
 * the same run, each measurement in a fresh process so peak RSS is its own.
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
}

const CACHE = path.join(os.tmpdir(), 'inference-lens-bench');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ensureModel(name: string, make: () => { model: Uint8Array; externalBytes: number }, external?: string): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, name);
  if (!fs.existsSync(file)) {
    const { model, externalBytes } = make();
    if (external) {
      // Sparse: the bytes are never needed by the lazy reader; the full load reads zeros.
      const fd = fs.openSync(path.join(CACHE, external), 'w');
      fs.ftruncateSync(fd, externalBytes);
      fs.closeSync(fd);
    }
    fs.writeFileSync(`${file}.tmp`, model);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

export async function run(): Promise<BenchRow[]> {
  const worker = path.join(CACHE, 'summary-worker.js');
  fs.mkdirSync(CACHE, { recursive: true });
  await build({
    entryPoints: [path.join(__dirname, 'summary-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: worker,
    logLevel: 'silent',
  });
  const measure = (mode: string, file: string, runs: number): Sample => {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, [worker, mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      samples.push(JSON.parse(out.trim().split('\n').pop()!));
    }
    return { ms: median(samples.map((s) => s.ms)), maxRssBytes: Math.max(...samples.map((s) => s.maxRssBytes)), nodes: samples[0]!.nodes };
  };

  const models = [
    {
      label: 'summary, ~200 MB model (inline weights)',
      file: ensureModel('encoder-200mb.onnx', () => transformerModel({ layers: 10, hidden: 640, ffn: 2560 })),
      targetMs: 100,
      fullRuns: 3,
    },
    {
      label: 'summary, >2 GB model (external data)',
      file: ensureModel('encoder-2gb.onnx', () => transformerModel({ layers: 12, hidden: 2048, ffn: 8192, external: 'encoder-2gb.onnx.data' }), 'encoder-2gb.onnx.data'),
      targetMs: 300,
      fullRuns: 1,
    },
  ];
  const idle = measure('idle', '', 3);
  const rows: BenchRow[] = [];
  for (const m of models) {
    const size = fs.statSync(m.file).size + (fs.existsSync(`${m.file}.data`) ? fs.statSync(`${m.file}.data`).size : 0);
    // Warm the page cache for both approaches alike.
    execFileSync('cat', [m.file], { stdio: 'ignore', maxBuffer: 1 << 30 });
    const lazy = measure('lazy', m.file, 5);
    const full = measure('full', m.file, m.fullRuns);
    if (lazy.nodes < full.nodes) throw new Error(`lazy read ${lazy.nodes} nodes, full decode ${full.nodes}`);
    const speedup = full.ms / lazy.ms;
    const memRatio = full.maxRssBytes / lazy.maxRssBytes;
    rows.push({
      name: `${m.label} [${(size / 2 ** 20).toFixed(0)} MiB total, ${lazy.nodes} nodes]`,
      value: `${lazy.ms.toFixed(1)} ms, ${(lazy.maxRssBytes / 2 ** 20).toFixed(0)} MiB RSS`,
      baseline: `full decode ${full.ms.toFixed(1)} ms, ${(full.maxRssBytes / 2 ** 20).toFixed(0)} MiB RSS`,
      ratio: `${speedup.toFixed(1)}x faster, ${memRatio.toFixed(1)}x less memory`,
      target: `≤${m.targetMs} ms, ≥5x, ≥3x`,
      pass: lazy.ms <= m.targetMs && speedup >= 5 && memRatio >= 3,
    });
  }
  rows.push({
    name: 'process baseline (node, no work)',
    value: `${(idle.maxRssBytes / 2 ** 20).toFixed(0)} MiB RSS`,
    baseline: '',
    ratio: '',
    target: 'info',
    pass: true,
  });
  return rows;
}
