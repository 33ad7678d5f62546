/** The CLI as a user runs it: the bundled `dist/cli.js`, spawned, with real models. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { summarizeModel } from '../../src/core/onnx';
import { fixturePath, independentOpCounts, manifest, REPO, tmpDir } from '../helpers/fixtures';
import { bundles } from '../helpers/bundles';

let cli = '';

function run(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('inference-lens CLI', () => {
  before(async () => {
    // Bundle the CLI the way the build does, into a temp folder, so this tier runs on its own.
    cli = (await bundles()).cli;
  });

  test('summary --json equals the core summary and an independent op count', async () => {
    const fx = manifest.models.find((m) => m.id === 'silero-vad')!;
    const file = fixturePath(fx.path);
    const r = run(['summary', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const core = await summarizeModel(file);
    assert.equal(j.schemaVersion, 1);
    assert.deepEqual(j.inputs, core.inputs);
    assert.deepEqual(j.opHistogram, core.opHistogram);
    assert.equal(j.parameterCount, core.parameterCount);
    const independent = independentOpCounts(file);
    assert.equal(j.nodeCountTotal, [...independent.values()].reduce((a, b) => a + b, 0));
  });

  test('summary prints a readable table', () => {
    const r = run(['summary', fixturePath(manifest.models.find((m) => m.id === 'ppocr-det')!.path)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ch_PP-OCRv4_det_infer\.onnx {2}\(4\.53 MiB\)/);
    assert.match(r.stdout, /\n {2}x {2}float\[p2o\.DynamicDimension\.0,3,p2o\.DynamicDimension\.1,p2o\.DynamicDimension\.2\]\n/);
    assert.match(r.stdout, /\n {2}Conv +62 /);
  });

  test('bad usage and bad input exit 2 with one line on stderr and no stack trace', () => {
    const dir = tmpDir('cli-bad');
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model at all, just text\n'.repeat(4));
    const truncated = path.join(dir, 'truncated.onnx');
    const real = fs.readFileSync(fixturePath(manifest.models[0]!.path));
    fs.writeFileSync(truncated, real.subarray(0, real.length >> 1));
    const cases: [string[], RegExp][] = [
      [[], /Usage/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['summary'], /exactly one model path/],
      [['summary', 'a.onnx', 'b.onnx'], /exactly one model path/],
      [['summary', junk, '--bogus'], /unknown option '--bogus'/],
      [['summary', path.join(dir, 'missing.onnx')], /no such file/],
      [['summary', junk], /does not look like an ONNX model/],
      [['summary', truncated], /end of file|cut short/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')} → exit 2`);
      const text = args.length === 0 ? r.stdout : r.stderr;
      assert.match(text, re, args.join(' '));
      if (args.length) {
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
    }
  });

  test('--help and --version exit 0', () => {
    assert.equal(run(['--help']).code, 0);
    assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
