/**
 * `liveAtPeak`: what makes up a memory peak. A small Kineto trace written here (so every expected
 * number is worked out by hand below), imported by the real importer; and the real ResNet-50 trace
 * (no addresses: the net-by-operator fallback must agree with `memoryPeaks`).
 *
 *   node --import tsx --test test/unit/memory-live.test.ts
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { liveAtPeak, memoryPeaks, OUTSIDE_ANY_OPERATOR, type Profile } from '../../src/core/profile';
import { importTraceFile, importTraceStream } from '../../src/core/trace';
import { REPO } from '../helpers/fixtures';

const GPU = { 'Device Type': 1, 'Device Id': 0 };

function op(name: string, ts: number, dur: number): object {
  return { ph: 'X', cat: 'cpu_op', name, pid: 1, tid: 1, ts, dur, args: {} };
}

/** A [memory] sample; `addr` and the allocator totals left out when undefined. */
function mem(ts: number, bytes: number, addr: number | undefined, total: number | undefined): object {
  const args: Record<string, number> = { ...GPU, Bytes: bytes };
  if (addr !== undefined) args.Addr = addr;
  if (total !== undefined) {
    args['Total Allocated'] = total;
    args['Total Reserved'] = 4096;
  }
  return { ph: 'i', s: 't', name: '[memory]', pid: 1, tid: 1, ts, args };
}

/**
 * 1000 bytes already allocated when the trace starts.
 *   t=5   +100 @A  in aten::empty                      → 1100
 *   t=23  +200 @B  in aten::empty inside aten::conv    → 1300
 *   t=30  +300 @C  in aten::conv                       → 1600
 *   t=35  -100 @A  in aten::conv                       → 1500
 *   t=42  -200 @B  outside any operator                → 1300
 *   t=45   +50 @A  outside any operator (A reused)     → 1350
 *   t=47   +70 @E  outside any operator                → 1420
 *   t=48  -999 @Z  a free of something allocated before the trace (ignored) → 1420 (total as the allocator says)
 *   t=49   +30 @E  allocated again at E, its free not recorded: replaces the 70 → 1450 (allocator's word)
 *   t=52  +400 @D  in aten::add                        → 1850   ← the peak
 *   t=55  -300 @C  after the peak                      → 1550
 */
function trace(withAddresses: boolean): string {
  const a = (x: number) => (withAddresses ? x : undefined);
  const events = [
    op('aten::empty', 0, 10),
    op('aten::conv', 20, 20),
    op('aten::empty', 22, 3),
    op('aten::add', 50, 10),
    mem(5, 100, a(0xa), 1100),
    mem(23, 200, a(0xb), 1300),
    mem(30, 300, a(0xc), 1600),
    mem(35, -100, a(0xa), 1500),
    mem(42, -200, a(0xb), 1300),
    mem(45, 50, a(0xa), 1350),
    mem(47, 70, a(0xe), 1420),
    mem(48, -999, a(0xf), 1420),
    mem(49, 30, a(0xe), 1450),
    mem(52, 400, a(0xd), 1850),
    mem(55, -300, a(0xc), 1550),
  ];
  return JSON.stringify({ traceEvents: events });
}

async function load(text: string): Promise<Profile> {
  return importTraceStream((async function* () {
    yield text;
  })());
}

test('liveAtPeak by address: the allocations not freed by the peak, by allocating operator', async () => {
  const p = await load(trace(true));
  assert.equal(p.memoryDevices.length, 1);
  const live = liveAtPeak(p, 0);
  assert.equal(live.device, 'CUDA:0');
  assert.equal(live.method, 'address');
  assert.equal(live.peakBytes, 1850);
  assert.equal(live.peakTimeUs, 52);
  assert.equal(p.memory.bytes[live.peakSample], 400);
  assert.deepEqual(live.rows, [
    { name: 'aten::add', bytes: 400, allocations: 1 },
    { name: 'aten::conv', bytes: 300, allocations: 1 },
    { name: OUTSIDE_ANY_OPERATOR, bytes: 80, allocations: 2 },
  ]);
  assert.equal(live.liveBytes, 780, 'the other 1070 bytes of the peak were allocated before the trace');
  // Agrees with memoryPeaks on where the peak is.
  const [peak] = memoryPeaks(p);
  assert.equal(peak!.peakBytes, live.peakBytes);
  assert.equal(peak!.peakTimeUs, live.peakTimeUs);
});

test('liveAtPeak without addresses: net bytes per operator up to the peak, the same as memoryPeaks’ topAllocators', async () => {
  const p = await load(trace(false));
  const live = liveAtPeak(p, 0);
  assert.equal(live.method, 'net');
  assert.equal(live.peakBytes, 1850);
  // aten::empty 100 + 200; aten::conv 300 - 100 (A freed while it ran); outside -200 + 50 + 70 - 999 + 30 < 0: dropped.
  assert.deepEqual(live.rows, [
    { name: 'aten::add', bytes: 400, allocations: 1 },
    { name: 'aten::empty', bytes: 300, allocations: 2 },
    { name: 'aten::conv', bytes: 200, allocations: 1 },
  ]);
  const [peak] = memoryPeaks(p, Infinity);
  assert.deepEqual(
    live.rows.map((r) => ({ name: r.name, bytes: r.bytes })),
    [...peak!.topAllocators].sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1)),
  );
});

test('liveAtPeak with some addresses missing falls back to net bytes', async () => {
  const text = trace(true).replace('"Bytes":50,"Addr":10', '"Bytes":50');
  assert.notEqual(text, trace(true), 'the sample was edited');
  const live = liveAtPeak(await load(text), 0);
  assert.equal(live.method, 'net');
});

test('liveAtPeak on the real ResNet-50 trace (no addresses): every device, net rows equal memoryPeaks', async () => {
  const p = await importTraceFile(path.join(REPO, '..', 'shared', 'fixtures', 'traces', 'kineto-resnet50-v100-memory.pt.trace.json.gz'));
  const peaks = memoryPeaks(p, Infinity);
  assert.equal(peaks.length, 2);
  p.memoryDevices.forEach((dev, d) => {
    const live = liveAtPeak(p, d);
    assert.equal(live.device, dev.name);
    assert.equal(live.method, 'net');
    assert.equal(live.peakBytes, peaks[d]!.peakBytes);
    assert.equal(live.peakTimeUs, peaks[d]!.peakTimeUs);
    assert.deepEqual(new Map(live.rows.map((r) => [r.name, r.bytes])), new Map(peaks[d]!.topAllocators.map((r) => [r.name, r.bytes])));
    for (let k = 1; k < live.rows.length; k++) assert.ok(live.rows[k - 1]!.bytes >= live.rows[k]!.bytes, 'largest first');
    assert.ok(live.rows.every((r) => r.allocations > 0));
  });
});
