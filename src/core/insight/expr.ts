/**
 * Symbolic dims: integer polynomials over the model's named dims, with floor division by a positive
 * integer as an opaque factor — enough for what exporters compute from shapes (batch*seq,
 * past_sequence_length+sequence_length, floor((height-1)/2)+1 for a strided convolution).
 *
 * A `Sym` is a plain number when known, or an `Expr` (never constant: arithmetic that leaves a constant
 * returns a number). Every function returns null when the result cannot be written exactly: unknown
 * stays unknown.
 *
 * Canonical string form (what `DimValue` strings hold): terms sorted by their factors, constant last,
 * `*` between factors, a name written bare when it looks like an identifier (letters, digits, `_`, `.`),
 * otherwise JSON-quoted: `2*batch*seq+1`, `past_sequence_length+sequence_length`,
 * `floor((height+1)/2)`, `"my dim"*4`, `bcast(a,b)` (the broadcast of two dims only known at run
 * time to be equal or 1), `min(512,seq)`. `parseDim` reads it back.
 */

export type Sym = number | Expr;

type Atom =
  | { readonly kind: 'name'; readonly key: string; readonly name: string }
  | { readonly kind: 'floor'; readonly key: string; readonly num: Expr; readonly den: number }
  /** The broadcast of two dims that cannot be told apart statically: a when a = b or b = 1, b when a = 1. */
  | { readonly kind: 'bcast'; readonly key: string; readonly args: readonly [Sym, Sym] }
  /** The smaller of two dims (a Slice bound clamped to the dim it slices). */
  | { readonly kind: 'min'; readonly key: string; readonly args: readonly [Sym, Sym] };

interface Term {
  readonly coeff: number;
  /** Factors sorted by key; [] for the constant term. */
  readonly atoms: readonly Atom[];
  readonly key: string;
}

/** Bound on the number of terms an expression may hold (a product of sums grows quickly). */
const MAX_TERMS = 32;

export class Expr {
  /** Sorted by key; at least one non-constant term. */
  readonly terms: readonly Term[];
  private str: string | undefined;

  /** Use `symbol` and the arithmetic functions; the constructor does not normalize. */
  constructor(terms: readonly Term[]) {
    this.terms = terms;
  }

  toString(): string {
    if (this.str === undefined) this.str = format(this.terms);
    return this.str;
  }
}

const BARE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function nameText(name: string): string {
  return BARE.test(name) && name !== 'floor' && name !== 'bcast' && name !== 'min' ? name : JSON.stringify(name);
}

function termKey(atoms: readonly Atom[]): string {
  return atoms.map((a) => a.key).join('*');
}

function format(terms: readonly Term[]): string {
  // Positive terms first (reads better: `seq-1` rather than `-1+seq`), each group sorted by key, constant last.
  const nonConst = terms.filter((t) => t.atoms.length > 0);
  const ordered = [...nonConst.filter((t) => t.coeff > 0), ...nonConst.filter((t) => t.coeff < 0), ...terms.filter((t) => t.atoms.length === 0)];
  let s = '';
  for (const t of ordered) {
    const neg = t.coeff < 0;
    const c = Math.abs(t.coeff);
    let body: string;
    if (t.atoms.length === 0) body = String(c);
    else body = (c === 1 ? '' : `${c}*`) + t.key;
    s += s === '' ? (neg ? `-${body}` : body) : neg ? `-${body}` : `+${body}`;
  }
  return s;
}

