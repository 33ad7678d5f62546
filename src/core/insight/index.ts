/**
 * Model insight: shape and type inference, per-node cost, scope aggregates, static memory plan and
 * node → source frames over the lazy model from `readModel` (weights stay on disk; only small
 * constant tensors that shapes depend on are read).
 *
 *   const model = await readModel(file);
 *   const insight = analyzeModel(model, { dims: { batch: 8, sequence: 512 } });
 *   insight.values.get('logits')      // { elemType: 1, shape: ['batch', 'sequence', 32000] }
 *   insight.totals.macs               // for the dims given; null when some node's cost is unknown
 *   insight.memoryPlan({ batch: 1, sequence: 128 }).peakActivationBytes
 *
 * Symbolic dims are canonical strings (`past_sequence_length+sequence_length`); `evalDim` evaluates one
 * for chosen values.
 */
export * from './types';
export { analyzeModel } from './analyze';
export { evalDim, parseDim } from './expr';
export { parseStackTrace, parsePyStringList, scopeOf, nodeSource, META as SOURCE_METADATA_KEYS } from './source';
