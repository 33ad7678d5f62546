/**
 * The profile results panel: one webview panel per run file (`.ilprof.json`), restored after a
 * window reload from the run file path the webview keeps as its state; the run history (the run
 * files in this workspace's storage) and the Chrome trace export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes, formatMs, withHint } from '../core/format';
import { parseRunFile, RunFileError } from '../core/results/run-file';
import { isProfileRun, isProfileToExtension, isProfileWebviewState, type ProfileRun, type ProfileToExtension, type ProfileToWebview } from '../protocol/messages';
import { exportChromeTrace } from '../runner/profile-model';
import type { Recommendations } from './optimize-commands';
import { webviewHtml } from './webview-html';

export const PROFILE_RESULTS_VIEW_TYPE = 'inferenceLens.profileResults';

const RUN_FILE_SUFFIX = '.ilprof.json';
const PERFETTO = 'https://ui.perfetto.dev';

/** Where runs are saved: this workspace's storage, or the global storage without a workspace. */
export function runsDir(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'runs').fsPath;
}

/** Reads and checks a run file; the error says what is wrong and what to do. */
export function readRun(runFilePath: string): { run: ProfileRun } | { message: string; hint: string } {
  let text: string;
  try {
    text = fs.readFileSync(runFilePath, 'utf8');
  } catch (e) {
    const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      message: gone ? `The run file ${runFilePath} no longer exists.` : `Could not read ${runFilePath}: ${(e as Error).message}`,
      hint: 'Profile the model again (Inference Lens: Profile Model…) or pick another run (Inference Lens: Show Profile History).',
    };
  }
  try {
    const run: unknown = parseRunFile(text, path.basename(runFilePath));
    if (isProfileRun(run)) return { run };
    return { message: `${path.basename(runFilePath)} is not a complete ONNX Runtime profile run.`, hint: 'It may have been edited or written by another tool; profile the model again.' };
  } catch (e) {
    if (e instanceof RunFileError) return { message: e.message, hint: 'Profile the model again with this version of Inference Lens.' };
    throw e;
  }
}

export class ProfileResults implements vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, ResultsPanel>();
  private readonly webviewRoot: vscode.Uri;

  constructor(
    extensionUri: vscode.Uri,
    private readonly runsFolder: string,
    private readonly log: vscode.LogOutputChannel,
    /** Opens the profiler panel (timeline and tables) on a run's ORT profile. */
    private readonly openTimeline: (runFilePath: string) => void,
    /** Findings with Apply in the header (src/extension/optimize-commands.ts). */
    private readonly recommendations?: Recommendations,
  ) {
    this.webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  }

  /** Shows a run in its panel, revealing the panel when that run is already open. */
  show(runFilePath: string): void {
    const open = this.panels.get(runFilePath);
    if (open) {
      open.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PROFILE_RESULTS_VIEW_TYPE, this.title(runFilePath), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [this.webviewRoot],
    });
    this.attach(panel, runFilePath);
  }

  /** After a window reload VS Code hands back the panel and the state its webview saved. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isProfileWebviewState(state) || this.panels.has(state.runFilePath)) {
      // Closed before its run was shown, or a duplicate: nothing to restore.
      panel.dispose();
      return;
    }
    panel.title = this.title(state.runFilePath);
    this.attach(panel, state.runFilePath);
  }

  /** `Inference Lens: Export Chrome Trace…` from the palette: the active results panel's run. */
  async exportActiveTrace(): Promise<void> {
    const active = [...this.panels.values()].find((p) => p.panel.active);
    if (!active) {
      void vscode.window.showInformationMessage('Export Chrome Trace works on a profile result: open one first (Inference Lens: Show Profile History).');
      return;
    }
    await active.exportTrace();
  }

  /** `Inference Lens: Show Profile History`: the saved runs, newest first. */
  async showHistory(): Promise<void> {
    let names: string[];
    try {
      names = fs.readdirSync(this.runsFolder).filter((f) => f.endsWith(RUN_FILE_SUFFIX));
    } catch {
      names = [];
    }
    if (names.length === 0) {
      const profile = 'Profile Model…';
      const choice = await vscode.window.showInformationMessage('No profile runs in this workspace yet.', profile);
      if (choice === profile) await vscode.commands.executeCommand('inferenceLens.profileModel');
      return;
    }
    const runs = names
      .map((name) => {
        const file = path.join(this.runsFolder, name);
        let mtime = 0;
        try {
          mtime = fs.statSync(file).mtimeMs;
        } catch {
          /* removed meanwhile: listed as unreadable */
        }
        return { file, mtime };
      })
      .sort((a, b) => b.mtime - a.mtime);
    const items = runs.map(({ file, mtime }): vscode.QuickPickItem & { file: string } => {
      const r = readRun(file);
      if (!('run' in r)) return { file, label: `$(warning) ${path.basename(file)}`, description: 'unreadable', detail: r.message };
      const res = r.run.result;
      const when = new Date(r.run.createdAt || mtime).toLocaleString();
      const detail = [
        res.ep.toUpperCase() + (res.fallbackReason ? ` (requested ${res.requestedEp.toUpperCase()})` : ''),
        `p50 ${formatMs(res.latencyMs.p50)} ms`,
        `${res.throughput.inferencesPerSec.toFixed(1)} inferences/s`,
        res.decode ? `${res.decode.tokensPerSec.toFixed(1)} tokens/s` : undefined,
        `peak RSS ${formatBytes(res.memory.peakRssBytes)}`,
      ].filter((s) => s !== undefined);
      return { file, label: `$(pulse) ${r.run.model.name}`, description: when, detail: detail.join(' · ') };
    });
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Profile History',
      placeHolder: `${items.length} run${items.length === 1 ? '' : 's'}, newest first`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked) this.show(picked.file);
  }

  private title(runFilePath: string): string {
    return `Profile: ${path.basename(runFilePath, RUN_FILE_SUFFIX)}`;
  }

  private attach(panel: vscode.WebviewPanel, runFilePath: string): void {
    this.panels.set(runFilePath, new ResultsPanel(panel, runFilePath, this.webviewRoot, this.log, this.openTimeline, () => this.panels.delete(runFilePath), this.recommendations));
  }
}

