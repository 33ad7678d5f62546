/**
 * The saved form of a Profile (`.ilprof.json`): the same fields, with every typed-array column
 * written as a plain JSON array of numbers (NaN, which JSON cannot hold, as null).
 *
 *   { "schemaVersion": 1, "source": {...}, "origin": µs, "duration": µs, "strings": [...],
 *     "tracks": [...], "slices": { "count": n, "start": [...], "dur": [...], ... },
 *     "flows": {...}, "memory": {...}, "memoryDevices": [...], "counters": {...},
 *     "counterSeries": [...], "args": [...], "devices": [...], "categoryCounts": {...},
 *     "metadata": {...}, "warnings": [...] }
 */
import { PROFILE_SCHEMA_VERSION, type Profile } from './types';

type TypedArray = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

const COLUMNS = {
  slices: { start: Float64Array, dur: Float64Array, track: Uint32Array, depth: Uint32Array, parent: Int32Array, name: Uint32Array, cat: Uint32Array, kind: Uint8Array, correlation: Float64Array, externalId: Float64Array, args: Uint32Array },
  flows: { from: Int32Array, to: Int32Array, cat: Uint32Array, id: Float64Array },
  memory: { ts: Float64Array, bytes: Float64Array, totalAllocated: Float64Array, totalReserved: Float64Array, addr: Float64Array, device: Uint16Array, track: Int32Array },
  counters: { series: Uint32Array, ts: Float64Array, value: Float64Array },
} as const;

/** A JSON-ready object; `JSON.stringify` it to save. */
export function profileToJson(p: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p };
  for (const [table, cols] of Object.entries(COLUMNS)) {
    const src = p[table as keyof typeof COLUMNS] as unknown as Record<string, TypedArray | number>;
    const t: Record<string, unknown> = { count: src.count };
    for (const c of Object.keys(cols)) t[c] = Array.from(src[c] as TypedArray, (v) => (Number.isNaN(v) ? null : v));
    out[table] = t;
  }
  return out;
}

/** Reads the saved form back; throws an Error naming the first thing that does not fit. */
export function profileFromJson(j: unknown): Profile {
  const o = j as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o.schemaVersion !== PROFILE_SCHEMA_VERSION) {
    throw new Error(`not an Inference Lens profile of schema version ${PROFILE_SCHEMA_VERSION}`);
  }
  const out: Record<string, unknown> = { ...o };
  for (const [table, cols] of Object.entries(COLUMNS)) {
    const src = o[table] as Record<string, unknown> | undefined;
    const count = src?.count;
    if (typeof count !== 'number') throw new Error(`profile.${table}.count is missing`);
    const t: Record<string, unknown> = { count };
    for (const [c, Ctor] of Object.entries(cols)) {
      const values = src![c];
      if (!Array.isArray(values) || values.length !== count) throw new Error(`profile.${table}.${c} must be an array of ${count} numbers`);
      t[c] = (Ctor as { from(a: ArrayLike<number>): TypedArray }).from(values.map((v: unknown) => (v === null ? NaN : (v as number))));
    }
    out[table] = t;
  }
  return out as unknown as Profile;
}
