/**
 * The profiler panel: one webview panel per source — ONNX Runtime's raw profile of a run (with the
 * run's metrics), or a trace file (torch.profiler/Kineto JSON, .json.gz, an ORT profile). The trace
 * is imported here with the streaming importer (progress and cancel in a notification), kept in
 * memory while the panel is open, and posted to the webview with its typed-array columns as they
 * are. Restored after a window reload from the source the webview keeps as its state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bestSourceMatch } from '../core/profile/source';
import type { Profile } from '../core/profile/types';
import { findTraceFiles, importTraceFile, isTraceError } from '../core/trace';
import { isProfilerToExtension, isProfilerWebviewState, type ProfileRun, type ProfilerSource, type ProfilerToWebview } from '../protocol/messages';
import { parseTorchResult, type TorchRunResult } from '../core/results/torch-run';
import type { Recommendations } from './optimize-commands';
import { readRun } from './profile-results';
import { webviewHtml } from './webview-html';

export const PROFILER_VIEW_TYPE = 'inferenceLens.profiler';

const keyOf = (s: ProfilerSource): string => (s.kind === 'run' ? `run:${s.runFilePath}` : s.kind === 'torch' ? `torch:${s.resultPath}` : `trace:${s.path}`);

/** What a source becomes once loaded: the trace file, its Profile, and the run when there is one. */
interface Loaded {
  readonly title: string;
  readonly file: string;
  readonly profile: Profile;
  readonly run?: ProfileRun;
  readonly torch?: TorchRunResult;
}

export class ProfilerPanels implements vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, ProfilerPanel>();
  private readonly webviewRoot: vscode.Uri;

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** Findings and Apply for run sources (src/extension/optimize-commands.ts). */
    private readonly recommendations?: Recommendations,
  ) {
    this.webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  }

  /** Shows the source in its panel (revealing it when already open). */
  open(source: ProfilerSource): void {
    const open = this.panels.get(keyOf(source));
    if (open) {
      open.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PROFILER_VIEW_TYPE, titleOf(source), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [this.webviewRoot],
    });
    this.attach(panel, source);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (!isProfilerWebviewState(state) || this.panels.has(keyOf(state.source))) {
      panel.dispose();
      return;
    }
    panel.title = titleOf(state.source);
    this.attach(panel, state.source);
  }

  private attach(panel: vscode.WebviewPanel, source: ProfilerSource): void {
    const key = keyOf(source);
    this.panels.set(key, new ProfilerPanel(panel, source, this.webviewRoot, this.log, () => this.panels.delete(key), this.recommendations));
  }
}

function titleOf(source: ProfilerSource): string {
  if (source.kind === 'run') return `Timeline: ${path.basename(source.runFilePath, '.ilprof.json')}`;
  if (source.kind === 'torch') return `Timeline: ${path.basename(path.dirname(source.resultPath))}`;
  return `Timeline: ${path.basename(source.path)}`;
}

