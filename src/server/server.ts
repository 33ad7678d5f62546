/**
 * The Inference Lens language server for Python scripts that export, run or serve models
 * (bundled to dist/server.js; started by src/extension/language-client.ts, or by anything that
 * speaks LSP over stdio: `node dist/server.js --stdio`).
 *
 * Diagnostics with quick fixes for the rules in src/server/analysis/rules.ts, a CodeLens above each
 * torch.onnx.export call ("Profile exported model", with the last measured latency and peak memory
 * of the file it writes) and a hover with that profile's summary.
 *
 * Documents sync incrementally: each change edits the previous syntax tree, the parse is
 * incremental, and only the top-level functions/classes whose text changed are analysed again
 * (src/server/analysis/analyze.ts). Changes that arrive together are analysed once.
 *
 * initializationOptions: { lint?: { rules?: { [ruleId]: level } }, runsDirs?: string[] }.
 * Settings changes arrive as workspace/didChangeConfiguration { settings: { inferenceLens: { lint } } }.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type CodeAction,
  CodeActionKind,
  type CodeLens,
  type Connection,
  type Diagnostic,
  DiagnosticSeverity,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  type TextDocumentContentChangeEvent,
  TextDocumentSyncKind,
  type TextEdit as LspTextEdit,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { formatBytes, formatMs, formatRate } from '../core/format';
import { type Analysis, DocumentAnalyzer, type RuleLevels, levelOf, parseLevels } from './analysis/analyze';
import { type PythonParser, type Tree, editFor, loadPythonParser } from './analysis/parser';
import { type ExportSite, type Finding, RULES, type Severity } from './analysis/rules';
import { LineIndex } from './analysis/text';
import { type RunSummary, RunIndex } from './profile-runs';
import { docsUrl } from './docs';

const SOURCE = 'Inference Lens';
/** Larger files are not analysed (generated code, data dumped as Python). */
const MAX_CHARS = 20 * 2 ** 20;

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

interface DocState {
  doc: TextDocument;
  /** The tree of the text before the pending changes, already `edit`ed to match the new text. */
  tree: Tree | undefined;
  readonly analyzer: DocumentAnalyzer;
  /** The analysis of `version`. */
  analysis: { version: number; result: Analysis; lines: LineIndex } | undefined;
  scheduled: NodeJS.Immediate | undefined;
}

