/**
 * Analyses over a Profile. Where Holistic Trace Analysis (HTA) or the PyTorch TensorBoard profiler
 * plugin document the same figure, the definition here is theirs; each function says which.
 */
import { sliceAt } from './builder';
import { SLICE_KINDS, type MemoryDevice, type Profile, type SliceKind } from './types';

const code = (k: SliceKind): number => SLICE_KINDS.indexOf(k);
const KERNEL = code('kernel');
const MEMCPY = code('memcpy');
const MEMSET = code('memset');
const RUNTIME = code('runtime');
const CPU_OP = code('cpu_op');
const ORT_NODE = code('ort_node');
const PYTHON = code('python');

function isGpuActivity(k: number): boolean {
  return k === KERNEL || k === MEMCPY || k === MEMSET;
}

/** Merged intervals as [start0, end0, start1, end1, ...], sorted and disjoint. */
type Intervals = Float64Array;

/** The union of the slices `pick` selects. */
export function unionOf(p: Profile, pick: (i: number) => boolean): Intervals {
  const idx: number[] = [];
  for (let i = 0; i < p.slices.count; i++) if (pick(i)) idx.push(i);
  const { start, dur } = p.slices;
  idx.sort((a, b) => start[a]! - start[b]!);
  const out: number[] = [];
  for (const i of idx) {
    const s = start[i]!;
    const e = s + dur[i]!;
    const n = out.length;
    if (n && s <= out[n - 1]!) {
      if (e > out[n - 1]!) out[n - 1] = e;
    } else out.push(s, e);
  }
  return Float64Array.from(out);
}

/** Total length of `m` inside [a, b]. */
export function measure(m: Intervals, a = -Infinity, b = Infinity): number {
  // First interval whose end is after a.
  let lo = 0;
  let hi = m.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m[2 * mid + 1]! <= a) lo = mid + 1;
    else hi = mid;
  }
  let total = 0;
  for (let k = lo; k < m.length / 2 && m[2 * k]! < b; k++) total += Math.min(m[2 * k + 1]!, b) - Math.max(m[2 * k]!, a);
  return total;
}

function union(x: Intervals, y: Intervals): Intervals {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    let s: number;
    let e: number;
    if (j >= y.length || (i < x.length && x[i]! <= y[j]!)) {
      s = x[i]!;
      e = x[i + 1]!;
      i += 2;
    } else {
      s = y[j]!;
      e = y[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n && s <= out[n - 1]!) {
      if (e > out[n - 1]!) out[n - 1] = e;
    } else out.push(s, e);
  }
  return Float64Array.from(out);
}

export interface StreamBusy {
  readonly track: number;
  readonly device: number;
  readonly stream: number;
  readonly name: string;
  /** Kernels, copies and memsets on the stream. */
  readonly activities: number;
  /** Time with at least one activity running (overlaps counted once), µs. */
  readonly busyUs: number;
  /** From the first activity's start to the last one's end, µs. */
  readonly spanUs: number;
  readonly idleUs: number;
}

export interface DeviceBusy {
  readonly device: number;
  readonly streams: number;
  readonly busyUs: number;
  readonly spanUs: number;
  readonly idleUs: number;
  /** busy / span. */
  readonly utilization: number;
}

/**
 * GPU busy and idle time per stream and per device. As HTA's temporal breakdown: GPU activity is
 * kernels, memcpy and memset (HTA's compute + non-compute kernels), busy time is the union of
 * their intervals (concurrent work counted once), and idle time is the rest of the span from the
 * first activity's start to the last one's end. Per device, the union runs over all its streams.
 */
export function gpuBusy(p: Profile): { streams: StreamBusy[]; devices: DeviceBusy[] } {
  const { kind, track } = p.slices;
  const streams: StreamBusy[] = [];
  for (const t of p.tracks) {
    if (t.kind !== 'gpu-stream') continue;
    let activities = 0;
    for (let i = t.firstSlice; i < t.firstSlice + t.sliceCount; i++) if (isGpuActivity(kind[i]!)) activities++;
    if (activities === 0) continue;
    const m = unionOf(p, (i) => track[i] === t.id && isGpuActivity(kind[i]!));
    const busy = measure(m);
    const span = m[m.length - 1]! - m[0]!;
    streams.push({ track: t.id, device: t.device, stream: t.stream, name: `${t.processName} / ${t.name}`, activities, busyUs: busy, spanUs: span, idleUs: span - busy });
  }
  const devices: DeviceBusy[] = [];
  for (const device of [...new Set(streams.map((s) => s.device))].sort((a, b) => a - b)) {
    const tracks = new Set(streams.filter((s) => s.device === device).map((s) => s.track));
    const m = unionOf(p, (i) => tracks.has(track[i]!) && isGpuActivity(kind[i]!));
    const busy = measure(m);
    const span = m[m.length - 1]! - m[0]!;
    devices.push({ device, streams: tracks.size, busyUs: busy, spanUs: span, idleUs: span - busy, utilization: span > 0 ? busy / span : 0 });
  }
  return { streams, devices };
}