function normalize(map: Map<string, { coeff: number; atoms: readonly Atom[] }>): Sym | null {
  const terms: Term[] = [];
  for (const [key, t] of map) {
    if (t.coeff === 0) continue;
    if (!Number.isSafeInteger(t.coeff)) return null;
    terms.push({ coeff: t.coeff, atoms: t.atoms, key });
  }
  if (terms.length > MAX_TERMS) return null;
  terms.sort((a, b) => (a.key === '' ? 1 : b.key === '' ? -1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (terms.length === 0) return 0;
  if (terms.length === 1 && terms[0]!.key === '') return terms[0]!.coeff;
  return new Expr(terms);
}

function termsOf(a: Sym): readonly Term[] {
  return typeof a === 'number' ? (a === 0 ? [] : [{ coeff: a, atoms: [], key: '' }]) : a.terms;
}

export function isExpr(a: Sym | null | undefined): a is Expr {
  return a instanceof Expr;
}

export function symbol(name: string): Expr {
  const atom: Atom = { kind: 'name', key: nameText(name), name };
  return new Expr([{ coeff: 1, atoms: [atom], key: atom.key }]);
}

function isInt(n: number): boolean {
  return Number.isSafeInteger(n);
}

export function add(a: Sym | null, b: Sym | null): Sym | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if ((typeof a === 'number' && !isInt(a)) || (typeof b === 'number' && !isInt(b))) return null;
  const m = new Map<string, { coeff: number; atoms: readonly Atom[] }>();
  for (const t of [...termsOf(a), ...termsOf(b)]) {
    const cur = m.get(t.key);
    m.set(t.key, { coeff: (cur?.coeff ?? 0) + t.coeff, atoms: t.atoms });
  }
  return normalize(m);
}

export function neg(a: Sym | null): Sym | null {
  return mul(a, -1);
}

export function sub(a: Sym | null, b: Sym | null): Sym | null {
  return add(a, neg(b));
}

export function mul(a: Sym | null, b: Sym | null): Sym | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 0 || b === 0) return 0;
  if ((typeof a === 'number' && !isInt(a)) || (typeof b === 'number' && !isInt(b))) return null;
  const ta = termsOf(a);
  const tb = termsOf(b);
  if (ta.length * tb.length > MAX_TERMS * 4) return null;
  const m = new Map<string, { coeff: number; atoms: readonly Atom[] }>();
  for (const x of ta) for (const y of tb) {
    const atoms = [...x.atoms, ...y.atoms].sort((p, q) => (p.key < q.key ? -1 : p.key > q.key ? 1 : 0));
    const key = termKey(atoms);
    const cur = m.get(key);
    m.set(key, { coeff: (cur?.coeff ?? 0) + x.coeff * y.coeff, atoms });
  }
  return normalize(m);
}

/** Product of a list (1 for an empty list); null when any factor is null. */
export function product(xs: readonly (Sym | null)[]): Sym | null {
  let p: Sym | null = 1;
  for (const x of xs) p = mul(p, x);
  return p;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * floor(a / b) for integers. With `a` symbolic, `b` must be a positive integer (then the result is exact:
 * whole multiples are taken out, the rest stays as a floor factor) or an expression `a` is an exact
 * multiple of (`batch*seq*64 / (seq*64)` → batch). Anything else is null.
 */
export function floorDiv(a: Sym | null, b: Sym | null): Sym | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0 || !isInt(a) || !isInt(b)) return null;
    return Math.floor(a / b);
  }
  if (typeof b === 'number') {
    if (!isInt(b) || b <= 0) return null;
    if (b === 1) return a;
    const whole = new Map<string, { coeff: number; atoms: readonly Atom[] }>();
    const rest = new Map<string, { coeff: number; atoms: readonly Atom[] }>();
    for (const t of termsOf(a)) {
      const q = Math.floor(t.coeff / b);
      const r = t.coeff - q * b;
      if (t.atoms.length === 0) {
        if (q) whole.set('', { coeff: q, atoms: [] });
        if (r) rest.set('', { coeff: r, atoms: [] });
      } else if (r === 0) whole.set(t.key, { coeff: q, atoms: t.atoms });
      else rest.set(t.key, { coeff: t.coeff, atoms: t.atoms });
    }
    const restSym = normalize(rest);
    if (restSym === null) return null;
    let floorPart: Sym | null = 0;
    if (typeof restSym === 'number') floorPart = Math.floor(restSym / b);
    else {
      // floor(k*x/b) with gcd(k, b) > 1 for every term: reduce the fraction first.
      let g = b;
      for (const t of restSym.terms) g = gcd(g, t.coeff);
      const num = g > 1 ? (normalize(new Map(restSym.terms.map((t) => [t.key, { coeff: t.coeff / g, atoms: t.atoms }]))) as Expr) : restSym;
      const den = b / g;
      if (den === 1) floorPart = num;
      else {
        const inner = num.terms.length === 1 && num.terms[0]!.coeff === 1 ? num.toString() : `(${num.toString()})`;
        const atom: Atom = { kind: 'floor', key: `floor(${inner}/${den})`, num, den };
        floorPart = new Expr([{ coeff: 1, atoms: [atom], key: atom.key }]);
      }
    }
    return add(normalize(whole), floorPart);
  }
  if (typeof a === 'number') return a === 0 ? 0 : null;
  return exactDiv(a, b);
}

