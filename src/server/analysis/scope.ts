/**
 * Python scopes, name bindings and a small evaluator: which imported object a name or a dotted
 * expression refers to (`import torch.onnx as tonnx`, `from torch.onnx import export`,
 * `from onnxruntime import InferenceSession as IS`, `ex = torch.onnx.export`), with shadowing by
 * later definitions, parameters and local assignments, and what simple values variables hold
 * (strings, ints, lists of names, dicts for `**kwargs`, instances of known classes, models).
 */
import type { Node } from './parser';
import { callArgs, codeChildren, dottedParts, intValue, stringValue, targetNames, unparen } from './syntax';

export type ScopeKind = 'module' | 'function' | 'class' | 'lambda' | 'comprehension';

export interface Binding {
  readonly name: string;
  /** Offset of the binding (the statement's start), for flow order at module level. */
  readonly at: number;
  readonly scope: Scope;
  readonly kind: 'import' | 'assign' | 'def' | 'class' | 'param' | 'for' | 'with' | 'other';
  /** import: the qualified name bound (`torch.onnx` for `import torch.onnx as x`). */
  readonly qname?: string;
  /** assign: the assigned expression; def/class: the definition; for: the iterable. */
  readonly node?: Node;
  /** for: the whole target (to tell `i, batch` of enumerate apart). */
  readonly target?: Node;
}

export interface AttrAssign {
  /** `so` in `so.graph_optimization_level = x`. */
  readonly object: string;
  readonly attr: string;
  readonly value: Node;
  readonly stmt: Node;
}

export interface SubscriptAssign {
  readonly object: string;
  readonly key: string | undefined;
  readonly value: Node;
  readonly at: number;
}

export class Scope {
  readonly bindings = new Map<string, Binding[]>();
  /** The import bindings among them (what fixes look through for a visible name). */
  readonly imports: Binding[] = [];
  readonly globals = new Set<string>();
  readonly calls: Node[] = [];
  readonly attrAssigns: AttrAssign[] = [];
  readonly subscriptAssigns: SubscriptAssign[] = [];
  readonly children: Scope[] = [];
  /** Strings spelled 'cuda' / 'cuda:N', `.cuda()` calls: the code here targets a CUDA device. */
  cuda = false;
  /** float16/bfloat16/half/autocast/amp/torch_dtype mentioned: reduced precision is already handled. */
  reducedPrecision = false;
  /** quantize… mentioned. */
  quantization = false;

  constructor(
    readonly kind: ScopeKind,
    readonly node: Node,
    readonly parent: Scope | null,
  ) {
    parent?.children.push(this);
  }

  get module(): Scope {
    let s: Scope = this;
    while (s.parent) s = s.parent;
    return s;
  }

  bind(b: Binding): void {
    if (b.kind === 'import') this.imports.push(b);
    const list = this.bindings.get(b.name);
    if (list) list.push(b);
    else this.bindings.set(b.name, [b]);
  }

  /** This scope and its descendants. */
  *all(): Generator<Scope> {
    yield this;
    for (const c of this.children) yield* c.all();
  }
}

export type Value =
  | { readonly kind: 'ref'; readonly qname: string }
  | { readonly kind: 'instance'; readonly qname: string; readonly call: Node }
  | { readonly kind: 'model'; readonly node: Node }
  | { readonly kind: 'dict'; readonly node: Node }
  | { readonly kind: 'seq'; readonly node: Node; readonly items: Node[] }
  | { readonly kind: 'str'; readonly value: string; readonly node: Node }
  | { readonly kind: 'int'; readonly value: number; readonly node: Node }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'function'; readonly node: Node }
  | { readonly kind: 'class'; readonly node: Node }
  | { readonly kind: 'item'; readonly of: Value; readonly binding: Binding }
  | { readonly kind: 'member'; readonly of: Value; readonly name: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };

