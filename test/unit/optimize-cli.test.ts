/** `inference-lens optimize` as a user runs it: the bundled CLI, spawned, on real models. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readModel } from '../../src/core/onnx';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { transformerModel } from '../helpers/models';
import { agreement, listDir, ortIo, runOrt, sha256, writeModelFile } from '../helpers/optimize';

let cli = '';

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, 'optimize', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('inference-lens optimize', () => {
  before(async () => {
    cli = (await bundles()).cli;
  });

  test('--int8 writes model.int8.onnx next to the input, prints what changed; refuses to overwrite without --force', async () => {
    const dir = tmpDir('cli-int8');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 2, hidden: 128, ffn: 512, seed: 5 }).model);
    const hash = sha256(src);
    const r = run(['encoder.onnx', '--int8', '--per-channel', '--exclude', '/encoder/layer.1/output/dense/MatMul'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Wrote encoder\.int8\.onnx \(/);
    assert.match(r.stdout, /INT8 \(dynamic, per-channel\): 11 nodes quantized, 1 skipped; their weights .* \((3\.9|4\.0)x smaller\)/);
    assert.match(r.stdout, /skipped +\/encoder\/layer\.1\/output\/dense\/MatMul +excluded/);
    assert.match(r.stdout, /quantized +\/encoder\/layer\.0\/attention\/self\/query\/MatMul +MatMul → com\.microsoft\.DynamicQuantizeMatMul, per-channel \(128 scales\) +64\.0 KiB → 16\.5 KiB/);
    const out = path.join(dir, 'encoder.int8.onnx');
    assert.deepEqual(await ortIo(out), await ortIo(src));
    assert.equal(sha256(src), hash);
    const again = run(['encoder.onnx', '--int8'], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^inference-lens: .*encoder\.int8\.onnx already exists\. Choose another output name, or pass --force/);
    assert.equal(again.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    const mtime = fs.statSync(out).mtimeMs;
    const forced = run(['encoder.onnx', '--int8', '--format', 'matmulinteger', '--force'], dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(fs.statSync(out).mtimeMs >= mtime);
    assert.ok((await readModel(out)).graph.nodes.some((n) => n.opType === 'MatMulInteger'));
    // Never the input itself, even with --force.
    const self = run(['encoder.onnx', '--int8', '-o', 'encoder.onnx', '--force'], dir);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /is the source model/);
    assert.equal(sha256(src), hash);
  });

  test('--fp16 --json: a TransformReport; the model runs with float32 I/O', async () => {
    const dir = tmpDir('cli-fp16');
    const src = writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 128, ffn: 256, seed: 6 }).model);
    const r = run(['encoder.onnx', '--fp16', '--keep-fp32', 'LayerNormalization', '-o', 'half.onnx', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schemaVersion, 1);
    assert.equal(j.kind, 'fp16');
    assert.equal(j.output, path.join(dir, 'half.onnx'));
    assert.equal(j.fp16.nodesKeptFp32, 2);
    assert.ok(j.weightsAfter < j.weightsBefore * 0.51);
    const x = new ort.Tensor('float32', new Float32Array(8 * 128).map((_, i) => Math.sin(i)), [1, 8, 128]);
    const [a, b] = [await runOrt(src, { hidden_states: x }), await runOrt(path.join(dir, 'half.onnx'), { hidden_states: x })];
    assert.ok(agreement(a.last_hidden_state!.data as Float32Array, b.last_hidden_state!.data as Float32Array).cosine > 0.999);
    const typo = run(['encoder.onnx', '--fp16', '--keep-fp32', 'LayerNorm', '-o', 'typo.onnx'], dir);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /'LayerNorm' is neither an op type nor a node name/);
  });

  test('--dynamic / --fix in one run; --external-data always writes <out>.data', async () => {
    const dir = tmpDir('cli-dims');
    writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 256, ffn: 512, seed: 7 }).model);
    const r = run(['encoder.onnx', '--fix', 'hidden_states:0=1', '--dynamic', 'hidden_states:1=tokens', '--external-data', 'always'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Wrote encoder\.dims\.onnx \+ encoder\.dims\.onnx\.data /);
    assert.match(r.stdout, /dim-changed +hidden_states +axis 1: sequence → tokens/);
    const io = await ortIo(path.join(dir, 'encoder.dims.onnx'));
    assert.deepEqual(io.inputShapes.hidden_states, [1, 'tokens', 256]);
    assert.deepEqual(listDir(dir), ['encoder.dims.onnx', 'encoder.dims.onnx.data', 'encoder.onnx']);
  });

  test('bad usage exits 2 with one line', () => {
    const dir = tmpDir('cli-bad');
    writeModelFile(dir, 'encoder.onnx', transformerModel({ layers: 1, hidden: 64, ffn: 128 }).model);
    const cases: [string[], RegExp][] = [
      [['encoder.onnx'], /needs a transformation/],
      [['--int8'], /needs a model path/],
      [['encoder.onnx', '--int8', '--fp16'], /one transformation per run/],
      [['encoder.onnx', '--fp16', '--per-channel'], /--per-channel goes with --int8/],
      [['encoder.onnx', '--int8', '--format', 'fast'], /--format must be dynamic, matmulinteger or qdq/],
      [['encoder.onnx', '--fix', 'hidden_states:0=batch'], /--fix: .*positive integer/],
      [['encoder.onnx', '--dynamic', 'nope:0=batch'], /'nope' is not an input or output/],
      [['encoder.onnx', '--int8', '--exclude', 'nope'], /no node named 'nope'/],
      [['missing.onnx', '--int8'], /does not exist/],
      [['encoder.onnx', '--int8', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, re] of cases) {
      const r = run(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
    }
    assert.deepEqual(listDir(dir), ['encoder.onnx'], 'nothing written');
    const help = run(['--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--int8[\s\S]*--fp16[\s\S]*--dynamic name:axis=label[\s\S]*--fix name:axis=value[\s\S]*--force/);
  });
});
