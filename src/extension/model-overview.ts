/**
 * The Model Overview: a read-only custom editor for `.onnx` files. The extension host reads the
 * model lazily (weights stay on disk) and posts the summary to the webview; failures are shown in
 * the panel with a hint, never thrown at the user.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isOnnxError, summarizeModel } from '../core/onnx';
import { isWebviewToExtension, type ExtensionToWebview } from '../protocol/messages';
import { webviewHtml } from './webview-html';

export const MODEL_OVERVIEW_VIEW_TYPE = 'inferenceLens.modelOverview';

/** Small models read in tens of milliseconds: show the cancellable notification only for slow reads. */
const PROGRESS_DELAY_MS = 400;
/** Exporters write a model in several chunks: wait for the writes to settle before reading again. */
const RELOAD_DEBOUNCE_MS = 300;

export class ModelOverviewProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    new ModelOverviewPanel(document.uri, panel, vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), this.log);
  }
}

class ModelOverviewPanel {
  /** The answer for the webview, kept so a webview reload (after being hidden) gets it at once. */
  private result: Promise<ExtensionToWebview> | undefined;
  private abort: AbortController | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    webviewRoot: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, name)).toString();
    webview.html = webviewHtml({
      title: path.basename(uri.fsPath),
      cspSource: webview.cspSource,
      styles: [asset('codicon.css'), asset('overview.css')],
      script: asset('overview.js'),
    });

    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (!isWebviewToExtension(message)) return;
        switch (message.type) {
          case 'ready':
            void this.send();
            break;
          case 'retry':
            this.result = undefined;
            void this.send();
            break;
        }
      }),
      panel.onDidDispose(() => this.dispose()),
    );

    if (uri.scheme === 'file') {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)));
      const reload = (): void => {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => {
          this.result = undefined;
          void this.send();
        }, RELOAD_DEBOUNCE_MS);
      };
      this.disposables.push(watcher, watcher.onDidChange(reload), watcher.onDidCreate(reload));
    }
  }

  private async send(): Promise<void> {
    const result = (this.result ??= this.load());
    const message = await result;
    // A newer read (retry, file changed) supersedes this one: only the current answer is shown.
    if (!this.disposed && this.result === result) await this.panel.webview.postMessage(message);
  }

  private async load(): Promise<ExtensionToWebview> {
    if (this.uri.scheme !== 'file') {
      return {
        type: 'error',
        code: 'unsupported',
        message: `Inference Lens reads models from the local file system; '${this.uri.scheme}:' resources are not supported.`,
        hint: 'Copy the model into a local folder and open it from there.',
      };
    }
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const name = path.basename(this.uri.fsPath);
    const work = summarizeModel(this.uri.fsPath, { signal: abort.signal });
    const progressTimer = setTimeout(() => {
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Inference Lens: reading ${name}`, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          return work.then(
            () => undefined,
            () => undefined,
          );
        },
      );
    }, PROGRESS_DELAY_MS);
    try {
      return { type: 'summary', summary: await work };
    } catch (e) {
      if (isOnnxError(e)) return { type: 'error', code: e.code, message: e.message, hint: e.hint };
      this.log.error(`Model overview of ${this.uri.fsPath} failed:`, e);
      return {
        type: 'error',
        code: 'internal',
        message: e instanceof Error ? e.message : String(e),
        hint: "This is a bug in Inference Lens. Details are in the 'Inference Lens' output channel; please report them.",
      };
    } finally {
      clearTimeout(progressTimer);
      if (this.abort === abort) this.abort = undefined;
    }
  }

  private dispose(): void {
    this.disposed = true;
    this.abort?.abort();
    clearTimeout(this.reloadTimer);
    for (const d of this.disposables) d.dispose();
  }
}
