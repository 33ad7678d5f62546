/**
 * `inference-lens compare`, structural part (`--structure-only`, and the structural section that
 * opens the full comparison): the bundled CLI spawned on mlpModel vs mlpVariantModel.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { compareModelFiles } from '../../src/core/onnx';
import { bundles } from '../helpers/bundles';
import { REPO, tmpDir } from '../helpers/fixtures';
import { mlpModel, mlpVariantModel } from '../helpers/models';

let dir = '';
let a = '';
let b = '';

before(() => {
  dir = tmpDir('compare-cli');
  a = path.join(dir, 'mlp.onnx');
  b = path.join(dir, 'mlp-v2.onnx');
  fs.writeFileSync(a, mlpModel().model);
  fs.writeFileSync(b, mlpVariantModel());
});

describe('inference-lens compare (CLI)', () => {
  let cli = '';
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(async () => {
    cli = (await bundles()).cli;
  });

  test('--json prints a versioned report whose structure is the core diff', async () => {
    const r = run(['compare', a, b, '--json', '--structure-only']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schemaVersion, 1);
    assert.deepEqual(j.structure, JSON.parse(JSON.stringify(await compareModelFiles(a, b))));
  });

  test('prints a readable summary', () => {
    const r = run(['compare', a, b, '--structure-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mlp\.onnx → mlp-v2\.onnx\n/);
    assert.match(r.stdout, /\n {2}nodes +3 +5 +\+2\n/);
    assert.match(r.stdout, /\n {2}opset ai\.onnx +17 +18 +changed\n/);
    assert.match(r.stdout, /\n {2}- {2}Relu +1 → 0 +removed\n/);
    assert.match(r.stdout, /\n {2}\+ {2}Sigmoid +0 → 1 +added\n/);
    assert.match(r.stdout, /\nDtype changes \(1\)\n {2}initializer {2}W {2}float → float16\n/);
    assert.match(r.stdout, /\n {2}input +x +float\[batch,4\] → float\[1,4\]\n/);
    assert.match(r.stdout, /\n {2}outputs only in b {2}xw\n/);
    const same = run(['compare', a, a, '--structure-only']);
    assert.equal(same.code, 0);
    assert.match(same.stdout, /Structurally identical/);
  });

  test('bad usage and bad input exit 2 with one line on stderr', () => {
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model\n'.repeat(8));
    const cases: [string[], RegExp][] = [
      [['compare'], /two model paths/],
      [['compare', a], /two model paths/],
      [['compare', a, b, b], /two model paths/],
      [['compare', a, b, '--bogus'], /unknown option '--bogus'/],
      [['compare', a, b, '--structure-only', '--bogus'], /unknown option '--bogus'/],
      [['compare', a, b, '--structure-only', '--profile'], /runs no model/],
      [['compare', a, path.join(dir, 'missing.onnx'), '--structure-only'], /no such file/],
      [['compare', junk, a, '--structure-only'], /does not look like an ONNX model/],
      [['compare', junk, a], /does not look like an ONNX model/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')} → exit 2 (${r.stdout}${r.stderr})`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    const help = run(['compare', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: inference-lens compare <a\.onnx> <b\.onnx>/);
    assert.match(help.stdout, /--structure-only/);
  });

  test('the full comparison opens with the structural section, then the numerical check', () => {
    const out = path.join(dir, 'runs');
    const r = run(['compare', a, a, '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const structural = r.stdout.indexOf('Structurally identical');
    assert.ok(structural > 0, r.stdout);
    assert.ok(/numerical|output/i.test(r.stdout.slice(structural)), 'the numerical check follows');
    const full = run(['compare', a, b, '--out-dir', out, '--json']);
    const j = JSON.parse(full.stdout);
    assert.equal(j.schemaVersion, 2);
    assert.deepEqual(j.structure.opsAdded, ['Cast', 'Mul', 'Sigmoid']);
    assert.deepEqual(j.structure, JSON.parse(run(['compare', a, b, '--structure-only', '--json']).stdout).structure, 'the same ModelDiff as --structure-only');
    assert.equal(j.modelDiff, undefined);
  });
});
