/**
 * Building blocks of quick fixes: minimal text edits that keep the file's own style (its
 * indentation unit, quote character, line break, one-argument-per-line calls and trailing
 * commas), and imports added once, only when no visible name already refers to the object.
 */
import type { Node } from './parser';
import { type Resolver, type Scope, canonical } from './scope';
import { codeChildren } from './syntax';
import { type LineIndex, type TextEdit } from './text';

const MAX_LINE = 100;

export class FixKit {
  constructor(
    readonly text: string,
    readonly lines: LineIndex,
    readonly resolver: Resolver,
    /** Where new imports go (a line start). */
    readonly importAt: number,
    /** Multi-line string literals: their continuation lines are never re-indented. */
    private readonly multilineStrings: readonly { start: number; end: number }[],
    /** The file's indentation unit where none is visible locally. */
    private readonly fileIndentUnit: string,
    /** The line start of the first import (standard-library imports go there, as isort orders them). */
    readonly firstImportAt: number = importAt,
  ) {}

  get eol(): string {
    return this.lines.eol;
  }

  /** True when only whitespace precedes `offset` on its line. */
  startsLine(offset: number): boolean {
    return /^[ \t]*$/.test(this.text.slice(this.lines.lineStart(this.lines.lineOf(offset)), offset));
  }

  indentAt(offset: number): string {
    return this.lines.indentOf(offset);
  }

  /** The indentation unit around `node`: a block's extra indentation over its header, else the file's. */
  indentUnit(node: Node): string {
    for (let n: Node | null = node; n; n = n.parent) {
      const body = n.childForFieldName('body') ?? (n.type === 'block' ? n : null);
      const first = body ? codeChildren(body)[0] : undefined;
      if (first && n.type !== 'block' && this.startsLine(first.startIndex) && this.lines.lineOf(first.startIndex) > this.lines.lineOf(n.startIndex)) {
        const outer = this.indentAt(n.startIndex);
        const inner = this.indentAt(first.startIndex);
        if (inner.startsWith(outer) && inner.length > outer.length) return inner.slice(outer.length);
      }
    }
    return this.fileIndentUnit;
  }

