/** `inference-lens trace` as a user runs it: the bundled CLI, spawned, on real traces. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, test } from 'node:test';
import { fixturePath, manifest, REPO, tmpDir } from '../helpers/fixtures';
import { bundles } from '../helpers/bundles';

let cli = '';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const trace = (id: string) => fixturePath(manifest.traces.find((t) => t.id === id)!.path);

describe('inference-lens trace', () => {
  before(async () => {
    cli = (await bundles()).cli;
  });

  test('--json: counts, memory peak and device match an independent count of the file', () => {
    const file = trace('kineto-resnet50-v100-memory');
    const r = run(['trace', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    const raw = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString()) as { deviceProperties: { name: string }[]; traceEvents: { cat?: string; name: string; ph: string; ts: number; args?: Record<string, number> }[] };
    assert.equal(s.schemaVersion, 1);
    assert.equal(s.format, 'kineto');
    assert.equal(s.eventCount, raw.traceEvents.length);
    assert.equal(s.categories.find((c: { category: string }) => c.category === 'Kernel').count, raw.traceEvents.filter((e) => e.cat === 'Kernel').length);
    assert.equal(s.devices[0].name, raw.deviceProperties[0]!.name);
    let run_ = 0;
    let peak = 0;
    for (const e of raw.traceEvents.filter((x) => x.name === '[memory]' && x.args!['Device Type'] === 1).sort((a, b) => a.ts - b.ts)) {
      run_ += e.args!.Bytes!;
      peak = Math.max(peak, run_);
    }
    const cuda = s.memory.find((m: { device: string }) => m.device === 'CUDA:0');
    assert.equal(cuda.peakBytes, peak);
    assert.ok(cuda.topAllocators.length > 0);
    assert.equal(s.steps.length, 6);
    assert.ok(s.topOperators.length > 0 && s.topKernels.length > 0);
  });

  test('prints a readable summary', () => {
    const r = run(['trace', trace('hta-alexnet-a100')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hta-alexnet-a100\.pt\.trace\.json\.gz {2}\(kineto, /);
    assert.match(r.stdout, /GPU 0: NVIDIA A100-PG509-200/);
    assert.match(r.stdout, /\n {2}kernel +79\n/);
    assert.match(r.stdout, /GPU busy \/ idle/);
    assert.match(r.stdout, /Top operators\n {2}operator +calls/);
    assert.match(r.stdout, /Top kernels\n/);
  });

  test('a log folder prints every trace in it', () => {
    const dir = tmpDir('trace-cli-logdir');
    fs.mkdirSync(path.join(dir, 'run'));
    fs.copyFileSync(trace('hta-minitoy-mi250-rocm'), path.join(dir, 'run', 'w0.1.pt.trace.json.gz'));
    fs.copyFileSync(trace('hta-alexnet-a100'), path.join(dir, 'run', 'w1.2.pt.trace.json.gz'));
    const r = run(['trace', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.traces.map((t: { eventCount: number }) => t.eventCount), [220, 1408]);
    const text = run(['trace', dir]);
    assert.match(text.stdout, /w0\.1\.pt\.trace\.json\.gz[\s\S]*Steps[\s\S]*w1\.2\.pt\.trace\.json\.gz/);
  });

  test('bad usage and bad input exit 2 with one line on stderr and no stack trace', () => {
    const dir = tmpDir('trace-cli-bad');
    const write = (name: string, data: string | Buffer) => {
      fs.writeFileSync(path.join(dir, name), data);
      return path.join(dir, name);
    };
    const fixture = zlib.gunzipSync(fs.readFileSync(trace('hta-minitoy-mi250-rocm')));
    fs.mkdirSync(path.join(dir, 'emptydir'));
    const cases: [string[], RegExp][] = [
      [['trace'], /exactly one trace file or log folder/],
      [['trace', 'a.json', 'b.json'], /exactly one trace file/],
      [['trace', write('x.json', '{}'), '--bogus'], /unknown option '--bogus'/],
      [['trace', path.join(dir, 'missing.json')], /no such file/],
      [['trace', write('empty.json', '')], /empty/],
      [['trace', write('cut.json', fixture.subarray(0, 5000))], /ends early.*cut short/],
      [['trace', write('bad.json', '{"traceEvents": [{"ph": }]}')], /invalid JSON/],
      [['trace', write('other.json', '{"hello": 1}')], /no "traceEvents" array/],
      [['trace', path.join(dir, 'emptydir')], /no \*\.pt\.trace\.json/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')} → exit 2 (${r.stderr})`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
