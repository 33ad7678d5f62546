/**
 * `inference-lens compare` numerical part and `--profile` (the structural part: compare-cli.test.ts),
 * spawned from its bundle next to the worker bundle, on models the tests build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseComparisonFile } from '../../src/core/compare/comparison';
import { compareModelFiles } from '../../src/core/onnx';
import { parseRunFile } from '../../src/core/results/run-file';
import { optimizeGraphWithOrt } from '../../src/runner/ort-client';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { mlpModel, transformerModel } from '../helpers/models';

let cli = '';
let work = '';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const saved = (stdout: string) => path.resolve(work, /Saved (.+\.ilcmp\.json)/.exec(stdout)![1]!);

describe('inference-lens compare: numerical agreement and --profile', () => {
  before(async () => {
    const b = await bundles();
    cli = b.cli;
    work = tmpDir('compare-verify-cli');
    fs.writeFileSync(path.join(work, 'encoder.onnx'), transformerModel({ layers: 2, hidden: 64, ffn: 128 }).model);
    await optimizeGraphWithOrt({ modelPath: path.join(work, 'encoder.onnx'), outPath: path.join(work, 'encoder.opt.onnx'), level: 'extended', ep: 'cpu' }, { workerPath: b.worker });
    fs.writeFileSync(path.join(work, 'mlp.onnx'), mlpModel().model);
    // The MLP with its first weight changed from 0.1 to 5: same inputs and outputs, other numbers.
    const m = Buffer.from(mlpModel().model);
    const at = m.indexOf(Buffer.from(new Float32Array([0.1]).buffer));
    assert.ok(at > 0);
    Buffer.from(new Float32Array([5]).buffer).copy(m, at);
    fs.writeFileSync(path.join(work, 'mlp-other.onnx'), m);
  });

  test('a model and its optimized form: structure, the agreement table, PASS, the saved comparison', async () => {
    const structure = await compareModelFiles(path.join(work, 'encoder.onnx'), path.join(work, 'encoder.opt.onnx'));
    const r = run(['compare', 'encoder.onnx', 'encoder.opt.onnx', '--dims', 'batch=1,sequence=8', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    // The structural part first: node counts and the ops the fusions replaced.
    assert.match(r.stdout, /^encoder\.onnx → encoder\.opt\.onnx\n/);
    assert.match(r.stdout, /- +LayerNormalization +\d+ → 0 +removed/);
    assert.match(r.stdout, /Numerical check: encoder\.opt\.onnx against encoder\.onnx on CPU, the same inputs: hidden_states float32\[1,8,64\]/);
    assert.match(r.stdout, /\n {2}last_hidden_state +(identical|close) +\S+ +\S+ +1\.000000 +- +0\/0 → 0\/0\n/);
    assert.match(r.stdout, /Verdict: PASS/);
    assert.doesNotMatch(r.stdout, /Before \/ after/);
    const f = parseComparisonFile(fs.readFileSync(saved(r.stdout), 'utf8'));
    assert.equal(f.verify.verdict, 'pass');
    assert.deepEqual([f.a.name, f.b.name], ['encoder.onnx', 'encoder.opt.onnx']);
    assert.equal(f.comparison, undefined);
    assert.ok(f.structure.nodes.b < f.structure.nodes.a);
    assert.deepEqual(f.structure, JSON.parse(JSON.stringify(structure)), 'the structure is the core diff of the two files');
  });

  test('--profile: before/after metrics and per-operator deltas; both run files saved', () => {
    const r = run(['compare', 'encoder.onnx', 'encoder.opt.onnx', '--profile', '--dims', 'batch=1,sequence=8', '--threads', '1', '--graph-opt', 'basic', '--iterations', '5', '--warmup', '1', '--profiled-runs', '2', '--out-dir', 'cmp']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Before \/ after \(encoder\.onnx → encoder\.opt\.onnx\)/);
    assert.match(r.stdout, /\n {2}Latency p50 +[\d.]+ ms +[\d.]+ ms +[-+][\d.]+% (better|worse|\(same\))/);
    assert.match(r.stdout, /\n {2}Throughput +[\d.]+\/s +[\d.]+\/s/);
    assert.match(r.stdout, /\n {2}Model size on disk +[\d.]+ KiB +[\d.]+ KiB/);
    assert.match(r.stdout, /Operators, time per profiled run/);
    assert.match(r.stdout, /\n {2}LayerNormalization +CPU +[\d.]+ ms +- +-[\d.]+ ms/);
    const file = saved(r.stdout);
    assert.equal(path.dirname(file), path.join(work, 'cmp'));
    const f = parseComparisonFile(fs.readFileSync(file, 'utf8'));
    assert.ok(f.runs && f.comparison);
    const ra = parseRunFile(fs.readFileSync(path.join(work, 'cmp', f.runs.a), 'utf8')) as ReturnType<typeof parseRunFile> & { result: { latencyMs: { p50: number; count: number } } };
    assert.equal(f.comparison.metrics[0]!.a, ra.result.latencyMs.p50);
    assert.equal(ra.result.latencyMs.count, 5);
    assert.equal(ra.model.name, 'encoder.onnx');
    assert.ok(fs.existsSync(path.join(work, 'cmp', f.runs.b)));
  });

  test('models that disagree: exit code 1 and the verdict says so', () => {
    const r = run(['compare', 'mlp.onnx', 'mlp-other.onnx', '--dims', 'batch=32']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Verdict: FAIL — the outputs disagree/);
    assert.match(r.stdout, /\n {2}y +differs /);
  });

  test('--json: the comparison file with the structural diff and where it was saved', () => {
    const r = run(['compare', 'encoder.onnx', 'encoder.opt.onnx', '--json', '--dims', 'batch=1,sequence=4', '--seed', '3']);
    assert.equal(r.code, 0, r.stderr);
    const j = parseComparisonFile(r.stdout) as ReturnType<typeof parseComparisonFile> & { comparisonFile: string };
    assert.equal(j.schemaVersion, 2);
    assert.equal(j.structure.schemaVersion, 1);
    assert.ok(j.structure.nodes.b < j.structure.nodes.a);
    assert.ok(j.structure.opsRemoved.includes('LayerNormalization'), j.structure.opsRemoved.join());
    assert.equal('modelDiff' in j, false, 'one structural diff: structure');
    assert.equal(j.verify.outputs[0]!.name, 'last_hidden_state');
    assert.deepEqual(j.verify.inputs[0]!.dims, [1, 4, 64]);
    assert.equal(j.comparison, undefined);
    assert.deepEqual(parseComparisonFile(fs.readFileSync(j.comparisonFile, 'utf8')).verify, j.verify);
  });

  test('bad usage: one line on stderr, exit code 2', () => {
    for (const [args, message] of [
      [['compare', 'encoder.onnx', 'mlp.onnx', '--bogus'], /unknown option '--bogus' for compare/],
      [['compare', 'encoder.onnx', 'mlp.onnx', '--seed', 'x'], /--seed needs a non-negative integer/],
      [['compare', 'encoder.onnx', 'mlp.onnx', '--trace', 't.json'], /--trace is not an option of compare/],
      [['compare', 'encoder.onnx', 'mlp.onnx', '--structure-only', '--profile'], /--structure-only runs no model/],
    ] as const) {
      const r = run([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const h = run(['compare', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--profile/);
  });

  test('models with nothing in common: B-only inputs synthesized for B, every output missing on one side, FAIL', () => {
    const r = run(['compare', 'encoder.onnx', 'mlp.onnx', '--dims', 'batch=1,sequence=4']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /note: x: only model B has this input; synthesized for it/);
    assert.match(r.stdout, /\n {2}last_hidden_state +missing +- /);
    assert.match(r.stdout, /\n {2}y +missing +- /);
    assert.match(r.stdout, /! y: only model B has this output/);
    assert.match(r.stdout, /Verdict: FAIL/);
  });
});
