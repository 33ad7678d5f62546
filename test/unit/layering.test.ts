/**
 * The architecture, enforced: only src/extension may import `vscode`; the core stays pure;
 * browser code imports no Node built-ins. (Perfetto's ui/ checks its layering the same way.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { test } from 'node:test';
import { REPO } from '../helpers/fixtures';

interface Rule {
  readonly dir: string;
  /** Module specifiers (or prefixes ending in '/') that files under `dir` must not import. */
  readonly forbidden: (spec: string, fromFile: string) => string | undefined;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function resolvesInto(spec: string, fromFile: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false;
  const target = path.resolve(path.dirname(fromFile), spec);
  return target === path.join(REPO, dir) || target.startsWith(path.join(REPO, dir) + path.sep);
}

const RULES: readonly Rule[] = [
  {
    dir: 'src/core',
    forbidden: (s, f) =>
      s === 'vscode'
        ? 'core never imports vscode'
        : ['src/extension', 'src/server', 'src/runner', 'src/cli', 'webview-ui'].find((d) => resolvesInto(s, f, d))
          ? 'core depends on nothing above it'
          : undefined,
  },
  {
    dir: 'src/protocol',
    forbidden: (s, f) =>
      s === 'vscode'
        ? 'protocol never imports vscode'
        : NODE_BUILTINS.has(s)
          ? 'protocol is shared with webviews: no Node built-ins'
          : ['src/extension', 'src/server', 'src/runner', 'src/cli', 'webview-ui'].find((d) => resolvesInto(s, f, d))
            ? 'protocol depends only on core types'
            : undefined,
  },
  { dir: 'src/server', forbidden: (s) => (s === 'vscode' ? 'the language server never imports vscode' : undefined) },
  { dir: 'src/cli', forbidden: (s, f) => (s === 'vscode' ? 'the CLI runs without VS Code' : resolvesInto(s, f, 'src/extension') ? 'the CLI never uses the extension layer' : undefined) },
  { dir: 'src/runner', forbidden: (s) => (s === 'vscode' ? 'runner processes run without VS Code' : undefined) },
  {
    dir: 'webview-ui',
    forbidden: (s, f) =>
      s === 'vscode'
        ? 'webviews never import vscode'
        : NODE_BUILTINS.has(s)
          ? 'webviews run in a browser: no Node built-ins'
          : resolvesInto(s, f, 'src/extension')
            ? 'webviews talk to the extension only through src/protocol'
            : undefined,
  },
];

const IMPORT_RE = /(?:^|[^\w.$])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.$])import\s*['"]([^'"]+)['"]|(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Module specifiers a TypeScript/JavaScript source imports (comments stripped). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function sourceFiles(dir: string): string[] {
  const abs = path.join(REPO, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(ts|tsx|mts|cts|js|mjs)$/.test(e.name)) out.push(path.join(e.parentPath, e.name));
  }
  return out.filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`));
}

export function violations(): string[] {
  const found: string[] = [];
  for (const rule of RULES) {
    for (const file of sourceFiles(rule.dir)) {
      for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
        const why = rule.forbidden(spec, file);
        if (why) found.push(`${path.relative(REPO, file)} imports '${spec}': ${why}`);
      }
    }
  }
  return found;
}

test('the import scanner finds every import form (so the layering check can fail)', () => {
  const src = [
    "import * as vscode from 'vscode';",
    "import type { X } from \"vscode\";",
    "export { y } from '../extension/panel';",
    "const fs = require('node:fs');",
    "await import('vscode');",
    "import 'side-effect';",
    "// import nope from 'commented';",
    "/* import nope2 from 'block-commented'; */",
    "const s = 'http://example.com'; // not an import",
  ].join('\n');
  assert.deepEqual(importsOf(src), ['vscode', 'vscode', '../extension/panel', 'node:fs', 'vscode', 'side-effect']);
});

test('layering: core, protocol, server, cli, runner and webview-ui never import vscode or reach upward', () => {
  const files = RULES.flatMap((r) => sourceFiles(r.dir));
  assert.ok(files.length > 5, 'scanned the source tree');
  assert.deepEqual(violations(), []);
});

test('layering: src/extension is where vscode is used', () => {
  const ext = sourceFiles('src/extension');
  if (ext.length === 0) return; // before the extension layer exists
  assert.ok(ext.some((f) => importsOf(fs.readFileSync(f, 'utf8')).includes('vscode')));
});
