/**
 * `npm run bench`: every benchmark suite, printed as one table with each figure's ratio
 * against a baseline measured in the same run. Exit 1 when a target is missed.
 *   npm run bench -- summary     (only suites whose name contains "summary")
 */
import * as os from 'node:os';

export interface BenchRow {
  readonly name: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly pass: boolean;
}

const SUITES: Record<string, () => Promise<{ run: () => Promise<BenchRow[]> }>> = {
  'onnx-summary': () => import('./onnx-summary.bench'),
  'trace-import': () => import('./trace-import.bench'),
  'ort-profiler': () => import('./ort-profiler.bench'),
  timeline: () => import('./timeline'),
  graph: () => import('./graph.bench'),
  optimize: () => import('./optimize.bench'),
  'model-text': () => import('./model-text.bench'),
  insight: () => import('./insight.bench'),
  lint: () => import('./lint.bench'),
};

function printTable(rows: BenchRow[]): void {
  const head = ['benchmark', 'result', 'baseline (same run)', 'ratio', 'target', ''];
  const cells = [head, ...rows.map((r) => [r.name, r.value, r.baseline, r.ratio, r.target, r.pass ? 'ok' : 'MISSED'])];
  const w = head.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
  for (const r of cells.slice(1)) console.log(line(r));
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  const rows: BenchRow[] = [];
  for (const [name, load] of Object.entries(SUITES)) {
    if (filter && !name.includes(filter)) continue;
    process.stderr.write(`running ${name}...\n`);
    rows.push(...(await (await load()).run()));
  }
  printTable(rows);
  if (rows.some((r) => !r.pass)) process.exitCode = 1;
}

void main();
