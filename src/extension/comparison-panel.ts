/**
 * The comparison view: one webview panel per comparison file (`.ilcmp.json`) — the numerical check
 * of B against A, the before/after metrics, per-operator deltas, what changed — restored after a
 * window reload from the file path its webview keeps as its state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ComparisonFileError, parseComparisonFile, type ComparisonFile } from '../core/compare/comparison';
import { withHint } from '../core/format';
import { isComparisonFile, isComparisonToExtension, isComparisonWebviewState, type ComparisonToExtension, type ComparisonToWebview } from '../protocol/messages';
import { MODEL_OVERVIEW_VIEW_TYPE } from './model-overview';
import { webviewHtml } from './webview-html';

export const COMPARISON_VIEW_TYPE = 'inferenceLens.comparison';

/** Reads and checks a comparison file; the error says what is wrong and what to do. */
export function readComparison(file: string): { comparison: ComparisonFile } | { message: string; hint: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return { message: gone ? `The comparison file ${file} no longer exists.` : `Could not read ${file}: ${(e as Error).message}`, hint: 'Run the comparison again (Inference Lens: Compare With…).' };
  }
  try {
    const c: unknown = parseComparisonFile(text, path.basename(file));
    if (isComparisonFile(c)) return { comparison: c };
    return { message: `${path.basename(file)} is not a complete comparison.`, hint: 'It may have been edited or written by another version; run the comparison again.' };
  } catch (e) {
    if (e instanceof ComparisonFileError) return { message: e.message, hint: 'Run the comparison again with this version of Inference Lens.' };
    throw e;
  }
}

export class ComparisonPanels implements vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly webviewRoot: vscode.Uri;

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** Opens a profile run's results panel. */
    private readonly openRun: (runFilePath: string) => void,
  ) {
    this.webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  }

  show(filePath: string): void {
    const open = this.panels.get(filePath);
    if (open) {
      open.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARISON_VIEW_TYPE, titleOf(filePath), vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [this.webviewRoot] });
    this.attach(panel, filePath);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isComparisonWebviewState(state) || this.panels.has(state.filePath)) {
      panel.dispose();
      return;
    }
    panel.title = titleOf(state.filePath);
    this.attach(panel, state.filePath);
  }

  private attach(panel: vscode.WebviewPanel, filePath: string): void {
    this.panels.set(filePath, panel);
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [this.webviewRoot] };
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, name)).toString();
    webview.html = webviewHtml({ title: panel.title, cspSource: webview.cspSource, styles: [asset('codicon.css'), asset('compare.css')], script: asset('compare.js') });
    let disposed = false;
    const subscription = webview.onDidReceiveMessage((message: unknown) => {
      if (!isComparisonToExtension(message)) return;
      this.handle(message, filePath, (m) => (disposed ? Promise.resolve(false) : panel.webview.postMessage(m))).catch((e: unknown) => {
        this.log.error(`Comparison (${filePath}): '${message.type}' failed:`, e);
        void vscode.window.showErrorMessage(`Inference Lens: ${e instanceof Error ? e.message : String(e)}`);
      });
    });
    panel.onDidDispose(() => {
      disposed = true;
      subscription.dispose();
      this.panels.delete(filePath);
    });
  }

  private async handle(message: ComparisonToExtension, filePath: string, post: (m: ComparisonToWebview) => Thenable<boolean>): Promise<void> {
    if (message.type === 'ready') {
      const r = readComparison(filePath);
      await post('comparison' in r ? { type: 'comparison', filePath, comparison: r.comparison } : { type: 'error', ...r });
      return;
    }
    if (message.type === 'openComparisonFile') {
      await vscode.window.showTextDocument(vscode.Uri.file(filePath), { preview: false });
      return;
    }
    const r = readComparison(filePath);
    if (!('comparison' in r)) {
      void vscode.window.showErrorMessage(`Inference Lens: ${withHint(r.message, r.hint)}`);
      return;
    }
    const model = r.comparison[message.which];
    switch (message.type) {
      case 'openModel':
        if (!fs.existsSync(model.path)) {
          void vscode.window.showWarningMessage(`Inference Lens: ${model.path} no longer exists.`);
          return;
        }
        await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(model.path), MODEL_OVERVIEW_VIEW_TYPE);
        break;
      case 'revealModel':
        await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(model.path));
        break;
      case 'openRun': {
        const run = r.comparison.runs?.[message.which];
        if (!run) {
          void vscode.window.showInformationMessage('This comparison did not profile the models.');
          return;
        }
        this.openRun(path.join(path.dirname(filePath), run));
        break;
      }
    }
  }
}

function titleOf(filePath: string): string {
  const base = path.basename(filePath, '.ilcmp.json').replace(/-\d{8}-\d{6}(-\d+)?$/, '');
  return `Compare: ${base.replace('-vs-', ' → ')}`;
}
