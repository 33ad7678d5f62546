/**
 * Recommendations: rules over a model (its summary) and a profile run that produce findings with
 * the numbers behind them and, where one exists, a fix Inference Lens can apply and verify:
 *
 *   int8              MatMul/Gemm dominate node time on CPU and the weights are float32 → INT8
 *   fp16              float32 weights on a GPU provider → FP16
 *   dynamic-axes      inputs with a fixed batch or sequence dim → make them dynamic
 *   ep-fallback       nodes that ran on the CPU instead of the GPU provider (named)
 *   memcpy            Memcpy nodes copying between devices (named, with their time)
 *   optimize-graph    profiled with graph optimization below "all" → save ORT's optimized model
 *   session-create    slow session creation → save the optimized model so sessions skip that work
 *   quantized-slower  a quantized model slower than its float baseline (or dominated by
 *                     quantize/dequantize work): a frequent ONNX Runtime complaint
 *
 * Pure: the extension shows the findings in the results and profiler panel headers with an
 * Apply button for those that have a fix; the CLI prints them.
 */
import { formatBytes, formatMs, formatShare } from '../format';
import type { ModelSummary } from '../onnx/summary-types';
import type { OrtRunFile } from '../results/ort-run';

export type FixKind = 'int8' | 'fp16' | 'dynamic-axes' | 'optimize-graph';

export type Fix =
  | { readonly kind: 'int8' }
  | { readonly kind: 'fp16' }
  /** Give these input/output axes a symbolic name instead of a fixed size. */
  | { readonly kind: 'dynamic-axes'; readonly axes: readonly { readonly value: string; readonly axis: number; readonly name: string }[] }
  | { readonly kind: 'optimize-graph'; readonly level: 'basic' | 'extended' | 'all' };

export interface Evidence {
  readonly label: string;
  /** The raw number (share in [0, 1], ms, bytes or a count, as `label` says). */
  readonly value: number;
  /** The number as shown. */
  readonly text: string;
}

export interface Finding {
  /** The rule that fired (stable: tests, telemetry-free analytics, the Apply message). */
  readonly id: string;
  readonly severity: 'high' | 'medium' | 'low';
  readonly title: string;
  /** Why it matters and what to do, in a sentence or two. */
  readonly detail: string;
  readonly evidence: readonly Evidence[];
  /** Node names the finding is about (fallback and Memcpy nodes). */
  readonly nodes?: readonly string[];
  readonly fix?: Fix;
}

export interface RecommendInput {
  /** The profiled model; without it the rules that need the weights' types stay silent. */
  readonly summary?: ModelSummary;
  readonly run: OrtRunFile;
  /** A run of the float model this one was made from (same settings), for "quantized but slower". */
  readonly baseline?: OrtRunFile;
}

export interface RecommendOptions {
  /** Share of node time in MatMul/Gemm above which INT8 is recommended on CPU (default 0.4). */
  readonly matmulShare?: number;
  /** Share of weight bytes in float32 above which INT8/FP16 apply (default 0.5). */
  readonly float32Share?: number;
  /** Session creation above this (ms) suggests saving the optimized model (default 1000). */
  readonly slowSessionMs?: number;
  /** Share of node time in (de)quantization above which a quantized model is flagged (default 0.2). */
  readonly quantizeShare?: number;
}

const MATMUL_OPS = new Set(['MatMul', 'Gemm', 'FusedMatMul', 'FusedGemm']);
/** Ops of a model that is already quantized (QDQ, QOperator or dynamic quantization). */
const QUANT_OPS = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|MatMulInteger|ConvInteger|QLinear\w+|DynamicQuantizeMatMul|QGemm|QAttention|MatMulIntegerToFloat|MatMulNBits|QOrderedMatMul)$/;
const QDQ_WORK = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);
const GPU_EPS = new Set(['cuda', 'tensorrt', 'webgpu']);
const EP_LABEL: Readonly<Record<string, string>> = { cpu: 'CPU', cuda: 'CUDA', tensorrt: 'TensorRT', webgpu: 'WebGPU' };
const LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

const ev = (label: string, value: number, text: string): Evidence => ({ label, value, text });
const msText = (us: number) => `${formatMs(us / 1000)} ms`;

function isQuantized(input: RecommendInput): boolean {
  if (input.summary?.opHistogram.some((o) => QUANT_OPS.test(o.opType))) return true;
  return input.run.operators?.byOpType.some((o) => QUANT_OPS.test(o.opType)) ?? false;
}

function float32Weights(summary: ModelSummary): { bytes: number; share: number; total: number } {
  const total = summary.initializers.bytes;
  const bytes = summary.initializers.byDtype.filter((d) => d.dtype === 'float').reduce((a, d) => a + d.bytes, 0);
  return { bytes, total, share: total > 0 ? bytes / total : 0 };
}

