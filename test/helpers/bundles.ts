/**
 * The CLI and the workers (ORT, transform, graph) bundled the way src/tools/build.mjs bundles them, for tests that run
 * them as a user does. Written under out/test-bundles/ (inside the repo, so `onnxruntime-node`
 * resolves from node_modules, as it does from dist/). Built once per test process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { REPO } from './fixtures';

const DIR = path.join(REPO, 'out', 'test-bundles', String(process.pid));
let built: Promise<{ cli: string; worker: string; graphWorker: string; transformWorker: string }> | undefined;

export function bundles(): Promise<{ cli: string; worker: string; graphWorker: string; transformWorker: string }> {
  built ??= (async () => {
    fs.mkdirSync(DIR, { recursive: true });
    const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', external: ['onnxruntime-node'], logLevel: 'silent' as const };
    const cli = path.join(DIR, 'cli.js');
    const worker = path.join(DIR, 'ort-worker.js');
    await build({ ...common, entryPoints: [path.join(REPO, 'src/cli/main.ts')], outfile: cli, banner: { js: '#!/usr/bin/env node' } });
    await build({ ...common, entryPoints: [path.join(REPO, 'src/runner/ort-worker.ts')], outfile: worker });
    // The core transformations (INT8, FP16, dims) in their own process.
    const transformWorker = path.join(DIR, 'transform-worker.js');
    await build({ ...common, entryPoints: [path.join(REPO, 'src/runner/transform-worker.ts')], outfile: transformWorker });
    // The model editor's graph build, run in a worker thread.
    const graphWorker = path.join(DIR, 'graph-worker.js');
    await build({ ...common, entryPoints: [path.join(REPO, 'src/runner/graph-worker.ts')], outfile: graphWorker });
    // The PyTorch harness sits next to the CLI, as in dist/.
    fs.copyFileSync(path.join(REPO, 'src/runner/torch_harness.py'), path.join(DIR, 'torch_harness.py'));
    return { cli, worker, graphWorker, transformWorker };
  })();
  return built;
}

let serverBuilt: Promise<string> | undefined;

/**
 * The language server bundled as src/tools/build.mjs bundles dist/server.js, with the two tree-sitter
 * .wasm files copied next to it (the CLI bundle from bundles() finds them there too).
 */
export function serverBundle(): Promise<string> {
  serverBuilt ??= (async () => {
    fs.mkdirSync(DIR, { recursive: true });
    const server = path.join(DIR, 'server.js');
    await build({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent', entryPoints: [path.join(REPO, 'src/server/server.ts')], outfile: server });
    fs.copyFileSync(path.join(REPO, 'node_modules/web-tree-sitter/web-tree-sitter.wasm'), path.join(DIR, 'web-tree-sitter.wasm'));
    fs.copyFileSync(path.join(REPO, 'node_modules/tree-sitter-python/tree-sitter-python.wasm'), path.join(DIR, 'tree-sitter-python.wasm'));
    return server;
  })();
  return serverBuilt;
}
