/**
 * Builds a `Profile` from events fed one at a time, in any order. Times go in as absolute source
 * microseconds; `finish()` picks the origin, orders tracks and slices, computes nesting depth per
 * track and resolves flow ends to slices.
 */
import { f64, i32, sortedOrder, u16, u32, u8 } from './columns';
import {
  PROFILE_SCHEMA_VERSION,
  SLICE_KINDS,
  type CounterSeries,
  type DeviceInfo,
  type MemoryDevice,
  type Profile,
  type ProfileSource,
  type SliceKind,
  type Track,
  type TrackKind,
} from './types';

const KIND_CODE = new Map(SLICE_KINDS.map((k, i) => [k, i]));
const GPU_KIND_CODES = new Set(['kernel', 'memcpy', 'memset', 'gpu_annotation'].map((k) => KIND_CODE.get(k as SliceKind)!));

/** c10::DeviceType names for memory samples. */
const DEVICE_TYPE_NAMES: Record<number, string> = { 0: 'CPU', 1: 'CUDA', 6: 'HIP', 12: 'XPU', 13: 'MPS' };

interface TrackDraft {
  pid: string;
  tid: string;
  kind: TrackKind | undefined;
  device: number;
  stream: number;
  hasGpuWork: boolean;
}

interface ProcessDraft {
  name?: string;
  labels?: string;
  sort?: number;
}

interface FlowPoint {
  track: number;
  ts: number;
  /** `f` without `bp: e` binds to the next slice that starts at or after ts; everything else to the enclosing slice. */
  next: boolean;
}

export interface FinishInput {
  readonly source: ProfileSource;
  readonly metadata: Record<string, unknown>;
  readonly devices: readonly DeviceInfo[];
}

export class ProfileBuilder {
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly argTexts: string[] = ['{}'];
  private readonly argIds = new Map<string, number>([['{}', 0]]);
  private readonly tracks: TrackDraft[] = [];
  private readonly trackIds = new Map<string, number>();
  private readonly processes = new Map<string, ProcessDraft>();
  private readonly threadNames = new Map<string, string>();
  private readonly threadSort = new Map<string, number>();
  private readonly categoryCounts: Record<string, number> = {};
  private readonly warnings = new Map<string, number>();

  private readonly sStart = f64();
  private readonly sDur = f64();
  private readonly sTrack = u32();
  private readonly sName = u32();
  private readonly sCat = u32();
  private readonly sKind = u8();
  private readonly sCorr = f64();
  private readonly sExt = f64();
  private readonly sArgs = u32();

  private readonly flowPoints: { key: string; cat: number; id: number; phase: 's' | 't' | 'f'; point: FlowPoint }[] = [];

  private readonly mTs = f64();
  private readonly mBytes = f64();
  private readonly mTotalAlloc = f64();
  private readonly mTotalRes = f64();
  private readonly mAddr = f64();
  private readonly mDevice = u16();
  private readonly mTrack = i32();
  private readonly memDevices: MemoryDevice[] = [];
  private readonly memDeviceIds = new Map<string, number>();

  private readonly cSeries = u32();
  private readonly cTs = f64();
  private readonly cValue = f64();
  private readonly series: CounterSeries[] = [];
  private readonly seriesIds = new Map<string, number>();

  intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Interns an args object's JSON text; returns its index (0 for none/empty). */
  internArgs(json: string): number {
    let id = this.argIds.get(json);
    if (id === undefined) {
      id = this.argTexts.length;
      this.argTexts.push(json);
      this.argIds.set(json, id);
    }
    return id;
  }

  count(category: string): void {
    this.categoryCounts[category] = (this.categoryCounts[category] ?? 0) + 1;
  }

  /** Records a warning; repeated warnings are counted, not repeated. */
  warn(message: string): void {
    this.warnings.set(message, (this.warnings.get(message) ?? 0) + 1);
  }

  track(pid: string, tid: string): number {
    const key = `${pid}\u0000${tid}`;
    let id = this.trackIds.get(key);
    if (id === undefined) {
      id = this.tracks.length;
      this.tracks.push({ pid, tid, kind: undefined, device: -1, stream: -1, hasGpuWork: false });
      this.trackIds.set(key, id);
    }
    return id;
  }

  /** Declares what a track is when the importer knows better than the slices on it. */
  setTrackKind(track: number, kind: TrackKind, device = -1, stream = -1): void {
    const t = this.tracks[track]!;
    t.kind = kind;
    if (device >= 0) t.device = device;
    if (stream >= 0) t.stream = stream;
  }