/** Qualified names with more than one spelling, mapped to the one the rules use. */
const CANONICAL: Readonly<Record<string, string>> = {
  'torch.onnx.utils.export': 'torch.onnx.export',
  'torch.nn.parallel.DataParallel': 'torch.nn.DataParallel',
  'torch.nn.parallel.data_parallel.DataParallel': 'torch.nn.DataParallel',
  'torch.utils.data.dataloader.DataLoader': 'torch.utils.data.DataLoader',
  'onnxruntime.capi.onnxruntime_inference_collection.InferenceSession': 'onnxruntime.InferenceSession',
  'onnxruntime.capi._pybind_state.SessionOptions': 'onnxruntime.SessionOptions',
  'onnxruntime.capi._pybind_state.GraphOptimizationLevel': 'onnxruntime.GraphOptimizationLevel',
  'torch.cuda.memory.empty_cache': 'torch.cuda.empty_cache',
  'torch.autograd.no_grad': 'torch.no_grad',
  'torch.autograd.grad_mode.no_grad': 'torch.no_grad',
  'torch.autograd.grad_mode.inference_mode': 'torch.inference_mode',
  'torch.autograd.set_grad_enabled': 'torch.set_grad_enabled',
  'torch.autograd.grad_mode.set_grad_enabled': 'torch.set_grad_enabled',
  'torch.autograd.grad_mode.enable_grad': 'torch.enable_grad',
  'torch.quantization.quantize_dynamic': 'torch.ao.quantization.quantize_dynamic',
};

const canonicalCache = new Map<string, string>();

export function canonical(qname: string): string {
  let c = canonicalCache.get(qname);
  if (c !== undefined) return c;
  c = qname;
  for (const [from, to] of Object.entries(CANONICAL)) {
    if (qname === from || qname.startsWith(`${from}.`)) {
      c = to + qname.slice(from.length);
      break;
    }
  }
  if (canonicalCache.size > 10_000) canonicalCache.clear();
  canonicalCache.set(qname, c);
  return c;
}

/** Calls whose result is a torch module (a model). */
function isModelFactory(qname: string): boolean {
  return (
    /^torch\.(load|jit\.load|jit\.script|jit\.trace|compile|hub\.load|export\.load)$/.test(qname) ||
    /^torchvision\.models\./.test(qname) ||
    /^timm\.create_model$/.test(qname) ||
    /^torch\.nn\.(?!functional\.|utils\.|init\.|Parameter$)[A-Z]\w*$/.test(qname) ||
    /^torch\.nn\.parallel\.(DistributedDataParallel|DataParallel)$/.test(qname) ||
    /\.from_pretrained$/.test(qname)
  );
}

/** Methods of a torch module that return the module itself. */
const CHAINABLE = new Set(['to', 'cuda', 'cpu', 'eval', 'train', 'half', 'float', 'bfloat16', 'double', 'requires_grad_', 'share_memory', 'to_empty']);

/** Base classes that make a user class a torch module. */
function isModuleBase(qname: string | undefined, text: string): boolean {
  if (qname && /^(torch\.nn\.Module|torch\.nn\.modules\.module\.Module|transformers\..*PreTrainedModel|pytorch_lightning\.LightningModule|lightning\.(pytorch\.)?LightningModule|lightning\.LightningModule)$/.test(qname)) {
    return true;
  }
  return /(^|\.)(Module|PreTrainedModel|LightningModule)$/.test(text);
}

const MODEL_NAME = /^(model|net|network|encoder|decoder|backbone|classifier|detector|generator|module|teacher|student)$|^(\w+_)?(model|net|encoder|decoder)$|^model_\w+$/i;

/** Does this name (last segment of `model`, `self.model`) look like it holds a model? */
export function modelLikeName(name: string): boolean {
  return MODEL_NAME.test(name);
}

export class Resolver {
  constructor(readonly module: Scope) {}

  /** The binding `name` refers to at offset `at` seen from `scope`. */
  lookup(name: string, scope: Scope, at: number): Binding | undefined {
    let s: Scope | null = scope;
    let first = true;
    while (s) {
      if (!first && s.kind === 'class') {
        s = s.parent;
        continue;
      }
      if (s.globals.has(name) && s !== this.module) {
        s = this.module;
        first = false;
        continue;
      }
      const list = s.bindings.get(name);
      if (list && list.length) {
        let before: Binding | undefined;
        for (const b of list) if (b.at <= at) before = b;
        return before ?? list[0];
      }
      s = s.parent;
      first = false;
    }
    return undefined;
  }

