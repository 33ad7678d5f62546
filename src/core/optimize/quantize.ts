/**
 * INT8 dynamic quantization of MatMul/Gemm weights (what onnxruntime.quantization.quantize_dynamic
 * does for these ops): weights become symmetric int8 with one scale per tensor or per output
 * channel; activations are quantized at run time.
 *
 * Forms (Int8Options.format):
 *   dynamic        Y = com.microsoft.DynamicQuantizeMatMul(A, Bq, scale, , bias) — one node, ORT's
 *                  fastest CPU path (prepacked int8 weights; ORT fuses the other form into this one)
 *   matmulinteger  Aq, As, Az = DynamicQuantizeLinear(A) (shared by the MatMuls reading A);
 *                  Y = Cast(MatMulInteger(Aq, Bq, Az)) * (As * scale) [+ bias] — standard ONNX ops
 *   qdq            B = DequantizeLinear(Bq, scale[, axis]) feeding the original node — weight-only,
 *                  smaller file, float compute
 *
 * MatMul: the weight must be input 1, a constant (initializer or Constant node, here or in an
 * enclosing graph) 2-D float32 tensor. Gemm: transA = 0; transB = 1 weights are transposed once
 * here (dynamic, matmulinteger); alpha is folded into the scales; a 1-D bias C becomes the bias
 * input (times beta), any other C is added after. A float weight that something else still reads is
 * kept next to its int8 copy. Weights are read from disk one at a time while the output is written.
 */
import { readFloat32, type TensorPayload } from '../onnx/model-writer';
import { DataType, type Graph, type Node, type OnnxModel, type TensorInfo } from '../onnx/types';
import {
  GraphEdits,
  Names,
  attrInt,
  defaultOpset,
  forEachScope,
  getFloat,
  getInt,
  newTensor,
  nodeLabel,
  nodeNameSet,
  numel,
  opName,
  runTransform,
  useCounts,
  withOpset,
  type ConstantDef,
  type Scope,
} from './common';
import { OptimizeError } from './errors';
import type { Int8Format, Int8Options, TransformChange, TransformReport, TransformRunOptions } from './types';

export async function quantizeInt8(src: string, dst: string, opts: Int8Options = {}, run: TransformRunOptions = {}): Promise<TransformReport> {
  return runTransform('int8', src, dst, run, (model) => planInt8(model, opts));
}

/** The weight of one node, as quantized: int8 values in the layout the new node reads, and scales. */
class QuantizedWeight {
  private scaleCache: Float32Array | undefined;
  readonly q: TensorInfo;
  readonly scale: TensorInfo;
  readonly channels: number;

  constructor(
    private readonly model: OnnxModel,
    /** The value the nodes read (the initializer's or the Constant node's output name). */
    readonly valueName: string,
    readonly source: ConstantDef,
    /** Output-channel axis in the source layout (per-channel), or -1 (per-tensor). */
    private readonly channelAxis: number,
    /** Write the values transposed ([K, N] from a Gemm's transB [N, K]). */
    readonly transpose: boolean,
    private readonly qmax: number,
    /** Gemm's alpha, folded into the scales. */
    private readonly alpha: number,
    names: Names,
  ) {
    const [rows, cols] = source.tensor.dims as [number, number];
    this.channels = channelAxis < 0 ? 1 : source.tensor.dims[channelAxis]!;
    this.q = newTensor(names.fresh(`${valueName}_quantized`), DataType.INT8, transpose ? [cols, rows] : [rows, cols]);
    this.scale = newTensor(names.fresh(`${valueName}_scale`), DataType.FLOAT, channelAxis < 0 ? [] : [this.channels]);
  }

  get floatBytes(): number {
    return numel(this.source.tensor.dims) * 4;
  }

  get quantizedBytes(): number {
    return numel(this.source.tensor.dims) + this.channels * 4;
  }

