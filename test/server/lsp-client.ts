/**
 * A small LSP client for the server tier: spawns the bundled language server (test/helpers/bundles.ts
 * serverBundle(), built like dist/server.js) and speaks JSON-RPC to it over stdio, as an editor does.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { CodeAction, CodeLens, Diagnostic, Hover, Position, Range, TextEdit as LspTextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { LineIndex, applyEdits } from '../../src/server/analysis/text';
import { serverBundle } from '../helpers/bundles';

export type { CodeAction, CodeLens, Diagnostic, Hover, Position, Range };

export interface ClientOptions {
  readonly initializationOptions?: unknown;
  readonly workspaceFolders?: { uri: string; name: string }[] | null;
  /** Advertise versioned edits and CodeLens refresh (as VS Code does). */
  readonly vscodeLike?: boolean;
  /** Another server bundle than the test build (e.g. the one unpacked from the vsix). */
  readonly serverPath?: string;
}

export class LspClient {
  private readonly diagnostics = new Map<string, { version: number | undefined; diagnostics: Diagnostic[] }>();
  private readonly waiters: { uri: string; version: number; resolve: (d: Diagnostic[]) => void }[] = [];
  private readonly requests = new Map<string, number>();
  readonly stderr: string[] = [];
  readonly logs: string[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: MessageConnection,
  ) {}

  static async start(opts: ClientOptions = {}): Promise<LspClient> {
    const server = opts.serverPath ?? (await serverBundle());
    const proc = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const c = new LspClient(proc, conn);
    proc.stderr!.on('data', (b: Buffer) => c.stderr.push(b.toString()));
    conn.onNotification('textDocument/publishDiagnostics', (params: unknown) => {
      const p = params as { uri: string; version?: number; diagnostics: Diagnostic[] };
      c.diagnostics.set(p.uri, { version: p.version, diagnostics: p.diagnostics });
      for (const w of [...c.waiters]) {
        if (w.uri === p.uri && p.version === w.version) {
          c.waiters.splice(c.waiters.indexOf(w), 1);
          w.resolve(p.diagnostics);
        }
      }
    });
    conn.onNotification('window/logMessage', (m: unknown) => {
      c.logs.push((m as { message: string }).message);
    });
    conn.onNotification('window/showMessage', (m: unknown) => {
      c.logs.push(`showMessage: ${(m as { message: string }).message}`);
    });
    conn.onRequest('window/showMessageRequest', (m: unknown) => {
      c.logs.push(`showMessage: ${(m as { message: string }).message}`);
      return null;
    });
    conn.onRequest('workspace/codeLens/refresh', () => {
      c.requests.set('workspace/codeLens/refresh', (c.requests.get('workspace/codeLens/refresh') ?? 0) + 1);
      return null;
    });
    conn.listen();
    const vs = opts.vscodeLike !== false;
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: opts.workspaceFolders?.[0]?.uri ?? null,
      workspaceFolders: opts.workspaceFolders ?? null,
      initializationOptions: opts.initializationOptions,
      capabilities: vs ? { workspace: { workspaceEdit: { documentChanges: true }, codeLens: { refreshSupport: true } } } : {},
    });
    await conn.sendNotification('initialized', {});
    return c;
  }

  /** How many times the server asked for `method` (a server → client request). */
  requestCount(method: string): number {
    return this.requests.get(method) ?? 0;
  }

  private diagnosticsFor(uri: string, version: number, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const have = this.diagnostics.get(uri);
    if (have && have.version === version) return Promise.resolve(have.diagnostics);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} version ${version} within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`)), timeoutMs);
      this.waiters.push({ uri, version, resolve: (d) => (clearTimeout(t), resolve(d)) });
    });
  }

  async open(uri: string, text: string, version = 1): Promise<Diagnostic[]> {
    const wait = this.diagnosticsFor(uri, version);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
    return wait;
  }

  /** Sends changes (ranges in the text after each previous change, as LSP defines) and waits for that version's diagnostics. */
  async change(uri: string, version: number, changes: ({ range: Range; text: string } | { text: string })[]): Promise<Diagnostic[]> {
    const wait = this.diagnosticsFor(uri, version);
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return wait;
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  async configure(settings: unknown): Promise<void> {
    await this.conn.sendNotification('workspace/didChangeConfiguration', { settings });
  }

  latest(uri: string): { version: number | undefined; diagnostics: Diagnostic[] } | undefined {
    return this.diagnostics.get(uri);
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[] = []): Promise<CodeAction[]> {
    return this.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics } });
  }

  codeLens(uri: string): Promise<CodeLens[]> {
    return this.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      await this.conn.sendNotification('exit');
    } catch {
      /* already gone */
    }
    this.conn.dispose();
    this.proc.kill();
  }
}

/** Polls `check` until it holds (e.g. diagnostics republished after a settings change). */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The edits of a code action for `uri` (versioned documentChanges or plain changes). */
export function editsOf(edit: WorkspaceEdit | undefined, uri: string): LspTextEdit[] {
  if (!edit) return [];
  const out: LspTextEdit[] = [];
  for (const dc of edit.documentChanges ?? []) if ('textDocument' in dc && dc.textDocument.uri === uri) out.push(...(dc.edits as LspTextEdit[]));
  out.push(...(edit.changes?.[uri] ?? []));
  return out;
}

/** Applies LSP text edits (UTF-16 positions) to a text, as an editor does. */
export function applyLspEdits(text: string, edits: readonly LspTextEdit[]): string {
  const lines = new LineIndex(text);
  return applyEdits(
    text,
    edits.map((e) => ({ start: lines.offset(e.range.start), end: lines.offset(e.range.end), newText: e.newText })),
  );
}

/** The text a diagnostic underlines. */
export function rangeText(text: string, r: Range): string {
  const lines = new LineIndex(text);
  return text.slice(lines.offset(r.start), lines.offset(r.end));
}

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0 ? 'python3' : undefined;

/** CPython's own parser on the text (`ast.parse`): undefined when it parses, else the error; null when no python3 is installed. */
export function cpythonSyntaxError(text: string): string | undefined | null {
  if (!python) return null;
  const r = spawnSync(python, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: text, encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr.trim().split('\n').pop();
}
