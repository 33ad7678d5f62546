/**
 * Source locations in a Profile: the Python frames torch.profiler records with `with_stack=True`
 * (`python_function` slices named `path/to/file.py(123): forward`, and on older traces a
 * `Call stack` arg of `file.py(12): fn;...`), and matching a frame's file to a workspace file.
 */
import { SLICE_KINDS, sliceArgs, type Profile } from './types';

export interface SourceFrame {
  readonly file: string;
  readonly line: number;
  readonly func: string;
}

const PYTHON = SLICE_KINDS.indexOf('python');
const FRAME = /^(.+?)\((\d+)\): (.*)$/;

/** `path/to/file.py(123): forward` → its parts; undefined for anything else (`<built-in method ...>`). */
export function parseFrame(text: string): SourceFrame | undefined {
  const m = FRAME.exec(text.trim());
  if (!m) return undefined;
  const line = Number(m[2]);
  return line > 0 ? { file: m[1]!, line, func: m[3]! } : undefined;
}

/**
 * The Python frames around slice `i`, innermost first: the slice itself when it is a Python frame,
 * then the Python frames enclosing it on its thread, then the entries of a `Call stack` arg.
 */
export function sourceFramesOf(p: Profile, i: number): SourceFrame[] {
  const out: SourceFrame[] = [];
  for (let j = i; j >= 0; j = p.slices.parent[j]!) {
    if (p.slices.kind[j] !== PYTHON) continue;
    const f = parseFrame(p.strings[p.slices.name[j]!]!);
    if (f) out.push(f);
  }
  if (out.length === 0 && p.slices.args[i]! > 0) {
    const stack = sliceArgs(p, i)['Call stack'];
    if (typeof stack === 'string') for (const part of stack.split(';')) {
      const f = parseFrame(part);
      if (f) out.push(f);
    }
  }
  return out;
}

/** Library code a user does not want to jump into. */
const LIBRARY = /(^|[\\/])(site-packages|dist-packages|lib[\\/]python\d[\d.]*|torch|<[^>]*>)([\\/]|$)/;

/** The innermost frame in the user's own code (not in site-packages, the standard library or torch), else the innermost. */
export function userFrame(frames: readonly SourceFrame[]): SourceFrame | undefined {
  return frames.find((f) => !LIBRARY.test(f.file)) ?? frames[0];
}

/**
 * Which of `candidates` (workspace files with the frame's base name) the frame's file is: the one
 * sharing the longest run of trailing path segments with it (the trace was often recorded on
 * another machine or in a container). Undefined when none shares the base name.
 */
export function bestSourceMatch(frameFile: string, candidates: readonly string[]): string | undefined {
  const want = frameFile.split(/[\\/]+/).filter(Boolean).reverse();
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const have = c.split(/[\\/]+/).filter(Boolean).reverse();
    let k = 0;
    while (k < want.length && k < have.length && want[k] === have[k]) k++;
    if (k > bestScore || (k === bestScore && best !== undefined && c.length < best.length)) {
      best = k > 0 ? c : best;
      bestScore = k;
    }
  }
  return best;
}