export interface DurationStats {
  readonly name: string;
  readonly calls: number;
  readonly totalUs: number;
  readonly meanUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

/** Kernels by name: calls, total, mean, min, max (µs), most total time first. The TensorBoard plugin's Kernel view columns. */
export function kernelTable(p: Profile): DurationStats[] {
  const rows = new Map<number, { calls: number; total: number; min: number; max: number }>();
  const { kind, name, dur } = p.slices;
  for (let i = 0; i < p.slices.count; i++) {
    if (kind[i] !== KERNEL) continue;
    const d = dur[i]!;
    const r = rows.get(name[i]!);
    if (!r) rows.set(name[i]!, { calls: 1, total: d, min: d, max: d });
    else {
      r.calls++;
      r.total += d;
      if (d < r.min) r.min = d;
      if (d > r.max) r.max = d;
    }
  }
  return [...rows]
    .map(([n, r]) => ({ name: p.strings[n]!, calls: r.calls, totalUs: r.total, meanUs: r.total / r.calls, minUs: r.min, maxUs: r.max }))
    .sort((a, b) => b.totalUs - a.totalUs || (a.name < b.name ? -1 : 1));
}

export interface GpuAttribution {
  /** For each slice: the runtime call (or other host slice) that launched it, else -1. Only GPU activities are set. */
  readonly launcher: Int32Array;
  /** For each slice: the innermost CPU operator around its launcher, else -1. */
  readonly op: Int32Array;
  readonly gpuActivities: number;
  /** Launchers found by CUDA correlation id, by a flow arrow only (no correlation match), or not at all. */
  readonly viaCorrelation: number;
  readonly viaFlow: number;
  readonly unattributed: number;
}

/** The innermost slice of `kinds` at or above slice `i` on its track, or -1. */
function enclosing(p: Profile, i: number, accept: (k: number) => boolean): number {
  let j = i;
  while (j >= 0 && !accept(p.slices.kind[j]!)) j = p.slices.parent[j]!;
  return j;
}

/**
 * CPU operator → GPU work. Each kernel/memcpy/memset is matched to the runtime call with the same
 * CUDA correlation id (as HTA and the TensorBoard plugin do); when there is none, to the slice at
 * the start of a flow arrow (ac2g, older `async`) that ends on it. The operator is the innermost
 * `cpu_op` enclosing that launcher on its thread (the plugin's "device self" attribution).
 */
export function attributeGpuWork(p: Profile): GpuAttribution {
  const n = p.slices.count;
  const { kind, correlation } = p.slices;
  const launcher = new Int32Array(n).fill(-1);
  const op = new Int32Array(n).fill(-1);
  const byCorrelation = new Map<number, number>();
  for (let i = 0; i < n; i++) if (kind[i] === RUNTIME && correlation[i]! >= 0) byCorrelation.set(correlation[i]!, i);
  const flowInto = new Map<number, number>();
  for (let f = 0; f < p.flows.count; f++) if (p.flows.to[f]! >= 0 && p.flows.from[f]! >= 0) flowInto.set(p.flows.to[f]!, p.flows.from[f]!);
  let gpuActivities = 0;
  let viaCorrelation = 0;
  let viaFlow = 0;
  for (let i = 0; i < n; i++) {
    if (!isGpuActivity(kind[i]!)) continue;
    gpuActivities++;
    let l = correlation[i]! >= 0 ? byCorrelation.get(correlation[i]!) ?? -1 : -1;
    if (l >= 0) viaCorrelation++;
    else if ((l = flowInto.get(i) ?? -1) >= 0) viaFlow++;
    if (l < 0) continue;
    launcher[i] = l;
    op[i] = enclosing(p, l, (k) => k === CPU_OP);
  }
  return { launcher, op, gpuActivities, viaCorrelation, viaFlow, unattributed: gpuActivities - viaCorrelation - viaFlow };
}

export interface OperatorRow {
  /** Operator name (`aten::conv2d`), or for ONNX Runtime nodes the op type (`op_name`). */
  readonly name: string;
  readonly calls: number;
  /** Sum of the operator's durations (the plugin's Host Total Duration), µs. */
  readonly hostTotalUs: number;
  /** Host time minus time in nested operators (Host Self Duration), µs. */
  readonly hostSelfUs: number;
  /** GPU activity launched directly by it (Device Self Duration), µs. */
  readonly deviceSelfUs: number;
}

/**
 * Operators by time, following the TensorBoard plugin's Operator view: host total, host self (minus
 * nested operators), device self (GPU work whose innermost launching operator it is). Sorted by
 * device self time, then host self time. ONNX Runtime nodes are grouped by op type.
 */
export function operatorTable(p: Profile, attribution: GpuAttribution = attributeGpuWork(p)): OperatorRow[] {
  const { kind, name, dur, start, parent } = p.slices;
  const rows = new Map<string, { calls: number; total: number; self: number; device: number }>();
  const self = new Float64Array(p.slices.count);
  const keyOf = new Map<number, string>();
  const key = (i: number): string => {
    if (kind[i] === ORT_NODE) {
      let k = keyOf.get(p.slices.args[i]!);
      if (k === undefined) {
        const opName = (JSON.parse(p.args[p.slices.args[i]!]!) as { op_name?: unknown }).op_name;
        keyOf.set(p.slices.args[i]!, (k = typeof opName === 'string' ? opName : p.strings[name[i]!]!));
      }
      return k;
    }
    return p.strings[name[i]!]!;
  };
  for (let i = 0; i < p.slices.count; i++) if (kind[i] === CPU_OP || kind[i] === ORT_NODE) self[i] = dur[i]!;
  for (let i = 0; i < p.slices.count; i++) {
    if (kind[i] !== CPU_OP) continue;
    const q = enclosing(p, parent[i]!, (k) => k === CPU_OP);
    // A child that only partly overlaps its parent is subtracted only for the overlap.
    if (q >= 0) self[q] -= Math.max(0, Math.min(start[i]! + dur[i]!, start[q]! + dur[q]!) - start[i]!);
  }
  const row = (i: number) => {
    const k = key(i);
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { calls: 0, total: 0, self: 0, device: 0 }));
    return r;
  };
  for (let i = 0; i < p.slices.count; i++) {
    if (kind[i] === CPU_OP || kind[i] === ORT_NODE) {
      const r = row(i);
      r.calls++;
      r.total += dur[i]!;
      r.self += self[i]!;
    }
    const o = attribution.op[i]!;
    if (o >= 0) row(o).device += dur[i]!;
  }
  return [...rows]
    .map(([n, r]) => ({ name: n, calls: r.calls, hostTotalUs: r.total, hostSelfUs: r.self, deviceSelfUs: r.device }))
    .sort((a, b) => b.deviceSelfUs - a.deviceSelfUs || b.hostSelfUs - a.hostSelfUs || (a.name < b.name ? -1 : 1));
}

