/** Input/output dims: make them symbolic or fix them to values. */
import type { Dim, Graph, OnnxModel, TypeInfo, ValueInfo } from '../onnx/types';
import { GraphEdits, forEachGraph, runTransform, type TransformResult } from './common';
import { OptimizeError } from './errors';
import type { DimChange, DimsOptions, TransformChange, TransformReport, TransformRunOptions } from './types';

/** Parses the CLI/QuickPick form `name:axis=label` (dynamic) or `name:axis=123` (fixed). */
export function parseDimChange(text: string, fixed: boolean): DimChange {
  const m = /^(.+):(-?\d+)=(.+)$/.exec(text.trim());
  if (!m) throw new OptimizeError('bad-option', `'${text}' is not name:axis=${fixed ? 'value' : 'label'}`);
  const to = m[3]!.trim();
  if (fixed) {
    if (!/^\d+$/.test(to) || Number(to) < 1) throw new OptimizeError('bad-option', `'${text}': the value must be a positive integer`);
    return { value: m[1]!, axis: Number(m[2]), to: Number(to) };
  }
  if (!/^[A-Za-z_][\w.]*$/.test(to)) throw new OptimizeError('bad-option', `'${text}': the label must be a name like batch or sequence_length`);
  return { value: m[1]!, axis: Number(m[2]), to };
}

export async function setDims(src: string, dst: string, opts: DimsOptions, run: TransformRunOptions = {}): Promise<TransformReport> {
  return runTransform('dims', src, dst, run, (model) => planDims(model, opts));
}

const LABEL = /^[A-Za-z_][\w.]*$/;

function dimText(d: Dim): string {
  return d.kind === 'value' ? String(d.value) : d.kind === 'param' ? d.param : '?';
}

/**
 * Sets dims of graph inputs/outputs. A named dim fixed to a value is fixed everywhere it appears
 * (inputs, outputs, value_info of every graph): one name is one size. Making a dim symbolic
 * clears the shapes in value_info (element types stay): intermediate shapes may have been computed
 * from the old size, and ONNX Runtime re-infers them.
 */
