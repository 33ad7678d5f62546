/**
 * Feeding two models the same inputs. The reference model (A) gets inputs synthesized with a fixed
 * seed or read from the user's files; the other model (B) gets the same tensors, cast when its input
 * type differs (an FP16 model without float32 I/O takes float16), and its own synthesized tensors
 * for inputs A does not have.
 */
import { ORT_DTYPE, type SynthDtype, type SynthTensor } from '../inputs/synthesize';
import type { IoSummary } from '../onnx/summary-types';
import { floatToHalf, halfToFloat } from './agreement';

/** onnxruntime's type name for an ONNX element type name (`float` → `float32`), or undefined. */
export function ortDtypeOf(onnxDtype: string): SynthDtype | undefined {
  return ORT_DTYPE[onnxDtype];
}

/**
 * Dim values that make A's synthesized inputs fit B as well: where one model fixes an axis that the
 * other leaves symbolic (a model made dynamic, or one with fixed dims), that axis takes the fixed
 * value (`input:axis` keys). Values the user gave win.
 */
export function alignDims(a: readonly IoSummary[], b: readonly IoSummary[], dims: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...dims };
  const bByName = new Map(b.map((i) => [i.name, i]));
  for (const ia of a) {
    const ib = bByName.get(ia.name);
    if (!ia.shape || !ib?.shape || ia.shape.length !== ib.shape.length) continue;
    ia.shape.forEach((da, axis) => {
      const db = ib.shape![axis];
      const key = `${ia.name}:${axis}`;
      if (key in dims) return;
      const fixed = typeof da === 'number' ? da : typeof db === 'number' ? db : undefined;
      const symbolic = typeof da === 'string' ? da : typeof db === 'string' ? db : undefined;
      if (fixed !== undefined && (typeof da !== 'number' || typeof db !== 'number') && !(symbolic !== undefined && symbolic in dims)) out[key] = fixed;
    });
  }
  return out;
}

type Data = SynthTensor['data'];

function toNumbers(t: SynthTensor): Float64Array {
  const n = t.data.length;
  const out = new Float64Array(n);
  if (t.dtype === 'float16') for (let i = 0; i < n; i++) out[i] = halfToFloat((t.data as Uint16Array)[i]!);
  else for (let i = 0; i < n; i++) out[i] = Number(t.data[i]);
  return out;
}

function fromNumbers(v: Float64Array, dtype: SynthDtype): Data {
  const n = v.length;
  switch (dtype) {
    case 'float32':
      return Float32Array.from(v);
    case 'float64':
      return v;
    case 'float16': {
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = floatToHalf(v[i]!);
      return a;
    }
    case 'int64':
      return BigInt64Array.from(v, (x) => BigInt(Math.trunc(x)));
    case 'uint64':
      return BigUint64Array.from(v, (x) => BigInt(Math.max(0, Math.trunc(x))));
    case 'bool':
      return Uint8Array.from(v, (x) => (x ? 1 : 0));
    default: {
      const Ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array }[dtype];
      const a = new Ctor(n);
      for (let i = 0; i < n; i++) a[i] = Math.trunc(v[i]!);
      return a;
    }
  }
}

/** The same tensor as another element type (float32 → float16 for an FP16 model, int64 → int32…). */
export function castTensor(t: SynthTensor, dtype: SynthDtype): SynthTensor {
  if (t.dtype === dtype) return t;
  return { name: t.name, dtype, dims: t.dims, data: fromNumbers(toNumbers(t), dtype) };
}

/**
 * B's feeds: A's tensors for the inputs both have (cast to B's type when it differs), and for B's
 * other inputs the tensors in `ownB` (synthesized for B). Returns notes on what was cast or added.
 */
export function feedsForB(a: readonly SynthTensor[], bInputs: readonly IoSummary[], ownB: readonly SynthTensor[]): { tensors: SynthTensor[]; notes: string[] } {
  const byName = new Map(a.map((t) => [t.name, t]));
  const own = new Map(ownB.map((t) => [t.name, t]));
  const notes: string[] = [];
  const tensors = bInputs.map((io) => {
    const t = byName.get(io.name);
    const want = ortDtypeOf(io.dtype);
    if (!t) {
      const o = own.get(io.name);
      if (!o) throw new Error(`no tensor for model B's input '${io.name}'`);
      notes.push(`${io.name}: only model B has this input; synthesized for it`);
      return o;
    }
    if (want && want !== t.dtype) {
      notes.push(`${io.name}: cast from ${t.dtype} to ${want} for model B`);
      return castTensor(t, want);
    }
    return t;
  });
  return { tensors, notes };
}