export interface MemoryCurve {
  readonly device: MemoryDevice;
  /** Sample times (µs from origin) and allocated bytes after each sample. */
  readonly ts: Float64Array;
  readonly allocated: Float64Array;
  /** Indexes into the memory columns of the samples on this device. */
  readonly samples: Uint32Array;
}

/**
 * The allocated-bytes curve of one memory device. As the TensorBoard plugin's memory curve: the
 * allocator's "Total Allocated" when the trace records it (PyTorch ≥ 1.10); else the running sum
 * of every sample's Bytes from the start of the trace (older traces), so the curve is relative to
 * what was already allocated when profiling began.
 */
export function memoryCurve(p: Profile, device: number): MemoryCurve {
  const m = p.memory;
  const samples: number[] = [];
  for (let i = 0; i < m.count; i++) if (m.device[i] === device) samples.push(i);
  const ts = new Float64Array(samples.length);
  const allocated = new Float64Array(samples.length);
  let running = 0;
  samples.forEach((i, k) => {
    running = Number.isNaN(m.totalAllocated[i]!) ? running + m.bytes[i]! : m.totalAllocated[i]!;
    ts[k] = m.ts[i]!;
    allocated[k] = running;
  });
  return { device: p.memoryDevices[device]!, ts, allocated, samples: Uint32Array.from(samples) };
}

/** What a memory sample is charged to when it happened outside every operator. */
export const OUTSIDE_ANY_OPERATOR = '(outside any operator)';

