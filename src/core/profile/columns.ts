/** Growable typed-array columns for the profile builder. */

type TypedArray = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;
type TypedArrayCtor<T extends TypedArray> = { new (n: number): T };

export class Column<T extends TypedArray> {
  private data: T;
  length = 0;
  constructor(private readonly ctor: TypedArrayCtor<T>, capacity = 1024) {
    this.data = new ctor(capacity);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.ctor(this.data.length * 2);
      bigger.set(this.data as never);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  /** The values in `order` (a permutation of row indices), as an exact-length array. */
  permuted(order: Uint32Array): T {
    const out = new this.ctor(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.data[order[i]!]!;
    return out;
  }
}

export const f64 = () => new Column(Float64Array);
export const u32 = () => new Column(Uint32Array);
export const i32 = () => new Column(Int32Array);
export const u16 = () => new Column(Uint16Array);
export const u8 = () => new Column(Uint8Array);

/** Row indices 0..n-1 sorted by `compare` (stable: ties keep input order). */
export function sortedOrder(n: number, compare: (a: number, b: number) => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => compare(a, b) || a - b);
}
