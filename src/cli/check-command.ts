/**
 * `inference-lens check <model> --budget '...' [profile options] [--json]`: profile the model as
 * `profile` does and exit 1 when a budget is missed, printing which and by how much.
 */
import * as fs from 'node:fs';
import { BUDGET_METRICS, BUDGET_SCHEMA_VERSION, BudgetError, budgetNeeds, checkBudget, formatBudgetValue, parseBudget, type BudgetCheck, type BudgetOp } from '../core/budget';
import type { OrtProfileResult } from '../core/results/ort-run';
import { profileModel } from '../runner/profile-model';
import { assertKnownDims, CliUsageError, parseProfileArgs, PROFILE_USAGE, reportOrtError } from './profile-command';

export const CHECK_USAGE = `Usage: inference-lens check <model.onnx> --budget 'p50<=20ms,peak_mem<=2GB,tokens_per_s>=30' [profile options] [--json]

Profiles the model (the options of 'inference-lens profile', below) and checks each clause of the
budget; exit 1 when one is missed, printing which and by how much.

Metrics: ${Object.keys(BUDGET_METRICS).join(', ')}.
Operators: <=, <, >=, >. Times take ns/us/ms/s; memory B, kB/MB/GB (1000s) or KiB/MiB/GiB (1024s);
rates (throughput, items_per_s, tokens_per_s) are plain numbers per second. ttft, tokens_per_s,
token_p50/p90 and kv_per_token need --decode P:T; gpu_mem needs a GPU provider with nvidia-smi.
--json prints { schemaVersion, model, pass, checks[], run } instead of the table.

${PROFILE_USAGE.replace(/^Usage:.*\n/, '')}`;

interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** What `check --json` prints (src/cli/schemas/check.schema.json). Values in the metric's base unit. */
export interface CheckJson {
  readonly schemaVersion: typeof BUDGET_SCHEMA_VERSION;
  /** The model, absolute. */
  readonly model: string;
  readonly pass: boolean;
  readonly checks: readonly {
    readonly metric: string;
    /** The clause as written. */
    readonly clause: string;
    readonly op: BudgetOp;
    readonly limit: number;
    /** null when the run did not measure it (the check fails). */
    readonly actual: number | null;
    readonly pass: boolean;
    /** > 0: over budget by that much. */
    readonly over: number | null;
    readonly overRatio: number | null;
    readonly unit: 'ms' | 'bytes' | 'per_s';
  }[];
  /** The .ilprof.json run file. */
  readonly runFile: string;
  readonly run: OrtProfileResult;
}

function describeCheck(c: BudgetCheck): string[] {
  const limit = formatBudgetValue(c.kind, c.clause.limit);
  const actual = c.actual === null ? 'not measured' : formatBudgetValue(c.kind, c.actual);
  let verdict = c.pass ? 'ok' : 'MISSED';
  if (!c.pass && c.over !== null) {
    const by = formatBudgetValue(c.kind, Math.abs(c.over));
    verdict = `MISSED by ${by}${c.overRatio !== null ? ` (${(c.overRatio * 100).toFixed(1)}%)` : ''}`;
  } else if (c.pass && c.over !== null) verdict = `ok, ${formatBudgetValue(c.kind, Math.abs(c.over))} to spare`;
  return [c.label, `${c.clause.metric} ${c.clause.op} ${limit}`, actual, verdict];
}

export async function checkCommand(args: readonly string[], io: Io, workerPath: string): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`${CHECK_USAGE}\n`);
    return 0;
  }
  const rest: string[] = [];
  let budgetText: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--budget') {
      const v = args[++i];
      if (v === undefined) throw new CliUsageError('--budget needs a value, e.g. --budget "p50<=20ms,peak_mem<=2GB"');
      budgetText = budgetText === undefined ? v : `${budgetText},${v}`;
    } else if (a === '--json') json = true;
    else rest.push(a);
  }
  if (budgetText === undefined) throw new CliUsageError("check needs --budget, e.g. inference-lens check model.onnx --budget 'p50<=20ms,peak_mem<=2GB'");
  let clauses;
  try {
    clauses = parseBudget(budgetText);
  } catch (e) {
    if (e instanceof BudgetError) throw new CliUsageError(`--budget: ${e.message}`);
    throw e;
  }
  const p = parseProfileArgs(rest, process.cwd(), 'check');
  if (p.json !== undefined || p.trace !== undefined) throw new CliUsageError('check prints its own result (--json takes no file); run profile for --trace');
  await assertKnownDims(p);
  const needs = budgetNeeds(clauses);
  if (needs.decode && p.request.decode === 'off') {
    throw new CliUsageError(`the budget names decode metrics (${clauses.filter((c) => BUDGET_METRICS[c.metric]!.decode).map((c) => c.metric).join(', ')}); add --decode P:T`);
  }
  if (!fs.existsSync(workerPath)) throw new CliUsageError(`the ONNX Runtime worker is missing (${workerPath}); run npm run build`);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    const { run, runFilePath } = await profileModel(p.request, { workerPath, outDir: p.outDir, signal: ac.signal, timeoutMs: p.timeoutMs });
    const result = checkBudget(clauses, run.result);
    if (json) {
      const out: CheckJson = {
        schemaVersion: BUDGET_SCHEMA_VERSION,
        model: p.model,
        pass: result.pass,
        checks: result.checks.map((c) => ({ metric: c.clause.metric, clause: c.clause.text, op: c.clause.op, limit: c.clause.limit, actual: c.actual, pass: c.pass, over: c.over, overRatio: c.overRatio, unit: c.kind === 'time' ? 'ms' : c.kind === 'bytes' ? 'bytes' : 'per_s' })),
        runFile: runFilePath,
        run: run.result,
      };
      io.out(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const rows = [['metric', 'budget', 'measured', 'result'], ...result.checks.map(describeCheck)];
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      io.out(`${rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`).join('\n')}\n`);
      const missed = result.checks.filter((c) => !c.pass);
      io.out(`\n${result.pass ? 'Budget met' : `Budget missed: ${missed.map((c) => c.clause.metric).join(', ')}`} (${run.result.ep.toUpperCase()}, ${run.result.latencyMs.count} timed runs; run file ${runFilePath})\n`);
      for (const c of missed) if (c.actual === null) io.out(`  ${c.clause.metric} was not measured: ${BUDGET_METRICS[c.clause.metric]!.gpu ? 'GPU memory is read with nvidia-smi on a GPU provider' : 'see the profile options'}.\n`);
    }
    return result.pass ? 0 : 1;
  } catch (e) {
    return reportOrtError(e, io);
  } finally {
    process.off('SIGINT', onSig);
  }
}
