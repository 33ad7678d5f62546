/**
 * `inference-lens lint` from the CLI bundle (built like dist/cli.js, the tree-sitter .wasm files next
 * to it): the same findings, positions and rule ids as the language server on the corpus, --json,
 * --fix (safe fixes only, a backup, a diff, the file parses afterwards), folders, exit codes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { bundles, serverBundle } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { unifiedDiff } from '../../src/cli/lint-command';
import { cpythonSyntaxError } from './lsp-client';

const CORPUS = path.join(__dirname, 'corpus');
const manifest = JSON.parse(fs.readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: Record<string, { findings: { rule: string; line: number; text: string }[] }>;
};
let cli = '';

function lint(args: string[], cwd = CORPUS) {
  const r = spawnSync(process.execPath, [cli, 'lint', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  docs: string;
  fixes: { title: string; safe: boolean }[];
}

describe('inference-lens lint', () => {
  before(async () => {
    cli = (await bundles()).cli;
    await serverBundle(); // copies the .wasm files next to the CLI bundle, as the build puts them in dist/
  });

  test('--json on the corpus folder: the language server\'s findings, 1-based positions of the same ranges, rule ids, docs links', () => {
    const r = lint(['.', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { schemaVersion: number; files: { path: string; findings: JsonFinding[]; syntaxErrors: boolean }[]; summary: Record<string, number> };
    assert.equal(report.schemaVersion, 1);
    const files = Object.keys(manifest.files);
    // The folder walk finds the corpus scripts and the expected/ outputs below them.
    assert.deepEqual(report.files.map((f) => f.path).sort(), [...files, ...fs.readdirSync(path.join(CORPUS, 'expected')).map((f) => `expected/${f}`)].sort());
    for (const file of files) {
      const got = report.files.find((f) => f.path === file)!;
      const text = fs.readFileSync(path.join(CORPUS, file), 'utf8').split('\n');
      const mine = got.findings.map((f) => {
        assert.equal(f.line, f.endLine);
        return { rule: f.ruleId, line: f.line, text: text[f.line - 1]!.slice(f.column - 1, f.endColumn - 1) };
      });
      const key = (x: { rule: string; line: number; text: string }) => `${x.line} ${x.rule} ${x.text}`;
      assert.deepEqual(mine.map(key).sort(), manifest.files[file]!.findings.map(key).sort(), file);
      for (const f of got.findings) {
        assert.match(f.docs, new RegExp(`README\\.md#${f.ruleId}$`));
        assert.ok(f.fixes.length > 0);
      }
    }
    // UTF-16 columns: after "étiquette = \"😀 déjà vu\"; " (26 code units, 31 bytes).
    assert.equal(report.files.find((f) => f.path === 'unicode_prefix.py')!.findings[0]!.column, 27);
    assert.equal(report.summary.error, 0);
  });

  test('text output: path:line:column: level rule: message, the fix, a summary line', () => {
    const r = lint(['torch_infer.py']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^torch_infer\.py:17:18: warning torch-inference-mode: model\(…\) runs in a loop without torch\.inference_mode\(\) or torch\.no_grad\(\)/m);
    assert.match(r.stdout, /^ {4}fix: Wrap the loop in torch\.no_grad\(\) \(inference-lens lint --fix applies it\)$/m);
    assert.match(r.stdout, /^ {4}fix in the editor: Add num_workers=4, pin_memory=True$/m);
    assert.match(r.stdout, /^3 findings \(2 warnings, 1 information\) in 1 file\.$/m);
    assert.match(lint(['lookalikes.py']).stdout, /^No findings in 1 file\.$/m);
  });

  test('--rule sets levels: error makes the exit code 1, off drops the rule', () => {
    const r = lint(['torch_infer.py', '--rule', 'torch-inference-mode=error', '--rule=torch-dataloader-workers=off,torch-empty-cache-in-loop=hint', '--json']);
    assert.equal(r.code, 1);
    const f = (JSON.parse(r.stdout) as { files: { findings: JsonFinding[] }[] }).files[0]!.findings;
    assert.deepEqual(f.map((x) => [x.ruleId, x.severity]), [['torch-inference-mode', 'error'], ['torch-empty-cache-in-loop', 'hint']]);
  });

  test('--fix applies the safe fixes only, keeps a backup, prints the diff; the result parses and is what a person writes', () => {
    const dir = tmpDir('lint-fix');
    for (const f of ['torch_infer.py', 'export_bert.py', 'data_parallel.py']) fs.copyFileSync(path.join(CORPUS, f), path.join(dir, f));
    const r = lint(['.', '--fix'], dir);
    assert.equal(r.code, 0, r.stderr);
    for (const [f, expected] of [['torch_infer.py', 'torch_infer.lint-fix.py'], ['export_bert.py', 'export_bert.lint-fix.py']] as const) {
      const fixed = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.equal(fixed, fs.readFileSync(path.join(CORPUS, 'expected', expected), 'utf8'), f);
      assert.equal(fs.readFileSync(path.join(dir, `${f}.bak`), 'utf8'), fs.readFileSync(path.join(CORPUS, f), 'utf8'), `${f}.bak is the original`);
      const err = cpythonSyntaxError(fixed);
      assert.ok(err === undefined || err === null, `${f}: ${err}`);
    }
    // The DataParallel → DDP migration and autocast change behaviour: not applied, no backup.
    assert.equal(fs.readFileSync(path.join(dir, 'data_parallel.py'), 'utf8'), fs.readFileSync(path.join(CORPUS, 'data_parallel.py'), 'utf8'));
    assert.ok(!fs.existsSync(path.join(dir, 'data_parallel.py.bak')));
    assert.match(r.stdout, /^--- a\/export_bert\.py\n\+\+\+ b\/export_bert\.py$/m);
    assert.match(r.stdout, /^-        opset_version=11,$/m);
    assert.match(r.stdout, /^\+        opset_version=17,$/m);
    assert.match(r.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    assert.match(r.stdout, /Fixed torch_infer\.py: Wrap the loop in torch\.no_grad\(\); Move torch\.cuda\.empty_cache\(\) after the loop \(original kept as torch_infer\.py\.bak\)/);
    // The printed diff is a patch: applied to the originals it gives the fixed files.
    const check = tmpDir('lint-patch');
    for (const f of ['torch_infer.py', 'export_bert.py']) fs.copyFileSync(path.join(CORPUS, f), path.join(check, f));
    const diff = r.stdout.split('\n').filter((l) => /^(---|\+\+\+|@@|[-+ ])/.test(l) && !/^ {4}fix/.test(l)).join('\n') + '\n';
    const applied = spawnSync('git', ['apply', '--unidiff-zero', '-'], { cwd: check, input: diff, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    for (const f of ['torch_infer.py', 'export_bert.py']) assert.equal(fs.readFileSync(path.join(check, f), 'utf8'), fs.readFileSync(path.join(dir, f), 'utf8'));
    // Again: nothing safe left, nothing rewritten; a second backup name would be .bak.1.
    const again = lint(['.', '--fix', '--json'], dir);
    assert.equal(JSON.parse(again.stdout).summary.fixed, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'torch_infer.py.bak.1')));
  });

  test('folders: hidden folders, virtual environments, node_modules and __pycache__ are skipped', () => {
    const dir = tmpDir('lint-walk');
    const bad = 'import torch\nfor x in xs:\n    y = model(x)\n';
    for (const p of ['.hidden/a.py', 'venv-x/lib/b.py', 'node_modules/pkg/c.py', '__pycache__/d.py', 'src/deep/e.py', 'f.py']) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), bad);
    }
    fs.writeFileSync(path.join(dir, 'venv-x', 'pyvenv.cfg'), 'home = /usr/bin\n');
    const r = lint(['.', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { files: { path: string }[] }).files.map((f) => f.path), ['f.py', 'src/deep/e.py']);
  });

  test('bad usage and bad input: exit 2 with one line on stderr', () => {
    const dir = tmpDir('lint-bad');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir, 'latin1.py'), Buffer.from('# caf\xe9\nx = 1\n', 'latin1'));
    fs.writeFileSync(path.join(dir, 'blob.py'), Buffer.from([0x78, 0x00, 0x01, 0x02, 0x0a]));
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'empty', 'readme.md'), '# nothing to lint\n');
    for (const [args, re] of [
      [[], /lint needs a Python file or a folder/],
      [['missing.py'], /missing\.py does not exist/],
      [['notes.txt'], /notes\.txt is not a Python file/],
      [['f.py', '--rule', 'nope=off'], /unknown rule 'nope'/],
      [['f.py', '--rule', 'torch-autocast=loud'], /level must be off, hint, information, warning or error/],
      [['f.py', '--rule'], /--rule needs <id>=<level>/],
      [['f.py', '--frobnicate'], /unknown option '--frobnicate'/],
      [['latin1.py'], /latin1\.py is not UTF-8 text/],
      [['blob.py'], /blob\.py holds NUL bytes/],
      [['empty'], /no Python files \(\.py\) in empty/],
    ] as const) {
      fs.writeFileSync(path.join(dir, 'f.py'), 'x = 1\n');
      const r = lint([...args], dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.equal(lint(['--help']).code, 0);
    assert.match(lint(['--help']).stdout, /tensorrt-fp16 +information/);
  });
});

test('the --fix diff is a patch git applies, also where a file has no final line break', () => {
  const cases: [string, string][] = [
    ['a\nb\nc', 'a\nB\nc\nd'],
    ['a\nb\n', 'a\nb'],
    ['x\n', 'x\ny\n'],
    ['', 'new\n'],
    [Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n', Array.from({ length: 30 }, (_, i) => (i === 3 || i === 25 ? `changed ${i}` : `line ${i}`)).join('\n') + '\n'],
  ];
  for (const [a, b] of cases) {
    const dir = tmpDir('diff');
    fs.writeFileSync(path.join(dir, 'f.py'), a);
    const r = spawnSync('git', ['apply', '-'], { cwd: dir, input: unifiedDiff(a, b, 'f.py'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'f.py'), 'utf8'), b);
  }
});
