/**
 * The model in ONNX's textual syntax (onnx/docs/Syntax.md), as `onnx.printer.to_text` writes it,
 * with weights elided: what "Show Model as Text" shows and what "Compare Models" diffs.
 *
 * Where this differs from onnx's printer, it is to make diffs of two models readable; the text
 * stays in the grammar of onnx's parser (whitespace and `#` comments are free there):
 *   - Tensor data is elided as `...` (the printer's own marker for data it does not print), keeping
 *     dtype, shape and name. External data keeps its reference, as the printer writes it:
 *     `float[4,3] W = ["location": "model.data", "offset": "0", "length": "48"]`.
 *     Small tensors are shown in full: int, bool and string tensors of at most `maxValues`
 *     elements (default 16: Reshape targets, axes, perms, indices) and single-value float/double
 *     tensors (an attention scale, an epsilon); float16/bfloat16/float8/int4 data is always elided.
 *   - One initializer / value_info per line in the graph's `<...>` list (the printer writes one
 *     line); inputs and outputs go one per line when the signature would be longer than 100 chars.
 *   - Sparse initializers, which the printer omits, are listed as `#` comments.
 *   - A function's default attribute values (attribute_proto) are listed with its attribute names.
 *   - No trailing spaces; a blank line before each function.
 * Output is deterministic: same model, same text (no timestamps, no paths, no map iteration order).
 *
 * Big models: the text is produced line by line from the lazy model (`readModel`), yielding to the
 * event loop and checking the abort signal every few thousand lines; weights are never read, only
 * the few bytes of small tensors shown in full.
 */
import { OnnxError } from './errors';
import { readModel } from './reader';
import {
  AttributeType,
  DataType,
  dataTypeName,
  type Attribute,
  type Dim,
  type FunctionProto,
  type Graph,
  type Node,
  type OnnxModel,
  type StringStringEntry,
  type TensorInfo,
  type TypeInfo,
  type ValueInfo,
} from './types';
import { FileSource, type ByteSource } from './wire';

export interface ModelTextOptions {
  readonly signal?: AbortSignal;
  /** Int, bool and string tensors with at most this many elements are printed in full (default 16; 0 elides every tensor). */
  readonly maxValues?: number;
  /** Called now and then with the number of nodes written so far and the total. */
  readonly onProgress?: (nodesDone: number, nodesTotal: number) => void;
}

export interface ModelText {
  readonly text: string;
  /** Node lines written: every node of the graph, its subgraphs and the functions. */
  readonly nodeCount: number;
  /** Tensors (initializers and tensor attributes) whose data was elided. */
  readonly elidedTensors: number;
}

export const DEFAULT_MAX_VALUES = 16;
/** Strings of small string tensors longer than this are elided with the tensor. */
const MAX_SHOWN_STRING = 64;
const INDENT = 3;
const WRAP_SIGNATURE_AT = 100;
/** Lines between yields to the event loop (and abort checks). */
const LINES_PER_SLICE = 4000;

/** Reads the model at `file` lazily and renders it. Throws OnnxError for unreadable models. */
export async function modelTextOfFile(file: string, opts: ModelTextOptions = {}): Promise<ModelText> {
  const model = await readModel(file, opts.signal ? { signal: opts.signal } : {});
  const src = FileSource.open(model.path);
  try {
    return await modelText(model, src, opts);
  } finally {
    src.close();
  }
}

/**
 * Renders a model read by `readModel`/`parseModel`. `src` holds the model's bytes (the file, or the
 * buffer it was parsed from) for the values of small tensors; without it every tensor is elided.
 */
export async function modelText(model: OnnxModel, src: ByteSource | undefined, opts: ModelTextOptions = {}): Promise<ModelText> {
  const printer = new TextPrinter(src, opts.maxValues ?? DEFAULT_MAX_VALUES);
  const total = countNodes(model);
  const parts: string[] = [];
  let lines = 0;
  for (const line of printer.model(model)) {
    parts.push(line);
    if (++lines % LINES_PER_SLICE === 0) {
      opts.onProgress?.(printer.nodesWritten, total);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.signal?.aborted) throw new OnnxError('cancelled', 'Cancelled.');
    }
  }
  opts.onProgress?.(printer.nodesWritten, total);
  parts.push('');
  return { text: parts.join('\n'), nodeCount: printer.nodesWritten, elidedTensors: printer.elided };
}

