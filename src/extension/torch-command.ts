/**
 * "Inference Lens: Profile PyTorch Script…": runs the user's Python script (or one function in it)
 * under torch.profiler through the shipped harness, with progress and Cancel (which kills the whole
 * process tree), then opens the trace in the profiler panel. Only in trusted workspaces: it runs
 * the user's code.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withHint } from '../core/format';
import { chooseInterpreter, isTorchRunError, listScriptFunctions, runTorchHarness, splitArgs, type TorchStepMode } from '../runner/torch-runner';
import { torchSettings } from './config';
import type { ProfilerPanels } from './profiler-panel';
import { runsDir } from './profile-results';

const LAST_CHOICE_KEY = 'inferenceLens.torch.lastChoice';

interface LastChoice {
  readonly steps: TorchStepMode;
  readonly args: string;
}

/** The Python extension's interpreter for `resource`, when it is installed and has one. */
async function pythonExtensionInterpreter(resource: vscode.Uri, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = (ext.isActive ? ext.exports : await ext.activate()) as {
      environments?: { getActiveEnvironmentPath?(r?: vscode.Uri): { path?: string } | undefined };
      settings?: { getExecutionDetails?(r?: vscode.Uri): { execCommand?: string[] } | undefined };
    };
    const env = api.environments?.getActiveEnvironmentPath?.(resource)?.path;
    if (env) return env;
    return api.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
  } catch (e) {
    log.warn('Profile PyTorch Script: the Python extension did not give an interpreter:', e);
    return undefined;
  }
}

