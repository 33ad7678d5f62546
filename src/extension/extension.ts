/** Extension entry point: registers the custom editors, the results panels and the commands. The only layer that imports `vscode`. */
import * as vscode from 'vscode';
import { COMPARISON_VIEW_TYPE, ComparisonPanels } from './comparison-panel';
import { MODEL_OVERVIEW_VIEW_TYPE, ModelOverviewProvider, rememberedDimsOf, revealInModelCommand, runFoldersOf } from './model-overview';
import { Optimizer } from './optimize-commands';
import { registerLanguageClient } from './language-client';
import { compareModelsCommand, MODEL_TEXT_SCHEME, ModelTextProvider, showModelAsTextCommand } from './model-text';
import { openModelOverview } from './open-model';
import { profileModelCommand } from './profile-command';
import { PROFILE_RESULTS_VIEW_TYPE, ProfileResults, runsDir } from './profile-results';
import { openTraceCommand, PROFILER_VIEW_TYPE, ProfilerPanels } from './profiler-panel';
import { profileTorchScriptCommand } from './torch-command';

/** What command handlers may use, created once in `activate`. */
interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly results: ProfileResults;
  readonly profiler: ProfilerPanels;
  /** Transformations, verification and comparisons (the .onnx commands and the recommendations' Apply). */
  readonly optimizer: Optimizer;
  /** The `inference-lens-text:` documents (model as text, comparison summaries). */
  readonly modelText: ModelTextProvider;
  /** What the user's Python scripts print while they are profiled. */
  readonly torchOutput: vscode.OutputChannel;
  /** The model editor (Overview and Graph tabs), for Reveal in Model. */
  readonly modelEditor: ModelOverviewProvider;
}

/**
 * Every command, in one place: id → handler (called with the services, then VS Code's arguments).
 * Each id must also be listed under `contributes.commands` in package.json (title and category
 * "Inference Lens" live there); test/unit/commands.test.ts checks both directions.
 */
const COMMANDS: Readonly<Record<string, (services: Services, ...args: unknown[]) => unknown>> = {
  'inferenceLens.openModelOverview': (_s, clicked, selection) => openModelOverview(clicked, selection),
  'inferenceLens.profileModel': (s, clicked, selection) => profileModelCommand(s.context, s.results, s.log, clicked, selection),
  'inferenceLens.showProfileHistory': (s) => s.results.showHistory(),
  'inferenceLens.exportChromeTrace': (s) => s.results.exportActiveTrace(),
  'inferenceLens.openTrace': (s, clicked) => openTraceCommand(s.profiler, clicked),
  'inferenceLens.showModelAsText': (s, clicked, selection) => showModelAsTextCommand(s.modelText, s.log, clicked, selection),
  'inferenceLens.compareModels': (s, clicked, selection) => compareModelsCommand(s.modelText, s.log, clicked, selection),
  'inferenceLens.quantizeInt8': (s, clicked, selection) => s.optimizer.quantizeInt8(clicked, selection),
  'inferenceLens.convertFp16': (s, clicked, selection) => s.optimizer.convertFp16(clicked, selection),
  'inferenceLens.makeAxesDynamic': (s, clicked, selection) => s.optimizer.makeAxesDynamic(clicked, selection),
  'inferenceLens.optimizeGraph': (s, clicked, selection) => s.optimizer.optimizeGraph(clicked, selection),
  'inferenceLens.compareWith': (s, clicked, selection) => s.optimizer.compareWith(clicked, selection),
  'inferenceLens.profileTorchScript': (s, clicked) => profileTorchScriptCommand(s.context, s.profiler, s.log, s.torchOutput, clicked),
  'inferenceLens.revealInModel': (s, model, node) => revealInModelCommand(s.modelEditor, s.log, model, node),
};

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Inference Lens', { log: true });
  // The comparison view opens results panels, the results and profiler panels offer the optimizer's fixes.
  const comparisons = new ComparisonPanels(context.extensionUri, log, (runFilePath) => results.show(runFilePath));
  const optimizer = new Optimizer(context, log, comparisons);
  const profiler = new ProfilerPanels(context.extensionUri, log, optimizer);
  const results = new ProfileResults(context.extensionUri, runsDir(context), log, (runFilePath) => profiler.open({ kind: 'run', runFilePath }), optimizer);
  const torchOutput = vscode.window.createOutputChannel('Inference Lens: PyTorch');
  const modelText = new ModelTextProvider(log);
  const modelEditor = new ModelOverviewProvider({ extensionUri: context.extensionUri, log, runFolders: runFoldersOf(runsDir(context)), rememberedDims: rememberedDimsOf(context.workspaceState) });
  const services: Services = { context, log, results, profiler, optimizer, torchOutput, modelText, modelEditor };
  context.subscriptions.push(
    log,
    torchOutput,
    vscode.window.registerCustomEditorProvider(MODEL_OVERVIEW_VIEW_TYPE, modelEditor, {
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.window.registerWebviewPanelSerializer(PROFILE_RESULTS_VIEW_TYPE, results),
    vscode.window.registerWebviewPanelSerializer(PROFILER_VIEW_TYPE, profiler),
    vscode.window.registerWebviewPanelSerializer(COMPARISON_VIEW_TYPE, comparisons),
    modelText,
    vscode.workspace.registerTextDocumentContentProvider(MODEL_TEXT_SCHEME, modelText),
    ...Object.entries(COMMANDS).map(([id, handler]) => vscode.commands.registerCommand(id, (...args: unknown[]) => handler(services, ...args))),
  );
  registerLanguageClient(context, log, runsDir(context));
}