class ResultsPanel {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly runFilePath: string,
    webviewRoot: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly openTimeline: (runFilePath: string) => void,
    onDispose: () => void,
    private readonly recommendations?: Recommendations,
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, name)).toString();
    webview.html = webviewHtml({
      title: panel.title,
      cspSource: webview.cspSource,
      styles: [asset('codicon.css'), asset('profile.css')],
      script: asset('profile.js'),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (!isProfileToExtension(message)) return;
        this.handle(message).catch((e: unknown) => {
          this.log.error(`Profile results (${this.runFilePath}): '${message.type}' failed:`, e);
          void vscode.window.showErrorMessage(`Inference Lens: ${e instanceof Error ? e.message : String(e)}`);
        });
      }),
      panel.onDidDispose(() => {
        onDispose();
        for (const d of this.disposables) d.dispose();
      }),
    );
  }

  private async handle(m: ProfileToExtension): Promise<void> {
    switch (m.type) {
      case 'ready': {
        // Read on every handshake: the webview reloads after being hidden, and the file may have changed.
        const r = readRun(this.runFilePath);
        const findings = 'run' in r && this.recommendations ? await this.recommendations.findingsFor(r.run).catch(() => undefined) : undefined;
        const message: ProfileToWebview = 'run' in r ? { type: 'run', runFilePath: this.runFilePath, run: r.run, ...(findings?.length ? { findings } : {}) } : { type: 'error', ...r };
        await this.panel.webview.postMessage(message);
        break;
      }
      case 'applyFix':
        await this.recommendations?.apply(this.runFilePath, m.findingId);
        break;
      case 'exportTrace':
        await this.exportTrace();
        break;
      case 'openTimeline':
        this.openTimeline(this.runFilePath);
        break;
      case 'openRunFile':
        await vscode.window.showTextDocument(vscode.Uri.file(this.runFilePath), { preview: false });
        break;
      case 'openOrtProfile': {
        const run = this.run();
        if (run?.ortProfile) await vscode.window.showTextDocument(vscode.Uri.file(path.join(path.dirname(this.runFilePath), run.ortProfile)), { preview: false });
        break;
      }
    }
  }

  private run(): ProfileRun | undefined {
    const r = readRun(this.runFilePath);
    if ('run' in r) return r.run;
    void vscode.window.showErrorMessage(`Inference Lens: ${withHint(r.message, r.hint)}`);
    return undefined;
  }

  /** Save dialog, then ORT's raw profile of this run as a Chrome trace JSON (Perfetto opens it). */
  async exportTrace(): Promise<void> {
    const run = this.run();
    if (!run) return;
    if (!run.ortProfile) {
      void vscode.window.showWarningMessage('This run has no ORT profile to export (it was made with 0 profiled runs). Set inferenceLens.profile.profiledRuns above 0 and profile again.');
      return;
    }
    const name = path.basename(this.runFilePath, RUN_FILE_SUFFIX) + '.trace.json';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(this.runFilePath));
    const target = await vscode.window.showSaveDialog({
      title: 'Export Chrome Trace',
      defaultUri: vscode.Uri.joinPath(folder, name),
      filters: { 'Chrome trace JSON': ['json'] },
      saveLabel: 'Export',
    });
    if (!target) return;
    if (target.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Inference Lens writes traces to the local file system; '${target.scheme}:' is not supported.`);
      return;
    }
    exportChromeTrace(run, this.runFilePath, target.fsPath);
    const open = 'Open Perfetto';
    const choice = await vscode.window.showInformationMessage(`Chrome trace saved to ${path.basename(target.fsPath)}. Open it in Perfetto (${PERFETTO}) or chrome://tracing.`, open);
    if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(PERFETTO));
  }
}
