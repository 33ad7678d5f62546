/**
 * The analysis in-process: what web-tree-sitter reports for non-ASCII text (UTF-16, checked, not
 * assumed), incremental parses equal to fresh parses, the per-function cache giving exactly what a
 * fresh analysis gives after random edits, fixes on CRLF and tab-indented files, and the rule list
 * matching the settings schema and the README's rules reference.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { DocumentAnalyzer, analyzeText, parseLevels } from '../../src/server/analysis/analyze';
import { type PythonParser, type Tree, editFor, loadPythonParser } from '../../src/server/analysis/parser';
import { RULES } from '../../src/server/analysis/rules';
import { LineIndex, applyEdits } from '../../src/server/analysis/text';
import { REPO, rng } from '../helpers/fixtures';
import { cpythonSyntaxError } from './lsp-client';

const CORPUS = path.join(__dirname, 'corpus');
const read = (f: string) => fs.readFileSync(path.join(CORPUS, f), 'utf8');
let parser: PythonParser;

before(async () => {
  parser = await loadPythonParser();
});

test('web-tree-sitter on a JavaScript string: indices and columns count UTF-16 code units, not bytes', () => {
  const text = '# é 日本 😀\ns = "é😀"; torch.onnx.export(m, x, "a.onnx")\n';
  const tree = parser.parse(text);
  const call = tree.rootNode.descendantsOfType('call')[0]!;
  const at = text.indexOf('torch.onnx.export');
  assert.equal(call.startIndex, at);
  assert.deepEqual(call.startPosition, { row: 1, column: at - text.indexOf('\n') - 1 });
  assert.notEqual(call.startPosition.column, Buffer.byteLength('s = "é😀"; '), 'a byte column would differ');
  assert.equal(call.text, 'torch.onnx.export(m, x, "a.onnx")');
  tree.delete();
});

/** A random edit of `text`: inserts of code, non-ASCII text and line breaks, deletions, replacements. */
function randomEdit(text: string, r: () => number): { start: number; end: number; insert: string } {
  const snippets = ['x', ' ', '\n', '😀', 'é', '日本', '\n    y = model(x)\n', '(', ')', '#', '"', 'torch.', '\n\ndef f(a):\n    return a\n', '    ', ':'];
  let start = Math.floor(r() * (text.length + 1));
  // Never split a surrogate pair.
  if (start > 0 && start < text.length && /[\udc00-\udfff]/.test(text[start]!)) start--;
  const kind = r();
  let end = start;
  if (kind < 0.35) end = Math.min(text.length, start + Math.floor(r() * 12));
  if (end < text.length && /[\udc00-\udfff]/.test(text[end]!)) end++;
  const insert = kind < 0.2 ? '' : snippets[Math.floor(r() * snippets.length)]!;
  return { start, end, insert };
}

function applyToTree(tree: Tree, text: string, e: { start: number; end: number; insert: string }): string {
  const lines = new LineIndex(text);
  tree.edit(editFor(e.start, e.end, lines.position(e.start), lines.position(e.end), e.insert));
  return text.slice(0, e.start) + e.insert + text.slice(e.end);
}

test('incremental parses after random edits (non-ASCII included) equal fresh parses', () => {
  const r = rng(7);
  let text = read('unicode_prefix.py') + read('pinned_loader.py');
  let tree = parser.parse(text);
  for (let k = 0; k < 150; k++) {
    text = applyToTree(tree, text, randomEdit(text, r));
    const next = parser.parse(text, tree);
    tree.delete();
    tree = next;
    const fresh = parser.parse(text);
    assert.equal(tree.rootNode.toString(), fresh.rootNode.toString(), `edit ${k}`);
    assert.equal(tree.rootNode.endIndex, text.length);
    fresh.delete();
  }
  tree.delete();
});

test('the per-function cache gives exactly what a fresh analysis gives, after random edits across a file', () => {
  const r = rng(42);
  let text = ['export_bert.py', 'torch_infer.py', 'ort_session.py', 'pinned_loader.py', 'trt_build.py', 'export_dynamo.py', 'benchmark_loop.py'].map(read).join('\n\n');
  const analyzer = new DocumentAnalyzer();
  let tree = parser.parse(text);
  let reused = 0;
  let analysed = 0;
  analyzer.analyze(tree, text);
  for (let k = 0; k < 120; k++) {
    text = applyToTree(tree, text, randomEdit(text, r));
    const next = parser.parse(text, tree);
    tree.delete();
    tree = next;
    const cached = analyzer.analyze(tree, text);
    const fresh = analyzeText(parser, text);
    reused += cached.stats.reused;
    analysed += cached.stats.analysed;
    assert.deepEqual(JSON.parse(JSON.stringify(cached.findings)), JSON.parse(JSON.stringify(fresh.findings)), `findings after edit ${k}`);
    assert.deepEqual(cached.exports, fresh.exports, `export sites after edit ${k}`);
  }
  tree.delete();
  assert.ok(reused > 0 && analysed > 0, `both paths taken (${reused} pieces reused, ${analysed} analysed)`);
});

test('an edit inside one function analyses that function only; an edit at module level analyses everything', () => {
  const text = read('torch_infer.py') + '\n\n' + read('ort_session.py').replace(/^import .*\n|^from .*\n/gm, '');
  const analyzer = new DocumentAnalyzer();
  const tree = parser.parse(text);
  const first = analyzer.analyze(tree, text);
  const pieces = first.stats.analysed;
  assert.ok(pieces >= 4, `module + functions: ${pieces}`);
  // Inside evaluate(): `total = 0` → `total = 1`.
  const at = text.indexOf('total = 0') + 'total = '.length;
  let next = applyToTree(tree, text, { start: at, end: at + 1, insert: '1' });
  const t2 = parser.parse(next, tree);
  const inside = analyzer.analyze(t2, next);
  assert.deepEqual(inside.stats, { analysed: 1, reused: pieces - 1 });
  assert.equal(inside.findings.length, first.findings.length);
  // At module level: a new import changes what every function sees.
  next = applyToTree(t2, next, { start: 0, end: 0, insert: 'import os\n' });
  const t3 = parser.parse(next, t2);
  assert.deepEqual(analyzer.analyze(t3, next).stats, { analysed: pieces, reused: 0 });
  for (const t of [tree, t2, t3]) t.delete();
});

