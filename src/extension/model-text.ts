/**
 * "Show Model as Text" and "Compare Models": a model in ONNX's textual syntax (weights elided) as a
 * read-only virtual document of language onnx-text, and VS Code's diff editor on two of them with
 * the structural difference (ops, dtypes, shapes, sizes) one click away.
 *
 * Documents live under the `inference-lens-text:` scheme: `/dir/model.onnxtxt?model=<file path>` for
 * a model's text, `/dir/a-vs-b.md?a=<path>&b=<path>` for a comparison summary (Markdown). Their
 * content is rendered on demand (cached while open, refreshed when the model file changes), so a
 * window reload restores them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withHint } from '../core/format';
import { compareModels, isOnnxError, modelText, readModel, type ModelDiff, type OnnxModel } from '../core/onnx';
import { diffHeadline, diffMarkdown } from '../core/onnx/diff-report';
import { FileSource } from '../core/onnx/wire';
import { activeTabModel, isOnnx, pickModel } from './open-model';

export const MODEL_TEXT_SCHEME = 'inference-lens-text';

/** Reads shorter than this show no notification. */
const PROGRESS_DELAY_MS = 400;
const RELOAD_DEBOUNCE_MS = 300;

/** The text document of a model: `inference-lens-text:/dir/name.onnxtxt?model=/dir/name.onnx`. */
export function modelTextUri(model: vscode.Uri): vscode.Uri {
  const file = model.fsPath;
  const shown = file.replace(/\.onnx$/i, '') + '.onnxtxt';
  return vscode.Uri.from({ scheme: MODEL_TEXT_SCHEME, path: vscode.Uri.file(shown).path, query: new URLSearchParams({ model: file }).toString() });
}

function summaryUri(a: vscode.Uri, b: vscode.Uri): vscode.Uri {
  const stem = (u: vscode.Uri) => path.basename(u.fsPath).replace(/\.onnx$/i, '');
  const shown = path.join(path.dirname(b.fsPath), `${stem(a)}-vs-${stem(b)}.md`);
  return vscode.Uri.from({ scheme: MODEL_TEXT_SCHEME, path: vscode.Uri.file(shown).path, query: new URLSearchParams({ a: a.fsPath, b: b.fsPath }).toString() });
}

class Cancelled extends Error {}

/**
 * Runs `work` with an AbortSignal; after PROGRESS_DELAY_MS a notification with Cancel shows it.
 * `token` (VS Code's, e.g. the document was closed) cancels too.
 */
async function withCancellableProgress<T>(title: string, work: (signal: AbortSignal, report: (message: string) => void) => Promise<T>, token?: vscode.CancellationToken): Promise<T> {
  const abort = new AbortController();
  const sub = token?.onCancellationRequested(() => abort.abort());
  let report: (message: string) => void = () => undefined;
  const running = work(abort.signal, (m) => report(m));
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, t) => {
      t.onCancellationRequested(() => abort.abort());
      report = (message) => progress.report({ message });
      return running.then(
        () => undefined,
        () => undefined,
      );
    });
  }, PROGRESS_DELAY_MS);
  try {
    return await running;
  } catch (e) {
    if (abort.signal.aborted || (isOnnxError(e) && e.code === 'cancelled')) throw new Cancelled('Cancelled.');
    throw e;
  } finally {
    clearTimeout(timer);
    sub?.dispose();
  }
}

async function renderText(model: OnnxModel, signal: AbortSignal, report: (m: string) => void): Promise<string> {
  const src = FileSource.open(model.path);
  try {
    const t = await modelText(model, src, {
      signal,
      onProgress: (done, total) => report(`${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} nodes`),
    });
    return t.text;
  } finally {
    src.close();
  }
}

function errorText(file: string, e: unknown): string {
  const msg = isOnnxError(e) ? withHint(e.message, e.hint) : e instanceof Error ? e.message : String(e);
  return `# Inference Lens could not show ${file} as text.\n# ${msg.replace(/\n/g, '\n# ')}\n`;
}

