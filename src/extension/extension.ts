/** Extension entry point: registers the custom editors and the commands. The only layer that imports `vscode`. */
import * as vscode from 'vscode';
import { MODEL_OVERVIEW_VIEW_TYPE, ModelOverviewProvider } from './model-overview';
import { openModelOverview } from './open-model';

/**
 * Every command, in one place: id → handler. Each id must also be listed under
 * `contributes.commands` in package.json (title and category "Inference Lens" live there).
 */
const COMMANDS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  'inferenceLens.openModelOverview': openModelOverview,
};

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Inference Lens', { log: true });
  context.subscriptions.push(
    log,
    vscode.window.registerCustomEditorProvider(MODEL_OVERVIEW_VIEW_TYPE, new ModelOverviewProvider(context.extensionUri, log), {
      supportsMultipleEditorsPerDocument: true,
    }),
    ...Object.entries(COMMANDS).map(([id, handler]) => vscode.commands.registerCommand(id, handler)),
  );
}
