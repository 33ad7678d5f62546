/**
 * `inference-lens lint <file.py|folder>... [--json] [--fix] [--rule id=level]...`: the language
 * server's rules (src/server/analysis) over Python files, with the same findings, positions and
 * rule ids. `--fix` applies the fixes marked safe, one at a time with a fresh analysis after each,
 * keeps each changed file's original as <file>.bak and prints a unified diff.
 * Exit 1 when a finding at level "error" remains, 2 on bad usage or input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Analysis, DocumentAnalyzer, type RuleLevels, levelOf, parseLevels } from '../server/analysis/analyze';
import { type PythonParser, loadPythonParser } from '../server/analysis/parser';
import { type Finding, type Fix, RULES, type RuleId, type RuleLevel, type Severity } from '../server/analysis/rules';
import { LineIndex, applyEdits } from '../server/analysis/text';
import { docsUrl } from '../server/docs';
import { CliUsageError } from './profile-command';

export const LINT_SCHEMA_VERSION = 1;

const LINT_USAGE = `Usage: inference-lens lint <file.py|folder>... [--json] [--fix] [--rule <id>=<level>]...

Checks Python export/inference scripts with the rules of the editor's language server.
  --json               Print a JSON report (schemaVersion ${LINT_SCHEMA_VERSION}; README, "Python scripts").
  --fix                Apply the safe fixes in place (the original is kept as <file>.bak) and print
                       the diff. Fixes that change numerics or behaviour are left to the editor.
  --rule <id>=<level>  Level of a rule: off, hint, information, warning or error (repeatable,
                       or comma-separated). Defaults: the extension's defaults.
Folders are searched for *.py (hidden folders, virtual environments, node_modules and
__pycache__ skipped). Positions are 1-based lines and columns (UTF-16 code units, as editors count).
Exit code 1 when an error-level finding remains, 2 on bad usage or unreadable input.

Rules:
${RULES.map((r) => `  ${r.id.padEnd(28)} ${r.severity.padEnd(12)} ${r.title}`).join('\n')}
`;

interface Io {
  out(s: string): void;
  err(s: string): void;
}

export interface LintFinding {
  readonly ruleId: RuleId;
  readonly severity: Severity;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  readonly docs: string;
  readonly fixes: readonly { readonly title: string; readonly safe: boolean }[];
}

export interface LintFileReport {
  readonly path: string;
  readonly findings: readonly LintFinding[];
  /** tree-sitter could not parse part of the file (findings may be incomplete; no fix is applied). */
  readonly syntaxErrors: boolean;
  /** With --fix: the fixes applied, the backup and the diff. */
  readonly fixed?: { readonly applied: readonly { ruleId: RuleId; title: string }[]; readonly backup: string; readonly diff: string };
}

export interface LintReport {
  readonly schemaVersion: typeof LINT_SCHEMA_VERSION;
  readonly files: readonly LintFileReport[];
  readonly summary: { readonly files: number; readonly findings: number; readonly error: number; readonly warning: number; readonly information: number; readonly hint: number; readonly fixed: number };
}

const SKIP_DIRS = /^(\..*|__pycache__|node_modules|site-packages|venv|env)$/;

/** The .py files named or found under the folders named, in a stable order. */
function collect(targets: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new CliUsageError(`cannot read folder ${dir}: ${(e as Error).message}`);
    }
    if (entries.some((e) => e.name === 'pyvenv.cfg')) return; // a virtual environment
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.test(e.name)) walk(p);
      } else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
    }
  };
  for (const t of targets) {
    let st: fs.Stats;
    try {
      st = fs.statSync(t);
    } catch {
      throw new CliUsageError(`${t} does not exist. Give a Python file or a folder of them.`);
    }
    if (st.isDirectory()) walk(t);
    else if (/\.pyi?$/.test(t)) out.push(t);
    else throw new CliUsageError(`${t} is not a Python file (.py). Give a Python file or a folder of them.`);
  }
  return [...new Set(out)];
}

function parseRuleOptions(values: readonly string[]): RuleLevels {
  const raw: Record<string, string> = {};
  for (const v of values.flatMap((x) => x.split(','))) {
    const m = /^([\w-]+)=(\w+)$/.exec(v.trim());
    if (!m) throw new CliUsageError(`--rule takes <id>=<level>, e.g. --rule torch-autocast=off (got '${v}')`);
    raw[m[1]!] = m[2]!;
  }
  const { levels, problems } = parseLevels(raw);
  if (problems.length) throw new CliUsageError(problems[0]!);
  return levels;
}

/** Is `f` reported at `level` (suggestions at their default hint level are editor code actions only)? */
function reported(f: Finding, levels: RuleLevels): RuleLevel {
  const level = levelOf(f.ruleId, levels);
  const assist = RULES.some((r) => r.id === f.ruleId && 'assist' in r && r.assist);
  return assist && level === 'hint' ? 'off' : level;
}