class ProfilerPanel {
  private readonly disposables: vscode.Disposable[] = [];
  /** The import, started once when the webview first asks; shared by later handshakes (the webview reloads when shown again). */
  private loading: Promise<Loaded | undefined> | undefined;
  private readonly abort = new AbortController();
  private disposed = false;
  /** Why loading failed, re-sent when the webview asks again (it reloads when shown). */
  private failure: Extract<ProfilerToWebview, { type: 'error' }> | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly source: ProfilerSource,
    webviewRoot: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    onDispose: () => void,
    private readonly recommendations?: Recommendations,
  ) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, name)).toString();
    webview.html = webviewHtml({ title: panel.title, cspSource: webview.cspSource, styles: [asset('codicon.css'), asset('profiler.css')], script: asset('profiler.js') });
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (!isProfilerToExtension(message)) return;
        if (message.type === 'ready') this.send().catch((e: unknown) => this.log.error(`Profiler panel (${keyOf(this.source)}): could not send the profile:`, e));
        else if (message.type === 'openSource') void this.openSource();
        else if (message.type === 'applyFix') {
          if (this.source.kind === 'run') void this.recommendations?.apply(this.source.runFilePath, message.findingId);
        } else if (message.type === 'revealInModel') void this.revealInModel(message.node);
        else void goToSource(message.file, message.line, this.log);
      }),
      panel.onDidDispose(() => {
        this.disposed = true;
        this.abort.abort();
        onDispose();
        for (const d of this.disposables) d.dispose();
      }),
    );
  }

  /** Posts to the webview unless the panel is gone (an import may finish after the user closed it). */
  private async post(message: ProfilerToWebview): Promise<void> {
    if (this.disposed) return;
    await this.panel.webview.postMessage(message);
  }

  private async send(): Promise<void> {
    this.loading ??= this.load().catch((e: unknown) => {
      const cancelled = isTraceError(e) && e.code === 'cancelled';
      if (!cancelled) this.log.error(`Profiler panel (${keyOf(this.source)}):`, e);
      this.failure = cancelled
        ? { type: 'error', message: 'The import was cancelled.', hint: 'Close this panel, or open the trace again.' }
        : { type: 'error', message: e instanceof Error ? e.message : String(e), hint: hintOf(e) };
      return undefined;
    });
    const loaded = await this.loading;
    if (this.failure) await this.post(this.failure);
    else if (loaded) {
      const findings = loaded.run && this.recommendations ? await this.recommendations.findingsFor(loaded.run).catch(() => undefined) : undefined;
      await this.post({
        ...(findings?.length ? { findings } : {}),
        type: 'profile',
        title: loaded.title,
        source: this.source,
        profile: loaded.profile,
        ...(loaded.run ? { run: loaded.run } : {}),
        ...(loaded.torch ? { torch: loaded.torch } : {}),
      });
    }
  }

  private async load(): Promise<Loaded> {
    let file: string;
    let run: ProfileRun | undefined;
    let torch: TorchRunResult | undefined;
    let title: string;
    if (this.source.kind === 'run') {
      const r = readRun(this.source.runFilePath);
      if (!('run' in r)) throw Object.assign(new Error(r.message), { hint: r.hint });
      if (!r.run.ortProfile) throw new Error('This run has no ORT profile (it was made with 0 profiled runs): set inferenceLens.profile.profiledRuns above 0 and profile again.');
      run = r.run;
      file = path.join(path.dirname(this.source.runFilePath), r.run.ortProfile);
      title = `${r.run.model.name} on ${r.run.result.ep.toUpperCase()}`;
    } else if (this.source.kind === 'torch') {
      torch = readTorchResult(this.source.resultPath);
      file = torch.traces[0]!;
      title = `${path.basename(torch.script)}${torch.function ? ` ${torch.function}()` : ''} on ${torch.deviceName}`;
    } else {
      file = await pickTraceFile(this.source.path);
      title = path.basename(file);
    }
    void this.post({ type: 'loading', message: `Importing ${path.basename(file)}…` });
    const profile = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Importing ${path.basename(file)}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => this.abort.abort());
        let shown = 0;
        return importTraceFile(file, {
          signal: this.abort.signal,
          onProgress: (p) => {
            const at = p.totalBytes > 0 ? (100 * p.bytesRead) / p.totalBytes : 0;
            const message = `${(p.bytesRead / 2 ** 20).toFixed(0)} of ${(p.totalBytes / 2 ** 20).toFixed(0)} MiB, ${p.events.toLocaleString()} events`;
            progress.report({ message, increment: Math.max(0, at - shown) });
            shown = Math.max(shown, at);
            void this.post({ type: 'loading', message: `Importing ${path.basename(file)}: ${message}` });
          },
        });
      },
    );
    return { title, file, profile, ...(run ? { run } : {}), ...(torch ? { torch } : {}) };
  }

  /** The model of a run is known (the run file names it); for a bare ORT profile the command asks for it. */
  private async revealInModel(node: string): Promise<void> {
    const loaded = await this.loading;
    const model = loaded?.run?.model.path;
    await vscode.commands.executeCommand('inferenceLens.revealInModel', model ? vscode.Uri.file(model) : undefined, node);
  }

  private async openSource(): Promise<void> {
    if (this.source.kind === 'run') await vscode.window.showTextDocument(vscode.Uri.file(this.source.runFilePath), { preview: false });
    else if (this.source.kind === 'torch') await vscode.window.showTextDocument(vscode.Uri.file(this.source.resultPath), { preview: false });
    // Trace files can be huge: show them in the Explorer rather than in a text editor.
    else await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(this.source.path));
  }
}