  setProcessName(pid: string, name: string): void {
    this.process(pid).name = name;
  }
  setProcessLabels(pid: string, labels: string): void {
    this.process(pid).labels = labels;
  }
  setProcessSort(pid: string, sort: number): void {
    this.process(pid).sort = sort;
  }
  setThreadName(pid: string, tid: string, name: string): void {
    this.threadNames.set(`${pid}\u0000${tid}`, name);
  }
  setThreadSort(pid: string, tid: string, sort: number): void {
    this.threadSort.set(`${pid}\u0000${tid}`, sort);
  }

  private process(pid: string): ProcessDraft {
    let p = this.processes.get(pid);
    if (!p) this.processes.set(pid, (p = {}));
    return p;
  }

  addSlice(track: number, ts: number, dur: number, name: number, cat: number, kind: SliceKind, correlation: number, externalId: number, args: number): void {
    const code = KIND_CODE.get(kind)!;
    if (GPU_KIND_CODES.has(code)) this.tracks[track]!.hasGpuWork = true;
    this.sStart.push(ts);
    this.sDur.push(dur);
    this.sTrack.push(track);
    this.sName.push(name);
    this.sCat.push(cat);
    this.sKind.push(code);
    this.sCorr.push(correlation);
    this.sExt.push(externalId);
    this.sArgs.push(args);
  }

  /**
   * A flow event (`ph` s, t or f). Flows are keyed by category and `key` (the id as text); `id` is
   * its numeric value. Ends are paired in `finish`, so their order in the file does not matter
   * (Kineto writes the `f` of a launch before its `s`).
   */
  addFlowPoint(cat: string, key: string, id: number, phase: 's' | 't' | 'f', track: number, ts: number, bindEnclosing: boolean): void {
    this.flowPoints.push({ key: `${cat}\u0000${key}`, cat: this.intern(cat), id, phase, point: { track, ts, next: !bindEnclosing } });
  }

  addMemory(ts: number, bytes: number, totalAllocated: number, totalReserved: number, addr: number, deviceType: number, deviceIndex: number, track: number): void {
    const key = `${deviceType}:${deviceIndex}`;
    let dev = this.memDeviceIds.get(key);
    if (dev === undefined) {
      dev = this.memDevices.length;
      const typeName = DEVICE_TYPE_NAMES[deviceType] ?? `device type ${deviceType}`;
      this.memDevices.push({ type: deviceType, index: deviceIndex, name: deviceType === 0 || deviceIndex < 0 ? typeName : `${typeName}:${deviceIndex}` });
      this.memDeviceIds.set(key, dev);
    }
    this.mTs.push(ts);
    this.mBytes.push(bytes);
    this.mTotalAlloc.push(totalAllocated);
    this.mTotalRes.push(totalReserved);
    this.mAddr.push(addr);
    this.mDevice.push(dev);
    this.mTrack.push(track);
  }

