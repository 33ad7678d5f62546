/** Input/output dims: make them symbolic or fix them to values. */
import { OptimizeError } from './errors';
import type { DimChange, DimsOptions, TransformReport, TransformRunOptions } from './types';

/** Parses the CLI/QuickPick form `name:axis=label` (dynamic) or `name:axis=123` (fixed). */
export function parseDimChange(text: string, fixed: boolean): DimChange {
  const m = /^(.+):(-?\d+)=(.+)$/.exec(text.trim());
  if (!m) throw new OptimizeError('bad-option', `'${text}' is not name:axis=${fixed ? 'value' : 'label'}`);
  const to = m[3]!.trim();
  if (fixed) {
    if (!/^\d+$/.test(to) || Number(to) < 1) throw new OptimizeError('bad-option', `'${text}': the value must be a positive integer`);
    return { value: m[1]!, axis: Number(m[2]), to: Number(to) };
  }
  if (!/^[A-Za-z_][\w.]*$/.test(to)) throw new OptimizeError('bad-option', `'${text}': the label must be a name like batch or sequence_length`);
  return { value: m[1]!, axis: Number(m[2]), to };
}

export async function setDims(src: string, dst: string, opts: DimsOptions, run: TransformRunOptions = {}): Promise<TransformReport> {
  void src, dst, opts, run;
  throw new OptimizeError('unsupported', 'Changing dims is being implemented (API committed first).');
}
