/**
 * Fix, verify, compare — from the editor. The commands on `.onnx` files ("Quantize to INT8…",
 * "Convert to FP16…", "Make Axes Dynamic…", "Optimize Graph…", "Compare With…") and the
 * recommendations' "Apply" in the results and profiler panels all end here: the transformation
 * writes a new model next to the original (never over a file), both models run on the same inputs,
 * both are profiled with the same settings, and the comparison view opens. One cancellable
 * progress notification covers it all; every failure ends in a message, never a throw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseComparisonFile } from '../core/compare/comparison';
import { formatMs, withHint } from '../core/format';
import { isOnnxError, summarizeModel, type ModelSummary } from '../core/onnx';
import { isOptimizeError, parseDimChange, type DimChange } from '../core/optimize';
import { fixTitle, recommend, suggestDynamicAxes, type Finding } from '../core/recommend';
import type { OrtRunFile } from '../core/results/ort-run';
import { applyTransform, specOfFix, specTitle, type TransformSpec } from '../runner/apply-transform';
import { compareModels, type CompareModelsRequest, type CompareStep } from '../runner/compare-models';
import { OrtRunError } from '../runner/ort-client';
import type { FromWorker } from '../runner/ort-protocol';
import { isTransformRunError } from '../runner/transform-client';
import type { ProfileRun } from '../protocol/messages';
import type { ComparisonPanels } from './comparison-panel';
import { profileSettings } from './config';
import { activeTabModel, isOnnx, pickModel } from './open-model';
import { formKey, parseDecode, parseDims, withFreeDims, type ProfileForm } from './profile-command';
import { readRun, runsDir } from './profile-results';

/** How both models are run and profiled: the verification request and the profile settings. */
type CompareSettings = Pick<CompareModelsRequest, 'verify' | 'profile'> & { readonly timeoutMs: number };

/** What the results and profiler panels need: the findings for a run, and Apply. */
export interface Recommendations {
  findingsFor(run: ProfileRun): Promise<Finding[]>;
  apply(runFilePath: string, findingId: string): Promise<void>;
}

const DEFAULT_ITERATIONS = 100;