/** Every node: main graph, nested subgraphs, functions (and their subgraphs). */
export function countNodes(model: OnnxModel): number {
  let n = 0;
  const visit = (nodes: readonly Node[]): void => {
    for (const node of nodes) {
      n++;
      for (const a of node.attributes) {
        if (a.g) visit(a.g.nodes);
        for (const g of a.graphs ?? []) visit(g.nodes);
      }
    }
  };
  visit(model.graph.nodes);
  for (const f of model.functions) visit(f.nodes);
  return n;
}

// ---- identifiers, strings, numbers ----------------------------------------------------------------

/** onnx's parser identifiers: [A-Za-z_][A-Za-z0-9_]* (anything else is written quoted). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function textId(s: string): string {
  return IDENTIFIER.test(s) ? s : quote(s);
}

/**
 * The shortest decimal that reads back to the same float32 (`single`) or float64, written as C++'s
 * std::to_chars writes it (what onnx's printer uses): the shorter of fixed and scientific notation,
 * fixed on a tie; `1e-05`, `0.125`, `1e+20`, `nan`, `-inf`.
 */
export function formatFloat(v: number, single: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let exp = '';
  if (single) {
    const f = Math.fround(v);
    for (let p = 0; p < 9; p++) {
      const s = f.toExponential(p);
      if (Math.fround(Number(s)) === f) {
        exp = s;
        break;
      }
    }
    if (!exp) exp = f.toExponential(8);
  } else {
    exp = v.toExponential();
  }
  // exp is like "-1.2345e-7": split into sign, digits and the decimal exponent.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) return String(v);
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const e = Number(m[4]);
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const sci = `${sign}${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  let fixed: string;
  if (e >= digits.length - 1) fixed = sign + digits + '0'.repeat(e - (digits.length - 1));
  else if (e >= 0) fixed = `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  else fixed = `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  return fixed.length <= sci.length ? fixed : sci;
}

// ---- types ------------------------------------------------------------------------------------------

function dimText(d: Dim): string {
  if (d.kind === 'value') return String(d.value);
  if (d.kind === 'param') return textId(d.param);
  return '?';
}

/** A type as the printer writes it: `float[N,3]`, `float` (scalar), `float[]` (rank unknown), `seq(float[N])`. */
export function typeSyntax(t: TypeInfo): string {
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor': {
      const shape = t.shape === undefined ? '[]' : t.shape.length ? `[${t.shape.map(dimText).join(',')}]` : '';
      const base = `${dataTypeName(t.elemType)}${shape}`;
      return t.kind === 'sparse_tensor' ? `sparse_tensor(${base})` : base;
    }
    case 'sequence':
      return `seq(${t.elem ? typeSyntax(t.elem) : ''})`;
    case 'optional':
      return `optional(${t.elem ? typeSyntax(t.elem) : ''})`;
    case 'map':
      return `map(${dataTypeName(t.keyType)}, ${t.value ? typeSyntax(t.value) : ''})`;
    case 'unknown':
      return '';
  }
}

function valueInfoText(v: ValueInfo): string {
  const t = typeSyntax(v.type);
  return t ? `${t} ${textId(v.name)}` : textId(v.name);
}

const ATTRIBUTE_TYPE_NAMES: Record<number, string> = {
  [AttributeType.FLOAT]: 'float',
  [AttributeType.INT]: 'int',
  [AttributeType.STRING]: 'string',
  [AttributeType.TENSOR]: 'tensor',
  [AttributeType.GRAPH]: 'graph',
  [AttributeType.SPARSE_TENSOR]: 'sparse_tensor',
  [AttributeType.TYPE_PROTO]: 'type_proto',
  [AttributeType.FLOATS]: 'floats',
  [AttributeType.INTS]: 'ints',
  [AttributeType.STRINGS]: 'strings',
  [AttributeType.TENSORS]: 'tensors',
  [AttributeType.GRAPHS]: 'graphs',
  [AttributeType.SPARSE_TENSORS]: 'sparse_tensors',
  [AttributeType.TYPE_PROTOS]: 'type_protos',
};

// ---- tensor values ----------------------------------------------------------------------------------

const FIXED_WIDTH: Partial<Record<number, number>> = {
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT32]: 4,
  [DataType.UINT32]: 4,
  [DataType.FLOAT]: 4,
  [DataType.INT64]: 8,
  [DataType.UINT64]: 8,
  [DataType.DOUBLE]: 8,
};

function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The data fields of a small TensorProto, collected from its bytes (packed or not). */
interface TensorFields {
  raw?: Uint8Array;
  floats: number[];
  doubles: number[];
  /** int32_data (5), int64_data (7), uint64_data (11): raw 64-bit varints. */
  varints: Map<number, bigint[]>;
  strings: Uint8Array[];
}

/** Walks a TensorProto's top-level fields; undefined when the bytes are not well formed. */
function tensorFields(b: Uint8Array): TensorFields | undefined {
  const out: TensorFields = { floats: [], doubles: [], varints: new Map(), strings: [] };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  const varint = (end: number): bigint | undefined => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= end || shift > 63n) return undefined;
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const tag = varint(b.length);
    if (tag === undefined) return undefined;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const v = varint(b.length);
      if (v === undefined) return undefined;
      if (field === 5 || field === 7 || field === 11) (out.varints.get(field) ?? out.varints.set(field, []).get(field)!).push(v);
    } else if (wire === 1) {
      if (i + 8 > b.length) return undefined;
      if (field === 10) out.doubles.push(dv.getFloat64(i, true));
      i += 8;
    } else if (wire === 5) {
      if (i + 4 > b.length) return undefined;
      if (field === 4) out.floats.push(dv.getFloat32(i, true));
      i += 4;
    } else if (wire === 2) {
      const len = varint(b.length);
      if (len === undefined || i + Number(len) > b.length) return undefined;
      const end = i + Number(len);
      const payload = b.subarray(i, end);
      if (field === 9) out.raw = payload;
      else if (field === 6) out.strings.push(payload);
      else if (field === 4) {
        if (payload.length % 4) return undefined;
        for (let k = i; k < end; k += 4) out.floats.push(dv.getFloat32(k, true));
      } else if (field === 10) {
        if (payload.length % 8) return undefined;
        for (let k = i; k < end; k += 8) out.doubles.push(dv.getFloat64(k, true));
      } else if (field === 5 || field === 7 || field === 11) {
        const list = out.varints.get(field) ?? out.varints.set(field, []).get(field)!;
        while (i < end) {
          const v = varint(end);
          if (v === undefined) return undefined;
          list.push(v);
        }
      }
      i = end;
    } else {
      return undefined; // groups (3, 4) are not used by ONNX
    }
  }
  return out;
}

/** Float tensors are weights unless they hold a single value (a scale, an epsilon, a constant one). */
const MAX_SHOWN_FLOATS = 1;
/** Largest TensorProto whose bytes are read to show its values (names and strings included). */
const MAX_SHOWN_PROTO_BYTES = 8192;

class TextPrinter {
  nodesWritten = 0;
  elided = 0;

  constructor(
    private readonly src: ByteSource | undefined,
    private readonly maxValues: number,
  ) {}

  *model(m: OnnxModel): Generator<string> {
    const head: string[] = [`ir_version: ${m.irVersion}`, `opset_import: [${m.opsetImports.map((o) => `${quote(o.domain)} : ${o.version}`).join(', ')}]`];
    if (m.producerName) head.push(`producer_name: ${quote(m.producerName)}`);
    if (m.producerVersion) head.push(`producer_version: ${quote(m.producerVersion)}`);
    if (m.domain) head.push(`domain: ${quote(m.domain)}`);
    if (m.modelVersion) head.push(`model_version: ${m.modelVersion}`);
    if (m.docString) head.push(`doc_string: ${quote(m.docString)}`);
    if (m.metadataProps.length) head.push(`metadata_props: ${entriesText(m.metadataProps)}`);
    yield '<';
    for (let i = 0; i < head.length; i++) yield `${pad(INDENT)}${head[i]}${i < head.length - 1 ? ',' : ''}`;
    yield '>';
    yield* this.graph(m.graph, '', 0, '');
    for (const f of m.functions) {
      yield '';
      yield* this.fn(f);
    }
  }

  /**
   * A graph: `prefix` goes before its name on the first line (the attribute it belongs to), `close`
   * after its closing brace (what follows the attribute). `depth` is the indent of its name's line.
   */
  private *graph(g: Graph, prefix: string, depth: number, close: string): Generator<string> {
    const ind = pad(depth);
    const inner = pad(depth + INDENT);
    const ins = g.inputs.map(valueInfoText);
    const outs = g.outputs.map(valueInfoText);
    const sig = `${prefix}${textId(g.name)} (${ins.join(', ')}) => (${outs.join(', ')})`;
    const lists = g.initializers.length || g.valueInfo.length || g.sparseInitializers.length;
    if (sig.length - prefix.length <= WRAP_SIGNATURE_AT) {
      yield lists ? sig : `${sig} {`;
    } else {
      // One value per line; an empty list stays `()`.
      let cur = `${prefix}${textId(g.name)} `;
      const list = function* (xs: readonly string[], after: string): Generator<string> {
        if (!xs.length) {
          cur += `()${after}`;
          return;
        }
        yield `${cur}(`;
        for (let i = 0; i < xs.length; i++) yield `${inner}${xs[i]}${i < xs.length - 1 ? ',' : ''}`;
        cur = `${ind})${after}`;
      };
      yield* list(ins, ' => ');
      yield* list(outs, '');
      yield lists ? cur : `${cur} {`;
    }
    if (lists) {
      yield `${inner}<`;
      const items: string[] = [];
      for (const t of g.initializers) items.push(this.initializer(t));
      for (const v of g.valueInfo) items.push(valueInfoText(v));
      const item = pad(depth + 2 * INDENT);
      for (let i = 0; i < items.length; i++) yield `${item}${items[i]}${i < items.length - 1 ? ',' : ''}`;
      for (const sp of g.sparseInitializers) {
        const v = sp.values;
        yield `${item}# sparse_initializer ${v ? dataTypeName(v.dataType) : '?'}[${sp.dims.join(',')}] ${v ? textId(v.name) : '?'} (${v?.dims[0] ?? 0} values)`;
      }
      yield `${inner}>`;
      yield `${ind}{`;
    }
    for (const n of g.nodes) yield* this.node(n, depth + INDENT);
    yield `${ind}}${close}`;
  }

  private *node(n: Node, depth: number): Generator<string> {
    this.nodesWritten++;
    const label = n.name ? `[${textId(n.name)}] ` : '';
    const outs = n.outputs.map(textId).join(', ');
    const op = `${n.domain ? `${n.domain}.` : ''}${n.opType}${n.overload ? `:${n.overload}` : ''}`;
    const ins = `(${n.inputs.map(textId).join(', ')})`;
    const head = `${pad(depth)}${label}${outs} = ${op}`;
    const hasGraph = n.attributes.some((a) => a.g || a.graphs?.length);
    if (!n.attributes.length) {
      yield `${head} ${ins}`;
      return;
    }
    if (!hasGraph) {
      yield `${head} <${n.attributes.map((a) => this.attribute(a)).join(', ')}> ${ins}`;
      return;
    }
    // Subgraphs: inputs first, then the attributes, the graphs spanning lines (as the printer does).
    let line = `${head} ${ins} <`;
    for (let i = 0; i < n.attributes.length; i++) {
      const a = n.attributes[i]!;
      const last = i === n.attributes.length - 1;
      const sep = last ? '>' : ', ';
      const prefix = `${a.name}: ${ATTRIBUTE_TYPE_NAMES[a.type] ?? 'graph'} = `;
      if (a.g && !a.refAttrName) {
        yield* this.graph(a.g, line + prefix, depth, last ? '>' : ',');
        line = last ? '' : pad(depth);
      } else if (a.graphs?.length && !a.refAttrName) {
        let p = `${line}${prefix}[`;
        for (let k = 0; k < a.graphs.length; k++) {
          const lastGraph = k === a.graphs.length - 1;
          yield* this.graph(a.graphs[k]!, p, depth, lastGraph ? `]${last ? '>' : ','}` : ',');
          p = pad(depth);
        }
        line = last ? '' : pad(depth);
      } else {
        line += this.attribute(a) + sep;
      }
    }
    if (line.trim()) yield line;
  }

  private attribute(a: Attribute): string {
    const type = ATTRIBUTE_TYPE_NAMES[a.type];
    const head = `${textId(a.name)}${type ? `: ${type}` : ''} = `;
    if (a.refAttrName) return `${head}@${a.refAttrName}`;
    switch (a.type) {
      case AttributeType.FLOAT:
        return head + formatFloat(a.f ?? 0, true);
      case AttributeType.INT:
        return head + (a.iBig !== undefined ? BigInt.asIntN(64, a.iBig).toString() : String(a.i ?? 0));
      case AttributeType.STRING:
        return head + quote(a.s ?? '');
      case AttributeType.FLOATS:
        return `${head}[${(a.floats ?? []).map((f) => formatFloat(f, true)).join(', ')}]`;
      case AttributeType.INTS:
        return `${head}[${(a.ints ?? []).map(String).join(', ')}]`;
      case AttributeType.STRINGS:
        return `${head}[${(a.strings ?? []).map(quote).join(', ')}]`;
      case AttributeType.TENSOR:
        return head + (a.t ? this.tensor(a.t) : '...');
      case AttributeType.TENSORS:
        return `${head}[${(a.tensors ?? []).map((t) => this.tensor(t)).join(', ')}]`;
      case AttributeType.TYPE_PROTO:
        return head + (a.tp ? typeSyntax(a.tp) : '');
      case AttributeType.TYPE_PROTOS:
        return `${head}[${(a.typeProtos ?? []).map(typeSyntax).join(', ')}]`;
      case AttributeType.SPARSE_TENSOR:
      case AttributeType.SPARSE_TENSORS:
        this.elided++;
        return `${head}...`;
      default:
        return `${head}...`;
    }
  }

  /** A tensor attribute value: `int64[2] {0,-1}`, `float[64,3,7,7] ...`. */
  private tensor(t: TensorInfo): string {
    const dims = t.dims.length ? `[${t.dims.join(',')}]` : '';
    const name = t.name ? ` ${textId(t.name)}` : '';
    return `${dataTypeName(t.dataType)}${dims}${name} ${this.data(t)}`;
  }

  /** An initializer: `float[4,3] W = ...`. */
  private initializer(t: TensorInfo): string {
    const dims = t.dims.length ? `[${t.dims.join(',')}]` : '';
    return `${dataTypeName(t.dataType)}${dims} ${textId(t.name)} = ${this.data(t)}`;
  }

  private data(t: TensorInfo): string {
    if (t.data.kind === 'external') {
      const e: StringStringEntry[] = [{ key: 'location', value: t.data.location }, { key: 'offset', value: String(t.data.offset) }];
      if (t.data.length !== undefined) e.push({ key: 'length', value: String(t.data.length) });
      if (t.data.checksum !== undefined) e.push({ key: 'checksum', value: t.data.checksum });
      return entriesText(e);
    }
    const values = this.values(t);
    if (values === undefined) {
      this.elided++;
      return '...';
    }
    return `{${values.join(',')}}`;
  }

  /** The values of a small tensor, printed; undefined to elide. */
  private values(t: TensorInfo): string[] | undefined {
    const count = numel(t.dims);
    const isFloat = t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE;
    if (!(count >= 0) || count > (isFloat ? Math.min(MAX_SHOWN_FLOATS, this.maxValues) : this.maxValues) || !this.src) return undefined;
    if (t.data.kind === 'none') return count === 0 ? [] : undefined;
    if (t.data.kind !== 'inline') return undefined;
    const { offset, length } = t.protoRange;
    if (length > MAX_SHOWN_PROTO_BYTES || offset + length > this.src.size) return undefined;
    const buf = Buffer.alloc(length);
    if (this.src.readInto(buf, offset, length) !== length) return undefined;
    const f = tensorFields(buf);
    if (!f) return undefined;
    const dt = t.dataType;
    const exact = <T>(xs: readonly T[]): readonly T[] | undefined => (xs.length === count ? xs : undefined);
    if (dt === DataType.STRING) {
      const s = exact(f.strings)?.map((b) => Buffer.from(b).toString('utf8'));
      return s && s.every((x) => x.length <= MAX_SHOWN_STRING && !x.includes('\uFFFD')) ? s.map(quote) : undefined;
    }
    const width = FIXED_WIDTH[dt];
    if (width === undefined) return undefined;
    if (f.raw) {
      const raw = Buffer.from(f.raw.buffer, f.raw.byteOffset, f.raw.byteLength);
      if (raw.length !== count * width) return undefined;
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const o = i * width;
        switch (dt) {
          case DataType.INT8:
            out.push(String(raw.readInt8(o)));
            break;
          case DataType.UINT8:
          case DataType.BOOL:
            out.push(String(raw.readUInt8(o)));
            break;
          case DataType.INT16:
            out.push(String(raw.readInt16LE(o)));
            break;
          case DataType.UINT16:
            out.push(String(raw.readUInt16LE(o)));
            break;
          case DataType.INT32:
            out.push(String(raw.readInt32LE(o)));
            break;
          case DataType.UINT32:
            out.push(String(raw.readUInt32LE(o)));
            break;
          case DataType.INT64:
            out.push(raw.readBigInt64LE(o).toString());
            break;
          case DataType.UINT64:
            out.push(raw.readBigUInt64LE(o).toString());
            break;
          case DataType.FLOAT:
            out.push(formatFloat(raw.readFloatLE(o), true));
            break;
          case DataType.DOUBLE:
            out.push(formatFloat(raw.readDoubleLE(o), false));
            break;
        }
      }
      return out;
    }
    switch (dt) {
      case DataType.FLOAT:
        return exact(f.floats)?.map((v) => formatFloat(v, true));
      case DataType.DOUBLE:
        return exact(f.doubles)?.map((v) => formatFloat(v, false));
      case DataType.INT64:
        return exact(f.varints.get(7) ?? [])?.map((v) => BigInt.asIntN(64, v).toString());
      case DataType.UINT32:
      case DataType.UINT64:
        return exact(f.varints.get(11) ?? [])?.map((v) => v.toString());
      default:
        // int32_data holds int8..int32, uint8, uint16 and bool.
        return exact(f.varints.get(5) ?? [])?.map((v) => BigInt.asIntN(32, v).toString());
    }
  }

  private *fn(f: FunctionProto): Generator<string> {
    yield '<';
    yield `  domain: ${quote(f.domain)},`;
    if (f.overload) yield `  overload: ${quote(f.overload)},`;
    yield `  opset_import: [${f.opsetImports.map((o) => `${quote(o.domain)} : ${o.version}`).join(',')}]`;
    yield '>';
    const attrs = [...f.attributes.map(textId), ...f.attributeProtos.map((a) => this.attribute(a))];
    yield `${textId(f.name)} ${attrs.length ? `<${attrs.join(', ')}>` : ''}(${f.inputs.map(textId).join(', ')}) => (${f.outputs.map(textId).join(', ')})`;
    yield '{';
    for (const n of f.nodes) yield* this.node(n, INDENT);
    yield '}';
  }
}

function entriesText(es: readonly StringStringEntry[]): string {
  return `[${es.map((e) => `${quote(e.key)}: ${quote(e.value)}`).join(', ')}]`;
}

const PADS: string[] = [];
function pad(n: number): string {
  return (PADS[n] ??= ' '.repeat(n));
}
