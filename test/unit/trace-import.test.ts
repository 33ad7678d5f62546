/**
 * The trace importer on every real trace in ../shared/fixtures/traces, against figures counted
 * here independently from a plain JSON.parse of the gunzipped file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { gpuBusy, kernelTable, memoryPeaks, attributeGpuWork, stepBreakdown, profileFromJson, profileToJson, SLICE_KINDS, type Profile } from '../../src/core/profile';
import { importTraceFile, importTracePath } from '../../src/core/trace';
import { fixturePath, manifest, tmpDir } from '../helpers/fixtures';

interface Ev {
  ph: string;
  cat?: string;
  name?: string;
  pid?: unknown;
  tid?: unknown;
  ts: number;
  dur?: number;
  args?: Record<string, number>;
}

function rawEvents(file: string): Ev[] {
  return (JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as { traceEvents: Ev[] }).traceEvents;
}

const GPU_CATS = new Set(['kernel', 'Kernel', 'gpu_memcpy', 'Memcpy', 'gpu_memset', 'Memset']);

function mergedLength(iv: [number, number][]): number {
  iv.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [s, e] = [NaN, NaN];
  for (const [a, b] of iv) {
    if (!(a <= e)) {
      if (e === e) total += e - s;
      [s, e] = [a, b];
    } else e = Math.max(e, b);
  }
  return e === e ? total + e - s : 0;
}

function kindCount(p: Profile, kind: string): number {
  const c = SLICE_KINDS.indexOf(kind as never);
  return p.slices.kind.reduce((n, k) => n + (k === c ? 1 : 0), 0);
}

const figures: Record<string, unknown>[] = [];

describe('trace importer on the real fixtures', () => {
  for (const fx of manifest.traces) {
    test(fx.id, async () => {
      const file = fixturePath(fx.path);
      const raw = rawEvents(file);
      const p = await importTraceFile(file);

      // Every event is counted, by category.
      assert.equal(p.source.eventCount, raw.length);
      const cats: Record<string, number> = {};
      for (const e of raw) {
        const k = e.cat ?? (e.name === '[memory]' ? '[memory]' : e.ph === 'M' ? '(metadata)' : e.ph === 'i' ? '(instant)' : `(${e.ph})`);
        cats[k] = (cats[k] ?? 0) + 1;
      }
      assert.deepEqual({ ...p.categoryCounts }, cats);
      assert.equal(p.source.format, 'kineto');

      // Every complete event and every non-memory instant is a slice; nothing is dropped.
      const complete = raw.filter((e) => e.ph === 'X');
      const instants = raw.filter((e) => e.ph === 'i' && e.name !== '[memory]');
      assert.equal(p.slices.count, complete.length + instants.length);
      const kernels = complete.filter((e) => e.cat === 'kernel' || e.cat === 'Kernel');
      assert.equal(kindCount(p, 'kernel'), kernels.length);
      assert.equal(kindCount(p, 'memcpy'), complete.filter((e) => e.cat === 'gpu_memcpy' || e.cat === 'Memcpy').length);

      // The same kernels: name, start and duration, as a multiset.
      const key = (name: string, ts: number, dur: number) => `${name}|${ts}|${dur}`;
      const want = kernels.map((e) => key(e.name!, e.ts, e.dur!)).sort();
      const got: string[] = [];
      const kc = SLICE_KINDS.indexOf('kernel');
      for (let i = 0; i < p.slices.count; i++) if (p.slices.kind[i] === kc) got.push(key(p.strings[p.slices.name[i]!]!, p.slices.start[i]! + p.origin, p.slices.dur[i]!));
      assert.deepEqual(got.sort(), want);

      // Kernel table: calls add up; totals match an independent sum.
      const table = kernelTable(p);
      assert.equal(table.reduce((n, r) => n + r.calls, 0), kernels.length);
      const sumBy = new Map<string, number>();
      for (const e of kernels) sumBy.set(e.name!, (sumBy.get(e.name!) ?? 0) + e.dur!);
      for (const r of table.slice(0, 5)) assert.ok(Math.abs(r.totalUs - sumBy.get(r.name)!) < 1e-6, r.name);

      // Depth: on every track, slices at the same depth never overlap.
      for (const t of p.tracks) {
        const lastEnd = new Map<number, number>();
        for (let i = t.firstSlice; i < t.firstSlice + t.sliceCount; i++) {
          const d = p.slices.depth[i]!;
          assert.ok((lastEnd.get(d) ?? -Infinity) <= p.slices.start[i]! + 1e-6, `overlap on ${t.name} depth ${d}`);
          lastEnd.set(d, p.slices.start[i]! + p.slices.dur[i]!);
        }
      }

      // GPU busy per device: the union of GPU activity intervals, counted here.
      // Relative to the first timestamp: absolute µs near 1.7e15 only keep quarter-µs precision.
      const t0 = Math.min(...raw.filter((e) => e.ph !== 'M').map((e) => e.ts));
      const byDevice = new Map<number, [number, number][]>();
      for (const e of complete) {
        if (!GPU_CATS.has(e.cat!)) continue;
        const d = e.args?.device ?? Number(e.pid);
        if (!byDevice.has(d)) byDevice.set(d, []);
        byDevice.get(d)!.push([e.ts - t0, e.ts - t0 + e.dur!]);
      }
      const busy = gpuBusy(p);
      assert.deepEqual(busy.devices.map((d) => d.device), [...byDevice.keys()].sort());
      for (const d of busy.devices) {
        const independent = mergedLength(byDevice.get(d.device)!);
        assert.ok(Math.abs(d.busyUs - independent) < 1e-3, `busy GPU ${d.device}: ${d.busyUs} vs ${independent}`);
      }

      // Attribution by correlation id: GPU work whose correlation a runtime call also has.
      const runtimeCorr = new Set(complete.filter((e) => e.cat === 'cuda_runtime' || e.cat === 'Runtime').map((e) => e.args?.correlation));
      const gpuWork = complete.filter((e) => GPU_CATS.has(e.cat!));
      const attr = attributeGpuWork(p);
      assert.equal(attr.gpuActivities, gpuWork.length);
      assert.equal(attr.viaCorrelation, gpuWork.filter((e) => runtimeCorr.has(e.args?.correlation)).length);

      // Memory: samples and peak per device, by a running sum of Bytes counted here.
      const mem = raw.filter((e) => e.name === '[memory]');
      assert.equal(p.memory.count, mem.length);
      const curves = new Map<string, { run: number; peak: number }>();
      for (const e of [...mem].sort((a, b) => a.ts - b.ts)) {
        const k = `${e.args!['Device Type']}:${e.args!['Device Id']}`;
        const c = curves.get(k) ?? { run: 0, peak: 0 };
        c.run += e.args!.Bytes!;
        c.peak = Math.max(c.peak, c.run);
        curves.set(k, c);
      }
      const peaks = memoryPeaks(p);
      assert.equal(peaks.length, curves.size);
      for (const [k, c] of curves) {
        const [type, id] = k.split(':').map(Number);
        const d = p.memoryDevices.findIndex((m) => m.type === type && m.index === id);
        assert.equal(peaks[d]!.peakBytes, c.peak, k);
      }

      // Steps: one row per ProfilerStep, and each breakdown sums to the step's duration.
      const steps = stepBreakdown(p);
      assert.equal(steps.length, complete.filter((e) => (e.cat === 'cpu_op' || e.cat === 'Operator' || e.cat === 'user_annotation') && e.name!.startsWith('ProfilerStep#')).length);
      for (const s of steps) {
        const parts = s.kernelUs + s.memcpyUs + s.memsetUs + s.runtimeUs + s.dataLoaderUs + s.cpuUs + s.otherUs;
        assert.ok(Math.abs(parts - s.durUs) < 1e-3 && s.otherUs >= -1e-3, s.name);
      }

      // Track names come from thread_name metadata.
      const threadNames = new Set(raw.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => (e.args as unknown as { name: string }).name.trim()));
      for (const t of p.tracks) if (t.kind === 'cpu-thread' && t.sliceCount > 100) assert.ok(threadNames.has(t.name), t.name);

      figures.push({
        id: fx.id,
        events: raw.length,
        slices: p.slices.count,
        kernels: kernels.length,
        memoryEvents: mem.length,
        peakBytes: Object.fromEntries(peaks.map((m) => [m.device, m.peakBytes])),
        flows: p.flows.count,
        tracks: p.tracks.length,
      });
    });
  }

  test('figures', () => {
    if (process.env.TRACE_FIGURES) console.log(JSON.stringify(figures, null, 1));
  });

  test('the saved JSON form reads back to the same profile', async () => {
    const p = await importTraceFile(fixturePath(manifest.traces.find((t) => t.id === 'hta-minitoy-mi250-rocm')!.path));
    const back = profileFromJson(JSON.parse(JSON.stringify(profileToJson(p))));
    assert.deepEqual(back.slices, p.slices);
    assert.deepEqual(back.memory, p.memory);
    assert.deepEqual(back.tracks, p.tracks);
    assert.deepEqual(kernelTable(back), kernelTable(p));
    assert.throws(() => profileFromJson({ schemaVersion: 99 }), /schema version 1/);
  });

  test('a TensorBoard log folder: plain and gzipped traces in run folders', async () => {
    const fx = fixturePath(manifest.traces.find((t) => t.id === 'hta-alexnet-a100')!.path);
    const dir = tmpDir('tblog');
    fs.mkdirSync(path.join(dir, 'run1'));
    fs.mkdirSync(path.join(dir, 'run2', 'plugins'), { recursive: true });
    fs.copyFileSync(fx, path.join(dir, 'run1', 'host_123.1700000000.pt.trace.json.gz'));
    fs.writeFileSync(path.join(dir, 'run2', 'plugins', 'host_456.1700000001.pt.trace.json'), zlib.gunzipSync(fs.readFileSync(fx)));
    fs.writeFileSync(path.join(dir, 'run1', 'notes.json'), '{}');
    const all = await importTracePath(dir);
    assert.deepEqual(all.map((t) => path.relative(dir, t.file)), ['run1/host_123.1700000000.pt.trace.json.gz', 'run2/plugins/host_456.1700000001.pt.trace.json']);
    assert.deepEqual(all[0]!.profile.categoryCounts, all[1]!.profile.categoryCounts);
    assert.deepEqual(all[0]!.profile.slices.start, all[1]!.profile.slices.start);
  });
});
