/** `inference-lens profile`, spawned from its bundle next to the worker bundle, on real models. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseRunFile } from '../../src/core/results/run-file';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { tinyDecoderModel, transformerModel } from '../helpers/models';

let cli = '';
let encoder = '';
let decoder = '';
let work = '';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('inference-lens profile', () => {
  before(async () => {
    cli = (await bundles()).cli;
    work = tmpDir('profile-cli');
    encoder = path.join(work, 'encoder.onnx');
    fs.writeFileSync(encoder, transformerModel({ layers: 2, hidden: 64, ffn: 256 }).model);
    decoder = path.join(work, 'decoder.onnx');
    fs.writeFileSync(decoder, tinyDecoderModel({ layers: 2, vocab: 64, dim: 32 }));
  });

  test('prints the metrics table and the top operators; saves a run file, ORT\'s profile and a Chrome trace', () => {
    const original = fs.readFileSync(encoder);
    const r = run(['profile', 'encoder.onnx', '--dims', 'batch=2,sequence=16', '--iterations', '30', '--profiled-runs', '3', '--json', 'run.json', '--trace', 'trace.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /latency p50 \/ p90 \/ p99 +[\d.]+ \/ [\d.]+ \/ [\d.]+ ms/);
    assert.match(r.stdout, /throughput +[\d.]+ inferences\/s, [\d.]+ items\/s \(batch 2\)/);
    assert.match(r.stdout, /Top operators \(3 profiled runs\)/);
    assert.match(r.stdout, /\n {2}(MatMul|FusedMatMul|Gemm) +CPU +\d+/);
    const saved = /Saved (.+\.ilprof\.json)/.exec(r.stdout)![1]!;
    const runFile = parseRunFile(fs.readFileSync(path.resolve(work, saved), 'utf8')) as ReturnType<typeof parseRunFile> & { result: { latencyMs: { count: number } }; operators: { byOpType: { count: number }[]; runs: number } };
    assert.equal(runFile.result.latencyMs.count, 30);
    assert.equal(runFile.operators.runs, 3);
    // Every op type ran a multiple of 3 times (each profiled run executes each node once).
    assert.ok(runFile.operators.byOpType.every((o) => o.count % 3 === 0));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(work, 'run.json'), 'utf8')).createdAt, runFile.createdAt);
    assert.ok(fs.existsSync(path.resolve(work, saved.replace(/\.ilprof\.json$/, '.ort.json'))), 'ORT raw profile kept');
    const trace = JSON.parse(fs.readFileSync(path.join(work, 'trace.json'), 'utf8'));
    assert.ok(Array.isArray(trace.traceEvents) && trace.traceEvents.some((e: { ph: string; name: string }) => e.ph === 'M' && e.name === 'process_name'));
    assert.ok(trace.traceEvents.filter((e: { cat: string }) => e.cat === 'Node').length > 10);
    assert.ok(fs.readFileSync(encoder).equals(original), 'the model is untouched');
  });

  test('--free-dims fixes symbolic dims in the session and the inputs; --threads and --graph-opt are passed on', () => {
    const r = run(['profile', 'encoder.onnx', '--free-dims', 'batch=3,sequence=5', '--threads', '1', '--graph-opt', 'basic', '--iterations', '2', '--profiled-runs', '0', '--json', '-']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.settings.session, { graphOptimizationLevel: 'basic', enableCpuMemArena: true, intraOpNumThreads: 1, freeDimensionOverrides: { batch: 3, sequence: 5 } });
    assert.deepEqual(j.result.inputs[0].dims, [3, 5, 64]);
  });

  test('two runs of one model in the same second keep both run files', async () => {
    const { profileModel } = await import('../../src/runner/profile-model');
    const { worker } = await bundles();
    const outDir = path.join(work, 'same-second');
    const request = {
      modelPath: encoder,
      ep: 'cpu',
      allowCpuFallback: false,
      session: { graphOptimizationLevel: 'all', enableCpuMemArena: true, intraOpNumThreads: 1 },
      dims: { batch: 1, sequence: 4 },
      warmupRuns: 0,
      timedRuns: 1,
      profiledRuns: 1,
    } as const;
    // Both started together: whichever saves second finds the first one's name taken.
    const [a, b] = await Promise.all([profileModel(request, { workerPath: worker, outDir }), profileModel(request, { workerPath: worker, outDir })]);
    assert.notEqual(a.runFilePath, b.runFilePath);
    const files = fs.readdirSync(outDir).sort();
    assert.equal(files.filter((f) => f.endsWith('.ilprof.json')).length, 2, files.join(', '));
    assert.equal(files.filter((f) => f.endsWith('.ort.json')).length, 2, files.join(', '));
  });

  test('providers: each execution provider checked with a trial session, with what to install', () => {
    const j = run(['providers', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout) as { schemaVersion: number; providers: { ep: string; available: boolean; hint?: string }[] };
    assert.equal(out.schemaVersion, 1);
    const probes = out.providers;
    assert.deepEqual(
      probes.map((p) => [p.ep, p.ep === 'cpu' ? p.available : typeof p.available]),
      [
        ['cpu', true],
        ['cuda', 'boolean'],
        ['tensorrt', 'boolean'],
        ['webgpu', 'boolean'],
      ],
    );
    const t = run(['providers']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^cpu +available$/m);
    for (const p of probes.filter((x) => !x.available)) assert.ok(t.stdout.includes(`→ ${p.hint}`), `${p.ep}: the install step is printed`);
    assert.equal(run(['providers', '--all']).code, 2);
  });

  test('--decode P:T reports time to first token and tokens/s', () => {
    const r = run(['profile', 'decoder.onnx', '--decode', '8:16', '--iterations', '3', '--profiled-runs', '0', '--json', '-']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.result.decode.generated.length, 16);
    assert.ok(j.result.decode.timeToFirstTokenMs > 0 && j.result.decode.tokensPerSec > 0);
    const t = run(['profile', 'decoder.onnx', '--decode', '8:4', '--iterations', '2', '--profiled-runs', '0']);
    assert.match(t.stdout, /time to first token +[\d.]+ ms \(prefill 8 tokens\)/);
    assert.match(t.stdout, /decode throughput +[\d.]+ tokens\/s/);
  });

  test('bad usage and bad input exit 2 with one line', () => {
    const cases: [string[], RegExp][] = [
      [['profile'], /needs a model path/],
      [['profile', 'encoder.onnx', '--ep', 'tpu'], /--ep must be/],
      [['profile', 'encoder.onnx', '--decode', 'x'], /--decode takes P:T/],
      [['profile', 'encoder.onnx', '--iterations', '0'], /integer ≥ 1/],
      [['profile', 'missing.onnx'], /no such file/],
      [['profile', 'encoder.onnx', '--ep', 'cuda', '--iterations', '1'], /cuda provider unavailable.*--onnxruntime-node-install=cuda12/],
      [['profile', 'encoder.onnx', '--decode', '4:4'], /KV cache/],
      // A typo in a dim name would silently keep the default: refused, with the model's dims listed.
      [['profile', 'encoder.onnx', '--dims', 'batch=2,seqence=16', '--iterations', '1'], /no dim named 'seqence'; its symbolic dims: batch, sequence/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