  /** Scopes from `scope` outwards (what name lookup visits). */
  *chain(scope: Scope): Generator<Scope> {
    let first = true;
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (!first && s.kind === 'class') continue;
      first = false;
      yield s;
    }
  }

  /** What `node` evaluates to in `scope` (at its own offset). */
  resolve(node: Node | null, scope: Scope, depth = 0): Value {
    if (!node || depth > 12) return UNKNOWN;
    const n = unparen(node);
    switch (n.type) {
      case 'identifier':
        return this.valueOfName(n.text, scope, n.startIndex, depth);
      case 'attribute': {
        const obj = this.resolve(n.childForFieldName('object'), scope, depth + 1);
        const attr = n.childForFieldName('attribute')?.text ?? '';
        if (obj.kind === 'ref') return { kind: 'ref', qname: canonical(`${obj.qname}.${attr}`) };
        return { kind: 'member', of: obj, name: attr };
      }
      case 'call':
        return this.resolveCall(n, scope, depth);
      case 'string': {
        const v = stringValue(n);
        return v === undefined ? UNKNOWN : { kind: 'str', value: v, node: n };
      }
      case 'integer': {
        const v = intValue(n);
        return v === undefined ? UNKNOWN : { kind: 'int', value: v, node: n };
      }
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'dictionary':
        return { kind: 'dict', node: n };
      case 'list':
      case 'tuple':
        return { kind: 'seq', node: n, items: codeChildren(n) };
      default:
        return UNKNOWN;
    }
  }

  private valueOfName(name: string, scope: Scope, at: number, depth: number): Value {
    const b = this.lookup(name, scope, at);
    if (!b) return UNKNOWN;
    switch (b.kind) {
      case 'import':
        return { kind: 'ref', qname: canonical(b.qname!) };
      case 'assign':
        return this.resolve(b.node!, b.scope, depth + 1);
      case 'def':
        return { kind: 'function', node: b.node! };
      case 'class':
        return { kind: 'class', node: b.node! };
      case 'for':
        return { kind: 'item', of: this.resolve(b.node!, b.scope, depth + 1), binding: b };
      case 'param':
        return { kind: 'param', name };
      default:
        return UNKNOWN;
    }
  }

  private resolveCall(call: Node, scope: Scope, depth: number): Value {
    const fn = call.childForFieldName('function');
    const callee = this.resolve(fn, scope, depth + 1);
    if (callee.kind === 'ref') {
      if (isModelFactory(callee.qname)) return { kind: 'model', node: call };
      if (callee.qname === 'builtins.dict') return { kind: 'dict', node: call };
      return { kind: 'instance', qname: callee.qname, call };
    }
    if (callee.kind === 'member') {
      if (callee.of.kind === 'model' && CHAINABLE.has(callee.name)) return callee.of;
      if (callee.name === 'from_pretrained') return { kind: 'model', node: call };
      if (CHAINABLE.has(callee.name) && (callee.name === 'eval' || callee.name === 'cuda') && fn?.type === 'attribute') {
        // `Net().eval()`, `load()...eval()`: eval()/cuda() on something unknown is a model.
        return { kind: 'model', node: call };
      }
      return UNKNOWN;
    }
    if (callee.kind === 'class') {
      return this.isModelClass(callee.node, scope, depth) ? { kind: 'model', node: call } : UNKNOWN;
    }
    if (callee.kind === 'unknown' && fn?.type === 'identifier' && fn.text === 'dict' && !this.lookup('dict', scope, call.startIndex)) {
      return { kind: 'dict', node: call };
    }
    return UNKNOWN;
  }

  isModelClass(classNode: Node, scope: Scope, depth = 0): boolean {
    const bases = classNode.childForFieldName('superclasses');
    if (!bases) return false;
    for (const b of codeChildren(bases)) {
      if (b.type === 'keyword_argument') continue;
      const v = this.resolve(b, scope, depth + 1);
      if (isModuleBase(v.kind === 'ref' ? v.qname : undefined, b.text)) return true;
      if (v.kind === 'class' && v.node.id !== classNode.id && this.isModelClass(v.node, scope, depth + 1)) return true;
    }
    return false;
  }

  /** The qualified name a callee refers to (`IS` → onnxruntime.InferenceSession), if it is an imported object. */
  qnameOf(node: Node | null, scope: Scope): string | undefined {
    const v = this.resolve(node, scope);
    return v.kind === 'ref' ? v.qname : undefined;
  }

  /** Does `node` (a callee) hold a torch model? Known values first, then the name. */
  isModel(node: Node, scope: Scope): boolean {
    const v = this.resolve(node, scope);
    switch (v.kind) {
      case 'model':
        return true;
      case 'ref':
      case 'instance':
      case 'function':
      case 'class':
      case 'str':
      case 'int':
      case 'bool':
      case 'dict':
      case 'seq':
        return false;
      default: {
        const parts = dottedParts(node);
        return !!parts && parts.length <= 2 && (parts.length === 1 || parts[0] === 'self') && modelLikeName(parts[parts.length - 1]!);
      }
    }
  }

  /**
   * Keys and values of a dict passed as `**name`: a dict literal or `dict(...)` assigned in the same
   * function, plus `name["k"] = v`, `name.update(k=v)` and `name.setdefault("k", v)` before the call.
   * Undefined when the keys cannot be known (other sources, `**` inside, `update(other)`, `pop`).
   */
  dictEntries(node: Node, scope: Scope, at: number): Map<string, Node> | undefined {
    const n = unparen(node);
    if (n.type === 'dictionary') return literalDictEntries(n);
    if (n.type !== 'identifier') return undefined;
    const b = this.lookup(n.text, scope, at);
    // "Defined in the same function": the binding's scope is the call's scope.
    if (!b || b.kind !== 'assign' || b.scope !== scope) return undefined;
    const v = unparen(b.node!);
    let entries: Map<string, Node> | undefined;
    if (v.type === 'dictionary') entries = literalDictEntries(v);
    else if (v.type === 'call' && v.childForFieldName('function')?.text === 'dict' && !this.lookup('dict', scope, v.startIndex)) entries = callKeywordEntries(v);
    if (!entries) return undefined;
    for (const s of scope.subscriptAssigns) {
      if (s.object !== n.text || s.at < b.at || s.at > at) continue;
      if (s.key === undefined) return undefined;
      entries.set(s.key, s.value);
    }
    for (const c of scope.calls) {
      if (c.startIndex < b.at || c.startIndex > at) continue;
      const f = c.childForFieldName('function');
      if (f?.type !== 'attribute' || f.childForFieldName('object')?.text !== n.text) continue;
      const method = f.childForFieldName('attribute')?.text;
      const args = callArgs(c);
      if (!args) return undefined;
      if (method === 'update') {
        if (args.starArgs.length || args.kwSplats.length) return undefined;
        for (const p of args.positional) {
          const more = unparen(p).type === 'dictionary' ? literalDictEntries(unparen(p)) : undefined;
          if (!more) return undefined;
          for (const [k, val] of more) entries.set(k, val);
        }
        for (const [k, kw] of args.keywords) entries.set(k, kw.value);
      } else if (method === 'setdefault') {
        const k = stringValue(args.positional[0] ? unparen(args.positional[0]) : null);
        if (k === undefined) return undefined;
        if (!entries.has(k) && args.positional[1]) entries.set(k, args.positional[1]);
      } else if (method === 'pop' || method === 'clear' || method === 'popitem' || method === '__setitem__') return undefined;
    }
    return entries;
  }
}

