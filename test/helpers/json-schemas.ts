/**
 * The CLI's JSON Schemas (src/cli/schemas/<command>.schema.json, draft 2020-12) for tests: a real
 * validator (ajv) over all of them, and a check that each schema matches the TypeScript type it
 * documents (`"$comment": "ts: <file>#<Type>"`): same property names, the same ones required,
 * nullability, arrays, and the same values for string/number literal unions — so adding, renaming
 * or making optional a field in the code without the schema (or the reverse) fails a test even when
 * no output in the tests happens to carry that field.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import ts from 'typescript';
import { REPO } from './fixtures';

export const SCHEMA_DIR = path.join(REPO, 'src', 'cli', 'schemas');

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Schema = { [k: string]: Json };

/** Every schema file by its `$id` (the file name). */
export function schemaFiles(): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const f of fs.readdirSync(SCHEMA_DIR).filter((x) => x.endsWith('.schema.json')).sort()) {
    const s = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Schema;
    out.set(f, s);
  }
  return out;
}

let ajv: Ajv2020 | undefined;

/** A validator for `<command>.schema.json` (strict mode: unknown keywords or loose schemas are errors). */
export function validator(command: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    for (const s of schemaFiles().values()) ajv.addSchema(s);
  }
  const v = ajv.getSchema(`${command}.schema.json`);
  if (!v) throw new Error(`no schema for ${command}`);
  return v;
}

