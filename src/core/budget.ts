/**
 * Performance budgets for CI: `p50<=20ms,peak_mem<=2GB,tokens_per_s>=30` parsed into clauses and
 * checked against a profile run. Times are compared in ms, memory in bytes, rates per second.
 * Memory units: kB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024 (B for bytes).
 */
import { formatBytes, formatMs, formatRate } from './format';
import type { OrtProfileResult } from './results/ort-run';

export const BUDGET_SCHEMA_VERSION = 1;

type Kind = 'time' | 'bytes' | 'rate';

interface MetricDef {
  readonly kind: Kind;
  readonly label: string;
  /** Needs a decode run (`--decode P:T`). */
  readonly decode?: boolean;
  /** Only measured on GPU providers with nvidia-smi. */
  readonly gpu?: boolean;
  readonly get: (r: OrtProfileResult) => number | undefined;
}

/** Every metric a budget can name, with its aliases. */
export const BUDGET_METRICS: Readonly<Record<string, MetricDef>> = {
  p50: { kind: 'time', label: 'latency p50', get: (r) => r.latencyMs.p50 },
  p90: { kind: 'time', label: 'latency p90', get: (r) => r.latencyMs.p90 },
  p99: { kind: 'time', label: 'latency p99', get: (r) => r.latencyMs.p99 },
  mean: { kind: 'time', label: 'latency mean', get: (r) => r.latencyMs.mean },
  max: { kind: 'time', label: 'latency max', get: (r) => r.latencyMs.max },
  session_create: { kind: 'time', label: 'session creation', get: (r) => r.sessionCreateMs },
  first_run: { kind: 'time', label: 'first (cold) run', get: (r) => r.firstRunMs },
  throughput: { kind: 'rate', label: 'inferences/s', get: (r) => r.throughput.inferencesPerSec },
  items_per_s: { kind: 'rate', label: 'items/s', get: (r) => r.throughput.itemsPerSec },
  peak_mem: { kind: 'bytes', label: 'peak memory (RSS)', get: (r) => r.memory.peakRssBytes },
  gpu_mem: { kind: 'bytes', label: 'peak GPU memory', gpu: true, get: (r) => r.memory.gpuPeakBytes },
  ttft: { kind: 'time', label: 'time to first token', decode: true, get: (r) => r.decode?.timeToFirstTokenMs },
  tokens_per_s: { kind: 'rate', label: 'tokens/s', decode: true, get: (r) => r.decode?.tokensPerSec },
  token_p50: { kind: 'time', label: 'per-token p50', decode: true, get: (r) => r.decode?.perTokenMs.p50 },
  token_p90: { kind: 'time', label: 'per-token p90', decode: true, get: (r) => r.decode?.perTokenMs.p90 },
  kv_per_token: { kind: 'bytes', label: 'KV cache per token', decode: true, get: (r) => r.decode?.kvCacheBytesPerToken },
};

const ALIASES: Readonly<Record<string, string>> = {
  latency: 'p50',
  latency_p50: 'p50',
  latency_p90: 'p90',
  latency_p99: 'p99',
  cold_start: 'session_create',
  rps: 'throughput',
  inferences_per_s: 'throughput',
  peak_memory: 'peak_mem',
  rss: 'peak_mem',
  gpu_memory: 'gpu_mem',
  time_to_first_token: 'ttft',
  tokens_per_sec: 'tokens_per_s',
  tps: 'tokens_per_s',
};

const TIME_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000 };
const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export type BudgetOp = '<=' | '<' | '>=' | '>';

export interface BudgetClause {
  /** The clause as written. */
  readonly text: string;
  readonly metric: string;
  readonly op: BudgetOp;
  /** In the metric's base unit: ms, bytes or per second. */
  readonly limit: number;
}

export class BudgetError extends Error {
  override readonly name = 'BudgetError';
}

