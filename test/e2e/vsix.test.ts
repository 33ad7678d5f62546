/**
 * The packaged .vsix (npm run package): only what the installed extension runs, only linux-x64
 * native binaries, and the unpacked extension works on its own (ORT loads, the CLI runs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { fixturePath, manifest, REPO, tmpDir } from '../helpers/fixtures';
import { LspClient } from '../server/lsp-client';

const VSIX = process.env.INFERENCE_LENS_VSIX ?? path.join(REPO, 'out', 'inference-lens-linux-x64.vsix');

function entries(): string[] {
  assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: run npm run package`);
  const r = spawnSync('unzip', ['-Z1', VSIX], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('the vsix carries the bundles and linux-x64 ORT binaries only', () => {
  const files = entries();
  const inExt = files.filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length));
  for (const must of [
    'package.json',
    'dist/extension.js',
    'dist/cli.js',
    'dist/ort-worker.js',
    'dist/transform-worker.js',
    'dist/server.js',
    'dist/web-tree-sitter.wasm',
    'dist/tree-sitter-python.wasm',
    'dist/webview/overview.js',
    'dist/webview/codicon.ttf',
    'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
    'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
    'node_modules/onnxruntime-common/dist/cjs/index.js',
  ]) {
    assert.ok(inExt.includes(must), `missing ${must}`);
  }
  const forbidden = inExt.filter((f) => /\/(darwin|win32)\/|linux\/arm64|^src\/|^test\/|\.map$|\.ts$|^node_modules\/(?!onnxruntime-(node|common)\/)/.test(f));
  assert.deepEqual(forbidden, [], 'nothing of other platforms, sources, tests or other packages');
  const manifestXml = spawnSync('unzip', ['-p', VSIX, 'extension.vsixmanifest'], { encoding: 'utf8' }).stdout;
  assert.match(manifestXml, /TargetPlatform="linux-x64"/);
  assert.ok(fs.statSync(VSIX).size < 30 * 2 ** 20, 'stays small');
});

test('the unpacked extension runs on its own: the CLI bundle summarizes and profiles a real model', () => {
  entries();
  const dir = tmpDir('vsix');
  const r = spawnSync('unzip', ['-q', VSIX, '-d', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ext = path.join(dir, 'extension');
  const model = fixturePath(manifest.models.find((m) => m.id === 'ppocr-cls')!.path);
  const summary = spawnSync(process.execPath, [path.join(ext, 'dist', 'cli.js'), 'summary', model, '--json'], { encoding: 'utf8' });
  assert.equal(summary.status, 0, summary.stderr);
  assert.equal(JSON.parse(summary.stdout).inputs[0].name, 'x');
  // ORT from the vsix's own node_modules, in the worker bundle the extension forks.
  const prof = spawnSync(
    process.execPath,
    [path.join(ext, 'dist', 'cli.js'), 'profile', model, '--dims', 'p2o.DynamicDimension.0=1,p2o.DynamicDimension.1=48,p2o.DynamicDimension.2=192', '--iterations', '5', '--profiled-runs', '1', '--out-dir', path.join(dir, 'runs'), '--json', '-'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(prof.status, 0, prof.stderr);
  const run = JSON.parse(prof.stdout);
  assert.equal(run.result.latencyMs.count, 5);
  assert.ok(run.operators.byOpType.some((o: { opType: string }) => o.opType === 'Conv' || o.opType === 'FusedConv'));
});

test('the unpacked language server and lint run on their own (tree-sitter wasm next to the bundles)', async () => {
  entries();
  const dir = tmpDir('vsix-lsp');
  const r = spawnSync('unzip', ['-q', VSIX, '-d', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ext = path.join(dir, 'extension');
  const script = path.join(REPO, 'test', 'server', 'corpus', 'export_bert.py');
  const lint = spawnSync(process.execPath, [path.join(ext, 'dist', 'cli.js'), 'lint', script, '--json'], { encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stderr);
  assert.deepEqual(JSON.parse(lint.stdout).files[0].findings.map((f: { ruleId: string }) => f.ruleId), ['onnx-export-dynamic-axes', 'onnx-export-opset']);
  const client = await LspClient.start({ serverPath: path.join(ext, 'dist', 'server.js') });
  try {
    const d = await client.open(pathToFileURL(script).href, fs.readFileSync(script, 'utf8'));
    assert.deepEqual(d.map((x) => x.code), ['onnx-export-dynamic-axes', 'onnx-export-opset']);
    // The docs links point at the README shipped in the vsix.
    assert.equal(d[0]!.codeDescription!.href, `${pathToFileURL(path.join(ext, 'README.md')).href}#onnx-export-dynamic-axes`);
  } finally {
    await client.stop();
  }
});