/** a / b when a is exactly a monomial multiple of b (or a number multiple); else null. */
function exactDiv(a: Expr, b: Expr): Sym | null {
  const lead = b.terms.find((t) => t.atoms.length > 0)!;
  // Candidate quotient from the first term of a that contains lead's atoms.
  for (const t of a.terms) {
    const rest = removeAtoms(t.atoms, lead.atoms);
    if (rest === null || t.coeff % lead.coeff !== 0) continue;
    const q: Sym | null = normalize(new Map([[termKey(rest), { coeff: t.coeff / lead.coeff, atoms: rest }]]));
    const back = mul(b, q);
    if (back !== null && same(back, a)) return q;
    return null;
  }
  return null;
}

function removeAtoms(from: readonly Atom[], take: readonly Atom[]): Atom[] | null {
  const out = [...from];
  for (const x of take) {
    const i = out.findIndex((y) => y.key === x.key);
    if (i < 0) return null;
    out.splice(i, 1);
  }
  return out;
}

/**
 * The broadcast of two dims: the same value when they are certainly equal, the other when one is 1,
 * else a `bcast(a,b)` factor evaluated once values are known (null when either is unknown).
 */
export function bcast(a: Sym | null, b: Sym | null): Sym | null {
  if (a === null || b === null) return null;
  if (a === 1) return b;
  if (b === 1) return a;
  if (same(a, b)) return a;
  if (typeof a === 'number' && typeof b === 'number') return null;
  const [p, q] = [a, b].sort((x, y) => (String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0)) as [Sym, Sym];
  const atom: Atom = { kind: 'bcast', key: `bcast(${String(p)},${String(q)})`, args: [p, q] };
  return new Expr([{ coeff: 1, atoms: [atom], key: atom.key }]);
}

/** min(a, b): exact when their difference is a known number, else a `min(a,b)` factor. */
export function min(a: Sym | null, b: Sym | null): Sym | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return Math.min(a, b);
  const d = sub(a, b);
  if (typeof d === 'number') return d <= 0 ? a : b;
  const [p, q] = [a, b].sort((x, y) => (String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0)) as [Sym, Sym];
  const atom: Atom = { kind: 'min', key: `min(${String(p)},${String(q)})`, args: [p, q] };
  return new Expr([{ coeff: 1, atoms: [atom], key: atom.key }]);
}

/** ceil(a / b) = floor((a + b - 1) / b) for a positive integer b. */
export function ceilDiv(a: Sym | null, b: Sym | null): Sym | null {
  if (typeof b !== 'number') {
    if (a === null || b === null) return null;
    if (typeof a === 'number') return a === 0 ? 0 : null;
    return exactDiv(a, b);
  }
  if (a === null) return null;
  if (typeof a === 'number') return isInt(a) && isInt(b) && b !== 0 ? Math.ceil(a / b) : null;
  return floorDiv(add(a, b - 1), b);
}

/** Whether two values are certainly equal (false when unknown or different). */
export function same(a: Sym | null | undefined, b: Sym | null | undefined): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.toString() === b.toString();
}

/** Value for the given dims; null when a name has no value (or a result is not finite). */
export function evaluate(a: Sym | null, dims: Readonly<Record<string, number>>): number | null {
  if (a === null) return null;
  if (typeof a === 'number') return a;
  let total = 0;
  for (const t of a.terms) {
    let v = t.coeff;
    for (const atom of t.atoms) {
      let x: number | null;
      if (atom.kind === 'name') x = Object.prototype.hasOwnProperty.call(dims, atom.name) ? dims[atom.name]! : null;
      else if (atom.kind === 'floor') {
        const n = evaluate(atom.num, dims);
        x = n === null ? null : Math.floor(n / atom.den);
      } else {
        const p = evaluate(atom.args[0], dims);
        const q = evaluate(atom.args[1], dims);
        if (p === null || q === null) x = null;
        else if (atom.kind === 'min') x = Math.min(p, q);
        // Incompatible sizes would make the model fail: no value.
        else x = p === q || q === 1 ? p : p === 1 ? q : null;
      }
      if (x === null || !Number.isFinite(x)) return null;
      v *= x;
    }
    total += v;
  }
  return Number.isFinite(total) ? total : null;
}

