/**
 * The model graph the Graph tab shows, built with the insight analysis (shapes on edges, static
 * cost, scopes, source frames) for the dims the user last profiled with, else the defaults Profile
 * Model… suggests. Runs in the graph worker thread (./graph-worker.ts).
 */
import { buildModelGraph, type BuiltGraph } from '../core/graph/build';
import { analyzeModel } from '../core/insight';
import { defaultForDim } from '../core/inputs/synthesize';
import { isOnnxError, type OnnxModel } from '../core/onnx';

/** Values for the model's symbolic input dims: those given (the last Profile Model… form), else defaults. */
export function dimsFor(model: OnnxModel, given: Readonly<Record<string, number>> = {}): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const input of model.graph.inputs) {
    if (input.type.kind !== 'tensor') continue;
    for (const d of input.type.shape ?? []) if (d.kind === 'param' && !(d.param in dims)) dims[d.param] = given[d.param] ?? defaultForDim(d.param).value;
  }
  return dims;
}

/**
 * The graph with the insight analysis; when the analysis fails on this model the graph is built
 * from the model's own types and names (and `warning` says so).
 */
export function buildGraph(model: OnnxModel, dims: Readonly<Record<string, number>>, signal: AbortSignal): BuiltGraph & { warning?: string } {
  try {
    const insight = analyzeModel(model, { dims, signal });
    return buildModelGraph(model, { insight, signal });
  } catch (e) {
    if (isOnnxError(e) && e.code === 'cancelled') throw e;
    const built = buildModelGraph(model, { signal });
    return { ...built, warning: `Shape and cost analysis failed (${e instanceof Error ? e.message : String(e)}); shapes come from the model's value_info only.` };
  }
}
