/**
 * Python parsing with web-tree-sitter and tree-sitter-python (both WebAssembly, no native build).
 * The two `.wasm` files sit next to the bundles in dist/ (src/tools/build.mjs copies them); from
 * the sources (tests under tsx) they are found in node_modules.
 *
 * Positions: web-tree-sitter parses a JavaScript string as UTF-16, so `startIndex`/`endIndex` and
 * the columns of `startPosition` count UTF-16 code units, like LSP (test/server/analysis.test.ts
 * checks this with non-ASCII text). The analysis uses the indices only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TreeSitter from 'web-tree-sitter';

// The CommonJS build: the ESM one locates its .wasm through import.meta.url, which a CJS bundle lacks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TS = require('web-tree-sitter') as typeof TreeSitter;

export type Tree = TreeSitter.Tree;
export type Node = TreeSitter.Node;
export type Edit = TreeSitter.Edit;

const RUNTIME_WASM = 'web-tree-sitter.wasm';
const PYTHON_WASM = 'tree-sitter-python.wasm';

export class ParserLoadError extends Error {
  override readonly name = 'ParserLoadError';
}

/** Folders that may hold the two .wasm files: the given one, next to this bundle, node_modules. */
function candidates(wasmDir?: string): { runtime: string; python: string }[] {
  const out: { runtime: string; python: string }[] = [];
  if (wasmDir) out.push({ runtime: path.join(wasmDir, RUNTIME_WASM), python: path.join(wasmDir, PYTHON_WASM) });
  out.push({ runtime: path.join(__dirname, RUNTIME_WASM), python: path.join(__dirname, PYTHON_WASM) });
  // From the sources: src/server/analysis → repo root.
  for (const up of ['..', '../..', '../../..']) {
    const nm = path.resolve(__dirname, up, 'node_modules');
    out.push({ runtime: path.join(nm, 'web-tree-sitter', RUNTIME_WASM), python: path.join(nm, 'tree-sitter-python', PYTHON_WASM) });
  }
  return out;
}

export interface PythonParser {
  /** Parses `text`; with `old` (already `edit`ed to match the new text) the parse is incremental. */
  parse(text: string, old?: Tree): Tree;
  /** Compiles a tree-sitter query against the Python grammar. */
  query(source: string): TreeSitter.Query;
}

/** A tree edit (offsets and columns in UTF-16 code units, rows are lines). */
export function treeEdit(e: {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: TreeSitter.Point;
  oldEndPosition: TreeSitter.Point;
  newEndPosition: TreeSitter.Point;
}): Edit {
  return new TS.Edit(e);
}

/**
 * The edit for replacing `[startIndex, oldEndIndex)` (at LSP positions `start`, `oldEnd`) with
 * `text`: rows are lines, columns UTF-16 code units, like the indices.
 */
export function editFor(startIndex: number, oldEndIndex: number, start: { line: number; character: number }, oldEnd: { line: number; character: number }, text: string): Edit {
  const lines = text.split(/\r\n|\r|\n/);
  const newEndPosition =
    lines.length === 1 ? { row: start.line, column: start.character + text.length } : { row: start.line + lines.length - 1, column: lines[lines.length - 1]!.length };
  return treeEdit({
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + text.length,
    startPosition: { row: start.line, column: start.character },
    oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
    newEndPosition,
  });
}

let loading: Promise<PythonParser> | undefined;

/** Loads the runtime and the grammar once per process. */
export function loadPythonParser(wasmDir?: string): Promise<PythonParser> {
  loading ??= (async () => {
    const found = candidates(wasmDir).find((c) => fs.existsSync(c.runtime) && fs.existsSync(c.python));
    if (!found) {
      throw new ParserLoadError(
        `the Python grammar (${RUNTIME_WASM}, ${PYTHON_WASM}) was not found next to ${__dirname}; rebuild with 'npm run build', which copies them into dist/.`,
      );
    }
    await TS.Parser.init({ locateFile: (name: string) => (name.endsWith('.wasm') ? found.runtime : name) });
    const language = await TS.Language.load(found.python);
    const parser = new TS.Parser();
    parser.setLanguage(language);
    return {
      parse(text, old) {
        const tree = parser.parse(text, old ?? null);
        if (!tree) throw new Error('tree-sitter returned no tree');
        return tree;
      },
      query: (source) => new TS.Query(language, source),
    };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