export function planDims(model: OnnxModel, opts: DimsOptions): TransformResult {
  if (!opts.changes.length) throw new OptimizeError('bad-option', 'No dims to change: give at least one --dynamic or --fix');
  const g = model.graph;
  const io = new Map<string, { kind: 'input' | 'output'; index: number }>();
  g.outputs.forEach((v, index) => io.set(v.name, { kind: 'output', index }));
  g.inputs.forEach((v, index) => io.set(v.name, { kind: 'input', index }));
  const inputs = [...g.inputs];
  const outputs = [...g.outputs];
  const changes: TransformChange[] = [];
  const warnings: string[] = [];
  /** Named dims fixed to a value, or renamed. */
  const paramTo = new Map<string, Dim>();
  let madeDynamic = false;
  for (const c of opts.changes) {
    const where = io.get(c.value);
    if (!where) {
      const names = [...g.inputs, ...g.outputs].map((v) => v.name);
      throw new OptimizeError('bad-option', `'${c.value}' is not an input or output of the model (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''})`);
    }
    const list = where.kind === 'input' ? inputs : outputs;
    const v = list[where.index]!;
    if (v.type.kind !== 'tensor') throw new OptimizeError('bad-option', `'${c.value}' is a ${v.type.kind}, not a tensor`);
    if (!v.type.shape) throw new OptimizeError('bad-option', `'${c.value}' declares no shape (its rank is unknown), so it has no axis ${c.axis}`);
    const rank = v.type.shape.length;
    const axis = c.axis < 0 ? c.axis + rank : c.axis;
    if (!Number.isInteger(c.axis) || axis < 0 || axis >= rank) throw new OptimizeError('bad-option', `'${c.value}' has ${rank} dims; axis ${c.axis} is out of range`);
    if (typeof c.to === 'number' ? !Number.isSafeInteger(c.to) || c.to < 1 : !LABEL.test(c.to)) {
      throw new OptimizeError('bad-option', `'${c.value}' axis ${c.axis}: ${typeof c.to === 'number' ? 'a fixed size must be a positive integer' : `'${c.to}' is not a dim name (letters, digits, _ and .)`}`);
    }
    const old = v.type.shape[axis]!;
    const next: Dim = typeof c.to === 'number' ? { kind: 'value', value: c.to } : { kind: 'param', param: c.to };
    const withDen: Dim = old.denotation !== undefined ? { ...next, denotation: old.denotation } : next;
    if (dimText(old) === dimText(next) && old.kind === next.kind) {
      throw new OptimizeError('bad-option', `'${c.value}' axis ${c.axis} is already ${dimText(old)}`);
    }
    if (old.kind === 'param') paramTo.set(old.param, withDen);
    if (next.kind === 'param') madeDynamic = true;
    const shape = v.type.shape.map((d, i) => (i === axis ? withDen : d));
    list[where.index] = { ...v, type: { ...v.type, shape } };
    changes.push({ action: 'dim-changed', target: where.kind, name: c.value, detail: `axis ${axis}: ${dimText(old)} → ${dimText(next)}` });
  }
  // One name, one size: apply fixed/renamed named dims everywhere.
  const mapShape = (t: TypeInfo): TypeInfo => {
    if (t.kind !== 'tensor' || !t.shape) return t;
    let changed = false;
    const shape = t.shape.map((d) => {
      const to = d.kind === 'param' ? paramTo.get(d.param) : undefined;
      if (!to) return d;
      changed = true;
      return d.denotation !== undefined ? { ...to, denotation: d.denotation } : to;
    });
    return changed ? { ...t, shape } : t;
  };
  const follow = (list: ValueInfo[], kind: 'input' | 'output') =>
    list.map((v, i) => {
      const t = mapShape(v.type);
      if (t === v.type) return v;
      const before = (v.type.kind === 'tensor' && v.type.shape?.map(dimText).join(', ')) || '';
      const after = (t.kind === 'tensor' && t.shape?.map(dimText).join(', ')) || '';
      if (!opts.changes.some((c) => c.value === v.name && io.get(c.value)?.kind === kind && io.get(c.value)?.index === i)) {
        changes.push({ action: 'dim-changed', target: kind, name: v.name, detail: `[${before}] → [${after}] (same dim name)` });
      }
      return { ...v, type: t };
    });
  const newInputs = paramTo.size ? follow(inputs, 'input') : inputs;
  const newOutputs = paramTo.size ? follow(outputs, 'output') : outputs;
  let cleared = 0;
  const fixValueInfo = (vs: readonly ValueInfo[]): ValueInfo[] =>
    vs.map((v) => {
      if (madeDynamic && (v.type.kind === 'tensor' || v.type.kind === 'sparse_tensor') && v.type.shape) {
        cleared++;
        const { shape: _drop, ...rest } = v.type;
        void _drop;
        return { ...v, type: rest as TypeInfo };
      }
      return paramTo.size ? { ...v, type: mapShape(v.type) } : v;
    });
  const edits = new GraphEdits();
  forEachGraph(g, (sg) => {
    if (!sg.valueInfo.length) return;
    edits.rewriteGraph.set(sg, (x) => ({ ...x, valueInfo: fixValueInfo(x.valueInfo) }));
  });
  const rewritten = edits.apply(model);
  const graph: Graph = { ...rewritten.graph, inputs: newInputs, outputs: newOutputs };
  if (cleared) changes.push({ action: 'value-info-cleared', target: 'value_info', name: `${cleared} values`, detail: 'shapes dropped (element types kept): they may depend on the dims made symbolic; ONNX Runtime infers them again' });
  const fixedOutputs = newOutputs.filter((o) => !opts.changes.some((c) => c.value === o.name) && o.type.kind === 'tensor' && o.type.shape?.some((d) => d.kind === 'value'));
  if (madeDynamic && opts.changes.some((c) => io.get(c.value)?.kind === 'input') && fixedOutputs.length) {
    warnings.push(`Outputs keep their fixed dims (${fixedOutputs.slice(0, 4).map((o) => o.name).join(', ')}${fixedOutputs.length > 4 ? ', ...' : ''}); if they follow the axes made symbolic, make those dynamic too (e.g. --dynamic ${fixedOutputs[0]!.name}:0=batch)`);
  }
  const dimsChanged = changes.filter((c) => c.action === 'dim-changed').length;
  return { model: { ...rewritten, graph }, payloads: new Map(), changes, warnings, summary: { dims: { dimsChanged, valueInfoCleared: cleared } } };
}
