/** FP16 conversion: float32 weights and compute in float16, float32 graph inputs/outputs. */
import { OptimizeError } from './errors';
import type { Fp16Options, TransformReport, TransformRunOptions } from './types';

/** Op types kept in float32 by default (no float16 kernel in ONNX Runtime's CPU provider, or numerically unsafe). */
export const DEFAULT_KEEP_FP32_OPS: readonly string[] = [];

export async function convertFp16(src: string, dst: string, opts: Fp16Options = {}, run: TransformRunOptions = {}): Promise<TransformReport> {
  void src, dst, opts, run;
  throw new OptimizeError('unsupported', 'FP16 conversion is being implemented (API committed first).');
}