test('fixes keep CRLF line breaks', () => {
  const crlf = read('torch_infer.py').replace(/\n/g, '\r\n');
  const a = analyzeText(parser, crlf);
  for (const [rule, title, expected] of [
    ['torch-inference-mode', 'Wrap the loop in torch.inference_mode()', 'expected/torch_infer.inference-mode.py'],
    ['torch-empty-cache-in-loop', 'Move torch.cuda.empty_cache() after the loop', 'expected/torch_infer.empty-cache.py'],
  ] as const) {
    const fix = a.findings.find((f) => f.ruleId === rule)!.fixes.find((f) => f.title === title)!;
    assert.equal(applyEdits(crlf, fix.edits), read(expected).replace(/\n/g, '\r\n'));
  }
  const names = analyzeText(parser, read('export_bert.py').replace(/\n/g, '\r\n')).findings.find((f) => f.ruleId === 'onnx-export-dynamic-axes')!;
  assert.equal(applyEdits(read('export_bert.py').replace(/\n/g, '\r\n'), names.fixes[0]!.edits), read('expected/export_bert.dynamic-axes.py').replace(/\n/g, '\r\n'));
});

test('fixes indent with the file\'s unit: tabs, two spaces', () => {
  for (const unit of ['\t', '  ']) {
    const text = read('torch_infer.py').replace(/^( {4})+/gm, (m) => unit.repeat(m.length / 4));
    const a = analyzeText(parser, text);
    const fix = a.findings.find((f) => f.ruleId === 'torch-inference-mode')!.fixes.find((f) => f.title === 'Wrap the loop in torch.no_grad()')!;
    const fixed = applyEdits(text, fix.edits);
    const expected = read('expected/torch_infer.inference-mode.py').replace('inference_mode', 'no_grad').replace(/^( {4})+/gm, (m) => unit.repeat(m.length / 4));
    assert.equal(fixed, expected);
    const err = cpythonSyntaxError(fixed);
    assert.ok(err === undefined || err === null, String(err));
  }
});

test('an import the fix needs is added once, under an alias when the name is taken', () => {
  // No `import torch` at all (only `from torch import nn`): the inference_mode wrap imports it.
  const text = 'from torch import nn\n\nnet = nn.Linear(4, 2)\nfor x in batches:\n    y = net(x)\n';
  const fix = analyzeText(parser, text).findings.find((f) => f.ruleId === 'torch-inference-mode')!.fixes[0]!;
  assert.equal(applyEdits(text, fix.edits), 'from torch import nn\nimport torch\n\nnet = nn.Linear(4, 2)\nwith torch.inference_mode():\n    for x in batches:\n        y = net(x)\n');
  // `torch` is a local variable here: the import goes under another name.
  const shadow = 'from torch import nn\n\ndef run(torch, batches):\n    net = nn.Linear(4, 2)\n    for x in batches:\n        y = net(x)\n';
  const fix2 = analyzeText(parser, shadow).findings.find((f) => f.ruleId === 'torch-inference-mode')!.fixes[0]!;
  assert.equal(applyEdits(shadow, fix2.edits), 'from torch import nn\nimport torch as _torch\n\ndef run(torch, batches):\n    net = nn.Linear(4, 2)\n    with _torch.inference_mode():\n        for x in batches:\n            y = net(x)\n');
});

test('every rule is in the settings schema (package.json) with its default level, and has a README section', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const schema = pkg.contributes.configuration.properties['inferenceLens.lint.rules'];
  assert.deepEqual(Object.keys(schema.properties).sort(), RULES.map((r) => r.id).sort());
  for (const r of RULES) {
    assert.equal(schema.properties[r.id].default, r.severity, `${r.id}: default level`);
    assert.deepEqual(schema.properties[r.id].enum, ['off', 'hint', 'information', 'warning', 'error']);
  }
  assert.ok(pkg.activationEvents.includes('onLanguage:python'));
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  for (const r of RULES) assert.match(readme, new RegExp(`^#### \`${r.id}\`$`, 'm'), `README has a "#### \`${r.id}\`" section (the diagnostics link to it)`);
});

test('settings: unknown rules and levels are reported, the rest applied', () => {
  const { levels, problems } = parseLevels({ 'torch-autocast': 'off', 'onnx-export-opset': 'error', nope: 'off', 'ort-providers': 'loud' });
  assert.deepEqual(levels, { 'torch-autocast': 'off', 'onnx-export-opset': 'error' });
  assert.equal(problems.length, 2);
  assert.deepEqual(parseLevels(undefined), { levels: {}, problems: [] });
  assert.equal(parseLevels(['x']).problems.length, 1);
});

test('applyEdits refuses overlapping edits (a broken fix never silently corrupts a file)', () => {
  assert.throws(() => applyEdits('abcdef', [{ start: 1, end: 3, newText: 'x' }, { start: 2, end: 4, newText: 'y' }]), /overlapping/);
  assert.equal(applyEdits('abcdef', [{ start: 4, end: 4, newText: '2' }, { start: 1, end: 2, newText: '1' }]), 'a1cd2ef');
});