/**
 * The operator memory sample `i` is charged to: the innermost operator (`cpu_op`, or an ONNX
 * Runtime node) around the sample's time on its thread, as the plugin's memory view charges it.
 */
function allocatingOperator(p: Profile, i: number): string {
  const t = p.memory.track[i]!;
  const s = t >= 0 ? sliceAt(p.slices.start, p.slices.dur, p.slices.parent, p.tracks[t]!, p.memory.ts[i]!) : -1;
  const o = s >= 0 ? enclosing(p, s, (kd) => kd === CPU_OP || kd === ORT_NODE) : -1;
  return o >= 0 ? p.strings[p.slices.name[o]!]! : OUTSIDE_ANY_OPERATOR;
}

/** Index (into the curve) of the first sample where the curve is highest; 0 for an empty curve. */
function peakIndex(c: MemoryCurve): number {
  let peak = 0;
  for (let k = 1; k < c.allocated.length; k++) if (c.allocated[k]! > c.allocated[peak]!) peak = k;
  return peak;
}

export interface MemoryPeak {
  readonly device: string;
  readonly samples: number;
  readonly allocations: number;
  readonly frees: number;
  readonly peakBytes: number;
  /** µs from origin. */
  readonly peakTimeUs: number;
  /** Whether the curve comes from the allocator's totals (else from summed Bytes). */
  readonly fromTotals: boolean;
  /**
   * The operators that allocated most up to the peak: each sample up to the peak is charged to the
   * innermost operator around it on its thread (as the plugin's memory view does), net of frees.
   */
  readonly topAllocators: readonly { readonly name: string; readonly bytes: number }[];
}

export function memoryPeaks(p: Profile, top = 5): MemoryPeak[] {
  return p.memoryDevices.map((dev, d) => {
    const c = memoryCurve(p, d);
    const peak = peakIndex(c);
    const byOp = new Map<string, number>();
    let allocations = 0;
    let frees = 0;
    let fromTotals = false;
    for (let k = 0; k < c.samples.length; k++) {
      const i = c.samples[k]!;
      const bytes = p.memory.bytes[i]!;
      if (bytes > 0) allocations++;
      else if (bytes < 0) frees++;
      if (!Number.isNaN(p.memory.totalAllocated[i]!)) fromTotals = true;
      if (k > peak) continue;
      const label = allocatingOperator(p, i);
      byOp.set(label, (byOp.get(label) ?? 0) + bytes);
    }
    return {
      device: dev.name,
      samples: c.samples.length,
      allocations,
      frees,
      peakBytes: c.allocated.length ? c.allocated[peak]! : 0,
      peakTimeUs: c.ts.length ? c.ts[peak]! : 0,
      fromTotals,
      topAllocators: [...byOp]
        .filter(([, b]) => b > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, bytes]) => ({ name, bytes })),
    };
  });
}

export interface LiveAtPeakRow {
  /** The allocating operator (see `memoryPeaks`), or `OUTSIDE_ANY_OPERATOR`. */
  readonly name: string;
  /** Bytes of its allocations live at the peak (method `address`), or its net bytes up to the peak (`net`). */
  readonly bytes: number;
  /** How many allocations: live at the peak (`address`), or made up to the peak (`net`). */
  readonly allocations: number;
}

export interface LiveAtPeak {
  readonly device: string;
  /** As `memoryPeaks`: the curve's first highest point. */
  readonly peakBytes: number;
  readonly peakTimeUs: number;
  /** Index into the memory columns of the sample at the peak; -1 when the device has no samples. */
  readonly peakSample: number;
  /**
   * `address`: every sample up to the peak has an address, so the allocations still live at the
   * peak are known exactly (an allocation is live unless a free of its address follows it, up to
   * and including the peak sample). `net`: the trace records no addresses (PyTorch before 1.10);
   * each operator's allocations minus its frees up to the peak, as `memoryPeaks`' topAllocators.
   */
  readonly method: 'address' | 'net';
  /** Largest first (then by name); only operators with a positive amount. */
  readonly rows: readonly LiveAtPeakRow[];
  /** Sum of the rows' bytes. */
  readonly liveBytes: number;
}

