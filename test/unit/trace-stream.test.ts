/** The streaming scanner, bad input, unsorted and overlapping events, and ONNX Runtime profiles. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { operatorTable, SLICE_KINDS, stepBreakdown, type Profile } from '../../src/core/profile';
import { importTraceFile, importTraceStream, TraceError, TraceJsonScanner } from '../../src/core/trace';
import { fixturePath, manifest, rng, tmpDir } from '../helpers/fixtures';
import { mlpModel } from '../helpers/models';

async function* chunksOf(buf: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; ) {
    const n = Math.max(1, sizes());
    yield buf.subarray(i, i + n);
    i += n;
  }
}

function scanAll(text: string, sizes: () => number): { events: unknown[]; fields: Record<string, unknown> } {
  const events: unknown[] = [];
  const fields: Record<string, unknown> = {};
  const s = new TraceJsonScanner({ event: (e) => events.push(e), field: (k, v) => (fields[k] = v) });
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; ) {
    const n = Math.max(1, sizes());
    s.push(buf.subarray(i, i + n));
    i += n;
  }
  s.end();
  return { events, fields };
}

async function rejectsWith(text: string | Buffer, code: string, re: RegExp): Promise<void> {
  const dir = tmpDir('trace-bad');
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, text);
  await assert.rejects(importTraceFile(file), (e: unknown) => {
    assert.ok(e instanceof TraceError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(e.hint.length > 0);
    return true;
  });
}

describe('streaming scanner', () => {
  test('any chunking gives what JSON.parse gives: escapes, unicode, nesting, fields on both sides', () => {
    const doc = {
      schemaVersion: 1,
      deviceProperties: [{ id: 0, name: 'GPU "quoted" \\ ✓' }],
      traceEvents: [
        { ph: 'X', name: 'a\\"b}]{[', ts: 1, dur: 2, args: { s: 'ünïcödé ✓ 🚀', n: [1, [2, { x: -3.5e-2 }]], t: true, f: null } },
        { ph: 'i', name: '\u0000\n\t', ts: 3 },
        42,
        'str,ing',
      ],
      traceName: 'end',
      n: -12.5e3,
    };
    const text = JSON.stringify(doc, null, 1);
    const rand = rng(7);
    for (const sizes of [() => 1, () => 2, () => 3, () => 1 + Math.floor(rand() * 9), () => 1 << 20]) {
      const got = scanAll(text, sizes);
      assert.deepEqual(got.events, doc.traceEvents);
      assert.deepEqual(got.fields, { schemaVersion: 1, deviceProperties: doc.deviceProperties, traceName: 'end', n: -12.5e3 });
    }
  });

  test('a real fixture read in odd-sized chunks equals JSON.parse', async () => {
    const text = zlib.gunzipSync(fs.readFileSync(fixturePath(manifest.traces.find((t) => t.id === 'hta-alexnet-a100')!.path)));
    const rand = rng(11);
    const got = scanAll(text.toString(), () => 1 + Math.floor(rand() * 4000));
    assert.deepEqual(got.events, JSON.parse(text.toString()).traceEvents);
    const p = await importTraceStream(chunksOf(text, () => 333));
    assert.equal(p.source.eventCount, got.events.length);
  });

  test('a bare array of events, with or without the closing bracket (Chrome JSON Array Format)', async () => {
    const events = [
      { ph: 'X', name: 'a', pid: 1, tid: 1, ts: 10, dur: 5 },
      { ph: 'X', name: 'b', pid: 1, tid: 1, ts: 11, dur: 1 },
    ];
    const full = JSON.stringify(events);
    for (const text of [full, full.slice(0, -1), `${full.slice(0, -1)},\n`]) {
      const p = await importTraceStream(chunksOf(Buffer.from(text), () => 7));
      assert.equal(p.slices.count, 2, text);
    }
  });
});

describe('bad input gives a clear, typed error', () => {
  test('empty, whitespace, truncated, malformed, not a trace, bad gzip, missing', async () => {
    const fixture = zlib.gunzipSync(fs.readFileSync(fixturePath(manifest.traces.find((t) => t.id === 'hta-minitoy-mi250-rocm')!.path)));
    const gz = zlib.gzipSync(fixture);
    await rejectsWith('', 'empty', /empty \(0 bytes\)/);
    await rejectsWith('  \n\t ', 'empty', /the trace is empty/);
    await rejectsWith(fixture.subarray(0, fixture.length >> 1), 'truncated', /ends early.*after \d+ events/);
    await rejectsWith('{"traceEvents": [{"ph": "X"', 'truncated', /ends early/);
    await rejectsWith(gz.subarray(0, gz.length >> 1), 'truncated', /gzip data ends early/);
    await rejectsWith(Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 7)]), 'malformed', /not valid gzip/);
    await rejectsWith('{"traceEvents": [{"ph": "X",}]}', 'malformed', /invalid JSON/);
    await rejectsWith('{"traceEvents": [{"ph": "X"} {"ph": "X"}]}', 'malformed', /expected ',' or '\]' between events/);
    await rejectsWith('{"traceEvents": []} trailing', 'malformed', /after the end of the trace/);
    await rejectsWith('{"displayTimeUnit": "ms"}', 'not-trace', /no "traceEvents" array/);
    await rejectsWith('{"traceEvents": {"ph": "X"}}', 'not-trace', /no "traceEvents" array/);
    await rejectsWith('not json at all\n', 'not-trace', /starts with 'n'/);
    await assert.rejects(importTraceFile(path.join(tmpDir('trace-missing'), 'nope.json')), /no such file/);
  });

  test('cancel', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(importTraceFile(fixturePath(manifest.traces[0]!.path), { signal: ac.signal }), (e: unknown) => e instanceof TraceError && e.code === 'cancelled');
  });

  test('progress reaches the file size', async () => {
    const file = fixturePath(manifest.traces.find((t) => t.id === 'hta-training-v100')!.path);
    const seen: number[] = [];
    await importTraceFile(file, { onProgress: (p) => seen.push(p.bytesRead / p.totalBytes) });
    assert.ok(seen.length >= 1);
    assert.equal(seen[seen.length - 1], 1);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  });
});

describe('unsorted and overlapping events are never dropped', () => {
  test('shuffled, nested, partially overlapping and identical slices all appear, at non-overlapping depths', async () => {
    const rand = rng(3);
    const events: object[] = [{ ph: 'M', name: 'thread_name', pid: 1, tid: 2, args: { name: 'worker' } }];
    for (let i = 0; i < 500; i++) {
      const ts = Math.floor(rand() * 1000);
      events.push({ ph: 'X', cat: 'kernel', name: `k${i % 7}`, pid: 0, tid: 'stream 7', ts, dur: Math.floor(rand() * 50), args: { stream: 7, device: 0 } });
      events.push({ ph: 'X', cat: 'cpu_op', name: `op${i % 5}`, pid: 1, tid: 2, ts, dur: Math.floor(rand() * 80) });
    }
    events.push({ ph: 'X', cat: 'cpu_op', name: 'same', pid: 1, tid: 2, ts: 5, dur: 10 }, { ph: 'X', cat: 'cpu_op', name: 'same', pid: 1, tid: 2, ts: 5, dur: 10 });
    events.push({ ph: 'B', name: 'open', pid: 1, tid: 2, ts: 100 }, { ph: 'E', pid: 1, tid: 2, ts: 130 }, { ph: 'B', name: 'never closed', pid: 1, tid: 2, ts: 900 });
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    const p: Profile = await importTraceStream(chunksOf(Buffer.from(JSON.stringify({ traceEvents: events })), () => 4096));
    assert.equal(p.slices.count, 1000 + 2 + 2);
    assert.equal(p.slices.kind.filter((k) => k === SLICE_KINDS.indexOf('kernel')).length, 500);
    assert.deepEqual(p.tracks.map((t) => [t.kind, t.name]), [['cpu-thread', 'worker'], ['gpu-stream', 'stream 7']]);
    assert.ok(p.tracks[0]!.depthCount > 3 && p.tracks[1]!.depthCount > 3);
    for (const t of p.tracks) {
      const lastEnd = new Map<number, number>();
      for (let i = t.firstSlice; i < t.firstSlice + t.sliceCount; i++) {
        assert.ok(i === t.firstSlice || p.slices.start[i - 1]! <= p.slices.start[i]!, 'sorted by start');
        const d = p.slices.depth[i]!;
        assert.ok((lastEnd.get(d) ?? -Infinity) <= p.slices.start[i]!, 'no overlap within a depth');
        lastEnd.set(d, p.slices.start[i]! + p.slices.dur[i]!);
      }
    }
    assert.match(p.warnings.join('\n'), /without a matching 'E'/);
  });
});

describe('ONNX Runtime profiles import the same way', () => {
  test('a real ORT profile: sessions, nodes per provider, model_run steps', async () => {
    const dir = tmpDir('ort-prof');
    const model = path.join(dir, 'mlp.onnx');
    fs.writeFileSync(model, mlpModel().model);
    const session = await ort.InferenceSession.create(model, { enableProfiling: true, profileFilePrefix: path.join(dir, 'prof') });
    for (let i = 0; i < 3; i++) await session.run({ x: new ort.Tensor('float32', new Float32Array(8), [2, 4]) });
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.startsWith('prof') && f.endsWith('.json'))!;
    const raw = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; args?: { op_name?: string } }[];
    const p = await importTraceFile(path.join(dir, file));
    assert.equal(p.source.format, 'ort');
    assert.equal(p.source.eventCount, raw.length);
    const nodes = raw.filter((e) => e.cat === 'Node');
    assert.equal(p.slices.kind.filter((k) => k === SLICE_KINDS.indexOf('ort_node')).length, nodes.length);
    assert.ok(p.tracks.some((t) => t.kind === 'ep' && t.name === 'CPUExecutionProvider'));
    assert.equal(stepBreakdown(p).length, raw.filter((e) => e.name === 'model_run').length);
    const ops = operatorTable(p);
    const independent = new Map<string, number>();
    for (const n of nodes) independent.set(n.args!.op_name!, (independent.get(n.args!.op_name!) ?? 0) + 1);
    assert.deepEqual(new Map(ops.map((o) => [o.name, o.calls])), independent);
  });
});
