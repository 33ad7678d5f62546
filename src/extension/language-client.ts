/**
 * Starts the Python language server (dist/server.js, src/server/server.ts) for Python files:
 * lint diagnostics with quick fixes, "Profile exported model" CodeLens and profile hovers above
 * torch.onnx.export calls. Started on the first Python document (the extension also activates
 * on onLanguage:python), over Node IPC. Settings: inferenceLens.lint.rules (pushed to the server
 * when they change). No user code runs, so it works in untrusted workspaces too.
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

const isPython = (d: vscode.TextDocument): boolean => d.languageId === 'python' && (d.uri.scheme === 'file' || d.uri.scheme === 'untitled');

export function registerLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, runsDir: string): void {
  let client: LanguageClient | undefined;
  const start = (): void => {
    if (client) return;
    const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      // Settings, and model files appearing or going (the CodeLens says whether an export's file exists).
      synchronize: { configurationSection: 'inferenceLens.lint', fileEvents: vscode.workspace.createFileSystemWatcher('**/*.onnx') },
      initializationOptions: {
        lint: { rules: vscode.workspace.getConfiguration('inferenceLens.lint').get('rules') },
        runsDirs: [runsDir],
      },
      outputChannel: log,
      middleware: {
        // The server names the exported model by its file URI; Profile Model… takes a vscode.Uri.
        provideCodeLenses: async (document, token, next) => {
          const lenses = await next(document, token);
          for (const lens of lenses ?? []) {
            const cmd = lens.command;
            if (cmd?.command === 'inferenceLens.profileModel' && typeof cmd.arguments?.[0] === 'string') cmd.arguments = [vscode.Uri.parse(cmd.arguments[0])];
          }
          return lenses;
        },
      },
    };
    const c = new LanguageClient('inferenceLens.python', 'Inference Lens (Python)', serverOptions, clientOptions);
    client = c;
    c.start().catch((e: unknown) => {
      log.error('The Python language server did not start:', e);
      void vscode.window.showErrorMessage(`Inference Lens: the Python language server did not start (${e instanceof Error ? e.message : String(e)}). See the Inference Lens output.`);
    });
  };
  if (vscode.workspace.textDocuments.some(isPython)) start();
  else {
    const waiting = vscode.workspace.onDidOpenTextDocument((d) => {
      if (!isPython(d)) return;
      waiting.dispose();
      start();
    });
    context.subscriptions.push(waiting);
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}