/** Parses `metric<=value[unit],...` (commas or semicolons); throws BudgetError saying what is wrong. */
export function parseBudget(text: string): BudgetClause[] {
  const parts = text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) throw new BudgetError('the budget is empty; write e.g. p50<=20ms,peak_mem<=2GB');
  return parts.map((part) => {
    const m = /^([a-zA-Z_][\w]*)\s*(<=|>=|<|>)\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-zA-Zµ]*(?:\/s)?)$/.exec(part);
    if (!m) throw new BudgetError(`cannot read '${part}': write metric<=value (or <, >=, >) with a unit, e.g. p50<=20ms`);
    const name = m[1]!.toLowerCase();
    const metric = BUDGET_METRICS[name] ? name : ALIASES[name];
    if (!metric) throw new BudgetError(`unknown metric '${m[1]}' in '${part}'; known: ${Object.keys(BUDGET_METRICS).join(', ')}`);
    const def = BUDGET_METRICS[metric]!;
    const value = Number(m[3]);
    const unit = m[4]!;
    let limit: number;
    if (def.kind === 'time') {
      const f = TIME_UNITS[unit];
      if (f === undefined) throw new BudgetError(`'${part}': ${metric} is a time; give a unit: ns, us, ms or s`);
      limit = value * f;
    } else if (def.kind === 'bytes') {
      const f = BYTE_UNITS[unit.toLowerCase()];
      if (f === undefined) throw new BudgetError(`'${part}': ${metric} is memory; give a unit: B, kB, MB, GB (1000s) or KiB, MiB, GiB (1024s)`);
      limit = value * f;
    } else {
      if (unit !== '' && unit !== '/s') throw new BudgetError(`'${part}': ${metric} is a rate per second; write a plain number (e.g. ${metric}>=30)`);
      limit = value;
    }
    return { text: part, metric, op: m[2] as BudgetOp, limit };
  });
}

/** What a run must have measured for these clauses: a decode run, a GPU memory reading. */
export function budgetNeeds(clauses: readonly BudgetClause[]): { decode: boolean; gpu: boolean } {
  return {
    decode: clauses.some((c) => BUDGET_METRICS[c.metric]!.decode),
    gpu: clauses.some((c) => BUDGET_METRICS[c.metric]!.gpu),
  };
}

export interface BudgetCheck {
  readonly clause: BudgetClause;
  readonly label: string;
  readonly kind: Kind;
  /** Measured, in the base unit; null when the run did not measure it (the check fails). */
  readonly actual: number | null;
  readonly pass: boolean;
  /** actual − limit for upper bounds, limit − actual for lower bounds: > 0 means over budget by that much. */
  readonly over: number | null;
  /** over / limit. */
  readonly overRatio: number | null;
}

export function checkBudget(clauses: readonly BudgetClause[], r: OrtProfileResult): { pass: boolean; checks: BudgetCheck[] } {
  const checks = clauses.map((clause): BudgetCheck => {
    const def = BUDGET_METRICS[clause.metric]!;
    const v = def.get(r);
    const actual = v === undefined || !Number.isFinite(v) ? null : v;
    if (actual === null) return { clause, label: def.label, kind: def.kind, actual, pass: false, over: null, overRatio: null };
    const upper = clause.op === '<=' || clause.op === '<';
    const pass = clause.op === '<=' ? actual <= clause.limit : clause.op === '<' ? actual < clause.limit : clause.op === '>=' ? actual >= clause.limit : actual > clause.limit;
    const over = upper ? actual - clause.limit : clause.limit - actual;
    return { clause, label: def.label, kind: def.kind, actual, pass, over, overRatio: clause.limit !== 0 ? over / clause.limit : null };
  });
  return { pass: checks.every((c) => c.pass), checks };
}

/** A value of the check's kind, as people read it (`12.3 ms`, `1.5 GiB`, `240/s`). */
export function formatBudgetValue(kind: Kind, v: number): string {
  if (kind === 'time') return `${formatMs(v)} ms`;
  if (kind === 'bytes') return formatBytes(v);
  return `${formatRate(v)}/s`;
}
