#!/usr/bin/env node
/**
 * Packages the extension for linux-x64: production build, then `vsce package`, writing
 * out/inference-lens-linux-x64.vsix (the end-to-end tests install exactly this file).
 * What goes in is decided by .vscodeignore, an allowlist: the bundles, the webview assets and
 * onnxruntime-node's JS with its linux-x64 binaries only (plus its runtime dep onnxruntime-common).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = 'linux-x64';
const OUT = path.join(ROOT, 'out', `inference-lens-${TARGET}.vsix`);

function run(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`package: ${what} failed${r.error ? `: ${r.error.message}` : ` (exit ${r.status ?? r.signal})`}`);
    process.exit(1);
  }
}

run('production build', process.execPath, [path.join(ROOT, 'src/tools/build.mjs'), '--production']);

mkdirSync(path.dirname(OUT), { recursive: true });
rmSync(OUT, { force: true });
const vsce = createRequire(path.join(ROOT, 'package.json')).resolve('@vscode/vsce/vsce');
run('vsce package', process.execPath, [
  vsce,
  'package',
  '--target',
  TARGET,
  '--out',
  OUT,
  // No LICENSE file or repository URL at the top level (the repo keeps a fixed set of top-level entries).
  '--skip-license',
  '--allow-missing-repository',
  // README.md links images relatively (media/screenshots/...); without a repository URL vsce cannot make them absolute.
  '--no-rewrite-relative-links',
]);
console.log(`package: ${path.relative(ROOT, OUT)} (${(statSync(OUT).size / 1024 / 1024).toFixed(1)} MiB)`);