  /** The quote the code near `node` uses for strings. */
  quote(near: Node | null | undefined): '"' | "'" {
    const scope = near ? this.text.slice(near.startIndex, near.endIndex) : '';
    const m = /(?:^|[^\w'"])(['"])/.exec(scope);
    if (m) return m[1] as '"' | "'";
    const d = (this.text.match(/"/g) ?? []).length;
    const s = (this.text.match(/'/g) ?? []).length;
    return s > d ? "'" : '"';
  }

  /**
   * Appends `items` (already formatted, e.g. `opset_version=17` or `"x": {0: "batch"}`) to an
   * argument_list or dictionary, in its layout: one per line when its entries are, else inline
   * (wrapped under the opening bracket when the line would pass 100 columns).
   */
  appendItems(container: Node, items: readonly string[]): TextEdit[] {
    const open = container.startIndex;
    const close = container.endIndex - 1;
    const entries = codeChildren(container);
    const last = entries[entries.length - 1];
    const eol = this.eol;
    if (!last) {
      const inline = items.join(', ');
      if (this.lines.lineOf(open) === this.lines.lineOf(close)) return [{ start: open + 1, end: close, newText: inline }];
      const indent = this.indentAt(open) + this.indentUnit(container);
      return [{ start: open + 1, end: close, newText: eol + items.map((i) => indent + i + ',').join(eol) + eol + this.indentAt(close) }];
    }
    const after = this.text.slice(last.endIndex, close);
    const trailingComma = /^\s*(#[^\n]*\n\s*)*,/.test(after);
    const multiLine = this.lines.lineOf(last.startIndex) !== this.lines.lineOf(open) && this.lines.lineOf(close) !== this.lines.lineOf(open);
    if (multiLine) {
      const indent = this.startsLine(last.startIndex) ? this.indentAt(last.startIndex) : ' '.repeat(last.startIndex - this.lines.lineStart(this.lines.lineOf(last.startIndex)));
      const block = (terminal: boolean) => items.map((i, k) => indent + this.reindent(i, indent) + (k < items.length - 1 || terminal ? ',' : '')).join(eol);
      if (trailingComma) {
        const comma = last.endIndex + after.indexOf(',');
        const lineEnd = this.lines.lineEnd(this.lines.lineOf(comma));
        return [{ start: lineEnd, end: lineEnd, newText: eol + block(true) }];
      }
      const lineEnd = this.lines.lineEnd(this.lines.lineOf(last.endIndex));
      if (lineEnd < close) {
        // `x  # comment` then `)` on its own line: the comma goes after x, the new lines after the comment.
        return [
          { start: last.endIndex, end: last.endIndex, newText: ',' },
          { start: lineEnd, end: lineEnd, newText: eol + block(false) },
        ];
      }
      return [{ start: last.endIndex, end: last.endIndex, newText: ',' + eol + block(false) }];
    }
    const line = this.lines.lineOf(close);
    const lineText = this.text.slice(this.lines.lineStart(line), this.lines.lineEnd(line));
    const inline = items.join(', ');
    const sep = trailingComma ? ' ' : ', ';
    const insertAt = trailingComma ? last.endIndex + after.indexOf(',') + 1 : last.endIndex;
    if (lineText.length + sep.length + inline.length <= MAX_LINE && !inline.includes('\n')) return [{ start: insertAt, end: insertAt, newText: sep + inline }];
    // Too long for one line: continue under the opening bracket (PEP 8 visual indent).
    const align = ' '.repeat(open + 1 - this.lines.lineStart(this.lines.lineOf(open)));
    return [{ start: insertAt, end: insertAt, newText: (trailingComma ? '' : ',') + eol + items.map((i) => align + this.reindent(i, align)).join(',' + eol) }];
  }

  /** Continuation lines of a multi-line item start at `indent`. */
  private reindent(item: string, indent: string): string {
    return item.replace(/\n/g, `${this.eol}${indent}`);
  }

  /** Lines inserted after the statement `stmt`, at its line's indentation. Undefined when `stmt` follows other code on its line (except `a; stmt`). */
  insertAfter(stmt: Node, newLines: readonly string[]): TextEdit | undefined {
    // `a = 1; stmt` is fine too: the new lines go after the whole line, at its indentation.
    const before = this.text.slice(this.lines.lineStart(this.lines.lineOf(stmt.startIndex)), stmt.startIndex);
    if (!this.startsLine(stmt.startIndex) && !/;[ \t]*$/.test(before)) return undefined;
    const indent = this.indentAt(stmt.startIndex);
    const line = this.lines.lineOf(stmt.endIndex);
    const eol = this.eol;
    const body = newLines.map((l) => (l ? indent + l : l)).join(eol);
    if (line + 1 >= this.lines.lineCount) {
      const end = this.text.length;
      return { start: end, end, newText: (this.text.endsWith('\n') || this.text.endsWith('\r') ? '' : eol) + body + eol };
    }
    const at = this.lines.lineStart(line + 1);
    return { start: at, end: at, newText: body + eol };
  }

  /** Lines inserted before the statement `stmt`, at its indentation. */
  insertBefore(stmt: Node, newLines: readonly string[]): TextEdit | undefined {
    if (!this.startsLine(stmt.startIndex)) return undefined;
    const indent = this.indentAt(stmt.startIndex);
    const at = this.lines.lineStart(this.lines.lineOf(stmt.startIndex));
    return { start: at, end: at, newText: newLines.map((l) => indent + l + this.eol).join('') };
  }

  /**
   * Wraps the statements from `first` to `last` (same block) in `header:` (e.g. `with torch.no_grad():`),
   * indenting them by the local unit; continuation lines of multi-line strings keep their text.
   */
  wrap(first: Node, last: Node, header: string): TextEdit | undefined {
    if (!this.startsLine(first.startIndex)) return undefined;
    const l0 = this.lines.lineOf(first.startIndex);
    const l1 = this.lines.lineOf(last.endIndex);
    const indent = this.indentAt(first.startIndex);
    const unit = this.indentUnit(first);
    const start = this.lines.lineStart(l0);
    const end = this.lines.lineEnd(l1);
    let out = indent + header + this.eol;
    for (let l = l0; l <= l1; l++) {
      const ls = this.lines.lineStart(l);
      const content = this.text.slice(ls, this.lines.lineEnd(l));
      const inString = this.multilineStrings.some((s) => ls > s.start && ls < s.end);
      out += inString || content.trim() === '' ? content : unit + content;
      if (l < l1) out += this.text.slice(this.lines.lineEnd(l), this.lines.lineStart(l + 1));
    }
    return { start, end, newText: out };
  }

  /** An import plan for one fix: expressions for qualified names, plus the imports they need. */
  imports(scope: Scope, at: number): ImportPlan {
    return new ImportPlan(this, scope, at);
  }
}

export class ImportPlan {
  private readonly plain = new Set<string>();
  private readonly from = new Map<string, Set<string>>();

  constructor(
    private readonly kit: FixKit,
    private readonly scope: Scope,
    private readonly at: number,
  ) {}

  /**
   * An expression that refers to `qname` at the use site: through a visible import
   * (`torch.inference_mode` with `import torch`; `Dim` after `from torch.export import Dim`), else
   * through an import this plan adds: `import <module>` (the default) or `from <module> import <name>`.
   */
  ref(qname: string, how: { module: string; from?: boolean }): string {
    const r = this.kit.resolver;
    let best: { expr: string; len: number } | undefined;
    for (const s of r.chain(this.scope)) {
      {
        for (const b of s.imports) {
          const name = b.name;
          if (!b.qname) continue;
          const q = canonical(b.qname);
          if (qname !== q && !qname.startsWith(`${q}.`)) continue;
          if (best && best.len >= q.length) continue;
          if (r.lookup(name, this.scope, this.at) !== b) continue; // shadowed here
          // `import a.b` binds `a` to the package only: usable as a prefix, as `a`.
          best = { expr: name + qname.slice(q.length), len: q.length };
        }
      }
    }
    if (best) return best.expr;
    if (how.from) {
      const name = qname.slice(how.module.length + 1);
      if (!name.includes('.') && !r.lookup(name, this.scope, this.at)) {
        const set = this.from.get(how.module) ?? new Set<string>();
        set.add(name);
        this.from.set(how.module, set);
        return name;
      }
    }
    const top = how.module.split('.')[0]!;
    const bound = r.lookup(top, this.scope, this.at);
    if (bound && !(bound.kind === 'import' && bound.qname?.split('.')[0] === top)) {
      // The package name is taken by something else here: import under an alias.
      const alias = `_${top}`;
      this.plain.add(`${how.module} as ${alias}`);
      return alias + qname.slice(how.module.length);
    }
    this.plain.add(how.module);
    return qname;
  }

  /** The import lines to add (none when every name was already visible). */
  edits(): TextEdit[] {
    const plain = [...this.plain].sort();
    const stdlib = plain.filter((m) => STDLIB.has(m.split(/[. ]/)[0]!)).map((m) => `import ${m}`);
    const lines = [
      ...plain.filter((m) => !STDLIB.has(m.split(/[. ]/)[0]!)).map((m) => `import ${m}`),
      ...[...this.from].sort(([a], [b]) => a.localeCompare(b)).map(([m, names]) => `from ${m} import ${[...names].sort().join(', ')}`),
    ];
    const { text, importAt, firstImportAt, eol } = this.kit;
    const insert = (at: number, ls: string[]): TextEdit => {
      const needsBreak = at === text.length && text.length > 0 && !/[\r\n]$/.test(text);
      return { start: at, end: at, newText: (needsBreak ? eol : '') + ls.map((l) => l + eol).join('') };
    };
    if (stdlib.length && firstImportAt === importAt) return [insert(importAt, [...stdlib, ...lines])];
    return [...(stdlib.length ? [insert(firstImportAt, stdlib)] : []), ...(lines.length ? [insert(importAt, lines)] : [])];
  }
}

/** Standard-library modules the fixes may import (placed first, with the other standard imports). */
const STDLIB = new Set(['os', 'sys', 'time', 'pathlib']);

/** The indentation unit of a text: the extra indentation of the first block under a `:` line; 4 spaces when none. */
export function detectIndentUnit(text: string): string {
  const re = /^([ \t]*)[^\s#][^\n]*:[ \t]*(#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*([ \t]+)\S/m;
  const m = re.exec(text);
  if (m && m[3]!.startsWith(m[1]!) && m[3]!.length > m[1]!.length) return m[3]!.slice(m[1]!.length);
  return '    ';
}
