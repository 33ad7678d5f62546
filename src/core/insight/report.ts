/**
 * The model insight as one JSON-able report (what `inference-lens insight --json` prints):
 * values chosen for the symbolic dims, shape coverage, FLOPs/MACs and parameters (totals, per op
 * type, per module scope), and the static memory plan.
 */
import { defaultForDim } from '../inputs/synthesize';
import type { OnnxModel } from '../onnx/types';
import { analyzeModel } from './analyze';
import type { AnalyzeOptions, Coverage, DimValues, LiveTensor, ModelInsight } from './types';

export const INSIGHT_SCHEMA_VERSION = 1;

export interface DimChoice {
  readonly name: string;
  readonly value: number;
  /** 'given' by the caller, or a 'default' chosen from the name (see `why`). */
  readonly source: 'given' | 'default';
  readonly why?: string;
}

export interface InsightTotals {
  /** For the chosen dims; null when some node's cost is unknown (then `knownFlops` is a lower bound). */
  readonly flops: number | null;
  readonly macs: number | null;
  readonly knownFlops: number;
  readonly knownMacs: number;
  readonly nodes: number;
  readonly unknownNodes: number;
  /** Bytes of the weights the nodes read. */
  readonly paramBytes: number;
}

export interface InsightScopeRow {
  readonly key: string;
  readonly path: readonly string[];
  readonly flops: number | null;
  readonly knownFlops: number;
  readonly macs: number | null;
  readonly paramBytes: number;
  readonly nodes: number;
  readonly unknownNodes: number;
}

export interface InsightOpRow {
  /** Domain-qualified op type. */
  readonly op: string;
  readonly count: number;
  readonly knownFlops: number;
  readonly knownMacs: number;
  readonly unknownNodes: number;
}

export interface InsightReport {
  readonly schemaVersion: typeof INSIGHT_SCHEMA_VERSION;
  readonly file: { readonly path: string; readonly name: string; readonly sizeBytes: number };
  /** Values used for the model's input dims. */
  readonly dims: readonly DimChoice[];
  /** Input dims without a name: values that depend on them stay unknown. */
  readonly unnamedInputDims: readonly string[];
  readonly coverage: Coverage;
  readonly totals: InsightTotals;
  readonly byOpType: readonly InsightOpRow[];
  /** Scopes up to the requested depth, in first-seen order ('' is the whole model). */
  readonly scopes: readonly InsightScopeRow[];
  readonly memory: {
    readonly peakActivationBytes: number;
    readonly peakAtNode: { readonly index: number; readonly name: string };
    /** The largest tensors alive at the peak (at most 20). */
    readonly liveAtPeak: readonly LiveTensor[];
    readonly liveAtPeakCount: number;
    readonly weightBytes: number;
    readonly unknownTensors: number;
    readonly subgraphsExcluded: boolean;
  };
  /** Source frames were found in node metadata (dynamo exporter) for this many nodes. */
  readonly nodesWithSource: number;
  readonly warnings: readonly string[];
}

/** Named symbolic dims of the main graph's inputs (initializers excluded), in order. */
export function inputSymbols(model: OnnxModel): { names: string[]; unnamed: string[] } {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  const names: string[] = [];
  const unnamed: string[] = [];
  for (const v of model.graph.inputs) {
    if (inits.has(v.name) || v.type.kind !== 'tensor' || !v.type.shape) continue;
    v.type.shape.forEach((d, axis) => {
      if (d.kind === 'param' && d.param && !names.includes(d.param)) names.push(d.param);
      else if (d.kind === 'unknown' || (d.kind === 'param' && !d.param)) unnamed.push(`${v.name} axis ${axis}`);
    });
  }
  return { names, unnamed };
}

/** Given dims plus defaults (batch 1, sequence 128… as profiling chooses) for the input dims not given. */
export function chooseDims(model: OnnxModel, given: DimValues): DimChoice[] {
  const { names } = inputSymbols(model);
  const out: DimChoice[] = [];
  for (const name of names) {
    const v = given[name];
    if (v !== undefined) out.push({ name, value: v, source: 'given' });
    else {
      const d = defaultForDim(name);
      out.push({ name, value: d.value, source: 'default', why: d.why });
    }
  }
  for (const [name, value] of Object.entries(given)) if (!names.includes(name)) out.push({ name, value, source: 'given' });
  return out;
}

export function insightReport(model: OnnxModel, opts: AnalyzeOptions & { readonly scopeDepth?: number } = {}): { report: InsightReport; insight: ModelInsight } {
  const choices = chooseDims(model, opts.dims ?? {});
  const dims: Record<string, number> = {};
  for (const c of choices) dims[c.name] = c.value;
  const insight = analyzeModel(model, { ...opts, dims });
  const plan = insight.memoryPlan();
  const depth = opts.scopeDepth ?? 2;
  const ops = new Map<string, { op: string; count: number; knownFlops: number; knownMacs: number; unknownNodes: number }>();
  for (const n of insight.nodes) {
    if (!n.counted) continue;
    const op = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    const row = ops.get(op) ?? { op, count: 0, knownFlops: 0, knownMacs: 0, unknownNodes: 0 };
    row.count++;
    if (n.flops === null) row.unknownNodes++;
    else row.knownFlops += n.flops;
    row.knownMacs += n.macs ?? 0;
    ops.set(op, row);
  }
  const t = insight.totals;
  const report: InsightReport = {
    schemaVersion: INSIGHT_SCHEMA_VERSION,
    file: { path: model.path, name: model.path.split(/[\\/]/).pop() ?? model.path, sizeBytes: model.fileSize },
    dims: choices,
    unnamedInputDims: inputSymbols(model).unnamed,
    coverage: insight.coverage,
    totals: { flops: t.flops, macs: t.macs, knownFlops: t.knownFlops, knownMacs: t.knownMacs, nodes: t.nodes, unknownNodes: t.unknownNodes, paramBytes: t.paramBytes },
    byOpType: [...ops.values()].sort((a, b) => b.knownFlops - a.knownFlops || b.count - a.count || a.op.localeCompare(b.op)),
    scopes: insight.scopes
      .filter((s) => s.path.length <= depth)
      .map((s) => ({ key: s.key, path: s.path, flops: s.flops, knownFlops: s.knownFlops, macs: s.macs, paramBytes: s.paramBytes, nodes: s.nodes, unknownNodes: s.unknownNodes })),
    memory: {
      peakActivationBytes: plan.peakActivationBytes,
      peakAtNode: { index: plan.peakAtNodeIndex, name: plan.peakAtNodeName },
      liveAtPeak: plan.liveAtPeak.slice(0, 20),
      liveAtPeakCount: plan.liveAtPeak.length,
      weightBytes: plan.weightBytes,
      unknownTensors: plan.unknownTensors,
      subgraphsExcluded: plan.subgraphsExcluded,
    },
    nodesWithSource: insight.nodes.filter((n) => n.source && n.source.frames.length > 0).length,
    warnings: insight.warnings,
  };
  return { report, insight };
}
