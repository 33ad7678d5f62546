/**
 * The bundled language server over real JSON-RPC on a corpus of realistic scripts
 * (test/server/corpus/*.py; expected results in corpus/manifest.json): the diagnostics each script
 * gets (rule, line, underlined text) and nothing else — look-alikes included; suggestions offered as
 * code actions only; and fixes requested from the server, applied as an editor applies them, compared
 * with the expected text, re-parsed (tree-sitter and CPython's ast) and checked gone once the
 * document holds the fixed text.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type PythonParser, loadPythonParser } from '../../src/server/analysis/parser';
import { RULES } from '../../src/server/analysis/rules';
import { type Diagnostic, LspClient, applyLspEdits, cpythonSyntaxError, editsOf, rangeText } from './lsp-client';

const CORPUS = path.join(__dirname, 'corpus');

interface Expected {
  readonly rule: string;
  readonly line: number;
  readonly text: string;
}
interface FileSpec {
  readonly about: string;
  readonly findings: readonly Expected[];
  readonly assists: readonly Expected[];
  readonly fixes: readonly { readonly rule: string; readonly line: number; readonly title: string; readonly expected: string }[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as { files: Record<string, FileSpec> };
const assistRules = new Set(RULES.filter((r) => 'assist' in r && r.assist).map((r) => r.id as string));

let client: LspClient;
let parser: PythonParser;
let version = 1;

const uriOf = (file: string) => pathToFileURL(path.join(CORPUS, file)).href;
const sortKey = (e: Expected) => `${String(e.line).padStart(5, '0')} ${e.rule} ${e.text}`;

/** Where `e` is: the range of its underlined text on its line. */
function rangeOf(text: string, e: Expected) {
  const line = text.split('\n')[e.line - 1]!;
  const character = line.indexOf(e.text);
  assert.ok(character >= 0, `'${e.text}' is on line ${e.line}`);
  return { start: { line: e.line - 1, character }, end: { line: e.line - 1, character: character + e.text.length } };
}

describe('language server on the corpus', () => {
  before(async () => {
    parser = await loadPythonParser();
    client = await LspClient.start();
  });
  after(async () => client?.stop());

  test('the corpus exercises every rule, each with a fix applied in this test', () => {
    const reported = new Set(Object.values(manifest.files).flatMap((f) => [...f.findings, ...f.assists].map((x) => x.rule)));
    const fixed = new Set(Object.values(manifest.files).flatMap((f) => f.fixes.map((x) => x.rule)));
    for (const r of RULES) {
      assert.ok(reported.has(r.id), `no corpus script triggers ${r.id}`);
      assert.ok(fixed.has(r.id), `no corpus fix for ${r.id}`);
    }
    assert.ok(fs.readdirSync(CORPUS).filter((f) => f.endsWith('.py')).every((f) => f in manifest.files), 'every script has expectations');
  });

  for (const [file, spec] of Object.entries(manifest.files)) {
    test(`${file}: exactly the expected diagnostics (${spec.findings.length}) and suggestions (${spec.assists.length})`, async () => {
      const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
      const uri = uriOf(file);
      const diags = await client.open(uri, text, ++version);
      const got = diags.map((d) => ({ rule: String(d.code), line: d.range.start.line + 1, text: rangeText(text, d.range) }));
      assert.deepEqual(got.map(sortKey).sort(), spec.findings.map(sortKey).sort());
      for (const d of diags) {
        const rule = RULES.find((r) => r.id === d.code)!;
        assert.equal(d.source, 'Inference Lens');
        assert.equal(d.severity, { error: 1, warning: 2, information: 3, hint: 4 }[rule.severity], `${d.code}: default severity`);
        assert.match(d.codeDescription!.href, new RegExp(`^file://.*README\\.md#${d.code}$`));
        const message = String(d.message);
        assert.ok(message.length > 40 && /[.)]$/.test(message), `${d.code}: a full sentence: ${message}`);
        // Every diagnostic comes with at least one quick fix attached to it.
        const actions = await client.codeActions(uri, d.range, [d]);
        assert.ok(actions.some((a) => a.kind === 'quickfix' && a.diagnostics?.some((x) => x.code === d.code)), `${d.code} at line ${d.range.start.line + 1} has a quick fix`);
      }
      for (const a of spec.assists) {
        assert.ok(assistRules.has(a.rule));
        const actions = await client.codeActions(uri, rangeOf(text, a));
        assert.ok(
          actions.some((x) => x.kind === 'refactor.rewrite' && !x.diagnostics && /^Quantize/.test(x.title)),
          `${a.rule} at line ${a.line} is offered as a code action: ${actions.map((x) => x.title).join(' | ')}`,
        );
      }
      await client.close(uri);
    });

    for (const fx of spec.fixes) {
      test(`${file}: "${fx.title}" (${fx.rule}, line ${fx.line}) gives ${fx.expected}`, async () => {
        const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
        const uri = uriOf(file);
        const v = ++version;
        const diags = await client.open(uri, text, v);
        const target = [...spec.findings, ...spec.assists].find((e) => e.rule === fx.rule && e.line === fx.line)!;
        const range = rangeOf(text, target);
        const diag = diags.find((d) => d.code === fx.rule && d.range.start.line === range.start.line);
        assert.equal(!!diag, !assistRules.has(fx.rule), 'a diagnostic unless the rule is a suggestion');
        const actions = await client.codeActions(uri, diag?.range ?? range, diag ? [diag] : []);
        const action = actions.find((a) => a.title === fx.title);
        assert.ok(action, `offered: ${actions.map((a) => a.title).join(' | ')}`);
        // Versioned edits: they apply to the document the server analysed.
        const dc = action!.edit!.documentChanges![0]!;
        assert.ok('textDocument' in dc && dc.textDocument.version === v);
        const fixed = applyLspEdits(text, editsOf(action!.edit, uri));
        assert.equal(fixed, fs.readFileSync(path.join(CORPUS, fx.expected), 'utf8'));
        const tree = parser.parse(fixed);
        assert.equal(tree.rootNode.hasError, false, 'the fixed script parses (tree-sitter)');
        tree.delete();
        const cpy = cpythonSyntaxError(fixed);
        assert.ok(cpy === undefined || cpy === null, `the fixed script parses (CPython ast): ${cpy}`);
        // Once the document holds the fixed text, that finding is gone.
        const count = (ds: Diagnostic[]) => ds.filter((d) => d.code === fx.rule).length;
        const after = await client.change(uri, v + 1, [{ text: fixed }]);
        version = v + 1;
        if (diag) assert.equal(count(after), count(diags) - 1, `${fx.rule} no longer reported there`);
        else {
          const fixedLine = fixed.split('\n').findIndex((l) => l.includes(target.text) && fixed.split('\n').indexOf(l) >= fx.line - 1);
          const again = await client.codeActions(uri, { start: { line: fixedLine, character: 0 }, end: { line: fixedLine, character: 200 } });
          assert.ok(!again.some((a) => a.title === fx.title), 'the suggestion is not offered again');
        }
        await client.close(uri);
      });
    }
  }
});