/** Every rule, in order of severity then rule order. */
export function recommend(input: RecommendInput, opts: RecommendOptions = {}): Finding[] {
  const rules = [int8Rule, fp16Rule, fallbackRule, memcpyRule, quantizedSlowerRule, optimizeGraphRule, sessionCreateRule, dynamicAxesRule];
  const order = { high: 0, medium: 1, low: 2 };
  return rules.flatMap((r) => r(input, opts)).sort((a, b) => order[a.severity] - order[b.severity]);
}

function int8Rule({ summary, run }: RecommendInput, opts: RecommendOptions): Finding[] {
  const ops = run.operators;
  if (run.result.ep !== 'cpu' || !ops || ops.totalNodeUs <= 0 || !summary) return [];
  if (isQuantized({ summary, run })) return [];
  const mm = ops.byOpType.filter((o) => MATMUL_OPS.has(o.opType));
  const mmUs = mm.reduce((a, o) => a + o.totalUs, 0);
  const share = mmUs / ops.totalNodeUs;
  const f32 = float32Weights(summary);
  if (share < (opts.matmulShare ?? 0.4) || f32.share < (opts.float32Share ?? 0.5)) return [];
  const names = mm.sort((a, b) => b.totalUs - a.totalUs).map((o) => `${o.opType} ${formatShare(o.share)}`).join(', ');
  return [
    {
      id: 'int8',
      severity: share >= 0.6 ? 'high' : 'medium',
      title: `MatMul/Gemm take ${formatShare(share)} of the time on CPU: quantize to INT8`,
      detail:
        'Dynamic INT8 quantization stores these weights in 8 bits and runs the products with integer kernels: usually 1.5–3× faster on CPUs with VNNI/AVX-512 or ARM dot-product instructions, and 4× smaller. Accuracy usually drops slightly; Apply checks the outputs against this model.',
      evidence: [
        ev('MatMul/Gemm share of node time', share, `${formatShare(share)} of node time (${names})`),
        ev('MatMul/Gemm time per run (µs)', mmUs / ops.runs, `${msText(mmUs / ops.runs)} of ${msText(ops.totalNodeUs / ops.runs)} per run`),
        ev('float32 share of weights', f32.share, `${formatShare(f32.share)} of ${formatBytes(f32.total)} of weights are float32`),
      ],
      fix: { kind: 'int8' },
    },
  ];
}

function fp16Rule({ summary, run }: RecommendInput, opts: RecommendOptions): Finding[] {
  if (!GPU_EPS.has(run.result.ep) || !summary || isQuantized({ summary, run })) return [];
  const f32 = float32Weights(summary);
  if (f32.share < (opts.float32Share ?? 0.5) || f32.bytes === 0) return [];
  const ep = EP_LABEL[run.result.ep] ?? run.result.ep;
  return [
    {
      id: 'fp16',
      severity: 'high',
      title: `float32 model on ${ep}: convert to FP16`,
      detail: `GPUs run FP16 on their tensor cores at several times the float32 rate, and the weights take half the memory and bandwidth. Apply converts the weights and activations (inputs and outputs stay float32) and checks the outputs against this model.`,
      evidence: [
        ev('float32 weight bytes', f32.bytes, `${formatBytes(f32.bytes)} of float32 weights (${formatShare(f32.share)} of the weights)`),
        ev('latency p50 (ms)', run.result.latencyMs.p50, `p50 ${formatMs(run.result.latencyMs.p50)} ms on ${ep}`),
      ],
      fix: { kind: 'fp16' },
    },
  ];
}

