/**
 * The onnx-text TextMate grammar (syntaxes/onnx-text.tmLanguage.json) tokenized by the engine VS
 * Code runs (vscode-textmate with vscode-oniguruma's WebAssembly regex library).
 *
 * Snapshots: every non-blank token with its scopes, per sample, in test/unit/__snapshots__/grammar/.
 * A sample without a snapshot fails; `UPDATE_SNAPSHOTS=1 node --import tsx --test
 * test/unit/grammar.test.ts` writes them (review the diff before committing). Key scopes are also
 * asserted one by one, so a grammar change that breaks them fails with a readable message.
 *
 * Samples: every form of onnx/docs/Syntax.md's grammar written by hand (test/fixtures/onnx-text/),
 * and the text "Show Model as Text" renders for real models.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { modelText, modelTextOfFile, parseModelBuffer } from '../../src/core/onnx';
import { BufferSource } from '../../src/core/onnx/wire';
import { fixturePath, manifest, REPO } from '../helpers/fixtures';
import { controlFlowModel, mlpModel, transformerModel } from '../helpers/models';

const GRAMMAR = path.join(REPO, 'syntaxes', 'onnx-text.tmLanguage.json');
const SNAPSHOTS = path.join(REPO, 'test', 'unit', '__snapshots__', 'grammar');
const SCOPE = 'source.onnx-text';
const SUFFIX = '.onnx-text';

let grammar: vsctm.IGrammar;

interface Token {
  readonly line: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let stack = vsctm.INITIAL;
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) {
      const s = line.slice(t.startIndex, t.endIndex);
      if (s.trim()) out.push({ line: i, text: s, scopes: t.scopes.slice(1).map((x) => (x.endsWith(SUFFIX) ? x.slice(0, -SUFFIX.length) : x)) });
    }
  });
  return out;
}

function snapshotText(text: string): string {
  const tokens = tokenize(text);
  const lines = text.split('\n');
  const out: string[] = [];
  let k = 0;
  lines.forEach((line, i) => {
    out.push(`> ${line}`);
    for (; k < tokens.length && tokens[k]!.line === i; k++) out.push(`    ${JSON.stringify(tokens[k]!.text)}  ${tokens[k]!.scopes.join(' ') || '(none)'}`);
  });
  return out.join('\n') + '\n';
}

function checkSnapshot(name: string, text: string): void {
  const file = path.join(SNAPSHOTS, `${name}.snap`);
  const actual = snapshotText(text);
  if (process.env.UPDATE_SNAPSHOTS) {
    fs.mkdirSync(SNAPSHOTS, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `no snapshot ${path.relative(REPO, file)}: run with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `tokens of ${name} differ from ${path.relative(REPO, file)} (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

/** The scopes of the token holding the `nth` occurrence of `needle` on the first line containing `lineHas`. */
function scopesOf(text: string, lineHas: string, needle: string, nth = 0): readonly string[] {
  const lines = text.split('\n');
  const li = lines.findIndex((l) => l.includes(lineHas));
  assert.ok(li >= 0, `no line contains ${JSON.stringify(lineHas)}`);
  let at = -1;
  for (let k = 0; k <= nth; k++) at = lines[li]!.indexOf(needle, at + 1);
  assert.ok(at >= 0, `${JSON.stringify(needle)} not on line ${JSON.stringify(lines[li])}`);
  // Re-tokenize up to that line to find the token covering `at`.
  let stack = vsctm.INITIAL;
  for (let i = 0; i < li; i++) stack = grammar.tokenizeLine(lines[i]!, stack).ruleStack;
  const t = grammar.tokenizeLine(lines[li]!, stack).tokens.find((x) => x.startIndex <= at && at < x.endIndex)!;
  return t.scopes.slice(1).map((x) => (x.endsWith(SUFFIX) ? x.slice(0, -SUFFIX.length) : x));
}

function expectScope(text: string, lineHas: string, needle: string, scope: string, nth = 0): void {
  const scopes = scopesOf(text, lineHas, needle, nth);
  assert.ok(scopes.includes(scope), `${JSON.stringify(needle)} in ${JSON.stringify(lineHas)}: expected ${scope}, got ${scopes.join(' ') || '(none)'}`);
}