/** Names an expression depends on. */
export function symbolsOf(a: Sym | null, out: Set<string> = new Set()): Set<string> {
  if (a === null || typeof a === 'number') return out;
  for (const t of a.terms) for (const atom of t.atoms) {
    if (atom.kind === 'name') out.add(atom.name);
    else if (atom.kind === 'floor') symbolsOf(atom.num, out);
    else for (const x of atom.args) symbolsOf(x, out);
  }
  return out;
}

/** The public form: a number, the canonical string, or null. */
export function dimText(a: Sym | null): number | string | null {
  return a === null ? null : typeof a === 'number' ? a : a.toString();
}

// ---- reading the canonical form back -------------------------------------------------------------

const parsed = new Map<string, Sym | null>();

/** Parses a canonical dim string (or a bare name) back to a Sym; null when it is not one. */
export function parseDim(text: string): Sym | null {
  const hit = parsed.get(text);
  if (hit !== undefined || parsed.has(text)) return hit ?? null;
  let r: Sym | null;
  try {
    r = new DimParser(text).parse();
  } catch {
    r = null;
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(text, r);
  return r;
}

/** A DimValue (number, canonical string, null) evaluated for the given dims. */
export function evalDim(d: number | string | null, dims: Readonly<Record<string, number>>): number | null {
  if (d === null) return null;
  if (typeof d === 'number') return d;
  return evaluate(parseDim(d), dims);
}

class DimParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Sym | null {
    const e = this.sum();
    if (this.i !== this.s.length) throw new Error('trailing text');
    return e;
  }

  private peek(): string {
    return this.s[this.i] ?? '';
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) throw new Error(`expected ${c}`);
    this.i++;
  }

  private sum(): Sym | null {
    let sign = 1;
    if (this.peek() === '-') {
      sign = -1;
      this.i++;
    }
    let acc = mul(this.term(), sign);
    while (this.peek() === '+' || this.peek() === '-') {
      const s = this.s[this.i++] === '-' ? -1 : 1;
      acc = add(acc, mul(this.term(), s));
    }
    return acc;
  }

  private term(): Sym | null {
    let acc = this.factor();
    while (this.peek() === '*') {
      this.i++;
      acc = mul(acc, this.factor());
    }
    return acc;
  }

  private factor(): Sym | null {
    const c = this.peek();
    if (c === '(') {
      this.i++;
      const e = this.sum();
      this.expect(')');
      return e;
    }
    if (c === '"') {
      // JSON string: find the closing quote that is not escaped.
      let j = this.i + 1;
      while (j < this.s.length && this.s[j] !== '"') j += this.s[j] === '\\' ? 2 : 1;
      const name = JSON.parse(this.s.slice(this.i, j + 1)) as string;
      this.i = j + 1;
      return symbol(name);
    }
    const num = /^\d+/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return Number(num[0]);
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.s.slice(this.i));
    if (!id) throw new Error('unexpected character');
    this.i += id[0].length;
    if ((id[0] === 'bcast' || id[0] === 'min') && this.peek() === '(') {
      this.i++;
      const a = this.sum();
      this.expect(',');
      const b = this.sum();
      this.expect(')');
      return id[0] === 'min' ? min(a, b) : bcast(a, b);
    }
    if (id[0] === 'floor' && this.peek() === '(') {
      this.i++;
      const inner = this.term();
      const innerSum = this.peek() === '+' || this.peek() === '-' ? null : inner;
      if (innerSum === null) throw new Error('floor of a sum must be parenthesized');
      this.expect('/');
      const den = /^\d+/.exec(this.s.slice(this.i));
      if (!den) throw new Error('expected a divisor');
      this.i += den[0].length;
      this.expect(')');
      return floorDiv(innerSum, Number(den[0]));
    }
    return symbol(id[0]);
  }
}
