/**
 * Model insight: shape and type inference, per-node cost, scope aggregates, static memory plan and
 * node → source frames over the lazy model from `readModel` (weights stay on disk; only small
 * constant tensors that shapes depend on are read).
 *
 * NOTE: first commit of the API; the analysis below is a placeholder being replaced by the real one.
 */
import type { OnnxModel } from '../onnx/types';
import type { AnalyzeOptions, GraphInsight, MemoryPlan, ModelInsight, ValueShape } from './types';

export * from './types';

export function analyzeModel(model: OnnxModel, opts: AnalyzeOptions = {}): ModelInsight {
  const values = new Map<string, ValueShape>();
  for (const v of [...model.graph.inputs, ...model.graph.outputs, ...model.graph.valueInfo]) {
    if (v.type.kind !== 'tensor') continue;
    values.set(v.name, {
      elemType: v.type.elemType,
      shape: v.type.shape ? v.type.shape.map((d) => (d.kind === 'value' ? d.value : d.kind === 'param' ? d.param : null)) : null,
    });
  }
  const main: GraphInsight = { path: '', name: model.graph.name, values };
  const dims = opts.dims ?? {};
  const plan = (d = dims): MemoryPlan => ({
    dims: d,
    peakActivationBytes: 0,
    peakAtNodeIndex: -1,
    peakAtNodeName: '',
    liveAtPeak: [],
    weightBytes: 0,
    unknownTensors: 0,
    subgraphsExcluded: false,
  });
  return {
    values,
    graphs: [main],
    nodes: [],
    scopes: [],
    totals: { flops: null, macs: null, paramBytes: 0, nodes: 0, unknownNodes: 0, knownFlops: 0, knownMacs: 0 },
    coverage: { known: 0, partial: 0, total: values.size, ratio: 0, unsupportedOps: [] },
    symbols: [],
    dims,
    memoryPlan: plan,
    warnings: [],
  };
}