export class Optimizer implements Recommendations {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly comparisons: ComparisonPanels,
  ) {}

  private get workerPath(): string {
    return vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'ort-worker.js').fsPath;
  }

  private get transformWorkerPath(): string {
    return vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'transform-worker.js').fsPath;
  }

  // ---- recommendations ----

  /** The rules over the run and its model (read again: it may have changed), with the float baseline when this model was made by a transform. */
  async findingsFor(run: ProfileRun): Promise<Finding[]> {
    let summary: ModelSummary | undefined;
    try {
      summary = await summarizeModel(run.model.path);
    } catch (e) {
      this.log.info(`Recommendations for ${run.model.path} without the model (${e instanceof Error ? e.message : String(e)}).`);
    }
    const baseline = this.baselineFor(run.model.path);
    return recommend({ run, ...(summary ? { summary } : {}), ...(baseline ? { baseline } : {}) });
  }

  /** The profile of the model `modelPath` was made from, from the newest comparison that made it. */
  private baselineFor(modelPath: string): OrtRunFile | undefined {
    const dir = runsDir(this.context);
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.ilcmp.json'));
    } catch {
      return undefined;
    }
    for (const name of names.sort().reverse().slice(0, 100)) {
      try {
        const c = parseComparisonFile(fs.readFileSync(path.join(dir, name), 'utf8'));
        if (c.transform && c.b.path === modelPath && c.runs) {
          const r = readRun(path.join(dir, c.runs.a));
          if ('run' in r) return r.run;
        }
      } catch {
        // An unreadable comparison is no baseline.
      }
    }
    return undefined;
  }

  async apply(runFilePath: string, findingId: string): Promise<void> {
    const r = readRun(runFilePath);
    if (!('run' in r)) {
      void vscode.window.showErrorMessage(`Inference Lens: ${withHint(r.message, r.hint)}`);
      return;
    }
    const finding = (await this.findingsFor(r.run)).find((f) => f.id === findingId);
    if (!finding?.fix) {
      void vscode.window.showInformationMessage(finding ? `"${finding.title}" has no automatic fix; the evidence says where to look.` : 'This recommendation no longer applies to the model as it is now.');
      return;
    }
    if (!fs.existsSync(r.run.model.path)) {
      void vscode.window.showErrorMessage(`Inference Lens: ${r.run.model.path} no longer exists, so the fix cannot be applied.`);
      return;
    }
    this.log.info(`Apply "${fixTitle(finding.fix)}" (${finding.id}) to ${r.run.model.path}, settings of ${runFilePath}`);
    await this.transformAndCompare(r.run.model.path, specOfFix(finding.fix), settingsOfRun(r.run, profileSettings().timeoutMs));
  }

  // ---- commands ----

  async quantizeInt8(clicked?: unknown, selection?: unknown): Promise<void> {
    const uri = await this.model('Quantize to INT8', clicked, selection);
    if (!uri) return;
    const items = [
      { label: 'Per-tensor scales', description: 'one scale per weight tensor', detail: 'Dynamic INT8 quantization of the MatMul/Gemm weights (activations quantized at run time); what ONNX Runtime runs fastest on CPU.', perChannel: false },
      { label: 'Per-channel scales', description: 'one scale per output channel', detail: 'More accurate when the weight ranges differ a lot between channels; slightly larger.', perChannel: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Quantize ${path.basename(uri.fsPath)} to INT8`, placeHolder: 'Weight scales', ignoreFocusOut: true });
    if (!picked) return;
    await this.transformAndCompare(uri.fsPath, { kind: 'int8', options: { perChannel: picked.perChannel } }, this.settingsOfModel(uri));
  }

  async convertFp16(clicked?: unknown, selection?: unknown): Promise<void> {
    const uri = await this.model('Convert to FP16', clicked, selection);
    if (!uri) return;
    const items = [
      { label: 'Keep float32 inputs and outputs', description: 'Casts at the boundary', detail: 'Callers keep passing float32; the model computes in float16 inside.', keepIoFp32: true },
      { label: 'float16 inputs and outputs', description: 'no boundary Casts', detail: 'Callers must pass and read float16 tensors.', keepIoFp32: false },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Convert ${path.basename(uri.fsPath)} to FP16`, placeHolder: 'Inputs and outputs', ignoreFocusOut: true });
    if (!picked) return;
    await this.transformAndCompare(uri.fsPath, { kind: 'fp16', options: { keepIoFp32: picked.keepIoFp32 } }, this.settingsOfModel(uri));
  }

  async makeAxesDynamic(clicked?: unknown, selection?: unknown): Promise<void> {
    const uri = await this.model('Make Axes Dynamic', clicked, selection);
    if (!uri) return;
    const summary = await summarizeModel(uri.fsPath);
    const suggested = suggestDynamicAxes(summary).map((a) => `${a.value}:${a.axis}=${a.name}`);
    const shapes = [...summary.inputs, ...summary.outputs].map((i) => i.text).join(', ');
    const typed = await vscode.window.showInputBox({
      title: `Make axes of ${summary.file.name} dynamic`,
      prompt: `Axes to make symbolic, as name:axis=label separated by commas (${shapes})`,
      value: suggested.join(', '),
      placeHolder: 'input:0=batch, input_ids:1=sequence',
      ignoreFocusOut: true,
      validateInput: (line) => {
        const r = parseChanges(line);
        return 'error' in r ? r.error : undefined;
      },
    });
    if (typed === undefined) return;
    const r = parseChanges(typed);
    if ('error' in r) return;
    await this.transformAndCompare(uri.fsPath, { kind: 'dims', changes: r.changes }, this.settingsOfModel(uri));
  }

  async optimizeGraph(clicked?: unknown, selection?: unknown): Promise<void> {
    const uri = await this.model('Optimize Graph', clicked, selection);
    if (!uri) return;
    const ep = this.settingsOfModel(uri).verify.ep.toUpperCase();
    const items = [
      { label: 'all', description: 'fastest here; hardware-specific', detail: `Everything in extended plus layout optimizations for this machine's CPU and the ${ep} provider: use the model where it was made.`, level: 'all' as const },
      { label: 'extended', description: 'fusions; portable', detail: 'Basic plus fusions (attention, LayerNorm, GELU, MatMul+Add…) with ONNX Runtime contrib ops: runs anywhere ONNX Runtime does, same provider.', level: 'extended' as const },
      { label: 'basic', description: 'standard ONNX ops only', detail: 'Constant folding and redundant node removal: the result stays a plain ONNX model.', level: 'basic' as const },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Optimize the graph of ${path.basename(uri.fsPath)} with ONNX Runtime`, placeHolder: 'Optimization level to save the model at', ignoreFocusOut: true });
    if (!picked) return;
    await this.transformAndCompare(uri.fsPath, { kind: 'graph', level: picked.level }, this.settingsOfModel(uri));
  }

  async compareWith(clicked?: unknown, selection?: unknown): Promise<void> {
    const uri = await this.model('Compare With', clicked, selection);
    if (!uri) return;
    const found = vscode.workspace.workspaceFolders ? await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 2000) : [];
    const others = found.filter((u) => u.fsPath !== uri.fsPath).map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u, true), uri: u as vscode.Uri | undefined }));
    others.sort((a, b) => a.description.localeCompare(b.description));
    const browse = { label: '$(folder-opened) Browse…', description: 'another .onnx file', uri: undefined as vscode.Uri | undefined };
    const picked = await vscode.window.showQuickPick([...others, browse], {
      title: `Compare ${path.basename(uri.fsPath)} with…`,
      placeHolder: `The model to check against ${path.basename(uri.fsPath)} (the reference): same inputs, then both profiled`,
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!picked) return;
    let other = picked.uri;
    if (!other) {
      other = (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, openLabel: 'Compare', title: `Compare ${path.basename(uri.fsPath)} with` }))?.[0];
      if (!other) return;
    }
    if (other.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Inference Lens compares models on the local file system; '${other.scheme}:' is not supported.`);
      return;
    }
    await this.run(`Comparing ${path.basename(uri.fsPath)} with ${path.basename(other.fsPath)}`, async (step, signal) => {
      await this.compareAndShow({ modelA: uri.fsPath, modelB: other.fsPath, ...this.settingsOfModel(uri) }, step, signal, undefined);
    });
  }

  // ---- running ----

  /** The model a command works on: the Explorer's, the active tab's, or a pick. */
  private async model(title: string, clicked: unknown, selection: unknown): Promise<vscode.Uri | undefined> {
    const fromArgs = [clicked, ...(Array.isArray(selection) ? selection : [])].find((u): u is vscode.Uri => u instanceof vscode.Uri && isOnnx(u));
    const uri = fromArgs ?? activeTabModel() ?? (await pickModel(title));
    if (uri && uri.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Inference Lens transforms models on the local file system; '${uri.scheme}:' resources are not supported. Copy the model into a local folder.`);
      return undefined;
    }
    return uri;
  }

  /** The settings Profile Model… last used for this model (provider, inputs, dims, runs), else CPU and the defaults. */
  private settingsOfModel(uri: vscode.Uri): CompareSettings {
    const form = this.context.workspaceState.get<ProfileForm>(formKey(uri.fsPath));
    const s = profileSettings(uri);
    const dims = form ? parseDims(form.dims).dims : {};
    return {
      timeoutMs: s.timeoutMs,
      verify: {
        ep: form?.ep ?? 'cpu',
        allowCpuFallback: false,
        session: s.dimsAsFreeDimensionOverrides ? withFreeDims(s.session, dims) : s.session,
        dims,
        ...(form?.inputFiles?.length ? { inputFiles: form.inputFiles } : {}),
      },
      profile: { warmupRuns: s.warmupRuns, timedRuns: form?.iterations ?? DEFAULT_ITERATIONS, profiledRuns: s.profiledRuns, decode: form ? parseDecode(form.decode) : 'off' },
    };
  }

  private async transformAndCompare(src: string, spec: TransformSpec, settings: CompareSettings): Promise<void> {
    const title = specTitle(spec);
    await this.run(`${title}: ${path.basename(src)}`, async (step, signal) => {
      let outPath: string | undefined;
      try {
        const t = await applyTransform(src, spec, {
          workerPath: this.workerPath,
          transformWorkerPath: this.transformWorkerPath,
          signal,
          ep: settings.verify.ep,
          timeoutMs: settings.timeoutMs,
          onProgress: (done, message) => step(25 * done, message),
        });
        outPath = t.outPath;
        this.log.info(`${title}: wrote ${t.outPath}`);
        await this.compareAndShow({ modelA: src, modelB: t.outPath, ...settings, transform: t.info }, step, signal, t.outPath);
      } catch (e) {
        // The new model stays (it is complete); say so when the check did not finish.
        if (outPath) this.log.warn(`${title}: ${outPath} was written, but the check did not complete.`);
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { written: outPath });
      }
    });
  }

  private async compareAndShow(req: CompareModelsRequest & { timeoutMs: number }, step: (pct: number, message: string) => void, signal: AbortSignal, written: string | undefined): Promise<void> {
    const { timeoutMs, ...request } = req;
    const steps: Readonly<Record<CompareStep, [number, string]>> = {
      verify: [25, 'running both models on the same inputs…'],
      'profile-a': [35, `profiling ${path.basename(req.modelA)}…`],
      'profile-b': [65, `profiling ${path.basename(req.modelB)}…`],
    };
    let current: CompareStep = 'verify';
    const r = await compareModels(request, {
      workerPath: this.workerPath,
      outDir: runsDir(this.context),
      signal,
      timeoutMs,
      onStep: (s) => {
        current = s;
        step(...steps[s]);
      },
      onProgress: (p: Extract<FromWorker, { type: 'progress' }>) => {
        const base = steps[current][0];
        step(base + 30 * (p.total > 0 ? p.done / p.total : 0) * (p.phase === 'profiled' ? 1 : 0.8), `${steps[current][1].replace(/…$/, '')}: ${p.phase} ${p.done}/${p.total}`);
      },
    });
    this.comparisons.show(r.filePath);
    const v = r.file.verify;
    const c = r.file.comparison;
    const speed = c ? ` · p50 ${formatMs(c.metrics[0]!.a)} → ${formatMs(c.metrics[0]!.b)} ms (${c.speedup.toFixed(2)}×)` : '';
    const what = written ? `Wrote ${path.basename(written)}. ` : '';
    const verdict = v.verdict === 'pass' ? 'outputs agree' : v.verdict === 'warn' ? 'outputs drift: check accuracy on real data' : 'outputs DIFFER';
    const message = `${what}${verdict}${speed}.`;
    if (v.verdict === 'fail') void vscode.window.showWarningMessage(`Inference Lens: ${message}`);
    else vscode.window.setStatusBarMessage(`Inference Lens: ${message}`, 10_000);
  }

  /** One cancellable notification around `work`; failures become messages. */
  private async run(title: string, work: (step: (pct: number, message: string) => void, signal: AbortSignal) => Promise<void>): Promise<void> {
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        await work((pct, message) => {
          progress.report({ message, increment: Math.max(0, pct - shown) });
          shown = Math.max(shown, pct);
        }, abort.signal);
      });
    } catch (e) {
      const written = (e as { written?: string }).written;
      const kept = written ? ` ${path.basename(written)} was written and kept.` : '';
      const typed = e instanceof OrtRunError || isTransformRunError(e) || isOptimizeError(e) || isOnnxError(e);
      if (typed && e.code === 'cancelled') {
        vscode.window.setStatusBarMessage(`Inference Lens: ${title} cancelled.${kept}`, 8000);
        return;
      }
      if (typed) {
        this.log.warn(`${title} failed: ${e.message}`);
        void vscode.window.showErrorMessage(`Inference Lens: ${withHint(e.message, e.hint)}${kept}`);
        return;
      }
      this.log.error(`${title} failed:`, e);
      void vscode.window.showErrorMessage(`Inference Lens: ${title} failed: ${e instanceof Error ? e.message : String(e)}.${kept} Details are in the 'Inference Lens' output channel.`);
    }
  }
}

/** The run's own settings: the fix is checked and profiled the way the run was made. */
function settingsOfRun(run: OrtRunFile, timeoutMs: number): CompareSettings {
  const s = run.settings;
  return {
    timeoutMs,
    verify: { ep: s.ep, allowCpuFallback: s.allowCpuFallback, session: s.session, dims: s.dims, ...(s.inputFiles?.length ? { inputFiles: s.inputFiles } : {}) },
    profile: { warmupRuns: s.warmupRuns, timedRuns: s.timedRuns, profiledRuns: s.profiledRuns, ...(s.decode ? { decode: s.decode } : {}) },
  };
}

/** `x:0=batch, input_ids:1=sequence` → changes, or what is wrong. */
function parseChanges(line: string): { changes: DimChange[] } | { error: string } {
  const parts = line.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) return { error: 'Name at least one axis: name:axis=label, e.g. input:0=batch.' };
  const changes: DimChange[] = [];
  for (const p of parts) {
    try {
      changes.push(parseDimChange(p, false));
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return { changes };
}