  addCounter(pid: string, name: string, series: string, ts: number, value: number): void {
    const key = `${pid}\u0000${name}\u0000${series}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      id = this.series.length;
      this.series.push({ pid, name, series });
      this.seriesIds.set(key, id);
    }
    this.cSeries.push(id);
    this.cTs.push(ts);
    this.cValue.push(value);
  }

  finish(input: FinishInput): Profile {
    const nSlices = this.sStart.length;
    let origin = Infinity;
    let end = -Infinity;
    for (let i = 0; i < nSlices; i++) {
      const s = this.sStart.get(i);
      if (s < origin) origin = s;
      if (s + this.sDur.get(i) > end) end = s + this.sDur.get(i);
    }
    for (const col of [this.mTs, this.cTs]) {
      for (let i = 0; i < col.length; i++) {
        const t = col.get(i);
        if (t < origin) origin = t;
        if (t > end) end = t;
      }
    }
    if (origin === Infinity) origin = end = 0;

    // Tracks in display order: host processes first, then GPUs, then the rest; threads by sort index.
    const trackOrder = this.orderTracks();
    const newTrackOf = new Uint32Array(this.tracks.length);
    trackOrder.forEach((old, i) => (newTrackOf[old] = i));

    const order = sortedOrder(
      nSlices,
      (a, b) =>
        newTrackOf[this.sTrack.get(a)]! - newTrackOf[this.sTrack.get(b)]! ||
        this.sStart.get(a) - this.sStart.get(b) ||
        this.sDur.get(b) - this.sDur.get(a),
    );
    const start = this.sStart.permuted(order);
    for (let i = 0; i < nSlices; i++) start[i] -= origin;
    const dur = this.sDur.permuted(order);
    const track = this.sTrack.permuted(order);
    for (let i = 0; i < nSlices; i++) track[i] = newTrackOf[track[i]!]!;
    const depth = new Uint32Array(nSlices);
    const parent = new Int32Array(nSlices);

    // Nesting per track. A slice goes one level below the innermost slice still open at its start,
    // whether it fits inside it or only partly overlaps it: nothing is merged, hidden or dropped.
    const firstSlice = new Uint32Array(trackOrder.length);
    const sliceCount = new Uint32Array(trackOrder.length);
    const depthCount = new Uint32Array(trackOrder.length);
    const stack: number[] = [];
    for (let i = 0; i < nSlices; i++) {
      const t = track[i]!;
      if (i === 0 || track[i - 1] !== t) {
        stack.length = 0;
        firstSlice[t] = i;
      }
      sliceCount[t]!++;
      const s = start[i]!;
      while (stack.length && start[stack[stack.length - 1]!]! + dur[stack[stack.length - 1]!]! <= s) stack.pop();
      parent[i] = stack.length ? stack[stack.length - 1]! : -1;
      depth[i] = stack.length;
      if (stack.length + 1 > depthCount[t]!) depthCount[t] = stack.length + 1;
      stack.push(i);
    }

    const tracks: Track[] = trackOrder.map((old, id) => {
      const d = this.tracks[old]!;
      const proc = this.processes.get(d.pid);
      const kind: TrackKind = d.hasGpuWork || /^GPU\b/.test(proc?.labels ?? '') ? 'gpu-stream' : d.kind ?? (/^-?\d+$/.test(d.pid) ? 'cpu-thread' : 'other');
      const threadName = this.threadNames.get(`${d.pid}\u0000${d.tid}`)?.trim();
      return {
        id,
        kind,
        pid: d.pid,
        tid: d.tid,
        name: threadName || (kind === 'gpu-stream' && d.stream >= 0 ? `stream ${d.stream}` : d.tid),
        processName: [proc?.name, proc?.labels && proc.labels !== proc.name ? `(${proc.labels})` : undefined].filter(Boolean).join(' ') || d.pid,
        device: d.device,
        stream: d.stream,
        firstSlice: firstSlice[id]!,
        sliceCount: sliceCount[id]!,
        depthCount: depthCount[id]!,
      };
    });

    // Flows: one arrow per step or finish, from the previous point with the same key (a start or a
    // step, in time order); a start nobody finishes becomes an arrow to nowhere. Each end binds to a
    // slice on its track.
    const flows: { cat: number; id: number; from: FlowPoint | undefined; to: FlowPoint | undefined }[] = [];
    const byKey = new Map<string, (typeof this.flowPoints)[number][]>();
    for (const fp of this.flowPoints) {
      let list = byKey.get(fp.key);
      if (!list) byKey.set(fp.key, (list = []));
      list.push(fp);
    }
    const phaseOrder = { s: 0, t: 1, f: 2 };
    for (const list of byKey.values()) {
      list.sort((a, b) => a.point.ts - b.point.ts || phaseOrder[a.phase] - phaseOrder[b.phase]);
      let from: FlowPoint | undefined;
      let pending = false;
      for (const fp of list) {
        if (fp.phase === 's') {
          if (pending) flows.push({ cat: fp.cat, id: fp.id, from, to: undefined });
          from = fp.point;
          pending = true;
          continue;
        }
        flows.push({ cat: fp.cat, id: fp.id, from, to: fp.point });
        from = fp.phase === 't' ? { ...fp.point, next: false } : undefined;
        pending = fp.phase === 't';
      }
      if (pending && from) flows.push({ cat: list[0]!.cat, id: list[0]!.id, from, to: undefined });
    }
    const nFlows = flows.length;
    const fFrom = new Int32Array(nFlows);
    const fTo = new Int32Array(nFlows);
    const fCat = new Uint32Array(nFlows);
    const fId = new Float64Array(nFlows);
    const bind = (p: FlowPoint | undefined): number => {
      if (!p) return -1;
      const t = tracks[newTrackOf[p.track]!]!;
      return p.next ? sliceStartingAtOrAfter(start, t, p.ts - origin) : sliceAt(start, dur, parent, t, p.ts - origin);
    };
    flows.forEach((f, i) => {
      fFrom[i] = bind(f.from);
      fTo[i] = bind(f.to);
      fCat[i] = f.cat;
      fId[i] = f.id;
    });

    const mOrder = sortedOrder(this.mTs.length, (a, b) => this.mTs.get(a) - this.mTs.get(b));
    const mTs = this.mTs.permuted(mOrder);
    for (let i = 0; i < mTs.length; i++) mTs[i] -= origin;
    const mTrack = this.mTrack.permuted(mOrder);
    for (let i = 0; i < mTrack.length; i++) if (mTrack[i]! >= 0) mTrack[i] = newTrackOf[mTrack[i]!]!;

    const cOrder = sortedOrder(this.cTs.length, (a, b) => this.cTs.get(a) - this.cTs.get(b));
    const cTs = this.cTs.permuted(cOrder);
    for (let i = 0; i < cTs.length; i++) cTs[i] -= origin;

    return {
      schemaVersion: PROFILE_SCHEMA_VERSION,
      source: input.source,
      origin,
      duration: end - origin,
      strings: this.strings,
      tracks,
      slices: {
        count: nSlices,
        start,
        dur,
        track,
        depth,
        parent,
        name: this.sName.permuted(order),
        cat: this.sCat.permuted(order),
        kind: this.sKind.permuted(order),
        correlation: this.sCorr.permuted(order),
        externalId: this.sExt.permuted(order),
        args: this.sArgs.permuted(order),
      },
      flows: { count: nFlows, from: fFrom, to: fTo, cat: fCat, id: fId },
      memory: {
        count: mTs.length,
        ts: mTs,
        bytes: this.mBytes.permuted(mOrder),
        totalAllocated: this.mTotalAlloc.permuted(mOrder),
        totalReserved: this.mTotalRes.permuted(mOrder),
        addr: this.mAddr.permuted(mOrder),
        device: this.mDevice.permuted(mOrder),
        track: mTrack,
      },
      memoryDevices: this.memDevices,
      counters: { count: cTs.length, series: this.cSeries.permuted(cOrder), ts: cTs, value: this.cValue.permuted(cOrder) },
      counterSeries: this.series,
      args: this.argTexts,
      devices: input.devices,
      categoryCounts: this.categoryCounts,
      metadata: input.metadata,
      warnings: [...this.warnings].map(([m, n]) => (n > 1 ? `${m} (${n} times)` : m)),
    };
  }

  private orderTracks(): number[] {
    const key = (i: number): [number, number, string, string] => {
      const d = this.tracks[i]!;
      const proc = this.processes.get(d.pid);
      const gpu = d.hasGpuWork || /^GPU\b/.test(proc?.labels ?? '');
      const numericPid = /^-?\d+$/.test(d.pid) ? Number(d.pid) : NaN;
      // Kineto's own sort indexes put GPUs at 0x1000000 + device; follow them when present.
      const procSort = proc?.sort ?? (Number.isNaN(numericPid) ? 2 ** 40 : gpu ? 2 ** 24 + numericPid : numericPid);
      const tidNum = Number(d.tid.replace(/^stream /, ''));
      const threadSort = this.threadSort.get(`${d.pid}\u0000${d.tid}`) ?? (Number.isNaN(tidNum) ? 2 ** 40 : tidNum);
      return [procSort, threadSort, d.pid, d.tid];
    };
    const keys = this.tracks.map((_, i) => key(i));
    return this.tracks
      .map((_, i) => i)
      .sort((a, b) => {
        const x = keys[a]!;
        const y = keys[b]!;
        return x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0) || (x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0);
      });
  }
}

/** Index of the last slice in `t` whose start is <= ts, or -1. Slices of a track are sorted by start. */
export function lastStartingAtOrBefore(start: Float64Array, t: Track, ts: number): number {
  let lo = t.firstSlice;
  let hi = t.firstSlice + t.sliceCount; // first index with start > ts lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (start[mid]! <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1 >= t.firstSlice ? lo - 1 : -1;
}

/** The innermost slice of track `t` that contains time `ts` (start <= ts <= end), or -1. */
export function sliceAt(start: Float64Array, dur: Float64Array, parent: Int32Array, t: Track, ts: number): number {
  let j = lastStartingAtOrBefore(start, t, ts);
  while (j >= 0 && start[j]! + dur[j]! < ts) j = parent[j]!;
  return j;
}

function sliceStartingAtOrAfter(start: Float64Array, t: Track, ts: number): number {
  let lo = t.firstSlice;
  let hi = t.firstSlice + t.sliceCount;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (start[mid]! < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo < t.firstSlice + t.sliceCount ? lo : -1;
}