/** A harness run's result.json, checked; throws with a hint when it is unreadable or has no trace. */
function readTorchResult(resultPath: string): TorchRunResult {
  let text: string;
  try {
    text = fs.readFileSync(resultPath, 'utf8');
  } catch (e) {
    throw Object.assign(new Error(`Cannot read ${resultPath}: ${(e as Error).message}`), { hint: 'The run folder was moved or deleted; profile the script again.' });
  }
  const parsed = parseTorchResult(text);
  if (!('result' in parsed)) throw Object.assign(new Error(parsed.message), { hint: 'Profile the script again with this version of Inference Lens.' });
  if (!parsed.result.traces.length) throw Object.assign(new Error('This PyTorch run recorded no trace.'), { hint: 'Profile again with more active steps.' });
  return parsed.result;
}

function hintOf(e: unknown): string {
  const hint = (e as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' && hint ? hint : 'Details are in the Inference Lens output channel.';
}

/**
 * Opens a source location recorded in a trace: the file itself when it exists here, else the
 * workspace file with the same name sharing the longest path tail (traces are often recorded on
 * another machine or in a container).
 */
export async function goToSource(file: string, line: number, log: vscode.LogOutputChannel): Promise<void> {
  let target: vscode.Uri | undefined;
  if (path.isAbsolute(file) && fs.existsSync(file)) target = vscode.Uri.file(file);
  else {
    const base = file.split(/[\\/]/).pop()!;
    const found = await vscode.workspace.findFiles(`**/${base.replace(/[[\]{}*?]/g, '?')}`, '**/node_modules/**', 200);
    const best = bestSourceMatch(file, found.map((u) => u.fsPath));
    target = best ? vscode.Uri.file(best) : undefined;
  }
  if (!target) {
    void vscode.window.showWarningMessage(`Inference Lens: ${file} (line ${line}) is not in this workspace. Open the folder that holds the code the trace was recorded from.`);
    return;
  }
  log.info(`Go to source: ${file}:${line} → ${target.fsPath}`);
  const position = new vscode.Position(line - 1, 0);
  await vscode.window.showTextDocument(target, { selection: new vscode.Range(position, position), preview: true });
}

/** A trace file as given, or the one chosen among a TensorBoard log folder's traces. */
async function pickTraceFile(p: string): Promise<string> {
  const stat = await vscode.workspace.fs.stat(vscode.Uri.file(p));
  if (stat.type !== vscode.FileType.Directory) return p;
  const files = await findTraceFiles(p);
  if (files.length === 0) throw new Error(`No *.pt.trace.json or *.pt.trace.json.gz files in ${p}.`);
  if (files.length === 1) return files[0]!;
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: path.basename(f), description: path.relative(p, path.dirname(f)) || undefined, file: f })),
    { title: `Traces in ${path.basename(p)}`, placeHolder: 'One trace per worker: choose which to open' },
  );
  if (!picked) throw Object.assign(new Error('No trace chosen.'), { hint: 'Open the folder again and choose a trace.' });
  return picked.file;
}

/** `Inference Lens: Open Trace…`: from the Explorer (a file or a log folder) or an open dialog. */
export async function openTraceCommand(panels: ProfilerPanels, clicked?: unknown): Promise<void> {
  let target = clicked instanceof vscode.Uri ? clicked : undefined;
  if (!target) {
    const chosen = await vscode.window.showOpenDialog({
      title: 'Open a profiler trace (torch.profiler/Kineto JSON, .json.gz, ONNX Runtime profile) or a TensorBoard log folder',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      filters: { 'Trace JSON': ['json', 'gz'] },
      openLabel: 'Open Trace',
      ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
    });
    target = chosen?.[0];
  }
  if (!target) return;
  if (target.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Inference Lens reads traces from the local file system; '${target.scheme}:' is not supported.`);
    return;
  }
  panels.open({ kind: 'trace', path: target.fsPath });
}
