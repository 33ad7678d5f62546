/**
 * `Inference Lens: Profile Model…`: pick a model (Explorer, editor title, active tab, or a quick
 * pick), answer a short form (execution provider, symbolic dims, timed runs, decoding for KV-cache
 * decoders; remembered per model), then run ONNX Runtime in its worker process with a cancellable
 * progress notification and show the results panel. Every failure ends in a message, never a throw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withHint } from '../core/format';
import { defaultForDim } from '../core/inputs/synthesize';
import { detectDecoderLayout } from '../core/llm/decoder-layout';
import { isOnnxError, summarizeModel, type ModelSummary } from '../core/onnx';
import { OrtRunError, probeProviders } from '../runner/ort-client';
import type { ExecutionProvider, FromWorker, OrtProfileRequest, OrtSessionSettings, ProviderProbe } from '../runner/ort-protocol';
import { profileModel } from '../runner/profile-model';
import { profileSettings } from './config';
import { activeTabModel, isOnnx, pickModel } from './open-model';
import { runsDir, type ProfileResults } from './profile-results';

/** The form's answers, kept in workspaceState per model path. */
export interface ProfileForm {
  readonly ep: ExecutionProvider;
  /** Input data files (.npy, .npz, .pb); empty: inputs synthesized from the model. */
  readonly inputFiles?: readonly string[];
  /** The dims line as typed: `batch=1, sequence=128`. */
  readonly dims: string;
  readonly iterations: number;
  /** `P:T` (prefill:new tokens) for decoders; 'off' runs the whole model as it is. */
  readonly decode: string;
}

const DEFAULT_ITERATIONS = 100;
/** The providers that work here, probed once per window (installing one means restarting anyway). */
let probed: Promise<ProviderProbe[]> | undefined;
const DEFAULT_DECODE = '128:64';
export const formKey = (modelPath: string): string => `inferenceLens.profileForm:${modelPath}`;

const PROVIDERS: readonly { readonly ep: ExecutionProvider; readonly label: string; readonly description: string }[] = [
  { ep: 'cpu', label: 'CPU', description: 'bundled with onnxruntime-node' },
  { ep: 'cuda', label: 'CUDA', description: 'NVIDIA GPU; needs the CUDA 12 provider install' },
  { ep: 'tensorrt', label: 'TensorRT', description: 'NVIDIA GPU; needs the CUDA providers and TensorRT 10' },
  { ep: 'webgpu', label: 'WebGPU', description: 'GPU through Vulkan, D3D12 or Metal' },
];