function toLint(f: Finding, severity: Severity, lines: LineIndex): LintFinding {
  const s = lines.position(f.start);
  const e = lines.position(f.end);
  return {
    ruleId: f.ruleId,
    severity,
    line: s.line + 1,
    column: s.character + 1,
    endLine: e.line + 1,
    endColumn: e.character + 1,
    message: f.message,
    docs: docsUrl(f.ruleId),
    fixes: f.fixes.map((x) => ({ title: x.title, safe: x.safe })),
  };
}

function analyze(parser: PythonParser, text: string): Analysis {
  const tree = parser.parse(text);
  try {
    return new DocumentAnalyzer().analyze(tree, text);
  } finally {
    tree.delete();
  }
}

function parsesCleanly(parser: PythonParser, text: string): boolean {
  const tree = parser.parse(text);
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

/** Applies safe fixes one at a time (a fresh analysis after each) until none is left. */
function fixText(parser: PythonParser, text: string, levels: RuleLevels): { text: string; applied: { ruleId: RuleId; title: string }[] } {
  const applied: { ruleId: RuleId; title: string }[] = [];
  const tried = new Set<string>();
  let current = text;
  for (let round = 0; round < 200; round++) {
    const a = analyze(parser, current);
    let next: { f: Finding; fix: Fix } | undefined;
    for (const f of a.findings) {
      if (reported(f, levels) === 'off') continue;
      const fix = f.fixes.find((x) => x.safe && x.preferred) ?? f.fixes.find((x) => x.safe);
      if (!fix || tried.has(`${f.ruleId}\0${f.message}\0${fix.title}\0${f.start}`)) continue;
      next = { f, fix };
      break;
    }
    if (!next) break;
    tried.add(`${next.f.ruleId}\0${next.f.message}\0${next.fix.title}\0${next.f.start}`);
    const candidate = applyEdits(current, next.fix.edits);
    if (!parsesCleanly(parser, candidate)) continue; // never write a file that no longer parses
    current = candidate;
    applied.push({ ruleId: next.f.ruleId, title: next.fix.title });
  }
  return { text: current, applied };
}

/** A file name next to `file` that does not exist yet: file.bak, file.bak.1, … */
function backupName(file: string): string {
  let b = `${file}.bak`;
  for (let k = 1; fs.existsSync(b); k++) b = `${file}.bak.${k}`;
  return b;
}

/** Writes `text` to `file` atomically (a temporary file in the same folder, then rename), keeping its mode. */
function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const mode = fs.statSync(file).mode;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

export async function lintCommand(args: readonly string[], io: Io): Promise<number> {
  const targets: string[] = [];
  const ruleValues: string[] = [];
  let json = false;
  let fix = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') {
      io.out(LINT_USAGE);
      return 0;
    } else if (a === '--json') json = true;
    else if (a === '--fix') fix = true;
    else if (a === '--rule' || a.startsWith('--rule=')) {
      const v = a === '--rule' ? args[++i] : a.slice('--rule='.length);
      if (!v) throw new CliUsageError('--rule needs <id>=<level>, e.g. --rule torch-autocast=off');
      ruleValues.push(v);
    } else if (a.startsWith('-') && a !== '-') throw new CliUsageError(`unknown option '${a}' for lint. Run 'inference-lens lint --help'.`);
    else targets.push(a);
  }
  if (!targets.length) throw new CliUsageError('lint needs a Python file or a folder: inference-lens lint <file.py|folder> [--json] [--fix]');
  const levels = parseRuleOptions(ruleValues);
  const files = collect(targets);
  if (!files.length) throw new CliUsageError(`no Python files (.py) in ${targets.join(', ')}. Give a Python file or a folder that holds some.`);
  const parser = await loadPythonParser();

  const reports: LintFileReport[] = [];
  for (const file of files) {
    let text: string;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new CliUsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      // Python source is UTF-8 (PEP 3120); a binary or otherwise encoded file is not linted as garbage.
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliUsageError(`${file} is not UTF-8 text (a binary file, or another encoding). Save it as UTF-8 or leave it out.`);
    }
    if (text.includes('\0')) throw new CliUsageError(`${file} holds NUL bytes: it is not a Python source file.`);
    let fixed: LintFileReport['fixed'];
    const before = analyze(parser, text);
    if (fix && !before.syntaxErrors) {
      const r = fixText(parser, text, levels);
      if (r.applied.length && r.text !== text) {
        const backup = backupName(file);
        fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
        writeAtomic(file, r.text);
        fixed = { applied: r.applied, backup, diff: unifiedDiff(text, r.text, file) };
        text = r.text;
      }
    }
    const a = fixed ? analyze(parser, text) : before;
    const lines = new LineIndex(text);
    const findings: LintFinding[] = [];
    for (const f of a.findings) {
      const level = reported(f, levels);
      if (level !== 'off') findings.push(toLint(f, level, lines));
    }
    reports.push({ path: file, findings, syntaxErrors: a.syntaxErrors, ...(fixed ? { fixed } : {}) });
  }

  const count = (s: Severity) => reports.reduce((n, r) => n + r.findings.filter((f) => f.severity === s).length, 0);
  const report: LintReport = {
    schemaVersion: LINT_SCHEMA_VERSION,
    files: reports,
    summary: {
      files: reports.length,
      findings: reports.reduce((n, r) => n + r.findings.length, 0),
      error: count('error'),
      warning: count('warning'),
      information: count('information'),
      hint: count('hint'),
      fixed: reports.reduce((n, r) => n + (r.fixed?.applied.length ?? 0), 0),
    },
  };
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderLint(report));
  return report.summary.error > 0 ? 1 : 0;
}

