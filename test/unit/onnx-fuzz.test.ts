/**
 * Robustness: thousands of mutated and truncated variants of real models.
 * Each must parse or fail with an OnnxError within 1 s; no other exception, no hang,
 * and no allocation driven by a corrupt length.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { OnnxError, parseModelBuffer, summarize } from '../../src/core/onnx';
import { fixturePath, manifest, rng } from '../helpers/fixtures';
import { allDtypesModel, controlFlowModel, mlpModel } from '../helpers/models';

const VARIANTS_PER_SEED = 110;

/** Offsets where a length-delimited field's length varint starts, found by a shallow walk of valid bytes. */
function lengthOffsets(buf: Uint8Array, limit = 4000): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p < end && out.length < limit) {
      let tag = 0;
      let mul = 1;
      let b: number;
      do {
        b = buf[p++]!;
        tag += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80 && p < end);
      const wire = tag % 8;
      if (wire === 0) {
        while (buf[p++]! & 0x80 && p < end);
      } else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else if (wire === 2) {
        const lenAt = p;
        let len = 0;
        mul = 1;
        do {
          b = buf[p++]!;
          len += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80 && p < end);
        out.push(lenAt);
        if (depth < 6 && len < 1 << 20) walk(p, p + len, depth + 1);
        p += len;
      } else return;
    }
  };
  walk(0, buf.length, 0);
  return out;
}

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

type Mutation = (src: Uint8Array, r: () => number, lens: number[]) => Uint8Array;

const mutations: Record<string, Mutation> = {
  truncate: (src, r) => src.subarray(0, Math.floor(r() * src.length)),
  flipBytes: (src, r) => {
    const b = Uint8Array.from(src);
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
    return b;
  },
  randomBytes: (src, r) => {
    const b = Uint8Array.from(src);
    const at = Math.floor(r() * b.length);
    for (let i = 0; i < 16 && at + i < b.length; i++) b[at + i] = Math.floor(r() * 256);
    return b;
  },
  hugeLength: (src, r, lens) => {
    // Replace one length prefix with 2^40, 2^31 or 2^63-ish.
    const at = lens[Math.floor(r() * lens.length)]!;
    let old = at;
    while (src[old]! & 0x80) old++;
    old++;
    const huge = [2 ** 40, 2 ** 31, 2 ** 53 - 1, 0xffffffff][Math.floor(r() * 4)]!;
    const nb = varintBytes(huge);
    const out = new Uint8Array(src.length - (old - at) + nb.length);
    out.set(src.subarray(0, at), 0);
    out.set(nb, at);
    out.set(src.subarray(old), at + nb.length);
    return out;
  },
  shrinkLength: (src, r, lens) => {
    const b = Uint8Array.from(src);
    const at = lens[Math.floor(r() * lens.length)]!;
    b[at] = (b[at]! & 0x80) | Math.floor(r() * 128);
    return b;
  },
  spliceChunk: (src, r) => {
    const a = Math.floor(r() * src.length);
    const len = Math.floor(r() * 256);
    if (r() < 0.5) return Uint8Array.from([...src.subarray(0, a), ...src.subarray(Math.min(src.length, a + len))].slice(0, src.length));
    const ins = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
    const out = new Uint8Array(src.length + len);
    out.set(src.subarray(0, a), 0);
    out.set(ins, a);
    out.set(src.subarray(a), a + len);
    return out;
  },
  deepNesting: (_src, r) => {
    // Graph → node → attribute → graph → ... far deeper than any real model.
    const depth = 70 + Math.floor(r() * 500);
    let inner: number[] = [];
    for (let i = 0; i < depth; i++) inner = [0x32, ...varintBytes(inner.length), ...inner];
    return Uint8Array.from([0x08, 0x08, 0x3a, ...varintBytes(inner.length), ...inner]);
  },
};

test('at least 2,000 mutated and truncated variants of real models parse or fail with a typed error, each within 1 s', { timeout: 180_000 }, () => {
  const sources: { name: string; bytes: Uint8Array }[] = [
    ...manifest.models
      .filter((m) => fs.statSync(fixturePath(m.path)).size < 3_000_000)
      .map((m) => ({ name: m.id, bytes: new Uint8Array(fs.readFileSync(fixturePath(m.path))) })),
    { name: 'built-mlp', bytes: mlpModel().model },
    { name: 'built-mlp-external', bytes: mlpModel({ external: 'w.bin' }).model },
    { name: 'built-control-flow', bytes: controlFlowModel() },
    { name: 'built-dtypes', bytes: allDtypesModel().model },
  ];
  const tally: Record<string, number> = {};
  const outcomes: Record<string, number> = { parsed: 0 };
  let total = 0;
  let slowest = 0;
  const heapBefore = process.memoryUsage();
  let peakArrayBuffers = 0;
  for (const [si, src] of sources.entries()) {
    const lens = lengthOffsets(src.bytes);
    assert.ok(lens.length > 3, `${src.name}: found length fields to corrupt`);
    for (const [mi, [mname, mutate]] of Object.entries(mutations).entries()) {
      const r = rng(1000 * si + mi + 1);
      const n = mname === 'deepNesting' ? 10 : Math.ceil(VARIANTS_PER_SEED / 2);
      for (let k = 0; k < n; k++) {
        const bytes = mutate(src.bytes, r, lens);
        const t0 = performance.now();
        try {
          const m = parseModelBuffer(bytes, `${src.name}#${mname}${k}`);
          summarize(m); // the summary of whatever parsed must not throw either
          outcomes.parsed!++;
        } catch (e) {
          if (!(e instanceof OnnxError)) {
            assert.fail(`${src.name} ${mname} #${k}: non-OnnxError escaped: ${(e as Error)?.stack ?? String(e)}`);
          }
          outcomes[e.code] = (outcomes[e.code] ?? 0) + 1;
        }
        const dt = performance.now() - t0;
        slowest = Math.max(slowest, dt);
        assert.ok(dt < 1000, `${src.name} ${mname} #${k} took ${dt.toFixed(0)} ms`);
        tally[mname] = (tally[mname] ?? 0) + 1;
        total++;
        if ((total & 63) === 0) peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
      }
    }
  }
  const grew = peakArrayBuffers - heapBefore.arrayBuffers;
  console.log(`fuzz: ${total} variants, slowest ${slowest.toFixed(1)} ms, outcomes ${JSON.stringify(outcomes)}, per mutation ${JSON.stringify(tally)}, arrayBuffers grew ${(grew / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(total >= 2000, `ran ${total} variants`);
  // Every kind of failure the reader reports shows up, and some variants still parse.
  assert.ok(outcomes.truncated! > 0 && outcomes.malformed! > 0 && outcomes.parsed! > 0);
  assert.ok(grew < 256 * 2 ** 20, 'no allocation driven by corrupt lengths');
});
