/**
 * Chrome-trace events → Profile. One mapping for torch.profiler/Kineto (old categories
 * Operator/Runtime/Kernel/Memcpy/Memset and new ones cpu_op/cuda_runtime/kernel/gpu_memcpy/...),
 * ONNX Runtime profiles (Session/Node) and other Chrome traces; the format is told from the
 * content, not the file name.
 */
import { ProfileBuilder } from '../profile/builder';
import type { DeviceInfo, Profile, SliceKind, TraceFormat } from '../profile/types';
import type { TraceJsonSink } from './json-stream';

/** Categories only torch.profiler/Kineto writes. */
const KINETO_CATEGORIES = new Set([
  'Operator',
  'Runtime',
  'Kernel',
  'Memcpy',
  'Memset',
  'cpu_op',
  'cuda_runtime',
  'cuda_driver',
  'kernel',
  'gpu_memcpy',
  'gpu_memset',
  'cuda_sync',
  'user_annotation',
  'gpu_user_annotation',
  'python_function',
  'ac2g',
  'fwdbwd',
]);

/** ONNX Runtime profile categories. */
const ORT_CATEGORIES = new Set(['Session', 'Node']);

export function sliceKindOf(cat: string | undefined, name: string): SliceKind {
  switch (cat) {
    case 'cpu_op':
    case 'Operator':
      return name.startsWith('ProfilerStep#') ? 'step' : 'cpu_op';
    case 'user_annotation':
      return name.startsWith('ProfilerStep#') ? 'step' : 'annotation';
    case 'python_function':
      return 'python';
    case 'cuda_runtime':
    case 'cuda_driver':
    case 'Runtime':
      return 'runtime';
    case 'cuda_sync':
      return 'sync';
    case 'kernel':
    case 'Kernel':
      return 'kernel';
    case 'gpu_memcpy':
    case 'Memcpy':
      return 'memcpy';
    case 'gpu_memset':
    case 'Memset':
      return 'memset';
    case 'gpu_user_annotation':
      return 'gpu_annotation';
    case 'Trace':
      return 'trace';
    case 'Session':
      return name === 'model_run' ? 'step' : 'session';
    case 'Node':
      return 'ort_node';
    default:
      return 'other';
  }
}

type Args = Record<string, unknown>;

interface RawEvent {
  ph?: unknown;
  cat?: unknown;
  name?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  id?: unknown;
  bp?: unknown;
  args?: unknown;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function asArgs(v: unknown): Args | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Args) : undefined;
}

interface OpenSlice {
  ts: number;
  name: string;
  cat: string | undefined;
  args: Args | undefined;
}

/** Receives events from the scanner and builds the Profile. */
export class ChromeTraceImporter implements TraceJsonSink {
  private readonly b = new ProfileBuilder();
  private readonly fields: Record<string, unknown> = {};
  private devices: DeviceInfo[] = [];
  private eventCount = 0;
  private kinetoEvents = 0;
  private ortEvents = 0;
  private lastTs = -Infinity;
  private readonly open = new Map<number, OpenSlice[]>();
  private readonly gpuTracks = new Set<number>();

  field(key: string, value: unknown): void {
    this.fields[key] = value;
    if (key === 'deviceProperties' && Array.isArray(value)) {
      this.devices = value.flatMap((d): DeviceInfo[] => {
        const o = asArgs(d);
        if (!o || typeof o.name !== 'string') return [];
        return [
          {
            id: num(o.id, this.devices.length),
            name: o.name,
            ...(typeof o.totalGlobalMem === 'number' ? { totalGlobalMem: o.totalGlobalMem } : {}),
            ...(typeof o.computeMajor === 'number' ? { computeCapability: `${o.computeMajor}.${num(o.computeMinor, 0)}` } : {}),
            ...(typeof o.numSms === 'number' ? { smCount: o.numSms } : {}),
          },
        ];
      });
    }
  }

