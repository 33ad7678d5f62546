/**
 * Measured time per graph node from an ONNX Runtime profile run (`.ilprof.json`): ORT names its
 * node events after the model's nodes, so each row of the run's per-node table is matched to the
 * node of the same name. A node ORT fused from others (when its name records them) has its time
 * split evenly among those origin nodes; rows that match nothing (nodes ORT inserted, such as
 * Memcpy) are totalled separately so the overlay's legend can say what it does not show.
 */
import type { OrtRunFile } from '../results/ort-run';
import { NODE_KINDS, type GraphTiming, type ModelGraph } from './types';

/** Op node indices by name (the first node with a name wins; unnamed nodes cannot be matched). */
export function nodesByName(graph: ModelGraph): Map<string, number> {
  const m = new Map<string, number>();
  const op = NODE_KINDS.indexOf('op');
  for (let i = 0; i < graph.nodes.count; i++) {
    if (graph.nodes.kind[i] !== op) continue;
    const name = graph.strings[graph.nodes.name[i]!]!;
    if (name && !m.has(name)) m.set(name, i);
  }
  return m;
}

/** Per-node mean time per profiled run, or undefined when the run has no per-node breakdown. */
export function graphTiming(graph: ModelGraph, run: OrtRunFile, runFile: string): GraphTiming | undefined {
  const ops = run.operators;
  if (!ops || ops.byNode.length === 0) return undefined;
  const runs = Math.max(1, ops.runs);
  const byName = nodesByName(graph);
  const nodeUs = new Float64Array(graph.nodes.count).fill(NaN);
  const add = (i: number, us: number): void => {
    nodeUs[i] = (Number.isNaN(nodeUs[i]!) ? 0 : nodeUs[i]!) + us;
  };
  let unmatchedUs = 0;
  let unmatchedNodes = 0;
  let totalUs = 0;
  const fusedInto: { node: number; fused: string }[] = [];
  for (const row of ops.byNode) {
    const us = row.totalUs / runs;
    totalUs += us;
    const i = byName.get(row.node);
    if (i !== undefined) {
      add(i, us);
      continue;
    }
    const origins = (row.fusedFrom ?? []).map((n) => byName.get(n)).filter((x): x is number => x !== undefined);
    if (origins.length) {
      for (const o of origins) {
        add(o, us / origins.length);
        fusedInto.push({ node: o, fused: row.node });
      }
      continue;
    }
    unmatchedUs += us;
    unmatchedNodes++;
  }
  return { runFile, createdAt: run.createdAt, ep: run.result.ep, nodeUs, unmatchedUs, unmatchedNodes, fusedInto, totalUs };
}
