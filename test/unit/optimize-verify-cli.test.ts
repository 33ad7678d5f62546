/**
 * `inference-lens optimize --graph basic|extended|all` and `--verify`, spawned from the CLI bundle
 * next to the worker bundle, on an encoder with seeded random weights (so INT8 really changes the
 * numbers).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseComparisonFile } from '../../src/core/compare/comparison';
import { summarizeModel } from '../../src/core/onnx';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';

let cli = '';
let work = '';
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(work, f))).digest('hex');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FAST = ['--dims', 'batch=1,sequence=16', '--threads', '1', '--iterations', '5', '--warmup', '1', '--profiled-runs', '2'];

describe('inference-lens optimize --graph / --verify', () => {
  let source = '';
  before(async () => {
    cli = (await bundles()).cli;
    work = tmpDir('optimize-verify-cli');
    fs.writeFileSync(path.join(work, 'encoder.onnx'), transformerModel({ layers: 2, hidden: 64, ffn: 128, seed: 5 }).model);
    source = sha('encoder.onnx');
  });

  test('--graph all writes encoder.opt.onnx, says what changed and that it is hardware-specific; never overwrites', async () => {
    const r = run(['optimize', 'encoder.onnx', '--graph', 'all']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Optimized encoder\.onnx at level "all" on CPU → encoder\.opt\.onnx \([\d.]+ KiB, was [\d.]+ KiB\) in [\d.]+ ms\n/);
    assert.match(r.stdout, /\n {2}nodes (\d+) → (\d+)\n/);
    assert.match(r.stdout, /\n {2}LayerNormalization \d+ → 0\n/);
    assert.match(r.stdout, /note: Level "all" includes layout optimizations for this machine's CPU provider/);
    const [a, b] = [await summarizeModel(path.join(work, 'encoder.onnx')), await summarizeModel(path.join(work, 'encoder.opt.onnx'))];
    assert.match(r.stdout, new RegExp(`nodes ${a.nodeCount} → ${b.nodeCount}`));
    assert.equal(sha('encoder.onnx'), source, 'the source is untouched');
    const again = run(['optimize', 'encoder.onnx', '--graph', 'all']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /→ encoder\.opt-2\.onnx/);
    assert.ok(fs.existsSync(path.join(work, 'encoder.opt-2.onnx')));
  });

  test('-o: an existing file is refused without --force and replaced with it', () => {
    fs.writeFileSync(path.join(work, 'taken.onnx'), 'mine');
    const r = run(['optimize', 'encoder.onnx', '--graph', 'basic', '-o', 'taken.onnx']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /taken\.onnx exists; pass --force to overwrite it/);
    assert.equal(fs.readFileSync(path.join(work, 'taken.onnx'), 'utf8'), 'mine');
    const f = run(['optimize', 'encoder.onnx', '--graph', 'basic', '-o', 'taken.onnx', '--force']);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(fs.statSync(path.join(work, 'taken.onnx')).size > 1000);
    const j = run(['optimize', 'encoder.onnx', '--graph', 'extended', '-o', 'ext.onnx', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const o = JSON.parse(j.stdout).optimized;
    assert.equal(o.outPath, path.join(work, 'ext.onnx'));
    assert.equal(o.level, 'extended');
    assert.equal(o.sizeBytes, fs.statSync(path.join(work, 'ext.onnx')).size);
  });

  test('--graph extended --verify: the numerical check and the before/after table, saved as a comparison', () => {
    const r = run(['optimize', 'encoder.onnx', '--graph', 'extended', '-o', 'verified.onnx', '--verify', ...FAST, '--graph-opt', 'basic']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Optimized encoder\.onnx at level "extended"/);
    assert.match(r.stdout, /Numerical check: verified\.onnx against encoder\.onnx on CPU, the same inputs: hidden_states float32\[1,16,64\]/);
    assert.match(r.stdout, /\n {2}last_hidden_state +(identical|close) /);
    assert.match(r.stdout, /Before \/ after \(encoder\.onnx → verified\.onnx\)/);
    assert.match(r.stdout, /\n {2}Latency p50 +[\d.]+ ms +[\d.]+ ms/);
    assert.match(r.stdout, /\n {2}SkipLayerNormalization +CPU +- +[\d.]+ ms +\+[\d.]+ ms/);
    const f = parseComparisonFile(fs.readFileSync(path.resolve(work, /Saved (.+\.ilcmp\.json)/.exec(r.stdout)![1]!), 'utf8'));
    assert.equal(f.transform?.title, 'Optimize graph (extended)');
    assert.equal(f.verify.verdict, 'pass');
    assert.ok(f.comparison && f.runs);
  });

  test('--int8 --verify: the transformation report, then the check of the quantized model', () => {
    const r = run(['optimize', 'encoder.onnx', '--int8', '--verify', ...FAST]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    assert.match(r.stdout, /^Wrote encoder\.int8\.onnx/);
    assert.match(r.stdout, /INT8 \(dynamic, per-tensor\): 12 nodes quantized/);
    assert.match(r.stdout, /Numerical check: encoder\.int8\.onnx against encoder\.onnx/);
    const f = parseComparisonFile(fs.readFileSync(path.resolve(work, /Saved (.+\.ilcmp\.json)/.exec(r.stdout)![1]!), 'utf8'));
    assert.equal(f.transform?.title, 'Quantize to INT8');
    assert.equal(f.transform?.kind, 'int8');
    const o = f.verify.outputs[0]!;
    // Real weights: quantization changes the numbers a little, not a lot.
    assert.ok(o.maxAbsError > 0, 'INT8 is not bit-exact');
    assert.ok(o.cosine > 0.99, `cosine ${o.cosine}`);
    assert.equal(r.code, f.verify.verdict === 'fail' ? 1 : 0);
    assert.ok(f.comparison!.operators.some((x) => x.opType === 'DynamicQuantizeMatMul' && x.b && !x.a));
    assert.equal(sha('encoder.onnx'), source);
  });

  test('bad usage: one line on stderr, exit 2', () => {
    for (const [args, message] of [
      [['optimize', 'encoder.onnx', '--graph', 'fast'], /--graph must be basic, extended or all \(got 'fast'\)/],
      [['optimize', 'encoder.onnx', '--graph'], /--graph must be basic, extended or all/],
      [['optimize', 'encoder.onnx', '--graph', 'all', '--int8'], /one transformation per run \(got --graph and --int8\)/],
      [['optimize', 'encoder.onnx', '--graph', 'all', '--seed', '3'], /--seed goes with --verify/],
      [['optimize', 'encoder.onnx', '--int8', '--dims', 'batch=1'], /unknown option '--dims' for optimize/],
      [['optimize', 'encoder.onnx', '--int8', '--verify', '--graph-opt', 'fast'], /--graph-opt must be disabled, basic, extended or all/],
      [['optimize', 'missing.onnx', '--graph', 'all'], /missing\.onnx does not exist/],
      [['optimize', 'encoder.onnx', '--graph', 'all', '--bogus'], /unknown option '--bogus' for optimize --graph/],
    ] as const) {
      const r = run([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(run(['optimize', '--help']).stdout, /--graph basic\|extended\|all/);
  });
});