  /** Reads the float weight and quantizes it (called by the writer; the values are not kept). */
  private async compute(): Promise<{ q: Int8Array; scale: Float32Array }> {
    const w = await readFloat32(this.model, this.source.tensor);
    const [rows, cols] = this.source.tensor.dims as [number, number];
    const axis = this.channelAxis;
    // Largest magnitude per channel (one channel when per-tensor).
    const amax = new Float32Array(this.channels);
    if (axis < 0) {
      let m = 0;
      for (let i = 0; i < w.length; i++) {
        const v = Math.abs(w[i]!);
        if (v > m) m = v;
      }
      amax[0] = m;
    } else {
      for (let r = 0, i = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++, i++) {
          const v = Math.abs(w[i]!);
          const ch = axis === 0 ? r : c;
          if (v > amax[ch]!) amax[ch] = v;
        }
      }
    }
    const scale = new Float32Array(this.channels);
    const inv = new Float32Array(this.channels);
    for (let ch = 0; ch < this.channels; ch++) {
      const a = amax[ch]!;
      const s = a > 0 && Number.isFinite(a) ? a / this.qmax : 1;
      scale[ch] = s * this.alpha;
      inv[ch] = 1 / s;
    }
    const q = new Int8Array(rows * cols);
    const qmax = this.qmax;
    const round = (x: number): number => {
      const v = Math.round(x);
      return v > qmax ? qmax : v < -qmax ? -qmax : v === v ? v : 0;
    };
    if (!this.transpose) {
      if (axis < 0) {
        const k = inv[0]!;
        for (let i = 0; i < w.length; i++) q[i] = round(w[i]! * k);
      } else {
        for (let r = 0, i = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++, i++) q[i] = round(w[i]! * inv[axis === 0 ? r : c]!);
        }
      }
    } else {
      for (let r = 0, i = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++, i++) q[c * rows + r] = round(w[i]! * inv[axis < 0 ? 0 : axis === 0 ? r : c]!);
      }
    }
    this.scaleCache = scale;
    return { q, scale };
  }

  payloads(): [TensorInfo, TensorPayload][] {
    return [
      [this.q, { kind: 'computed', byteLength: numel(this.q.dims), compute: async () => new Uint8Array((await this.compute()).q.buffer) }],
      [
        this.scale,
        {
          kind: 'computed',
          byteLength: this.channels * 4,
          // Usually the int8 values were just computed and the scales kept; otherwise compute again.
          compute: async () => new Uint8Array((this.scaleCache ?? (await this.compute()).scale).buffer.slice(0)),
        },
      ],
    ];
  }
}

interface Candidate {
  readonly node: Node;
  readonly scope: Scope;
  readonly weight: ConstantDef;
  readonly gemm?: { readonly transB: boolean; readonly alpha: number; readonly beta: number; readonly bias?: string; readonly biasDef?: ConstantDef };
}