async function rendered(bytes: Uint8Array): Promise<string> {
  return (await modelText(parseModelBuffer(bytes), new BufferSource(bytes))).text;
}

before(async () => {
  const wasm = fs.readFileSync(path.join(REPO, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => (scopeName === SCOPE ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  const g = await registry.loadGrammar(SCOPE);
  assert.ok(g, 'the grammar loads');
  grammar = g;
});

describe('onnx-text grammar', () => {
  test('package.json contributes the language, its file extension and the grammar', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const lang = pkg.contributes.languages?.find((l: { id: string }) => l.id === 'onnx-text');
    assert.ok(lang, 'contributes.languages has onnx-text');
    assert.ok(lang.extensions.includes('.onnxtxt'));
    assert.ok(fs.existsSync(path.join(REPO, lang.configuration)), 'the language configuration exists');
    const g = pkg.contributes.grammars?.find((x: { language: string }) => x.language === 'onnx-text');
    assert.equal(g?.scopeName, SCOPE);
    assert.equal(path.resolve(REPO, g.path), GRAMMAR);
    const ignore = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^!syntaxes\/\*\.json$/m, 'the vsix carries the grammar (.vscodeignore is an allowlist)');
  });

  test('every form of the ONNX text syntax: snapshot and key scopes', () => {
    const text = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'onnx-text', 'syntax-forms.onnxtxt'), 'utf8');
    checkSnapshot('syntax-forms', text);
    expectScope(text, '# A comment', '# A comment', 'comment.line.number-sign');
    expectScope(text, 'T = MatMul(X, W) #', 'and after', 'comment.line.number-sign');
    expectScope(text, 'ir_version: 9', 'ir_version', 'keyword.other.header');
    expectScope(text, 'producer_name', 'written', 'string.quoted.double');
    expectScope(text, 'producer_name', '\\"', 'constant.character.escape');
    expectScope(text, 'forms (float', 'forms', 'entity.name.type.graph');
    expectScope(text, 'forms (float', 'float', 'storage.type.primitive');
    expectScope(text, 'forms (float', 'N', 'variable.parameter.dim');
    expectScope(text, 'forms (float', '128', 'constant.numeric.dim');
    expectScope(text, 'forms (float', 'X', 'variable.other.value');
    expectScope(text, 'forms (float', 'seq', 'storage.type.compound');
    expectScope(text, 'forms (float', 'map', 'storage.type.compound');
    expectScope(text, 'forms (float', '?', 'constant.language.unknown-dim');
    expectScope(text, 'forms (float', '=>', 'keyword.operator.arrow');
    expectScope(text, 'float[2] w1', '2.5e-3', 'constant.numeric');
    expectScope(text, 'float[2] w1', 'weights.bin', 'string.quoted.double');
    expectScope(text, 'T = MatMul', 'MatMul', 'entity.name.function.operator');
    expectScope(text, 'T = MatMul', 'T', 'variable.other.value');
    expectScope(text, 'C1 = Cast<to', 'to', 'entity.other.attribute-name');
    expectScope(text, 'C2 = Cast <to: int', 'int', 'storage.type.attribute');
    expectScope(text, 'com.microsoft.Attention', 'com.microsoft.', 'entity.name.namespace.domain');
    expectScope(text, 'com.microsoft.Attention', 'Attention', 'entity.name.function.operator');
    expectScope(text, 'com.microsoft.Attention', '-inf', 'constant.numeric');
    expectScope(text, 'com.microsoft.Attention', '"weights/qkv"', 'variable.other.value');
    expectScope(text, '["/labelled/node"]', '"/labelled/node"', 'entity.name.tag.label');
    expectScope(text, '["/labelled/node"]', '"out.1"', 'variable.other.value');
    expectScope(text, '["/labelled/node"]', '"in/0"', 'variable.other.value');
    expectScope(text, 'pads = Constant', '9223372036854775807', 'constant.numeric');
    expectScope(text, 'big = Constant', '...', 'constant.language.elided');
    expectScope(text, 'big = Constant', '"conv.weight"', 'variable.other.value');
    expectScope(text, 's = Pad', 'reflect', 'string.quoted.double');
    expectScope(text, 's = Pad', 'nan', 'constant.numeric');
    expectScope(text, 'then_branch = g1', 'then_branch', 'entity.other.attribute-name');
    expectScope(text, 'then_branch = g1', 'g1', 'entity.name.type.graph');
    expectScope(text, 'z_then = Identity', 'Identity', 'entity.name.function.operator');
    expectScope(text, 'else_branch: graph', 'graph', 'storage.type.attribute');
    expectScope(text, 'else_branch: graph', 'Neg', 'entity.name.function.operator');
    expectScope(text, 'custom.Resize:v2', 'v2', 'entity.name.function.overload');
    expectScope(text, 'value_float: float = @alpha', 'alpha', 'variable.parameter.reference');
    expectScope(text, 'scaled <alpha: float', 'scaled', 'entity.name.type.graph');
  });

  test('models rendered by Show Model as Text: snapshots and key scopes', async () => {
    const mlp = await rendered(mlpModel().model);
    checkSnapshot('mlp', mlp);
    expectScope(mlp, '["/fc/MatMul"]', 'MatMul', 'entity.name.function.operator', 1);
    expectScope(mlp, 'float[4,3] W', '...', 'constant.language.elided');
    expectScope(mlp, 'metadata_props', 'unicode ✓', 'string.quoted.double');

    const cf = await rendered(controlFlowModel());
    checkSnapshot('control-flow', cf);
    expectScope(cf, '[if] y0 = If', 'If', 'entity.name.function.operator');
    expectScope(cf, '[if] y0 = If', 'then', 'entity.name.type.graph', 1);
    expectScope(cf, 'else_branch: graph', 'else', 'entity.name.type.graph', 1);
    expectScope(cf, 'local.Double', 'Double', 'entity.name.function.operator');
    expectScope(cf, 'Double (a) => (b)', 'Double', 'entity.name.type.graph');
    expectScope(cf, 'Loop (trip, "", x)', '""', 'variable.other.value');

    const tf = await rendered(transformerModel({ layers: 1, hidden: 16, ffn: 32 }).model);
    checkSnapshot('transformer', tf);
    expectScope(tf, 'LayerNormalization <axis', '1e-12', 'constant.numeric');
    expectScope(tf, 'LayerNormalization <axis', 'epsilon', 'entity.other.attribute-name');
    expectScope(tf, 'Transpose <perm', 'ints', 'storage.type.attribute');
    expectScope(tf, 'int64[4] head_shape', 'head_shape', 'variable.other.value');

    // A real export: long wrapped signature, quoted names, an If with a subgraph (first 100 lines).
    const vad = (await modelTextOfFile(fixturePath(manifest.models.find((m) => m.id === 'silero-vad')!.path))).text.split('\n').slice(0, 100).join('\n');
    checkSnapshot('silero-vad-head', vad);
    expectScope(vad, '[If_25]', 'torch_jit10', 'entity.name.type.graph');
    expectScope(vad, '"onnx::Cast_125" = Equal', '"onnx::Cast_125"', 'variable.other.value');
    expectScope(vad, '"onnx::Cast_125" = Equal', '"onnx::Equal_124"', 'variable.other.value');
  });

  test('no token of the rendered models is left without a scope or mistaken for an operator', async () => {
    for (const bytes of [mlpModel().model, controlFlowModel(), transformerModel({ layers: 1, hidden: 16, ffn: 32 }).model]) {
      const text = await rendered(bytes);
      const tokens = tokenize(text);
      const bare = tokens.filter((t) => t.scopes.length === 0);
      assert.deepEqual(bare.map((t) => `${t.line + 1}: ${t.text}`), [], 'tokens without a scope');
      // Operators are exactly the node lines' op names.
      const ops = tokens.filter((t) => t.scopes.includes('entity.name.function.operator')).map((t) => t.text);
      const model = parseModelBuffer(bytes);
      const expected: string[] = [];
      const visit = (nodes: typeof model.graph.nodes): void => {
        for (const n of nodes) {
          expected.push(n.opType);
          for (const a of n.attributes) if (a.g) visit(a.g.nodes);
        }
      };
      visit(model.graph.nodes);
      for (const f of model.functions) visit(f.nodes);
      assert.deepEqual(ops, expected);
    }
  });
});