function fallbackRule({ run }: RecommendInput): Finding[] {
  const out: Finding[] = [];
  const r = run.result;
  const ops = run.operators;
  if (r.fallbackReason) {
    out.push({
      id: 'ep-fallback-session',
      severity: 'high',
      title: `The whole model ran on ${EP_LABEL[r.ep] ?? r.ep}, not ${EP_LABEL[r.requestedEp] ?? r.requestedEp}`,
      detail: `${r.fallbackReason}. Install the provider (Inference Lens: Profile Model… lists what each one needs) and profile again.`,
      evidence: [ev('latency p50 (ms)', r.latencyMs.p50, `p50 ${formatMs(r.latencyMs.p50)} ms on ${EP_LABEL[r.ep] ?? r.ep}`)],
    });
  }
  if (ops && ops.fallbackNodes.length && r.ep !== 'cpu') {
    const names = ops.fallbackNodes.map((n) => n.node);
    const set = new Set(names);
    const us = ops.byNode.filter((n) => set.has(n.node)).reduce((a, n) => a + n.totalUs, 0);
    const types = [...new Set(ops.fallbackNodes.map((n) => n.opType))];
    out.push({
      id: 'ep-fallback',
      severity: 'high',
      title: `${names.length} node${names.length === 1 ? '' : 's'} fell back from ${EP_LABEL[r.ep] ?? r.ep} to ${ops.fallbackNodes[0]!.provider.replace(/ExecutionProvider$/, '')}`,
      detail: `${EP_LABEL[r.ep] ?? r.ep} has no kernel for ${types.join(', ')} with these types or attributes, so ONNX Runtime runs them elsewhere and copies tensors across. Re-export with ops the provider supports (a newer opset, or without the custom op), or move them out of the hot path.`,
      evidence: [
        ev('fallback nodes', names.length, `${names.length} node${names.length === 1 ? '' : 's'}: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`),
        ev('fallback share of node time', ops.totalNodeUs ? us / ops.totalNodeUs : 0, `${formatShare(ops.totalNodeUs ? us / ops.totalNodeUs : 0)} of node time (${msText(us / Math.max(1, ops.runs))} per run)`),
      ],
      nodes: names,
    });
  }
  return out;
}

function memcpyRule({ run }: RecommendInput): Finding[] {
  const ops = run.operators;
  if (!ops || !ops.memcpyNodes.length) return [];
  const us = ops.memcpyNodes.reduce((a, n) => a + n.totalUs, 0);
  const share = ops.totalNodeUs ? us / ops.totalNodeUs : 0;
  const names = ops.memcpyNodes.map((n) => n.node);
  return [
    {
      id: 'memcpy',
      severity: share >= 0.1 ? 'high' : 'medium',
      title: `${names.length} Memcpy node${names.length === 1 ? ' copies' : 's copy'} tensors between devices`,
      detail:
        'Each copy crosses PCIe (or the host bus) on every run. They sit next to nodes placed on another device: fix the fallbacks, keep inputs and outputs on the device (I/O binding), or move pre/post-processing into the model.',
      evidence: [
        ev('Memcpy nodes', names.length, names.slice(0, 6).join(', ') + (names.length > 6 ? ', …' : '')),
        ev('Memcpy share of node time', share, `${formatShare(share)} of node time (${msText(us / Math.max(1, ops.runs))} per run)`),
      ],
      nodes: names,
    },
  ];
}

function quantizedSlowerRule(input: RecommendInput, opts: RecommendOptions): Finding[] {
  if (!isQuantized(input)) return [];
  const { run, baseline } = input;
  const out: Finding[] = [];
  if (baseline && run.result.latencyMs.p50 > baseline.result.latencyMs.p50 * 1.03) {
    const a = baseline.result.latencyMs.p50;
    const b = run.result.latencyMs.p50;
    out.push({
      id: 'quantized-slower',
      severity: 'high',
      title: `The quantized model is slower than the float one (${formatMs(b)} vs ${formatMs(a)} ms p50)`,
      detail:
        'A frequent ONNX Runtime surprise: without VNNI/AVX-512 (x86) or dot-product instructions (ARM), or on a GPU provider without INT8 kernels, the integer kernels and the (de)quantize steps cost more than they save. Keep the float model here, try per-channel or static (QDQ) quantization, or FP16 on a GPU.',
      evidence: [
        ev('latency p50, float (ms)', a, `float ${formatMs(a)} ms p50`),
        ev('latency p50, quantized (ms)', b, `quantized ${formatMs(b)} ms p50 (${((b / a - 1) * 100).toFixed(0)}% slower)`),
      ],
    });
  }
  const ops = run.operators;
  if (ops && ops.totalNodeUs > 0) {
    const q = ops.byOpType.filter((o) => QDQ_WORK.has(o.opType));
    const us = q.reduce((a, o) => a + o.totalUs, 0);
    const share = us / ops.totalNodeUs;
    if (share >= (opts.quantizeShare ?? 0.2)) {
      out.push({
        id: 'quantize-overhead',
        severity: 'medium',
        title: `(De)quantization takes ${formatShare(share)} of the time`,
        detail: 'The model spends much of its time converting activations to and from INT8 rather than computing. Static (QDQ) quantization with calibration data, or quantizing only the largest MatMuls, removes most of these conversions.',
        evidence: [ev('(de)quantize share of node time', share, `${q.map((o) => `${o.opType} ${formatShare(o.share)}`).join(', ')}`)],
      });
    }
  }
  return out;
}

