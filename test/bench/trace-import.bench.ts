/**
 * Trace import time and peak RSS against plain `JSON.parse` of the same file, measured in the same
 * run, each in a fresh process: the largest fixture (35 MB of JSON) and a ~1 GB trace written here
 * by repeating its events (shifted in time). JSON.parse gets the 1 GB file only where the text fits
 * in one V8 string; otherwise the baseline row says so.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { importTraceFile } from '../../src/core/trace';
import type { BenchRow } from './run';

const CACHE = path.join(os.tmpdir(), 'inference-lens-bench');
const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'traces', 'kineto-resnet50-v100-memory.pt.trace.json.gz');
const WORKER_ENV = 'INFERENCE_LENS_TRACE_BENCH';

interface Sample {
  ms: number;
  maxRssBytes: number;
  events: number;
  error?: string;
}

/** In the worker process: one measurement, printed as JSON. */
async function worker(mode: string, file: string): Promise<void> {
  const t0 = performance.now();
  let events = 0;
  let error: string | undefined;
  try {
    if (mode === 'import') events = (await importTraceFile(file)).source.eventCount;
    else if (mode === 'json-parse') {
      const buf = fs.readFileSync(file);
      const text = (buf[0] === 0x1f ? zlib.gunzipSync(buf) : buf).toString('utf8');
      events = (JSON.parse(text) as { traceEvents: unknown[] }).traceEvents.length;
    }
  } catch (e) {
    error = (e as Error).message;
  }
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, events, error })}\n`);
}

/** Writes a ~`bytes` trace by repeating the fixture's events, each copy shifted past the previous one. */
function ensureBigTrace(bytes: number): string {
  const file = path.join(CACHE, `trace-${Math.round(bytes / 2 ** 20)}mib.json`);
  if (fs.existsSync(file)) return file;
  const doc = JSON.parse(zlib.gunzipSync(fs.readFileSync(FIXTURE)).toString()) as { traceEvents: { ph: string; ts: number; dur?: number; id?: number; args?: Record<string, unknown> }[] };
  const { traceEvents, ...fields } = doc;
  const span = Math.max(...traceEvents.map((e) => e.ts + (e.dur ?? 0))) - Math.min(...traceEvents.map((e) => e.ts)) + 1000;
  const fd = fs.openSync(`${file}.tmp`, 'w');
  fs.writeSync(fd, `${JSON.stringify(fields).slice(0, -1)},"traceEvents":[\n`);
  let written = 0;
  let first = true;
  for (let copy = 0; written < bytes; copy++) {
    const parts: string[] = [];
    for (const e of traceEvents) {
      if (e.ph === 'M' && copy > 0) continue;
      const c = { ...e, ts: e.ts + copy * span };
      if (typeof c.id === 'number') c.id += copy * 1e7;
      if (c.args && typeof c.args.correlation === 'number') c.args = { ...c.args, correlation: c.args.correlation + copy * 1e7 };
      parts.push(JSON.stringify(c));
    }
    const chunk = (first ? '' : ',\n') + parts.join(',\n');
    first = false;
    written += fs.writeSync(fd, chunk);
  }
  fs.writeSync(fd, '\n]}\n');
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

export async function run(): Promise<BenchRow[]> {
  fs.mkdirSync(CACHE, { recursive: true });
  const bundle = path.join(CACHE, 'trace-import-bench.js');
  // Loaded here, not at the top: the bundled worker never needs esbuild.
  const { build } = await import('esbuild');
  await build({ entryPoints: [__filename], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'silent', external: ['esbuild'] });
  const measure = (mode: string, file: string, runs: number): Sample => {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, ['--max-old-space-size=16384', bundle], { encoding: 'utf8', env: { ...process.env, [WORKER_ENV]: `${mode}\n${file}` }, maxBuffer: 1 << 20 });
      samples.push(JSON.parse(out.trim().split('\n').pop()!));
    }
    samples.sort((a, b) => a.ms - b.ms);
    return { ...samples[Math.floor(samples.length / 2)]!, maxRssBytes: Math.max(...samples.map((s) => s.maxRssBytes)) };
  };
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rows: BenchRow[] = [];
  const plain = path.join(CACHE, 'kineto-resnet50-v100-memory.json');
  if (!fs.existsSync(plain)) fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(FIXTURE)));
  const cases = [
    { label: 'trace import, largest fixture (.json.gz)', file: FIXTURE, runs: 3, targetRatio: 3 },
    { label: 'trace import, largest fixture (.json)', file: plain, runs: 3, targetRatio: 3 },
    { label: 'trace import, ~1 GiB trace (.json)', file: ensureBigTrace(2 ** 30), runs: 1, targetRatio: 3 },
  ];
  for (const c of cases) {
    const size = fs.statSync(c.file).size;
    execFileSync('cat', [c.file], { stdio: 'ignore' });
    const ours = measure('import', c.file, c.runs);
    if (ours.error) throw new Error(`import failed on ${c.file}: ${ours.error}`);
    const base = measure('json-parse', c.file, c.runs);
    if (!base.error && base.events !== ours.events) throw new Error(`import saw ${ours.events} events, JSON.parse ${base.events}`);
    const fits = !base.error;
    rows.push({
      name: `${c.label} [${mib(size)} file, ${ours.events.toLocaleString('en-US')} events]`,
      value: `${ours.ms.toFixed(0)} ms, ${mib(ours.maxRssBytes)} RSS`,
      baseline: fits ? `JSON.parse ${base.ms.toFixed(0)} ms, ${mib(base.maxRssBytes)} RSS` : `JSON.parse fails: ${base.error!.slice(0, 60)}`,
      ratio: fits ? `${(ours.ms / base.ms).toFixed(2)}x time, ${(base.maxRssBytes / ours.maxRssBytes).toFixed(1)}x less memory` : 'n/a',
      target: fits ? `≤${c.targetRatio}x time, less memory` : '≤ 4 GiB RSS',
      pass: fits ? ours.ms <= base.ms * c.targetRatio && ours.maxRssBytes < base.maxRssBytes : ours.maxRssBytes <= 4 * 2 ** 30,
    });
  }
  return rows;
}

if (process.env[WORKER_ENV]) {
  const [mode, file] = process.env[WORKER_ENV]!.split('\n');
  void worker(mode!, file!);
}
