/**
 * What the profiler panel's tables show, computed from one Profile in the webview: the analyses of
 * src/core/profile (operators, kernels, steps) plus, for linking tables and the
 * timeline, which slices each row stands for. Pure: no DOM.
 */
import { kernelTable, operatorTable, stepBreakdown, type DurationStats, type OperatorRow, type StepRow } from '../../../src/core/profile/analyses';
import { SLICE_KINDS, type Profile } from '../../../src/core/profile/types';

const CPU_OP = SLICE_KINDS.indexOf('cpu_op');
const ORT_NODE = SLICE_KINDS.indexOf('ort_node');
const KERNEL = SLICE_KINDS.indexOf('kernel');
const STEP = SLICE_KINDS.indexOf('step');

export interface NodeRow {
  readonly node: string;
  readonly opType: string;
  readonly provider: string;
  readonly calls: number;
  readonly totalUs: number;
  readonly meanUs: number;
}

export interface ShapeRow {
  readonly name: string;
  readonly shapes: string;
  readonly calls: number;
  readonly totalUs: number;
  readonly meanUs: number;
}

export interface PanelModel {
  readonly operators: readonly OperatorRow[];
  /** ONNX Runtime node executions by node (empty for other traces). */
  readonly nodes: readonly NodeRow[];
  readonly shapes: readonly ShapeRow[];
  readonly kernels: readonly DurationStats[];
  readonly steps: readonly (StepRow & { readonly slice: number })[];
  /** Row key → the slices it stands for, per table. */
  readonly slicesOf: {
    readonly operator: ReadonlyMap<string, readonly number[]>;
    readonly node: ReadonlyMap<string, readonly number[]>;
    readonly shape: ReadonlyMap<string, readonly number[]>;
    readonly kernel: ReadonlyMap<string, readonly number[]>;
  };
  /** Slice → its operator row key (for selection coming from the timeline), or undefined. */
  operatorOf(slice: number): string | undefined;
}

type Args = Record<string, unknown>;

function push(m: Map<string, number[]>, key: string, i: number): void {
  const a = m.get(key);
  if (a) a.push(i);
  else m.set(key, [i]);
}

/** Shapes as the row key shows them: `[1,3,224,224] [64,3,7,7]`. */
function shapesOf(args: Args): string {
  const dims = args['Input Dims'];
  if (Array.isArray(dims)) return dims.map((d) => (Array.isArray(d) ? `[${d.join(',')}]` : '')).join(' ');
  const ort = args.input_type_shape;
  if (Array.isArray(ort)) {
    return ort
      .map((o) => (o && typeof o === 'object' ? Object.values(o as Record<string, unknown>)[0] : undefined))
      .map((d) => (Array.isArray(d) ? `[${d.join(',')}]` : ''))
      .join(' ');
  }
  return '';
}

export function buildModel(p: Profile): PanelModel {
  const { kind, name, dur, args } = p.slices;
  const parsed = new Map<number, Args>();
  const argsOf = (i: number): Args => {
    const id = args[i]!;
    let a = parsed.get(id);
    if (!a) parsed.set(id, (a = JSON.parse(p.args[id] ?? '{}') as Args));
    return a;
  };
  const operator = new Map<string, number[]>();
  const node = new Map<string, number[]>();
  const shape = new Map<string, number[]>();
  const kernel = new Map<string, number[]>();
  const opKey = new Map<number, string>();
  const nodeInfo = new Map<string, { opType: string; provider: string }>();
  for (let i = 0; i < p.slices.count; i++) {
    const k = kind[i]!;
    if (k === CPU_OP || k === ORT_NODE) {
      const a = argsOf(i);
      const n = p.strings[name[i]!]!;
      const op = k === ORT_NODE && typeof a.op_name === 'string' ? a.op_name : n;
      opKey.set(i, op);
      push(operator, op, i);
      push(shape, `${op}\u0000${shapesOf(a)}`, i);
      if (k === ORT_NODE) {
        push(node, n, i);
        if (!nodeInfo.has(n)) nodeInfo.set(n, { opType: op, provider: typeof a.provider === 'string' ? a.provider : '' });
      }
    } else if (k === KERNEL) push(kernel, p.strings[name[i]!]!, i);
  }
  const total = (ix: readonly number[]): number => ix.reduce((s, i) => s + dur[i]!, 0);
  const nodes = [...node].map(([n, ix]): NodeRow => {
    const t = total(ix);
    const info = nodeInfo.get(n)!;
    return { node: n, opType: info.opType, provider: info.provider, calls: ix.length, totalUs: t, meanUs: t / ix.length };
  });
  const shapes = [...shape].map(([key, ix]): ShapeRow => {
    const [n, s] = key.split('\u0000') as [string, string];
    const t = total(ix);
    return { name: n, shapes: s, calls: ix.length, totalUs: t, meanUs: t / ix.length };
  });
  const stepSlices: number[] = [];
  for (let i = 0; i < p.slices.count; i++) if (kind[i] === STEP && p.tracks[p.slices.track[i]!]!.kind !== 'gpu-stream') stepSlices.push(i);
  const steps = stepBreakdown(p).map((row) => ({ ...row, slice: stepSlices.find((i) => p.slices.start[i] === row.startUs && p.strings[name[i]!] === row.name) ?? -1 }));
  return {
    operators: operatorTable(p),
    nodes,
    shapes,
    kernels: kernelTable(p),
    steps,
    slicesOf: { operator, node, shape, kernel },
    operatorOf: (slice) => opKey.get(slice),
  };
}

/** The row key of a shape row (the same key `slicesOf.shape` uses). */
export const shapeKey = (r: ShapeRow): string => `${r.name}\u0000${r.shapes}`;