/** Validates `data` against the command's schema; the errors in words ('' when valid). */
export function schemaErrors(command: string, data: unknown): string {
  const v = validator(command);
  if (v(data)) return '';
  return (v.errors ?? []).slice(0, 8).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

// ---- schema ↔ TypeScript -----------------------------------------------------------------------

interface Resolved {
  readonly node: Schema;
  readonly file: string;
}

function resolve(node: Schema, file: string, files: Map<string, Schema>): Resolved {
  let cur: Resolved = { node, file };
  for (let guard = 0; typeof cur.node['$ref'] === 'string' && guard < 20; guard++) {
    const [f, pointer = ''] = (cur.node['$ref'] as string).split('#');
    const target = f ? f : cur.file;
    let n: Json = files.get(target)!;
    for (const part of pointer.split('/').filter(Boolean)) n = (n as { [k: string]: Json })[part]!;
    if (!n) throw new Error(`unresolved $ref ${cur.node['$ref']} in ${cur.file}`);
    cur = { node: n as Schema, file: target };
  }
  return cur;
}

/** Properties and required names of an object schema, through allOf and (as optional) oneOf/anyOf branches. */
function objectShape(r: Resolved, files: Map<string, Schema>): { props: Map<string, Resolved>; required: Set<string>; index?: Resolved } | undefined {
  const props = new Map<string, Resolved>();
  const required = new Set<string>();
  let index: Resolved | undefined;
  let isObject = r.node['type'] === 'object' || r.node['properties'] !== undefined;
  const own = r.node['properties'] as { [k: string]: Json } | undefined;
  for (const [k, v] of Object.entries(own ?? {})) props.set(k, { node: v as Schema, file: r.file });
  for (const k of (r.node['required'] as string[] | undefined) ?? []) required.add(k);
  const ap = r.node['additionalProperties'];
  if (ap && typeof ap === 'object') index = { node: ap as Schema, file: r.file };
  for (const sub of (r.node['allOf'] as Schema[] | undefined) ?? []) {
    const s = objectShape(resolve(sub, r.file, files), files);
    if (!s) continue;
    isObject = true;
    for (const [k, v] of s.props) props.set(k, v);
    for (const k of s.required) required.add(k);
  }
  // oneOf/anyOf: the object branches (a branch may be null or a constant, as `'off' | {…}`).
  const branches = (((r.node['oneOf'] ?? r.node['anyOf']) as Schema[] | undefined) ?? []).map((b) => objectShape(resolve(b, r.file, files), files)).filter((b) => b !== undefined);
  if (branches.length) {
    isObject = true;
    for (const b of branches) for (const [k, v] of b.props) props.set(k, v);
    for (const k of branches[0]!.required) if (branches.every((b) => b.required.has(k))) required.add(k);
  }
  return isObject ? { props, required, ...(index ? { index } : {}) } : undefined;
}

function schemaTypes(r: Resolved, files: Map<string, Schema>): Set<string> {
  const out = new Set<string>();
  const t = r.node['type'];
  if (typeof t === 'string') out.add(t);
  else if (Array.isArray(t)) for (const x of t) out.add(x as string);
  if ('const' in r.node) out.add(r.node['const'] === null ? 'null' : typeof r.node['const']);
  for (const v of (r.node['enum'] as Json[] | undefined) ?? []) out.add(v === null ? 'null' : typeof v);
  for (const b of ((r.node['oneOf'] ?? r.node['anyOf']) as Schema[] | undefined) ?? []) for (const x of schemaTypes(resolve(b, r.file, files), files)) out.add(x);
  if (out.has('integer')) out.add('number');
  return out;
}

function literalValues(r: Resolved, files: Map<string, Schema>): Set<Json> | undefined {
  if ('const' in r.node) return new Set([r.node['const']!]);
  if (Array.isArray(r.node['enum'])) return new Set(r.node['enum']);
  const branches = (r.node['oneOf'] ?? r.node['anyOf']) as Schema[] | undefined;
  if (!branches) return undefined;
  const out = new Set<Json>();
  for (const b of branches) {
    const v = literalValues(resolve(b, r.file, files), files);
    if (v) for (const x of v) out.add(x);
  }
  return out.size ? out : undefined;
}

function itemsOf(r: Resolved, files: Map<string, Schema>): Resolved | undefined {
  if (r.node['items']) return { node: r.node['items'] as Schema, file: r.file };
  for (const b of ((r.node['oneOf'] ?? r.node['anyOf']) as Schema[] | undefined) ?? []) {
    const it = itemsOf(resolve(b, r.file, files), files);
    if (it) return it;
  }
  return undefined;
}

/**
 * Mismatches between every schema node marked `"$comment": "ts: file#Type"` and that TypeScript
 * type, recursively through properties and array items ([] when they agree).
 */
export function schemaTypeMismatches(files: Map<string, Schema> = schemaFiles()): string[] {
  const marked: { at: string; r: Resolved; tsFile: string; type: string }[] = [];
  const walk = (n: Json, file: string, at: string) => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach((x, i) => walk(x, file, `${at}/${i}`));
    const c = n['$comment'];
    if (typeof c === 'string' && c.startsWith('ts: ')) {
      const [tsFile, type] = c.slice(4).split('#') as [string, string];
      marked.push({ at: `${file}#${at}`, r: { node: n, file }, tsFile, type });
    }
    for (const [k, v] of Object.entries(n)) walk(v, file, `${at}/${k}`);
  };
  for (const [f, s] of files) walk(s, f, '');
  const program = ts.createProgram(
    [...new Set(marked.map((m) => path.join(REPO, m.tsFile)))],
    { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, noEmit: true, types: ['node'] },
  );
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  const seen = new Set<string>();

  const typeOf = (tsFile: string, name: string): ts.Type | undefined => {
    const sf = program.getSourceFile(path.join(REPO, tsFile));
    const mod = sf && checker.getSymbolAtLocation(sf);
    const sym = mod && checker.getExportsOfModule(mod).find((s) => s.name === name);
    return sym ? checker.getDeclaredTypeOfSymbol(sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym) : undefined;
  };

  const compare = (r: Resolved, t: ts.Type, where: string, depth: number): void => {
    if (depth > 12) return;
    const key = `${r.file}|${JSON.stringify(r.node)}|${checker.typeToString(t)}`;
    if (seen.has(key)) return;
    seen.add(key);
    r = resolve(r.node, r.file, files);
    const members = t.isUnion() ? t.types : [t];
    const nullable = members.some((m) => m.flags & ts.TypeFlags.Null);
    const rest = members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const types = schemaTypes(r, files);
    if (nullable !== types.has('null')) problems.push(`${where}: ${nullable ? 'the type can be null, the schema does not allow null' : 'the schema allows null, the type cannot be null'}`);
    const objects = rest.filter((m) => m.flags & ts.TypeFlags.Object || m.isIntersection());
    const literals = rest.filter((m) => m.isLiteral() || m.flags & ts.TypeFlags.BooleanLiteral);
    const arrays = objects.filter((m) => checker.isArrayType(m) || checker.isTupleType(m));
    const plain = objects.filter((m) => !arrays.includes(m));
    if (arrays.length) {
      const items = itemsOf(r, files);
      if (!types.has('array') || !items) problems.push(`${where}: the type is an array, the schema is not`);
      else compare(items, checker.getTypeArguments(arrays[0] as ts.TypeReference)[0]!, `${where}[]`, depth + 1);
    } else if (types.has('array')) problems.push(`${where}: the schema is an array, the type is not`);
    if (plain.length) {
      const shape = objectShape(r, files);
      if (!shape) {
        problems.push(`${where}: the type is an object, the schema is not`);
        return;
      }
      const index = plain.map((m) => checker.getIndexInfoOfType(m, ts.IndexKind.String)).find(Boolean);
      if (index) {
        if (!shape.index) problems.push(`${where}: the type is a record (string keys), the schema has no additionalProperties schema`);
        else compare(shape.index, index.type, `${where}{}`, depth + 1);
      }
      // Properties over all object members of a union: optional where a member lacks it or marks it optional.
      const props = new Map<string, { sym: ts.Symbol; optional: boolean }>();
      for (const m of plain) {
        for (const p of checker.getPropertiesOfType(m)) {
          const optional = (p.flags & ts.SymbolFlags.Optional) !== 0 || plain.some((o) => !checker.getPropertyOfType(o, p.name));
          const prev = props.get(p.name);
          props.set(p.name, { sym: prev?.sym ?? p, optional: optional || (prev?.optional ?? false) });
        }
      }
      const union = plain.length > 1;
      for (const [name, { sym, optional }] of props) {
        const s = shape.props.get(name);
        if (!s) {
          problems.push(`${where}.${name}: in the type, not in the schema`);
          continue;
        }
        // A property present in only some members of a union is optional however the schema branches say it.
        if (!union && optional === shape.required.has(name)) problems.push(`${where}.${name}: ${optional ? 'optional in the type, required in the schema' : 'required in the type, optional in the schema'}`);
        compare(s, checker.getTypeOfSymbol(sym), `${where}.${name}`, depth + 1);
      }
      for (const name of shape.props.keys()) if (!props.has(name)) problems.push(`${where}.${name}: in the schema, not in the type`);
    }
    if (!objects.length && literals.length === rest.length && literals.length) {
      const values = new Set(literals.map((m) => (m.isLiteral() ? (m.value as Json) : checker.typeToString(m) === 'true')));
      const allowed = literalValues(r, files);
      const bothBooleans = literals.every((m) => m.flags & ts.TypeFlags.BooleanLiteral);
      if (bothBooleans) {
        if (!types.has('boolean')) problems.push(`${where}: boolean in the type, not in the schema`);
      } else if (!allowed) problems.push(`${where}: the type allows only ${[...values].join(' | ')}, the schema any value`);
      else if ([...values].some((v) => !allowed.has(v)) || [...allowed].some((v) => v !== null && !values.has(v))) {
        problems.push(`${where}: the type allows ${[...values].join(' | ')}, the schema ${[...allowed].join(' | ')}`);
      }
    } else if (!objects.length && rest.length) {
      const prim = rest[0]!;
      const want = prim.flags & ts.TypeFlags.StringLike ? 'string' : prim.flags & ts.TypeFlags.NumberLike ? 'number' : prim.flags & ts.TypeFlags.BooleanLike ? 'boolean' : undefined;
      if (want && !types.has(want)) problems.push(`${where}: ${want} in the type, the schema has ${[...types].join('/') || 'no type'}`);
    }
  };

  for (const m of marked) {
    const t = typeOf(m.tsFile, m.type);
    if (!t) {
      problems.push(`${m.at}: ${m.tsFile} exports no type ${m.type}`);
      continue;
    }
    compare(m.r, t, `${m.at} (${m.type})`, 0);
  }
  return problems;
}
