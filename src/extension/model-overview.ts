/**
 * The model editor: a read-only custom editor for `.onnx` files with two tabs. The Overview tab shows
 * the summary the extension host reads lazily (weights stay on disk); the Graph tab asks for the
 * model graph, built in a worker thread (cancellable), with the static cost and the measured time
 * of the newest profile run, and reads one initializer's bytes on demand for its statistics.
 * Failures are shown in the panel with a hint, never thrown at the user.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GraphTiming } from '../core/graph/types';
import { weightStatistics, WeightStatsError } from '../core/graph/weights';
import { isOnnxError, readModel, summarizeModel, walkGraphs } from '../core/onnx';
import { isWebviewToExtension, type ExtensionToWebview } from '../protocol/messages';
import { buildGraphInWorker, GraphBuildError, isCancelled, type GraphBuild } from '../runner/graph-client';
import { timingFor } from './graph-runs';
import { activeTabModel, pickModel } from './open-model';
import { formKey, parseDims, type ProfileForm } from './profile-command';
import { goToSource } from './profiler-panel';
import { webviewHtml } from './webview-html';

export const MODEL_OVERVIEW_VIEW_TYPE = 'inferenceLens.modelOverview';

/** Small models read in tens of milliseconds: show the cancellable notification only for slow reads. */
const PROGRESS_DELAY_MS = 400;
/** Exporters write a model in several chunks: wait for the writes to settle before reading again. */
const RELOAD_DEBOUNCE_MS = 300;

/** What the model editor needs from the rest of the extension. */
export interface ModelEditorEnv {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** Folders holding profile runs (`.ilprof.json`): the workspace storage's, the CLI's in the workspace. */
  runFolders(): string[];
  /** The dims last typed in Profile Model… for this model, if any. */
  rememberedDims(modelPath: string): Record<string, number> | undefined;
}

/** Where profile runs of a workspace live: the extension's storage and the CLI's `.inference-lens/runs`. */
export function runFoldersOf(runsFolder: string): () => string[] {
  return () => [runsFolder, ...(vscode.workspace.workspaceFolders ?? []).map((f) => path.join(f.uri.fsPath, '.inference-lens', 'runs'))];
}

/** The remembered Profile Model… dims of a model, from the workspace state. */
export function rememberedDimsOf(state: vscode.Memento): (modelPath: string) => Record<string, number> | undefined {
  return (modelPath) => {
    const form = state.get<ProfileForm>(formKey(modelPath));
    return form ? parseDims(form.dims).dims : undefined;
  };
}

export class ModelOverviewProvider implements vscode.CustomReadonlyEditorProvider {
  private readonly open = new Map<string, Set<ModelOverviewPanel>>();
  /** Nodes to reveal in editors being opened (by model URI). */
  private readonly pendingReveal = new Map<string, string>();

  constructor(private readonly env: ModelEditorEnv) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const key = document.uri.toString();
    const reveal = this.pendingReveal.get(key);
    this.pendingReveal.delete(key);
    const p = new ModelOverviewPanel(document.uri, panel, vscode.Uri.joinPath(this.env.extensionUri, 'dist', 'webview'), this.env, reveal, () => this.open.get(key)?.delete(p));
    const set = this.open.get(key) ?? new Set();
    set.add(p);
    this.open.set(key, set);
  }

  /** Opens the model's editor (or brings an open one forward) on the Graph tab with `node` selected. */
  async reveal(uri: vscode.Uri, node: string): Promise<void> {
    const panels = [...(this.open.get(uri.toString()) ?? [])];
    const target = panels.find((p) => p.panel.active) ?? panels[0];
    if (target) {
      target.panel.reveal();
      target.reveal(node);
      return;
    }
    this.pendingReveal.set(uri.toString(), node);
    await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_OVERVIEW_VIEW_TYPE);
  }
}

/**
 * `Inference Lens: Reveal in Model…`: opens a model's editor on the Graph tab with a node selected.
 * From the profiler panel it gets the model and the node (ORT names nodes as the model does); from
 * the palette it asks for the model (the active one first) and offers its nodes.
 */
export async function revealInModelCommand(provider: ModelOverviewProvider, log: vscode.LogOutputChannel, model?: unknown, node?: unknown): Promise<void> {
  let uri = model instanceof vscode.Uri ? model : typeof model === 'string' && model ? vscode.Uri.file(model) : (activeTabModel() ?? (await pickModel('Reveal in Model', { placeHolder: 'Choose the model that holds the node' })));
  if (!uri) return;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Inference Lens reads models from the local file system; '${uri.scheme}:' is not supported.`);
    return;
  }
  let name = typeof node === 'string' && node ? node : undefined;
  if (!name) {
    let items: vscode.QuickPickItem[];
    try {
      const m = await readModel(uri.fsPath);
      items = [];
      walkGraphs(m.graph, (g) => {
        for (const n of g.nodes) if (n.name) items.push({ label: n.name, description: n.domain ? `${n.domain}.${n.opType}` : n.opType });
      });
    } catch (e) {
      log.warn(`Reveal in Model: could not read ${uri.fsPath}:`, e);
      void vscode.window.showErrorMessage(`Inference Lens could not read ${path.basename(uri.fsPath)}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} has no named nodes to reveal.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(items, { title: `Reveal in ${path.basename(uri.fsPath)}`, placeHolder: 'Type a node name or op type', matchOnDescription: true });
    name = picked?.label;
  }
  if (!name) return;
  uri = vscode.Uri.file(uri.fsPath);
  await provider.reveal(uri, name);
}

