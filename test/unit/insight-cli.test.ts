/** `inference-lens insight` as a user runs it: the bundled CLI, spawned, on real model files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { bundles } from '../helpers/bundles';
import { fixturePath, manifest, REPO, tmpDir } from '../helpers/fixtures';
import { mlpModel, transformerModel } from '../helpers/models';

let cli = '';
let dir = '';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('inference-lens insight', () => {
  before(async () => {
    cli = (await bundles()).cli;
    dir = tmpDir('insight-cli');
    fs.writeFileSync(path.join(dir, 'mlp.onnx'), mlpModel().model);
    fs.writeFileSync(path.join(dir, 'encoder.onnx'), transformerModel({ layers: 2, hidden: 64, ffn: 128 }).model);
  });

  test('text: coverage, compute, parameters, memory peak for the dims given', () => {
    const r = run(['insight', path.join(dir, 'mlp.onnx'), '--dims', 'batch=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mlp\.onnx {2}\(\d+ B\)\n {2}dims: batch=2\n/);
    assert.match(r.stdout, /Shapes +4\/4 values fully known \(100\.0%\)/);
    // Hand-checked: MatMul 2·4·3 = 24 MACs (48 FLOPs), Add 6, Relu 6.
    assert.match(r.stdout, /Compute +60 FLOPs · 24 MACs\n/);
    assert.match(r.stdout, /Parameters +60 B\n/);
    assert.match(r.stdout, /Memory +peak activations 56 B at node #0 \/fc\/MatMul · weights 60 B\n/);
    assert.match(r.stdout, /alive at the peak: x 32 B, xw 24 B/);
    assert.match(r.stdout, /By module scope\n +scope +FLOPs +share +MACs +params +nodes\n +fc +54 +90\.0% +24 +60 B +2\n +act +6 +10\.0% +0 +0 B +1\n/);
  });

  test('--json: the report, with defaults for dims not given, MACs equal to the encoder formula', () => {
    const r = run(['insight', path.join(dir, 'encoder.onnx'), '--json', '--depth', '3']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schemaVersion, 1);
    assert.deepEqual(j.dims, [
      { name: 'batch', value: 1, source: 'default', why: 'batch 1' },
      { name: 'sequence', value: 128, source: 'default', why: 'sequence 128' },
    ]);
    assert.equal(j.coverage.ratio, 1);
    // Per layer: 4 projections b·s·h·h, FFN 2·b·s·h·f, scores and context 2·b·s·s·h.
    const [b, s, h, f] = [1, 128, 64, 128];
    assert.equal(j.totals.macs, 2 * (b * s * (4 * h * h + 2 * h * f) + 2 * b * s * s * h));
    assert.equal(j.totals.unknownNodes, 0);
    const layer0 = j.scopes.find((x: { key: string }) => x.key === 'encoder/layer.0');
    const layer1 = j.scopes.find((x: { key: string }) => x.key === 'encoder/layer.0'.replace('0', '1'));
    assert.equal(layer0.flops, layer1.flops);
    assert.equal(j.scopes.find((x: { key: string }) => x.key === 'encoder').flops, j.totals.flops);
    assert.ok(j.scopes.some((x: { key: string }) => x.key === 'encoder/layer.0/attention'));
    assert.ok(!j.scopes.some((x: { path: string[] }) => x.path.length > 3));
    assert.equal(j.memory.weightBytes, j.totals.paramBytes);
    assert.ok(j.memory.peakActivationBytes > b * s * f * 4, 'the FFN intermediate is alive at some point');
    assert.equal(j.byOpType[0].op, 'MatMul');
  });

  test('a real model with If branches: only one branch counts', () => {
    const fx = manifest.models.find((m) => m.id === 'silero-vad')!;
    const r = run(['insight', fixturePath(fx.path), '--dims', 'batch=1,sequence=512', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.totals.macs, fx.expect.insight!.macs);
    assert.equal(j.memory.subgraphsExcluded, true);
  });

  test('bad usage and bad input: exit 2, one line on stderr, no stack trace', () => {
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model at all, just text\n'.repeat(4));
    const cases: [string[], RegExp][] = [
      [['insight'], /insight needs a model path/],
      [['insight', path.join(dir, 'mlp.onnx'), '--dims', 'batch'], /--dims takes name=value pairs/],
      [['insight', path.join(dir, 'mlp.onnx'), '--dims', 'bacth=2'], /no input dim named 'bacth'; its input dims are batch/],
      [['insight', path.join(dir, 'mlp.onnx'), '--depth', 'x'], /--depth needs an integer/],
      [['insight', path.join(dir, 'mlp.onnx'), '--bogus'], /unknown option '--bogus'/],
      [['insight', path.join(dir, 'missing.onnx')], /no such file/],
      [['insight', junk], /does not look like an ONNX model/],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const help = run(['insight', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--dims name=value/);
  });
});
