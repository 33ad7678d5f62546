/**
 * `Inference Lens: Open Model Overview`: from the Explorer, the active tab, or a pick of the workspace's
 * models. The model-finding helpers are shared with the other model commands (Profile Model…).
 */
import * as vscode from 'vscode';
import { MODEL_OVERVIEW_VIEW_TYPE } from './model-overview';

export const isOnnx = (uri: vscode.Uri): boolean => uri.path.toLowerCase().endsWith('.onnx');

/**
 * From the Explorer context menu VS Code passes the clicked resource and the whole selection;
 * from the palette, no arguments.
 */
export async function openModelOverview(clicked?: unknown, selection?: unknown): Promise<void> {
  const fromExplorer = (Array.isArray(selection) ? selection : [clicked]).filter((u): u is vscode.Uri => u instanceof vscode.Uri && isOnnx(u));
  const uris = fromExplorer.length ? fromExplorer : [(activeTabModel() ?? (await pickModel('Open Model Overview')))].filter((u) => u !== undefined);
  for (const uri of uris) await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_OVERVIEW_VIEW_TYPE);
}

/** The model in the active editor tab (the overview or a text editor on a .onnx), if any. */
export function activeTabModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri && isOnnx(uri) ? uri : undefined;
}

/**
 * Asks which of the workspace's models (or, with none, which file); `title` names the command.
 * `opts.exclude` leaves a model out of the list (the one already chosen), `opts.placeHolder` says what to pick.
 */
export async function pickModel(title: string, opts: { readonly exclude?: vscode.Uri; readonly placeHolder?: string } = {}): Promise<vscode.Uri | undefined> {
  const all = vscode.workspace.workspaceFolders ? await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 2000) : [];
  const found = opts.exclude ? all.filter((u) => u.toString() !== opts.exclude!.toString()) : all;
  if (found.length === 0) {
    const chosen = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
      openLabel: title,
      title: 'No .onnx files in this workspace: choose a model',
    });
    return chosen?.[0];
  }
  const items = found
    .map((uri) => ({ uri, label: uri.path.slice(uri.path.lastIndexOf('/') + 1), description: vscode.workspace.asRelativePath(uri, true) }))
    .sort((a, b) => a.description.localeCompare(b.description));
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: opts.placeHolder ?? 'Choose an ONNX model',
    matchOnDescription: true,
  });
  return picked?.uri;
}
