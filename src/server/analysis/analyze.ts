/**
 * Runs the rules over a parsed Python file. A file is cut into pieces: the module-level code, and
 * each top-level function or class. A piece's findings depend only on its own text and on the
 * module-level code (imports, module variables, the names of the top-level definitions), so after
 * an edit inside one function only that function is analysed again; the other pieces' findings are
 * moved to their new offsets. Everything the cache keys on is text, so a cached result is exactly
 * what a fresh analysis would give (test/server/analysis.test.ts checks this after random edits).
 */
import { FixKit, detectIndentUnit } from './fixes';
import { type Node, type PythonParser, type Tree } from './parser';
import { CHECKS, type ExportSite, type Finding, type Fix, type RuleContext, type RuleId, type RuleLevel, type Severity, RULES } from './rules';
import { Resolver, Scope, ScopeBuilder } from './scope';
import { stringValue } from './syntax';
import { LineIndex, type TextEdit } from './text';

export interface Analysis {
  readonly findings: readonly Finding[];
  readonly exports: readonly ExportSite[];
  /** The parse had errors (the rules still ran on what parsed). */
  readonly syntaxErrors: boolean;
  /** Pieces analysed afresh / taken from the cache (for tests and the benchmark). */
  readonly stats: { readonly analysed: number; readonly reused: number };
}

interface PieceResult {
  readonly findings: Finding[];
  readonly exports: ExportSite[];
}

interface Cached {
  readonly result: PieceResult;
  /** Statement offsets when the result was computed, to move it to the current ones. */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

const ASSISTS = new Set<string>(RULES.filter((r) => 'assist' in r && r.assist).map((r) => r.id));
const CHUNK_TYPES = new Set(['function_definition', 'class_definition', 'decorated_definition']);

/** One document's analyser: keeps the per-piece results between edits. */
export class DocumentAnalyzer {
  private key = '';
  private module: Cached | undefined;
  private readonly chunks = new Map<number, Cached & { readonly text: string }>();

