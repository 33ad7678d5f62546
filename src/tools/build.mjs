#!/usr/bin/env node
/**
 * Builds every bundle of the extension with esbuild. `node src/tools/build.mjs [--production]`
 * (npm run build). `--production` minifies. Add a bundle by adding a row to BUNDLES; each row says
 * its platform explicitly so Node code never lands in a webview and browser code never in the host.
 */
import * as esbuild from 'esbuild';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const production = process.argv.includes('--production');
const unknown = process.argv.slice(2).filter((a) => a !== '--production');
if (unknown.length) {
  console.error(`build: unknown argument(s) ${unknown.join(' ')}. Usage: node src/tools/build.mjs [--production]`);
  process.exit(2);
}

const NODE_TARGET = 'node20';
/** VS Code 1.140's webviews run a recent Chromium. */
const BROWSER_TARGET = 'chrome120';

/**
 * @typedef {object} Bundle
 * @property {string} entry           source entry point, relative to the repo root
 * @property {string} outfile         output file, relative to the repo root
 * @property {'node' | 'browser'} platform
 * @property {'cjs' | 'iife'} [format] JS only
 * @property {string[]} [external]
 * @property {string} [banner]
 * @property {boolean} [executable]   chmod +x after writing
 */

/** @type {Bundle[]} */
const BUNDLES = [
  {
    entry: 'src/extension/extension.ts',
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    // vscode is provided by the host; onnxruntime-node ships as-is in the vsix (native binaries).
    external: ['vscode', 'onnxruntime-node'],
  },
  {
    entry: 'src/cli/main.ts',
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    external: ['onnxruntime-node'],
    banner: '#!/usr/bin/env node',
    executable: true,
  },
  {
    // The ONNX Runtime worker process (forked by the extension and the CLI).
    entry: 'src/runner/ort-worker.ts',
    outfile: 'dist/ort-worker.js',
    platform: 'node',
    format: 'cjs',
    external: ['onnxruntime-node'],
  },
  {
    // The Python language server (started by the extension over stdio/IPC; web-tree-sitter's CJS build, .wasm files copied below).
    entry: 'src/server/server.ts',
    outfile: 'dist/server.js',
    platform: 'node',
    format: 'cjs',
  },
  {
    // The transform worker process (INT8, FP16, dims off the extension host; forked by applyTransform).
    entry: 'src/runner/transform-worker.ts',
    outfile: 'dist/transform-worker.js',
    platform: 'node',
    format: 'cjs',
  },
  {
    // Builds the model editor's graph in a worker thread (cancellable, off the extension host's thread).
    entry: 'src/runner/graph-worker.ts',
    outfile: 'dist/graph-worker.js',
    platform: 'node',
    format: 'cjs',
  },
  { entry: 'webview-ui/src/overview/main.ts', outfile: 'dist/webview/overview.js', platform: 'browser', format: 'iife' },
  { entry: 'webview-ui/src/overview/overview.css', outfile: 'dist/webview/overview.css', platform: 'browser' },
  // The graph view's layout worker: fetched by the model editor's page and started from a blob: URL.
  { entry: 'webview-ui/src/graph/layout-worker.ts', outfile: 'dist/webview/graph-layout-worker.js', platform: 'browser', format: 'iife' },
  { entry: 'webview-ui/src/profile/main.ts', outfile: 'dist/webview/profile.js', platform: 'browser', format: 'iife' },
  { entry: 'webview-ui/src/profile/profile.css', outfile: 'dist/webview/profile.css', platform: 'browser' },
  { entry: 'webview-ui/src/profiler/main.ts', outfile: 'dist/webview/profiler.js', platform: 'browser', format: 'iife' },
  { entry: 'webview-ui/src/profiler/profiler.css', outfile: 'dist/webview/profiler.css', platform: 'browser' },
  { entry: 'webview-ui/src/compare/main.ts', outfile: 'dist/webview/compare.js', platform: 'browser', format: 'iife' },
  { entry: 'webview-ui/src/compare/compare.css', outfile: 'dist/webview/compare.css', platform: 'browser' },
];

/** Files copied verbatim: [from (resolved as a package path), to]. */
const COPIES = [
  ['@vscode/codicons/dist/codicon.css', 'dist/webview/codicon.css'],
  ['@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf'],
  // The PyTorch harness, run by the user's Python (src/runner/torch-runner.ts).
  ['./src/runner/torch_harness.py', 'dist/torch_harness.py'],
  // The tree-sitter runtime and Python grammar, next to dist/server.js and dist/cli.js (lint).
  ['web-tree-sitter/web-tree-sitter.wasm', 'dist/web-tree-sitter.wasm'],
  ['tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'],
];

/** @param {Bundle} b */
function options(b) {
  return {
    entryPoints: [path.join(ROOT, b.entry)],
    outfile: path.join(ROOT, b.outfile),
    bundle: true,
    platform: b.platform,
    target: b.platform === 'node' ? NODE_TARGET : BROWSER_TARGET,
    ...(b.format ? { format: b.format } : {}),
    external: b.external ?? [],
    ...(b.banner ? { banner: { js: b.banner } } : {}),
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
  };
}

async function main() {
  const started = Date.now();
  const require = createRequire(path.join(ROOT, 'package.json'));
  // Start clean: no stale bundles or source maps from another mode end up in a package.
  await rm(path.join(ROOT, 'dist'), { recursive: true, force: true });
  const results = await Promise.allSettled(
    BUNDLES.map(async (b) => {
      await esbuild.build(options(b));
      if (b.executable) await chmod(path.join(ROOT, b.outfile), 0o755);
      return b.outfile;
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  for (const r of failed) console.error(`build: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  if (failed.length) {
    console.error(`build: FAILED (${failed.length} of ${BUNDLES.length} bundles)`);
    process.exit(1);
  }
  for (const [from, to] of COPIES) {
    await mkdir(path.dirname(path.join(ROOT, to)), { recursive: true });
    await copyFile(require.resolve(from), path.join(ROOT, to));
  }
  console.log(`build: ${BUNDLES.length} bundles, ${COPIES.length} files copied${production ? ' (production)' : ''} in ${Date.now() - started} ms`);
}

main().catch((e) => {
  console.error(`build: FAILED: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
