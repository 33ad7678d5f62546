/**
 * Where a node came from: the metadata PyTorch's exporters write on each ONNX node, and the module
 * scope (from that metadata, else from the node name as the TorchScript exporter writes it:
 * `/encoder/layer.0/attention/self/query/MatMul`).
 *
 * torch.onnx.export(dynamo=True) writes (torch/onnx/_internal/exporter/_core.py, `_set_node_metadata`):
 *   namespace                         `: ` and `/` joined module path, e.g. `__main__.Net/fc1: torch.nn.Linear/linear: aten.linear.default`
 *   pkg.torch.onnx.class_hierarchy    Python repr of a list: `['__main__.Net', 'torch.nn.Linear', 'aten.linear.default']`
 *   pkg.torch.onnx.name_scopes        Python repr of a list: `['', 'fc1', 'linear']` (module paths, then the FX node)
 *   pkg.torch.onnx.fx_node            the FX node as text
 *   pkg.torch.onnx.stack_trace        a Python traceback: `File "model.py", line 7, in forward\n    return x + y`
 * The TorchScript exporter puts frames in the node's doc_string as `file.py(12): forward` lines.
 */
import type { Node } from '../onnx/types';
import { parseFrame, type SourceFrame } from '../profile/source';
import type { NodeSource } from './types';

export const META = {
  stackTrace: 'pkg.torch.onnx.stack_trace',
  nameScopes: 'pkg.torch.onnx.name_scopes',
  classHierarchy: 'pkg.torch.onnx.class_hierarchy',
  fxNode: 'pkg.torch.onnx.fx_node',
  namespace: 'namespace',
} as const;

const TRACEBACK = /^\s*File "(.+)", line (\d+), in (.+?)\s*$/;

/** Frames of a Python traceback (or `file.py(12): fn` lines), innermost first. */
export function parseStackTrace(text: string): SourceFrame[] {
  const out: SourceFrame[] = [];
  for (const line of text.split(/\r?\n|;/)) {
    const m = TRACEBACK.exec(line);
    if (m) {
      const n = Number(m[2]);
      if (n > 0) out.push({ file: m[1]!, line: n, func: m[3]! });
      continue;
    }
    const f = parseFrame(line);
    if (f) out.push(f);
  }
  // Tracebacks list the outermost call first.
  return out.reverse();
}

/** The strings of a Python list repr (`['', 'fc1', "it's"]`); undefined when it is not one. */
export function parsePyStringList(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) out.push((m[1] ?? m[2]!).replace(/\\(.)/g, '$1'));
  return out;
}

function meta(node: Node, key: string): string | undefined {
  return node.metadataProps?.find((e) => e.key === key)?.value;
}

/** What the node's metadata (or doc string) says about its source; undefined when nothing. */
export function nodeSource(node: Node): NodeSource | undefined {
  const stack = meta(node, META.stackTrace);
  let frames = stack ? parseStackTrace(stack) : [];
  if (frames.length === 0 && node.docString) frames = parseStackTrace(node.docString);
  const scopes = meta(node, META.nameScopes);
  const classes = meta(node, META.classHierarchy);
  const ns = meta(node, META.namespace);
  const nameScopes = scopes !== undefined ? parsePyStringList(scopes) : undefined;
  const classHierarchy = classes !== undefined ? parsePyStringList(classes) : undefined;
  if (frames.length === 0 && !nameScopes && !classHierarchy && ns === undefined) return undefined;
  return {
    frames,
    ...(nameScopes ? { nameScopes } : {}),
    ...(classHierarchy ? { classHierarchy } : {}),
    ...(ns !== undefined ? { namespace: ns } : {}),
  };
}

/**
 * Module scope of a node, outermost first. From name_scopes metadata: the module entries (the last
 * entry is the node itself; '' is the root), each written relative to its parent when it repeats the
 * parent's path (`layers.0`, `layers.0.attn` → `layers.0`, `attn`). Else from a `/`-separated node name.
 */
export function scopeOf(node: Node, source: NodeSource | undefined): string[] {
  const ns = source?.nameScopes;
  if (ns && ns.length > 0) {
    const modules = ns.slice(0, -1).filter((s) => s !== '');
    const out: string[] = [];
    let prev = '';
    for (const m of modules) {
      out.push(prev && m.startsWith(`${prev}.`) ? m.slice(prev.length + 1) : m);
      prev = m;
    }
    return out;
  }
  const name = node.name;
  if (!name.includes('/')) return [];
  const parts = name.split('/').filter((p) => p !== '');
  return parts.slice(0, -1);
}