export function startServer(connection: Connection): void {
  let parser: PythonParser | undefined;
  let levels: RuleLevels = {};
  let runs: RunIndex | undefined;
  let versionedEdits = false;
  let lensRefresh = false;
  const docs = new Map<string, DocState>();
  const log = (msg: string) => connection.console.log(msg);

  const applySettings = (lint: unknown): void => {
    const raw = lint && typeof lint === 'object' ? (lint as { rules?: unknown }).rules : undefined;
    const parsed = parseLevels(raw);
    levels = parsed.levels;
    for (const p of parsed.problems) connection.window.showWarningMessage(`Inference Lens: ${p}.`);
  };

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    const opts = (params.initializationOptions ?? {}) as { lint?: unknown; runsDirs?: unknown };
    applySettings(opts.lint);
    versionedEdits = params.capabilities.workspace?.workspaceEdit?.documentChanges === true;
    lensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    const folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
    const dirs = [
      ...(Array.isArray(opts.runsDirs) ? opts.runsDirs.filter((d): d is string => typeof d === 'string') : []),
      // Where `inference-lens profile` saves runs by default.
      ...folders.map((f) => path.join(f, '.inference-lens', 'runs')),
    ];
    runs = new RunIndex(dirs, () => {
      if (lensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    });
    parser = await loadPythonParser();
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
      },
      serverInfo: { name: 'inference-lens', version: '0.1.0' },
    };
  });

  // Model files created or deleted (the script ran, a file was removed): the lenses say whether
  // each export's file exists, so they are asked for again. The client watches **/*.onnx.
  let lensTimer: NodeJS.Timeout | undefined;
  connection.onDidChangeWatchedFiles(() => {
    if (!lensRefresh) return;
    clearTimeout(lensTimer);
    lensTimer = setTimeout(() => void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined), 100);
  });

  // File watching can miss a model written into a folder the script just created (seen in
  // code-server under load), so the outputs the lenses still call "not exported yet" are also
  // checked every 1.5 s while any is awaited: a handful of stat calls.
  const awaited = new Map<string, Set<string>>();
  let poll: NodeJS.Timeout | undefined;
  const awaitOutputs = (uri: string, missing: Set<string>) => {
    if (missing.size) awaited.set(uri, missing);
    else awaited.delete(uri);
    if (poll || !awaited.size || !lensRefresh) return;
    poll = setInterval(() => {
      const appeared = [...awaited.values()].some((paths) => [...paths].some((p) => fs.existsSync(p)));
      if (appeared) {
        awaited.clear();
        void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
      }
      if (!awaited.size) {
        clearInterval(poll);
        poll = undefined;
      }
    }, 1500);
    poll.unref();
  };

  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings ?? {}) as { inferenceLens?: { lint?: unknown } };
    applySettings(s.inferenceLens?.lint);
    for (const [uri, st] of docs) publish(uri, st);
  });

  /** Brings the document's analysis up to date (parse + analyse, both incremental). */
  const analyze = (st: DocState): NonNullable<DocState['analysis']> | undefined => {
    if (st.analysis && st.analysis.version === st.doc.version) return st.analysis;
    if (!parser) return undefined;
    const text = st.doc.getText();
    if (text.length > MAX_CHARS) return undefined;
    const old = st.tree;
    const tree = parser.parse(text, old);
    old?.delete();
    st.tree = tree;
    st.analysis = { version: st.doc.version, result: st.analyzer.analyze(tree, text), lines: new LineIndex(text) };
    return st.analysis;
  };

  const publish = (uri: string, st: DocState): void => {
    try {
      const a = analyze(st);
      if (!a) return;
      const diagnostics: Diagnostic[] = [];
      for (const f of a.result.findings) {
        const d = toDiagnostic(f, a.lines);
        if (d) diagnostics.push(d);
      }
      void connection.sendDiagnostics({ uri, version: st.doc.version, diagnostics });
    } catch (e) {
      connection.console.error(`analysis of ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };

  const toDiagnostic = (f: Finding, lines: LineIndex): Diagnostic | undefined => {
    const level = levelOf(f.ruleId, levels);
    if (level === 'off') return undefined;
    // Suggestions (quantization) stay code actions at their default level.
    if (level === 'hint' && RULES.find((r) => r.id === f.ruleId && 'assist' in r && r.assist)) return undefined;
    return {
      range: { start: lines.position(f.start), end: lines.position(f.end) },
      severity: SEVERITY[level],
      code: f.ruleId,
      codeDescription: { href: docsUrl(f.ruleId) },
      source: SOURCE,
      message: f.message,
    };
  };

  const schedule = (uri: string, st: DocState): void => {
    if (st.scheduled) return;
    // Changes that arrive together (typing fast) are analysed once.
    st.scheduled = setImmediate(() => {
      st.scheduled = undefined;
      if (docs.get(uri) === st) publish(uri, st);
    });
  };

  connection.onDidOpenTextDocument(({ textDocument: t }) => {
    const prev = docs.get(t.uri);
    prev?.tree?.delete();
    const st: DocState = { doc: TextDocument.create(t.uri, t.languageId, t.version, t.text), tree: undefined, analyzer: new DocumentAnalyzer(), analysis: undefined, scheduled: undefined };
    docs.set(t.uri, st);
    publish(t.uri, st);
  });

  connection.onDidChangeTextDocument(({ textDocument: t, contentChanges }) => {
    const st = docs.get(t.uri);
    if (!st) return;
    // Each change's range refers to the text after the previous change: apply them one by one.
    for (const change of contentChanges) {
      editTree(st, change);
      st.doc = TextDocument.update(st.doc, [change], st.doc.version);
    }
    st.doc = TextDocument.update(st.doc, [], t.version);
    schedule(t.uri, st);
  });

  connection.onDidCloseTextDocument(({ textDocument: t }) => {
    const st = docs.get(t.uri);
    if (!st) return;
    if (st.scheduled) clearImmediate(st.scheduled);
    st.tree?.delete();
    docs.delete(t.uri);
    awaited.delete(t.uri);
    void connection.sendDiagnostics({ uri: t.uri, diagnostics: [] });
  });

  connection.onCodeAction((params) => {
    const st = docs.get(params.textDocument.uri);
    if (!st) return [];
    const a = analyze(st);
    if (!a) return [];
    const from = a.lines.offset(params.range.start);
    const to = a.lines.offset(params.range.end);
    const only = params.context.only;
    const wants = (kind: string) => !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
    const actions: CodeAction[] = [];
    for (const f of a.result.findings) {
      if (f.end < from || f.start > to) continue;
      const level = levelOf(f.ruleId, levels);
      if (level === 'off') continue;
      const diagnostic = toDiagnostic(f, a.lines);
      const kind = diagnostic ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite;
      if (!wants(kind)) continue;
      for (const fx of f.fixes) {
        const edits: LspTextEdit[] = fx.edits.map((e) => ({ range: { start: a.lines.position(e.start), end: a.lines.position(e.end) }, newText: e.newText }));
        actions.push({
          title: fx.title,
          kind,
          ...(diagnostic ? { diagnostics: [diagnostic] } : {}),
          ...(fx.preferred ? { isPreferred: true } : {}),
          edit: versionedEdits
            ? { documentChanges: [{ textDocument: { uri: params.textDocument.uri, version: st.doc.version }, edits }] }
            : { changes: { [params.textDocument.uri]: edits } },
        });
      }
    }
    return actions;
  });

  connection.onCodeLens((params): CodeLens[] => {
    const st = docs.get(params.textDocument.uri);
    if (!st) return [];
    const a = analyze(st);
    if (!a) return [];
    const script = uriToPath(params.textDocument.uri);
    const missing = new Set<string>();
    const lenses = a.result.exports.map((site): CodeLens => {
      const range = { start: a.lines.position(site.start), end: a.lines.position(site.end) };
      const target = resolveExport(site, script);
      if (target.kind === 'unknown') {
        return { range, command: { title: '$(pulse) Profile exported model…', command: 'inferenceLens.profileModel', tooltip: `The output file (${site.pathText ?? 'f'}) is not a literal path: pick the model to profile.` } };
      }
      if (target.kind === 'unsaved') return { range, command: { title: 'Profile exported model: save the script first', command: '' } };
      if (!fs.existsSync(target.path)) {
        missing.add(target.path);
        return { range, command: { title: `Profile exported model: not exported yet (${site.path})`, command: '', tooltip: `${target.path} does not exist yet: run the script to export it.` } };
      }
      const last = runs?.latestFor(target.path);
      const title = `$(pulse) Profile exported model${last ? ` · last p50 ${formatMs(last.p50Ms)} ms${last.peakRssBytes !== undefined ? ` · peak ${formatBytes(last.peakRssBytes)}` : ''}` : ''}`;
      return { range, command: { title, command: 'inferenceLens.profileModel', arguments: [pathToFileURL(target.path).href], tooltip: `Profile ${target.path} with ONNX Runtime` } };
    });
    awaitOutputs(params.textDocument.uri, missing);
    return lenses;
  });

  connection.onHover((params): Hover | null => {
    const st = docs.get(params.textDocument.uri);
    if (!st) return null;
    const a = analyze(st);
    if (!a) return null;
    const at = a.lines.offset(params.position);
    const site = a.result.exports.find((s) => at >= s.start && at <= s.end);
    if (!site) return null;
    const target = resolveExport(site, uriToPath(params.textDocument.uri));
    const range = { start: a.lines.position(site.start), end: a.lines.position(site.end) };
    let md: string;
    if (target.kind === 'unknown') md = `**Inference Lens**: the output file \`${site.pathText ?? 'f'}\` is not a literal path, so its last profile cannot be looked up here.`;
    else if (target.kind === 'unsaved') md = '**Inference Lens**: save the script to look up the profile of the model it exports.';
    else if (!fs.existsSync(target.path)) md = `**Inference Lens**: \`${site.path}\` is not exported yet (${target.path} does not exist). Run the script, then profile the model from the CodeLens above the call.`;
    else {
      const last = runs?.latestFor(target.path);
      md = last ? profileMarkdown(site.path!, last) : `**Inference Lens**: \`${site.path}\` has not been profiled yet. Use **Profile exported model** above the call.`;
    }
    return { contents: { kind: 'markdown', value: md }, range };
  });

  connection.onShutdown(() => {
    runs?.dispose();
    for (const st of docs.values()) st.tree?.delete();
    docs.clear();
  });

  connection.listen();
  log(`Inference Lens language server started (node ${process.version}).`);
}

