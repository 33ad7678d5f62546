/**
 * The bundled language server over JSON-RPC: UTF-16 positions with non-ASCII text before a call,
 * incremental edits (typed character by character, several changes in one notification, broken
 * and repaired syntax) giving what a fresh open of the same text gives, a 5,000-line file,
 * rule levels from settings, and the CodeLens/hover over torch.onnx.export with the latency and
 * peak memory of real ONNX Runtime runs of the exported file (profiled by the CLI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { formatBytes, formatMs } from '../../src/core/format';
import { parseRunFile } from '../../src/core/results/run-file';
import { bundles } from '../helpers/bundles';
import { tmpDir } from '../helpers/fixtures';
import { mlpModel } from '../helpers/models';
import { FINDINGS_PER_BLOCK, bigScript } from './big-script';
import { type Diagnostic, LspClient, applyLspEdits, editsOf, rangeText, until } from './lsp-client';

const CORPUS = path.join(__dirname, 'corpus');
const read = (f: string) => fs.readFileSync(path.join(CORPUS, f), 'utf8');
const key = (text: string, ds: Diagnostic[]) => ds.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${rangeText(text, d.range)}`).sort();

describe('language server: positions and edits', () => {
  let client: LspClient;
  let n = 0;
  const fresh = async (text: string) => {
    const uri = `file:///fresh/check-${++n}.py`;
    const d = await client.open(uri, text);
    await client.close(uri);
    return d;
  };
  before(async () => {
    client = await LspClient.start();
  });
  after(async () => client?.stop());

  test('non-ASCII text before a call: ranges count UTF-16 code units (é = 1, 😀 = 2), and follow edits', async () => {
    const text = read('unicode_prefix.py');
    const uri = 'file:///work/unicode.py';
    const line = text.split('\n')[5]!;
    const col = line.indexOf('torch.onnx.export'); // JavaScript string index = UTF-16 code units
    assert.equal(col, 26);
    assert.equal(Buffer.byteLength(line.slice(0, col)), 31, 'the byte column differs: a server reporting bytes would fail here');
    let d = await client.open(uri, text);
    assert.deepEqual(d.map((x) => x.range), [{ start: { line: 5, character: 26 }, end: { line: 5, character: 43 } }]);
    // Insert two emoji and an accented letter at the start of that line: +5 code units.
    d = await client.change(uri, 2, [{ range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, text: '🚀🚀é' }]);
    assert.deepEqual(d.map((x) => x.range.start), [{ line: 5, character: 31 }]);
    // Delete the first emoji (two code units: a surrogate pair) only.
    d = await client.change(uri, 3, [{ range: { start: { line: 5, character: 0 }, end: { line: 5, character: 2 } }, text: '' }]);
    assert.deepEqual(d.map((x) => x.range.start), [{ line: 5, character: 29 }]);
    const current = '🚀é' + text.split('\n')[5];
    assert.equal(rangeText(text.replace(line, current), d[0]!.range), 'torch.onnx.export');
    await client.close(uri);
  });

  test('typing a fix character by character (one notification per keystroke) ends with what a fresh open gives', async () => {
    const text = read('export_bert.py');
    const uri = 'file:///work/typing.py';
    const before = await client.open(uri, text);
    assert.ok(before.some((d) => d.code === 'onnx-export-dynamic-axes'));
    // Type a dynamic_axes argument after `do_constant_folding=True,` on line 30 (0-based 29).
    const insert = '\n        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},';
    const lineText = text.split('\n')[29]!;
    assert.equal(lineText.trim(), 'do_constant_folding=True,');
    let current = text;
    let line = 29;
    let character = lineText.length;
    let version = 1;
    let last: Promise<Diagnostic[]> | undefined;
    for (const ch of insert) {
      version++;
      last = client.change(uri, version, [{ range: { start: { line, character }, end: { line, character } }, text: ch }]);
      current = applyLspEdits(current, [{ range: { start: { line, character }, end: { line, character } }, newText: ch }]);
      if (ch === '\n') {
        line++;
        character = 0;
      } else character++;
    }
    const after = await last!;
    assert.ok(!after.some((d) => d.code === 'onnx-export-dynamic-axes'), 'the typed dynamic_axes covers every input and output');
    assert.deepEqual(key(current, after), key(current, await fresh(current)));
    await client.close(uri);
  });

  test('several changes in one notification (each range relative to the previous change), then a full replacement', async () => {
    const text = read('torch_infer.py');
    const uri = 'file:///work/multi.py';
    await client.open(uri, text);
    // 1) rename `loader` → `val_loader` on line 10 (0-based 9), 2) then on line 14 (0-based 13) in the same notification.
    const l9 = text.split('\n')[9]!;
    const l13 = text.split('\n')[13]!;
    const c9 = l9.indexOf('loader');
    const c13 = l13.indexOf('loader');
    const changes = [
      { range: { start: { line: 9, character: c9 }, end: { line: 9, character: c9 + 6 } }, text: 'val_loader' },
      { range: { start: { line: 13, character: c13 }, end: { line: 13, character: c13 + 6 } }, text: 'val_loader' },
      // 3) a new line inserted at the top shifts everything below (applied after 1 and 2).
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# evaluation helpers\n' },
    ];
    const d = await client.change(uri, 2, changes);
    let expected = text;
    for (const c of changes) expected = applyLspEdits(expected, [{ range: c.range, newText: c.text }]);
    assert.match(expected, /for images, labels in val_loader:/);
    assert.deepEqual(key(expected, d), key(expected, await fresh(expected)));
    assert.equal(d.find((x) => x.code === 'torch-inference-mode')!.range.start.line, 17, 'moved down by the inserted line');
    const full = await client.change(uri, 3, [{ text: read('ort_session.py') }]);
    assert.deepEqual(key(read('ort_session.py'), full), key(read('ort_session.py'), await fresh(read('ort_session.py'))));
    await client.close(uri);
  });

  test('broken syntax mid-edit: diagnostics keep coming for the parts that parse, and come back in full once repaired', async () => {
    const text = read('ort_session.py');
    const uri = 'file:///work/broken.py';
    const ok = await client.open(uri, text);
    // Delete the closing parenthesis of `IS(path, so)` on line 9 (0-based 8).
    const l8 = text.split('\n')[8]!;
    const close = l8.lastIndexOf(')');
    const broken = await client.change(uri, 2, [{ range: { start: { line: 8, character: close }, end: { line: 8, character: close + 1 } }, text: '' }]);
    assert.ok(broken.some((d) => d.code === 'ort-graph-optimization' && d.range.start.line === 14), 'the other function is still checked');
    const repaired = await client.change(uri, 3, [{ range: { start: { line: 8, character: close }, end: { line: 8, character: close } }, text: ')' }]);
    assert.deepEqual(key(text, repaired), key(text, ok));
    await client.close(uri);
  });

  test('a 5,000-line file: every block reported, an edit in the middle re-analyses one function, results equal a fresh open', async () => {
    const big = bigScript(5000);
    assert.ok(big.text.split('\n').length >= 5000);
    const uri = 'file:///work/big.py';
    let t0 = performance.now();
    const d = await client.open(uri, big.text);
    const openMs = performance.now() - t0;
    assert.equal(d.length, big.blocks * FINDINGS_PER_BLOCK);
    // Type a character in the middle block's docstring.
    const line = big.middleDocLine;
    const col = big.text.split('\n')[line]!.indexOf('accuracy');
    t0 = performance.now();
    const d2 = await client.change(uri, 2, [{ range: { start: { line, character: col }, end: { line, character: col } }, text: 'x' }]);
    const editMs = performance.now() - t0;
    assert.equal(d2.length, d.length);
    // Add a finding at the end of the file, then check against a fresh open.
    const lines = big.text.split('\n').length;
    const addition = '\n\ndef late_export(model, x):\n    torch.onnx.export(model, x, "late.onnx", input_names=["x"], output_names=["y"], opset_version=17)\n';
    const d3 = await client.change(uri, 3, [{ range: { start: { line: lines - 1, character: 0 }, end: { line: lines - 1, character: 0 } }, text: addition }]);
    assert.equal(d3.length, d.length + 1);
    const final = applyLspEdits(applyLspEdits(big.text, [{ range: { start: { line, character: col }, end: { line, character: col } }, newText: 'x' }]), [{ range: { start: { line: lines - 1, character: 0 }, end: { line: lines - 1, character: 0 } }, newText: addition }]);
    assert.deepEqual(key(final, d3), key(final, await fresh(final)));
    console.log(`5,000-line file: open ${openMs.toFixed(0)} ms, edit → diagnostics ${editMs.toFixed(0)} ms (timings: npm run bench -- lint)`);
    await client.close(uri);
  });

  test('rule levels from settings: off removes a rule, error raises it; a suggestion at warning becomes a diagnostic', async () => {
    const text = read('export_bert.py');
    const uri = 'file:///work/levels.py';
    const d = await client.open(uri, text);
    assert.deepEqual(d.map((x) => [x.code, x.severity]).sort(), [['onnx-export-dynamic-axes', 2], ['onnx-export-opset', 2]]);
    await client.configure({ inferenceLens: { lint: { rules: { 'onnx-export-opset': 'off', 'onnx-export-dynamic-axes': 'error', 'onnx-quantize-dynamic': 'warning' } } } });
    const levels = () => client.latest(uri)!.diagnostics.map((x) => [x.code, x.severity]).sort();
    await until('diagnostics with the new levels', () => levels().length === 2 && levels()[1]![0] === 'onnx-quantize-dynamic');
    assert.deepEqual(levels(), [['onnx-export-dynamic-axes', 1], ['onnx-quantize-dynamic', 2]]);
    // A bad setting is reported, not applied.
    await client.configure({ inferenceLens: { lint: { rules: { 'no-such-rule': 'off', 'onnx-export-opset': 'loud' } } } });
    await until('the settings problems', () => client.logs.some((l) => /onnx-export-opset.*loud/.test(l)));
    assert.ok(client.logs.some((l) => /unknown rule 'no-such-rule'/.test(l)));
    assert.ok(client.logs.some((l) => /onnx-export-opset.*loud/.test(l)));
    await client.configure({ inferenceLens: { lint: {} } });
    await client.close(uri);
  });

  test('code actions without versioned-edit support come as plain changes', async () => {
    const plain = await LspClient.start({ vscodeLike: false });
    try {
      const text = read('ort_session.py');
      const uri = 'file:///work/plain.py';
      const d = await plain.open(uri, text);
      const diag = d.find((x) => x.code === 'ort-providers')!;
      const actions = await plain.codeActions(uri, diag.range, [diag]);
      const a = actions.find((x) => x.title === 'Use CUDA with CPU fallback')!;
      assert.ok(a.edit?.changes?.[uri] && !a.edit.documentChanges);
      assert.equal(applyLspEdits(text, editsOf(a.edit, uri)), read('expected/ort_session.providers.py'));
    } finally {
      await plain.stop();
    }
  });
});

describe('language server: CodeLens and hover with real profiles of the exported file', () => {
  let client: LspClient;
  let work: string;
  let cli: string;
  const script = () => path.join(work, 'export.py');
  const uri = () => pathToFileURL(script()).href;
  const SCRIPT = [
    'import torch',
    '',
    'model = torch.nn.Linear(4, 3)',
    'x = torch.randn(1, 4)',
    'torch.onnx.export(model, x, "models/mlp.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)',
    'torch.onnx.export(model, x, "models/other.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)',
    'torch.onnx.export(model, x, output_path, input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)',
    '',
  ].join('\n');

  before(async () => {
    cli = (await bundles()).cli;
    work = tmpDir('lsp-lens');
    fs.mkdirSync(path.join(work, 'models'));
    fs.writeFileSync(script(), SCRIPT);
    client = await LspClient.start({ initializationOptions: { runsDirs: [path.join(work, 'ext-runs')] }, workspaceFolders: [{ uri: pathToFileURL(work).href, name: 'w' }] });
    await client.open(uri(), SCRIPT);
  });
  after(async () => client?.stop());

  const profile = (model: string, extra: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'profile', model, '--iterations', '20', '--profiled-runs', '0', '--threads', '1', ...extra], { cwd: work, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    return parseRunFile(fs.readFileSync(path.resolve(work, /Saved (.+\.ilprof\.json)/.exec(r.stdout)![1]!), 'utf8')) as ReturnType<typeof parseRunFile> & { result: { latencyMs: { p50: number; p90: number; p99: number }; memory: { peakRssBytes: number } } };
  };

  const waitForRefresh = async (count: number) => {
    const deadline = Date.now() + 15_000;
    while (client.requestCount('workspace/codeLens/refresh') <= count) {
      if (Date.now() > deadline) throw new Error('the server never asked the client to refresh its CodeLenses');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  test('not exported yet, then exported: the lens profiles the file by its URI; a non-literal path asks', async () => {
    let lenses = await client.codeLens(uri());
    assert.equal(lenses.length, 3);
    assert.deepEqual(lenses.map((l) => l.range.start.line), [4, 5, 6]);
    assert.equal(lenses[0]!.command!.title, 'Profile exported model: not exported yet (models/mlp.onnx)');
    assert.equal(lenses[0]!.command!.command, '');
    assert.equal(lenses[2]!.command!.title, '$(pulse) Profile exported model…');
    assert.equal(lenses[2]!.command!.command, 'inferenceLens.profileModel');
    assert.equal(lenses[2]!.command!.arguments, undefined);
    const hover = await client.hover(uri(), { line: 4, character: 8 });
    assert.match((hover!.contents as { value: string }).value, /`models\/mlp\.onnx` is not exported yet/);

    fs.writeFileSync(path.join(work, 'models', 'mlp.onnx'), mlpModel().model);
    fs.writeFileSync(path.join(work, 'models', 'other.onnx'), mlpModel().model);
    // The editor's file watcher reports the new models: the server asks for the lenses again.
    const refreshes = client.requestCount('workspace/codeLens/refresh');
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(path.join(work, 'models', 'mlp.onnx')).href, type: 1 }] });
    await waitForRefresh(refreshes);
    lenses = await client.codeLens(uri());
    assert.equal(lenses[0]!.command!.title, '$(pulse) Profile exported model');
    assert.equal(lenses[0]!.command!.command, 'inferenceLens.profileModel');
    assert.deepEqual(lenses[0]!.command!.arguments, [pathToFileURL(path.join(work, 'models', 'mlp.onnx')).href]);
    const h = await client.hover(uri(), { line: 4, character: 12 });
    assert.match((h!.contents as { value: string }).value, /has not been profiled yet/);
  });

  test('a model written where no file watcher reports it (a folder the script just made): the server notices within seconds', async () => {
    const late = path.join(work, 'late.py');
    const text = 'import torch\nmodel = torch.nn.Linear(4, 2)\nx = torch.randn(1, 4)\ntorch.onnx.export(model, x, "fresh/late.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)\n';
    fs.writeFileSync(late, text);
    const lateUri = pathToFileURL(late).href;
    await client.open(lateUri, text);
    assert.equal((await client.codeLens(lateUri))[0]!.command!.title, 'Profile exported model: not exported yet (fresh/late.onnx)');
    const refreshes = client.requestCount('workspace/codeLens/refresh');
    fs.mkdirSync(path.join(work, 'fresh'));
    fs.writeFileSync(path.join(work, 'fresh', 'late.onnx'), mlpModel().model);
    await waitForRefresh(refreshes); // no didChangeWatchedFiles sent
    assert.equal((await client.codeLens(lateUri))[0]!.command!.title, '$(pulse) Profile exported model');
  });

  test('after real ONNX Runtime runs (runs folder from the client, and the CLI default in the workspace) the lens and hover show their numbers', async () => {
    const refreshes = client.requestCount('workspace/codeLens/refresh');
    const ext = profile('models/mlp.onnx', ['--out-dir', 'ext-runs']);
    await waitForRefresh(refreshes);
    const other = profile('models/other.onnx', []); // saved in <workspace>/.inference-lens/runs
    const lenses = await client.codeLens(uri());
    const expectTitle = (r: typeof ext) => `$(pulse) Profile exported model · last p50 ${formatMs(r.result.latencyMs.p50)} ms · peak ${formatBytes(r.result.memory.peakRssBytes)}`;
    assert.equal(lenses[0]!.command!.title, expectTitle(ext));
    assert.equal(lenses[1]!.command!.title, expectTitle(other));
    const hover = (await client.hover(uri(), { line: 4, character: 0 }))!;
    const md = (hover.contents as { value: string }).value;
    assert.match(md, /last profile of `models\/mlp\.onnx` \(CPU, /);
    assert.ok(md.includes(`latency p50 / p90 / p99: ${formatMs(ext.result.latencyMs.p50)} / ${formatMs(ext.result.latencyMs.p90)} / ${formatMs(ext.result.latencyMs.p99)} ms`), md);
    assert.ok(md.includes(`peak memory: ${formatBytes(ext.result.memory.peakRssBytes)} RSS`), md);
    assert.deepEqual(hover.range, { start: { line: 4, character: 0 }, end: { line: 4, character: 17 } });
    // A newer run of the same model replaces the numbers.
    const newer = profile('models/mlp.onnx', ['--out-dir', 'ext-runs', '--iterations', '30']);
    const again = await client.codeLens(uri());
    assert.equal(again[0]!.command!.title, expectTitle(newer));
  });

  test('an unsaved (untitled) script: the lens asks to save it first', async () => {
    const u = 'untitled:Untitled-1';
    await client.open(u, SCRIPT);
    const lenses = await client.codeLens(u);
    assert.equal(lenses[0]!.command!.title, 'Profile exported model: save the script first');
    await client.close(u);
  });
});