function scriptOf(clicked: unknown): vscode.Uri | undefined {
  if (clicked instanceof vscode.Uri) return clicked;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && (doc.languageId === 'python' || doc.fileName.endsWith('.py'))) return doc.uri;
  return undefined;
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function profileTorchScriptCommand(
  context: vscode.ExtensionContext,
  profiler: ProfilerPanels,
  log: vscode.LogOutputChannel,
  output: vscode.OutputChannel,
  clicked?: unknown,
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const pick = await vscode.window.showWarningMessage(
      'Inference Lens: profiling runs your Python script, so it needs a trusted workspace.',
      'Manage Workspace Trust',
    );
    if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  let script = scriptOf(clicked);
  if (!script) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Profile PyTorch Script',
      openLabel: 'Profile',
      canSelectMany: false,
      filters: { Python: ['py'] },
      ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
    });
    script = picked?.[0];
    if (!script) return;
  }
  if (script.scheme !== 'file') {
    void vscode.window.showErrorMessage('Inference Lens: the script must be a file on this machine.');
    return;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === script!.toString());
  if (doc?.isDirty) await doc.save();

  const settings = torchSettings(script);
  const interpreter = chooseInterpreter({ pythonExtension: await pythonExtensionInterpreter(script, log), setting: settings.interpreter });
  log.info(`Profile PyTorch Script: ${script.fsPath} with ${interpreter.python} (${interpreter.source})`);
  const harness = vscode.Uri.joinPath(context.extensionUri, 'dist', 'torch_harness.py').fsPath;

  const fail = (e: unknown) => {
    if (isTorchRunError(e)) {
      if (e.code === 'cancelled') return;
      const actions = e.location ? ['Go to Error', 'Show Output'] : ['Show Output'];
      if (e.code === 'python-missing' || e.code === 'torch-missing') actions.unshift('Choose Interpreter');
      void vscode.window.showErrorMessage(`Inference Lens: ${withHint(e.message, e.hint)}`, ...actions).then(async (a) => {
        if (a === 'Show Output') output.show(true);
        else if (a === 'Go to Error' && e.location) {
          const pos = new vscode.Position(e.location.line - 1, 0);
          await vscode.window.showTextDocument(vscode.Uri.file(e.location.file), { selection: new vscode.Range(pos, pos) });
        } else if (a === 'Choose Interpreter') {
          const hasPythonExt = !!vscode.extensions.getExtension('ms-python.python');
          if (hasPythonExt) await vscode.commands.executeCommand('python.setInterpreter');
          else await vscode.commands.executeCommand('workbench.action.openSettings', 'inferenceLens.python.interpreter');
        }
      });
      return;
    }
    log.error('Profile PyTorch Script failed:', e);
    void vscode.window.showErrorMessage(`Inference Lens: profiling failed: ${(e as Error)?.message ?? String(e)}`);
  };

  // What to profile: the script (a step per model call, or everything), or one of its functions.
  let functions: Awaited<ReturnType<typeof listScriptFunctions>>;
  try {
    functions = await listScriptFunctions(interpreter.python, harness, script.fsPath);
  } catch (e) {
    fail(e);
    return;
  }
  const key = `${LAST_CHOICE_KEY}:${script.fsPath}`;
  const last = context.workspaceState.get<LastChoice>(key);
  type Item = vscode.QuickPickItem & { steps?: TorchStepMode };
  const items: Item[] = [
    { label: '$(play) Run the script', description: 'one profiler step per model call', detail: 'Each outermost nn.Module call is a step; the script is stopped once the schedule is done.', steps: { kind: 'forward' } },
    { label: '$(record) Run the script, record everything', description: 'no schedule', detail: 'The whole run is one window (for scripts without nn.Module calls, or to see start-up).', steps: { kind: 'none' } },
  ];
  const callable = functions.filter((f) => f.requiredArgs === 0 && !f.async);
  if (callable.length) items.push({ label: 'Functions', kind: vscode.QuickPickItemKind.Separator });
  for (const f of callable) items.push({ label: `$(symbol-function) ${f.name}()`, description: `line ${f.line}, called once per step`, ...(f.doc ? { detail: f.doc } : {}), steps: { kind: 'function', name: f.name } });
  const skipped = functions.filter((f) => f.requiredArgs > 0 || f.async);
  if (skipped.length) {
    items.push({ label: 'Not callable without arguments', kind: vscode.QuickPickItemKind.Separator });
    for (const f of skipped) items.push({ label: `$(circle-slash) ${f.name}`, description: f.async ? 'async' : `needs ${f.requiredArgs} argument(s)`, detail: 'Wrap it in a function without parameters to profile it.' });
  }
  const lastLabel = last ? items.find((i) => JSON.stringify(i.steps) === JSON.stringify(last.steps)) : undefined;
  if (lastLabel) lastLabel.picked = true;
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = `Profile ${path.basename(script.fsPath)} with ${interpreter.python}`;
  qp.placeholder = 'What to profile';
  qp.items = items;
  if (lastLabel) qp.activeItems = [lastLabel];
  const choice = await new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (!choice?.steps) {
    if (choice) void vscode.window.showInformationMessage(`Inference Lens: ${choice.label.replace(/^\$\([^)]*\) /, '')} needs arguments; wrap it in a function without parameters that builds them, then pick that.`);
    return;
  }
  let args = '';
  if (choice.steps.kind !== 'function') {
    const typed = await vscode.window.showInputBox({
      title: `Arguments for ${path.basename(script.fsPath)}`,
      prompt: 'Command-line arguments passed to the script (optional)',
      value: last?.args ?? '',
      placeHolder: '--batch-size 8',
    });
    if (typed === undefined) return;
    args = typed;
  }
  await context.workspaceState.update(key, { steps: choice.steps, args } satisfies LastChoice);

  const outDir = path.join(runsDir(context), 'torch', `${path.basename(script.fsPath, '.py')}-${stamp()}`);
  const cwd = vscode.workspace.getWorkspaceFolder(script)?.uri.fsPath ?? path.dirname(script.fsPath);
  output.appendLine(`\n> ${interpreter.python} ${path.basename(harness)} ${path.relative(cwd, script.fsPath)}${args ? ` ${args}` : ''}  (${choice.label.replace(/^\$\([^)]*\) /, '')})`);
  output.show(true);
  const steps = choice.steps;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Profiling ${path.basename(script.fsPath)}`, cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        let done = 0;
        progress.report({ message: `starting ${interpreter.python}…` });
        return runTorchHarness({
          python: interpreter.python,
          harness,
          script: script!.fsPath,
          scriptArgs: splitArgs(args),
          steps,
          schedule: settings.schedule,
          device: settings.device,
          outDir,
          cwd,
          withStack: settings.withStack,
          profileMemory: settings.profileMemory,
          recordShapes: settings.recordShapes,
          timeoutMs: settings.timeoutMs,
          signal: ac.signal,
          onOutput: (text) => output.append(text),
          onEvent: (e) => {
            if (e.event === 'start') progress.report({ message: `PyTorch ${e.torch} on ${e.device}` });
            else if (e.event === 'step') {
              const pct = e.of > 0 ? (100 * e.step) / e.of : 0;
              progress.report({ message: `step ${e.step}${e.of ? ` of ${e.of}` : ''} (${e.phase}), ${e.ms.toFixed(1)} ms`, increment: Math.max(0, pct - done) });
              done = Math.max(done, pct);
            } else if (e.event === 'trace') progress.report({ message: 'trace written' });
          },
        });
      },
    );
    output.appendLine(`Inference Lens: ${result.traces.length} trace(s) in ${outDir}`);
    profiler.open({ kind: 'torch', resultPath: path.join(outDir, 'result.json') });
  } catch (e) {
    fail(e);
  }
}