/** Applies one content change to the pending tree (so the next parse is incremental). */
function editTree(st: DocState, change: TextDocumentContentChangeEvent): void {
  if (!st.tree) return;
  if (!('range' in change)) {
    st.tree.delete();
    st.tree = undefined;
    return;
  }
  const doc = st.doc;
  const startIndex = doc.offsetAt(change.range.start);
  const oldEndIndex = doc.offsetAt(change.range.end);
  st.tree.edit(editFor(startIndex, oldEndIndex, doc.positionAt(startIndex), doc.positionAt(oldEndIndex), change.text));
}

function uriToPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function resolveExport(site: ExportSite, script: string | undefined): { kind: 'file'; path: string } | { kind: 'unknown' } | { kind: 'unsaved' } {
  if (site.path === undefined) return { kind: 'unknown' };
  if (path.isAbsolute(site.path)) return { kind: 'file', path: site.path };
  if (!script) return { kind: 'unsaved' };
  return { kind: 'file', path: path.resolve(path.dirname(script), site.path) };
}

function profileMarkdown(name: string, r: RunSummary): string {
  const when = r.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  const lines = [
    `**Inference Lens** · last profile of \`${name}\` (${r.provider.toUpperCase()}, ${when})`,
    '',
    `- latency p50 / p90 / p99: ${formatMs(r.p50Ms)} / ${formatMs(r.p90Ms)} / ${formatMs(r.p99Ms)} ms${r.batchSize ? ` (batch ${r.batchSize})` : ''}`,
  ];
  if (r.inferencesPerSec !== undefined) lines.push(`- throughput: ${formatRate(r.inferencesPerSec)} inferences/s`);
  if (r.peakRssBytes !== undefined) lines.push(`- peak memory: ${formatBytes(r.peakRssBytes)} RSS${r.gpuPeakBytes !== undefined ? `, ${formatBytes(r.gpuPeakBytes)} GPU` : ''}`);
  if (r.sessionCreateMs !== undefined && r.firstRunMs !== undefined) lines.push(`- cold start: session ${formatMs(r.sessionCreateMs)} ms, first run ${formatMs(r.firstRunMs)} ms`);
  lines.push('', `Run file: \`${r.runFile}\``);
  return lines.join('\n');
}

// Run when executed as a program (the bundled dist/server.js).
if (require.main === module) startServer(createConnection(ProposedFeatures.all));