  analyze(tree: Tree, text: string): Analysis {
    const root = tree.rootNode;
    const stmts = root.namedChildren.filter((n): n is Node => n !== null);
    const starts = stmts.map((s) => s.startIndex);
    const ends = stmts.map((s) => s.endIndex);
    const isChunk = stmts.map((s) => CHUNK_TYPES.has(s.type));
    const key = contextKey(text, stmts, isChunk);
    if (key !== this.key) {
      this.key = key;
      this.module = undefined;
      this.chunks.clear();
    }

    let env: Env | undefined;
    const environment = (): Env => (env ??= buildEnv(text, stmts, isChunk, key));
    let analysed = 0;
    let reused = 0;
    const findings: Finding[] = [];
    const exports: ExportSite[] = [];
    const take = (c: Cached) => {
      const move = rebaser(c.starts, c.ends, starts, ends);
      for (const f of c.result.findings) findings.push(moveFinding(f, move));
      for (const e of c.result.exports) exports.push({ ...e, start: move(e.start), end: move(e.end) });
    };

    if (this.module) {
      take(this.module);
      reused++;
    } else {
      const e = environment();
      const result = runPiece(e, e.moduleScopes, e.moduleBuilder.multilineStrings);
      this.module = { result, starts, ends };
      findings.push(...result.findings);
      exports.push(...result.exports);
      analysed++;
    }
    for (let i = 0; i < stmts.length; i++) {
      if (!isChunk[i]) continue;
      const chunkText = text.slice(starts[i], ends[i]);
      const hit = this.chunks.get(i);
      if (hit && hit.text === chunkText) {
        take(hit);
        reused++;
        continue;
      }
      const e = environment();
      const builder = new ScopeBuilder(text);
      const outer = builder.walkChunk(stmts[i]!, e.module);
      const result = runPiece(e, [...outer.all()], builder.multilineStrings);
      this.chunks.set(i, { text: chunkText, result, starts, ends });
      findings.push(...result.findings);
      exports.push(...result.exports);
      analysed++;
    }
    findings.sort((a, b) => a.start - b.start || a.end - b.end || a.ruleId.localeCompare(b.ruleId));
    exports.sort((a, b) => a.start - b.start);
    return { findings, exports, syntaxErrors: root.hasError, stats: { analysed, reused } };
  }
}

/** What every piece of one analysis shares: the module scope, the resolver, where imports go. */
interface Env {
  readonly text: string;
  readonly lines: LineIndex;
  readonly module: Scope;
  readonly moduleScopes: Scope[];
  readonly moduleBuilder: ScopeBuilder;
  readonly resolver: Resolver;
  readonly importAt: number;
  readonly firstImportAt: number;
  readonly indentUnit: string;
}

function buildEnv(text: string, stmts: readonly Node[], isChunk: readonly boolean[], key: string): Env {
  const lines = new LineIndex(text);
  const module = new Scope('module', stmts[0]?.parent ?? (null as unknown as Node), null);
  const builder = new ScopeBuilder(text);
  stmts.forEach((s, i) => {
    if (isChunk[i]) builder.bindDefinitionName(s, module, s.startIndex);
    else builder.walk(s, module);
  });
  return {
    text,
    lines,
    module,
    moduleScopes: [...module.all()],
    moduleBuilder: builder,
    resolver: new Resolver(module),
    importAt: importPoint(text, lines, stmts),
    firstImportAt: firstImport(text, lines, stmts),
    // From the module-level text only, so a cached piece's fixes never depend on another piece.
    indentUnit: detectIndentUnit(key),
  };
}

function runPiece(env: Env, scopes: Scope[], multilineStrings: readonly { start: number; end: number }[]): PieceResult {
  const findings: Finding[] = [];
  const exports: ExportSite[] = [];
  const ctx: RuleContext = {
    text: env.text,
    resolver: env.resolver,
    kit: new FixKit(env.text, env.lines, env.resolver, env.importAt, multilineStrings, env.indentUnit, env.firstImportAt),
    module: env.module,
    scopes,
    // A suggestion without an applicable edit has nothing to offer.
    report: (f) => {
      if (f.fixes.length || !ASSISTS.has(f.ruleId)) findings.push(f);
    },
    exportSite: (s) => exports.push(s),
    memo: new Map(),
  };
  for (const check of CHECKS) check(ctx);
  return { findings, exports };
}

/**
 * The module-level text with each top-level def/class replaced by its kind and name (a class keeps
 * its bases): equal keys mean equal module scopes, equal statement order and equal gaps.
 */
function contextKey(text: string, stmts: readonly Node[], isChunk: readonly boolean[]): string {
  let key = '';
  let at = 0;
  stmts.forEach((s, i) => {
    key += text.slice(at, s.startIndex);
    if (isChunk[i]) {
      const def = s.type === 'decorated_definition' ? s.childForFieldName('definition') : s;
      const body = def?.childForFieldName('body');
      const header = def && body ? text.slice(def.startIndex, body.startIndex) : s.type;
      key += `\u0000${i}:${def?.type === 'class_definition' ? header : (def?.childForFieldName('name')?.text ?? '')}\u0000`;
    } else key += text.slice(s.startIndex, s.endIndex);
    at = s.endIndex;
  });
  return key + text.slice(at);
}

/** Maps an offset computed against old statement offsets to the current ones. */
function rebaser(oldStarts: readonly number[], oldEnds: readonly number[], starts: readonly number[], ends: readonly number[]): (o: number) => number {
  if (oldStarts === starts) return (o) => o;
  return (o) => {
    let lo = 0;
    let hi = oldStarts.length - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (oldStarts[mid]! <= o) {
        k = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (k < 0) return o;
    return o <= oldEnds[k]! ? starts[k]! + (o - oldStarts[k]!) : ends[k]! + (o - oldEnds[k]!);
  };
}

function moveFinding(f: Finding, move: (o: number) => number): Finding {
  const moveEdit = (e: TextEdit): TextEdit => ({ start: move(e.start), end: move(e.end), newText: e.newText });
  const moveFix = (x: Fix): Fix => ({ ...x, edits: x.edits.map(moveEdit) });
  return { ...f, start: move(f.start), end: move(f.end), fixes: f.fixes.map(moveFix) };
}

/**
 * Where new imports go: after the last import of the file's header (docstring, comments,
 * `from __future__`, imports, try/if blocks of imports), else after the docstring, else at the top.
 */
function importPoint(text: string, lines: LineIndex, stmts: readonly Node[]): number {
  let after = -1;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    if (s.type === 'comment') continue;
    if (i === 0 || (after < 0 && stmts.slice(0, i).every((p) => p.type === 'comment'))) {
      if (s.type === 'expression_statement' && s.namedChildren[0]?.type === 'string' && stringValue(s.namedChildren[0]) !== undefined) {
        after = s.endIndex;
        continue;
      }
    }
    if (s.type === 'import_statement' || s.type === 'import_from_statement' || s.type === 'future_import_statement') {
      after = s.endIndex;
      continue;
    }
    if ((s.type === 'try_statement' || s.type === 'if_statement') && /^\s*(try|if)\b[^\n]*:\s*\n\s*(import|from)\s/.test(text.slice(s.startIndex, s.endIndex))) {
      after = s.endIndex;
      continue;
    }
    break;
  }
  if (after < 0) {
    // Keep a shebang / encoding line first.
    let o = 0;
    while (o < text.length && text.startsWith('#', o) && lines.lineOf(o) < 2) o = lines.lineStart(lines.lineOf(o) + 1) || text.length;
    return o;
  }
  const line = lines.lineOf(after);
  return line + 1 < lines.lineCount ? lines.lineStart(line + 1) : text.length;
}

/** The line start of the first top-level import of the file's header; importPoint() when there is none. */
function firstImport(text: string, lines: LineIndex, stmts: readonly Node[]): number {
  for (const s of stmts) {
    if (s.type === 'import_statement' || s.type === 'import_from_statement') return lines.lineStart(lines.lineOf(s.startIndex));
    if (s.type !== 'comment' && s.type !== 'future_import_statement' && !(s.type === 'expression_statement' && s.namedChildren[0]?.type === 'string')) break;
  }
  return importPoint(text, lines, stmts);
}

// ---------------------------------------------------------------------------------------------
// Levels (severities) from settings

export type RuleLevels = Readonly<Partial<Record<RuleId, RuleLevel>>>;

export const DEFAULT_LEVELS: Readonly<Record<RuleId, Severity>> = Object.fromEntries(RULES.map((r) => [r.id, r.severity])) as Record<RuleId, Severity>;

export function levelOf(ruleId: RuleId, levels: RuleLevels | undefined): RuleLevel {
  return levels?.[ruleId] ?? DEFAULT_LEVELS[ruleId];
}

/** Settings as typed by a person: unknown rule ids and levels are reported, not applied. */
export function parseLevels(raw: unknown): { levels: RuleLevels; problems: string[] } {
  const problems: string[] = [];
  const levels: Partial<Record<RuleId, RuleLevel>> = {};
  if (raw === undefined || raw === null) return { levels, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { levels, problems: ['inferenceLens.lint.rules must be an object: { "rule-id": "off" | "hint" | "information" | "warning" | "error" }'] };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!RULES.some((r) => r.id === k)) {
      problems.push(`unknown rule '${k}' (rules: ${RULES.map((r) => r.id).join(', ')})`);
      continue;
    }
    if (v !== 'off' && v !== 'hint' && v !== 'information' && v !== 'warning' && v !== 'error') {
      problems.push(`rule '${k}': level must be off, hint, information, warning or error, not ${JSON.stringify(v)}`);
      continue;
    }
    levels[k as RuleId] = v;
  }
  return { levels, problems };
}

/** Findings with their configured severity; rules set to "off" dropped. */
export function withLevels(findings: readonly Finding[], levels: RuleLevels | undefined): (Finding & { readonly severity: Severity })[] {
  const out: (Finding & { severity: Severity })[] = [];
  for (const f of findings) {
    const l = levelOf(f.ruleId, levels);
    if (l !== 'off') out.push({ ...f, severity: l });
  }
  return out;
}

/** Parses and analyses a whole text once (the CLI; tests). */
export function analyzeText(parser: PythonParser, text: string): Analysis {
  const tree = parser.parse(text);
  try {
    return new DocumentAnalyzer().analyze(tree, text);
  } finally {
    tree.delete();
  }
}
