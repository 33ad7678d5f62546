/**
 * The last profile of a model file, from the `.ilprof.json` run files the extension and the CLI
 * write (src/core/results/run-file.ts): for the "Profile exported model" CodeLens and the hover.
 * Run files are read once per (path, mtime, size); folders are listed again when they change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunFile } from '../core/results/run-file';

const RUN_SUFFIX = '.ilprof.json';

export interface RunSummary {
  readonly runFile: string;
  readonly modelPath: string;
  readonly createdAt: string;
  readonly provider: string;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly inferencesPerSec?: number;
  readonly peakRssBytes?: number;
  readonly gpuPeakBytes?: number;
  readonly sessionCreateMs?: number;
  readonly firstRunMs?: number;
  readonly batchSize?: number;
}

interface Entry {
  readonly mtimeMs: number;
  readonly size: number;
  readonly summary: RunSummary | undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The headline numbers of a run file, or undefined when it is not a complete ONNX Runtime run. */
export function summarizeRun(text: string, runFile: string): RunSummary | undefined {
  let run;
  try {
    run = parseRunFile(text, path.basename(runFile));
  } catch {
    return undefined;
  }
  const r = run.result as Record<string, unknown> | undefined;
  const lat = r?.latencyMs as Record<string, unknown> | undefined;
  const p50 = num(lat?.p50);
  const p90 = num(lat?.p90);
  const p99 = num(lat?.p99);
  if (!r || p50 === undefined || p90 === undefined || p99 === undefined) return undefined;
  const mem = r.memory as Record<string, unknown> | undefined;
  const thr = r.throughput as Record<string, unknown> | undefined;
  const s: RunSummary = {
    runFile,
    modelPath: run.model.path,
    createdAt: run.createdAt,
    provider: typeof r.ep === 'string' ? r.ep : 'unknown',
    p50Ms: p50,
    p90Ms: p90,
    p99Ms: p99,
  };
  const extra: Record<string, number | undefined> = {
    inferencesPerSec: num(thr?.inferencesPerSec),
    peakRssBytes: num(mem?.peakRssBytes),
    gpuPeakBytes: num(mem?.gpuPeakBytes),
    sessionCreateMs: num(r.sessionCreateMs),
    firstRunMs: num(r.firstRunMs),
    batchSize: num(r.batchSize),
  };
  return { ...s, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) };
}

function samePath(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return fs.realpathSync.native(a) === fs.realpathSync.native(b);
  } catch {
    return false;
  }
}

export class RunIndex {
  private readonly files = new Map<string, Entry>();
  private readonly listings = new Map<string, string[] | undefined>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;

  /** `onChange` is called (debounced) when a watched runs folder changes. */
  constructor(
    private dirs: readonly string[],
    private readonly onChange: () => void = () => undefined,
  ) {
    this.watchAll();
    // Folders that do not exist yet (no profile so far) are looked for again every few seconds.
    this.poll = setInterval(() => this.watchAll(), 3000);
    this.poll.unref();
  }

  setDirs(dirs: readonly string[]): void {
    this.dirs = dirs;
    this.listings.clear();
    this.watchAll();
  }

  private watchAll(): void {
    for (const d of this.dirs) {
      if (this.watchers.has(d) || !fs.existsSync(d)) continue;
      try {
        const w = fs.watch(d, () => {
          this.listings.delete(d);
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.onChange(), 150);
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(d);
        });
        this.watchers.set(d, w);
        this.listings.delete(d);
        // A folder that just appeared may already hold a run.
        this.onChange();
      } catch {
        /* unwatchable (permissions): listed on every request instead */
      }
    }
  }

  private list(dir: string): string[] {
    if (this.watchers.has(dir) && this.listings.has(dir)) return this.listings.get(dir) ?? [];
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith(RUN_SUFFIX));
    } catch {
      names = [];
    }
    const files = names.map((n) => path.join(dir, n));
    this.listings.set(dir, files);
    return files;
  }

  private summary(file: string): RunSummary | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.files.delete(file);
      return undefined;
    }
    const hit = this.files.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.summary;
    let summary: RunSummary | undefined;
    try {
      summary = summarizeRun(fs.readFileSync(file, 'utf8'), file);
    } catch {
      summary = undefined;
    }
    this.files.set(file, { mtimeMs: st.mtimeMs, size: st.size, summary });
    return summary;
  }

  /** The newest run of `modelPath` in the runs folders. */
  latestFor(modelPath: string): RunSummary | undefined {
    let best: RunSummary | undefined;
    const base = path.basename(modelPath).replace(/\.onnx$/i, '').replace(/[^\w.-]+/g, '_');
    for (const d of this.dirs) {
      for (const f of this.list(d)) {
        // Run files are named <model>-<stamp>.ilprof.json: skip other models without reading them.
        if (!path.basename(f).startsWith(`${base}-`)) continue;
        const s = this.summary(f);
        if (!s || !samePath(s.modelPath, modelPath)) continue;
        if (!best || s.createdAt > best.createdAt) best = s;
      }
    }
    return best;
  }

  dispose(): void {
    clearInterval(this.poll);
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
