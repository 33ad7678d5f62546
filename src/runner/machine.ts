/**
 * The machine a measurement ran on (reported next to every figure), and GPU memory from
 * nvidia-smi when it is present. Nothing here fails when there is no GPU: it reports none.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import type { GpuInfo, MachineInfo } from '../core/results/ort-run';

export type { GpuInfo, MachineInfo } from '../core/results/ort-run';

function run(cmd: string, args: readonly string[], timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseGpuQuery(text: string): GpuInfo[] {
  return text
    .split('\n')
    .map((l) => l.split(',').map((s) => s.trim()))
    .filter((c) => c.length >= 4 && /^\d+$/.test(c[0]!))
    .map((c) => ({ index: Number(c[0]), name: c[1]!, memoryTotalBytes: Number(c[2]) * MIB, driver: c[3]! }));
}

/** Parses `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`: bytes used by `pid`. */
export function parseComputeApps(text: string, pid: number): number {
  let total = 0;
  for (const l of text.split('\n')) {
    const [p, used] = l.split(',').map((s) => s.trim());
    if (Number(p) === pid && /^\d+$/.test(used ?? '')) total += Number(used) * MIB;
  }
  return total;
}

export async function machineInfo(): Promise<MachineInfo> {
  const smi = await run('nvidia-smi', ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits']);
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    gpus: smi ? parseGpuQuery(smi) : [],
  };
}

/** GPU memory used by one process, by polling nvidia-smi; `stop()` returns the peak (0 without nvidia-smi). */
export function sampleGpuMemory(pid: number, intervalMs = 200): { stop: () => Promise<number> } {
  let peak = 0;
  let stopped = false;
  let available = true;
  const tick = async () => {
    while (!stopped && available) {
      const out = await run('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], 2000);
      if (out === undefined) available = false;
      else peak = Math.max(peak, parseComputeApps(out, pid));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  const loop = tick();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return peak;
    },
  };
}