  event(value: unknown): void {
    this.eventCount++;
    const e = asArgs(value) as RawEvent | undefined;
    if (!e) {
      this.b.count('(not an object)');
      this.b.warn('trace events that are not JSON objects were skipped');
      return;
    }
    const ph = typeof e.ph === 'string' ? e.ph : '';
    const cat = typeof e.cat === 'string' ? e.cat : undefined;
    const name = typeof e.name === 'string' ? e.name : e.name === undefined ? '' : String(e.name);
    const isMemory = name === '[memory]' && (ph === 'i' || ph === 'I');
    this.b.count(cat ?? (isMemory ? '[memory]' : ph === 'M' ? '(metadata)' : ph === 'i' || ph === 'I' ? '(instant)' : `(${ph || 'no ph'})`));
    if (cat !== undefined) {
      if (KINETO_CATEGORIES.has(cat)) this.kinetoEvents++;
      else if (ORT_CATEGORIES.has(cat)) this.ortEvents++;
    }
    const pid = e.pid === undefined ? '' : String(e.pid);
    const tid = e.tid === undefined ? '' : String(e.tid);
    const args = asArgs(e.args);
    if (ph === 'M') return this.metadata(name, pid, tid, args);
    const ts = num(e.ts, NaN);
    if (Number.isNaN(ts)) {
      this.b.warn(`'${ph}' events without a numeric ts were skipped`);
      return;
    }
    if (ts > this.lastTs) this.lastTs = ts;
    switch (ph) {
      case 'X':
        return this.slice(pid, tid, ts, num(e.dur, 0), name, cat, args);
      case 'B': {
        const t = this.b.track(pid, tid);
        let stack = this.open.get(t);
        if (!stack) this.open.set(t, (stack = []));
        stack.push({ ts, name, cat, args });
        return;
      }
      case 'E': {
        const open = this.open.get(this.b.track(pid, tid))?.pop();
        if (!open) return this.b.warn("'E' events without a matching 'B' were skipped");
        return this.slice(pid, tid, open.ts, ts - open.ts, open.name, open.cat, open.args ?? args);
      }
      case 'i':
      case 'I':
        if (isMemory) return this.memory(pid, tid, ts, args);
        return this.slice(pid, tid, ts, 0, name, cat, args);
      case 's':
      case 't':
      case 'f':
        if (e.id === undefined) return this.b.warn('flow events without an id were skipped');
        return this.b.addFlowPoint(cat ?? '', String(e.id), Number(e.id), ph, this.b.track(pid, tid), ts, ph === 's' || e.bp === 'e');
      case 'C':
        for (const [k, v] of Object.entries(args ?? {})) if (typeof v === 'number') this.b.addCounter(pid, name, k, ts, v);
        return;
      default:
        return this.b.warn(`events with phase '${ph}' are not shown`);
    }
  }

  private metadata(name: string, pid: string, tid: string, args: Args | undefined): void {
    const v = args?.name ?? args?.labels ?? args?.sort_index;
    switch (name) {
      case 'process_name':
        if (typeof v === 'string') this.b.setProcessName(pid, v);
        return;
      case 'process_labels':
        if (typeof v === 'string') this.b.setProcessLabels(pid, v);
        return;
      case 'process_sort_index':
        if (typeof v === 'number') this.b.setProcessSort(pid, v);
        return;
      case 'thread_name':
        if (typeof v === 'string') this.b.setThreadName(pid, tid, v);
        return;
      case 'thread_sort_index':
        if (typeof v === 'number') this.b.setThreadSort(pid, tid, v);
        return;
    }
  }

  private slice(pid: string, tid: string, ts: number, dur: number, name: string, cat: string | undefined, args: Args | undefined): void {
    const kind = sliceKindOf(cat, name);
    let track: number;
    if (kind === 'ort_node') {
      // ORT node executions go on one track per execution provider.
      const provider = typeof args?.provider === 'string' ? args.provider : 'unknown provider';
      track = this.b.track(pid, provider);
      this.b.setTrackKind(track, 'ep');
    } else {
      track = this.b.track(pid, tid);
      if ((kind === 'kernel' || kind === 'memcpy' || kind === 'memset') && !this.gpuTracks.has(track)) {
        this.gpuTracks.add(track);
        this.b.setTrackKind(track, 'gpu-stream', num(args?.device, num(Number(pid), -1)), num(args?.stream, num(Number(tid.replace(/^stream /, '')), -1)));
      }
    }
    let correlation = -1;
    let externalId = -1;
    let argsId = 0;
    if (args) {
      const rest: Args = {};
      let any = false;
      for (const k in args) {
        const v = args[k];
        if (k === 'correlation' && typeof v === 'number') correlation = v;
        else if ((k === 'External id' || k === 'external id') && typeof v === 'number') externalId = v;
        else {
          rest[k] = v;
          any = true;
        }
      }
      if (any) argsId = this.b.internArgs(JSON.stringify(rest));
    }
    this.b.addSlice(track, ts, dur < 0 ? 0 : dur, this.b.intern(name), this.b.intern(cat ?? ''), kind, correlation, externalId, argsId);
    if (dur < 0) this.b.warn('slices with a negative duration were shown with duration 0');
  }

  private memory(pid: string, tid: string, ts: number, args: Args | undefined): void {
    this.b.addMemory(
      ts,
      num(args?.Bytes, 0),
      num(args?.['Total Allocated'], NaN),
      num(args?.['Total Reserved'], NaN),
      num(args?.Addr, NaN),
      num(args?.['Device Type'], 0),
      num(args?.['Device Id'], -1),
      this.b.track(pid, tid),
    );
  }

  /** The format told from the content: any Kineto category makes it Kineto; else Session/Node make it ORT. */
  get format(): TraceFormat {
    return this.kinetoEvents > 0 ? 'kineto' : this.ortEvents > 0 ? 'ort' : 'chrome';
  }

  finish(jsonBytes: number, path: string | undefined): Profile {
    for (const [t, stack] of this.open) {
      for (const o of stack) {
        // Never drop: a begin without an end lasts until the last timestamp in the trace.
        this.b.addSlice(t, o.ts, this.lastTs - o.ts, this.b.intern(o.name), this.b.intern(o.cat ?? ''), sliceKindOf(o.cat, o.name), -1, -1, 0);
        this.b.warn("'B' events without a matching 'E' end at the last timestamp");
      }
    }
    return this.b.finish({
      source: { format: this.format, ...(path ? { path } : {}), jsonBytes, eventCount: this.eventCount },
      metadata: this.fields,
      devices: this.devices,
    });
  }
}
