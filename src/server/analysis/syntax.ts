/** Small helpers over tree-sitter-python nodes (no scopes, no rules). */
import type { Node } from './parser';

/** Named children that are code (comments are named children too). */
export function codeChildren(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== 'comment');
}

/** `a.b.c` → ['a', 'b', 'c'] for identifier/attribute chains; null for anything else. */
export function dottedParts(node: Node | null): string[] | null {
  if (!node) return null;
  if (node.type === 'identifier') return [node.text];
  if (node.type === 'attribute') {
    const obj = dottedParts(node.childForFieldName('object'));
    const attr = node.childForFieldName('attribute');
    return obj && attr ? [...obj, attr.text] : null;
  }
  return null;
}

/** The innermost node, `expr` without its parentheses. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression') {
    const inner = codeChildren(n)[0];
    if (!inner) break;
    n = inner;
  }
  return n;
}

/** The value of a plain string literal ('x', "x", r'x'; no f-string interpolation, no implicit concatenation). */
export function stringValue(node: Node | null): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  let value = '';
  for (const c of node.namedChildren) {
    if (!c) continue;
    if (c.type === 'interpolation') return undefined;
    if (c.type === 'string_content') value += c.text;
    else if (c.type === 'escape_sequence') value += unescape(c.text);
  }
  return value;
}

function unescape(seq: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  const k = seq.slice(1);
  if (k in simple) return simple[k]!;
  if (/^x[0-9a-fA-F]{2}$/.test(k) || /^u[0-9a-fA-F]{4}$/.test(k)) return String.fromCharCode(parseInt(k.slice(1), 16));
  return seq;
}

/** The quote a string literal uses, for new literals written next to it. */
export function quoteOf(node: Node | null | undefined): '"' | "'" | undefined {
  if (!node || node.type !== 'string') return undefined;
  const m = /^[a-zA-Z]*(["'])/.exec(node.text);
  return m ? (m[1] as '"' | "'") : undefined;
}

export function intValue(node: Node | null): number | undefined {
  if (!node || node.type !== 'integer') return undefined;
  const t = node.text.replace(/_/g, '');
  const v = /^0[xob]/i.test(t) ? Number(t) : Number.parseInt(t, 10);
  return Number.isFinite(v) ? v : undefined;
}

/** Keyword arguments, positional arguments and splats of a call's argument_list. */
export interface CallArgs {
  readonly list: Node;
  readonly positional: Node[];
  readonly keywords: Map<string, { readonly node: Node; readonly value: Node }>;
  /** `*args` (positions after it are unknown). */
  readonly starArgs: Node[];
  /** `**kwargs`. */
  readonly kwSplats: Node[];
  /** Every argument node in source order (for inserting after the last one). */
  readonly all: Node[];
}

export function callArgs(call: Node): CallArgs | undefined {
  const list = call.childForFieldName('arguments');
  if (!list || list.type !== 'argument_list') return undefined; // generator argument: f(x for x in y)
  const positional: Node[] = [];
  const keywords = new Map<string, { node: Node; value: Node }>();
  const starArgs: Node[] = [];
  const kwSplats: Node[] = [];
  const all: Node[] = [];
  for (const a of codeChildren(list)) {
    all.push(a);
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name');
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name.text, { node: a, value });
    } else if (a.type === 'list_splat') starArgs.push(a);
    else if (a.type === 'dictionary_splat') kwSplats.push(a);
    else positional.push(a);
  }
  return { list, positional, keywords, starArgs, kwSplats, all };
}

/** The statement that holds `node` directly in a block or the module (walks up through expressions). */
export function statementOf(node: Node): Node {
  let n: Node = node;
  for (;;) {
    const p = n.parent;
    if (!p || p.type === 'block' || p.type === 'module') return n;
    n = p;
  }
}

const SCOPE_TYPES = new Set(['function_definition', 'lambda', 'class_definition', 'module']);
export const LOOP_TYPES = new Set(['for_statement', 'while_statement']);

/** Ancestors of `node` up to (not including) the nearest function, lambda, class or the module. */
export function ancestorsInScope(node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.parent; p && !SCOPE_TYPES.has(p.type); p = p.parent) out.push(p);
  return out;
}

/** The function definition enclosing `node`, if any. */
export function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') return p;
  return undefined;
}

/** True when `inner` lies within `outer` (by offsets). */
export function within(inner: { startIndex: number; endIndex: number }, outer: { startIndex: number; endIndex: number }): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** Identifiers bound by an assignment/for target (`a`, `a, (b, c)`, `[a, *b]`); attributes and subscripts bind nothing. */
export function targetNames(node: Node | null): Node[] {
  if (!node) return [];
  switch (node.type) {
    case 'identifier':
      return [node];
    case 'pattern_list':
    case 'tuple_pattern':
    case 'list_pattern':
    case 'expression_list':
    case 'tuple':
    case 'list':
    case 'parenthesized_expression':
      return codeChildren(node).flatMap(targetNames);
    case 'list_splat_pattern':
    case 'list_splat':
      return codeChildren(node).flatMap(targetNames);
    default:
      return [];
  }
}
