/**
 * result.json of a PyTorch harness run (src/runner/torch_harness.py writes it next to the trace):
 * the device, torch.cuda.max_memory_allocated/reserved, the time of every step and its phase in
 * the wait/warmup/active schedule, peak RSS. Read by the runner, the profiler panel and the CLI.
 */
import { latencyStats, type LatencyStats } from '../metrics/stats';

export const TORCH_RESULT_SCHEMA_VERSION = 1;

export interface TorchSchedule {
  readonly wait: number;
  readonly warmup: number;
  readonly active: number;
  readonly repeat: number;
}

export interface TorchRunResult {
  readonly schemaVersion: number;
  readonly script: string;
  readonly function: string | null;
  /** One step per named function call, per outermost nn.Module call, or the whole run as one window. */
  readonly mode: 'function' | 'steps-forward' | 'whole-run';
  readonly args: readonly string[];
  readonly python: { readonly version: string; readonly executable: string };
  readonly torch: string;
  readonly device: 'cuda' | 'cpu';
  readonly deviceName: string;
  readonly cuda: {
    readonly available: boolean;
    readonly version: string | null;
    /** torch.cuda.max_memory_allocated() over the run, bytes (null on the CPU). */
    readonly maxMemoryAllocated: number | null;
    readonly maxMemoryReserved: number | null;
  };
  readonly schedule: TorchSchedule | null;
  /** Every step, wall time in ms (CUDA synchronized at both ends when on the GPU). */
  readonly steps: readonly { readonly ms: number; readonly phase: 'wait' | 'warmup' | 'active' | 'after' }[];
  /** Absolute paths of the Chrome traces written (one per schedule cycle). */
  readonly traces: readonly string[];
  readonly peakRssBytes: number | null;
  readonly wallSeconds: number;
  readonly stoppedAfterSchedule: boolean;
  readonly warnings: readonly string[];
  readonly error: { readonly code: string; readonly message: string; readonly hint: string } | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown) => v === null || isNum(v);

/** Parses and checks result.json; the message says what is wrong. */
export function parseTorchResult(text: string): { result: TorchRunResult } | { message: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { message: `result.json is not valid JSON (${(e as Error).message})` };
  }
  if (!isObj(v)) return { message: 'result.json is not an object' };
  if (v['schemaVersion'] !== TORCH_RESULT_SCHEMA_VERSION) {
    return { message: `result.json has schema version ${String(v['schemaVersion'])}; this version of Inference Lens reads ${TORCH_RESULT_SCHEMA_VERSION}` };
  }
  const cuda = v['cuda'];
  const ok =
    typeof v['script'] === 'string' &&
    (v['function'] === null || typeof v['function'] === 'string') &&
    ['function', 'steps-forward', 'whole-run'].includes(v['mode'] as string) &&
    typeof v['torch'] === 'string' &&
    (v['device'] === 'cuda' || v['device'] === 'cpu') &&
    typeof v['deviceName'] === 'string' &&
    isObj(cuda) &&
    isNumOrNull(cuda['maxMemoryAllocated']) &&
    isNumOrNull(cuda['maxMemoryReserved']) &&
    Array.isArray(v['steps']) &&
    v['steps'].every((s) => isObj(s) && isNum(s['ms']) && typeof s['phase'] === 'string') &&
    Array.isArray(v['traces']) &&
    v['traces'].every((t) => typeof t === 'string') &&
    isNumOrNull(v['peakRssBytes']) &&
    isNum(v['wallSeconds']) &&
    Array.isArray(v['warnings']);
  return ok ? { result: v as unknown as TorchRunResult } : { message: 'result.json is missing fields or has fields of the wrong type' };
}

/** Latency over the active steps (what the profiler recorded), undefined when there were none. */
export function activeStepStats(r: TorchRunResult): LatencyStats | undefined {
  const ms = r.steps.filter((s) => s.phase === 'active').map((s) => s.ms);
  return ms.length ? latencyStats(ms) : undefined;
}
