/**
 * Model insight speed on a big graph: a 400-layer encoder (12,001 nodes, 18.8 GiB of external
 * weights in a sparse file that is never read), analyzed (shapes, costs, scopes, memory plan) against
 * the lazy read of the same file in the same run. Medians of 3, in this process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeModel } from '../../src/core/insight';
import { readModel } from '../../src/core/onnx';
import { transformerModel } from '../helpers/models';
import type { BenchRow } from './run';

const CACHE = path.join(os.tmpdir(), 'inference-lens-bench');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ensureModel(): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, 'insight-encoder-400.onnx');
  if (!fs.existsSync(file)) {
    const { model, externalBytes } = transformerModel({ layers: 400, hidden: 1024, ffn: 4096, external: 'insight-encoder-400.bin' });
    const fd = fs.openSync(path.join(CACHE, 'insight-encoder-400.bin'), 'w');
    fs.ftruncateSync(fd, externalBytes);
    fs.closeSync(fd);
    fs.writeFileSync(`${file}.tmp`, model);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

export async function run(): Promise<BenchRow[]> {
  const file = ensureModel();
  const read: number[] = [];
  const analyze: number[] = [];
  let nodes = 0;
  let coverage = 0;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const model = await readModel(file);
    const t1 = performance.now();
    const ins = analyzeModel(model, { dims: { batch: 8, sequence: 512 } });
    ins.memoryPlan({ batch: 32, sequence: 2048 });
    const t2 = performance.now();
    read.push(t1 - t0);
    analyze.push(t2 - t1);
    nodes = model.graph.nodes.length;
    coverage = ins.coverage.ratio;
  }
  const a = median(analyze);
  const r = median(read);
  const ratio = a / r;
  return [
    {
      name: `insight: ${nodes} nodes, coverage ${(coverage * 100).toFixed(0)}%`,
      value: `${a.toFixed(0)} ms (${((a * 1000) / nodes).toFixed(0)} µs/node)`,
      baseline: `lazy read ${r.toFixed(0)} ms`,
      ratio: `${ratio.toFixed(1)}x`,
      target: '≤ 8x the read',
      pass: ratio <= 8 && coverage === 1,
    },
  ];
}
