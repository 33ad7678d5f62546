/**
 * The measured time per node for the Graph tab's overlay: the newest profile run (`.ilprof.json`)
 * of the model in the run folders, matched to the graph's nodes by name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { graphTiming } from '../core/graph/timing';
import type { GraphTiming, ModelGraph } from '../core/graph/types';
import type { ProfileRun } from '../protocol/messages';
import { readRun } from './profile-results';

const RUN_SUFFIX = '.ilprof.json';

/** Run files in `folders`, newest first. */
function runFiles(folders: readonly string[]): string[] {
  const files: { file: string; mtime: number }[] = [];
  for (const dir of folders) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith(RUN_SUFFIX));
    } catch {
      continue;
    }
    for (const n of names) {
      const file = path.join(dir, n);
      try {
        files.push({ file, mtime: fs.statSync(file).mtimeMs });
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return files.sort((a, b) => b.mtime - a.mtime).map((f) => f.file);
}

/** The newest readable run of the model at `modelPath` among the run files in `folders`. */
export function latestRun(modelPath: string, folders: readonly string[]): { file: string; run: ProfileRun } | undefined {
  const want = path.resolve(modelPath);
  for (const file of runFiles(folders)) {
    const r = readRun(file);
    if ('run' in r && path.resolve(r.run.model.path) === want) return { file, run: r.run };
  }
  return undefined;
}

/** Measured time per node from the newest run of the model, or why there is none. */
export function timingFor(graph: ModelGraph, modelPath: string, folders: readonly string[]): { timing?: GraphTiming; note?: string } {
  const found = latestRun(modelPath, folders);
  if (!found) return { note: 'No profile run of this model yet: run Profile Model… to see where the time goes.' };
  const timing = graphTiming(graph, found.run, found.file);
  if (!timing) return { note: `The latest run (${path.basename(found.file)}) has no per-node times: set inferenceLens.profile.profiledRuns above 0 and profile again.` };
  return { timing };
}