function literalDictEntries(dict: Node): Map<string, Node> | undefined {
  const out = new Map<string, Node>();
  for (const c of codeChildren(dict)) {
    if (c.type !== 'pair') return undefined; // **splat or comprehension
    const k = stringValue(c.childForFieldName('key') ? unparen(c.childForFieldName('key')!) : null);
    const v = c.childForFieldName('value');
    if (k === undefined || !v) return undefined;
    out.set(k, v);
  }
  return out;
}

function callKeywordEntries(call: Node): Map<string, Node> | undefined {
  const args = callArgs(call);
  if (!args || args.positional.length || args.starArgs.length || args.kwSplats.length) return undefined;
  return new Map([...args.keywords].map(([k, v]) => [k, v.value]));
}

const STRING_CUDA = /^cuda(:\d+)?$/;
const PRECISION_WORDS = new Set(['float16', 'half', 'bfloat16', 'autocast', 'amp', 'torch_dtype', 'fp16', 'bf16', 'GradScaler']);

/**
 * Builds the scopes of a piece of the tree. `walkStatement` is called on module-level statements
 * (function and class definitions at the top are handled by the caller: their names bind in the
 * module scope, their bodies are walked as separate chunks with `walkDefinition`).
 */
export class ScopeBuilder {
  /** Multi-line string literals (their continuation lines must never be re-indented). */
  readonly multilineStrings: { start: number; end: number }[] = [];

