/**
 * `inference-lens compare <a.onnx> <b.onnx> [options]`: how B differs from A.
 *   1. The structural diff (src/core/onnx/diff.ts, rendered by compare-structure.ts): op types added
 *      and removed, dtype and shape changes, opsets, sizes. Graphs only, no ONNX Runtime.
 *   2. Unless --structure-only: the numerical agreement on the same inputs and, with --profile, the
 *      before/after profile (compare-report.ts over src/runner/compare-models.ts, in the ORT worker;
 *      the code path of the editor's Apply and Compare With…).
 * Exit 0, or 1 when the numerical check finds an output that differs; 2 for bad usage or input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareModelFiles } from '../core/onnx';
import { profileOptions, requestFrom, runCompare, seedOf, takeFlags } from './compare-report';
import { COMPARE_REPORT_SCHEMA_VERSION, renderModelDiff, type CompareReport } from './compare-structure';
import { CliUsageError } from './profile-command';

export const COMPARE_USAGE = `Usage: inference-lens compare <a.onnx> <b.onnx> [options]

B against A (the reference). First the structure: op types added and removed, op counts, dtype
changes of inputs, outputs and weights (matched by name), shape changes, opsets, node and
initializer counts, size on disk with external data (graphs only; weights stay on disk). Then the
numerical agreement: both models run in ONNX Runtime on the same inputs (synthesized with a fixed
seed, or --inputs); per output the max absolute and relative error, cosine similarity, top-1
agreement for classifier-like outputs, NaN/Inf counts. Exit code 1 when an output differs.

  --structure-only   the structural part only (no ONNX Runtime run)
  --profile          also profile both with the same settings: latency p50/p90, throughput, time
                     to first token and tokens/s (--decode), peak memory, file size, and
                     per-operator time deltas
  --seed N           seed of the synthesized inputs (default 42)
  --json             print JSON: with --structure-only a CompareReport { schemaVersion: 1,
                     structure: ModelDiff }; otherwise the comparison file (.ilcmp.json schema 2,
                     its structure the same ModelDiff) plus comparisonFile
  Provider, session, dims, input and run options as for 'inference-lens profile' (--ep, --dims,
  --shape, --inputs, --iterations, --warmup, --profiled-runs, --decode, --threads, --graph-opt,
  --no-arena, --timeout, --out-dir).

The comparison is saved as <a>-vs-<b>-<time>.ilcmp.json in .inference-lens/runs (or --out-dir).
`;

const TWO_MODELS = 'compare takes two model paths: inference-lens compare <a.onnx> <b.onnx> [options]';

export async function compareCommand(args: readonly string[], io: { out(s: string): void; err(s: string): void }, workerPath: string): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(COMPARE_USAGE);
    return 0;
  }
  const { rest, flags, values } = takeFlags(args, ['--structure-only', '--profile', '--json'], ['--seed']);
  const files = rest.slice(0, 2);
  if (files.length < 2 || files.some((f) => f.startsWith('-'))) throw new CliUsageError(TWO_MODELS);
  const extra = rest.slice(2);
  if (extra[0] !== undefined && !extra[0].startsWith('-')) throw new CliUsageError(TWO_MODELS);
  const [a, b] = files as [string, string];
  const json = flags.has('--json');
  if (flags.has('--structure-only')) {
    if (extra.length) throw new CliUsageError(`unknown option '${extra[0]}' for compare --structure-only`);
    if (flags.has('--profile') || values.has('--seed')) throw new CliUsageError('--structure-only runs no model: it takes no --profile or --seed');
  }
  // Options are checked before any work.
  const p = flags.has('--structure-only') ? undefined : profileOptions(a, extra, 'compare');
  const seed = seedOf(values);
  if (!p) {
    const structure = await compareModelFiles(a, b);
    const report: CompareReport = { schemaVersion: COMPARE_REPORT_SCHEMA_VERSION, structure };
    io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderModelDiff(structure));
    return 0;
  }
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  // The comparison's `structure` is the same ModelDiff: printed first, in full.
  return runCompare(requestFrom(p, p.model, path.resolve(b), flags.has('--profile'), seed), p, json, io, workerPath, (f) => `${renderModelDiff(f.structure)}\n`);
}