/** What makes up the memory peak of device `device` (an index into `p.memoryDevices`), grouped by allocating operator. */
export function liveAtPeak(p: Profile, device: number): LiveAtPeak {
  const c = memoryCurve(p, device);
  const m = p.memory;
  const n = c.samples.length;
  const peak = peakIndex(c);
  const upTo = n ? peak + 1 : 0;
  let addressed = upTo > 0;
  for (let k = 0; k < upTo && addressed; k++) if (Number.isNaN(m.addr[c.samples[k]!]!)) addressed = false;
  const byOp = new Map<string, { bytes: number; allocations: number }>();
  const charge = (i: number, bytes: number, allocations: number): void => {
    const name = allocatingOperator(p, i);
    const r = byOp.get(name);
    if (r) {
      r.bytes += bytes;
      r.allocations += allocations;
    } else byOp.set(name, { bytes, allocations });
  };
  if (addressed) {
    // Address → the live allocation there. A second allocation at a live address replaces the first
    // (its free was not recorded); a free of an address never allocated in the trace is ignored.
    const live = new Map<number, number>();
    for (let k = 0; k < upTo; k++) {
      const i = c.samples[k]!;
      const b = m.bytes[i]!;
      if (b > 0) live.set(m.addr[i]!, i);
      else if (b < 0) live.delete(m.addr[i]!);
    }
    for (const i of live.values()) charge(i, m.bytes[i]!, 1);
  } else {
    for (let k = 0; k < upTo; k++) {
      const i = c.samples[k]!;
      const b = m.bytes[i]!;
      if (b !== 0) charge(i, b, b > 0 ? 1 : 0);
    }
  }
  const rows = [...byOp]
    .filter(([, r]) => r.bytes > 0)
    .map(([name, r]) => ({ name, bytes: r.bytes, allocations: r.allocations }))
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    device: p.memoryDevices[device]!.name,
    peakBytes: n ? c.allocated[peak]! : 0,
    peakTimeUs: n ? c.ts[peak]! : 0,
    peakSample: n ? c.samples[peak]! : -1,
    method: addressed ? 'address' : 'net',
    rows,
    liveBytes: rows.reduce((s, r) => s + r.bytes, 0),
  };
}

export interface StepRow {
  readonly name: string;
  readonly startUs: number;
  readonly durUs: number;
  /** Time by what was running, each instant counted once, in priority order; they sum to durUs. */
  readonly kernelUs: number;
  readonly memcpyUs: number;
  readonly memsetUs: number;
  readonly runtimeUs: number;
  readonly dataLoaderUs: number;
  readonly cpuUs: number;
  readonly otherUs: number;
}

/**
 * Step time breakdown over each step (`ProfilerStep#N`, or an ORT `model_run`), following the
 * TensorBoard plugin's Overview: every instant of the step is given to the first of Kernel, Memcpy,
 * Memset, Runtime, DataLoader, CPU Exec that is running then, else Other. Unlike the plugin, GPU
 * work is counted in the host step's time window (the plugin stretches a step to its last kernel).
 */
export function stepBreakdown(p: Profile): StepRow[] {
  const { kind, name, start, dur } = p.slices;
  const steps: number[] = [];
  const STEP = code('step');
  for (let i = 0; i < p.slices.count; i++) if (kind[i] === STEP && p.tracks[p.slices.track[i]!]!.kind !== 'gpu-stream') steps.push(i);
  if (steps.length === 0) return [];
  steps.sort((a, b) => start[a]! - start[b]!);
  const classes = [
    (i: number) => kind[i] === KERNEL,
    (i: number) => kind[i] === MEMCPY,
    (i: number) => kind[i] === MEMSET,
    (i: number) => kind[i] === RUNTIME,
    (i: number) => kind[i] === CPU_OP && p.strings[name[i]!]!.includes('enumerate(DataLoader)'),
    (i: number) => kind[i] === CPU_OP || kind[i] === ORT_NODE || kind[i] === PYTHON,
  ];
  // Cumulative unions: covered[k] = everything of priority <= k.
  const covered: Intervals[] = [];
  for (const c of classes) {
    const m = unionOf(p, c);
    covered.push(covered.length ? union(covered[covered.length - 1]!, m) : m);
  }
  return steps.map((i) => {
    const a = start[i]!;
    const b = a + dur[i]!;
    const part: number[] = [];
    let prev = 0;
    for (const m of covered) {
      const now = measure(m, a, b);
      part.push(now - prev);
      prev = now;
    }
    return {
      name: p.strings[name[i]!]!,
      startUs: a,
      durUs: b - a,
      kernelUs: part[0]!,
      memcpyUs: part[1]!,
      memsetUs: part[2]!,
      runtimeUs: part[3]!,
      dataLoaderUs: part[4]!,
      cpuUs: part[5]!,
      otherUs: b - a - prev,
    };
  });
}