export function renderLint(r: LintReport): string {
  const out: string[] = [];
  for (const f of r.files) {
    if (f.fixed) {
      out.push(f.fixed.diff.slice(0, -1));
      out.push(`Fixed ${f.path}: ${f.fixed.applied.map((a) => a.title).join('; ')} (original kept as ${f.fixed.backup})`);
      out.push('');
    }
    if (f.syntaxErrors) out.push(`${f.path}: syntax errors: findings may be incomplete${f.fixed === undefined ? '; no fix applied' : ''}`);
    for (const x of f.findings) {
      out.push(`${f.path}:${x.line}:${x.column}: ${x.severity} ${x.ruleId}: ${x.message}`);
      const safe = x.fixes.find((k) => k.safe);
      if (safe) out.push(`    fix: ${safe.title} (inference-lens lint --fix applies it)`);
      else if (x.fixes.length) out.push(`    fix in the editor: ${x.fixes[0]!.title}`);
    }
  }
  const s = r.summary;
  const parts = (['error', 'warning', 'information', 'hint'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} ${k === 'information' ? 'information' : `${k}${s[k] === 1 ? '' : 's'}`}`);
  out.push(`${s.findings === 0 ? 'No findings' : `${s.findings} finding${s.findings === 1 ? '' : 's'} (${parts.join(', ')})`} in ${s.files} file${s.files === 1 ? '' : 's'}${s.fixed ? `; ${s.fixed} fix${s.fixed === 1 ? '' : 'es'} applied` : ''}.`);
  return `${out.join('\n')}\n`;
}

/** A unified diff (3 lines of context) of two texts, by lines. */
export function unifiedDiff(a: string, b: string, name: string): string {
  // Lines without their break; a text that does not end with one gets git's marker after its last line.
  const split = (t: string) => (t.endsWith('\n') ? t.slice(0, -1).split('\n') : t === '' ? [] : t.split('\n'));
  // The last line of a text without a final break never equals a line that has one.
  const NOEOL = '\u0000';
  const x = split(a);
  const y = split(b);
  if (a !== '' && !a.endsWith('\n')) x[x.length - 1] += NOEOL;
  if (b !== '' && !b.endsWith('\n')) y[y.length - 1] += NOEOL;
  // Trim the common ends, then a longest-common-subsequence table over the middle.
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  const n = xs.length;
  const m = ys.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = xs[i] === ys[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { t: ' ' | '-' | '+'; s: string; ai: number; bi: number };
  const ops: Op[] = [];
  for (let k = 0; k < pre; k++) ops.push({ t: ' ', s: x[k]!, ai: k, bi: k });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) {
      ops.push({ t: ' ', s: xs[i]!, ai: pre + i, bi: pre + j });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ t: '-', s: xs[i]!, ai: pre + i, bi: pre + j });
      i++;
    } else {
      ops.push({ t: '+', s: ys[j]!, ai: pre + i, bi: pre + j });
      j++;
    }
  }
  for (let k = 0; k < suf; k++) ops.push({ t: ' ', s: x[x.length - suf + k]!, ai: x.length - suf + k, bi: y.length - suf + k });
  // a/ and b/ prefixes for relative paths, as git writes them: `patch -p1` and `git apply` take it.
  const rel = name.split(path.sep).join('/');
  const out = path.isAbsolute(name) ? [`--- ${rel}`, `+++ ${rel}`] : [`--- a/${rel}`, `+++ b/${rel}`];
  const CONTEXT = 3;
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend the hunk while changes are within 2*CONTEXT lines of each other.
    for (let q = k; q < ops.length; q++) {
      if (ops[q]!.t !== ' ') end = q;
      else if (q - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(ops.length, end + CONTEXT + 1);
    const hunk = ops.slice(start, stop);
    const aCount = hunk.filter((o) => o.t !== '+').length;
    const bCount = hunk.filter((o) => o.t !== '-').length;
    const first = hunk[0]!;
    out.push(`@@ -${aCount ? first.ai + 1 : first.ai},${aCount} +${bCount ? first.bi + 1 : first.bi},${bCount} @@`);
    for (const o of hunk) {
      if (o.s.endsWith(NOEOL)) out.push(`${o.t}${o.s.slice(0, -1)}`, '\\ No newline at end of file');
      else out.push(`${o.t}${o.s}`);
    }
    k = stop;
  }
  return `${out.join('\n')}\n`;
}