/** A cancellable notification shown only when `work` takes longer than PROGRESS_DELAY_MS. */
function slowProgress(title: string, work: Promise<unknown>, abort: AbortController): void {
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      return work.then(
        () => undefined,
        () => undefined,
      );
    });
  }, PROGRESS_DELAY_MS);
  void work.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
}

class ModelOverviewPanel {
  /** The answer for the webview, kept so a webview reload (after being hidden) gets it at once. */
  private result: Promise<ExtensionToWebview> | undefined;
  private abort: AbortController | undefined;
  /** The graph, built once when the Graph tab first asks (again after the file changes). */
  private graph: Promise<GraphBuild> | undefined;
  private graphAbort: AbortController | undefined;
  private graphWanted = false;
  private ready = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statsAbort = new AbortController();

  constructor(
    private readonly uri: vscode.Uri,
    readonly panel: vscode.WebviewPanel,
    webviewRoot: vscode.Uri,
    private readonly env: ModelEditorEnv,
    private pendingReveal: string | undefined,
    onDispose: () => void,
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, name)).toString();
    webview.html = webviewHtml({
      title: path.basename(uri.fsPath),
      cspSource: webview.cspSource,
      styles: [asset('codicon.css'), asset('overview.css')],
      script: asset('overview.js'),
      // The Graph tab's layout runs in a web worker (dist/webview/graph-layout-worker.js).
      workers: true,
    });

    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (!isWebviewToExtension(message)) return;
        switch (message.type) {
          case 'ready':
            this.ready = true;
            void this.send();
            if (this.pendingReveal !== undefined) {
              void this.post({ type: 'reveal', node: this.pendingReveal });
              this.pendingReveal = undefined;
            }
            break;
          case 'retry':
            this.result = undefined;
            this.graph = undefined;
            void this.send();
            break;
          case 'loadGraph':
            this.graphWanted = true;
            void this.sendGraph();
            break;
          case 'weightStats':
            void this.sendWeightStats(message.tensor);
            break;
          case 'goToSource':
            void goToSource(message.file, message.line, this.env.log);
            break;
          case 'profileModel':
            void vscode.commands.executeCommand('inferenceLens.profileModel', this.uri);
            break;
        }
      }),
      panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
    );

    if (uri.scheme === 'file') {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)));
      const reload = (): void => {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => {
          this.result = undefined;
          this.graphAbort?.abort();
          this.graph = undefined;
          void this.send();
          if (this.graphWanted) void this.sendGraph();
        }, RELOAD_DEBOUNCE_MS);
      };
      this.disposables.push(watcher, watcher.onDidChange(reload), watcher.onDidCreate(reload));
      // A new profile run of this model: refresh the time overlay.
      for (const folder of env.runFolders()) {
        const runs = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*.ilprof.json'));
        this.disposables.push(runs, runs.onDidCreate(() => void this.refreshTiming()), runs.onDidChange(() => void this.refreshTiming()));
      }
    }
  }

  /** Selects `node` in the Graph tab (now when the webview listens, else after its handshake). */
  reveal(node: string): void {
    if (this.ready) void this.post({ type: 'reveal', node });
    else this.pendingReveal = node;
  }

  private async post(message: ExtensionToWebview): Promise<void> {
    if (!this.disposed) await this.panel.webview.postMessage(message);
  }

  private async send(): Promise<void> {
    const result = (this.result ??= this.load());
    const message = await result;
    // A newer read (retry, file changed) supersedes this one: only the current answer is shown.
    if (!this.disposed && this.result === result) await this.post(message);
  }

  private unsupported(): ExtensionToWebview & { type: 'error' } {
    return {
      type: 'error',
      code: 'unsupported',
      message: `Inference Lens reads models from the local file system; '${this.uri.scheme}:' resources are not supported.`,
      hint: 'Copy the model into a local folder and open it from there.',
    };
  }

  private async load(): Promise<ExtensionToWebview> {
    if (this.uri.scheme !== 'file') return this.unsupported();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const work = summarizeModel(this.uri.fsPath, { signal: abort.signal });
    slowProgress(`Inference Lens: reading ${path.basename(this.uri.fsPath)}`, work, abort);
    try {
      return { type: 'summary', summary: await work };
    } catch (e) {
      if (isOnnxError(e)) return { type: 'error', code: e.code, message: e.message, hint: e.hint };
      this.env.log.error(`Model overview of ${this.uri.fsPath} failed:`, e);
      return {
        type: 'error',
        code: 'internal',
        message: e instanceof Error ? e.message : String(e),
        hint: "This is a bug in Inference Lens. Details are in the 'Inference Lens' output channel; please report them.",
      };
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  private buildGraph(): Promise<GraphBuild> {
    this.graphAbort?.abort();
    const abort = new AbortController();
    this.graphAbort = abort;
    const workerPath = vscode.Uri.joinPath(this.env.extensionUri, 'dist', 'graph-worker.js').fsPath;
    const work = buildGraphInWorker(workerPath, { modelPath: this.uri.fsPath, dims: this.env.rememberedDims(this.uri.fsPath) ?? {} }, abort.signal);
    slowProgress(`Building the graph of ${path.basename(this.uri.fsPath)}`, work, abort);
    void work.then(
      (g) => {
        this.env.log.info(`Graph of ${this.uri.fsPath}: ${g.graph.nodes.count} nodes, ${g.graph.groups.count} groups in ${Math.round(g.millis)} ms`);
        if (g.warning) this.env.log.warn(g.warning);
      },
      () => undefined,
    );
    return work;
  }

  private timing(built: GraphBuild): { timing?: GraphTiming; timingNote?: string } {
    try {
      const t = timingFor(built.graph, this.uri.fsPath, this.env.runFolders());
      return { ...(t.timing ? { timing: t.timing } : {}), ...(t.note ? { timingNote: t.note } : {}) };
    } catch (e) {
      this.env.log.warn(`Could not read the profile runs of ${this.uri.fsPath}:`, e);
      return { timingNote: 'The profile runs could not be read; details are in the Inference Lens output channel.' };
    }
  }

  private async sendGraph(): Promise<void> {
    if (this.uri.scheme !== 'file') {
      const u = this.unsupported();
      await this.post({ type: 'graphError', message: u.message, hint: u.hint });
      return;
    }
    const graph = (this.graph ??= this.buildGraph());
    try {
      const built = await graph;
      if (this.graph !== graph) return;
      await this.post({ type: 'graph', graph: built.graph, ...(built.cost ? { cost: built.cost } : {}), ...this.timing(built) });
    } catch (e) {
      if (this.graph !== graph) return;
      this.graph = undefined;
      if (isCancelled(e)) {
        await this.post({ type: 'graphError', message: 'Building the graph was cancelled.', hint: 'Switch to the Overview tab and back to Graph, or reopen the model, to build it again.' });
        return;
      }
      if (!(e instanceof GraphBuildError) || e.code === 'internal') this.env.log.error(`Graph of ${this.uri.fsPath} failed:`, e instanceof GraphBuildError ? `${e.message}\n${e.detail ?? ''}` : e);
      const hint = e instanceof GraphBuildError && e.hint ? e.hint : "This is a bug in Inference Lens. Details are in the 'Inference Lens' output channel; please report them.";
      await this.post({ type: 'graphError', message: e instanceof Error ? e.message : String(e), hint });
    }
  }

  /** A new profile run appeared: send the new times for the graph already shown. */
  private async refreshTiming(): Promise<void> {
    const graph = this.graph;
    if (!this.graphWanted || !graph) return;
    try {
      const built = await graph;
      if (this.graph === graph) await this.post({ type: 'graphTiming', ...this.timing(built) });
    } catch {
      /* the build failed: the Graph tab shows why */
    }
  }

  private async sendWeightStats(tensor: number): Promise<void> {
    try {
      const built = await (this.graph ??= this.buildGraph());
      const t = built.tensors[tensor];
      if (!t) {
        await this.post({ type: 'weightStats', tensor, error: 'This tensor is not in the model any more (it changed on disk); reopen the graph.' });
        return;
      }
      const abort = new AbortController();
      const onDispose = (): void => abort.abort();
      this.statsAbort.signal.addEventListener('abort', onDispose);
      const work = weightStatistics(this.uri.fsPath, t, tensor, { signal: abort.signal });
      slowProgress(`Reading the weights of ${t.name}`, work, abort);
      try {
        await this.post({ type: 'weightStats', tensor, stats: await work });
      } finally {
        this.statsAbort.signal.removeEventListener('abort', onDispose);
      }
    } catch (e) {
      const message = e instanceof WeightStatsError || isOnnxError(e) || e instanceof GraphBuildError ? e.message : `Could not read the tensor: ${e instanceof Error ? e.message : String(e)}`;
      if (!(e instanceof WeightStatsError) && !isCancelled(e)) this.env.log.error(`Weight statistics of tensor ${tensor} in ${this.uri.fsPath}:`, e);
      await this.post({ type: 'weightStats', tensor, error: message });
    }
  }

  private dispose(): void {
    this.disposed = true;
    this.abort?.abort();
    this.graphAbort?.abort();
    this.statsAbort.abort();
    clearTimeout(this.reloadTimer);
    for (const d of this.disposables) d.dispose();
  }
}