  constructor(private readonly text: string) {}

  walk(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'comment':
        return;
      case 'decorated_definition': {
        for (const d of codeChildren(node)) {
          if (d.type === 'decorator') this.walkChildren(d, scope);
        }
        const def = node.childForFieldName('definition');
        if (def) this.walkDefinition(def, scope, node.startIndex);
        return;
      }
      case 'function_definition':
      case 'class_definition':
        this.walkDefinition(node, scope, node.startIndex);
        return;
      case 'lambda': {
        const inner = new Scope('lambda', node, scope);
        const params = node.childForFieldName('parameters');
        if (params) this.bindParams(params, inner, scope);
        const body = node.childForFieldName('body');
        if (body) this.walk(body, inner);
        return;
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
      case 'generator_expression': {
        const inner = new Scope('comprehension', node, scope);
        let firstClause = true;
        for (const c of codeChildren(node)) {
          if (c.type === 'for_in_clause') {
            const right = c.childForFieldName('right');
            if (right) this.walk(right, firstClause ? scope : inner);
            firstClause = false;
            const left = c.childForFieldName('left');
            for (const id of targetNames(left)) inner.bind({ name: id.text, at: node.startIndex, scope: inner, kind: 'for', ...(right ? { node: right } : {}), ...(left ? { target: left } : {}) });
          } else this.walk(c, inner);
        }
        return;
      }
      case 'import_statement':
        this.bindImport(node, scope);
        return;
      case 'import_from_statement':
        this.bindFromImport(node, scope);
        return;
      case 'future_import_statement':
        return;
      case 'assignment':
        // A binding takes effect once its right-hand side has run: `batch = f(batch)` reads the old one.
        this.bindAssignment(node, scope, node.endIndex);
        return;
      case 'augmented_assignment': {
        for (const id of targetNames(node.childForFieldName('left'))) scope.bind({ name: id.text, at: node.endIndex, scope, kind: 'other' });
        this.walkChildren(node, scope);
        return;
      }
      case 'named_expression': {
        const name = node.childForFieldName('name');
        const value = node.childForFieldName('value');
        if (name && value) scope.bind({ name: name.text, at: node.endIndex, scope, kind: 'assign', node: value });
        if (value) this.walk(value, scope);
        return;
      }
      case 'for_statement': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        for (const id of targetNames(left)) scope.bind({ name: id.text, at: node.startIndex, scope, kind: 'for', ...(right ? { node: right } : {}), ...(left ? { target: left } : {}) });
        this.walkChildren(node, scope);
        return;
      }
      case 'as_pattern': {
        // with ... as x / except E as x / case ... as x
        const alias = node.childForFieldName('alias');
        for (const id of targetNames(alias ? (alias.namedChildren[0] ?? alias) : null)) scope.bind({ name: id.text, at: node.startIndex, scope, kind: 'with', node: codeChildren(node)[0]! });
        this.walk(codeChildren(node)[0]!, scope);
        return;
      }
      case 'global_statement':
        for (const id of codeChildren(node)) scope.globals.add(id.text);
        return;
      case 'call': {
        scope.calls.push(node);
        const fn = node.childForFieldName('function');
        if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'cuda') scope.cuda = true;
        this.walkChildren(node, scope);
        return;
      }
      case 'string': {
        const v = stringValue(node);
        if (v !== undefined) {
          if (STRING_CUDA.test(v)) scope.cuda = true;
          if (/^(fp16|bf16|float16|bfloat16|half)$/i.test(v)) scope.reducedPrecision = true;
        }
        if (this.text.slice(node.startIndex, node.endIndex).includes('\n')) this.multilineStrings.push({ start: node.startIndex, end: node.endIndex });
        // Only interpolations hold code.
        for (const c of codeChildren(node)) if (c.type === 'interpolation') this.walkChildren(c, scope);
        return;
      }
      case 'identifier': {
        const t = node.text;
        if (PRECISION_WORDS.has(t)) scope.reducedPrecision = true;
        if (/quantiz/i.test(t)) scope.quantization = true;
        return;
      }
      case 'attribute': {
        const attr = node.childForFieldName('attribute')?.text ?? '';
        if (PRECISION_WORDS.has(attr)) scope.reducedPrecision = true;
        if (/quantiz/i.test(attr)) scope.quantization = true;
        const obj = node.childForFieldName('object');
        if (obj) this.walk(obj, scope);
        return;
      }
      case 'keyword_argument': {
        const name = node.childForFieldName('name')?.text ?? '';
        if (PRECISION_WORDS.has(name)) scope.reducedPrecision = true;
        const value = node.childForFieldName('value');
        if (value) this.walk(value, scope);
        return;
      }
      default:
        this.walkChildren(node, scope);
    }
  }

  private walkChildren(node: Node, scope: Scope): void {
    for (const c of node.namedChildren) if (c) this.walk(c, scope);
  }

  /**
   * A top-level def or class analysed on its own (its name is bound by the module pass): returns a
   * scope without bindings under `module` that holds the decorators and the definition's scopes.
   */
  walkChunk(stmt: Node, module: Scope): Scope {
    const outer = new Scope('lambda', stmt, module);
    module.children.pop(); // not part of the module-level code
    let def: Node | null = stmt;
    if (stmt.type === 'decorated_definition') {
      for (const d of codeChildren(stmt)) if (d.type === 'decorator') this.walkChildren(d, outer);
      def = stmt.childForFieldName('definition');
    }
    if (def) this.walkDefinition(def, outer, stmt.startIndex, false);
    return outer;
  }

  /** A def or class: its name binds in `scope`; decorators, defaults and bases evaluate there; the body gets a new scope. */
  walkDefinition(node: Node, scope: Scope, at: number, bindName = true): Scope {
    const name = node.childForFieldName('name');
    const isClass = node.type === 'class_definition';
    if (name && bindName) scope.bind({ name: name.text, at, scope, kind: isClass ? 'class' : 'def', node });
    if (isClass) {
      const bases = node.childForFieldName('superclasses');
      if (bases) this.walk(bases, scope);
      const inner = new Scope('class', node, scope);
      const body = node.childForFieldName('body');
      if (body) this.walkChildren(body, inner);
      return inner;
    }
    const inner = new Scope('function', node, scope);
    const params = node.childForFieldName('parameters');
    if (params) this.bindParams(params, inner, scope);
    const ret = node.childForFieldName('return_type');
    if (ret) this.walk(ret, scope);
    const body = node.childForFieldName('body');
    if (body) this.walkChildren(body, inner);
    return inner;
  }

  /** Binds a definition's name only (top-level chunks analysed on their own). */
  bindDefinitionName(node: Node, scope: Scope, at: number): void {
    const def = node.type === 'decorated_definition' ? node.childForFieldName('definition') : node;
    if (!def) return;
    const name = def.childForFieldName('name');
    if (name) scope.bind({ name: name.text, at, scope, kind: def.type === 'class_definition' ? 'class' : 'def', node: def });
  }

  private bindParams(params: Node, inner: Scope, outer: Scope): void {
    for (const p of codeChildren(params)) {
      let nameNode: Node | null = null;
      switch (p.type) {
        case 'identifier':
          nameNode = p;
          break;
        case 'default_parameter':
        case 'typed_default_parameter': {
          nameNode = p.childForFieldName('name');
          const v = p.childForFieldName('value');
          if (v) this.walk(v, outer);
          break;
        }
        case 'typed_parameter':
          nameNode = codeChildren(p).find((c) => c.type === 'identifier') ?? null;
          break;
        case 'list_splat_pattern':
        case 'dictionary_splat_pattern':
          nameNode = codeChildren(p).find((c) => c.type === 'identifier') ?? null;
          break;
      }
      if (nameNode?.type === 'identifier') inner.bind({ name: nameNode.text, at: params.startIndex, scope: inner, kind: 'param' });
    }
  }

  private bindImport(node: Node, scope: Scope): void {
    for (const c of codeChildren(node)) {
      if (c.type === 'dotted_name') {
        const first = c.namedChildren[0]?.text;
        if (first) scope.bind({ name: first, at: node.startIndex, scope, kind: 'import', qname: first });
      } else if (c.type === 'aliased_import') {
        const name = c.childForFieldName('name');
        const alias = c.childForFieldName('alias');
        if (name && alias) scope.bind({ name: alias.text, at: node.startIndex, scope, kind: 'import', qname: name.text.replace(/\s+/g, '') });
      }
    }
  }

  private bindFromImport(node: Node, scope: Scope): void {
    const mod = node.childForFieldName('module_name');
    if (!mod) return;
    const base = mod.type === 'relative_import' ? `.${mod.text.replace(/^\.+/, '')}` : mod.text.replace(/\s+/g, '');
    for (const c of codeChildren(node)) {
      if (c.id === mod.id) continue;
      if (c.type === 'dotted_name') scope.bind({ name: c.text, at: node.startIndex, scope, kind: 'import', qname: `${base}.${c.text}` });
      else if (c.type === 'aliased_import') {
        const name = c.childForFieldName('name');
        const alias = c.childForFieldName('alias');
        if (name && alias) scope.bind({ name: alias.text, at: node.startIndex, scope, kind: 'import', qname: `${base}.${name.text}` });
      }
    }
  }

  private bindAssignment(node: Node, scope: Scope, at: number): void {
    const left = node.childForFieldName('left');
    let right = node.childForFieldName('right');
    // a = b = value: the innermost right-hand side is the value of every target.
    const targets: Node[] = left ? [left] : [];
    while (right?.type === 'assignment') {
      const l = right.childForFieldName('left');
      if (l) targets.push(l);
      right = right.childForFieldName('right');
    }
    const type = node.childForFieldName('type');
    if (type) this.walk(type, scope);
    for (const t of targets) {
      if (t.type === 'identifier') {
        if (right) scope.bind({ name: t.text, at, scope, kind: 'assign', node: right });
        else scope.bind({ name: t.text, at, scope, kind: 'other' }); // annotation only: x: int
      } else if (t.type === 'attribute') {
        const obj = t.childForFieldName('object');
        const attr = t.childForFieldName('attribute');
        if (obj && attr && right) scope.attrAssigns.push({ object: obj.text, attr: attr.text, value: right, stmt: node });
        if (obj) this.walk(obj, scope);
      } else if (t.type === 'subscript') {
        const obj = t.childForFieldName('value');
        const sub = t.childForFieldName('subscript');
        if (obj && right) scope.subscriptAssigns.push({ object: obj.text, key: stringValue(sub ? unparen(sub) : null), value: right, at });
        this.walk(t, scope);
      } else {
        for (const id of targetNames(t)) scope.bind({ name: id.text, at, scope, kind: 'other' });
        this.walk(t, scope);
      }
    }
    if (right) this.walk(right, scope);
  }
}