export function planInt8(model0: OnnxModel, opts: Int8Options) {
  const format: Int8Format = opts.format ?? 'dynamic';
  if (!['dynamic', 'matmulinteger', 'qdq'].includes(format)) throw new OptimizeError('bad-option', `Unknown INT8 format '${format}' (dynamic, matmulinteger or qdq)`);
  const perChannel = opts.perChannel ?? false;
  const reduceRange = opts.reduceRange ?? false;
  const qmax = reduceRange ? 63 : 127;
  const minElements = opts.minElements ?? 0;
  const exclude = nodeNameSet(model0, opts.exclude, '--exclude');
  const opset = defaultOpset(model0);
  const need = format === 'matmulinteger' ? 11 : format === 'qdq' ? (perChannel ? 13 : 10) : 0;
  if (opset < need) {
    throw new OptimizeError(
      'unsupported',
      `The model uses ai.onnx opset ${opset}; the ${format} form${format === 'qdq' && perChannel ? ' per channel' : ''} needs ${need} or later. Use the dynamic form (com.microsoft DynamicQuantizeMatMul), which works with any opset.`,
    );
  }

  const changes: TransformChange[] = [];
  const warnings: string[] = [];
  const skip = (n: Node, why: string) => changes.push({ action: 'skipped', target: 'node', name: nodeLabel(n), opType: opName(n), detail: why });

  // 1. Candidates.
  const candidates: Candidate[] = [];
  let computed = 0;
  forEachScope(model0.graph, (scope) => {
    for (const n of scope.graph.nodes) {
      if ((n.domain && n.domain !== 'ai.onnx') || (n.opType !== 'MatMul' && n.opType !== 'Gemm')) continue;
      if (n.name && exclude.has(n.name)) {
        skip(n, 'excluded');
        continue;
      }
      const b = n.inputs[1];
      const def = b ? scope.lookup(b) : undefined;
      if (!def) {
        computed++; // activation × activation (attention scores): nothing to quantize ahead of time
        continue;
      }
      const t = def.tensor;
      if (t.dataType !== DataType.FLOAT) {
        skip(n, `its weight is ${t.dataType === DataType.FLOAT16 ? 'float16' : `not float32`}`);
        continue;
      }
      if (t.dims.length !== 2) {
        skip(n, `its weight has ${t.dims.length} dims (2 are needed)`);
        continue;
      }
      if (numel(t.dims) < minElements) {
        skip(n, `its weight has ${numel(t.dims)} values, fewer than ${minElements}`);
        continue;
      }
      if (n.opType === 'Gemm') {
        if (getInt(n, 'transA', 0) !== 0) {
          skip(n, 'Gemm with transA = 1');
          continue;
        }
        const bias = n.inputs[2] || undefined;
        const biasDef = bias ? scope.lookup(bias) : undefined;
        const beta = getFloat(n, 'beta', 1);
        if (bias && beta !== 1 && !biasDef && format !== 'qdq') {
          skip(n, 'Gemm with beta ≠ 1 and a computed C');
          continue;
        }
        candidates.push({
          node: n,
          scope,
          weight: def,
          gemm: { transB: getInt(n, 'transB', 0) === 1, alpha: getFloat(n, 'alpha', 1), beta, ...(bias ? { bias } : {}), ...(biasDef ? { biasDef } : {}) },
        });
      } else candidates.push({ node: n, scope, weight: def });
    }
  });
  if (candidates.length === 0) {
    const reasons = [...new Set(changes.map((c) => c.detail))];
    if (computed) reasons.push(`${computed} multiply two computed values`);
    const why = reasons.length ? ` (${reasons.join('; ')})` : '';
    throw new OptimizeError('unsupported', `Nothing to quantize: the model has no MatMul or Gemm with a constant 2-D float32 weight${why}`);
  }

  // 2. Quantized weights, shared between nodes that read the same weight the same way.
  const names = new Names(model0);
  const edits = new GraphEdits();
  const payloads = new Map<TensorInfo, TensorPayload>();
  const uses = useCounts(model0);
  const weights = new Map<string, QuantizedWeight>();
  const weightFor = (c: Candidate): { w: QuantizedWeight; fresh: boolean } => {
    const transB = c.gemm?.transB ?? false;
    const transpose = format !== 'qdq' && transB;
    const alpha = format === 'qdq' ? 1 : (c.gemm?.alpha ?? 1);
    const channelAxis = !perChannel ? -1 : transB ? 0 : 1;
    const valueName = c.node.inputs[1]!;
    const key = `${valueName}|${transpose}|${alpha}|${channelAxis}`;
    const have = weights.get(key);
    if (have) return { w: have, fresh: false };
    const w = new QuantizedWeight(model0, valueName, c.weight, channelAxis, transpose, qmax, alpha, names);
    weights.set(key, w);
    edits.addInitializer(c.weight.graph, w.q);
    edits.addInitializer(c.weight.graph, w.scale);
    for (const [t, p] of w.payloads()) payloads.set(t, p);
    return { w, fresh: true };
  };
  // DynamicQuantizeLinear per activation and graph (matmulinteger form).
  const dql = new Map<string, { q: string; scale: string; zp: string; node: Node; placed: boolean }>();

  let weightBytesBefore = 0;
  let weightBytesAfter = 0;
  const newNodes = new Map<Node, Node[]>();
  for (const c of candidates) {
    const n = c.node;
    const { w, fresh } = weightFor(c);
    if (fresh) {
      weightBytesBefore += w.floatBytes;
      weightBytesAfter += w.quantizedBytes;
    }
    uses.set(n.inputs[1]!, (uses.get(n.inputs[1]!) ?? 1) - 1);
    const y = n.outputs[0]!;
    const base = n.name || y;
    const out: Node[] = [];
    let bias: string | undefined;
    let addAfter: string | undefined;
    if (c.gemm?.bias) {
      const bd = c.gemm.biasDef;
      const nOut = w.q.dims[1]!;
      const oneD = bd && bd.tensor.dataType === DataType.FLOAT && numel(bd.tensor.dims) === nOut && bd.tensor.dims.filter((d) => d !== 1).length <= 1 && (bd.tensor.dims.length === 1 || bd.tensor.dims[0] === 1);
      if (format !== 'qdq' && oneD && bd) {
        if (c.gemm.beta === 1 && bd.tensor.dims.length === 1) bias = c.gemm.bias;
        else {
          // A [1, N] bias or beta ≠ 1: a new 1-D bias tensor (beta × C), computed while writing.
          const t = newTensor(names.fresh(`${bd.tensor.name || 'bias'}_bias`), DataType.FLOAT, [nOut]);
          const beta = c.gemm.beta;
          payloads.set(t, {
            kind: 'computed',
            byteLength: nOut * 4,
            compute: async () => {
              const v = await readFloat32(model0, bd.tensor);
              if (beta !== 1) for (let i = 0; i < v.length; i++) v[i] = v[i]! * beta;
              return new Uint8Array(v.buffer);
            },
          });
          edits.addInitializer(c.scope.graph, t);
          bias = t.name;
          uses.set(c.gemm.bias, (uses.get(c.gemm.bias) ?? 1) - 1);
          uses.set(t.name, 1);
        }
      } else if (format !== 'qdq') {
        if (c.gemm.beta !== 1) throw new Error('unreachable: beta ≠ 1 with a computed C was skipped');
        addAfter = c.gemm.bias;
      }
    }
    const detailBase = `${perChannel ? `per-channel (${w.channels} scales)` : 'per-tensor'}${c.gemm?.transB && format !== 'qdq' ? ', weight transposed' : ''}`;
    let detail: string;
    if (format === 'dynamic') {
      const yq = addAfter ? names.fresh(`${y}_matmul`) : y;
      out.push({
        name: names.fresh(`${base}_quant`),
        opType: 'DynamicQuantizeMatMul',
        domain: 'com.microsoft',
        inputs: bias ? [n.inputs[0]!, w.q.name, w.scale.name, '', bias] : [n.inputs[0]!, w.q.name, w.scale.name],
        outputs: [yq],
        attributes: [],
      });
      if (addAfter) out.push({ name: names.fresh(`${base}_bias`), opType: 'Add', domain: '', inputs: [yq, addAfter], outputs: [y], attributes: [] });
      detail = `${opName(n)} → com.microsoft.DynamicQuantizeMatMul, ${detailBase}`;
    } else if (format === 'matmulinteger') {
      const a = n.inputs[0]!;
      const key = `${a}|${graphId(c.scope.graph)}`;
      let d = dql.get(key);
      if (!d) {
        const q = names.fresh(`${a}_quantized`);
        const scale = names.fresh(`${a}_scale`);
        const zp = names.fresh(`${a}_zero_point`);
        d = { q, scale, zp, placed: false, node: { name: names.fresh(`${a}_DynamicQuantizeLinear`), opType: 'DynamicQuantizeLinear', domain: '', inputs: [a], outputs: [q, scale, zp], attributes: [] } };
        dql.set(key, d);
      }
      if (!d.placed) {
        out.push(d.node);
        d.placed = true;
      }
      const yi = names.fresh(`${base}_int32`);
      const yf = names.fresh(`${base}_float`);
      const s = names.fresh(`${base}_scale`);
      const hasBias = bias ?? addAfter;
      const ym = hasBias ? names.fresh(`${base}_scaled`) : y;
      out.push(
        { name: names.fresh(`${base}_MatMulInteger`), opType: 'MatMulInteger', domain: '', inputs: [d.q, w.q.name, d.zp], outputs: [yi], attributes: [] },
        { name: names.fresh(`${base}_Cast`), opType: 'Cast', domain: '', inputs: [yi], outputs: [yf], attributes: [attrInt('to', DataType.FLOAT)] },
        { name: names.fresh(`${base}_scales`), opType: 'Mul', domain: '', inputs: [d.scale, w.scale.name], outputs: [s], attributes: [] },
        { name: names.fresh(`${base}_rescale`), opType: 'Mul', domain: '', inputs: [yf, s], outputs: [ym], attributes: [] },
      );
      if (hasBias) out.push({ name: names.fresh(`${base}_bias`), opType: 'Add', domain: '', inputs: [ym, hasBias], outputs: [y], attributes: [] });
      detail = `${opName(n)} → DynamicQuantizeLinear + MatMulInteger, ${detailBase}`;
    } else {
      const b = names.fresh(`${w.valueName}_dequantized`);
      const axis = perChannel ? (c.gemm?.transB ? 0 : 1) : undefined;
      out.push(
        {
          name: names.fresh(`${base}_DequantizeLinear`),
          opType: 'DequantizeLinear',
          domain: '',
          inputs: [w.q.name, w.scale.name],
          outputs: [b],
          attributes: axis !== undefined ? [attrInt('axis', axis)] : [],
        },
        { ...n, inputs: n.inputs.map((x, i) => (i === 1 ? b : x)) },
      );
      detail = `${opName(n)} weight → int8 + DequantizeLinear (QDQ), ${detailBase}`;
    }
    newNodes.set(n, out);
    changes.push({
      action: 'quantized',
      target: 'node',
      name: nodeLabel(n),
      opType: opName(n),
      detail: fresh ? detail : `${detail}; shares the quantized weight of another node`,
      ...(fresh ? { bytesBefore: w.floatBytes, bytesAfter: w.quantizedBytes } : { bytesBefore: 0, bytesAfter: 0 }),
    });
  }
  for (const [n, out] of newNodes) edits.replace.set(n, out);

  // 3. Float weights nothing reads any more are dropped (initializers and Constant nodes).
  const dropped = new Set<string>();
  for (const w of weights.values()) {
    const key = w.valueName;
    if (dropped.has(key) || (uses.get(key) ?? 0) > 0) continue;
    dropped.add(key);
    if (w.source.node) edits.replace.set(w.source.node, []);
    else edits.replaceInitializer.set(w.source.tensor, undefined);
  }
  for (const c of candidates) {
    const bd = c.gemm?.biasDef;
    if (bd && c.gemm?.bias && (uses.get(c.gemm.bias) ?? 0) <= 0 && !dropped.has(c.gemm.bias)) {
      dropped.add(c.gemm.bias);
      if (bd.node) edits.replace.set(bd.node, []);
      else edits.replaceInitializer.set(bd.tensor, undefined);
    }
  }
  const kept = [...new Map([...weights.values()].filter((w) => !dropped.has(w.valueName)).map((w) => [w.valueName, w])).values()];
  if (kept.length) {
    warnings.push(`${kept.length} float32 weight${kept.length > 1 ? 's are' : ' is'} also read by other nodes and kept next to the int8 copy: ${kept.slice(0, 5).map((w) => w.valueName).join(', ')}${kept.length > 5 ? ', ...' : ''}`);
    for (const w of kept) weightBytesAfter += w.floatBytes;
  }
  const skipped = changes.filter((c) => c.action === 'skipped').length;
  let model = edits.apply(model0);
  if (format === 'dynamic') model = withOpset(model, 'com.microsoft', 1);
  return {
    model,
    payloads,
    changes,
    warnings,
    summary: {
      int8: {
        format,
        perChannel,
        reduceRange,
        nodesQuantized: candidates.length,
        nodesSkipped: skipped,
        weightBytesBefore,
        weightBytesAfter,
      },
    },
  };
}

const graphIds = new WeakMap<Graph, number>();
let nextGraphId = 0;
function graphId(g: Graph): number {
  let id = graphIds.get(g);
  if (id === undefined) graphIds.set(g, (id = nextGraphId++));
  return id;
}
