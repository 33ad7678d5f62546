/** The one-screen summary of a Profile that `inference-lens trace` prints (and `--json` emits). */
import { attributeGpuWork, gpuBusy, kernelTable, memoryPeaks, operatorTable, stepBreakdown, type DeviceBusy, type DurationStats, type MemoryPeak, type OperatorRow, type StepRow, type StreamBusy } from './analyses';
import { SLICE_KINDS, type DeviceInfo, type Profile, type SliceKind, type TraceFormat } from './types';

export const TRACE_SUMMARY_SCHEMA_VERSION = 1;

export interface TraceSummary {
  readonly schemaVersion: typeof TRACE_SUMMARY_SCHEMA_VERSION;
  readonly file?: string;
  readonly format: TraceFormat;
  readonly jsonBytes: number;
  readonly eventCount: number;
  /** From the first to the last timestamp, µs. */
  readonly durationUs: number;
  /** GPUs that have work in the trace (all listed ones when none has). */
  readonly devices: readonly DeviceInfo[];
  /** Source events per category (see `Profile.categoryCounts`), most first. */
  readonly categories: readonly { readonly category: string; readonly count: number }[];
  /** Slices per normalized kind (only kinds present). */
  readonly kinds: Readonly<Partial<Record<SliceKind, number>>>;
  readonly tracks: number;
  readonly flows: number;
  readonly memorySamples: number;
  readonly gpu: { readonly devices: readonly DeviceBusy[]; readonly streams: readonly StreamBusy[] };
  readonly attribution: { readonly gpuActivities: number; readonly viaCorrelation: number; readonly viaFlow: number; readonly unattributed: number };
  readonly topOperators: readonly OperatorRow[];
  readonly topKernels: readonly DurationStats[];
  readonly steps: readonly StepRow[];
  readonly memory: readonly MemoryPeak[];
  readonly warnings: readonly string[];
}

export function summarizeProfile(p: Profile, top = 10): TraceSummary {
  const kinds: Partial<Record<SliceKind, number>> = {};
  for (let i = 0; i < p.slices.count; i++) {
    const k = SLICE_KINDS[p.slices.kind[i]!]!;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  const gpu = gpuBusy(p);
  const attribution = attributeGpuWork(p);
  const used = new Set(gpu.devices.map((d) => d.device));
  return {
    schemaVersion: TRACE_SUMMARY_SCHEMA_VERSION,
    ...(p.source.path ? { file: p.source.path } : {}),
    format: p.source.format,
    jsonBytes: p.source.jsonBytes,
    eventCount: p.source.eventCount,
    durationUs: p.duration,
    devices: used.size ? p.devices.filter((d) => used.has(d.id)) : p.devices,
    categories: Object.entries(p.categoryCounts)
      .map(([category, count]) => ({ category, count }))
      .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : 1)),
    kinds,
    tracks: p.tracks.length,
    flows: p.flows.count,
    memorySamples: p.memory.count,
    gpu,
    attribution: { gpuActivities: attribution.gpuActivities, viaCorrelation: attribution.viaCorrelation, viaFlow: attribution.viaFlow, unattributed: attribution.unattributed },
    topOperators: operatorTable(p, attribution).slice(0, top),
    topKernels: kernelTable(p).slice(0, top),
    steps: stepBreakdown(p),
    memory: memoryPeaks(p),
    warnings: p.warnings,
  };
}
