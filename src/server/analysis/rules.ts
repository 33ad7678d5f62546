/**
 * The rules: what each one looks for, its message, and its quick fixes. Each rule reads the scopes
 * of one piece of a file (module-level code, or one top-level function or class) and reports
 * findings with offsets; src/server/analysis/analyze.ts runs them and caches their results.
 */
import { type FixKit, type ImportPlan } from './fixes';
import type { Node } from './parser';
import { type Resolver, type Scope } from './scope';
import { type CallArgs, LOOP_TYPES, ancestorsInScope, callArgs, codeChildren, dottedParts, quoteOf, statementOf, stringValue, unparen, within } from './syntax';
import { type TextEdit, pyString } from './text';

export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type RuleLevel = Severity | 'off';

export interface RuleInfo {
  readonly id: RuleId;
  /** Short name, for the README and `--help`. */
  readonly title: string;
  readonly severity: Severity;
  /**
   * A suggestion rather than a problem: at its default level (hint) it is offered as a code action
   * only, not reported as a diagnostic or by the CLI; a higher level in the settings reports it.
   */
  readonly assist?: boolean;
}

export const RULES = [
  { id: 'onnx-export-dynamic-axes', title: 'torch.onnx.export without dynamic axes for its inputs and outputs', severity: 'warning' },
  { id: 'onnx-export-dynamic-shapes', title: 'torch.onnx.export(dynamo=True) without dynamic_shapes', severity: 'warning' },
  { id: 'onnx-export-names', title: 'torch.onnx.export without input_names / output_names', severity: 'information' },
  { id: 'onnx-export-opset', title: 'torch.onnx.export without opset_version, or below 14', severity: 'warning' },
  { id: 'onnx-quantize-dynamic', title: 'Quantize the exported ONNX model to INT8 with ONNX Runtime', severity: 'hint', assist: true },
  { id: 'ort-graph-optimization', title: 'SessionOptions without graph_optimization_level = ORT_ENABLE_ALL', severity: 'information' },
  { id: 'ort-providers', title: 'InferenceSession without explicit execution providers', severity: 'warning' },
  { id: 'torch-inference-mode', title: 'Forward passes in a loop without torch.inference_mode() / no_grad()', severity: 'warning' },
  { id: 'torch-autocast', title: 'Float32 inference on CUDA without torch.autocast', severity: 'information' },
  { id: 'torch-non-blocking', title: 'Pinned DataLoader batches copied to the GPU without non_blocking=True', severity: 'information' },
  { id: 'torch-dataloader-workers', title: 'DataLoader without num_workers / pin_memory', severity: 'information' },
  { id: 'torch-data-parallel', title: 'nn.DataParallel instead of DistributedDataParallel', severity: 'warning' },
  { id: 'torch-empty-cache-in-loop', title: 'torch.cuda.empty_cache() inside a loop', severity: 'warning' },
  { id: 'torch-quantize-dynamic', title: 'Quantize a CPU inference model dynamically (INT8)', severity: 'hint', assist: true },
  { id: 'tensorrt-fp16', title: 'TensorRT builder config without BuilderFlag.FP16', severity: 'information' },
] as const satisfies readonly { id: string; title: string; severity: Severity; assist?: boolean }[];

export type RuleId = (typeof RULES)[number]['id'];
export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id);

export function isRuleId(s: string): s is RuleId {
  return (RULE_IDS as readonly string[]).includes(s);
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** Applied by `inference-lens lint --fix`: does not change what the program computes beyond the rule's point. */
  readonly safe: boolean;
  readonly preferred?: boolean;
}

export interface Finding {
  readonly ruleId: RuleId;
  /** Offsets (UTF-16) of the range to underline. */
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly fixes: readonly Fix[];
}

/** A torch.onnx.export call, for the CodeLens and hover: where it is and the file it writes. */
export interface ExportSite {
  /** Offsets of the callee (`torch.onnx.export`). */
  readonly start: number;
  readonly end: number;
  /** The `f` argument when it is a literal path (relative paths are relative to the script's folder). */
  readonly path?: string;
  /** The `f` argument as written. */
  readonly pathText?: string;
}

export interface RuleContext {
  readonly text: string;
  readonly resolver: Resolver;
  readonly kit: FixKit;
  readonly module: Scope;
  /** The scopes of the piece being analysed. */
  readonly scopes: readonly Scope[];
  report(f: Finding): void;
  exportSite(s: ExportSite): void;
  /** Memo of this analysis (keyed by rule helper and node id). */
  readonly memo: Map<string, unknown>;
}