function optimizeGraphRule({ run }: RecommendInput): Finding[] {
  const level = run.settings.session.graphOptimizationLevel;
  if (level === 'all') return [];
  return [
    {
      id: 'optimize-graph',
      severity: level === 'disabled' ? 'high' : 'medium',
      title: `Profiled with graph optimization "${level}": optimize the graph`,
      detail:
        'ONNX Runtime\'s higher levels fuse nodes (MatMul+Add, attention, layer norm, GELU) and fold constants. Apply saves the model as ORT optimizes it at level "all" and compares the two at this run\'s settings. An "all" model may contain kernels specific to this machine\'s CPU and provider: use it where it was made.',
      evidence: [ev('graph optimization level', LEVELS.indexOf(level), `session option graphOptimizationLevel = ${level}`)],
      fix: { kind: 'optimize-graph', level: 'all' },
    },
  ];
}

function sessionCreateRule({ run }: RecommendInput, opts: RecommendOptions): Finding[] {
  const ms = run.result.sessionCreateMs;
  const limit = opts.slowSessionMs ?? 1000;
  if (ms < limit || run.settings.session.graphOptimizationLevel !== 'all') return [];
  return [
    {
      id: 'session-create',
      severity: 'low',
      title: `Session creation takes ${formatMs(ms)} ms: save the optimized model`,
      detail: 'Part of session creation is graph optimization, repeated at every start. Saving the optimized model once lets later sessions skip that work (use it on the machine and provider it was made for).',
      evidence: [ev('session creation (ms)', ms, `${formatMs(ms)} ms to create the session (${formatMs(run.result.latencyMs.p50)} ms per run)`)],
      fix: { kind: 'optimize-graph', level: 'all' },
    },
  ];
}

/**
 * Fixed batch dims (axis 0 of inputs of rank ≥ 2) and sequence dims (axis 1 of 2-D integer inputs:
 * token ids, masks) that could be symbolic, plus the outputs' axis 0 where it has the same fixed
 * batch size (so the declared output shapes stay true for other batch sizes).
 */
export function suggestDynamicAxes(summary: Pick<ModelSummary, 'inputs' | 'outputs'>): { value: string; axis: number; name: string; size: number; text: string }[] {
  const axes: { value: string; axis: number; name: string; size: number; text: string }[] = [];
  const batches = new Set<number>();
  for (const io of summary.inputs) {
    if (io.kind !== 'tensor' || !io.shape || io.shape.length < 2) continue;
    const [batch] = io.shape;
    if (typeof batch === 'number' && batch >= 1) {
      axes.push({ value: io.name, axis: 0, name: 'batch', size: batch, text: io.text });
      batches.add(batch);
    }
    const seq = io.shape[1];
    if (/int/.test(io.dtype) && io.shape.length === 2 && typeof seq === 'number' && seq > 1) axes.push({ value: io.name, axis: 1, name: 'sequence', size: seq, text: io.text });
  }
  if (axes.length) {
    for (const io of summary.outputs) {
      const b = io.shape?.[0];
      if (io.kind === 'tensor' && io.shape && io.shape.length >= 2 && typeof b === 'number' && batches.has(b)) axes.push({ value: io.name, axis: 0, name: 'batch', size: b, text: io.text });
    }
  }
  return axes;
}

function dynamicAxesRule({ summary }: RecommendInput): Finding[] {
  if (!summary) return [];
  const axes = suggestDynamicAxes(summary);
  const inputs = new Set(summary.inputs.map((i) => i.name));
  const shown = axes.filter((a) => inputs.has(a.value));
  if (!shown.length) return [];
  const batchOnly = shown.every((a) => a.name === 'batch');
  return [
    {
      id: 'dynamic-axes',
      severity: 'low',
      title: `Fixed ${batchOnly ? 'batch' : 'batch/sequence'} dims in the inputs: make them dynamic`,
      detail: `With fixed sizes the model serves one ${batchOnly ? 'batch size' : 'shape'} only: batching requests (throughput) or shorter sequences (padding) are impossible. Apply renames these dims to symbolic ones; ONNX Runtime then plans for the sizes it is given. Internal Reshape nodes with baked-in sizes can still fail — the check on the same inputs catches a broken graph.`,
      evidence: shown.map((a) => ev(`${a.value} axis ${a.axis}`, a.size, `${a.text}: axis ${a.axis} fixed at ${a.size}`)),
      fix: { kind: 'dynamic-axes', axes: axes.map(({ value, axis, name }) => ({ value, axis, name })) },
    },
  ];
}

/** The fix's name as a button or command title shows it. */
export function fixTitle(fix: Fix): string {
  switch (fix.kind) {
    case 'int8':
      return 'Quantize to INT8';
    case 'fp16':
      return 'Convert to FP16';
    case 'dynamic-axes':
      return 'Make Axes Dynamic';
    case 'optimize-graph':
      return `Optimize Graph (${fix.level})`;
  }
}
