/**
 * The transform worker (src/runner/transform-worker.ts, bundled as the build bundles it) forked by
 * transformInWorker: the same bytes as the core in process, progress, cancel and crash (a real
 * SIGKILL from the test) with typed errors, and no file left behind by a killed worker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { convertFp16, quantizeInt8, type TransformProgress } from '../../src/core/optimize';
import { transformInWorker, TransformRunError, type CoreTransformSpec, type TransformErrorCode } from '../../src/runner/transform-client';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';
import { listDir } from '../helpers/optimize';

/** The running transform workers this test process forked (from /proc: parent pid and command line). */
function workerPids(): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('transform-worker.js')) pids.push(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isRunError(code: TransformErrorCode) {
  return (e: unknown) => {
    assert.ok(e instanceof TransformRunError, `a TransformRunError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

describe('transformInWorker', () => {
  let worker = '';
  let small = '';
  let big = '';
  before(async () => {
    worker = (await bundles()).transformWorker;
    const dir = tmpDir('transform-worker-src');
    small = path.join(dir, 'encoder.onnx');
    fs.writeFileSync(small, transformerModel({ layers: 1, hidden: 64, ffn: 128, seed: 1 }).model);
    // ~48 MiB of float32 weights: long enough to cancel while it writes.
    big = path.join(dir, 'big.onnx');
    fs.writeFileSync(big, transformerModel({ layers: 4, hidden: 512, ffn: 2048, seed: 2 }).model);
  });

  test('INT8 and FP16 of a transformer: byte-identical to the core run in process; progress arrives', async () => {
    for (const [kind, inProcess] of [
      ['int8', (src: string, out: string) => quantizeInt8(src, out, { perChannel: true })],
      ['fp16', (src: string, out: string) => convertFp16(src, out, {})],
    ] as const) {
      const dir = tmpDir(`transform-worker-${kind}`);
      const local = await inProcess(small, path.join(dir, 'local.onnx'));
      const progress: TransformProgress[] = [];
      const spec: CoreTransformSpec = kind === 'int8' ? { kind, options: { perChannel: true } } : { kind, options: {} };
      const r = await transformInWorker(small, spec, { workerPath: worker, outPath: path.join(dir, 'worker.onnx'), onProgress: (p) => progress.push(p) });
      assert.equal(r.output, path.join(dir, 'worker.onnx'));
      assert.ok(fs.readFileSync(r.output).equals(fs.readFileSync(local.output)), `${kind}: the same bytes as in process`);
      const { durationMs: _a, output: _b, ...report } = r;
      const { durationMs: _c, output: _d, ...expected } = local;
      assert.deepEqual(report, expected, `${kind}: the same report`);
      assert.deepEqual([...new Set(progress.map((p) => p.stage))], ['read', 'write', 'done'], `${kind}: progress from the worker`);
      assert.ok(progress.some((p) => p.stage === 'write' && p.totalBytes > 0));
      assert.deepEqual(listDir(dir), ['local.onnx', 'worker.onnx'], 'no temp files');
    }
    assert.equal(workerPids().length, 0, 'every worker has exited');
  });

  test('default output name next to the source, never over an existing file', async () => {
    const dir = tmpDir('transform-worker-names');
    const src = path.join(dir, 'm.onnx');
    fs.copyFileSync(small, src);
    const a = await transformInWorker(src, { kind: 'int8', options: {} }, { workerPath: worker });
    const b = await transformInWorker(src, { kind: 'int8', options: {} }, { workerPath: worker });
    assert.deepEqual([path.basename(a.output), path.basename(b.output)], ['m.int8.onnx', 'm.int8-2.onnx']);
    fs.writeFileSync(path.join(dir, 'taken.onnx'), 'mine');
    await assert.rejects(transformInWorker(src, { kind: 'int8', options: {} }, { workerPath: worker, outPath: path.join(dir, 'taken.onnx') }), (e: unknown) => {
      isRunError('exists')(e);
      assert.match((e as TransformRunError).hint, /another output name/);
      return true;
    });
    assert.equal(fs.readFileSync(path.join(dir, 'taken.onnx'), 'utf8'), 'mine');
  });

  test('cancel mid-write kills the worker within 1 s and leaves no new file', async () => {
    const dir = tmpDir('transform-worker-cancel');
    const src = path.join(dir, 'big.onnx');
    fs.copyFileSync(big, src);
    const before = listDir(dir);
    const ac = new AbortController();
    let pid = 0;
    let abortedAt = 0;
    const run = transformInWorker(src, { kind: 'int8', options: {} }, {
      workerPath: worker,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage !== 'write' || abortedAt) return;
        pid = workerPids()[0] ?? 0;
        abortedAt = performance.now();
        ac.abort();
      },
    });
    await assert.rejects(run, isRunError('cancelled'));
    const settledMs = performance.now() - abortedAt;
    assert.ok(pid > 0, 'the worker was running when cancelled');
    assert.equal(alive(pid), false, 'the worker process is gone');
    assert.ok(settledMs < 1000, `settled ${settledMs.toFixed(0)} ms after cancel`);
    assert.deepEqual(listDir(dir), before, 'no output, no temp file');
    assert.ok(fs.readFileSync(src).equals(fs.readFileSync(big)), 'the source is unchanged');
  });

  test('a worker killed mid-write is a crash with a hint; its temp files are removed', async () => {
    const dir = tmpDir('transform-worker-crash');
    const src = path.join(dir, 'big.onnx');
    fs.copyFileSync(big, src);
    const before = listDir(dir);
    let during: string[] = [];
    let killed = false;
    const run = transformInWorker(src, { kind: 'fp16', options: {} }, {
      workerPath: worker,
      onProgress: (p) => {
        if (killed || p.stage !== 'write' || p.doneBytes < p.totalBytes * 0.2) return;
        killed = true;
        during = listDir(dir);
        for (const pid of workerPids()) process.kill(pid, 'SIGKILL');
      },
    });
    await assert.rejects(run, (e: unknown) => {
      isRunError('crashed')(e);
      const err = e as TransformRunError;
      assert.match(err.message, /transform process ended unexpectedly \(signal SIGKILL\)/);
      assert.match(err.hint, /source model is unchanged/);
      return true;
    });
    assert.ok(killed, 'killed while writing');
    assert.ok(
      during.some((n) => /^\.big\.fp16\.onnx\.\d+\.[a-z0-9]*\.tmp$/.test(n)),
      `the worker had a temp file when it was killed: ${during.join(', ')}`,
    );
    assert.deepEqual(listDir(dir), before, 'the client removed it');
    assert.equal(workerPids().length, 0);
  });

  test('a corrupted model: the reader error with its hint; a timeout stops the worker; nothing written', async () => {
    const dir = tmpDir('transform-worker-bad');
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, fs.readFileSync(small).subarray(0, 3000));
    await assert.rejects(transformInWorker(bad, { kind: 'int8', options: {} }, { workerPath: worker }), (e: unknown) => {
      isRunError('model-unreadable')(e);
      assert.match((e as TransformRunError).hint, /cut short|not a valid ONNX/);
      return true;
    });
    await assert.rejects(transformInWorker(small, { kind: 'dims', changes: [{ value: 'nope', axis: 0, to: 'batch' }] }, { workerPath: worker, outPath: path.join(dir, 'd.onnx') }), isRunError('bad-option'));
    const src = path.join(dir, 'big.onnx');
    fs.copyFileSync(big, src);
    await assert.rejects(transformInWorker(src, { kind: 'int8', options: {} }, { workerPath: worker, timeoutMs: 300 }), (e: unknown) => {
      isRunError('timeout')(e);
      assert.match((e as TransformRunError).message, /did not finish within 0\.3 s; it was stopped\. The source model is unchanged/);
      return true;
    });
    assert.deepEqual(listDir(dir), ['bad.onnx', 'big.onnx']);
    const missing = await transformInWorker(small, { kind: 'int8', options: {} }, { workerPath: path.join(dir, 'no-worker.js') }).catch((e: unknown) => e);
    assert.ok(missing instanceof TransformRunError && missing.code === 'crashed', String(missing));
  });
});