/** Content of `inference-lens-text:` documents, cached while they are open. */
export class ModelTextProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly cache = new Map<string, Promise<string>>();
  private readonly watchers = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme !== MODEL_TEXT_SCHEME) return;
        this.cache.delete(d.uri.toString());
        const model = d.uri.query ? new URLSearchParams(d.uri.query).get('model') : null;
        if (model && !vscode.workspace.textDocuments.some((o) => o !== d && o.uri.scheme === MODEL_TEXT_SCHEME && new URLSearchParams(o.uri.query).get('model') === model)) {
          this.watchers.get(model)?.dispose();
          this.watchers.delete(model);
        }
      }),
    );
  }

  /** Renders (or returns the cached) text of a model; throws OnnxError / Cancelled. */
  modelText(file: string, token?: vscode.CancellationToken): Promise<string> {
    const key = modelTextUri(vscode.Uri.file(file)).toString();
    let p = this.cache.get(key);
    if (!p) {
      p = withCancellableProgress(
        `Inference Lens: reading ${path.basename(file)}`,
        async (signal, report) => renderText(await readModel(file, { signal }), signal, report),
        token,
      );
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
      this.watch(file);
    }
    return p;
  }

  /** Sets the summary document's content (a comparison computed by the command). */
  setSummary(uri: vscode.Uri, markdown: string): void {
    this.cache.set(uri.toString(), Promise.resolve(markdown));
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const model = q.get('model');
    try {
      if (model) return await this.modelText(model, token);
      const a = q.get('a');
      const b = q.get('b');
      if (a && b) {
        const cached = this.cache.get(uri.toString());
        if (cached) return await cached;
        // Restored after a reload: compare again.
        const p = withCancellableProgress(`Inference Lens: comparing ${path.basename(a)} and ${path.basename(b)}`, async (signal) => diffMarkdown(compareModels(await readModel(a, { signal }), await readModel(b, { signal }))), token);
        this.cache.set(uri.toString(), p);
        p.catch(() => this.cache.delete(uri.toString()));
        return await p;
      }
      return `# Not an Inference Lens document: ${uri.toString()}\n`;
    } catch (e) {
      if (e instanceof Cancelled) return `# Cancelled. Close this tab and run the command again.\n`;
      if (!isOnnxError(e)) this.log.error(`Rendering ${uri.toString()} failed:`, e);
      return errorText(model ?? uri.path, e);
    }
  }

  /** Re-renders the open documents of `file` when it changes (exporters write in several chunks: debounced). */
  private watch(file: string): void {
    if (this.watchers.has(file)) return;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    let timer: NodeJS.Timeout | undefined;
    const reload = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const uri = modelTextUri(vscode.Uri.file(file));
        this.cache.delete(uri.toString());
        this.changed.fire(uri);
      }, RELOAD_DEBOUNCE_MS);
    };
    const subs = [w, w.onDidChange(reload), w.onDidCreate(reload)];
    this.watchers.set(file, { dispose: () => (clearTimeout(timer), subs.forEach((s) => s.dispose())) });
  }

  dispose(): void {
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

function onnxUris(clicked: unknown, selection: unknown): vscode.Uri[] {
  const list = Array.isArray(selection) && selection.length ? selection : [clicked];
  return list.filter((u): u is vscode.Uri => u instanceof vscode.Uri && isOnnx(u));
}

function notLocal(uri: vscode.Uri): boolean {
  if (uri.scheme === 'file') return false;
  void vscode.window.showErrorMessage(`Inference Lens reads models from the local file system; '${uri.scheme}:' resources are not supported. Copy the model into a local folder and open it from there.`);
  return true;
}

function reportFailure(what: string, e: unknown, log: vscode.LogOutputChannel): void {
  if (e instanceof Cancelled) return;
  if (isOnnxError(e)) {
    void vscode.window.showErrorMessage(`Inference Lens: ${what}: ${withHint(e.message, e.hint)}`);
    return;
  }
  log.error(`${what} failed:`, e);
  void vscode.window.showErrorMessage(`Inference Lens: ${what} failed: ${e instanceof Error ? e.message : String(e)}. Details are in the 'Inference Lens' output channel.`);
}

/** Inference Lens: Show Model as Text — the Explorer's selection, the active model, or a pick. */
export async function showModelAsTextCommand(provider: ModelTextProvider, log: vscode.LogOutputChannel, clicked?: unknown, selection?: unknown): Promise<void> {
  const fromExplorer = onnxUris(clicked, selection);
  const uris = fromExplorer.length ? fromExplorer : [activeTabModel() ?? (await pickModel('Show Model as Text'))].filter((u): u is vscode.Uri => u !== undefined);
  for (const uri of uris) {
    if (notLocal(uri)) continue;
    try {
      // Rendered before the tab opens, so a model that cannot be read gives a message, not a tab.
      await provider.modelText(uri.fsPath);
      const doc = await vscode.workspace.openTextDocument(modelTextUri(uri));
      if (doc.languageId !== 'onnx-text') await vscode.languages.setTextDocumentLanguage(doc, 'onnx-text');
      await vscode.window.showTextDocument(doc, { preview: false });
    } catch (e) {
      reportFailure(`Show ${path.basename(uri.fsPath)} as text`, e, log);
    }
  }
}

/**
 * Inference Lens: Compare Models — two models selected in the Explorer; one clicked (then pick the
 * other); or from the palette the active model (or a pick) against a second pick. Opens the diff
 * editor on their texts and offers the structural summary in a notification.
 */
export async function compareModelsCommand(provider: ModelTextProvider, log: vscode.LogOutputChannel, clicked?: unknown, selection?: unknown): Promise<void> {
  const chosen = onnxUris(clicked, selection);
  let a: vscode.Uri | undefined = chosen[0] ?? activeTabModel();
  let b: vscode.Uri | undefined = chosen[1];
  if (chosen.length > 2) void vscode.window.showWarningMessage(`Inference Lens: Compare Models compares two models; comparing the first two of the ${chosen.length} selected.`);
  a ??= await pickModel('Compare Models (1 of 2)', { placeHolder: 'Choose the first model (A, the reference)' });
  if (!a) return;
  b ??= await pickModel(`Compare ${path.basename(a.fsPath)} with…`, { exclude: a, placeHolder: 'Choose the model to compare it with (B)' });
  if (!b || notLocal(a) || notLocal(b)) return;
  const [ua, ub] = [a, b];
  const [na, nb] = [path.basename(ua.fsPath), path.basename(ub.fsPath)];
  let diff: ModelDiff;
  try {
    diff = await withCancellableProgress(`Inference Lens: comparing ${na} and ${nb}`, async (signal) => {
      const [ma, mb] = [await readModel(ua.fsPath, { signal }), await readModel(ub.fsPath, { signal })];
      return compareModels(ma, mb);
    });
    await Promise.all([provider.modelText(ua.fsPath), provider.modelText(ub.fsPath)]);
  } catch (e) {
    reportFailure(`Compare ${na} and ${nb}`, e, log);
    return;
  }
  const title = `${na} ↔ ${nb}`;
  await vscode.commands.executeCommand('vscode.diff', modelTextUri(ua), modelTextUri(ub), title, { preview: false });
  const summary = summaryUri(ua, ub);
  provider.setSummary(summary, diffMarkdown(diff));
  const headline = diffHeadline(diff);
  log.info(`Compare Models ${ua.fsPath} ↔ ${ub.fsPath}: ${headline}`);
  const show = 'Show Summary';
  const choice = await vscode.window.showInformationMessage(`Inference Lens: ${title}: ${headline}`, show);
  if (choice === show) await showSummary(summary);
}

/** The summary as a Markdown preview beside the diff (or as text when the Markdown extension is off). */
async function showSummary(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
  } catch {
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }
}
