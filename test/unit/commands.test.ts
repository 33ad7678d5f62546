/**
 * Commands are declared twice: under `contributes.commands` in package.json (title, category) and
 * in the COMMANDS table of src/extension/extension.ts (handler). Both lists must match, every
 * command must carry the "Inference Lens" category, and every menu entry must name a command.
 * Reads the source text: the extension module imports `vscode`, which only exists inside VS Code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/fixtures';

interface Contributes {
  readonly commands: readonly { readonly command: string; readonly title: string; readonly category?: string }[];
  readonly menus?: Readonly<Record<string, readonly { readonly command: string; readonly when?: string }[]>>;
}

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { contributes: Contributes };
const contributed = pkg.contributes.commands;

/** The ids in the `const COMMANDS ... = { ... };` table of extension.ts. */
function tableIds(): string[] {
  const src = fs.readFileSync(path.join(REPO, 'src', 'extension', 'extension.ts'), 'utf8');
  const m = /const COMMANDS\b[^\n]*?=\s*\{\n([\s\S]*?)\n\};/.exec(src);
  assert.ok(m, 'src/extension/extension.ts has a `const COMMANDS = { ... };` table');
  return [...m[1]!.matchAll(/^\s*'([\w.]+)'\s*:/gm)].map((x) => x[1]!);
}

test('the COMMANDS table is found and lists ids', () => {
  const ids = tableIds();
  assert.ok(ids.length >= 1);
  assert.equal(new Set(ids).size, ids.length, 'no id twice');
  for (const id of ids) assert.match(id, /^inferenceLens\.[a-zA-Z][a-zA-Z0-9]*$/);
});

test('every contributed command has the "Inference Lens" category, a title, and a handler in COMMANDS', () => {
  const ids = new Set(tableIds());
  for (const c of contributed) {
    assert.equal(c.category, 'Inference Lens', `${c.command}: category`);
    assert.ok(c.title.trim().length > 0, `${c.command}: title`);
    assert.ok(ids.has(c.command), `${c.command} is contributed but has no handler in COMMANDS (src/extension/extension.ts)`);
  }
});

test('every COMMANDS id is contributed in package.json', () => {
  const declared = new Set(contributed.map((c) => c.command));
  for (const id of tableIds()) assert.ok(declared.has(id), `${id} has a handler but is missing from contributes.commands in package.json`);
});

test('menus name contributed commands only', () => {
  const declared = new Set(contributed.map((c) => c.command));
  for (const [menu, items] of Object.entries(pkg.contributes.menus ?? {})) {
    for (const item of items) assert.ok(declared.has(item.command), `${menu} lists ${item.command}, which is not contributed`);
  }
});

test('Profile Model… is offered from the palette, the Explorer on .onnx files and the model overview title bar', () => {
  const menus = pkg.contributes.menus ?? {};
  assert.ok(contributed.some((c) => c.command === 'inferenceLens.profileModel' && c.title === 'Profile Model…'));
  assert.ok(!(menus.commandPalette ?? []).some((i) => i.command === 'inferenceLens.profileModel' && i.when === 'false'), 'not hidden from the palette');
  assert.ok((menus['explorer/context'] ?? []).some((i) => i.command === 'inferenceLens.profileModel' && i.when === 'resourceExtname == .onnx'));
  assert.ok((menus['editor/title'] ?? []).some((i) => i.command === 'inferenceLens.profileModel' && i.when === 'activeCustomEditorId == inferenceLens.modelOverview'));
});

test('the optimize commands are offered on .onnx files: palette, Explorer context menu, model overview title bar', () => {
  const menus = pkg.contributes.menus ?? {};
  for (const [id, title] of [
    ['inferenceLens.quantizeInt8', 'Quantize to INT8…'],
    ['inferenceLens.convertFp16', 'Convert to FP16…'],
    ['inferenceLens.makeAxesDynamic', 'Make Axes Dynamic…'],
    ['inferenceLens.optimizeGraph', 'Optimize Graph…'],
    ['inferenceLens.compareWith', 'Compare With…'],
  ] as const) {
    assert.ok(contributed.some((c) => c.command === id && c.title === title), `${id} titled ${title}`);
    assert.ok(!(menus.commandPalette ?? []).some((i) => i.command === id && i.when === 'false'), `${id} not hidden from the palette`);
    assert.ok((menus['explorer/context'] ?? []).some((i) => i.command === id && i.when === 'resourceExtname == .onnx'), `${id} in the Explorer on .onnx`);
    assert.ok((menus['editor/title'] ?? []).some((i) => i.command === id && i.when === 'activeCustomEditorId == inferenceLens.modelOverview'), `${id} in the overview title bar`);
  }
});