export async function profileModelCommand(
  context: vscode.ExtensionContext,
  results: ProfileResults,
  log: vscode.LogOutputChannel,
  clicked?: unknown,
  selection?: unknown,
): Promise<void> {
  try {
    // From the Explorer: the clicked file (then the selection); from the editor title: the model's URI.
    const fromArgs = [clicked, ...(Array.isArray(selection) ? selection : [])].find((u): u is vscode.Uri => u instanceof vscode.Uri && isOnnx(u));
    const uri = fromArgs ?? activeTabModel() ?? (await pickModel('Profile Model'));
    if (!uri) return;
    if (uri.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Inference Lens profiles models on the local file system; '${uri.scheme}:' resources are not supported. Copy the model into a local folder.`);
      return;
    }
    const summary = await summarizeModel(uri.fsPath);
    const key = formKey(uri.fsPath);
    const workerPath = vscode.Uri.joinPath(context.extensionUri, 'dist', 'ort-worker.js').fsPath;
    probed ??= probeProviders({ workerPath });
    probed.catch((e: unknown) => {
      log.warn('Could not check the execution providers:', e);
      probed = undefined;
    });
    const form = await askForm(summary, context.workspaceState.get<ProfileForm>(key), probed);
    if (!form) return;
    await context.workspaceState.update(key, form);

    const settings = profileSettings(uri);
    const dims = parseDims(form.dims).dims;
    const request: Omit<OrtProfileRequest, 'outDir'> = {
      modelPath: uri.fsPath,
      ep: form.ep,
      allowCpuFallback: false,
      session: settings.dimsAsFreeDimensionOverrides ? withFreeDims(settings.session, dims) : settings.session,
      dims,
      ...(form.inputFiles?.length ? { inputFiles: form.inputFiles } : {}),
      warmupRuns: settings.warmupRuns,
      timedRuns: form.iterations,
      profiledRuns: settings.profiledRuns,
      decode: parseDecode(form.decode),
    };
    await run(request, summary.file.name, {
      workerPath,
      outDir: runsDir(context),
      timeoutMs: settings.timeoutMs,
      results,
      log,
    });
  } catch (e) {
    if (isOnnxError(e)) {
      void vscode.window.showErrorMessage(`Inference Lens: ${withHint(e.message, e.hint)}`);
      return;
    }
    log.error('Profile Model failed:', e);
    void vscode.window.showErrorMessage(`Inference Lens: profiling failed: ${e instanceof Error ? e.message : String(e)}. Details are in the 'Inference Lens' output channel.`);
  }
}

/** The symbolic dims (not `input:axis` entries, which ORT cannot take) as free-dimension overrides. */
export function withFreeDims(session: OrtSessionSettings, dims: Readonly<Record<string, number>>): OrtSessionSettings {
  const named = Object.entries(dims).filter(([k]) => !k.includes(':'));
  return named.length ? { ...session, freeDimensionOverrides: Object.fromEntries(named) } : session;
}

// ---- the form ----

/** The symbolic dims of the model's inputs, in order of first use. */
function symbolicDims(summary: ModelSummary): string[] {
  return [...new Set(summary.inputs.flatMap((i) => (i.shape ?? []).filter((d): d is string => typeof d === 'string')))];
}

/** Parses `batch=1, sequence=128` (names may be symbolic dims or `input:axis`). */
export function parseDims(line: string): { dims: Record<string, number>; error?: string } {
  const dims: Record<string, number> = {};
  for (const part of line.split(',')) {
    const text = part.trim();
    if (!text) continue;
    const m = /^(.+?)\s*=\s*(\d+)$/.exec(text);
    if (!m) return { dims, error: `Write name=value pairs separated by commas, e.g. batch=1, sequence=128 ('${text}' is not one).` };
    dims[m[1]!] = Number(m[2]);
  }
  return { dims };
}

export function parseDecode(text: string): OrtProfileRequest['decode'] {
  const m = /^(\d+):(\d+)$/.exec(text);
  return m ? { prefillTokens: Number(m[1]), newTokens: Number(m[2]) } : 'off';
}

/** A one-choice quick pick with `active` highlighted; undefined when the user pressed Escape. */
function pickOne<T extends vscode.QuickPickItem>(items: readonly T[], title: string, placeholder: string, active: T | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<T>();
    qp.title = title;
    qp.placeholder = placeholder;
    qp.items = items;
    qp.ignoreFocusOut = true;
    if (active) qp.activeItems = [active];
    let chosen: T | undefined;
    qp.onDidAccept(() => {
      chosen = qp.selectedItems[0] ?? qp.activeItems[0];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}

type ProviderItem = vscode.QuickPickItem & { readonly ep: ExecutionProvider };

/**
 * The execution provider step: every provider is listed at once, marked available or not as the
 * probes (a trial session each, in worker processes) come back. An unavailable one can still be
 * chosen: the run then says what to install and offers the CPU.
 */
function pickProvider(title: string, preferred: ExecutionProvider, probes: Promise<readonly ProviderProbe[]>): Promise<ExecutionProvider | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<ProviderItem>();
    qp.title = title;
    qp.placeholder = 'Execution provider (checking which ones work here…)';
    qp.ignoreFocusOut = true;
    qp.busy = true;
    const show = (byEp?: ReadonlyMap<ExecutionProvider, ProviderProbe>): void => {
      const activeEp = qp.activeItems[0]?.ep ?? preferred;
      qp.items = PROVIDERS.map((p): ProviderItem => {
        const probe = byEp?.get(p.ep);
        if (!probe) return { ep: p.ep, label: p.label, description: p.description };
        if (probe.available) return { ep: p.ep, label: `$(pass) ${p.label}`, description: `available · ${p.description}` };
        return { ep: p.ep, label: `$(circle-slash) ${p.label}`, description: 'not available here', detail: `${probe.reason ?? 'unavailable'} — ${probe.hint ?? ''}` };
      });
      const active = qp.items.find((i) => i.ep === activeEp);
      if (active) qp.activeItems = [active];
    };
    show();
    let chosen: ExecutionProvider | undefined;
    qp.onDidAccept(() => {
      chosen = (qp.selectedItems[0] ?? qp.activeItems[0])?.ep;
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
    probes.then(
      (list) => {
        show(new Map(list.map((p) => [p.ep, p])));
        qp.placeholder = `Execution provider (${list.filter((p) => p.available).map((p) => p.ep.toUpperCase()).join(', ')} available here)`;
        qp.busy = false;
      },
      () => {
        qp.placeholder = 'Execution provider (could not check which ones work here)';
        qp.busy = false;
      },
    );
  });
}

type InputsItem = vscode.QuickPickItem & { readonly files?: readonly string[] | 'choose' };

/**
 * Where the inputs come from: synthesized from the model's types and shapes, or the user's
 * .npy/.npz/.pb files (checked against the model's inputs by the worker). Resolves to [] for
 * synthesized inputs, the files otherwise, undefined when the user backed out.
 */
async function pickInputs(title: string, summary: ModelSummary, remembered: readonly string[] | undefined): Promise<readonly string[] | undefined> {
  const names = summary.inputs.map((i) => i.name).join(', ');
  const synthesized: InputsItem = { label: '$(symbol-misc) Synthesized', description: 'from the input types and shapes', detail: `Random data of the right dtype for ${names}; token ids inside the vocabulary, attention masks of ones.`, files: [] };
  const choose: InputsItem = { label: '$(folder-opened) From files…', description: '.npy, .npz or TensorProto .pb', detail: 'Your own data: one file per input named after it, or an .npz holding them all.', files: 'choose' };
  const still = remembered?.filter((f) => fs.existsSync(f)) ?? [];
  const same: InputsItem | undefined = still.length
    ? { label: '$(history) The same files as last time', description: still.map((f) => path.basename(f)).join(', '), files: still }
    : undefined;
  const items = same ? [synthesized, same, choose] : [synthesized, choose];
  const picked = await pickOne(items, title, 'Inputs', remembered?.length ? (same ?? choose) : synthesized);
  if (!picked) return undefined;
  if (picked.files !== 'choose') return picked.files ?? [];
  const uris = await vscode.window.showOpenDialog({
    title: `Input data for ${names}`,
    canSelectMany: true,
    openLabel: 'Use as inputs',
    filters: { 'Tensor files': ['npy', 'npz', 'pb'] },
    ...(still[0] ? { defaultUri: vscode.Uri.file(path.dirname(still[0])) } : {}),
  });
  if (!uris?.length) return undefined;
  const local = uris.filter((u) => u.scheme === 'file');
  if (local.length !== uris.length) {
    void vscode.window.showErrorMessage('Inference Lens reads input files from the local file system only.');
    return undefined;
  }
  return local.map((u) => u.fsPath);
}

async function askForm(summary: ModelSummary, remembered: ProfileForm | undefined, probes: Promise<readonly ProviderProbe[]>): Promise<ProfileForm | undefined> {
  const name = summary.file.name;
  const dimNames = symbolicDims(summary);
  const decoder = detectDecoderLayout(summary.inputs, summary.outputs) !== undefined;
  let total = 3 + (dimNames.length ? 1 : 0) + (decoder ? 1 : 0);
  let step = 0;
  const title = (): string => `Profile ${name} (${++step}/${total})`;

  const ep = await pickProvider(title(), remembered?.ep ?? 'cpu', probes);
  if (!ep) return undefined;

  const inputFiles = await pickInputs(title(), summary, remembered?.inputFiles);
  if (!inputFiles) return undefined;
  // Input files fix every shape: no dims to ask for.
  if (inputFiles.length && dimNames.length) total--;

  let dims = '';
  if (dimNames.length && inputFiles.length === 0) {
    const known = new Set(dimNames);
    const typed = await vscode.window.showInputBox({
      title: title(),
      prompt: `Values for the symbolic dims (${dimNames.join(', ')}), as name=value pairs`,
      value: remembered?.dims || dimNames.map((d) => `${d}=${defaultForDim(d).value}`).join(', '),
      ignoreFocusOut: true,
      validateInput: (line) => {
        const { dims: parsed, error } = parseDims(line);
        if (error) return error;
        const unknown = Object.keys(parsed).filter((k) => !known.has(k) && !k.includes(':'));
        if (unknown.length) {
          return { message: `Not a symbolic dim of this model: ${unknown.join(', ')} (it has ${dimNames.join(', ')}).`, severity: vscode.InputBoxValidationSeverity.Warning };
        }
        const missing = dimNames.filter((d) => !(d in parsed));
        return missing.length
          ? { message: `Defaults for the dims not given: ${missing.map((d) => `${d}=${defaultForDim(d).value} (${defaultForDim(d).why})`).join(', ')}.`, severity: vscode.InputBoxValidationSeverity.Info }
          : undefined;
      },
    });
    if (typed === undefined) return undefined;
    dims = typed;
  }

  const iterations = await vscode.window.showInputBox({
    title: title(),
    prompt: 'Timed runs (measured without the profiler; warm-up and profiled runs come on top, see the inferenceLens.profile settings)',
    value: String(remembered?.iterations ?? DEFAULT_ITERATIONS),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\s*\d+\s*$/.test(v) && Number(v) >= 1 ? undefined : 'A whole number of runs, at least 1.'),
  });
  if (iterations === undefined) return undefined;

  let decode = 'off';
  if (decoder) {
    const last = remembered && remembered.decode !== 'off' ? remembered.decode : DEFAULT_DECODE;
    const modes = [
      { label: 'LLM decoding', description: `prefill:new tokens ${last}`, detail: 'Prefill, then generate token by token feeding the KV cache back: time to first token, tokens/s.', decode: true },
      { label: 'Plain runs', description: 'whole-model runs', detail: 'Time the model on the synthesized inputs as they are.', decode: false },
    ];
    const stepTitle = title();
    const mode = await pickOne(modes, stepTitle, 'This model is a decoder with a KV cache', remembered?.decode === 'off' ? modes[1] : modes[0]);
    if (!mode) return undefined;
    if (mode.decode) {
      const pt = await vscode.window.showInputBox({
        title: stepTitle,
        prompt: 'Prefill tokens : new tokens to generate',
        value: last,
        ignoreFocusOut: true,
        validateInput: (v) => {
          const m = /^(\d+):(\d+)$/.exec(v.trim());
          return m && Number(m[1]) >= 1 && Number(m[2]) >= 1 ? undefined : 'Write P:T, both at least 1 (e.g. 128:64).';
        },
      });
      if (pt === undefined) return undefined;
      decode = pt.trim();
    }
  }
  return { ep, inputFiles, dims, iterations: Number(iterations), decode };
}

// ---- running ----

interface RunContext {
  readonly workerPath: string;
  readonly outDir: string;
  readonly timeoutMs: number;
  readonly results: ProfileResults;
  readonly log: vscode.LogOutputChannel;
}

type Progress = Extract<FromWorker, { type: 'progress' }>;

/** Where each phase sits on the notification's bar, in percent. */
const PHASE_SPAN: Readonly<Record<Progress['phase'], readonly [number, number]>> = {
  load: [0, 10],
  warmup: [10, 20],
  timed: [20, 75],
  decode: [20, 75],
  profiled: [75, 100],
};

function phaseMessage(p: Progress): string {
  switch (p.phase) {
    case 'load':
      return 'creating the ONNX Runtime session…';
    case 'warmup':
      return `warm-up run ${p.done}/${p.total}`;
    case 'timed':
      return `timed run ${p.done}/${p.total}`;
    case 'decode':
      return `decoding token ${p.done}/${p.total}`;
    case 'profiled':
      return `profiled run ${p.done}/${p.total} (ORT profiler)`;
  }
}

async function run(request: Omit<OrtProfileRequest, 'outDir'>, modelName: string, ctx: RunContext): Promise<void> {
  const started = Date.now();
  try {
    const { runFilePath } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Profiling ${modelName} on ${request.ep.toUpperCase()}`, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        progress.report({ message: 'reading the model…' });
        return profileModel(request, {
          workerPath: ctx.workerPath,
          outDir: ctx.outDir,
          timeoutMs: ctx.timeoutMs,
          signal: abort.signal,
          onProgress: (p) => {
            const [from, to] = PHASE_SPAN[p.phase];
            const at = from + (to - from) * (p.total > 0 ? p.done / p.total : 0);
            progress.report({ message: phaseMessage(p), increment: Math.max(0, at - shown) });
            shown = Math.max(shown, at);
          },
        });
      },
    );
    ctx.log.info(`Profiled ${request.modelPath} on ${request.ep} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${runFilePath}`);
    ctx.results.show(runFilePath);
  } catch (e) {
    const cancelled = (e instanceof OrtRunError && e.code === 'cancelled') || (isOnnxError(e) && e.code === 'cancelled');
    if (cancelled) {
      vscode.window.setStatusBarMessage(`Inference Lens: profiling ${modelName} cancelled`, 5000);
      return;
    }
    if (!(e instanceof OrtRunError)) throw e;
    ctx.log.warn(`Profiling ${request.modelPath} on ${request.ep} failed (${e.code}): ${e.message}`);
    if (e.code === 'provider-unavailable' && !request.allowCpuFallback) {
      const cpu = 'Run on CPU';
      const choice = await vscode.window.showErrorMessage(`Inference Lens: ${withHint(e.message, e.hint)}`, cpu);
      if (choice === cpu) await run({ ...request, allowCpuFallback: true }, modelName, ctx);
      return;
    }
    void vscode.window.showErrorMessage(`Inference Lens: ${withHint(e.message, e.hint)}`);
  }
}
