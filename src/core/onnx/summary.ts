/** The model overview: what a person wants to know about a model before running it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isOnnxError } from './errors';
import { resolveExternalDataPath } from './external-data';
import { readModel, subgraphsOf, walkGraphs, type ReadOptions } from './reader';
import {
  MODEL_SUMMARY_SCHEMA_VERSION,
  type DimSummary,
  type DtypeBytes,
  type ExternalFileSummary,
  type IoSummary,
  type ModelSummary,
  type OpCount,
} from './summary-types';
import { dataTypeInfo, dataTypeName, type Dim, type Graph, type OnnxModel, type TensorInfo, type TypeInfo, type ValueInfo } from './types';

/** Reads the model lazily and summarizes it. Throws OnnxError for unreadable models. */
export async function summarizeModel(file: string, opts: ReadOptions = {}): Promise<ModelSummary> {
  const t0 = performance.now();
  const model = await readModel(file, opts);
  return summarize(model, performance.now() - t0);
}

export function summarize(model: OnnxModel, parseMillis = 0): ModelSummary {
  const warnings: string[] = [];
  const g = model.graph;

  const initNames = new Set(g.initializers.map((t) => t.name));
  const inputs = g.inputs.filter((v) => !initNames.has(v.name)).map(ioSummary);
  const outputs = g.outputs.map(ioSummary);

  // Op histogram and initializers over the main graph and nested subgraphs.
  const ops = new Map<string, OpCount & { count: number }>();
  const inits: TensorInfo[] = [];
  const constTensors: TensorInfo[] = [];
  let subgraphCount = -1; // the main graph is not a subgraph
  walkGraphs(g, (sg) => {
    subgraphCount++;
    inits.push(...sg.initializers);
    for (const sp of sg.sparseInitializers) if (sp.values) inits.push({ ...sp.values, dims: sp.dims });
    for (const n of sg.nodes) {
      if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx')) {
        const v = n.attributes.find((a) => a.name === 'value' && a.t);
        if (v?.t) constTensors.push(v.t);
      }
      const domain = n.domain === 'ai.onnx' ? '' : n.domain;
      const op = domain ? `${domain}.${n.opType}` : n.opType;
      const e = ops.get(op);
      if (e) e.count++;
      else ops.set(op, { op, domain: domain || 'ai.onnx', opType: n.opType, count: 1 });
    }
  });
  const opHistogram = [...ops.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));

  let nodeCountTotal = 0;
  walkGraphs(g, (sg) => (nodeCountTotal += sg.nodes.length));
  const functions = model.functions.map((f) => {
    let count = f.nodes.length;
    for (const n of f.nodes) {
      for (const sg of subgraphsOf(n)) {
        walkGraphs(sg, (x) => {
          count += x.nodes.length;
          subgraphCount++;
        });
      }
    }
    nodeCountTotal += count;
    return { domain: f.domain, name: f.name, nodeCount: count };
  });

  // Initializers by dtype.
  const byDtype = new Map<string, { dtype: string; count: number; elements: number; bytes: number }>();
  let parameterCount = 0;
  let initBytes = 0;
  for (const t of inits) {
    const elements = numel(t, warnings);
    const bytes = tensorBytes(t, elements);
    parameterCount += elements;
    initBytes += bytes;
    const name = dataTypeName(t.dataType);
    const e = byDtype.get(name) ?? { dtype: name, count: 0, elements: 0, bytes: 0 };
    e.count++;
    e.elements += elements;
    e.bytes += bytes;
    byDtype.set(name, e);
  }
  const byDtypeSorted: DtypeBytes[] = [...byDtype.values()].sort((a, b) => b.bytes - a.bytes);
  const constants = { count: constTensors.length, bytes: 0, elements: 0 };
  for (const t of constTensors) {
    const elements = numel(t, warnings);
    constants.elements += elements;
    constants.bytes += tensorBytes(t, elements);
  }
  parameterCount += constants.elements;

  const externalData = summarizeExternal(model, warnings);

  // Domains used by nodes but not imported.
  const imported = new Set(model.opsetImports.map((o) => (o.domain === 'ai.onnx' ? '' : o.domain)));
  const localFns = new Set(model.functions.map((f) => f.domain));
  for (const o of opHistogram) {
    const d = o.domain === 'ai.onnx' ? '' : o.domain;
    if (!imported.has(d) && !localFns.has(d)) warnings.push(`Op ${o.op} uses domain '${o.domain}', which has no opset import.`);
  }
  if (model.irVersion > 11) warnings.push(`IR version ${model.irVersion} is newer than this reader knows (11); unknown fields were skipped.`);
  if (model.irVersion === 0) warnings.push('The model has no IR version.');

  return {
    schemaVersion: MODEL_SUMMARY_SCHEMA_VERSION,
    file: { path: model.path, name: path.basename(model.path), sizeBytes: model.fileSize },
    producer: { name: model.producerName, version: model.producerVersion },
    irVersion: model.irVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString ?? '',
    graphName: g.name,
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    metadata: model.metadataProps.map((e) => ({ key: e.key, value: e.value })),
    inputs,
    outputs,
    nodeCount: g.nodes.length,
    nodeCountTotal,
    opHistogram,
    initializers: { count: inits.length, bytes: initBytes, byDtype: byDtypeSorted },
    constants,
    parameterCount,
    externalData,
    subgraphCount,
    functions,
    parse: { bytesRead: model.bytesRead, millis: Math.round(parseMillis * 100) / 100 },
    warnings: dedupe(warnings),
  };
}

