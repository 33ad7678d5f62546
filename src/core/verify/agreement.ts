/**
 * Numerical agreement between two models' outputs on the same inputs: per output the max absolute
 * error, the max relative error, cosine similarity, top-1 agreement for classifier-like outputs,
 * NaN/Inf counts, and shape/dtype mismatches. Pure functions over typed arrays (the worker runs the
 * models; these only compare what came out).
 */

/** The element values of an output tensor, as ONNX Runtime returns them (float16 already decoded). */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | readonly number[];

export interface OutputTensor {
  /** onnxruntime's type name: float32, float16, int64, bool, … */
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly data: NumericArray;
}

/** How close B must be to A (the reference) for each verdict. */
export interface Tolerances {
  /** Added to |a| in the relative error: |a - b| / (|a| + epsilon). */
  readonly epsilon: number;
  /** Cosine similarity at least this (and top-1 at least `top1Close`): "close". */
  readonly cosineClose: number;
  /** Cosine similarity at least this (and top-1 at least `top1Drift`): "drift" (a warning). */
  readonly cosineDrift: number;
  readonly top1Close: number;
  readonly top1Drift: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { epsilon: 1e-6, cosineClose: 0.999, cosineDrift: 0.99, top1Close: 0.99, top1Drift: 0.9 };

/**
 * identical: every element equal. close: within the tolerances. drift: usable but visibly different
 * (typical of INT8). differs: the outputs disagree. mismatch: shapes or kinds cannot be compared.
 * missing: the output exists in one model only.
 */
export type OutputVerdict = 'identical' | 'close' | 'drift' | 'differs' | 'mismatch' | 'missing';

export interface OutputAgreement {
  readonly name: string;
  readonly verdict: OutputVerdict;
  /** Why the verdict is what it is, in words (thresholds, new NaNs, shape difference…). */
  readonly reason: string;
  readonly a?: { readonly dtype: string; readonly dims: readonly number[] };
  readonly b?: { readonly dtype: string; readonly dims: readonly number[] };
  readonly elements: number;
  /** Over the elements finite in both. */
  readonly maxAbsError: number;
  readonly meanAbsError: number;
  /** max |a - b| / (|a| + epsilon). */
  readonly maxRelError: number;
  /** 1 when both are all zeros; 0 when only one is. */
  readonly cosine: number;
  /** Share of elements exactly equal. */
  readonly equalShare: number;
  /** Flat index of the largest absolute error, with both values there. */
  readonly worst?: { readonly index: number; readonly a: number; readonly b: number };
  /** For classifier-like outputs (the last dim holds classes): share of rows whose argmax agrees. */
  readonly top1?: { readonly agreement: number; readonly rows: number; readonly classes: number };
  readonly nanA: number;
  readonly nanB: number;
  readonly infA: number;
  readonly infB: number;
}

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16', 'bfloat16', 'float']);

export function isFloatType(dtype: string): boolean {
  return FLOAT_TYPES.has(dtype);
}

export { floatToHalf, halfToFloat } from '../float16';

/**
 * Whether an output looks like class scores, so that top-1 agreement means something: a name like
 * logits/probs/scores/classes, or a 2-D [batch, classes] output; never hidden states or caches.
 */
export function looksLikeClasses(name: string, dims: readonly number[]): boolean {
  const classes = dims.at(-1) ?? 0;
  if (dims.length < 1 || classes < 2) return false;
  if (/hidden|embed|feature|state|present|past|key|value|cache|mask|box/i.test(name)) return false;
  if (/logit|prob|score|class|label|softmax|pred/i.test(name)) return true;
  return dims.length === 2 && classes <= 1_000_000;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const num = (arr: NumericArray, i: number): number => Number(arr[i]);

function verdictOf(
  s: { cosine: number; maxAbsError: number; equalShare: number; nanA: number; nanB: number; infA: number; infB: number; top1?: { agreement: number } },
  float: boolean,
  tol: Tolerances,
): { verdict: OutputVerdict; reason: string } {
  if (s.nanB > s.nanA || s.infB > s.infA) {
    return { verdict: 'differs', reason: `B produced ${s.nanB - s.nanA > 0 ? `${s.nanB - s.nanA} more NaN` : ''}${s.nanB > s.nanA && s.infB > s.infA ? ' and ' : ''}${s.infB > s.infA ? `${s.infB - s.infA} more Inf` : ''} values than A` };
  }
  if (s.equalShare === 1 && s.nanA === s.nanB && s.infA === s.infB) return { verdict: 'identical', reason: 'every element is equal' };
  if (!float) {
    // Integer and boolean outputs (ids, masks, argmax): they match or they do not.
    return s.equalShare >= 0.999
      ? { verdict: 'drift', reason: `${((1 - s.equalShare) * 100).toFixed(2)}% of the elements differ` }
      : { verdict: 'differs', reason: `${((1 - s.equalShare) * 100).toFixed(2)}% of the elements differ` };
  }
  const top1 = s.top1?.agreement;
  const c = s.cosine.toFixed(6);
  if (s.cosine >= tol.cosineClose && (top1 === undefined || top1 >= tol.top1Close)) {
    return { verdict: 'close', reason: `cosine ${c} ≥ ${tol.cosineClose}${top1 !== undefined ? `, top-1 ${(top1 * 100).toFixed(1)}% ≥ ${tol.top1Close * 100}%` : ''}` };
  }
  if (s.cosine >= tol.cosineDrift && (top1 === undefined || top1 >= tol.top1Drift)) {
    const why = s.cosine < tol.cosineClose ? `cosine ${c} < ${tol.cosineClose}` : `top-1 ${((top1 ?? 0) * 100).toFixed(1)}% < ${tol.top1Close * 100}%`;
    return { verdict: 'drift', reason: `${why}: usable, but check accuracy on real data` };
  }
  const why = s.cosine < tol.cosineDrift ? `cosine ${c} < ${tol.cosineDrift}` : `top-1 ${((top1 ?? 0) * 100).toFixed(1)}% < ${tol.top1Drift * 100}%`;
  return { verdict: 'differs', reason: why };
}

/** Compares output `name` of model B against model A (the reference). */
export function compareOutput(name: string, a: OutputTensor | undefined, b: OutputTensor | undefined, tol: Tolerances = DEFAULT_TOLERANCES): OutputAgreement {
  const empty = { elements: 0, maxAbsError: 0, meanAbsError: 0, maxRelError: 0, cosine: 0, equalShare: 0, nanA: 0, nanB: 0, infA: 0, infB: 0 };
  const meta = (t: OutputTensor | undefined) => (t ? { dtype: t.dtype, dims: [...t.dims] } : undefined);
  const ma = meta(a);
  const mb = meta(b);
  const base = { name, ...(ma ? { a: ma } : {}), ...(mb ? { b: mb } : {}) };
  if (!a || !b) return { ...base, ...empty, verdict: 'missing', reason: `only model ${a ? 'A' : 'B'} has this output` };
  if (!sameDims(a.dims, b.dims)) {
    return { ...base, ...empty, verdict: 'mismatch', reason: `shapes differ: A [${a.dims.join(', ')}], B [${b.dims.join(', ')}]` };
  }
  if (isFloatType(a.dtype) !== isFloatType(b.dtype) || a.data.length !== b.data.length) {
    return { ...base, ...empty, verdict: 'mismatch', reason: `types differ: A ${a.dtype}, B ${b.dtype}` };
  }
  const n = a.data.length;
  let maxAbs = 0;
  let sumAbs = 0;
  let maxRel = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  let equal = 0;
  let finite = 0;
  let nanA = 0;
  let nanB = 0;
  let infA = 0;
  let infB = 0;
  let worst: { index: number; a: number; b: number } | undefined;
  for (let i = 0; i < n; i++) {
    const x = num(a.data, i);
    const y = num(b.data, i);
    if (Number.isNaN(x)) nanA++;
    else if (!Number.isFinite(x)) infA++;
    if (Number.isNaN(y)) nanB++;
    else if (!Number.isFinite(y)) infB++;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) equal++;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    finite++;
    const d = Math.abs(x - y);
    sumAbs += d;
    if (worst === undefined || d > maxAbs) {
      maxAbs = d;
      worst = { index: i, a: x, b: y };
    }
    const rel = d / (Math.abs(x) + tol.epsilon);
    if (rel > maxRel) maxRel = rel;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  let top1: OutputAgreement['top1'];
  const float = isFloatType(a.dtype);
  if (float && looksLikeClasses(name, a.dims)) {
    const classes = a.dims.at(-1)!;
    const rows = classes > 0 ? n / classes : 0;
    let agree = 0;
    for (let r = 0; r < rows; r++) if (argmax(a.data, r * classes, classes) === argmax(b.data, r * classes, classes)) agree++;
    if (rows > 0) top1 = { agreement: agree / rows, rows, classes };
  }
  const stats = {
    elements: n,
    maxAbsError: maxAbs,
    meanAbsError: finite ? sumAbs / finite : 0,
    maxRelError: maxRel,
    cosine,
    equalShare: n ? equal / n : 1,
    nanA,
    nanB,
    infA,
    infB,
    ...(worst && maxAbs > 0 ? { worst } : {}),
    ...(top1 ? { top1 } : {}),
  };
  return { ...base, ...stats, ...verdictOf(stats, float, tol) };
}

/** Index of the largest value in data[offset, offset + count); NaN never wins. */
export function argmax(data: NumericArray, offset: number, count: number): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = num(data, offset + i);
    if (Number.isNaN(v)) continue;
    if (best === -1 || v > bestV) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/** Worst first: the order in which verdicts matter. */
const SEVERITY: Readonly<Record<OutputVerdict, number>> = { missing: 5, mismatch: 4, differs: 3, drift: 2, close: 1, identical: 0 };

export type AgreementVerdict = 'pass' | 'warn' | 'fail';

/** pass: every output identical or close; warn: some drift; fail: anything differs, mismatches or is missing. */
export function overallVerdict(outputs: readonly OutputAgreement[]): AgreementVerdict {
  const worst = Math.max(0, ...outputs.map((o) => SEVERITY[o.verdict]));
  return worst >= SEVERITY.differs ? 'fail' : worst === SEVERITY.drift ? 'warn' : 'pass';
}

/** Compares every output of B against A, in A's order, then B's extra outputs. */
export function compareOutputs(
  a: ReadonlyMap<string, OutputTensor>,
  b: ReadonlyMap<string, OutputTensor>,
  tol: Tolerances = DEFAULT_TOLERANCES,
): { outputs: OutputAgreement[]; verdict: AgreementVerdict } {
  const names = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
  const outputs = names.map((n) => compareOutput(n, a.get(n), b.get(n), tol));
  return { outputs, verdict: overallVerdict(outputs) };
}
