/**
 * Per-operator breakdown of an ONNX Runtime profile (the JSON `enableProfiling` writes):
 * aggregates per op type and per node (count, total, mean, share), nodes that ran on another
 * execution provider than the one asked for (fallback), Memcpy nodes between devices, and
 * fused nodes with the original node names ORT reports for them.
 */

/** One `cat: "Node"` event as ORT writes it (numbers inside args are strings). */
interface OrtNodeEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur?: number;
  readonly ts?: number;
  readonly args?: {
    readonly op_name?: string;
    readonly provider?: string;
    readonly node_index?: string;
    readonly input_type_shape?: readonly Record<string, readonly number[]>[];
    readonly output_type_shape?: readonly Record<string, readonly number[]>[];
    readonly activation_size?: string;
    readonly parameter_size?: string;
    readonly output_size?: string;
    readonly mem_in_use_peak?: string;
    readonly mem_arena_held?: string;
  };
}

export interface OpTypeRow {
  readonly opType: string;
  readonly provider: string;
  readonly count: number;
  readonly totalUs: number;
  readonly meanUs: number;
  /** Share of all node time, 0..1. */
  readonly share: number;
}

export interface NodeRow {
  readonly node: string;
  readonly opType: string;
  readonly provider: string;
  readonly count: number;
  readonly totalUs: number;
  readonly meanUs: number;
  readonly share: number;
  /** e.g. `float[1,64,256]`, per input. */
  readonly inputShapes: readonly string[];
  readonly outputShapes: readonly string[];
  readonly parameterBytes: number;
  readonly outputBytes: number;
  /** ORT fused this node from others: the original names when the fused name carries them. */
  readonly fusedFrom?: readonly string[];
}

export interface OrtOpBreakdown {
  readonly runs: number;
  readonly totalNodeUs: number;
  readonly byOpType: readonly OpTypeRow[];
  readonly byNode: readonly NodeRow[];
  /** Nodes placed on another provider than the requested one (e.g. CPU fallback from CUDA). */
  readonly fallbackNodes: readonly { readonly node: string; readonly opType: string; readonly provider: string }[];
  /** Memcpy nodes (MemcpyToHost / MemcpyFromHost): device↔host copies inside the graph. */
  readonly memcpyNodes: readonly { readonly node: string; readonly opType: string; readonly totalUs: number }[];
  /** ORT arena peak (bytes) reported on node events, when the CPU arena was on. */
  readonly arenaPeakBytes: number;
  /** The node running when the arena peak was first reached. */
  readonly arenaPeakNode?: string;
}

const PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

export function providerName(ep: string): string {
  return PROVIDER_NAMES[ep] ?? ep;
}

function shapeText(x: Record<string, readonly number[]>): string {
  const [dtype, dims] = Object.entries(x)[0] ?? ['?', []];
  return `${dtype}[${dims.join(',')}]`;
}

/** Node names ORT gives fused nodes: `<orig>/MatMulAddFusion`, `MatMulScaleFusion/<orig>`, `fused <a> <b>`... */
export function fusedOrigins(node: string): string[] | undefined {
  const m = /^(.*?)[/_]?([A-Za-z]+Fusion)(?:[/_](.*))?$/.exec(node);
  if (!m) return undefined;
  const parts = [m[1], m[3]].filter((s): s is string => !!s && s.length > 0);
  return parts.length ? parts : undefined;
}

export function ortOpBreakdown(events: readonly unknown[], requestedEp: string, top = Infinity): OrtOpBreakdown {
  const wanted = providerName(requestedEp);
  const nodes = new Map<string, { node: string; opType: string; provider: string; count: number; totalUs: number; ev: OrtNodeEvent }>();
  let runs = 0;
  let arenaPeakBytes = 0;
  let arenaPeakNode: string | undefined;
  for (const raw of events) {
    const e = raw as OrtNodeEvent;
    if (!e || typeof e !== 'object') continue;
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !e.args?.op_name || !e.name.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    const provider = e.args.provider ?? '?';
    const key = `${node}\u0000${provider}`;
    const row = nodes.get(key) ?? { node, opType: e.args.op_name, provider, count: 0, totalUs: 0, ev: e };
    row.count++;
    row.totalUs += e.dur ?? 0;
    nodes.set(key, row);
    const peak = Number(e.args.mem_in_use_peak ?? 0);
    if (peak > arenaPeakBytes) {
      arenaPeakBytes = peak;
      arenaPeakNode = node;
    }
  }
  let totalNodeUs = 0;
  for (const r of nodes.values()) totalNodeUs += r.totalUs;
  const share = (us: number) => (totalNodeUs > 0 ? us / totalNodeUs : 0);

  const byOp = new Map<string, { opType: string; provider: string; count: number; totalUs: number }>();
  for (const r of nodes.values()) {
    const k = `${r.opType}\u0000${r.provider}`;
    const o = byOp.get(k) ?? { opType: r.opType, provider: r.provider, count: 0, totalUs: 0 };
    o.count += r.count;
    o.totalUs += r.totalUs;
    byOp.set(k, o);
  }
  const byOpType = [...byOp.values()]
    .map((o) => ({ ...o, meanUs: o.totalUs / o.count, share: share(o.totalUs) }))
    .sort((a, b) => b.totalUs - a.totalUs);
  const byNode = [...nodes.values()]
    .sort((a, b) => b.totalUs - a.totalUs)
    .slice(0, top)
    .map((r): NodeRow => {
      const fusedFrom = fusedOrigins(r.node);
      return {
        node: r.node,
        opType: r.opType,
        provider: r.provider,
        count: r.count,
        totalUs: r.totalUs,
        meanUs: r.totalUs / r.count,
        share: share(r.totalUs),
        inputShapes: (r.ev.args?.input_type_shape ?? []).map(shapeText),
        outputShapes: (r.ev.args?.output_type_shape ?? []).map(shapeText),
        parameterBytes: Number(r.ev.args?.parameter_size ?? 0),
        outputBytes: Number(r.ev.args?.output_size ?? 0),
        ...(fusedFrom ? { fusedFrom } : {}),
      };
    });
  const fallbackNodes = [...nodes.values()]
    .filter((r) => r.provider !== wanted && !/^Memcpy/.test(r.opType))
    .map((r) => ({ node: r.node, opType: r.opType, provider: r.provider }));
  const memcpyNodes = [...nodes.values()].filter((r) => /^Memcpy/.test(r.opType)).map((r) => ({ node: r.node, opType: r.opType, totalUs: r.totalUs }));
  return {
    runs,
    totalNodeUs,
    byOpType,
    byNode,
    fallbackNodes,
    memcpyNodes,
    arenaPeakBytes,
    ...(arenaPeakNode ? { arenaPeakNode } : {}),
  };
}

/** ORT's profile as a Chrome trace object that Perfetto and chrome://tracing open, with process/thread names. */
export function ortToChromeTrace(events: readonly unknown[], meta: Readonly<Record<string, string>>): { traceEvents: unknown[]; metadata: Record<string, string> } {
  const pids = new Set<number>();
  for (const e of events as { pid?: number }[]) if (typeof e?.pid === 'number') pids.add(e.pid);
  const names = [...pids].map((pid) => ({ ph: 'M', name: 'process_name', pid, tid: pid, args: { name: `ONNX Runtime ${meta.model ?? ''}`.trim() } }));
  return { traceEvents: [...names, ...events], metadata: { ...meta } };
}