function numel(t: TensorInfo, warnings: string[]): number {
  let n = 1;
  for (const d of t.dims) {
    if (!(d >= 0) || !Number.isFinite(d)) {
      warnings.push(`Initializer '${t.name}' has an invalid dim ${d}.`);
      return 0;
    }
    n *= d;
  }
  return n;
}

function tensorBytes(t: TensorInfo, elements: number): number {
  const bits = dataTypeInfo(t.dataType).bits;
  if (bits > 0) return Math.ceil((elements * bits) / 8);
  // Strings (and unknown types): what is stored.
  if (t.data.kind === 'inline') return t.data.range.length;
  if (t.data.kind === 'external') return t.data.length ?? 0;
  return 0;
}

function summarizeExternal(model: OnnxModel, warnings: string[]): ModelSummary['externalData'] {
  const files = new Map<string, { tensorCount: number; referencedBytes: number; maxEnd: number }>();
  let tensorCount = 0;
  let bytes = 0;
  const visitTensor = (t: TensorInfo) => {
    if (t.data.kind !== 'external') return;
    const len = t.data.length ?? tensorBytes(t, numel(t, []));
    tensorCount++;
    bytes += len;
    const e = files.get(t.data.location) ?? { tensorCount: 0, referencedBytes: 0, maxEnd: 0 };
    e.tensorCount++;
    e.referencedBytes += len;
    e.maxEnd = Math.max(e.maxEnd, t.data.offset + len);
    files.set(t.data.location, e);
  };
  const visitGraph = (g: Graph) => {
    g.initializers.forEach(visitTensor);
    for (const n of g.nodes) for (const a of n.attributes) {
      if (a.t) visitTensor(a.t);
      a.tensors?.forEach(visitTensor);
    }
  };
  walkGraphs(model.graph, visitGraph);
  for (const f of model.functions) for (const n of f.nodes) for (const sg of subgraphsOf(n)) walkGraphs(sg, visitGraph);

  const out: ExternalFileSummary[] = [];
  for (const [location, e] of files) {
    let sizeBytes: number | null = null;
    let problem: string | undefined;
    try {
      const abs = resolveExternalDataPath(model.path, location);
      try {
        const st = fs.statSync(abs);
        if (!st.isFile()) problem = 'not a regular file';
        else {
          sizeBytes = st.size;
          if (st.size < e.maxEnd) problem = `file is ${st.size} bytes but tensors reference up to byte ${e.maxEnd}`;
        }
      } catch {
        problem = 'file not found next to the model';
      }
    } catch (err) {
      problem = isOnnxError(err) ? err.message : String(err);
    }
    if (problem) warnings.push(`External data '${location}': ${problem}.`);
    out.push({ location, tensorCount: e.tensorCount, referencedBytes: e.referencedBytes, sizeBytes, ...(problem ? { problem } : {}) });
  }
  return { tensorCount, bytes, files: out };
}

export function dimSummary(d: Dim): DimSummary {
  return d.kind === 'value' ? d.value : d.kind === 'param' ? d.param : null;
}

export function typeText(t: TypeInfo): string {
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const base = dataTypeName(t.elemType);
      const shape = t.shape ? `[${t.shape.map((d) => dimSummary(d) ?? '?').join(',')}]` : '';
      return t.kind === 'sparse_tensor' ? `sparse_tensor(${base}${shape})` : `${base}${shape}`;
    }
    case 'sequence':
      return `seq(${t.elem ? typeText(t.elem) : '?'})`;
    case 'optional':
      return `optional(${t.elem ? typeText(t.elem) : '?'})`;
    case 'map':
      return `map(${dataTypeName(t.keyType)},${t.value ? typeText(t.value) : '?'})`;
    case 'unknown':
      return '?';
  }
}

function ioSummary(v: ValueInfo): IoSummary {
  const t = v.type;
  const isTensor = t.kind === 'tensor' || t.kind === 'sparse_tensor';
  return {
    name: v.name,
    kind: t.kind,
    dtype: isTensor ? dataTypeName(t.elemType) : '',
    shape: isTensor && t.shape ? t.shape.map(dimSummary) : null,
    text: typeText(t),
  };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)].slice(0, 200);
}