function memo<T>(ctx: RuleContext, key: string, f: () => T): T {
  if (ctx.memo.has(key)) return ctx.memo.get(key) as T;
  const v = f();
  ctx.memo.set(key, v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

const MODERN_OPSET = 17;
/** The dynamo exporter needs opset 18 or newer. */
const MODERN_OPSET_DYNAMO = 18;

type Arg = { readonly value: Node } | 'missing' | 'unknown';

/** An argument by keyword, by position, or from a `**dict` defined in the same function. */
function argOf(ctx: RuleContext, call: Node, scope: Scope, args: CallArgs, name: string, index?: number): Arg {
  const kw = args.keywords.get(name);
  if (kw) return { value: kw.value };
  if (index !== undefined) {
    const firstStar = args.starArgs[0]?.startIndex ?? Infinity;
    const p = args.positional[index];
    if (p && p.startIndex < firstStar) return { value: p };
    if (args.starArgs.length) return 'unknown';
  }
  let unknown = false;
  for (const s of args.kwSplats) {
    const inner = codeChildren(s)[0];
    const entries = inner ? ctx.resolver.dictEntries(inner, scope, call.startIndex) : undefined;
    if (!entries) {
      unknown = true;
      continue;
    }
    const v = entries.get(name);
    if (v) return { value: v };
  }
  return unknown ? 'unknown' : 'missing';
}

/** Qualified name of a call's callee when it is an imported object (through any alias). */
function calleeQName(ctx: RuleContext, call: Node, scope: Scope): string | undefined {
  return memo(ctx, `q${call.id}`, () => {
    const fn = call.childForFieldName('function');
    if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute')) return undefined;
    return ctx.resolver.qnameOf(fn, scope);
  });
}

function callsTo(ctx: RuleContext, qnames: ReadonlySet<string>, lastNames: ReadonlySet<string>): { call: Node; scope: Scope; qname: string }[] {
  const out: { call: Node; scope: Scope; qname: string }[] = [];
  for (const scope of ctx.scopes) {
    for (const call of scope.calls) {
      const fn = call.childForFieldName('function');
      if (!fn) continue;
      // Cheap filter: an attribute callee must end in a wanted name; an identifier may be an alias.
      if (fn.type === 'attribute' && !lastNames.has(fn.childForFieldName('attribute')?.text ?? '')) continue;
      if (fn.type !== 'attribute' && fn.type !== 'identifier') continue;
      const q = calleeQName(ctx, call, scope);
      if (q && qnames.has(q)) out.push({ call, scope, qname: q });
    }
  }
  return out;
}

function calleeNode(call: Node): Node {
  return call.childForFieldName('function') ?? call;
}

function stringList(ctx: RuleContext, node: Node, scope: Scope): string[] | undefined {
  const v = ctx.resolver.resolve(node, scope);
  if (v.kind !== 'seq') return undefined;
  const out: string[] = [];
  for (const item of v.items) {
    const s = stringValue(unparen(item));
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function isTrue(ctx: RuleContext, node: Node, scope: Scope): boolean {
  const v = ctx.resolver.resolve(node, scope);
  return v.kind === 'bool' && v.value;
}

function anyScope(ctx: RuleContext, pick: (s: Scope) => boolean): boolean {
  return ctx.scopes.some(pick) || pick(ctx.module);
}

function fix(title: string, edits: (TextEdit | undefined)[], safe: boolean, plan?: ImportPlan, preferred?: boolean): Fix | undefined {
  if (edits.some((e) => e === undefined)) return undefined;
  return { title, edits: [...(edits as TextEdit[]), ...(plan?.edits() ?? [])], safe, ...(preferred ? { preferred } : {}) };
}

function fixes(...f: (Fix | undefined)[]): Fix[] {
  return f.filter((x): x is Fix => x !== undefined);
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

// ---------------------------------------------------------------------------------------------
// torch.onnx.export

/** torch.onnx.export's parameters by position in the 1.x signature (keyword-only since 2.x). */
const EXPORT_POS = { args: 1, f: 2, input_names: 6, output_names: 7, opset_version: 9, dynamic_axes: 11 } as const;

const TOKEN_LIKE = /^(input_ids|attention_mask|token_type_ids|position_ids|decoder_input_ids|decoder_attention_mask|encoder_attention_mask|labels|tokens?|ids)$|_(ids|tokens?)$/i;
const SEQUENCE_OUTPUT = /^(last_hidden_state|hidden_states|encoder_last_hidden_state)$/;
/** Names of example tensors that say nothing about the input ("dummy_input" is not a good ONNX input name). */
const GENERIC_ARG = /^(x|inp|inputs?|dummy(_\w+)?|example(_\w+)?|sample(_\w+)?|args?|t|tensor|data|img|batch)$/i;

function axesOf(name: string, role: 'input' | 'output', tokenInputs: boolean): [number, string][] {
  if (role === 'input') return TOKEN_LIKE.test(name) ? [[0, 'batch'], [1, 'sequence']] : [[0, 'batch']];
  return tokenInputs && SEQUENCE_OUTPUT.test(name) ? [[0, 'batch'], [1, 'sequence']] : [[0, 'batch']];
}

function axesText(axes: [number, string][], q: '"' | "'"): string {
  return `{${axes.map(([d, n]) => `${d}: ${pyString(n, q)}`).join(', ')}}`;
}

/** `name={...}` on one line when short, else one entry per line (continuation lines relative to the item). */
function dictKwarg(name: string, entries: readonly string[], unit: string): string {
  const one = `${name}={${entries.join(', ')}}`;
  if (one.length <= 72) return one;
  return `${name}={\n${entries.map((e) => `${unit}${e},`).join('\n')}\n}`;
}

interface ExportInfo {
  readonly call: Node;
  readonly scope: Scope;
  readonly args: CallArgs;
  readonly dynamo: boolean;
  readonly inputNames: Arg;
  readonly outputNames: Arg;
  readonly complete: boolean;
}

/** Names for a call's example inputs: the arguments' own names when they say something, else input / input_N. */
function derivedInputNames(ctx: RuleContext, info: ExportInfo): string[] | undefined {
  const a = argOf(ctx, info.call, info.scope, info.args, 'args', EXPORT_POS.args);
  if (typeof a === 'string') return a === 'missing' ? [] : undefined;
  const n = unparen(a.value);
  let items: Node[];
  if (n.type === 'tuple') items = codeChildren(n);
  else if (n.type === 'identifier') {
    const v = ctx.resolver.resolve(n, info.scope);
    if (v.kind === 'seq' && v.node.type === 'tuple') items = v.items;
    else if (v.kind === 'dict' || /^(inputs|args|example_inputs|dummy_inputs)$/.test(n.text)) return undefined;
    else items = [n];
  } else items = [n];
  if (items.some((i) => i.type === 'dictionary')) return undefined;
  const names = items.map((i) => (i.type === 'identifier' && !GENERIC_ARG.test(i.text) ? i.text : undefined));
  if (items.length === 1) return [names[0] ?? 'input'];
  return names.map((nm, k) => nm ?? `input_${k}`);
}

/** A path written as a literal: 'm.onnx', os.path.join('out', 'm.onnx'), Path('out') / 'm.onnx', str(...), or a variable holding one. */
function pathValue(ctx: RuleContext, node: Node, scope: Scope, depth = 0): string | undefined {
  if (depth > 6) return undefined;
  const n = unparen(node);
  const v = ctx.resolver.resolve(n, scope);
  if (v.kind === 'str') return v.value;
  if (n.type === 'identifier') {
    const b = ctx.resolver.lookup(n.text, scope, n.startIndex);
    return b?.kind === 'assign' && b.node ? pathValue(ctx, b.node, b.scope, depth + 1) : undefined;
  }
  if (n.type === 'binary_operator' && n.childForFieldName('operator')?.text === '/') {
    const l = n.childForFieldName('left');
    const r = n.childForFieldName('right');
    const a = l ? pathValue(ctx, l, scope, depth + 1) : undefined;
    const b = r ? pathValue(ctx, r, scope, depth + 1) : undefined;
    return a !== undefined && b !== undefined ? joinPath(a, b) : undefined;
  }
  if (n.type === 'call') {
    const q = calleeQName(ctx, n, scope);
    const fnText = n.childForFieldName('function')?.text;
    const args = callArgs(n);
    if (!args || args.keywords.size || args.starArgs.length || args.kwSplats.length) return undefined;
    const parts = args.positional.map((p) => pathValue(ctx, p, scope, depth + 1));
    if (parts.some((p) => p === undefined) || !parts.length) return undefined;
    if (q === 'os.path.join' || q === 'posixpath.join' || q === 'pathlib.Path' || q === 'pathlib.PurePath') return (parts as string[]).reduce(joinPath);
    if (fnText === 'str' && parts.length === 1) return parts[0];
  }
  return undefined;
}

function joinPath(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  return a === '' ? b : `${a.replace(/\/+$/, '')}/${b}`;
}

function checkExports(ctx: RuleContext): void {
  for (const { call, scope } of callsTo(ctx, new Set(['torch.onnx.export']), new Set(['export']))) {
    const args = callArgs(call);
    if (!args) continue;
    const callee = calleeNode(call);
    const f = argOf(ctx, call, scope, args, 'f', EXPORT_POS.f);
    const p = typeof f === 'string' ? undefined : pathValue(ctx, f.value, scope);
    ctx.exportSite({ start: callee.startIndex, end: callee.endIndex, ...(p !== undefined ? { path: p } : {}), ...(typeof f !== 'string' ? { pathText: f.value.text } : {}) });
    const dyn = argOf(ctx, call, scope, args, 'dynamo');
    const info: ExportInfo = {
      call,
      scope,
      args,
      dynamo: typeof dyn !== 'string' && isTrue(ctx, dyn.value, scope),
      inputNames: argOf(ctx, call, scope, args, 'input_names', EXPORT_POS.input_names),
      outputNames: argOf(ctx, call, scope, args, 'output_names', EXPORT_POS.output_names),
      complete: !args.kwSplats.some((s) => !codeChildren(s)[0] || !ctx.resolver.dictEntries(codeChildren(s)[0]!, scope, call.startIndex)) && !args.starArgs.length,
    };
    checkDynamicAxes(ctx, info);
    checkNames(ctx, info);
    checkOpset(ctx, info);
    checkExportQuantize(ctx, info);
  }
}

function checkDynamicAxes(ctx: RuleContext, info: ExportInfo): void {
  const { call, scope, args } = info;
  const callee = calleeNode(call);
  const q = ctx.kit.quote(args.list);
  const unit = ctx.kit.indentUnit(call);
  const names = (a: Arg) => (typeof a === 'string' ? (a === 'missing' ? null : undefined) : stringList(ctx, a.value, scope));
  const inputs = names(info.inputNames);
  const outputs = names(info.outputNames);
  const axes = argOf(ctx, call, scope, args, 'dynamic_axes', EXPORT_POS.dynamic_axes);
  const shapes = argOf(ctx, call, scope, args, 'dynamic_shapes');

  if (info.dynamo) {
    if (shapes !== 'missing' || axes !== 'missing' || !info.complete) return;
    const plan = ctx.kit.imports(scope, call.startIndex);
    const text = dynamicShapesText(ctx, info, plan, q);
    ctx.report({
      ruleId: 'onnx-export-dynamic-shapes',
      start: callee.startIndex,
      end: callee.endIndex,
      message:
        'torch.onnx.export(dynamo=True) has no dynamic_shapes: torch.export specializes the graph to the example inputs\' shapes, so the ONNX model accepts only that batch size (and sequence length). Declare the dynamic dimensions with torch.export.Dim.',
      fixes: fixes(text ? fix('Add dynamic_shapes with torch.export.Dim (batch, sequence)', ctx.kit.appendItems(args.list, [text]), false, plan, true) : undefined),
    });
    return;
  }

  if (axes === 'unknown' || inputs === undefined || outputs === undefined) return;
  if (axes === 'missing') {
    if (!info.complete) return;
    const items: string[] = [];
    let inNames = inputs;
    let outNames = outputs;
    if (inNames === null || outNames === null) {
      const derived = inNames ?? derivedInputNames(ctx, info);
      inNames = derived ?? null;
      outNames = outNames ?? ['output'];
      if (inNames && !inputs) items.push(`input_names=[${inNames.map((n) => pyString(n, q)).join(', ')}]`);
      if (!outputs) items.push(`output_names=[${outNames.map((n) => pyString(n, q)).join(', ')}]`);
    }
    const token = (inNames ?? []).some((n) => TOKEN_LIKE.test(n));
    const entries = inNames && outNames ? [...inNames.map((n) => `${pyString(n, q)}: ${axesText(axesOf(n, 'input', token), q)}`), ...outNames.map((n) => `${pyString(n, q)}: ${axesText(axesOf(n, 'output', token), q)}`)] : undefined;
    if (entries) items.push(dictKwarg('dynamic_axes', entries, unit));
    const what = inputs && outputs ? list([...inputs, ...outputs]) : 'the inputs and outputs';
    ctx.report({
      ruleId: 'onnx-export-dynamic-axes',
      start: callee.startIndex,
      end: callee.endIndex,
      message:
        `torch.onnx.export has no dynamic_axes: ${what} keep the example's fixed shapes, so the exported model only accepts its batch size${token ? ' and sequence length' : ''}. ` +
        `Mark the batch dimension${token ? ' and the sequence dimension of the token inputs' : ''} dynamic.`,
      fixes: fixes(
        entries
          ? fix(inputs && outputs ? `Add dynamic_axes for ${what}` : 'Add input/output names and dynamic_axes (batch dimension)', ctx.kit.appendItems(args.list, items), true, undefined, true)
          : undefined,
      ),
    });
    return;
  }
  // dynamic_axes given: does it cover every named input and output?
  if (inputs === null || outputs === null) return;
  const dict = unparen(axes.value);
  const v = dict.type === 'dictionary' ? dict : (() => {
    const r = ctx.resolver.resolve(dict, scope);
    return r.kind === 'dict' && r.node.type === 'dictionary' ? r.node : undefined;
  })();
  if (!v) return;
  const keys = new Set<string>();
  for (const pair of codeChildren(v)) {
    if (pair.type !== 'pair') return;
    const k = stringValue(pair.childForFieldName('key') ? unparen(pair.childForFieldName('key')!) : null);
    if (k === undefined) return;
    keys.add(k);
  }
  const token = inputs.some((n) => TOKEN_LIKE.test(n));
  const missing = [...inputs.map((n) => [n, 'input'] as const), ...outputs.map((n) => [n, 'output'] as const)].filter(([n]) => !keys.has(n));
  if (!missing.length) return;
  const dq = quoteOf(codeChildren(v)[0]?.childForFieldName('key')) ?? q;
  ctx.report({
    ruleId: 'onnx-export-dynamic-axes',
    start: axes.value.startIndex,
    end: axes.value.endIndex,
    message: `dynamic_axes does not cover ${list(missing.map(([n]) => n))}: ${missing.length === 1 ? 'it keeps' : 'they keep'} the example's fixed shape in the exported model.`,
    fixes: fixes(
      fix(
        `Add dynamic axes for ${list(missing.map(([n]) => n))}`,
        ctx.kit.appendItems(v, missing.map(([n, role]) => `${pyString(n, dq)}: ${axesText(axesOf(n, role, token), dq)}`)),
        true,
        undefined,
        true,
      ),
    ),
  });
}

/** `dynamic_shapes=(...)` aligned with the example args tuple, or undefined when its structure is unknown. */
function dynamicShapesText(ctx: RuleContext, info: ExportInfo, plan: ImportPlan, q: '"' | "'"): string | undefined {
  const a = argOf(ctx, info.call, info.scope, info.args, 'args', EXPORT_POS.args);
  if (typeof a === 'string') return undefined;
  const n = unparen(a.value);
  let items: Node[];
  if (n.type === 'tuple') items = codeChildren(n);
  else if (n.type === 'identifier') {
    const v = ctx.resolver.resolve(n, info.scope);
    if (v.kind === 'seq' && v.node.type === 'tuple') items = v.items;
    else if (v.kind === 'dict' || v.kind === 'seq' || /^(inputs|args|example_inputs|dummy_inputs)$/.test(n.text)) return undefined;
    else items = [n];
  } else if (n.type === 'call' || n.type === 'attribute' || n.type === 'subscript') items = [n];
  else return undefined;
  if (!items.length || items.some((i) => i.type === 'dictionary' || i.type === 'list_splat')) return undefined;
  const inputNames = typeof info.inputNames === 'string' ? undefined : stringList(ctx, info.inputNames.value, info.scope);
  const dim = plan.ref('torch.export.Dim', { module: 'torch' });
  const parts = items.map((item, k) => {
    if (['none', 'integer', 'float', 'string', 'true', 'false'].includes(item.type)) return 'None';
    const name = inputNames?.[k] ?? (item.type === 'identifier' ? item.text : '');
    const axes = TOKEN_LIKE.test(name) ? [[0, 'batch'], [1, 'sequence']] : [[0, 'batch']];
    return `{${axes.map(([d, nm]) => `${d}: ${dim}(${pyString(String(nm), q)})`).join(', ')}}`;
  });
  const one = `dynamic_shapes=(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
  if (one.length <= 80) return one;
  const unit = ctx.kit.indentUnit(info.call);
  return `dynamic_shapes=(\n${parts.map((p) => `${unit}${p},`).join('\n')}\n)`;
}

function checkNames(ctx: RuleContext, info: ExportInfo): void {
  const { call, args } = info;
  const missing = [info.inputNames === 'missing' ? 'input_names' : '', info.outputNames === 'missing' ? 'output_names' : ''].filter(Boolean);
  if (!missing.length || !info.complete) return;
  const q = ctx.kit.quote(args.list);
  const items: string[] = [];
  if (info.inputNames === 'missing') {
    const derived = derivedInputNames(ctx, info);
    if (derived) items.push(`input_names=[${derived.map((n) => pyString(n, q)).join(', ')}]`);
  }
  if (info.outputNames === 'missing') items.push(`output_names=[${pyString('output', q)}]`);
  const callee = calleeNode(call);
  ctx.report({
    ruleId: 'onnx-export-names',
    start: callee.startIndex,
    end: callee.endIndex,
    message: `torch.onnx.export has no ${missing.join(' or ')}: the ONNX graph gets generated names (input.1, onnx::Gemm_0…) that inference code, dynamic_axes and profiling inputs cannot rely on.`,
    fixes: fixes(items.length === missing.length ? fix(`Name the ${missing.length === 2 ? 'inputs and outputs' : missing[0] === 'input_names' ? 'inputs' : 'outputs'}`, ctx.kit.appendItems(args.list, items), true, undefined, true) : undefined),
  });
}

function checkOpset(ctx: RuleContext, info: ExportInfo): void {
  const { call, scope, args } = info;
  const target = info.dynamo ? MODERN_OPSET_DYNAMO : MODERN_OPSET;
  const opset = argOf(ctx, call, scope, args, 'opset_version', EXPORT_POS.opset_version);
  const callee = calleeNode(call);
  if (opset === 'unknown') return;
  if (opset === 'missing') {
    if (!info.complete) return;
    ctx.report({
      ruleId: 'onnx-export-opset',
      start: callee.startIndex,
      end: callee.endIndex,
      message: `torch.onnx.export has no opset_version: the opset then depends on the installed PyTorch (older releases default to 9–14, without the fused LayerNormalization and attention patterns ONNX Runtime and TensorRT optimize). Pin opset ${target}.`,
      fixes: fixes(fix(`Set opset_version=${target}`, ctx.kit.appendItems(args.list, [`opset_version=${target}`]), true, undefined, true)),
    });
    return;
  }
  const v = ctx.resolver.resolve(opset.value, scope);
  if (v.kind !== 'int' || v.value >= 14) return;
  ctx.report({
    ruleId: 'onnx-export-opset',
    start: opset.value.startIndex,
    end: opset.value.endIndex,
    message: `opset_version ${v.value} is below 14: old opsets miss operators and fusions modern runtimes rely on (LayerNormalization, Trilu, scaled attention patterns), so more of the model runs as slow decomposed ops. Use opset ${target}.`,
    fixes: fixes(fix(`Use opset_version=${target}`, [{ start: v.node.startIndex, end: v.node.endIndex, newText: String(target) }], true, undefined, true)),
  });
}

function checkExportQuantize(ctx: RuleContext, info: ExportInfo): void {
  const { call, scope, args } = info;
  if (anyScope(ctx, (s) => s.quantization)) return;
  const f = argOf(ctx, call, scope, args, 'f', EXPORT_POS.f);
  if (typeof f === 'string') return;
  const stmt = statementOf(call);
  const q = ctx.kit.quote(args.list);
  const v = ctx.resolver.resolve(f.value, scope);
  let src: string;
  let dst: string;
  if (v.kind === 'str') {
    src = f.value.text;
    dst = pyString(/\.onnx$/i.test(v.value) ? v.value.replace(/\.onnx$/i, '.int8.onnx') : `${v.value}.int8.onnx`, quoteOf(unparen(f.value)) ?? q);
  } else if (f.value.type === 'identifier' || f.value.type === 'attribute') {
    src = f.value.text;
    dst = `str(${src}).replace(${pyString('.onnx', q)}, ${pyString('.int8.onnx', q)})`;
  } else return;
  const plan = ctx.kit.imports(scope, stmt.startIndex);
  const qd = plan.ref('onnxruntime.quantization.quantize_dynamic', { module: 'onnxruntime.quantization', from: true });
  const qt = plan.ref('onnxruntime.quantization.QuantType', { module: 'onnxruntime.quantization', from: true });
  const callee = calleeNode(call);
  ctx.report({
    ruleId: 'onnx-quantize-dynamic',
    start: callee.startIndex,
    end: callee.endIndex,
    message: `The exported model could also be quantized to INT8 with ONNX Runtime (weights 4x smaller; MatMul-heavy models such as transformers often run 2–3x faster on CPU). Profile both to compare.`,
    fixes: fixes(fix('Quantize the exported model dynamically (INT8, onnxruntime.quantization)', [ctx.kit.insertAfter(stmt, [`${qd}(${src}, ${dst}, weight_type=${qt}.QInt8)`])], false, plan, true)),
  });
}

// ---------------------------------------------------------------------------------------------
// ONNX Runtime

const ORT_LEVELS = new Set(['ORT_DISABLE_ALL', 'ORT_ENABLE_BASIC', 'ORT_ENABLE_EXTENDED', 'ORT_ENABLE_LAYOUT', 'ORT_ENABLE_ALL']);

function checkSessionOptions(ctx: RuleContext): void {
  for (const scope of ctx.scopes) {
    for (const [name, bindings] of scope.bindings) {
      for (const b of bindings) {
        if (b.kind !== 'assign' || !b.node) continue;
        const call = unparen(b.node);
        if (call.type !== 'call' || calleeQName(ctx, call, scope) !== 'onnxruntime.SessionOptions') continue;
        const sets = scope.attrAssigns.filter((a) => a.object === name && a.attr === 'graph_optimization_level' && a.stmt.startIndex > b.at);
        const plan = ctx.kit.imports(scope, call.startIndex);
        const all = () => plan.ref('onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL', { module: 'onnxruntime' });
        if (!sets.length) {
          const stmt = statementOf(call);
          const callee = calleeNode(call);
          ctx.report({
            ruleId: 'ort-graph-optimization',
            start: callee.startIndex,
            end: callee.endIndex,
            message: `SessionOptions '${name}' does not set graph_optimization_level. Set ORT_ENABLE_ALL explicitly (node fusions and layout optimizations) so the level is visible and does not depend on the defaults of the installed ONNX Runtime.`,
            fixes: fixes(fix(`Set ${name}.graph_optimization_level = ORT_ENABLE_ALL`, [ctx.kit.insertAfter(stmt, [`${name}.graph_optimization_level = ${all()}`])], true, plan, true)),
          });
          continue;
        }
        for (const s of sets) {
          const v = ctx.resolver.resolve(s.value, scope);
          const level = v.kind === 'ref' && v.qname.startsWith('onnxruntime.GraphOptimizationLevel.') ? v.qname.split('.').pop()! : undefined;
          if (!level || !ORT_LEVELS.has(level) || level === 'ORT_ENABLE_ALL') continue;
          ctx.report({
            ruleId: 'ort-graph-optimization',
            start: s.value.startIndex,
            end: s.value.endIndex,
            message: `graph_optimization_level is ${level}: ONNX Runtime skips ${level === 'ORT_DISABLE_ALL' ? 'all graph optimizations' : 'the extended fusions (attention, GELU, LayerNorm, MatMul+Add) and layout optimizations'}, so inference is slower. Use ORT_ENABLE_ALL unless you are debugging the graph.`,
            fixes: fixes(fix('Use ORT_ENABLE_ALL', [{ start: s.value.startIndex, end: s.value.endIndex, newText: all() }], true, plan, true)),
          });
        }
      }
    }
  }
}

function checkProviders(ctx: RuleContext): void {
  for (const { call, scope } of callsTo(ctx, new Set(['onnxruntime.InferenceSession']), new Set(['InferenceSession']))) {
    const args = callArgs(call);
    if (!args) continue;
    if (argOf(ctx, call, scope, args, 'providers', 2) !== 'missing') continue;
    const q = ctx.kit.quote(args.list);
    const eps = (names: string[]) => `providers=[${names.map((n) => pyString(n, q)).join(', ')}]`;
    const callee = calleeNode(call);
    ctx.report({
      ruleId: 'ort-providers',
      start: callee.startIndex,
      end: callee.endIndex,
      message:
        'InferenceSession without providers: which execution provider runs the model then depends on the installed onnxruntime package (onnxruntime-gpu ≥ 1.9 raises an error without them). Name them, fastest first, with CPU as the fallback.',
      fixes: fixes(
        fix('Use CUDA with CPU fallback', ctx.kit.appendItems(args.list, [eps(['CUDAExecutionProvider', 'CPUExecutionProvider'])]), true, undefined, true),
        fix('Use TensorRT, then CUDA, then CPU', ctx.kit.appendItems(args.list, [eps(['TensorrtExecutionProvider', 'CUDAExecutionProvider', 'CPUExecutionProvider'])]), false),
        fix('Use CPU only', ctx.kit.appendItems(args.list, [eps(['CPUExecutionProvider'])]), false),
      ),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// PyTorch inference

const GRAD_CONTEXTS = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.enable_grad', 'torch.set_grad_enabled']);
/** Called by the Lightning trainer under no_grad, or model internals: not inference loops of their own. */
const SKIP_FUNCTIONS = /^(training_step|validation_step|test_step|predict_step|forward|_forward|__call__)$/;

function gradContextOf(ctx: RuleContext, withStmt: Node, scope: Scope): boolean {
  const clause = codeChildren(withStmt).find((c) => c.type === 'with_clause');
  for (const item of clause ? codeChildren(clause) : []) {
    let v = item.childForFieldName('value');
    if (v?.type === 'as_pattern') v = codeChildren(v)[0] ?? null;
    if (!v) continue;
    const target = unparen(v).type === 'call' ? unparen(v).childForFieldName('function') : v;
    const q = ctx.resolver.qnameOf(target, scope);
    if (q && (GRAD_CONTEXTS.has(q) || q.startsWith('torch.autocast') || q === 'torch.cuda.amp.autocast')) {
      if (GRAD_CONTEXTS.has(q)) return true;
    }
  }
  return false;
}

function decoratedWithGrad(ctx: RuleContext, fn: Node, scope: Scope): boolean {
  const deco = fn.parent?.type === 'decorated_definition' ? fn.parent : undefined;
  if (!deco) return false;
  for (const d of codeChildren(deco)) {
    if (d.type !== 'decorator') continue;
    const e = codeChildren(d)[0];
    if (!e) continue;
    const target = unparen(e).type === 'call' ? unparen(e).childForFieldName('function') : e;
    const q = ctx.resolver.qnameOf(target, scope.parent ?? scope);
    if (q && GRAD_CONTEXTS.has(q)) return true;
  }
  return false;
}

function isForward(ctx: RuleContext, call: Node, scope: Scope): Node | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'attribute') {
    const attr = fn.childForFieldName('attribute')?.text;
    const obj = fn.childForFieldName('object');
    if ((attr === 'forward' || attr === 'generate') && obj && ctx.resolver.isModel(obj, scope)) return fn;
    if (dottedParts(fn)?.[0] !== 'self') return undefined;
  } else if (fn.type !== 'identifier') return undefined;
  return ctx.resolver.isModel(fn, scope) ? fn : undefined;
}

/** The function scope's definition node, when the scope is a function. */
function functionOf(scope: Scope): Node | undefined {
  return scope.kind === 'function' ? scope.node : undefined;
}

function inModelClass(ctx: RuleContext, scope: Scope): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) {
    if (s.kind === 'class' && ctx.resolver.isModelClass(s.node, s.parent ?? ctx.module)) return true;
  }
  return false;
}

/** Does the code in `range` train (backward, optimizer steps)? */
function trains(ctx: RuleContext, range: Node): boolean {
  return memo(ctx, `t${range.id}`, () => trainsUncached(ctx, range));
}

function trainsUncached(ctx: RuleContext, range: Node): boolean {
  for (const s of ctx.scopes.length ? ctx.scopes : [ctx.module]) {
    for (const c of s.calls) {
      if (!within(c, range)) continue;
      const fn = c.childForFieldName('function');
      if (fn?.type !== 'attribute') continue;
      const m = fn.childForFieldName('attribute')?.text;
      if (m === 'backward' || m === 'zero_grad' || m === 'train') return true;
      if (m === 'step' && /optim|opt\b|scaler|sched/i.test(fn.childForFieldName('object')?.text ?? '')) return true;
    }
  }
  return false;
}

/** Is gradient recording switched off for the whole scope (decorator, set_grad_enabled(False), inference_mode as a call)? */
function gradOffInScope(ctx: RuleContext, scope: Scope): boolean {
  const fn = functionOf(scope);
  if (fn && decoratedWithGrad(ctx, fn, scope)) return true;
  for (const s of [scope, ctx.module]) {
    for (const c of s.calls) {
      const q = calleeQName(ctx, c, s);
      if (q === 'torch.set_grad_enabled' || q === 'torch.autograd.grad_mode.set_grad_enabled') {
        if (c.parent?.type === 'expression_statement') return true;
      }
    }
  }
  return false;
}

/** Functions the module-level code calls under no_grad/inference_mode (`with torch.no_grad(): evaluate(...)`). */
function calledWithoutGrad(ctx: RuleContext): Set<string> {
  return memo(ctx, 'gradFreeCallees', () => {
    const out = new Set<string>();
    for (const c of ctx.module.calls) {
      const fn = c.childForFieldName('function');
      if (fn?.type !== 'identifier') continue;
      if (ancestorsInScope(c).some((a) => a.type === 'with_statement' && gradContextOf(ctx, a, ctx.module))) out.add(fn.text);
    }
    return out;
  });
}

function checkInferenceLoops(ctx: RuleContext): void {
  for (const scope of ctx.scopes) {
    if (scope.kind !== 'function' && scope.kind !== 'module') continue;
    const fnName = functionOf(scope)?.childForFieldName('name')?.text ?? '';
    if (SKIP_FUNCTIONS.test(fnName) || inModelClass(ctx, scope)) continue;
    // A top-level function the module code only calls under no_grad.
    const topLevel = scope.kind === 'function' && scope.parent?.kind === 'lambda' && scope.parent.parent === ctx.module;
    if (topLevel && calledWithoutGrad(ctx).has(fnName)) continue;
    let gradOff: boolean | undefined;
    const groups = new Map<number, { loop: Node; first: Node }>();
    for (const call of scope.calls) {
      const callee = isForward(ctx, call, scope);
      if (!callee) continue;
      const anc = ancestorsInScope(call);
      if (anc.some((a) => a.type === 'with_statement' && gradContextOf(ctx, a, scope))) continue;
      const loops = anc.filter((a) => LOOP_TYPES.has(a.type));
      if (!loops.length) continue;
      gradOff ??= gradOffInScope(ctx, scope);
      if (gradOff) break;
      let pick: Node | undefined;
      for (const l of loops) {
        if (trains(ctx, l)) break;
        pick = l;
      }
      if (!pick) continue;
      if (!groups.has(pick.id)) groups.set(pick.id, { loop: pick, first: callee });
    }
    for (const { loop, first } of groups.values()) {
      const plan1 = ctx.kit.imports(scope, loop.startIndex);
      const im = plan1.ref('torch.inference_mode', { module: 'torch' });
      const plan2 = ctx.kit.imports(scope, loop.startIndex);
      const ng = plan2.ref('torch.no_grad', { module: 'torch' });
      ctx.report({
        ruleId: 'torch-inference-mode',
        start: first.startIndex,
        end: first.endIndex,
        message: `${first.text}(…) runs in a loop without torch.inference_mode() or torch.no_grad(): autograd records every operation for a backward pass that never comes, costing memory and time. Wrap the loop.`,
        fixes: fixes(
          fix('Wrap the loop in torch.inference_mode()', [ctx.kit.wrap(loop, loop, `with ${im}():`)], false, plan1, true),
          fix('Wrap the loop in torch.no_grad()', [ctx.kit.wrap(loop, loop, `with ${ng}():`)], true, plan2),
        ),
      });
    }
  }
}

function checkAutocast(ctx: RuleContext): void {
  if (!anyScope(ctx, (s) => s.cuda) || anyScope(ctx, (s) => s.reducedPrecision || s.quantization)) return;
  for (const scope of ctx.scopes) {
    if (scope.kind !== 'function' && scope.kind !== 'module') continue;
    const fnName = functionOf(scope)?.childForFieldName('name')?.text ?? '';
    if (SKIP_FUNCTIONS.test(fnName) || inModelClass(ctx, scope)) continue;
    const fn = functionOf(scope);
    const decorated = fn ? decoratedWithGrad(ctx, fn, scope) : false;
    const groups = new Map<number, { withStmt?: Node; first: Node; call: Node }>();
    for (const call of scope.calls) {
      const callee = isForward(ctx, call, scope);
      if (!callee) continue;
      const withStmt = ancestorsInScope(call).find((a) => a.type === 'with_statement' && gradContextOf(ctx, a, scope));
      if (!withStmt && !decorated) continue;
      if (trains(ctx, withStmt ?? scope.node)) continue;
      const key = withStmt?.id ?? -1;
      if (!groups.has(key)) groups.set(key, { ...(withStmt ? { withStmt } : {}), first: callee, call });
    }
    for (const g of groups.values()) {
      const q = ctx.kit.quote(g.call);
      const make = (dtype: 'float16' | 'bfloat16') => {
        const plan = ctx.kit.imports(scope, g.call.startIndex);
        const item = `${plan.ref('torch.autocast', { module: 'torch' })}(${pyString('cuda', q)}, dtype=${plan.ref(`torch.${dtype}`, { module: 'torch' })})`;
        let edit: TextEdit | undefined;
        if (g.withStmt) {
          const clause = codeChildren(g.withStmt).find((c) => c.type === 'with_clause');
          const items = clause ? codeChildren(clause) : [];
          const last = items[items.length - 1];
          edit = last ? { start: last.endIndex, end: last.endIndex, newText: `, ${item}` } : undefined;
        } else {
          const stmt = statementOf(g.call);
          edit = ctx.kit.wrap(stmt, stmt, `with ${item}:`);
        }
        return fix(`Run under torch.autocast (${dtype === 'float16' ? 'FP16' : 'BF16'})`, [edit], false, plan, dtype === 'float16');
      };
      ctx.report({
        ruleId: 'torch-autocast',
        start: g.first.startIndex,
        end: g.first.endIndex,
        message: `${g.first.text}(…) runs float32 inference on CUDA: torch.autocast runs matmuls and convolutions in FP16/BF16 on the tensor cores, typically 2–3x faster with half the activation memory. Check the accuracy after switching.`,
        fixes: fixes(make('float16'), make('bfloat16')),
      });
    }
  }
}

const ITER_WRAPPERS = /^(enumerate|tqdm|tqdm\.tqdm|iter|track|progress|progress_bar)$/;

/** The DataLoader call a loop iterates over, unwrapping enumerate()/tqdm(). */
function loaderOf(ctx: RuleContext, iter: Node, scope: Scope): { call: Node; enumerate: boolean } | undefined {
  let n = unparen(iter);
  let enumerate = false;
  for (let k = 0; k < 3 && n.type === 'call'; k++) {
    const fn = n.childForFieldName('function');
    if (!fn || !ITER_WRAPPERS.test(fn.text)) break;
    if (fn.text === 'enumerate') enumerate = true;
    const first = callArgs(n)?.positional[0];
    if (!first) return undefined;
    n = unparen(first);
  }
  const v = ctx.resolver.resolve(n, scope);
  if (v.kind !== 'instance' || v.qname !== 'torch.utils.data.DataLoader') return undefined;
  return { call: v.call, enumerate };
}

function rootName(node: Node): Node | undefined {
  let n: Node | null = unparen(node);
  for (let k = 0; n && k < 20; k++) {
    if (n.type === 'identifier') return n;
    if (n.type === 'attribute') n = n.childForFieldName('object');
    else if (n.type === 'subscript') n = n.childForFieldName('value');
    else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      n = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    } else return undefined;
  }
  return undefined;
}

function checkNonBlocking(ctx: RuleContext): void {
  const pinnedCache = new Map<number, boolean>();
  const pinned = (call: Node, scope: Scope) => {
    let p = pinnedCache.get(call.id);
    if (p === undefined) {
      const args = callArgs(call);
      const a = args ? argOf(ctx, call, scope, args, 'pin_memory', 7) : 'missing';
      p = typeof a !== 'string' && isTrue(ctx, a.value, scope);
      pinnedCache.set(call.id, p);
    }
    return p;
  };
  for (const scope of ctx.scopes) {
    // Loops of this scope over a pinned DataLoader: the for statement → the names its target binds.
    const loops = new Map<number, { loop: Node; names: Set<string>; exclude?: string }>();
    for (const [, bindings] of scope.bindings) {
      for (const b of bindings) {
        if (b.kind !== 'for' || !b.node || !b.target || b.target.parent?.type !== 'for_statement') continue;
        const loop = b.target.parent;
        if (loops.has(loop.id)) {
          loops.get(loop.id)!.names.add(b.name);
          continue;
        }
        const l = loaderOf(ctx, b.node, scope);
        if (!l || !pinned(l.call, scope)) continue;
        loops.set(loop.id, { loop, names: new Set([b.name]) });
        if (l.enumerate) {
          const t = unparen(b.target);
          const first = codeChildren(t)[0];
          if ((t.type === 'pattern_list' || t.type === 'tuple_pattern' || t.type === 'tuple') && first?.type === 'identifier') loops.get(loop.id)!.exclude = first.text;
        }
      }
    }
    if (!loops.size) continue;
    for (const entry of loops.values()) if (entry.exclude) entry.names.delete(entry.exclude);
    const fromLoop = (id: Node, s: Scope, depth = 0): Node | undefined => {
      const b = ctx.resolver.lookup(id.text, s, id.startIndex);
      if (!b || b.kind !== 'for' || !b.target || depth > 4) return undefined;
      if (b.target.parent?.type === 'for_statement') {
        const e = loops.get(b.target.parent.id);
        return e && e.names.has(id.text) ? e.loop : undefined;
      }
      // A comprehension over the batch: {k: v.to(device) for k, v in batch.items()}
      const root = b.node ? rootName(b.node) : undefined;
      return root ? fromLoop(root, b.scope.parent ?? s, depth + 1) : undefined;
    };
    for (const s of [scope, ...scope.children.filter((c) => c.kind === 'comprehension' || c.kind === 'lambda').flatMap((c) => [...c.all()])]) {
      for (const call of s.calls) {
        const fn = call.childForFieldName('function');
        if (fn?.type !== 'attribute') continue;
        const method = fn.childForFieldName('attribute')?.text;
        if (method !== 'to' && method !== 'cuda') continue;
        const args = callArgs(call);
        if (!args || args.keywords.has('non_blocking') || args.kwSplats.length) continue;
        if (method === 'to') {
          const first = args.positional[0] ?? args.keywords.get('device')?.value;
          if (!first) continue; // .to(dtype=...) only
          const v = ctx.resolver.resolve(first, s);
          if (v.kind === 'str' && !/^cuda/.test(v.value)) continue;
          if (v.kind === 'ref' && /^torch\.(float|int|bool|half|bfloat|double|long|uint|complex)/.test(v.qname)) continue;
          if (args.positional.length > 2) continue; // .to(device, dtype, non_blocking) positionally
        }
        const obj = fn.childForFieldName('object');
        const root = obj ? rootName(obj) : undefined;
        if (!root || !fromLoop(root, s)) continue;
        ctx.report({
          ruleId: 'torch-non-blocking',
          start: fn.startIndex,
          end: call.endIndex,
          message: `The DataLoader pins its batches (pin_memory=True), but .${method}(…) copies them synchronously: add non_blocking=True so the host→GPU copy overlaps with compute.`,
          fixes: fixes(fix('Add non_blocking=True', ctx.kit.appendItems(args.list, ['non_blocking=True']), true, undefined, true)),
        });
      }
    }
  }
}

function checkDataLoaders(ctx: RuleContext): void {
  const cuda = anyScope(ctx, (s) => s.cuda);
  for (const { call, scope } of callsTo(ctx, new Set(['torch.utils.data.DataLoader']), new Set(['DataLoader']))) {
    const args = callArgs(call);
    if (!args) continue;
    const workers = argOf(ctx, call, scope, args, 'num_workers', 5);
    const pin = argOf(ctx, call, scope, args, 'pin_memory', 7);
    const items: string[] = [];
    if (workers === 'missing') items.push('num_workers=4');
    if (pin === 'missing' && cuda) items.push('pin_memory=True');
    if (!items.length) continue;
    const callee = calleeNode(call);
    const missing = items.map((i) => i.split('=')[0]!);
    ctx.report({
      ruleId: 'torch-dataloader-workers',
      start: callee.startIndex,
      end: callee.endIndex,
      message:
        `DataLoader without ${missing.join(' or ')}: ` +
        (workers === 'missing' ? 'batches are loaded in the main process, so the GPU/CPU waits for data between steps' : '') +
        (workers === 'missing' && items.length > 1 ? '; ' : '') +
        (pin === 'missing' && cuda ? 'without pinned memory the copies to the GPU cannot be asynchronous' : '') +
        '.',
      fixes: fixes(fix(`Add ${items.join(', ')}`, ctx.kit.appendItems(args.list, items), false, undefined, true)),
    });
  }
}

function checkDataParallel(ctx: RuleContext): void {
  const initialized = anyScope(ctx, (s) => s.calls.some((c) => /init_process_group/.test(c.childForFieldName('function')?.text ?? '')));
  for (const { call, scope } of callsTo(ctx, new Set(['torch.nn.DataParallel']), new Set(['DataParallel']))) {
    const args = callArgs(call);
    const callee = calleeNode(call);
    const stmt = statementOf(call);
    let f: Fix | undefined;
    if (args && args.positional.length === 1 && args.all.length === 1) {
      const plan = ctx.kit.imports(scope, stmt.startIndex);
      const ddp = plan.ref('torch.nn.parallel.DistributedDataParallel', { module: 'torch' });
      const rankBound = ctx.resolver.lookup('local_rank', scope, stmt.startIndex);
      const setup: string[] = [];
      if (!rankBound) setup.push(`local_rank = int(${plan.ref('os.environ', { module: 'os' })}[${pyString('LOCAL_RANK', ctx.kit.quote(stmt))}])`);
      if (!initialized) {
        setup.push(`${plan.ref('torch.distributed.init_process_group', { module: 'torch' })}(${pyString('nccl', ctx.kit.quote(stmt))})`);
        setup.push(`${plan.ref('torch.cuda.set_device', { module: 'torch' })}(local_rank)`);
      }
      const model = args.positional[0]!;
      f = fix(
        'Switch to DistributedDataParallel (one process per GPU; launch with torchrun)',
        [
          setup.length ? ctx.kit.insertBefore(stmt, setup) : { start: stmt.startIndex, end: stmt.startIndex, newText: '' },
          { start: callee.startIndex, end: callee.endIndex, newText: ddp },
          { start: model.startIndex, end: model.endIndex, newText: `${model.text}.to(local_rank)` },
          ...ctx.kit.appendItems(args.list, ['device_ids=[local_rank]']),
        ],
        false,
        plan,
        true,
      );
    }
    ctx.report({
      ruleId: 'torch-data-parallel',
      start: callee.startIndex,
      end: callee.endIndex,
      message:
        'nn.DataParallel runs one Python thread per GPU, scatters inputs and gathers outputs through GPU 0 on every call, and is slower than DistributedDataParallel even on one machine. Use DistributedDataParallel with one process per GPU (torchrun --nproc_per_node=N) and a DistributedSampler for the data.',
      fixes: fixes(f),
    });
  }
}

function checkEmptyCache(ctx: RuleContext): void {
  for (const { call } of callsTo(ctx, new Set(['torch.cuda.empty_cache']), new Set(['empty_cache']))) {
    const stmt = statementOf(call);
    if (stmt.type !== 'expression_statement' || unparen(codeChildren(stmt)[0]!).id !== call.id) continue;
    let loop: Node | undefined;
    for (const a of ancestorsInScope(stmt)) {
      if (a.type === 'if_statement' || a.type === 'elif_clause' || a.type === 'else_clause' || a.type === 'try_statement' || a.type === 'except_clause' || a.type === 'finally_clause') break;
      if (LOOP_TYPES.has(a.type)) {
        loop = a;
        break;
      }
    }
    if (!loop) continue;
    const k = ctx.kit;
    let f: Fix | undefined;
    const l0 = k.lines.lineOf(stmt.startIndex);
    const l1 = k.lines.lineOf(stmt.endIndex);
    const alone = k.startsLine(stmt.startIndex) && /^[ \t]*(#.*)?$/.test(ctx.text.slice(stmt.endIndex, k.lines.lineEnd(l1)));
    if (alone && k.startsLine(loop.startIndex)) {
      const body = stmt.parent;
      const onlyStmt = body ? codeChildren(body).filter((c) => c.type !== 'pass_statement').length === 1 : false;
      const lineText = ctx.text.slice(k.lines.lineStart(l0), k.lines.lineEnd(l1)).slice(k.indentAt(stmt.startIndex).length);
      const removal: TextEdit = onlyStmt
        ? { start: stmt.startIndex, end: stmt.endIndex, newText: 'pass' }
        : { start: k.lines.lineStart(l0), end: l1 + 1 < k.lines.lineCount ? k.lines.lineStart(l1 + 1) : ctx.text.length, newText: '' };
      f = fix('Move torch.cuda.empty_cache() after the loop', [removal, k.insertAfter(loop, [lineText])], true, undefined, true);
    }
    const callee = calleeNode(call);
    ctx.report({
      ruleId: 'torch-empty-cache-in-loop',
      start: callee.startIndex,
      end: call.endIndex,
      message:
        'torch.cuda.empty_cache() inside a loop synchronizes the device and returns cached blocks to the driver, so the next iteration pays for cudaMalloc again. It frees no memory your tensors use; call it once after the loop if another process needs the memory.',
      fixes: fixes(f),
    });
  }
}

function checkQuantizeDynamic(ctx: RuleContext): void {
  if (anyScope(ctx, (s) => s.cuda || s.reducedPrecision || s.quantization)) return;
  for (const scope of ctx.scopes) {
    if (scope.kind !== 'function' && scope.kind !== 'module') continue;
    if (inModelClass(ctx, scope)) continue;
    if (trains(ctx, scope.node)) continue;
    // No ONNX export here: quantized modules do not export well.
    if (scope.calls.some((c) => calleeQName(ctx, c, scope) === 'torch.onnx.export')) continue;
    for (const call of scope.calls) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'eval') continue;
      if (callArgs(call)?.all.length) continue;
      const obj = fn.childForFieldName('object')!;
      const stmt = statementOf(call);
      let target: string | undefined;
      if (stmt.type === 'expression_statement' && unparen(codeChildren(stmt)[0]!).id === call.id) {
        if (!ctx.resolver.isModel(obj, scope)) continue;
        const parts = dottedParts(obj);
        if (parts && parts.length <= 2) target = obj.text;
      } else if (stmt.type === 'expression_statement') {
        const asg = codeChildren(stmt)[0];
        if (asg?.type === 'assignment' && asg.childForFieldName('right')?.id === call.id && asg.childForFieldName('left')?.type === 'identifier') {
          const v = ctx.resolver.resolve(call, scope);
          if (v.kind !== 'model') continue;
          target = asg.childForFieldName('left')!.text;
        }
      }
      if (!target) continue;
      const plan = ctx.kit.imports(scope, stmt.startIndex);
      const qd = plan.ref('torch.ao.quantization.quantize_dynamic', { module: 'torch' });
      const linear = plan.ref('torch.nn.Linear', { module: 'torch' });
      const qint8 = plan.ref('torch.qint8', { module: 'torch' });
      const range = fn.childForFieldName('attribute')!;
      ctx.report({
        ruleId: 'torch-quantize-dynamic',
        start: range.startIndex,
        end: call.endIndex,
        message: `${target} runs float32 inference on the CPU: dynamic INT8 quantization of its Linear layers (torch.ao.quantization.quantize_dynamic) usually makes transformer and MLP inference 1.5–3x faster with a 4x smaller model. Check the accuracy afterwards.`,
        fixes: fixes(fix('Quantize dynamically (INT8)', [ctx.kit.insertAfter(stmt, [`${target} = ${qd}(${target}, {${linear}}, dtype=${qint8})`])], false, plan, true)),
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// TensorRT

function checkTensorRtFp16(ctx: RuleContext): void {
  const hasTrt = anyScope(ctx, (s) => [...s.bindings.values()].some((bs) => bs.some((b) => b.kind === 'import' && /^tensorrt(\.|$)/.test(b.qname ?? ''))));
  if (!hasTrt) return;
  for (const scope of ctx.scopes) {
    for (const call of scope.calls) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'create_builder_config') continue;
      // The name the config is bound to: `config = builder.create_builder_config()` or `with ... as config:`.
      let name: string | undefined;
      let insert: TextEdit | undefined;
      const plan = ctx.kit.imports(scope, call.startIndex);
      const flagExpr = () => plan.ref('tensorrt.BuilderFlag.FP16', { module: 'tensorrt' });
      const parent = call.parent;
      if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id && parent.childForFieldName('left')?.type === 'identifier') {
        name = parent.childForFieldName('left')!.text;
        insert = ctx.kit.insertAfter(statementOf(call), [`${name}.set_flag(${flagExpr()})`]);
      } else if (parent?.type === 'as_pattern') {
        const alias = parent.childForFieldName('alias');
        const id = alias ? codeChildren(alias)[0] : undefined;
        const withStmt = ancestorsInScope(call).find((a) => a.type === 'with_statement');
        const first = withStmt?.childForFieldName('body') ? codeChildren(withStmt.childForFieldName('body')!)[0] : undefined;
        if (id?.type === 'identifier' && first && ctx.kit.lines.lineOf(first.startIndex) > ctx.kit.lines.lineOf(withStmt!.startIndex)) {
          name = id.text;
          insert = ctx.kit.insertBefore(first, [`${name}.set_flag(${flagExpr()})`]);
        }
      }
      if (name) {
        const setsPrecision = scope.calls.some((c) => {
          const f = c.childForFieldName('function');
          if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'set_flag' || f.childForFieldName('object')?.text !== name) return false;
          const arg = callArgs(c)?.positional[0];
          return !arg || /FP16|BF16|INT8|FP8|FP4|INT4/.test(arg.text) || !dottedParts(arg);
        });
        const setsFlags = scope.attrAssigns.some((a) => a.object === name && a.attr === 'flags');
        if (setsPrecision || setsFlags) continue;
      }
      ctx.report({
        ruleId: 'tensorrt-fp16',
        start: fn.childForFieldName('attribute')!.startIndex,
        end: call.endIndex,
        message: 'This TensorRT builder config does not enable BuilderFlag.FP16: the engine is built for FP32 only, which on GPUs with tensor cores is typically 2–4x slower. Allow FP16 kernels (TensorRT keeps FP32 where precision needs it).',
        fixes: fixes(insert ? fix('Enable BuilderFlag.FP16', [insert], false, plan, true) : undefined),
      });
    }
  }
}

/** Every rule, in reporting order. */
export const CHECKS: readonly ((ctx: RuleContext) => void)[] = [
  checkExports,
  checkSessionOptions,
  checkProviders,
  checkInferenceLoops,
  checkAutocast,
  checkNonBlocking,
  checkDataLoaders,
  checkDataParallel,
  checkEmptyCache,
  checkQuantizeDynamic,
  checkTensorRtFp16,
];
